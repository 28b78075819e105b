//! The desktop around the windows: global hotkeys, insertion (focus and paste keys), the
//! clipboard and the selection, capture, the tray, notifications, the colour scheme,
//! autostart, and which window system this is. Each capability is one small interface
//! below; each window system is one backend folder that implements them (`x11/`,
//! `wayland/`, `windows/`, with `freedesktop/` for what every Linux desktop shares over
//! D-Bus and XDG files, and `macos/`). [`Desktop::start`] picks one: nothing else in the app
//! names a platform. What two of them share through the same crates has a module of its
//! own: the tray (`tray`), hotkeys the OS holds (`hotkey_manager`, Windows and macOS), the
//! clipboard through arboard (`clipboard_formats`).
//!
//! The GUI calls [`Desktop`] only. Insertion, paste and clipboard work run on a worker
//! thread of their own (see `worker`): the UI thread sends it a job and never waits for it
//! or holds a lock it takes.

mod capture;
mod clipboard_formats;
mod filling;
#[cfg(all(unix, not(target_os = "macos")))]
pub mod freedesktop;
#[cfg(any(windows, target_os = "macos"))]
mod hotkey_manager;
mod hotkeys;
mod insertion;
#[cfg(all(unix, not(target_os = "macos")))]
mod keysym;
#[cfg(any(target_os = "macos", all(unix, test)))]
pub mod launch_agent;
#[cfg(target_os = "macos")]
pub mod macos;
mod paste;
#[cfg(all(unix, not(target_os = "macos")))]
mod reads;
mod tray;
#[cfg(all(unix, not(target_os = "macos")))]
pub mod wayland;
#[cfg(windows)]
pub mod windows;
mod worker;
#[cfg(all(unix, not(target_os = "macos")))]
pub mod x11;

use std::collections::HashMap;
use std::sync::Arc;

use iced::futures::Stream;
use promptdeck_actors::PromptDraft;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::oneshot;

pub use capture::{CaptureError, draft_from_selection};
pub use hotkeys::{HotkeyError, Shortcut, bind};
pub use insertion::Inserted;
pub use paste::PasteKeys;

use worker::{Job, Worker};

/// What the desktop tells the app, from threads of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A global hotkey was pressed.
    Hotkey(Shortcut),
    /// An item of the tray's menu was chosen.
    Tray(TrayItem),
    /// The desktop did not bind the hotkeys the app asked it for (its portal refused, or
    /// the user cancelled its dialog).
    HotkeysRefused { cancelled: bool },
    /// The desktop did not lend the app its keyboard (its RemoteDesktop portal refused, or
    /// the user cancelled its dialog): prompts are left on the clipboard from now on.
    PasteRefused { cancelled: bool },
}

/// What the app does without a palette surface of the desktop's own, on Wayland.
pub const PALETTE_AS_WINDOW: &str =
    "the palette is a new window at every opening: it cannot be kept between them";

/// Hears the desktop's events; called on the desktop's threads, so it only passes them on.
pub type EventSink = Arc<dyn Fn(Event) + Send + Sync>;

/// The tray menu's items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayItem {
    OpenPalette,
    OpenLibrary,
    Capture,
    SyncNow,
    /// Sign in, cancel the sign-in, or sign out, as the account is.
    Account,
    Settings,
    Quit,
}

/// What the tray shows: the dot's colour, the tooltip, and the account item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayState {
    pub colour: [u8; 3],
    /// A server is configured: "Sync now" is offered.
    pub syncing: bool,
    pub tooltip: String,
    pub account_label: &'static str,
    pub account_enabled: bool,
}

/// What the desktop prefers: light or dark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorScheme {
    NoPreference,
    Dark,
    Light,
}

/// A window that had focus when the palette opened: where a prompt goes. Its number is
/// the window system's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target(pub u64);

/// A monitor's part of the screen, in the window system's pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Monitor {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

impl Monitor {
    pub fn holds(&self, (x, y): (i32, i32)) -> bool {
        let right = i64::from(self.x) + i64::from(self.width);
        let bottom = i64::from(self.y) + i64::from(self.height);
        x >= self.x && y >= self.y && i64::from(x) < right && i64::from(y) < bottom
    }

    /// Where a window of `size` goes to be centred on this monitor: its top-left corner.
    pub fn centre_for(&self, (width, height): (u32, u32)) -> (i32, i32) {
        let offset = |space: u32, size: u32| (i64::from(space) - i64::from(size)) / 2;
        let x = i64::from(self.x) + offset(self.width, width);
        let y = i64::from(self.y) + offset(self.height, height);
        (clamp_i32(x), clamp_i32(y))
    }
}

fn clamp_i32(value: i64) -> i32 {
    value.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// Why the desktop could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DesktopError {
    #[error("the Wayland compositor {0}")]
    Wayland(String),
    #[error("no X display to paste into ({0})")]
    NoDisplay(String),
    #[error("the X server refused: {0}")]
    X11(String),
    #[error("Windows refused: {0}")]
    Windows(String),
    #[error("macOS {0}")]
    MacOs(String),
    #[error("the window to paste into has closed")]
    TargetGone,
    #[error("the clipboard is unavailable: {0}")]
    Clipboard(String),
    #[error("the desktop's worker has stopped")]
    WorkerGone,
    #[error("{0}")]
    Autostart(String),
    /// The desktop portal's keyboard, in words that say which part failed.
    #[error("{0}")]
    Portal(String),
}

/// Which window system the windows run on, as the window toolkit (winit) chooses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowSystem {
    X11,
    Wayland,
    Windows,
    MacOs,
    /// No display answers: say why, and run headless or not at all.
    Missing(String),
}

impl WindowSystem {
    /// Windows' own desktop, always there.
    #[cfg(windows)]
    pub fn probe() -> Self {
        Self::Windows
    }

    /// macOS's own desktop, always there.
    #[cfg(target_os = "macos")]
    pub fn probe() -> Self {
        Self::MacOs
    }

    /// A Wayland socket that accepts, else an X display that answers.
    #[cfg(all(unix, not(target_os = "macos")))]
    pub fn probe() -> Self {
        if let Some(wayland) = std::env::var_os("WAYLAND_DISPLAY").filter(|w| !w.is_empty()) {
            let runtime_dir = std::env::var_os("XDG_RUNTIME_DIR").unwrap_or_default();
            let socket = std::path::Path::new(&runtime_dir).join(&wayland);
            if std::os::unix::net::UnixStream::connect(&socket).is_ok() {
                return Self::Wayland;
            }
        }
        if std::env::var_os("WAYLAND_SOCKET").is_some_and(|s| !s.is_empty()) {
            return Self::Wayland;
        }
        match ::x11rb::connect(None) {
            Ok(_) => Self::X11,
            Err(e) => Self::Missing(match std::env::var("DISPLAY") {
                Ok(display) => format!("the X display {display:?} does not answer: {e}"),
                Err(_) => "neither DISPLAY nor WAYLAND_DISPLAY is set".to_owned(),
            }),
        }
    }

    /// Its name in `status --json`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::X11 => "x11",
            Self::Wayland => "wayland",
            Self::Windows => "windows",
            Self::MacOs => "macos",
            Self::Missing(_) => "none",
        }
    }

    /// Whether a window can be hidden and shown again: winit cannot hide one on Wayland.
    pub fn can_hide_windows(&self) -> bool {
        matches!(self, Self::X11 | Self::Windows | Self::MacOs)
    }
}

/// Global hotkeys, registered with the window system. Dropping them lets them go. Not `Send`:
/// on Windows they belong to the thread whose message loop hears them (the UI thread).
pub trait Hotkeys {
    /// Which way they are held, for `status --json`: "x11", "portal", "windows", "macos".
    fn way(&self) -> &'static str;
    /// Holds `hotkey` for `shortcut`, beside what is held already.
    fn grab(
        &mut self,
        shortcut: Shortcut,
        hotkey: global_hotkey::hotkey::HotKey,
    ) -> Result<(), HotkeyError>;
    /// Lets every hotkey go.
    fn release_all(&mut self);
}

/// Which window has the keyboard, and giving it to one of ours. Asked from the UI thread
/// and from blocking tasks at once: it holds no lock the insertion worker takes.
pub trait Focus: Send + Sync {
    /// The window that has the keyboard now, if it is another application's.
    fn focused(&self) -> Option<Target>;
    /// Gives the keyboard to one of our windows (by the window system's id) once it is on
    /// screen: without a window manager a new window does not get it by itself.
    fn take_focus(&self, window: u64) -> Result<(), DesktopError>;
    /// The monitor the pointer is on, where the window system says: the palette opens
    /// there, where the user is.
    fn pointer_monitor(&self) -> Option<Monitor>;
}

/// Keys typed into another application, as if on the keyboard.
pub trait Keys: Send {
    /// The paste shortcut `target` expects.
    fn paste_keys_for(&self, target: Target) -> PasteKeys;
    /// Gives the keyboard back to `target`, returning once the window system says it has
    /// it (or once the backend's wait for that runs out: keys are sent then all the same).
    fn focus(&self, target: Target) -> Result<(), DesktopError>;
    fn press_paste(&self, keys: PasteKeys) -> Result<(), DesktopError>;
    /// Presses Left `times` times: the caret walks back to a prompt's `{{cursor}}`.
    fn press_left(&self, times: usize) -> Result<(), DesktopError>;
}

/// What the clipboard held before an insertion borrowed it, in each format the backend
/// reads, so it can be put back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Plain text, as `{{clipboard}}` fills in.
    pub text: Option<String>,
    pub html: Option<String>,
    pub image: Option<Image>,
    pub files: Vec<std::path::PathBuf>,
    /// The selected text (PRIMARY on X11), as `{{selection}}` fills in.
    pub selection: Option<String>,
    /// Every type the clipboard's owner offered, as it gave them, where the backend can
    /// offer any type back (Wayland, X11); restored in place of the fields above.
    pub offered: Vec<Offered>,
}

/// The most of what the clipboard held that a snapshot keeps: a 1 GiB offer is not read
/// whole. A type larger than what is left is not kept (and is not offered back).
pub const SNAPSHOT_CAP: usize = 32 << 20;
/// The most waited for one type's bytes: an owner that never answers must not hold up the
/// insertion for good.
pub const TYPE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);
/// The most a whole snapshot waits, however many types are offered slowly: the types not
/// read by then are not kept.
pub const SNAPSHOT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(4);

/// One type of what the clipboard held (a MIME type, or an X11 target such as
/// `UTF8_STRING`), and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offered {
    pub mime: String,
    pub bytes: Vec<u8>,
    /// On X11, how the owner typed the bytes, to give them back the same way.
    pub x11: Option<X11Form>,
}

/// An X11 property's type and item size: a target's type need not be its name (`TEXT`
/// arrives as `UTF8_STRING`, `TARGETS` as `ATOM`), and some come in 16- or 32-bit items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct X11Form {
    pub type_name: String,
    pub format: u8,
}

/// An image on the clipboard, as 8-bit RGBA rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub rgba: Vec<u8>,
}

/// The clipboard and the selection.
pub trait Clipboard: Send {
    fn snapshot(&mut self) -> Snapshot;
    /// Puts `text` on the clipboard and in the selection (which some terminals paste).
    fn put(&mut self, text: &str) -> Result<(), DesktopError>;
    /// Puts `text` on the clipboard for the paste about to be sent. A backend that sees the
    /// paste's reader only by offering the text rather than placing it (Windows) offers it
    /// here, and has placed it for good by the time [`Clipboard::wait_until_taken`] returns.
    fn offer(&mut self, text: &str) -> Result<(), DesktopError> {
        self.put(text)
    }
    /// Puts back what `snapshot` saw.
    fn restore(&mut self, snapshot: Snapshot);
    /// Waits, up to `cap`, for `target` (sent the paste keys at `keys_sent`) to read what
    /// [`Clipboard::put`] placed and to stop reading it. A backend that cannot see reads
    /// says so at once.
    fn wait_until_taken(
        &mut self,
        _target: Target,
        _keys_sent: std::time::Instant,
        _cap: std::time::Duration,
    ) -> Taken {
        Taken::Unseen
    }
    /// The selected text, or the clipboard's when nothing is selected.
    fn selection(&mut self) -> Result<String, CaptureError>;
    /// The clipboard's text, if it holds some.
    fn text(&mut self) -> Option<String> {
        self.snapshot().text
    }
}

/// The most a backend waits for the window system to say a window it gave the keyboard
/// back to has it; keys are sent then all the same.
const FOCUS_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// Asks `has_focus` until it says yes or [`FOCUS_WAIT`] has passed. The window manager
/// hands the keyboard over in its own time: keys sent sooner land in the window that had it.
pub fn wait_for_focus(mut has_focus: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + FOCUS_WAIT;
    while !has_focus() {
        if std::time::Instant::now() >= deadline {
            tracing::debug!(waited = ?FOCUS_WAIT, "the target was not seen to take the keyboard");
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// Who read the clipboard after a paste's keys were sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// The window pasted into read it, and has asked for nothing more since. (On Wayland,
    /// which does not say who reads: some client read it after the paste keys.)
    ByTarget,
    /// Other applications read it (a clipboard manager does at every change), the target
    /// did not, or not in a way that can be told apart (a read through another process).
    ByOthersOnly,
    /// No one read it: the paste did not happen.
    ByNobody,
    /// This backend cannot tell.
    Unseen,
}

/// The tray icon.
pub trait Tray {
    fn show(&mut self, state: &TrayState);
}

/// Desktop notifications.
pub trait Notifier: Send + Sync {
    /// "Saved: <title>" after a capture. Blocks on the bus: call it off the UI thread.
    fn saved(&self, title: &str);
    /// Why a prompt was not pasted (`notice`, a sentence), when the palette that would
    /// have said it has closed, under [`NOT_PASTED`]. Blocks as `saved` does.
    fn not_pasted(&self, notice: &str);
}

/// The title of a notification that a prompt was not pasted; its text says why.
pub const NOT_PASTED: &str = "Not pasted";

/// Starting Promptdeck at login.
pub trait Autostart: Send + Sync {
    fn enabled(&self) -> bool;
    fn set(&self, enabled: bool) -> Result<(), DesktopError>;
}

/// A surface of the desktop's own that the app draws the palette into, where the window
/// system offers one that can be kept between openings and take the keyboard (layer-shell
/// on wlroots compositors and KDE). Elsewhere the palette is an iced window.
pub trait PaletteSurface: Send {
    /// Shows it with the keyboard; what shows is the next frame presented.
    fn show(&mut self) -> Result<(), DesktopError>;
    /// Hides it. The answer comes once the window system has it hidden: the keyboard is
    /// back with the window that had it, and paste keys reach that window.
    fn hide(&mut self) -> oneshot::Receiver<()>;
    /// Puts `frame` on the surface, while it is shown.
    fn present(&mut self, frame: &Frame<'_>) -> Result<Presented, DesktopError>;
}

/// A frame of the palette: premultiplied BGRA pixels (a little-endian ARGB word each), row
/// after row, and the rows that changed since the frame before.
pub struct Frame<'a> {
    pub pixels: &'a [u8],
    pub width: u32,
    pub height: u32,
    /// Pixels per logical pixel.
    pub scale: u32,
    pub rows: &'a [std::ops::Range<u32>],
}

/// What became of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented {
    Shown,
    /// The surface is hidden: nothing was drawn.
    Hidden,
    /// The window system holds every buffer: [`SurfaceEvent::Released`] says when to try
    /// again.
    NoBufferFree,
}

/// What the palette's surface tells the app, from a thread of its own.
#[derive(Debug, Clone, PartialEq)]
pub enum SurfaceEvent {
    /// Keys and the pointer, as iced's events.
    Input(iced::Event),
    /// The output it shows on has this many pixels per logical pixel.
    Scale(u32),
    /// A buffer is free again, for a frame that found none.
    Released,
    /// The window system took the surface away (its output went, or the compositor quit):
    /// the palette is a window from now on.
    Closed,
}

/// One window system's implementations of the capabilities.
pub struct Backend {
    pub hotkeys: Option<Box<dyn Hotkeys>>,
    pub focus: Arc<dyn Focus>,
    pub keys: Result<Box<dyn Keys>, DesktopError>,
    pub clipboard: Result<Box<dyn Clipboard>, DesktopError>,
    pub tray: Option<Box<dyn Tray>>,
    pub notifier: Arc<dyn Notifier>,
    pub autostart: Arc<dyn Autostart>,
    /// The palette's own surface, with what it hears, where the window system offers one.
    pub palette_surface: Option<(Box<dyn PaletteSurface>, UnboundedReceiver<SurfaceEvent>)>,
    /// What this desktop lacks beside the capabilities above, and what the app does instead.
    pub limits: Vec<String>,
}

/// How a chosen prompt reaches the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Pasted into `target` (Enter); `None` when no window had focus. Where paste cannot
    /// work (`unavailable` says why) the prompt is left on the clipboard.
    Paste { target: Option<Target>, unavailable: Option<String> },
    /// Left on the clipboard (Ctrl+Enter).
    Copy,
}

/// A prompt on its way into another application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insertion {
    pub body: String,
    /// The values the palette's form asked for.
    pub fields: HashMap<String, String>,
    pub delivery: Delivery,
}

/// A handle to the desktop's worker that a task can own.
#[derive(Clone)]
pub struct Inserter(Worker);

impl Inserter {
    /// Fills the prompt's placeholders and delivers it, on the desktop's worker.
    pub fn insert(
        &self,
        insertion: Insertion,
    ) -> impl Future<Output = Result<Inserted, DesktopError>> + use<> {
        let (reply, answer) = oneshot::channel();
        let asked = self.0.ask(Job::Insert(insertion, reply), answer);
        async move { asked.await.and_then(|inserted| inserted) }
    }
}

/// A handle that gives the keyboard to one of our windows.
#[derive(Clone)]
pub struct FocusTaker(Arc<dyn Focus>);

impl FocusTaker {
    /// Gives the keyboard to `window` once it is on screen, off the UI thread.
    pub fn take(&self, window: u64) -> impl Future<Output = ()> + use<> {
        let focus = self.0.clone();
        async move {
            let taken = tokio::task::spawn_blocking(move || focus.take_focus(window)).await;
            if let Ok(Err(e)) = taken {
                tracing::warn!(error = %e, "could not focus the palette");
            }
        }
    }
}

/// The desktop as the GUI sees it.
pub struct Desktop {
    system: WindowSystem,
    hotkeys: Option<Box<dyn Hotkeys>>,
    tray: Option<Box<dyn Tray>>,
    focus: Arc<dyn Focus>,
    notifier: Arc<dyn Notifier>,
    autostart: Arc<dyn Autostart>,
    /// Why paste cannot work here, whatever the settings.
    paste_unavailable: Option<String>,
    /// What this desktop lacks, each with what the app does instead.
    limits: Vec<String>,
    palette_surface: Option<(Box<dyn PaletteSurface>, UnboundedReceiver<SurfaceEvent>)>,
    worker: Worker,
}

impl Desktop {
    /// The backend of this window system, its events going to `events`. What the desktop
    /// grants the app to type (its portal's restore token) is kept in `grant_file`.
    #[cfg_attr(not(all(unix, not(target_os = "macos"))), allow(unused_variables))]
    pub fn start(events: EventSink, grant_file: std::path::PathBuf) -> Self {
        let system = WindowSystem::probe();
        #[cfg(all(unix, not(target_os = "macos")))]
        let backend = match system {
            WindowSystem::Wayland => wayland::backend(events, grant_file),
            _ => x11::backend(events),
        };
        #[cfg(windows)]
        let backend = windows::backend(events);
        #[cfg(target_os = "macos")]
        let backend = macos::backend(events);
        let paste_unavailable = backend.keys.as_ref().err().map(ToString::to_string);
        let mut limits = backend.limits;
        if let Some(reason) = &paste_unavailable {
            limits.push(format!("no paste ({reason}): a chosen prompt is left on the clipboard"));
        }
        if backend.hotkeys.is_none() {
            limits.push(match system {
                WindowSystem::Wayland => "no global hotkeys from the app on this compositor: \
                    `promptdeck install-desktop --bind` has sway or Hyprland hold them; \
                    elsewhere bind `promptdeck palette` and `promptdeck capture` to keys in the \
                    desktop's keyboard settings"
                    .into(),
                _ => "no global hotkeys: bind `promptdeck palette` and `promptdeck capture` to \
                    keys in the desktop's keyboard settings"
                    .into(),
            });
        }
        if backend.tray.is_none() {
            limits.push(
                "no tray icon: the library window and `promptdeck` commands do its work".into(),
            );
        }
        for limit in &limits {
            tracing::warn!(%limit, "this desktop lacks a capability");
        }
        Self {
            system,
            hotkeys: backend.hotkeys,
            tray: backend.tray,
            focus: backend.focus,
            notifier: backend.notifier,
            autostart: backend.autostart,
            paste_unavailable,
            limits,
            palette_surface: backend.palette_surface,
            worker: Worker::start(backend.keys, backend.clipboard),
        }
    }

    pub fn window_system(&self) -> &WindowSystem {
        &self.system
    }

    /// What this desktop lacks, each with what the app does instead.
    pub fn limits(&self) -> &[String] {
        &self.limits
    }

    /// The palette's own surface and what it hears, where the window system offers one;
    /// given once, to the palette.
    pub fn take_palette_surface(
        &mut self,
    ) -> Option<(Box<dyn PaletteSurface>, impl Stream<Item = SurfaceEvent> + use<>)> {
        let (surface, events) = self.palette_surface.take()?;
        Some((surface, received(events)))
    }

    /// The palette's surface was taken away: it is a window from now on, as the limits say.
    pub fn palette_surface_closed(&mut self) {
        self.limits.push(PALETTE_AS_WINDOW.into());
    }

    /// Registers the palette and capture hotkeys in place of the ones before; says what
    /// could not be registered, and why.
    pub fn bind_hotkeys(&mut self, palette: &str, capture: &str) -> Vec<String> {
        match &mut self.hotkeys {
            Some(hotkeys) => bind(hotkeys.as_mut(), palette, capture),
            None => Vec::new(),
        }
    }

    /// Which way global hotkeys work here: "x11", "portal", "windows", "macos", or "none" (then
    /// [`Desktop::limits`] says what to do instead).
    pub fn hotkeys_way(&self) -> &'static str {
        self.hotkeys.as_ref().map_or("none", |hotkeys| hotkeys.way())
    }

    pub fn has_tray(&self) -> bool {
        self.tray.is_some()
    }

    pub fn show_tray(&mut self, state: &TrayState) {
        if let Some(tray) = &mut self.tray {
            tray.show(state);
        }
    }

    /// The window that has the keyboard now: where the palette's prompt goes.
    pub fn focused(&self) -> Option<Target> {
        self.focus.focused()
    }

    /// The monitor the pointer is on, when the window system says.
    pub fn pointer_monitor(&self) -> Option<Monitor> {
        self.focus.pointer_monitor()
    }

    /// Gives the keyboard to our windows, for a task that learns the window's id later.
    pub fn focus_taker(&self) -> FocusTaker {
        FocusTaker(self.focus.clone())
    }

    /// Why Enter cannot paste here, whatever the settings.
    pub fn paste_unavailable(&self) -> Option<&str> {
        self.paste_unavailable.as_deref()
    }

    /// The desktop refused to let the app type (`reason`): from now on Enter leaves prompts
    /// on the clipboard, and the desktop's limits say so.
    pub fn paste_refused(&mut self, reason: String) {
        self.limits.push(format!("no paste ({reason}): a chosen prompt is left on the clipboard"));
        self.paste_unavailable = Some(reason);
    }

    /// Inserts prompts on the desktop's worker, for a task that fetches the prompt first.
    pub fn inserter(&self) -> Inserter {
        Inserter(self.worker.clone())
    }

    /// The selection (or the clipboard) as a new prompt's draft, on the desktop's worker.
    pub fn capture(&self) -> impl Future<Output = Result<PromptDraft, CaptureError>> + use<> {
        let (reply, answer) = oneshot::channel();
        let asked = self.worker.ask(Job::Capture(reply), answer);
        async move { asked.await.map_err(|e| CaptureError::Unavailable(e.to_string())).and_then(|d| d) }
    }

    /// The clipboard's text, read on the desktop's worker: for a surface of ours, whose
    /// widgets have no clipboard of their own.
    pub fn clipboard_text(&self) -> impl Future<Output = Option<String>> + use<> {
        let (reply, answer) = oneshot::channel();
        let asked = self.worker.ask(Job::ReadText(reply), answer);
        async move { asked.await.ok().flatten() }
    }

    /// Puts text copied on a surface of ours on the clipboard, on the desktop's worker.
    pub fn copy(&self, text: String) {
        self.worker.tell(Job::Copy(text));
    }

    /// Says what was saved; its calls block on the bus, so make them off the UI thread.
    pub fn notifier(&self) -> Arc<dyn Notifier> {
        self.notifier.clone()
    }

    pub fn autostart(&self) -> Arc<dyn Autostart> {
        self.autostart.clone()
    }

    /// The desktop's colour scheme now, then each change.
    pub fn color_schemes(&self) -> impl Stream<Item = ColorScheme> + use<> {
        #[cfg(all(unix, not(target_os = "macos")))]
        let schemes = freedesktop::appearance::color_schemes();
        #[cfg(windows)]
        let schemes = windows::color_schemes();
        #[cfg(target_os = "macos")]
        let schemes = macos::color_schemes();
        schemes
    }
}

/// What `follow` sends from a thread of its own, as a stream: for a desktop setting whose
/// changes only a blocking call hears. `follow` ends when it cannot go on (saying why is its
/// own affair) or when its sends fail, the stream being dropped.
#[cfg(not(target_os = "macos"))]
fn followed_on_a_thread<T: Send + 'static>(
    name: &str,
    follow: impl FnOnce(tokio::sync::mpsc::UnboundedSender<T>) + Send + 'static,
) -> impl Stream<Item = T> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    if let Err(e) = std::thread::Builder::new().name(name.into()).spawn(move || follow(tx)) {
        tracing::warn!(error = %e, thread = name, "cannot follow a desktop setting");
    }
    received(rx)
}

/// What `rx` receives, as a stream that ends when every sender is gone.
fn received<T>(rx: UnboundedReceiver<T>) -> impl Stream<Item = T> {
    iced::futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|v| (v, rx)) })
}
