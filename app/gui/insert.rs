//! Insertion and capture: the desktop work behind Enter in the palette and the capture
//! hotkey. Blocking calls; the app runs them off the UI thread.

use std::collections::HashMap;
use std::time::Duration;

use promptdeck_actors::PromptDraft;
use promptdeck_protocol::template::Filled;

use super::clipboard::{CaptureError, Clipboard, Snapshot};
use super::desktop::{DesktopError, PasteMethod, X11};
use super::filling::{self, Moment};
use crate::cli::PasteMode;

/// Lets the window manager hand focus back before keys arrive.
const FOCUS_SETTLE: Duration = Duration::from_millis(60);
/// The target reads the clipboard after it sees the keys; restoring sooner would paste the
/// old content.
const RESTORE_AFTER: Duration = Duration::from_millis(500);
/// The pasted text arrives through a selection transfer after the keys; caret moves sent
/// sooner would land before it.
const PASTE_SETTLE: Duration = Duration::from_millis(150);
/// Titles made from a selection's first line stop here.
const CAPTURED_TITLE_CHARS: usize = 80;

/// The desktop as insertion and capture see it.
pub struct Desktop {
    clipboard: Result<Clipboard, String>,
    x11: Result<X11, DesktopError>,
    mode: PasteMode,
}

/// A window that had focus when the palette opened: where the prompt goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target(u32);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    Pasted,
    /// Copied as asked (Ctrl+Enter): the user pastes it where they like.
    Copied,
    /// The prompt is on the clipboard for the user to paste; `reason` says why we did not.
    OnClipboard {
        reason: String,
    },
}

impl Desktop {
    pub fn new(mode: PasteMode) -> Self {
        let x11 = X11::connect();
        if let Err(e) = &x11 {
            tracing::warn!(reason = %e, "paste cannot be simulated; prompts will be left on the clipboard");
        }
        Self { clipboard: Clipboard::new(), x11, mode }
    }

    /// Paste (or only copy) from now on, as the settings say.
    pub fn set_paste_mode(&mut self, mode: PasteMode) {
        self.mode = mode;
    }

    /// The focused window, recorded before the palette takes focus.
    pub fn focused(&self) -> Option<Target> {
        self.x11.as_ref().ok()?.focused_window().map(Target)
    }

    /// Gives the keyboard to one of our windows (by its X11 id).
    pub fn take_focus(&self, window: u64) {
        let Ok(x11) = &self.x11 else { return };
        if let Err(e) = x11.take_focus(window as u32) {
            tracing::warn!(error = %e, "could not focus the palette");
        }
    }

    /// Whether Enter can paste, or only copy.
    pub fn paste_unavailable(&self) -> Option<String> {
        if self.mode == PasteMode::CopyOnly {
            return Some("paste is set to copy only".into());
        }
        self.x11.as_ref().err().map(ToString::to_string)
    }

    /// Fills `body`'s placeholders (with `fields` from the palette's form), pastes it into
    /// `target`, puts the caret at its `{{cursor}}`, and gives the clipboard back.
    pub fn insert(
        &mut self,
        body: &str,
        fields: &HashMap<String, String>,
        target: Option<Target>,
    ) -> Result<Inserted, String> {
        let unavailable = self.paste_unavailable();
        let clipboard = self.clipboard_mut()?;
        let snapshot = clipboard.snapshot();
        let filled = filled(body, &snapshot, fields);
        if let Some(reason) = unavailable {
            clipboard.put(&filled.text)?;
            return Ok(Inserted::OnClipboard { reason });
        }
        let (Ok(clipboard), Ok(x11)) = (self.clipboard.as_mut(), &self.x11) else {
            return Err("the clipboard is unavailable".into());
        };
        let Some(Target(window)) = target else {
            clipboard.put(&filled.text)?;
            return Ok(Inserted::OnClipboard {
                reason: "no window had focus to paste into".into(),
            });
        };
        clipboard.put(&filled.text)?;
        let method =
            x11.class_of(window).map_or(PasteMethod::CtrlV, |c| PasteMethod::for_class(&c));
        let pasted = x11.focus(window).and_then(|()| {
            std::thread::sleep(FOCUS_SETTLE);
            x11.send_paste(method)
        });
        if let Err(e) = pasted {
            return Ok(Inserted::OnClipboard { reason: e.to_string() });
        }
        let back = filling::moves_back(&filled);
        if back > 0 {
            std::thread::sleep(PASTE_SETTLE);
            if let Err(e) = x11.send_left(back) {
                tracing::warn!(error = %e, "the caret stayed at the end of the prompt");
            }
        }
        std::thread::sleep(RESTORE_AFTER);
        clipboard.restore(snapshot);
        tracing::info!(?method, "pasted");
        Ok(Inserted::Pasted)
    }

    /// Puts `body`, filled in, on the clipboard (and in PRIMARY) and nothing more.
    pub fn copy(
        &mut self,
        body: &str,
        fields: &HashMap<String, String>,
    ) -> Result<Inserted, String> {
        let clipboard = self.clipboard_mut()?;
        let snapshot = clipboard.snapshot();
        clipboard.put(&filled(body, &snapshot, fields).text)?;
        Ok(Inserted::Copied)
    }

    fn clipboard_mut(&mut self) -> Result<&mut Clipboard, String> {
        self.clipboard.as_mut().map_err(|e| format!("the clipboard is unavailable: {e}"))
    }

    pub fn capture(&mut self) -> Result<PromptDraft, CaptureError> {
        let clipboard =
            self.clipboard.as_mut().map_err(|e| CaptureError::Unavailable(e.clone()))?;
        Ok(draft_from_selection(&clipboard.selection()?))
    }
}

fn filled(body: &str, before: &Snapshot, fields: &HashMap<String, String>) -> Filled {
    let moment = Moment {
        clipboard: before.text(),
        selection: before.primary(),
        fields,
        now: chrono::Local::now(),
    };
    filling::fill(body, &moment)
}

/// A new prompt from selected text, titled by its first non-empty line.
pub fn draft_from_selection(text: &str) -> PromptDraft {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("Captured prompt");
    let mut title: String = first.chars().take(CAPTURED_TITLE_CHARS).collect();
    if first.chars().count() > CAPTURED_TITLE_CHARS {
        title.push('…');
    }
    PromptDraft { title, body: text.to_owned(), tags: vec![] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capture_is_titled_by_its_first_nonblank_line() {
        let draft = draft_from_selection("\n   Explain this code\nfn main() {}\n");
        assert_eq!(draft.title, "Explain this code");
        assert_eq!(draft.body, "\n   Explain this code\nfn main() {}\n");
        let long = draft_from_selection(&"ä".repeat(200));
        assert_eq!(long.title.chars().count(), CAPTURED_TITLE_CHARS + 1);
        assert!(long.title.ends_with('…'));
    }
}
