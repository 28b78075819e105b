//! The iced daemon: routes messages between the open windows and the runtime. It holds the
//! windows by id, turns what screens ask for into runtime requests, and draws nothing
//! itself. It runs with no window open; closing a window never stops the runtime.

mod appearance;
mod clipboard;
mod desktop;
mod filling;
mod hidden_palette;
pub mod hotkeys;
mod insert;
mod keymap;
mod notify;
mod preferences;
mod status;
mod tray;
mod window;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use iced::futures::{Stream, stream};
use iced::widget::{operation, space};
use iced::{Element, Subscription, Task, Theme};
use promptdeck_actors::{
    Origin, PromptDraft, RequestError, RuntimeHandle, RuntimeStatus, Scope, SearchHit,
};
use promptdeck_protocol::template::Template;
use promptdeck_protocol::{PINNED_TAG, Prompt, PromptId, PromptKey, PromptSummary};
use promptdeck_views::settings::Appearance;
use promptdeck_views::{Account, account, editor, library, palette, settings as settings_view};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use crate::control::UiCommand;
use appearance::ColorScheme;
use hidden_palette::HiddenPalette;
use hotkeys::Hotkeys;
use insert::{Desktop, Inserted, Target};

/// How many prompts the palette lists.
const PALETTE_ROWS: usize = 50;

/// What the windows show, for `status --json` and for end-to-end tests that cannot read
/// pixels: which windows are open and how many prompts the palette lists.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UiReport {
    pub windows: Vec<&'static str>,
    pub palette_rows: Option<usize>,
    /// The line the palette shows under its results (why it did not paste, say).
    pub palette_notice: Option<String>,
    /// The id of the prompt whose full body the palette's preview shows.
    pub palette_preview: Option<String>,
    /// The id of the prompt open in the library's editor.
    pub editing: Option<String>,
    /// True while the palette asks for a prompt's fields.
    pub palette_filling: bool,
    /// The hotkeys in force, as "palette=ctrl+shift+space".
    pub hotkeys: Vec<String>,
    /// Hotkeys that could not be registered, and why.
    pub hotkey_problems: Vec<String>,
    pub paste_method: String,
    pub tray: bool,
    /// The theme the windows draw with: "dark" or "light".
    pub theme: &'static str,
}

/// The desktop settings the windows run with.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Hotkeys as "ctrl+shift+space".
    pub palette_hotkey: String,
    pub capture_hotkey: String,
    pub paste: crate::cli::PasteMode,
    pub theme: Appearance,
}

/// Why no window could open here, if none can: a desktop session has a Wayland socket or
/// an X display that answers. Asked before starting, so that a missing display is a
/// sentence, not a crash of the window system's event loop.
pub fn no_display() -> Option<String> {
    if let Some(wayland) = std::env::var_os("WAYLAND_DISPLAY") {
        let runtime_dir = std::env::var_os("XDG_RUNTIME_DIR").unwrap_or_default();
        let socket = std::path::Path::new(&runtime_dir).join(&wayland);
        if std::os::unix::net::UnixStream::connect(&socket).is_ok() {
            return None;
        }
    }
    match x11rb::connect(None) {
        Ok(_) => None,
        Err(e) => Some(match std::env::var("DISPLAY") {
            Ok(display) => format!("the X display {display:?} does not answer: {e}"),
            Err(_) => "neither DISPLAY nor WAYLAND_DISPLAY is set".to_owned(),
        }),
    }
}

/// Runs the windows on this (the main) thread until Quit.
pub fn run(
    runtime: RuntimeHandle,
    ui_tx: UnboundedSender<UiCommand>,
    ui_rx: UnboundedReceiver<UiCommand>,
    first_start: bool,
    settings: Settings,
    settings_file: std::path::PathBuf,
    report: tokio::sync::watch::Sender<UiReport>,
) -> anyhow::Result<()> {
    let hotkeys = Hotkeys::start(ui_tx.clone());
    let tray =
        tray::start(ui_tx, runtime.status().sync != promptdeck_actors::SyncStatus::LocalOnly);
    let desktop = Desktop::new(settings.paste);
    let boot = Boot {
        runtime,
        ui_rx,
        tray,
        first_start,
        report,
        desktop,
        hotkeys,
        settings,
        settings_file,
    };
    let boot = Mutex::new(Some(boot));
    iced::daemon(
        move || {
            let boot = boot.lock().ok().and_then(|mut b| b.take());
            Promptdeck::boot(boot.expect("the daemon boots once"))
        },
        Promptdeck::update,
        Promptdeck::view,
    )
    .title(Promptdeck::title)
    .theme(|app: &Promptdeck, _| app.theme())
    .subscription(Promptdeck::subscription)
    .run()?;
    Ok(())
}

enum Screen {
    Palette(palette::State),
    Library(library::State),
    Settings(settings_view::State),
}

/// What the windows start with.
struct Boot {
    runtime: RuntimeHandle,
    ui_rx: UnboundedReceiver<UiCommand>,
    tray: Option<tray::Tray>,
    first_start: bool,
    report: tokio::sync::watch::Sender<UiReport>,
    desktop: Desktop,
    hotkeys: Option<Hotkeys>,
    settings: Settings,
    settings_file: std::path::PathBuf,
}

struct Promptdeck {
    runtime: RuntimeHandle,
    desktop: Arc<Mutex<Desktop>>,
    hotkeys: Option<Hotkeys>,
    settings: Settings,
    /// Hotkeys that could not be registered, and why.
    hotkey_problems: Vec<String>,
    settings_file: std::path::PathBuf,
    /// Why the last edit of settings.toml was not applied.
    settings_problem: Option<String>,
    settings_window: Option<iced::window::Id>,
    tray: Option<tray::Tray>,
    status: RuntimeStatus,
    /// The palette's first frame: the best prompts for an empty query, kept fresh.
    recent: Option<Vec<PromptSummary>>,
    windows: BTreeMap<iced::window::Id, Screen>,
    /// The palette window and the window that had focus before it opened.
    palette: Option<(iced::window::Id, Option<Target>)>,
    /// The palette's window between openings, where windows can hide.
    hidden_palette: Option<HiddenPalette>,
    library: Option<iced::window::Id>,
    report: tokio::sync::watch::Sender<UiReport>,
    /// What the desktop prefers, for the "system" theme.
    color_scheme: ColorScheme,
}

#[derive(Debug)]
enum Message {
    /// A command from the control socket, the tray or a hotkey.
    Ui(UiCommand),
    /// The runtime's status changed.
    Status(RuntimeStatus),
    /// The desktop's light or dark preference, at start and on every change.
    ColorScheme(ColorScheme),
    /// The palette's first-frame list was refreshed.
    Recent(Result<Vec<PromptSummary>, String>),
    /// The palette's selected prompt in full, for its preview.
    Previewed(iced::window::Id, PromptKey, Arc<Prompt>),
    /// The prompt chosen in the palette, in full: inserted at once, or its fields asked for.
    Chosen(iced::window::Id, PromptKey, Result<Option<Arc<Prompt>>, String>, Delivery),
    /// A window was closed by the user or by us.
    WindowClosed(iced::window::Id),
    /// The hidden palette's window exists.
    PaletteMade(iced::window::Id),
    Palette(iced::window::Id, palette::Message),
    Library(iced::window::Id, library::Message),
    Settings(iced::window::Id, settings_view::Message),
    /// The settings window's save went through, or why not.
    SettingsSaved(iced::window::Id, Result<String, String>),
    /// A window's search was answered (superseded searches never arrive).
    Searched {
        window: iced::window::Id,
        query: String,
        result: Result<Vec<PromptSummary>, String>,
    },
    /// A prompt the library asked to edit.
    Opened(iced::window::Id, Result<Option<Arc<Prompt>>, String>),
    /// A save or delete from the library finished.
    Edited(iced::window::Id, Result<(), String>),
    /// A sign-in or sign-out asked for in a window ended.
    AccountChanged(Option<iced::window::Id>, Result<(), String>),
    /// An insertion finished.
    Inserted(Result<Inserted, String>),
    /// A capture finished with the saved title, or why nothing was saved.
    Captured(Result<String, String>),
}

impl Promptdeck {
    fn boot(boot: Boot) -> (Self, Task<Message>) {
        let Boot {
            runtime,
            ui_rx,
            tray,
            first_start,
            report,
            desktop,
            hotkeys,
            settings,
            settings_file,
        } = boot;
        let statuses = runtime.subscribe();
        let mut app = Self {
            status: runtime.status(),
            runtime,
            desktop: Arc::new(Mutex::new(desktop)),
            hotkeys,
            settings: settings.clone(),
            hotkey_problems: Vec::new(),
            settings_file,
            settings_problem: None,
            settings_window: None,
            tray,
            recent: None,
            windows: BTreeMap::new(),
            palette: None,
            hidden_palette: None,
            library: None,
            report,
            color_scheme: ColorScheme::NoPreference,
        };
        let mut tasks = vec![
            Task::run(commands(ui_rx), Message::Ui),
            Task::run(status_changes(statuses), Message::Status),
            Task::run(appearance::color_schemes(), Message::ColorScheme),
            app.refresh_recent(),
        ];
        if first_start {
            tasks.push(app.open_library());
        }
        tasks.push(app.prepare_palette());
        app.apply_settings(settings);
        if let Some(tray) = &mut app.tray {
            tray.show(&app.status);
        }
        app.publish_report();
        (app, Task::batch(tasks))
    }

    fn title(&self, window: iced::window::Id) -> String {
        if self.palette_state(window).is_some() {
            return window::PALETTE_TITLE.into();
        }
        match self.windows.get(&window) {
            Some(Screen::Settings(_)) => window::SETTINGS_TITLE.into(),
            _ => window::LIBRARY_TITLE.into(),
        }
    }

    /// The theme in force: the one chosen, or for "system" the desktop's preference.
    fn theme(&self) -> Theme {
        let light = match self.settings.theme {
            Appearance::Dark => false,
            Appearance::Light => true,
            Appearance::System => self.color_scheme == ColorScheme::Light,
        };
        if light { Theme::Light } else { Theme::Dark }
    }

    fn subscription(&self) -> Subscription<Message> {
        iced::window::close_events().map(Message::WindowClosed)
    }

    fn view(&self, window: iced::window::Id) -> Element<'_, Message> {
        if let Some(state) = self.palette_state(window) {
            return state.view().map(move |m| Message::Palette(window, m));
        }
        match self.windows.get(&window) {
            Some(Screen::Library(state)) => state.view().map(move |m| Message::Library(window, m)),
            Some(Screen::Settings(state)) => {
                state.view().map(move |m| Message::Settings(window, m))
            }
            Some(Screen::Palette(_)) | None => space().into(),
        }
    }

    fn update(&mut self, message: Message) -> Task<Message> {
        let task = self.route(message);
        self.publish_report();
        task
    }

    fn publish_report(&self) {
        let windows = self
            .windows
            .values()
            .map(|screen| match screen {
                Screen::Palette(_) => "palette",
                Screen::Library(_) => "library",
                Screen::Settings(_) => "settings",
            })
            .collect();
        let palette = self.windows.values().find_map(|screen| match screen {
            Screen::Palette(state) => Some(state),
            Screen::Library(_) | Screen::Settings(_) => None,
        });
        let editing = self.windows.values().find_map(|screen| match screen {
            Screen::Library(state) => state.editing().map(|id| id.as_str().to_owned()),
            Screen::Palette(_) | Screen::Settings(_) => None,
        });
        let report = UiReport {
            windows,
            palette_rows: palette.map(palette::State::row_count),
            palette_notice: palette.and_then(|p| p.notice().map(str::to_owned)),
            palette_preview: palette
                .and_then(|p| p.previewed().map(|key| key.id.as_str().to_owned())),
            editing,
            palette_filling: palette.is_some_and(palette::State::is_filling),
            hotkeys: vec![
                format!("palette={}", self.settings.palette_hotkey),
                format!("capture={}", self.settings.capture_hotkey),
            ],
            hotkey_problems: self.hotkey_problems.clone(),
            paste_method: match self.settings.paste {
                crate::cli::PasteMode::Auto => "auto".into(),
                crate::cli::PasteMode::CopyOnly => "copy-only".into(),
            },
            tray: self.tray.is_some(),
            theme: if self.theme() == Theme::Light { "light" } else { "dark" },
        };
        self.report.send_if_modified(|current| {
            let changed = *current != report;
            *current = report;
            changed
        });
    }

    fn route(&mut self, message: Message) -> Task<Message> {
        match message {
            Message::Ui(command) => self.on_command(command),
            Message::Status(status) => self.on_status(status),
            Message::ColorScheme(scheme) => {
                tracing::info!(?scheme, "the desktop's color scheme");
                self.color_scheme = scheme;
                Task::none()
            }
            Message::Recent(result) => {
                let Ok(rows) = result else { return Task::none() };
                self.recent = Some(rows);
                self.renew_hidden_palette()
            }
            Message::WindowClosed(id) => {
                self.windows.remove(&id);
                self.hidden_palette.take_if(|hidden| hidden.is(id));
                self.forget(id);
                Task::none()
            }
            Message::PaletteMade(id) => {
                if let Some(hidden) = &mut self.hidden_palette
                    && hidden.is(id)
                {
                    hidden.made();
                }
                Task::none()
            }
            Message::Settings(id, message) => self.on_settings(id, message),
            Message::SettingsSaved(id, outcome) => {
                if let Some(Screen::Settings(state)) = self.windows.get_mut(&id) {
                    state.saved(outcome);
                }
                Task::none()
            }
            Message::Palette(id, message) => {
                let task = self.on_palette(id, message);
                task.chain(self.preview(id))
            }
            Message::Chosen(id, key, found, how) => self.on_chosen(id, key, found, how),
            Message::Previewed(id, key, prompt) => {
                if let Some(state) = self.palette_state_mut(id) {
                    state.show_preview(key, &prompt.body);
                }
                Task::none()
            }
            Message::Library(id, message) => self.on_library(id, message),
            Message::Searched { window, query, result } => {
                match self.windows.get_mut(&window) {
                    Some(Screen::Palette(state)) => {
                        state.show_results(&query, result);
                        return self.preview(window);
                    }
                    Some(Screen::Library(state)) => state.show_results(&query, result),
                    Some(Screen::Settings(_)) | None => {}
                }
                Task::none()
            }
            Message::Opened(id, result) => {
                if let (Some(Screen::Library(state)), Ok(Some(prompt))) =
                    (self.windows.get_mut(&id), result)
                {
                    state.open(&prompt);
                }
                Task::none()
            }
            Message::Edited(id, result) => {
                if let Some(Screen::Library(state)) = self.windows.get_mut(&id) {
                    state.finished_edit(result);
                }
                Task::none()
            }
            Message::AccountChanged(window, Err(error)) => {
                tracing::warn!(%error, "the account did not change");
                let cancelled = error.contains("cancelled");
                if let Some(Screen::Library(state)) =
                    window.and_then(|id| self.windows.get_mut(&id))
                    && !cancelled
                {
                    state.account_request_failed(error);
                }
                Task::none()
            }
            Message::AccountChanged(_, Ok(())) => Task::none(),
            Message::Inserted(result) => self.on_inserted(result),
            Message::Captured(result) => {
                match result {
                    Ok(title) => tracing::info!(%title, "captured"),
                    Err(error) => tracing::warn!(%error, "capture saved nothing"),
                }
                Task::none()
            }
        }
    }

    fn on_command(&mut self, command: UiCommand) -> Task<Message> {
        match command {
            UiCommand::OpenPalette => self.open_palette(),
            UiCommand::OpenLibrary => self.open_library(),
            UiCommand::Capture(reply) => {
                let (runtime, desktop) = (self.runtime.clone(), self.desktop.clone());
                Task::perform(
                    async move {
                        let result = capture(runtime, desktop).await;
                        if let Some(reply) = reply {
                            let _ = reply.send(result.clone());
                        }
                        result
                    },
                    Message::Captured,
                )
            }
            UiCommand::SyncNow => {
                let runtime = self.runtime.clone();
                Task::future(async move {
                    if let Err(e) = runtime.sync_now().await {
                        tracing::warn!(error = %e, "sync now failed");
                    }
                })
                .discard()
            }
            UiCommand::Account => {
                let request = match status::account(&self.status) {
                    Account::SignedOut => account::Request::SignIn,
                    Account::SigningIn => account::Request::CancelSignIn,
                    Account::SignedIn => account::Request::SignOut,
                    Account::NotNeeded => return Task::none(),
                };
                self.change_account(None, request)
            }
            UiCommand::ApplySettings(settings) => {
                self.apply_settings(settings);
                self.show_settings_problems();
                self.publish_report();
                Task::none()
            }
            UiCommand::SettingsProblem(problem) => {
                self.settings_problem = problem;
                self.show_settings_problems();
                Task::none()
            }
            UiCommand::OpenSettings => self.open_settings(),
            UiCommand::Quit => iced::exit(),
        }
    }

    /// Registers the hotkeys again and switches the paste method.
    fn apply_settings(&mut self, settings: Settings) {
        if let Some(hotkeys) = &mut self.hotkeys {
            self.hotkey_problems =
                hotkeys.apply(&settings.palette_hotkey, &settings.capture_hotkey);
        }
        if let Ok(mut desktop) = self.desktop.lock() {
            desktop.set_paste_mode(settings.paste);
        }
        self.settings = settings;
    }

    /// Signs in (waiting for the browser), cancels, or signs out; a failure is shown in
    /// `window` if it asked, else logged.
    fn change_account(
        &self,
        window: Option<iced::window::Id>,
        request: account::Request,
    ) -> Task<Message> {
        let runtime = self.runtime.clone();
        Task::perform(
            async move {
                let outcome = match request {
                    account::Request::SignIn => match runtime.sign_in().await {
                        Ok(_) => runtime.wait_for_sign_in().await.map(drop),
                        Err(e) => Err(e),
                    },
                    account::Request::CancelSignIn => runtime.cancel_sign_in().await,
                    account::Request::SignOut => runtime.sign_out().await,
                };
                outcome.map_err(|e| e.to_string())
            },
            move |result| Message::AccountChanged(window, result),
        )
    }

    fn on_status(&mut self, status: RuntimeStatus) -> Task<Message> {
        let data_changed = status.data_version != self.status.data_version;
        self.status = status;
        if let Some(tray) = &mut self.tray {
            tray.show(&self.status);
        }
        let indicator = status::indicator(&self.status);
        let counts = status::counts(&self.status);
        let spaces = status::workspaces(&self.status);
        let mut refreshes = Vec::new();
        for (id, screen) in &mut self.windows {
            match screen {
                Screen::Palette(state) => {
                    state.set_indicator(indicator.clone());
                    state.set_workspaces(spaces.clone(), &self.status.active_space);
                    if data_changed {
                        refreshes.push(palette_search(&self.runtime, *id, state));
                    }
                }
                Screen::Library(state) => {
                    state.set_status(indicator.clone(), counts.clone());
                    state.set_workspaces(spaces.clone(), &self.status.active_space);
                    state.set_account(status::account(&self.status));
                    if data_changed {
                        let query = state.query();
                        refreshes.push(search(
                            &self.runtime,
                            *id,
                            query,
                            library::LIST_LIMIT,
                            Scope::Active,
                        ));
                    }
                }
                Screen::Settings(state) => state.set_account(status::account(&self.status)),
            }
        }
        if let Some(hidden) = &mut self.hidden_palette {
            hidden.state.set_indicator(indicator);
            hidden.state.set_workspaces(spaces, &self.status.active_space);
        }
        if data_changed {
            refreshes.push(self.refresh_recent());
        }
        Task::batch(refreshes)
    }

    /// Closes a window. It stops being the palette, library or settings window at once, so
    /// a request that comes while it is still closing (the hotkey pressed right after Esc)
    /// opens the palette afresh instead of focusing the one going away. The palette's window
    /// is hidden rather than closed where it can be, its state reset for the next opening.
    fn close(&mut self, id: iced::window::Id) -> Task<Message> {
        let palette = self.palette.is_some_and(|(p, _)| p == id);
        self.forget(id);
        if palette
            && self.hidden_palette.is_none()
            && let Some((hidden, hide)) = HiddenPalette::keep(id, self.new_palette())
        {
            self.windows.remove(&id);
            self.hidden_palette = Some(hidden);
            return hide.chain(self.preview(id));
        }
        iced::window::close(id)
    }

    fn forget(&mut self, id: iced::window::Id) {
        self.palette = self.palette.filter(|(p, _)| *p != id);
        self.library = self.library.filter(|l| *l != id);
        self.settings_window = self.settings_window.filter(|s| *s != id);
    }

    fn open_palette(&mut self) -> Task<Message> {
        if let Some((id, _)) = self.palette {
            return focus(id, palette::INPUT_ID);
        }
        let target = self.desktop.lock().ok().and_then(|d| d.focused());
        let (id, state, open) = match self.hidden_palette.take_if(|h| h.is_made()) {
            Some(hidden) => hidden.show(),
            None => {
                let (id, open) = iced::window::open(window::palette());
                (id, self.new_palette(), open.discard())
            }
        };
        let refresh = palette_search(&self.runtime, id, &state);
        self.windows.insert(id, Screen::Palette(state));
        self.palette = Some((id, target));
        let desktop = self.desktop.clone();
        let take_focus = iced::window::raw_id::<Message>(id).then(move |raw| {
            let desktop = desktop.clone();
            Task::future(tokio::task::spawn_blocking(move || {
                if let Ok(desktop) = desktop.lock() {
                    desktop.take_focus(raw);
                }
            }))
            .discard()
        });
        open.chain(focus(id, palette::INPUT_ID)).chain(take_focus).chain(refresh)
    }

    /// A palette as it opens: the best prompts for an empty query, the sync state, the
    /// workspaces.
    fn new_palette(&self) -> palette::State {
        let mut state = palette::State::new(self.recent.clone(), status::indicator(&self.status));
        state.set_workspaces(status::workspaces(&self.status), &self.status.active_space);
        state
    }

    /// Makes the palette's window, hidden, before it is first asked for.
    fn prepare_palette(&mut self) -> Task<Message> {
        let Some((hidden, made)) = HiddenPalette::make(self.new_palette()) else {
            return Task::none();
        };
        self.hidden_palette = Some(hidden);
        made.map(Message::PaletteMade)
    }

    /// The hidden palette starts again from the freshest first page.
    fn renew_hidden_palette(&mut self) -> Task<Message> {
        let fresh = self.new_palette();
        let Some(hidden) = &mut self.hidden_palette else { return Task::none() };
        hidden.state = fresh;
        let id = hidden.id;
        self.preview(id)
    }

    /// The palette in `window`, shown or hidden.
    fn palette_state(&self, window: iced::window::Id) -> Option<&palette::State> {
        match (self.windows.get(&window), &self.hidden_palette) {
            (Some(Screen::Palette(state)), _) => Some(state),
            (None, Some(hidden)) if hidden.is(window) => Some(&hidden.state),
            _ => None,
        }
    }

    fn palette_state_mut(&mut self, window: iced::window::Id) -> Option<&mut palette::State> {
        match (self.windows.get_mut(&window), &mut self.hidden_palette) {
            (Some(Screen::Palette(state)), _) => Some(state),
            (None, Some(hidden)) if hidden.is(window) => Some(&mut hidden.state),
            _ => None,
        }
    }

    fn open_settings(&mut self) -> Task<Message> {
        if let Some(id) = self.settings_window {
            return iced::window::gain_focus(id);
        }
        let form = preferences::form(&self.settings, &self.settings_file);
        let state = settings_view::State::new(form, status::account(&self.status));
        let (id, open) = iced::window::open(window::settings());
        self.windows.insert(id, Screen::Settings(state));
        self.settings_window = Some(id);
        self.show_settings_problems();
        open.discard().chain(focus(id, settings_view::PALETTE_HOTKEY_ID))
    }

    /// The settings window lists what is not working in the settings in force.
    fn show_settings_problems(&mut self) {
        let mut problems = self.hotkey_problems.clone();
        problems.extend(self.settings_problem.iter().map(|p| format!("settings.toml: {p}")));
        for screen in self.windows.values_mut() {
            if let Screen::Settings(state) = screen {
                state.set_problems(problems.clone());
            }
        }
    }

    fn on_settings(
        &mut self,
        id: iced::window::Id,
        message: settings_view::Message,
    ) -> Task<Message> {
        let Some(Screen::Settings(state)) = self.windows.get_mut(&id) else { return Task::none() };
        match state.update(message) {
            settings_view::Action::None => Task::none(),
            settings_view::Action::Close => self.close(id),
            settings_view::Action::Account(request) => self.change_account(Some(id), request),
            settings_view::Action::Save(form) => {
                let file = self.settings_file.clone();
                Task::perform(
                    async move {
                        tokio::task::spawn_blocking(move || preferences::save(&file, &form))
                            .await
                            .unwrap_or_else(|e| Err(e.to_string()))
                    },
                    move |outcome| Message::SettingsSaved(id, outcome),
                )
            }
        }
    }

    fn open_library(&mut self) -> Task<Message> {
        if let Some(id) = self.library {
            return focus(id, library::SEARCH_ID);
        }
        let mut state = library::State::new(None, status::indicator(&self.status));
        state.set_status(status::indicator(&self.status), status::counts(&self.status));
        state.set_account(status::account(&self.status));
        state.set_workspaces(status::workspaces(&self.status), &self.status.active_space);
        let (id, open) = iced::window::open(window::library());
        self.windows.insert(id, Screen::Library(state));
        self.library = Some(id);
        let load = search(&self.runtime, id, "", library::LIST_LIMIT, Scope::Active);
        open.discard().chain(focus(id, library::SEARCH_ID)).chain(load)
    }

    fn on_palette(&mut self, id: iced::window::Id, message: palette::Message) -> Task<Message> {
        let Some(Screen::Palette(state)) = self.windows.get_mut(&id) else { return Task::none() };
        match state.update(message) {
            palette::Action::None => Task::none(),
            palette::Action::Search(_) => palette_search(&self.runtime, id, state),
            palette::Action::Rescope(scope, _) => {
                if let palette::Scope::Workspace(space) = &scope
                    && let Err(e) = self.runtime.switch_to(space)
                {
                    state.set_notice(Some(e.to_string()));
                }
                palette_search(&self.runtime, id, state)
            }
            palette::Action::Close => self.close(id),
            palette::Action::Insert(prompt) => self.choose(id, prompt, Delivery::Paste),
            palette::Action::Copy(prompt) => self.choose(id, prompt, Delivery::Copy),
            palette::Action::Deliver { prompt, values, copy } => {
                let how = if copy { Delivery::Copy } else { Delivery::Paste };
                self.insert(id, prompt, how, values.into_iter().collect())
            }
            palette::Action::Focus(widget) => operation::focus(widget),
            palette::Action::TogglePin(prompt) => {
                let runtime = self.runtime.in_space(&prompt.space);
                Task::future(async move {
                    if let Err(e) = toggle_pin(&runtime, &prompt.id).await {
                        tracing::warn!(error = %e, "the pin did not change");
                    }
                })
                .discard()
            }
            palette::Action::Edit(prompt) => self.edit(id, prompt),
        }
    }

    /// Fetches the chosen prompt, to see whether it has fields to ask for.
    fn choose(&self, id: iced::window::Id, prompt: PromptKey, how: Delivery) -> Task<Message> {
        let runtime = self.runtime.in_space(&prompt.space);
        Task::perform(
            async move {
                let found = runtime.get(&prompt.id).await.map_err(|e| e.to_string());
                (prompt, found)
            },
            move |(prompt, found)| Message::Chosen(id, prompt, found, how),
        )
    }

    /// A prompt with named fields asks for them in the palette; any other is inserted now.
    fn on_chosen(
        &mut self,
        id: iced::window::Id,
        key: PromptKey,
        found: Result<Option<Arc<Prompt>>, String>,
        how: Delivery,
    ) -> Task<Message> {
        let Some(Screen::Palette(state)) = self.windows.get_mut(&id) else { return Task::none() };
        let prompt = match found {
            Ok(Some(prompt)) => prompt,
            Ok(None) => {
                state.set_notice(Some("That prompt was deleted meanwhile.".into()));
                return Task::none();
            }
            Err(error) => {
                state.set_notice(Some(error));
                return Task::none();
            }
        };
        match Template::parse(&prompt.body) {
            Ok(template) if !template.fields().is_empty() => {
                let fields = template.fields().to_vec();
                let copy = how == Delivery::Copy;
                let first = state.fill_in(key, &prompt.title, fields, copy);
                operation::focus(first)
            }
            _ => self.insert(id, key, how, HashMap::new()),
        }
    }

    /// Where paste works (or only a copy was asked for), the palette closes first so focus
    /// can go back; where it cannot, the palette stays open to say the prompt is on the
    /// clipboard.
    fn insert(
        &mut self,
        id: iced::window::Id,
        prompt: PromptKey,
        how: Delivery,
        fields: HashMap<String, String>,
    ) -> Task<Message> {
        let target = match how {
            Delivery::Paste => self.palette.and_then(|(_, t)| t),
            Delivery::Copy => None,
        };
        let can_paste = self.desktop.lock().ok().is_some_and(|d| d.paste_unavailable().is_none());
        let (runtime, desktop) = (self.runtime.in_space(&prompt.space), self.desktop.clone());
        let insertion = Task::perform(
            insert_prompt(runtime, desktop, prompt.id, fields, target, how),
            Message::Inserted,
        );
        if can_paste || how == Delivery::Copy { self.close(id).chain(insertion) } else { insertion }
    }

    /// Fetches the palette's selected prompt when its preview does not show it yet.
    fn preview(&self, id: iced::window::Id) -> Task<Message> {
        let Some(state) = self.palette_state(id) else { return Task::none() };
        let Some(wanted) = state.wants_preview() else { return Task::none() };
        let runtime = self.runtime.in_space(&wanted.space);
        // A prompt deleted meanwhile keeps its one-line preview.
        Task::future(async move {
            let found = runtime.get(&wanted.id).await.ok().flatten();
            found.map(|prompt| Message::Previewed(id, wanted, prompt))
        })
        .and_then(Task::done)
    }

    /// Closes the palette and opens the prompt in the library's editor, in its workspace.
    fn edit(&mut self, palette: iced::window::Id, prompt: PromptKey) -> Task<Message> {
        if !prompt.space.is_empty()
            && let Err(e) = self.runtime.switch_to(&prompt.space)
        {
            tracing::warn!(error = %e, "the prompt's workspace is gone");
            return Task::none();
        }
        let open = self.open_library();
        let Some(library) = self.library else { return open };
        // As if the prompt were clicked in the list: the library selects it and loads it.
        let select = self.on_library(library, library::Message::Select(prompt.id));
        self.close(palette).chain(open).chain(select)
    }

    fn on_inserted(&mut self, result: Result<Inserted, String>) -> Task<Message> {
        let notice = match result {
            Ok(Inserted::Pasted | Inserted::Copied) => return Task::none(),
            Ok(Inserted::OnClipboard { reason }) => {
                format!("Copied to the clipboard; paste it with Ctrl+V ({reason}).")
            }
            Err(error) => format!("Could not insert: {error}"),
        };
        tracing::warn!(%notice, "insertion did not paste");
        if let Some((id, _)) = self.palette
            && let Some(Screen::Palette(state)) = self.windows.get_mut(&id)
        {
            state.set_notice(Some(notice));
        }
        Task::none()
    }

    fn on_library(&mut self, id: iced::window::Id, message: library::Message) -> Task<Message> {
        let Some(Screen::Library(state)) = self.windows.get_mut(&id) else { return Task::none() };
        let runtime = self.runtime.clone();
        let action = state.update(message);
        let space = state.editor_space().to_owned();
        match action {
            library::Action::None => Task::none(),
            library::Action::Search(query) => {
                search(&runtime, id, &query, library::LIST_LIMIT, Scope::Active)
            }
            library::Action::Open(prompt) => Task::perform(
                async move { runtime.get(&prompt).await.map_err(|e| e.to_string()) },
                move |result| Message::Opened(id, result),
            ),
            library::Action::Save(draft) => {
                let runtime = runtime.in_space(&space);
                Task::perform(save(runtime, draft), move |result| Message::Edited(id, result))
            }
            library::Action::SwitchWorkspace(space) => {
                if let Err(e) = runtime.switch_to(&space) {
                    tracing::warn!(error = %e, "the workspace did not switch");
                }
                Task::none()
            }
            library::Action::Close => self.close(id),
            library::Action::Account(request) => self.change_account(Some(id), request),
            library::Action::Delete(prompt) => Task::perform(
                async move {
                    let runtime = runtime.in_space(&space);
                    runtime.delete(&prompt).await.map(drop).map_err(|e| e.to_string())
                },
                move |result| Message::Edited(id, result),
            ),
        }
    }

    fn refresh_recent(&self) -> Task<Message> {
        let runtime = self.runtime.clone();
        Task::perform(
            async move {
                let hits = runtime.search(&Origin("recent".into()), "", PALETTE_ROWS).await;
                hits.map(summaries).map_err(|e| e.to_string())
            },
            Message::Recent,
        )
    }
}

fn focus(id: iced::window::Id, input: &'static str) -> Task<Message> {
    iced::window::gain_focus(id).chain(operation::focus(input))
}

fn summaries(hits: Vec<SearchHit>) -> Vec<PromptSummary> {
    hits.into_iter().map(|h| h.prompt).collect()
}

/// The palette's search, in the workspace it shows or in all of them.
fn palette_search(
    runtime: &RuntimeHandle,
    window: iced::window::Id,
    state: &palette::State,
) -> Task<Message> {
    let scope = match state.scope() {
        palette::Scope::All => Scope::All,
        palette::Scope::Workspace(space) if space.is_empty() => Scope::Active,
        palette::Scope::Workspace(space) => Scope::Space(space),
    };
    search(runtime, window, state.query(), PALETTE_ROWS, scope)
}

/// Runs a window's search; an answer superseded by a newer keystroke produces no message.
fn search(
    runtime: &RuntimeHandle,
    window: iced::window::Id,
    query: &str,
    limit: usize,
    scope: Scope,
) -> Task<Message> {
    let (runtime, query) = (runtime.clone(), query.to_owned());
    let origin = Origin(format!("{window:?}"));
    Task::future(async move {
        match runtime.search_in(&origin, &query, limit, scope).await {
            Err(RequestError::Superseded) => None,
            result => Some(Message::Searched {
                window,
                query,
                result: result.map(summaries).map_err(|e| e.to_string()),
            }),
        }
    })
    .and_then(Task::done)
}

async fn save(runtime: RuntimeHandle, draft: editor::Draft) -> Result<(), String> {
    let editor::Draft { id, title, body, tags } = draft;
    let prompt = PromptDraft { title, body, tags };
    let saved = match id {
        Some(id) => runtime.update(&id, prompt).await,
        None => runtime.create(prompt).await,
    };
    saved.map(drop).map_err(|e| e.to_string())
}

/// How a chosen prompt reaches the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Pasted into the window that had focus (Enter).
    Paste,
    /// Left on the clipboard (Ctrl+Enter).
    Copy,
}

async fn insert_prompt(
    runtime: RuntimeHandle,
    desktop: Arc<Mutex<Desktop>>,
    id: PromptId,
    fields: HashMap<String, String>,
    target: Option<Target>,
    how: Delivery,
) -> Result<Inserted, String> {
    let prompt = runtime
        .get(&id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the prompt was deleted meanwhile")?;
    let inserted = tokio::task::spawn_blocking(move || {
        let mut desktop = desktop.lock().map_err(|_| "the desktop is unavailable".to_owned())?;
        match how {
            Delivery::Paste => desktop.insert(&prompt.body, &fields, target),
            Delivery::Copy => desktop.copy(&prompt.body, &fields),
        }
    })
    .await
    .map_err(|e| e.to_string())??;
    if let Err(e) = runtime.mark_used(&id).await {
        tracing::warn!(error = %e, "could not record the use");
    }
    Ok(inserted)
}

/// Adds or removes the prompt's `pinned` tag; the palette re-sorts when the change lands.
async fn toggle_pin(runtime: &RuntimeHandle, id: &PromptId) -> Result<(), String> {
    let prompt = runtime.get(id).await.map_err(|e| e.to_string())?.ok_or("deleted meanwhile")?;
    let mut tags = prompt.tags.clone();
    match tags.iter().position(|t| t == PINNED_TAG) {
        Some(at) => drop(tags.remove(at)),
        None => tags.push(PINNED_TAG.to_owned()),
    }
    let draft = PromptDraft { title: prompt.title.clone(), body: prompt.body.clone(), tags };
    runtime.update(id, draft).await.map(drop).map_err(|e| e.to_string())
}

async fn capture(runtime: RuntimeHandle, desktop: Arc<Mutex<Desktop>>) -> Result<String, String> {
    let draft = tokio::task::spawn_blocking(move || {
        desktop
            .lock()
            .map_err(|_| "the desktop is unavailable".to_owned())?
            .capture()
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())??;
    let title = draft.title.clone();
    runtime.create(draft).await.map_err(|e| e.to_string())?;
    let shown = title.clone();
    // The bus call blocks; the capture is saved and answered regardless of how it goes.
    tokio::task::spawn_blocking(move || notify::saved(&shown));
    Ok(title)
}

fn commands(mut rx: UnboundedReceiver<UiCommand>) -> impl Stream<Item = UiCommand> {
    stream::poll_fn(move |cx| rx.poll_recv(cx))
}

fn status_changes(
    rx: tokio::sync::watch::Receiver<RuntimeStatus>,
) -> impl Stream<Item = RuntimeStatus> {
    stream::unfold(rx, |mut rx| async move {
        rx.changed().await.ok()?;
        let status = rx.borrow_and_update().clone();
        Some((status, rx))
    })
}
