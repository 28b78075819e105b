//! Insertion: the prompt, filled in, onto the clipboard; focus back to the window the user
//! was in; the paste shortcut that window expects; the caret to `{{cursor}}`; and the
//! previous clipboard back once that window has read the prompt. Platform-free: the keys
//! and the clipboard are the backend's. Runs on the desktop's worker, where its waits hold
//! up nothing else.

use std::time::Duration;

use promptdeck_protocol::template::Filled;

use super::filling::{self, Moment};
use super::{Clipboard, Delivery, DesktopError, Insertion, Keys, Taken};

/// The most waited for the target to read the clipboard after the paste keys. A target that
/// has not read it by then did not take the paste: the prompt stays on the clipboard.
const READ_CAP: Duration = Duration::from_secs(3);
/// Where the backend cannot see who reads the clipboard: the target reads it after it sees
/// the keys, and restoring sooner would paste the old content.
const RESTORE_AFTER: Duration = Duration::from_millis(500);
/// Where the target was not seen reading: the pasted text arrives through a selection
/// transfer after the keys, and caret moves sent sooner would land before it. Once the
/// target has read it, the text is in its queue ahead of any key sent after.
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
    let target = match delivery {
        Delivery::Copy => {
            clipboard.put(&filled.text)?;
            return Ok(Inserted::Copied);
        }
        Delivery::Paste { unavailable: Some(reason), .. } => {
            return left_on_clipboard(clipboard, &filled, reason);
        }
        Delivery::Paste { target: None, .. } => {
            let reason = "no window had focus to paste into".into();
            return left_on_clipboard(clipboard, &filled, reason);
        }
        Delivery::Paste { target: Some(target), unavailable: None } => target,
    };
    let keys = match keys {
        Ok(keys) => keys,
        Err(e) => return left_on_clipboard(clipboard, &filled, e.to_string()),
    };
    let paste = keys.paste_keys_for(target);
    if let Err(e) = keys.focus(target) {
        return left_on_clipboard(clipboard, &filled, e.to_string());
    }
    clipboard.offer(&filled.text)?;
    let keys_sent = std::time::Instant::now();
    if let Err(e) = keys.press_paste(paste) {
        return left_on_clipboard(clipboard, &filled, e.to_string());
    }
    let taken = clipboard.wait_until_taken(target, keys_sent, READ_CAP);
    if taken == Taken::ByNobody {
        // What the clipboard held before is let go: the prompt is what the user needs now.
        tracing::warn!(?paste, waited = ?READ_CAP, "the window never read the pasted prompt");
        let reason = "the window did not take the paste".into();
        return Ok(Inserted::OnClipboard { reason });
    }
    move_to_cursor(keys.as_ref(), &filled, taken);
    if taken == Taken::Unseen {
        std::thread::sleep(RESTORE_AFTER);
    }
    clipboard.restore(snapshot);
    tracing::info!(?paste, ?taken, "pasted");
    Ok(Inserted::Pasted)
}

/// Places the prompt on the clipboard for the user to paste, with `reason` we did not.
fn left_on_clipboard(
    clipboard: &mut dyn Clipboard,
    filled: &Filled,
    reason: String,
) -> Result<Inserted, DesktopError> {
    clipboard.put(&filled.text)?;
    Ok(Inserted::OnClipboard { reason })
}

/// Walks the caret back from the end of the pasted text to its `{{cursor}}`.
fn move_to_cursor(keys: &dyn Keys, filled: &Filled, taken: Taken) {
    let back = filling::moves_back(filled);
    if back == 0 {
        return;
    }
    if taken != Taken::ByTarget {
        std::thread::sleep(PASTE_SETTLE);
    }
    if let Err(e) = keys.press_left(back) {
        tracing::warn!(error = %e, "the caret stayed at the end of the prompt");
    }
}
