//! The settings window: hotkeys, paste method, theme, learning, launch at login, the sync server and
//! the account. Saving writes `settings.toml`; the app applies it from there, so the window
//! and a hand edit of the file take the same road.

use iced::widget::{button, column, container, row, space, text, text_input};
use iced::{Element, Length};

use iced::keyboard::Key;
use iced::keyboard::key::Named;

use crate::widget::keys::on_keys;
use crate::{Account, account, theme};

pub const PALETTE_HOTKEY_ID: &str = "settings-palette-hotkey";

/// What the form holds: everything the window can change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub palette_hotkey: String,
    pub capture_hotkey: String,
    pub copy_only: bool,
    pub theme: Appearance,
    /// The palette learns which prompt is picked for what is typed.
    pub learn: bool,
    /// Seconds within which a palette opened again shows its last search; 0: never.
    pub remember_search: u64,
    pub launch_at_login: bool,
    /// Empty: the library stays on this device.
    pub server: String,
    pub space: String,
    /// The user accepts plain HTTP to a server on another machine.
    pub allow_unencrypted_http: bool,
}

/// As a profile starts: the default hotkeys are the app's to say, so empty here.
impl Default for Form {
    fn default() -> Self {
        Self {
            palette_hotkey: String::new(),
            capture_hotkey: String::new(),
            copy_only: false,
            theme: Appearance::default(),
            learn: true,
            remember_search: 0,
            launch_at_login: false,
            server: String::new(),
            space: String::new(),
            allow_unencrypted_http: false,
        }
    }
}

/// The theme the windows use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Appearance {
    Dark,
    Light,
    /// Whatever the desktop prefers (dark when it says nothing).
    #[default]
    System,
}

pub struct State {
    form: Form,
    saved: Form,
    account: Account,
    /// Why the settings in force are not all working (a hotkey taken, a bad file).
    problems: Vec<String>,
    /// The outcome of the last save, until the form changes.
    note: Option<Result<String, String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    PaletteHotkey(String),
    CaptureHotkey(String),
    CopyOnly(bool),
    Theme(Appearance),
    Learn(bool),
    RememberSearch(u64),
    LaunchAtLogin(bool),
    Server(String),
    Space(String),
    AllowUnencryptedHttp(bool),
    Account(account::Request),
    Save,
    Revert,
    Close,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    None,
    Save(Form),
    Account(account::Request),
    Close,
}

impl State {
    pub fn new(form: Form, account: Account) -> Self {
        Self { saved: form.clone(), form, account, problems: Vec::new(), note: None }
    }

    pub fn form(&self) -> &Form {
        &self.form
    }

    pub fn update(&mut self, message: Message) -> Action {
        let form = &mut self.form;
        match message {
            Message::PaletteHotkey(keys) => form.palette_hotkey = keys,
            Message::CaptureHotkey(keys) => form.capture_hotkey = keys,
            Message::CopyOnly(copy_only) => form.copy_only = copy_only,
            Message::Theme(theme) => form.theme = theme,
            Message::Learn(learn) => form.learn = learn,
            Message::RememberSearch(seconds) => form.remember_search = seconds,
            Message::LaunchAtLogin(launch) => form.launch_at_login = launch,
            Message::Server(server) => form.server = server,
            Message::Space(space) => form.space = space,
            Message::AllowUnencryptedHttp(allow) => form.allow_unencrypted_http = allow,
            Message::Account(request) => return Action::Account(request),
            Message::Save => return Action::Save(self.form.clone()),
            Message::Revert => self.form = self.saved.clone(),
            Message::Close => return Action::Close,
        }
        self.note = None;
        Action::None
    }

    /// The save went through (`Ok`, with what to say) or was refused (`Err`, why).
    pub fn saved(&mut self, outcome: Result<String, String>) {
        if outcome.is_ok() {
            self.saved = self.form.clone();
        }
        self.note = Some(outcome);
    }

    pub fn set_account(&mut self, account: Account) {
        self.account = account;
    }

    pub fn set_problems(&mut self, problems: Vec<String>) {
        self.problems = problems;
    }

    pub fn view(&self) -> Element<'_, Message> {
        let form = &self.form;
        let hotkeys = section(
            "Hotkeys",
            column![
                labelled(
                    "Open the palette",
                    text_input("ctrl+shift+space", &form.palette_hotkey)
                        .id(PALETTE_HOTKEY_ID)
                        .on_input(Message::PaletteHotkey)
                        .on_submit(Message::Save)
                        .padding(6)
                        .into(),
                ),
                labelled(
                    "Save the selection",
                    text_input("ctrl+shift+c", &form.capture_hotkey)
                        .on_input(Message::CaptureHotkey)
                        .on_submit(Message::Save)
                        .padding(6)
                        .into(),
                ),
            ]
            .spacing(8),
        );
        // A minute, unless the file says how long.
        let remember = if form.remember_search > 0 { form.remember_search } else { 60 };
        let choices = section(
            "Inserting and looks",
            column![
                row![
                    choice(
                        "Paste into the window I was in",
                        !form.copy_only,
                        Message::CopyOnly(false)
                    ),
                    choice("Only copy; I paste myself", form.copy_only, Message::CopyOnly(true)),
                ]
                .spacing(8),
                row![
                    choice(
                        "Like the desktop",
                        form.theme == Appearance::System,
                        Message::Theme(Appearance::System)
                    ),
                    choice(
                        "Dark",
                        form.theme == Appearance::Dark,
                        Message::Theme(Appearance::Dark)
                    ),
                    choice(
                        "Light",
                        form.theme == Appearance::Light,
                        Message::Theme(Appearance::Light)
                    ),
                ]
                .spacing(8),
                row![
                    choice(
                        "Put first what I picked for the same search",
                        form.learn,
                        Message::Learn(true)
                    ),
                    choice(
                        "Don't learn; forget what was learned, synced too",
                        !form.learn,
                        Message::Learn(false)
                    ),
                ]
                .spacing(8),
                row![
                    choice(
                        "Each opening starts afresh",
                        form.remember_search == 0,
                        Message::RememberSearch(0)
                    ),
                    choice(
                        format!("Opened again within {remember} s, it shows my last search"),
                        form.remember_search > 0,
                        Message::RememberSearch(remember)
                    ),
                ]
                .spacing(8),
                row![
                    choice(
                        "Start Promptdeck when I log in",
                        form.launch_at_login,
                        Message::LaunchAtLogin(true)
                    ),
                    choice("Start it myself", !form.launch_at_login, Message::LaunchAtLogin(false)),
                ]
                .spacing(8),
            ]
            .spacing(10),
        );
        let sync = section(
            "Sync",
            column![
                labelled(
                    "Server",
                    text_input("none: this device only", &form.server)
                        .on_input(Message::Server)
                        .on_submit(Message::Save)
                        .padding(6)
                        .into(),
                ),
                labelled(
                    "Library (space)",
                    text_input("personal", &form.space)
                        .on_input(Message::Space)
                        .on_submit(Message::Save)
                        .padding(6)
                        .into(),
                ),
                row![
                    choice(
                        "Encrypted only (https://, or this machine)",
                        !form.allow_unencrypted_http,
                        Message::AllowUnencryptedHttp(false)
                    ),
                    choice(
                        "Also plain http:// elsewhere: prompts and tokens readable on the way",
                        form.allow_unencrypted_http,
                        Message::AllowUnencryptedHttp(true)
                    ),
                ]
                .spacing(8),
                account::view(self.account, None).map(Message::Account),
            ]
            .spacing(8),
        );
        let mut content = column![hotkeys, choices, sync].spacing(18);
        for problem in &self.problems {
            content = content.push(text(problem).size(13).style(theme::error));
        }
        match &self.note {
            Some(Ok(note)) => content = content.push(text(note).size(13).style(theme::muted)),
            Some(Err(error)) => content = content.push(text(error).size(13).style(theme::error)),
            None => {}
        }
        let changed = self.form != self.saved;
        let buttons = row![
            space::horizontal(),
            button("Close").on_press(Message::Close),
            button("Revert").on_press_maybe(changed.then_some(Message::Revert)),
            button("Save").style(button::primary).on_press_maybe(changed.then_some(Message::Save)),
        ]
        .spacing(8);
        let window = container(column![content, space::vertical(), buttons].spacing(12))
            .padding(16)
            .height(Length::Fill);
        on_keys(window, |key, modifiers| match key {
            Key::Named(Named::Escape) => Some(Message::Close),
            Key::Character(c) if modifiers.control() && c.as_str() == "w" => Some(Message::Close),
            Key::Character(c) if modifiers.control() && c.as_str() == "s" => Some(Message::Save),
            _ => None,
        })
    }
}

/// One of a few exclusive choices; the chosen one is highlighted.
fn choice<'a>(
    label: impl iced::widget::text::IntoFragment<'a>,
    chosen: bool,
    message: Message,
) -> Element<'a, Message> {
    button(text(label).size(13))
        .padding([4, 10])
        .style(theme::result_row(chosen))
        .on_press(message)
        .into()
}

fn section<'a>(title: &'a str, body: iced::widget::Column<'a, Message>) -> Element<'a, Message> {
    column![text(title).size(15), body].spacing(8).into()
}

fn labelled<'a>(label: &'a str, input: Element<'a, Message>) -> Element<'a, Message> {
    row![text(label).size(13).width(Length::Fixed(150.0)), input]
        .spacing(8)
        .align_y(iced::Center)
        .into()
}
