//! The iced daemon: routes messages between the open windows, the runtime and the desktop.
//! It holds the windows in one map, turns what screens ask for into requests, and draws
//! nothing itself. It runs with no window open; closing a window never stops the runtime.
//!
//! Each kind of window has its own file of handlers (`palette_window`, `library_window`,
//! `settings_window`); what they ask of the runtime is in `requests`, what `status --json`
//! shows of them in `report`.

mod first_page;
mod library_window;
mod palette_surface;
mod palette_window;
mod preferences;
pub mod report;
mod requests;
mod settings_window;
mod status;
mod window_settings;
mod windows;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use iced::futures::{Stream, stream};
use iced::widget::{operation, space};
use iced::{Element, Subscription, Task, Theme, window};
use promptdeck_actors::{FieldValues, RequestError, RuntimeHandle, RuntimeStatus};
use promptdeck_protocol::{Prompt, PromptId, PromptKey, PromptSummary};
use promptdeck_views::history as history_view;
use promptdeck_views::settings::Appearance;
use promptdeck_views::{account, library, palette, settings as settings_view};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::watch;

use crate::command::{CaptureFailed, UiCommand};
use crate::desktop::{ColorScheme, Desktop, EventSink, Inserted, SurfaceEvent};
use crate::settings::{DesktopSettings, SettingsError};
use preferences::SavingFailed;
use report::{Beside, UiReport};
use requests::InsertFailed;
use windows::{Window, Windows};

pub use palette_surface::SurfaceHost;

/// What the windows start with, besides the runtime.
pub struct Start {
    pub ui_tx: UnboundedSender<UiCommand>,
    pub ui_rx: UnboundedReceiver<UiCommand>,
    /// Opens the library window at once (the first start of a profile).
    pub first_start: bool,
    pub settings: DesktopSettings,
    pub settings_file: PathBuf,
    /// Where the desktop's grant to type is kept (see `Profile::desktop_grant_path`).
    pub grant_file: PathBuf,
    pub report: watch::Sender<Option<UiReport>>,
}

/// Runs the windows on this (the main) thread until Quit.
pub fn run(runtime: RuntimeHandle, start: Start) -> anyhow::Result<()> {
    let booted = Mutex::new(Some(Promptdeck::new(runtime, start)));
    iced::daemon(
        move || booted.lock().ok().and_then(|mut b| b.take()).expect("the daemon boots once"),
        Promptdeck::update,
        Promptdeck::view,
    )
    .title(Promptdeck::title)
    .theme(|app: &Promptdeck, _| app.theme())
    .subscription(Promptdeck::subscription)
    .run()?;
    Ok(())
}

struct Promptdeck {
    runtime: RuntimeHandle,
    desktop: Desktop,
    settings: DesktopSettings,
    /// Hotkeys that could not be registered, and why.
    hotkey_problems: Vec<String>,
    settings_file: PathBuf,
    /// Why the last edit of settings.toml was not applied.
    settings_problem: Option<SettingsError>,
    status: RuntimeStatus,
    /// The palette's first frame: the best prompts for an empty query, kept fresh.
    first_page: first_page::FirstPage,
    windows: Windows,
    report: watch::Sender<Option<UiReport>>,
    /// What the desktop prefers, for the "system" theme.
    color_scheme: ColorScheme,
    /// Where the palette was when it last closed, and when.
    last_search: Option<(palette::LastSearch, std::time::Instant)>,
    /// The palette on the desktop's own surface, where it offers one that can be kept.
    surface_palette: Option<palette_surface::SurfacePalette>,
}

#[derive(Debug)]
enum Message {
    /// A command from the control socket, the tray or a hotkey.
    Command(UiCommand),
    /// The runtime's status changed.
    Status(RuntimeStatus),
    /// The desktop's light or dark preference, at start and on every change.
    ColorScheme(ColorScheme),
    /// The palette's first page came (see `first_page`).
    FirstPage(Result<Vec<PromptSummary>, RequestError>),
    /// The palette's selected prompt in full, for its preview.
    Previewed(window::Id, PromptKey, Arc<Prompt>),
    /// The prompt chosen in the palette, in full, to insert or (`copy`) to copy, with the
    /// values last typed into its fields.
    Chosen {
        window: window::Id,
        key: PromptKey,
        found: Result<Option<Arc<Prompt>>, RequestError>,
        recent: FieldValues,
        copy: bool,
    },
    /// A window was closed by the user or by us.
    WindowClosed(window::Id),
    /// The hidden palette's window exists.
    PaletteMade(window::Id),
    /// The palette was asked for while this one was on screen; the window events that came
    /// before the request (an Escape pressed just before the hotkey) are handled by now.
    PaletteAskedAgain(window::Id),
    /// Something happened in a palette.
    Palette(window::Id, palette::Message),
    /// The palette's own surface heard something.
    Surface(SurfaceEvent),
    /// The clipboard's text, read for a paste into the palette on its own surface.
    SurfacePasted(Option<String>),
    /// Something happened in the library window.
    Library(window::Id, library::Message),
    /// Something happened in the settings window.
    Settings(window::Id, settings_view::Message),
    /// The settings window's save went through, or why not.
    SettingsSaved(window::Id, Result<String, SavingFailed>),
    /// A window's search was answered (superseded searches never arrive).
    Searched { window: window::Id, query: String, result: Result<Vec<PromptSummary>, RequestError> },
    /// A prompt the library asked to edit.
    Opened(window::Id, Result<Option<Arc<Prompt>>, RequestError>),
    /// A save or delete from the library finished.
    Edited(window::Id, Result<(), RequestError>),
    /// The versions of a prompt the library asked for.
    HistoryListed(window::Id, PromptId, Result<Vec<history_view::Version>, String>),
    /// The prompts deleted lately the library asked for.
    DeletedListed(window::Id, Result<Vec<library::DeletedPrompt>, String>),
    /// A version the library asked for was made current, or a deleted prompt brought back.
    Restored(window::Id, PromptId, Result<(), String>),
    /// A sign-in or sign-out asked for in a window (or the tray, `None`) ended.
    AccountChanged(Option<window::Id>, Result<(), RequestError>),
    /// An insertion finished.
    Inserted(Result<Inserted, InsertFailed>),
    /// A capture finished with the saved title, or why nothing was saved.
    Captured(Result<String, CaptureFailed>),
}

impl Promptdeck {
    /// The app as it starts, and what it does first: listen to the socket, the runtime and
    /// the desktop, list the palette's first page, make the palette's window.
    fn new(runtime: RuntimeHandle, start: Start) -> (Self, Task<Message>) {
        let Start { ui_tx, ui_rx, first_start, settings, settings_file, grant_file, report } =
            start;
        let events: EventSink = Arc::new(move |event| drop(ui_tx.send(UiCommand::from(event))));
        let desktop = Desktop::start(events, grant_file);
        let statuses = runtime.subscribe();
        let color_schemes = desktop.color_schemes();
        let mut app = Self {
            status: runtime.status(),
            runtime,
            desktop,
            settings: settings.clone(),
            hotkey_problems: Vec::new(),
            settings_file,
            settings_problem: None,
            first_page: first_page::FirstPage::default(),
            windows: Windows::default(),
            report,
            color_scheme: ColorScheme::NoPreference,
            last_search: None,
            surface_palette: None,
        };
        app.apply_settings(settings);
        app.desktop.show_tray(&status::tray(&app.status));
        let mut tasks = vec![
            Task::run(commands(ui_rx), Message::Command),
            Task::run(status_changes(statuses), Message::Status),
            Task::run(color_schemes, Message::ColorScheme),
            app.ask_first_page(),
        ];
        if first_start {
            tasks.push(app.open_library());
        }
        if let Some((surface, events)) = app.desktop.take_palette_surface() {
            app.surface_palette = Some(palette_surface::SurfacePalette::new(surface));
            tasks.push(Task::run(events, Message::Surface));
        }
        tasks.push(app.prepare_palette());
        tasks.push(give_back_start_up_memory());
        app.publish_report();
        (app, Task::batch(tasks))
    }

    fn title(&self, window: window::Id) -> String {
        match self.windows.get(window) {
            Some(Window::Palette(_)) => window_settings::PALETTE_TITLE.into(),
            Some(Window::Settings(_)) => window_settings::SETTINGS_TITLE.into(),
            Some(Window::Library(_)) | None => window_settings::LIBRARY_TITLE.into(),
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
        window::close_events().map(Message::WindowClosed)
    }

    fn view(&self, window: window::Id) -> Element<'_, Message> {
        match self.windows.get(window) {
            Some(Window::Palette(palette)) => {
                palette.state.view().map(move |m| Message::Palette(window, m))
            }
            Some(Window::Library(state)) => state.view().map(move |m| Message::Library(window, m)),
            Some(Window::Settings(state)) => {
                state.view().map(move |m| Message::Settings(window, m))
            }
            None => space().into(),
        }
    }

    fn update(&mut self, message: Message) -> Task<Message> {
        let task = self.route(message);
        self.redraw_surface_palette();
        self.publish_report();
        task
    }

    fn route(&mut self, message: Message) -> Task<Message> {
        match message {
            Message::Command(command) => self.command(command),
            Message::Status(status) => self.status_changed(status),
            Message::ColorScheme(scheme) => self.color_scheme_changed(scheme),
            Message::FirstPage(result) => self.first_page_listed(result),
            Message::WindowClosed(id) => self.window_closed(id),
            Message::PaletteMade(id) => self.palette_made(id),
            Message::PaletteAskedAgain(id) => self.palette_asked_again(id),
            Message::Palette(id, message) => self.palette_message(id, message),
            Message::Surface(event) => self.surface_event(event),
            Message::SurfacePasted(text) => self.surface_pasted(text),
            Message::Previewed(id, key, prompt) => self.previewed(id, key, &prompt),
            Message::Chosen { window, key, found, recent, copy } => {
                self.chosen(window, key, found, &recent, copy)
            }
            Message::Inserted(result) => self.inserted(result),
            Message::Library(id, message) => self.library_message(id, message),
            Message::Opened(id, result) => self.opened(id, result),
            Message::Edited(id, result) => self.edited(id, result),
            Message::HistoryListed(id, prompt, versions) => {
                self.history_listed(id, &prompt, versions)
            }
            Message::DeletedListed(id, deleted) => self.deleted_listed(id, deleted),
            Message::Restored(id, prompt, result) => self.restored(id, prompt, result),
            Message::Searched { window, query, result } => self.searched(window, &query, result),
            Message::Settings(id, message) => self.settings_message(id, message),
            Message::SettingsSaved(id, outcome) => self.settings_saved(id, outcome),
            Message::AccountChanged(window, result) => self.account_changed(window, result),
            Message::Captured(result) => captured(result),
        }
    }

    fn command(&mut self, command: UiCommand) -> Task<Message> {
        match command {
            UiCommand::OpenPalette => self.open_palette(),
            UiCommand::OpenLibrary => self.open_library(),
            UiCommand::OpenSettings => self.open_settings(),
            UiCommand::Capture(reply) => requests::capture(&self.runtime, &self.desktop, reply),
            UiCommand::SyncNow => requests::sync_now(&self.runtime),
            UiCommand::Account => self.tray_account(),
            UiCommand::ApplySettings(settings) => self.settings_applied(settings),
            UiCommand::SettingsProblem(problem) => self.settings_problem_changed(problem),
            UiCommand::HotkeysRefused(problem) => self.hotkeys_refused(problem),
            UiCommand::PasteRefused(problem) => self.paste_refused(problem),
            UiCommand::Quit => iced::exit(),
        }
    }

    fn publish_report(&self) {
        let beside = Beside {
            settings: &self.settings,
            hotkey_problems: &self.hotkey_problems,
            hotkeys_by: self.desktop.hotkeys_way(),
            tray: self.desktop.has_tray(),
            window_system: self.desktop.window_system().name(),
            palette_on: if self.surface_palette.is_some() { "surface" } else { "window" },
            palette_keyboard: self.surface_palette.as_ref().map(|s| s.host.has_keyboard()),
            desktop_limits: self.desktop.limits(),
            light: self.theme() == Theme::Light,
        };
        let report = Some(UiReport::of(&self.windows, beside));
        self.report.send_if_modified(|current| {
            let changed = *current != report;
            *current = report;
            changed
        });
    }

    /// Registers the hotkeys again; the paste method and theme are read where they are used.
    fn apply_settings(&mut self, settings: DesktopSettings) {
        self.hotkey_problems =
            self.desktop.bind_hotkeys(&settings.palette_hotkey, &settings.capture_hotkey);
        self.settings = settings;
    }

    fn color_scheme_changed(&mut self, scheme: ColorScheme) -> Task<Message> {
        tracing::info!(?scheme, "the desktop's color scheme");
        self.color_scheme = scheme;
        Task::none()
    }

    /// Every window and the tray show the new status; a change of data refreshes lists.
    fn status_changed(&mut self, status: RuntimeStatus) -> Task<Message> {
        let data_changed = status.data_version != self.status.data_version;
        self.status = status;
        self.desktop.show_tray(&status::tray(&self.status));
        let indicator = status::indicator(&self.status);
        let counts = status::counts(&self.status);
        let spaces = status::workspaces(&self.status);
        let account = status::account(&self.status);
        let active = self.status.active_space.clone();
        let mut actions = Vec::new();
        for (id, window) in self.windows.iter_mut() {
            match window {
                Window::Palette(palette) => {
                    palette.state.set_indicator(indicator.clone());
                    palette.state.set_workspaces(spaces.clone(), &active);
                    if data_changed && palette.is_shown() {
                        actions.push((id, Refresh::Palette(palette.state.data_changed())));
                    }
                }
                Window::Library(state) => {
                    state.set_status(indicator.clone(), counts.clone());
                    state.set_workspaces(spaces.clone(), &active);
                    state.set_account(account);
                    if data_changed {
                        actions.push((id, Refresh::Library(state.data_changed())));
                    }
                }
                Window::Settings(state) => state.set_account(account),
            }
        }
        let mut tasks: Vec<Task<Message>> = actions
            .into_iter()
            .map(|(id, refresh)| match refresh {
                Refresh::Palette(action) => self.palette_action(id, action),
                Refresh::Library(action) => self.library_action(id, action),
            })
            .collect();
        if data_changed {
            tasks.push(self.ask_first_page());
        }
        Task::batch(tasks)
    }

    fn tray_account(&self) -> Task<Message> {
        let request = match status::account(&self.status) {
            promptdeck_views::Account::SignedOut => account::Request::SignIn,
            promptdeck_views::Account::SigningIn => account::Request::CancelSignIn,
            promptdeck_views::Account::SignedIn => account::Request::SignOut,
            promptdeck_views::Account::NotNeeded => return Task::none(),
        };
        requests::change_account(&self.runtime, None, request)
    }

    /// A sign-in or sign-out failed: the window that asked says why, unless the user
    /// cancelled it themselves.
    fn account_changed(
        &mut self,
        window: Option<window::Id>,
        result: Result<(), RequestError>,
    ) -> Task<Message> {
        let Err(error) = result else { return Task::none() };
        tracing::warn!(%error, "the account did not change");
        if error == RequestError::Cancelled {
            return Task::none();
        }
        if let Some(state) = window.and_then(|id| self.windows.library_mut(id)) {
            state.account_request_failed(error.to_string());
        }
        Task::none()
    }

    /// A window's search answer, to whichever window asked.
    fn searched(
        &mut self,
        window: window::Id,
        query: &str,
        result: Result<Vec<PromptSummary>, RequestError>,
    ) -> Task<Message> {
        let result = result.map_err(|e| e.to_string());
        if let Some(palette) = self.windows.palette_mut(window) {
            let action = palette.state.show_results(query, result);
            return self.palette_action(window, action);
        }
        if let Some(state) = self.windows.library_mut(window) {
            state.show_results(query, result);
        }
        Task::none()
    }

    /// Closes a window; the palette's is hidden instead where windows can hide.
    fn close(&mut self, id: window::Id) -> Task<Message> {
        match self.windows.remove(id) {
            Some(Window::Palette(palette)) => self.keep_palette(id, &palette),
            _ => window::close(id),
        }
    }

    fn window_closed(&mut self, id: window::Id) -> Task<Message> {
        self.windows.remove(id);
        Task::none()
    }
}

/// A window's answer to a change of data.
enum Refresh {
    Palette(palette::Action),
    Library(library::Action),
}

fn captured(result: Result<String, CaptureFailed>) -> Task<Message> {
    match result {
        Ok(title) => tracing::info!(%title, "captured"),
        Err(error) => tracing::warn!(%error, "capture saved nothing"),
    }
    Task::none()
}

fn focus(id: window::Id, input: &'static str) -> Task<Message> {
    window::gain_focus(id).chain(operation::focus(input))
}

fn commands(mut rx: UnboundedReceiver<UiCommand>) -> impl Stream<Item = UiCommand> {
    stream::poll_fn(move |cx| rx.poll_recv(cx))
}

fn status_changes(rx: watch::Receiver<RuntimeStatus>) -> impl Stream<Item = RuntimeStatus> {
    stream::unfold(rx, |mut rx| async move {
        rx.changed().await.ok()?;
        let status = rx.borrow_and_update().clone();
        Some((status, rx))
    })
}

/// How long after start the app's windows are taken to have settled: fonts loaded, the
/// hidden palette made and its first frame drawn (within a few hundred milliseconds of
/// start on this machine, at any library size).
const START_SETTLES: std::time::Duration = std::time::Duration::from_secs(2);

/// Gives back to the system what the windows' start freed (fonts read and parsed, the
/// first frames' scratch): the allocator otherwise keeps it for the life of the app.
fn give_back_start_up_memory() -> Task<Message> {
    Task::future(async {
        tokio::time::sleep(START_SETTLES).await;
        // Off the UI thread: it walks every arena of the allocator.
        let _ = tokio::task::spawn_blocking(promptdeck_actors::give_back_freed).await;
    })
    .discard()
}
