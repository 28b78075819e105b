//! Insertion: the prompt, filled in, onto the clipboard; focus back to the window the user
//! was in; the paste shortcut that window expects; the caret to `{{cursor}}`; and the
//! previous clipboard back. Platform-free: the keys and the clipboard are the backend's.
//! Runs on the desktop's worker, where its waits hold up nothing else.

use std::time::Duration;

use promptdeck_protocol::template::Filled;

use super::filling::{self, Moment};
use super::{Clipboard, Delivery, DesktopError, Insertion, Keys};

/// Lets the window manager hand focus back before keys arrive.
const FOCUS_SETTLE: Duration = Duration::from_millis(60);
/// The target reads the clipboard after it sees the keys; restoring sooner would paste the
/// old content.
const RESTORE_AFTER: Duration = Duration::from_millis(500);
/// The pasted text arrives through a selection transfer after the keys; caret moves sent
/// sooner would land before it.
const PASTE_SETTLE: Duration = Duration::from_millis(150);

/// How an insertion ended.
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

/// Fills the prompt's placeholders and delivers it as `insertion` asks.
pub fn deliver(
    insertion: Insertion,
    clipboard: &mut dyn Clipboard,
    keys: &Result<Box<dyn Keys>, DesktopError>,
) -> Result<Inserted, DesktopError> {
    let Insertion { body, fields, delivery } = insertion;
    let snapshot = clipboard.snapshot();
    let filled = filling::fill(
        &body,
        &Moment {
            clipboard: snapshot.text.as_deref(),
            selection: snapshot.selection.as_deref(),
            fields: &fields,
            now: chrono::Local::now(),
        },
    );
    clipboard.put(&filled.text)?;
    let target = match delivery {
        Delivery::Copy => return Ok(Inserted::Copied),
        Delivery::Paste { unavailable: Some(reason), .. } => {
            return Ok(Inserted::OnClipboard { reason });
        }
        Delivery::Paste { target: None, .. } => {
            let reason = "no window had focus to paste into".into();
            return Ok(Inserted::OnClipboard { reason });
        }
        Delivery::Paste { target: Some(target), unavailable: None } => target,
    };
    let keys = match keys {
        Ok(keys) => keys,
        Err(e) => return Ok(Inserted::OnClipboard { reason: e.to_string() }),
    };
    let paste = keys.paste_keys_for(target);
    let pasted = keys.focus(target).and_then(|()| {
        std::thread::sleep(FOCUS_SETTLE);
        keys.press_paste(paste)
    });
    if let Err(e) = pasted {
        return Ok(Inserted::OnClipboard { reason: e.to_string() });
    }
    move_to_cursor(keys.as_ref(), &filled);
    std::thread::sleep(RESTORE_AFTER);
    clipboard.restore(snapshot);
    tracing::info!(?paste, "pasted");
    Ok(Inserted::Pasted)
}

/// Walks the caret back from the end of the pasted text to its `{{cursor}}`.
fn move_to_cursor(keys: &dyn Keys, filled: &Filled) {
    let back = filling::moves_back(filled);
    if back == 0 {
        return;
    }
    std::thread::sleep(PASTE_SETTLE);
    if let Err(e) = keys.press_left(back) {
        tracing::warn!(error = %e, "the caret stayed at the end of the prompt");
    }
}
