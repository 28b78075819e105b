//! The clipboard and the primary selection through the data-control protocol (wlroots'
//! `zwlr_data_control_manager_v1`, or `ext-data-control-v1` where the compositor has it), so
//! the app reads and writes them with no window of its own focused. What the clipboard held
//! is kept in every MIME type its owner offered, up to [`SNAPSHOT_CAP`](crate::desktop::SNAPSHOT_CAP) in all, and offered
//! back the same way after an insertion. The prompt goes on it from a source of our own
//! where wlroots' protocol is there (`selection_source`), which sees it read.

use std::io::Read;
use std::time::{Duration, Instant};

use super::selection_source::SelectionSource;
use wl_clipboard_rs::copy::{self, MimeSource, Options, Source};
use wl_clipboard_rs::paste::{self, ClipboardType, MimeType, Seat};

use crate::desktop::{
    CaptureError, Clipboard, DesktopError, Offered, SNAPSHOT_CAP, SNAPSHOT_TIMEOUT, Snapshot,
    TYPE_TIMEOUT, Taken, Target,
};

/// The types `{{clipboard}}` reads text from, in this order.
const TEXT_TYPES: [&str; 3] = ["text/plain;charset=utf-8", "text/plain", "UTF8_STRING"];

/// How long a client that has read the prompt is given to ask for it again before the
/// previous clipboard comes back.
const READ_QUIET: Duration = Duration::from_millis(100);

pub struct DataControlClipboard {
    /// Where the compositor has wlroots' protocol; else the prompt goes through
    /// wl-clipboard-rs and its reads are not seen.
    source: Option<SelectionSource>,
}

impl DataControlClipboard {
    /// Checks that the compositor offers data-control; an error names what it lacks.
    pub fn new() -> Result<Self, DesktopError> {
        let source = || {
            SelectionSource::start()
                .inspect_err(
                    |e| tracing::info!(error = %e, "reads of a pasted prompt are not seen"),
                )
                .ok()
        };
        match paste::get_mime_types_ordered(ClipboardType::Regular, Seat::Unspecified) {
            Ok(_) | Err(paste::Error::ClipboardEmpty | paste::Error::NoSeats) => {
                Ok(Self { source: source() })
            }
            Err(e @ paste::Error::MissingProtocol { .. }) => Err(DesktopError::Wayland(format!(
                "offers no clipboard to apps without a focused window ({e})"
            ))),
            Err(e) => Err(DesktopError::Clipboard(e.to_string())),
        }
    }
}

impl Clipboard for DataControlClipboard {
    fn snapshot(&mut self) -> Snapshot {
        let offered = read_offered(ClipboardType::Regular);
        let text = offered
            .iter()
            .find(|o| TEXT_TYPES.contains(&o.mime.as_str()))
            .and_then(|o| String::from_utf8(o.bytes.clone()).ok());
        Snapshot {
            text,
            selection: read_text(ClipboardType::Primary).ok(),
            offered,
            ..Snapshot::default()
        }
    }

    /// Puts `text` on the clipboard and in the primary selection, which some terminals paste.
    fn put(&mut self, text: &str) -> Result<(), DesktopError> {
        if let Some(source) = &mut self.source {
            return source.put(text);
        }
        copy_text(ClipboardType::Regular, text)?;
        if let Err(e) = copy_text(ClipboardType::Primary, text) {
            tracing::debug!(error = %e, "the primary selection was left alone");
        }
        Ok(())
    }

    fn wait_until_taken(&mut self, _target: Target, keys_sent: Instant, cap: Duration) -> Taken {
        match &self.source {
            Some(source) => source.wait_for_reader(keys_sent, READ_QUIET, cap),
            None => Taken::Unseen,
        }
    }

    fn restore(&mut self, snapshot: Snapshot) {
        let restored = if !snapshot.offered.is_empty() {
            let sources = snapshot
                .offered
                .into_iter()
                .map(|o| MimeSource {
                    source: Source::Bytes(o.bytes.into()),
                    mime_type: copy::MimeType::Specific(o.mime),
                })
                .collect();
            options(ClipboardType::Regular).copy_multi(sources)
        } else if let Some(text) = &snapshot.text {
            options(ClipboardType::Regular).copy(bytes(text), copy::MimeType::Text)
        } else {
            copy::clear(copy::ClipboardType::Regular, copy::Seat::All)
        };
        if let Err(e) = restored {
            tracing::warn!(error = %e, "could not restore the previous clipboard");
        }
        if let Some(selection) = snapshot.selection {
            let _ = copy_text(ClipboardType::Primary, &selection);
        }
    }

    fn text(&mut self) -> Option<String> {
        read_text(ClipboardType::Regular).ok()
    }

    fn selection(&mut self) -> Result<String, CaptureError> {
        let primary = read_text(ClipboardType::Primary);
        if let Ok(text) = &primary
            && !text.trim().is_empty()
        {
            return Ok(text.clone());
        }
        match read_text(ClipboardType::Regular) {
            Ok(text) if !text.trim().is_empty() => Ok(text),
            Ok(_) | Err(Unreadable::Empty) => match primary {
                Err(Unreadable::NotText) => Err(CaptureError::NotText),
                _ => Err(CaptureError::Empty),
            },
            Err(Unreadable::NotText) => Err(CaptureError::NotText),
            Err(Unreadable::Failed(e)) => Err(CaptureError::Unavailable(e)),
        }
    }
}

/// Why a clipboard's text could not be had.
#[derive(Debug)]
enum Unreadable {
    Empty,
    NotText,
    Failed(String),
}

/// The clipboard's text, as `{{clipboard}}` and a capture want it.
fn read_text(clipboard: ClipboardType) -> Result<String, Unreadable> {
    let (pipe, _) = match paste::get_contents(clipboard, Seat::Unspecified, MimeType::Text) {
        Ok(found) => found,
        Err(paste::Error::ClipboardEmpty | paste::Error::NoSeats) => return Err(Unreadable::Empty),
        Err(paste::Error::NoMimeType) => return Err(Unreadable::NotText),
        Err(e) => return Err(Unreadable::Failed(e.to_string())),
    };
    let bytes = read_capped(pipe, SNAPSHOT_CAP, TYPE_TIMEOUT).map_err(Unreadable::Failed)?;
    String::from_utf8(bytes).map_err(|_| Unreadable::NotText)
}

/// Every type the clipboard's owner offers, in its order, while they fit in the cap.
fn read_offered(clipboard: ClipboardType) -> Vec<Offered> {
    let types = match paste::get_mime_types_ordered(clipboard, Seat::Unspecified) {
        Ok(types) => types,
        Err(paste::Error::ClipboardEmpty | paste::Error::NoSeats) => return Vec::new(),
        Err(e) => {
            tracing::warn!(error = %e, "the clipboard could not be read; it will not be restored");
            return Vec::new();
        }
    };
    let mut left = SNAPSHOT_CAP;
    let deadline = Instant::now() + SNAPSHOT_TIMEOUT;
    let mut offered = Vec::new();
    for mime in types {
        let time_left = deadline.saturating_duration_since(Instant::now());
        if time_left.is_zero() {
            tracing::warn!(%mime, "a clipboard type was not kept: the snapshot took too long");
            continue;
        }
        let read = paste::get_contents(clipboard, Seat::Unspecified, MimeType::Specific(&mime))
            .map_err(|e| e.to_string())
            .and_then(|(pipe, _)| read_capped(pipe, left, time_left.min(TYPE_TIMEOUT)));
        match read {
            Ok(bytes) => {
                left -= bytes.len();
                offered.push(Offered { mime, bytes, x11: None });
            }
            Err(e) => tracing::warn!(%mime, error = %e, "a clipboard type was not kept"),
        }
    }
    offered
}

/// Reads `pipe` to its end, refusing more than `cap` bytes or a writer slower than
/// `timeout` in all.
fn read_capped(
    mut pipe: os_pipe::PipeReader,
    cap: usize,
    timeout: Duration,
) -> Result<Vec<u8>, String> {
    let deadline = Instant::now() + timeout;
    let mut bytes = Vec::new();
    let mut chunk = vec![0; 64 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let timeout = rustix::event::Timespec::try_from(left).map_err(|e| e.to_string())?;
        let mut fds = [rustix::event::PollFd::new(&pipe, rustix::event::PollFlags::IN)];
        let ready = rustix::event::poll(&mut fds, Some(&timeout)).map_err(|e| e.to_string())?;
        if ready == 0 {
            return Err(format!("its owner sent nothing more for {timeout:?}"));
        }
        match pipe.read(&mut chunk) {
            Ok(0) => return Ok(bytes),
            Ok(n) if bytes.len() + n > cap => {
                return Err(format!("larger than the {cap} bytes kept"));
            }
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}

fn options(clipboard: ClipboardType) -> Options {
    let mut options = Options::new();
    options.clipboard(match clipboard {
        ClipboardType::Primary => copy::ClipboardType::Primary,
        _ => copy::ClipboardType::Regular,
    });
    options
}

fn bytes(text: &str) -> Source {
    Source::Bytes(text.as_bytes().into())
}

fn copy_text(clipboard: ClipboardType, text: &str) -> Result<(), DesktopError> {
    options(clipboard)
        .copy(bytes(text), copy::MimeType::Text)
        .map_err(|e| DesktopError::Clipboard(e.to_string()))
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::time::Duration;

    use super::read_capped;

    const LONG: Duration = Duration::from_secs(30);

    #[test]
    fn a_pipe_is_read_to_its_end_within_the_cap() {
        let (reader, mut writer) = os_pipe::pipe().expect("a pipe");
        writer.write_all(b"held before").expect("written");
        drop(writer);
        assert_eq!(read_capped(reader, 11, LONG), Ok(b"held before".to_vec()));
    }

    #[test]
    fn more_than_the_cap_is_refused_without_reading_it_all() {
        let (reader, mut writer) = os_pipe::pipe().expect("a pipe");
        // Never closed: a reader that wanted the whole of it would wait for ever.
        let endless = std::thread::spawn(move || while writer.write_all(&[0; 4096]).is_ok() {});
        let refused = read_capped(reader, 1 << 20, LONG).expect_err("over the cap");
        assert!(refused.contains("larger than the 1048576 bytes kept"), "{refused}");
        endless.join().expect("the writer stops once the pipe is closed");
    }

    #[test]
    fn an_owner_that_never_writes_is_given_up_on() {
        let (reader, writer) = os_pipe::pipe().expect("a pipe");
        let silent = read_capped(reader, 1024, Duration::from_millis(50)).expect_err("timed out");
        assert!(silent.contains("sent nothing more"), "{silent}");
        drop(writer);
    }
}
