//! The global hotkeys: one opens the palette, one captures the selection. They can be
//! changed while the app runs; a shortcut another application holds is reported, and the
//! rest keeps working.

mod grab;
mod keysym;

use global_hotkey::hotkey::HotKey;
use tokio::sync::mpsc::UnboundedSender;

use crate::control::UiCommand;
use grab::{GrabError, Grabber};

/// What a global shortcut does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shortcut {
    Palette,
    Capture,
}

/// The registered hotkeys; released when dropped.
pub struct Hotkeys {
    grabber: Grabber<Shortcut>,
}

impl Hotkeys {
    /// Starts listening on `$DISPLAY`; `apply` registers the shortcuts.
    pub fn start(ui: UnboundedSender<UiCommand>) -> Option<Self> {
        Self::on_display(None, ui)
    }

    /// Starts listening on the X display `display` (`$DISPLAY` when `None`).
    pub fn on_display(display: Option<&str>, ui: UnboundedSender<UiCommand>) -> Option<Self> {
        let grabber = Grabber::connect(display, move |shortcut| {
            let _ = ui.send(match shortcut {
                Shortcut::Palette => UiCommand::OpenPalette,
                Shortcut::Capture => UiCommand::Capture(None),
            });
        });
        match grabber {
            Ok(grabber) => Some(Self { grabber }),
            Err(e) => {
                tracing::warn!(error = %e, "global hotkeys are unavailable here (they need an X display); use the tray or `promptdeck palette`");
                None
            }
        }
    }

    /// Registers `palette` and `capture` (e.g. "ctrl+shift+space") in place of the ones
    /// registered before. Returns what could not be registered, and why.
    pub fn apply(&mut self, palette: &str, capture: &str) -> Vec<String> {
        self.grabber.release_all();
        let mut problems = Vec::new();
        let palette_key = register(&self.grabber, Shortcut::Palette, palette, &mut problems);
        if palette_key.is_some() && capture.parse::<HotKey>().ok() == palette_key {
            let problem = format!(
                "the palette and capture hotkeys are the same shortcut ({capture}); capture has none"
            );
            tracing::error!("{problem}; set another in settings.toml [hotkeys]");
            problems.push(problem);
        } else {
            register(&self.grabber, Shortcut::Capture, capture, &mut problems);
        }
        problems
    }
}

fn register(
    grabber: &Grabber<Shortcut>,
    shortcut: Shortcut,
    keys: &str,
    problems: &mut Vec<String>,
) -> Option<HotKey> {
    let what = match shortcut {
        Shortcut::Palette => "palette",
        Shortcut::Capture => "capture",
    };
    let hotkey: HotKey = match keys.parse() {
        Ok(hotkey) => hotkey,
        Err(e) => {
            let problem = format!("the {what} hotkey {keys:?} is not a shortcut: {e}");
            tracing::error!(
                "{problem}; set another in settings.toml [hotkeys] or with --{what}-hotkey"
            );
            problems.push(problem);
            return None;
        }
    };
    let problem = match grabber.grab(shortcut, hotkey) {
        Ok(()) => {
            tracing::info!(keys, "{what} hotkey registered");
            return Some(hotkey);
        }
        Err(GrabError::Taken) => {
            format!("the {what} hotkey {keys} is taken by another application")
        }
        Err(e) => format!("the {what} hotkey {keys} cannot be registered: {e}"),
    };
    tracing::error!("{problem}; set another in settings.toml [hotkeys] or with --{what}-hotkey");
    problems.push(problem);
    None
}
