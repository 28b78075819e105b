//! The clipboard on Windows: arboard for what it held and for putting that back; the prompt
//! for a paste offered by delayed rendering, so the paste's reader is seen. Windows tells no
//! one who reads placed data, so a restore had to guess when the target had pasted (it read
//! the old content when it came late, as on a loaded machine). Offered with no data
//! (`SetClipboardData` with a null handle), the text is asked of its owner window
//! (`WM_RENDERFORMAT`) while the reader holds the clipboard open, and
//! `GetOpenClipboardWindow` names that reader. Another reader first (a clipboard history, or
//! Wine handing the clipboard to X) gets the text, and the text is offered again for the
//! target; the target reading it in between is seen holding the clipboard open. Each offer
//! carries the marks clipboard monitors honour, so a history tool neither keeps the prompt
//! nor reads it while the target may be asking. The owner window lives on the thread that
//! offers, the desktop's worker, which answers the asks while it waits; the text is placed
//! for good before the wait ends, so a reader never waits on a thread that no longer
//! listens.
#![allow(unsafe_code)]

use std::cell::RefCell;
use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::{
    GetLastError, GlobalFree, HWND, LPARAM, LRESULT, SetLastError, WPARAM,
};
use windows_sys::Win32::System::DataExchange::{
    CloseClipboard, EmptyClipboard, GetOpenClipboardWindow, OpenClipboard,
    RegisterClipboardFormatW, SetClipboardData,
};
use windows_sys::Win32::System::LibraryLoader::GetModuleHandleW;
use windows_sys::Win32::System::Memory::{GMEM_MOVEABLE, GlobalAlloc, GlobalLock, GlobalUnlock};
use windows_sys::Win32::System::Ole::CF_UNICODETEXT;
use windows_sys::Win32::UI::WindowsAndMessaging::{
    CreateWindowExW, DefWindowProcW, DestroyWindow, DispatchMessageW, HWND_MESSAGE, MSG,
    MsgWaitForMultipleObjects, PM_REMOVE, PeekMessageW, QS_ALLINPUT, RegisterClassW,
    WM_DESTROYCLIPBOARD, WM_RENDERALLFORMATS, WM_RENDERFORMAT, WNDCLASSW,
};

use super::input::process_of;
use crate::desktop::clipboard_formats::ArboardClipboard;
use crate::desktop::{CaptureError, Clipboard, DesktopError, Snapshot, Taken, Target};

/// The most waited for another program to close the clipboard so that we may open it: a
/// reader handed the text, before it is offered again or the previous clipboard put back.
const READER_CLOSES: Duration = Duration::from_millis(500);

/// Formats whose presence asks clipboard monitors to leave the clipboard alone: Windows'
/// own (its history and cloud clipboard honour it, as do history tools such as Ditto), and
/// the older convention KeePass and others set. A paste's prompt is on the clipboard only
/// until the target reads it, then the user's clipboard comes back: it is not the user's
/// copy to keep, and a monitor reading each offer would be offered it again, and read it
/// again, for as long as the wait lasts, holding the clipboard open each time the target
/// might ask for it.
const LEFT_ALONE_BY_MONITORS: [&str; 2] =
    ["ExcludeClipboardContentFromMonitorProcessing", "Clipboard Viewer Ignore"];

pub struct WindowsClipboard {
    inner: ArboardClipboard,
    /// Made by the first offer, on the thread that offers and answers.
    owner: Option<OwnerWindow>,
}

/// The message-only window that owns an offered text and is asked to render it.
struct OwnerWindow(HWND);

// SAFETY: the window is made, used and destroyed on the desktop worker's thread, to which
// the clipboard is moved before its first offer; no other thread touches the handle.
unsafe impl Send for OwnerWindow {}

impl Drop for OwnerWindow {
    fn drop(&mut self) {
        // SAFETY: our own window; from another thread this fails and changes nothing.
        unsafe { DestroyWindow(self.0) };
    }
}

/// The text offered and who has read it, kept for the owner window's procedure.
struct Offer {
    /// UTF-16 with its terminating nul, as `CF_UNICODETEXT` holds it.
    text: Vec<u16>,
    /// The process of each window that opened the clipboard to read it (0: opened with none).
    readers: Vec<u32>,
    /// Someone else emptied the clipboard: the offer is gone.
    lost: bool,
}

thread_local! {
    static OFFER: RefCell<Option<Offer>> = const { RefCell::new(None) };
}

impl WindowsClipboard {
    pub fn new() -> Result<Self, DesktopError> {
        Ok(Self { inner: ArboardClipboard::new()?, owner: None })
    }

    fn owner_window(&mut self) -> Result<HWND, DesktopError> {
        if let Some(owner) = &self.owner {
            return Ok(owner.0);
        }
        let class: Vec<u16> = "PromptdeckClipboardOwner\0".encode_utf16().collect();
        // SAFETY: a null name asks for this executable's module.
        let instance = unsafe { GetModuleHandleW(std::ptr::null()) };
        let window_class = WNDCLASSW {
            lpfnWndProc: Some(owner_procedure),
            hInstance: instance,
            lpszClassName: class.as_ptr(),
            ..Default::default()
        };
        // SAFETY: the class's name outlives the call; registering it twice (a second
        // clipboard) fails harmlessly, the first registration serving both.
        unsafe { RegisterClassW(&window_class) };
        // SAFETY: a registered class, no title, a message-only window (HWND_MESSAGE).
        let window = unsafe {
            CreateWindowExW(
                0,
                class.as_ptr(),
                std::ptr::null(),
                0,
                0,
                0,
                0,
                0,
                HWND_MESSAGE,
                std::ptr::null_mut(),
                instance,
                std::ptr::null(),
            )
        };
        if window.is_null() {
            return Err(DesktopError::Clipboard(format!(
                "no window to own the clipboard: {}",
                std::io::Error::last_os_error()
            )));
        }
        self.owner = Some(OwnerWindow(window));
        Ok(window)
    }

    /// Takes the clipboard with `text` offered, not placed: its first reader asks for it.
    /// `seen_holding` hears the process of each window seen holding the clipboard open
    /// meanwhile.
    fn offer_text(
        &mut self,
        text: Vec<u16>,
        seen_holding: &mut dyn FnMut(u32),
    ) -> Result<(), DesktopError> {
        let window = self.owner_window()?;
        let open = opened(window, READER_CLOSES, seen_holding)?;
        // SAFETY: the clipboard is open to us. Emptying it tells its owner, which may be our
        // own window (an offer taken back), so no borrow of OFFER is held across it.
        unsafe { EmptyClipboard() };
        OFFER.with(|offer| {
            *offer.borrow_mut() = Some(Offer { text, readers: Vec::new(), lost: false })
        });
        // SAFETY: open and emptied by us; a null handle offers the format to be asked for,
        // and is what a success returns too, so the error is told by the thread's last error.
        let offered = unsafe {
            SetLastError(0);
            SetClipboardData(u32::from(CF_UNICODETEXT), std::ptr::null_mut());
            GetLastError() == 0
        };
        if offered {
            leave_to_the_paste();
        }
        drop(open);
        if !offered {
            OFFER.with(|offer| offer.borrow_mut().take());
            return Err(DesktopError::Clipboard(format!(
                "the clipboard refused the offer: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(())
    }

    /// Answers asks for the text until `until`, or until a reader has been handed it.
    fn answer_until(until: Instant) {
        loop {
            pump();
            let handed = OFFER.with(|offer| {
                offer.borrow().as_ref().is_none_or(|o| o.lost || !o.readers.is_empty())
            });
            let left = until.saturating_duration_since(Instant::now());
            if handed || left.is_zero() {
                return;
            }
            let millis = u32::try_from(left.as_millis()).unwrap_or(u32::MAX).max(1);
            // SAFETY: no handles; wakes at any message, a sent one (the ask) among them.
            unsafe { MsgWaitForMultipleObjects(0, std::ptr::null(), 0, millis, QS_ALLINPUT) };
        }
    }

    /// Waits, up to [`READER_CLOSES`], until the reader has closed the clipboard: the
    /// previous clipboard is put back by opening it.
    fn wait_until_closed(&mut self) {
        if let Ok(window) = self.owner_window() {
            drop(opened(window, READER_CLOSES, &mut |_| {}));
        }
    }

    /// Places `text` (UTF-16, nul-terminated) for good: no reader waits on us for it.
    fn place_for_good(&mut self, text: &[u16]) {
        let placed = String::from_utf16_lossy(text.strip_suffix(&[0]).unwrap_or(text));
        if let Err(e) = self.put(&placed) {
            tracing::warn!(error = %e, "the prompt could not be placed on the clipboard");
        }
    }
}

impl Clipboard for WindowsClipboard {
    fn snapshot(&mut self) -> Snapshot {
        self.inner.snapshot()
    }

    fn put(&mut self, text: &str) -> Result<(), DesktopError> {
        OFFER.with(|offer| offer.borrow_mut().take());
        self.inner.put(text)
    }

    fn offer(&mut self, text: &str) -> Result<(), DesktopError> {
        let wide: Vec<u16> = text.encode_utf16().chain([0]).collect();
        self.offer_text(wide, &mut |_| {}).or_else(|e| {
            tracing::warn!(error = %e, "the prompt is placed, its reads unseen");
            self.put(text)
        })
    }

    /// The target's read is told by the process of the window it opened the clipboard with.
    /// Read by others only, the text is offered again each time for the target's read.
    fn wait_until_taken(&mut self, target: Target, keys_sent: Instant, cap: Duration) -> Taken {
        let Some(text) = OFFER.with(|offer| offer.borrow().as_ref().map(|o| o.text.clone())) else {
            return Taken::Unseen;
        };
        // 0 when the target is gone, as for a reader that opened the clipboard with no window.
        let target = process_of(target.0 as usize as HWND);
        let deadline = keys_sent + cap;
        let mut others = false;
        loop {
            Self::answer_until(deadline);
            let (readers, lost) = OFFER.with(|offer| {
                offer.borrow().as_ref().map(|o| (o.readers.clone(), o.lost)).unwrap_or_default()
            });
            if lost {
                // Something else was put on the clipboard: the prompt is no longer there to
                // paste or to place, and what is there now is not ours to replace.
                return if readers.is_empty() && !others {
                    Taken::ByNobody
                } else {
                    Taken::ByOthersOnly
                };
            }
            if target != 0 && readers.contains(&target) {
                self.wait_until_closed();
                OFFER.with(|offer| offer.borrow_mut().take());
                return Taken::ByTarget;
            }
            others |= !readers.is_empty();
            if Instant::now() >= deadline {
                break;
            }
            // Another's read left the text placed until it is offered again: a read by the
            // target meanwhile is seen only as the target holding the clipboard open.
            let mut target_held = false;
            let offered = self.offer_text(text.clone(), &mut |holder| {
                target_held |= target != 0 && holder == target;
            });
            if target_held {
                self.place_for_good(&text);
                return Taken::ByTarget;
            }
            if let Err(e) = offered {
                tracing::warn!(error = %e, "the prompt could not be offered again");
                break;
            }
        }
        // The prompt stays for the user to paste.
        self.place_for_good(&text);
        if others { Taken::ByOthersOnly } else { Taken::ByNobody }
    }

    fn restore(&mut self, snapshot: Snapshot) {
        OFFER.with(|offer| offer.borrow_mut().take());
        self.inner.restore(snapshot);
    }

    fn selection(&mut self) -> Result<String, CaptureError> {
        self.inner.selection()
    }
}

/// The clipboard opened by `window`; closed when dropped.
struct Opened;

impl Drop for Opened {
    fn drop(&mut self) {
        // SAFETY: opened by this thread.
        unsafe { CloseClipboard() };
    }
}

/// Opens the clipboard as `window`, trying for up to `patience`: other programs hold it open
/// for moments. `seen_holding` hears the process of the window holding it at each try.
fn opened(
    window: HWND,
    patience: Duration,
    seen_holding: &mut dyn FnMut(u32),
) -> Result<Opened, DesktopError> {
    let deadline = Instant::now() + patience;
    loop {
        // SAFETY: our own window (or none, in the tests' readers).
        if unsafe { OpenClipboard(window) } != 0 {
            return Ok(Opened);
        }
        // SAFETY: no arguments; null when the holder opened the clipboard with no window.
        seen_holding(process_of(unsafe { GetOpenClipboardWindow() }));
        if Instant::now() >= deadline {
            return Err(DesktopError::Clipboard("another program holds the clipboard open".into()));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Marks what the clipboard holds as [`LEFT_ALONE_BY_MONITORS`]; the clipboard is open to
/// us. A mark not placed leaves the paste as it was: a monitor may then read the prompt.
fn leave_to_the_paste() {
    for name in LEFT_ALONE_BY_MONITORS {
        if let Err(e) = place_mark(name) {
            tracing::debug!(format = name, error = %e, "a clipboard monitor may read the prompt");
        }
    }
}

/// Places the registered format `name` on the open clipboard, holding a zero DWORD: any data
/// marks, and Windows' history formats are read as a DWORD.
fn place_mark(name: &str) -> std::io::Result<()> {
    match registered(name) {
        0 => Err(std::io::Error::last_os_error()),
        format => place(format, &[0; 2]),
    }
}

/// The clipboard format registered under `name` (0 when it could not be).
fn registered(name: &str) -> u32 {
    let wide: Vec<u16> = name.encode_utf16().chain([0]).collect();
    // SAFETY: a nul-terminated name; a name registered before gives the same format.
    unsafe { RegisterClipboardFormatW(wide.as_ptr()) }
}

/// Places `data` on the open clipboard as `format`, in a movable block of its own.
fn place(format: u32, data: &[u16]) -> std::io::Result<()> {
    // SAFETY: a movable block of `data`'s size, locked while `data` is copied into it; once
    // SetClipboardData takes it the system owns it, else it is freed here.
    unsafe {
        let memory = GlobalAlloc(GMEM_MOVEABLE, size_of_val(data));
        if memory.is_null() {
            return Err(std::io::Error::last_os_error());
        }
        let into = GlobalLock(memory).cast::<u16>();
        if into.is_null() {
            let error = std::io::Error::last_os_error();
            GlobalFree(memory);
            return Err(error);
        }
        std::ptr::copy_nonoverlapping(data.as_ptr(), into, data.len());
        GlobalUnlock(memory);
        if SetClipboardData(format, memory).is_null() {
            let error = std::io::Error::last_os_error();
            GlobalFree(memory);
            return Err(error);
        }
    }
    Ok(())
}

/// Handles this thread's messages waiting, the sent asks among them.
fn pump() {
    // SAFETY: all-zero is a valid MSG to be written into.
    let mut message: MSG = unsafe { std::mem::zeroed() };
    // SAFETY: `message` is writable; a null window takes every message of this thread.
    while unsafe { PeekMessageW(&mut message, std::ptr::null_mut(), 0, 0, PM_REMOVE) } != 0 {
        // SAFETY: a message just taken from the queue.
        unsafe { DispatchMessageW(&message) };
    }
}

/// Hands the offered text to the reader that asked (the clipboard is open to it), and
/// notes who that is.
fn render() {
    // SAFETY: no arguments; null when the reader opened the clipboard with no window.
    let reader = process_of(unsafe { GetOpenClipboardWindow() });
    let Some(text) = OFFER.with(|offer| {
        let mut offer = offer.borrow_mut();
        let offer = offer.as_mut()?;
        offer.readers.push(reader);
        Some(offer.text.clone())
    }) else {
        return;
    };
    if let Err(e) = place(u32::from(CF_UNICODETEXT), &text) {
        tracing::debug!(error = %e, "a reader of the prompt was handed nothing");
    }
}

unsafe extern "system" fn owner_procedure(
    window: HWND,
    message: u32,
    wparam: WPARAM,
    lparam: LPARAM,
) -> LRESULT {
    match message {
        WM_RENDERFORMAT if wparam == usize::from(CF_UNICODETEXT) => render(),
        // The window goes while still owning an offer: the text is placed for good.
        WM_RENDERALLFORMATS => {
            if let Ok(_open) = opened(window, READER_CLOSES, &mut |_| {}) {
                render();
            }
        }
        WM_DESTROYCLIPBOARD => OFFER.with(|offer| {
            if let Some(offer) = offer.borrow_mut().as_mut() {
                offer.lost = true;
            }
        }),
        // SAFETY: the arguments as this procedure was given them.
        _ => return unsafe { DefWindowProcW(window, message, wparam, lparam) },
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{MutexGuard, mpsc};
    use windows_sys::Win32::System::DataExchange::{GetClipboardData, IsClipboardFormatAvailable};
    use windows_sys::Win32::UI::WindowsAndMessaging::{GetQueueStatus, QS_SENDMESSAGE};

    /// One test at a time holds the system's one clipboard.
    static CLIPBOARD: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// The system's clipboard to this test alone, holding `text` offered for a paste.
    fn offering(text: &str) -> (MutexGuard<'static, ()>, WindowsClipboard) {
        let one = CLIPBOARD.lock().unwrap_or_else(|e| e.into_inner());
        let mut clipboard = WindowsClipboard::new().expect("a clipboard");
        clipboard.offer(text).expect("offered");
        (one, clipboard)
    }

    /// Reads the clipboard's text on a thread of its own, the clipboard opened with a window
    /// of that thread (or with none), as another program would, and sends it.
    fn read_apart(with_window: bool) -> mpsc::Receiver<Option<String>> {
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = WindowsClipboard::new().expect("a clipboard");
            let window = if with_window {
                reader.owner_window().expect("a window")
            } else {
                std::ptr::null_mut()
            };
            let text = opened(window, READER_CLOSES, &mut |_| {}).ok().and_then(|_open| {
                // SAFETY: the clipboard is open to this thread; the block is read while locked.
                unsafe {
                    let data = GetClipboardData(u32::from(CF_UNICODETEXT));
                    let wide = GlobalLock(data).cast::<u16>();
                    if wide.is_null() {
                        return None;
                    }
                    let length = (0..).take_while(|&i| *wide.add(i) != 0).count();
                    let text = String::from_utf16_lossy(std::slice::from_raw_parts(wide, length));
                    GlobalUnlock(data);
                    Some(text)
                }
            });
            let _ = sender.send(text);
        });
        receiver
    }

    /// What a reader started by [`read_apart`] read; `what` names it in a failure.
    fn text_read(read: &mpsc::Receiver<Option<String>>, what: &str) -> Option<String> {
        read.recv_timeout(Duration::from_secs(20)).expect(what)
    }

    #[test]
    fn the_target_s_read_is_seen_and_it_gets_the_prompt() {
        let (_one, mut clipboard) = offering("a prompt ✓");
        let read = read_apart(true);
        // The reader's window is of this process, as the target's is.
        let ours = clipboard.owner_window().expect("a window") as usize as u64;
        let taken =
            clipboard.wait_until_taken(Target(ours), Instant::now(), Duration::from_secs(20));
        assert_eq!(taken, Taken::ByTarget);
        assert_eq!(text_read(&read, "the reader's text").as_deref(), Some("a prompt ✓"));
    }

    #[test]
    fn an_offer_asks_clipboard_monitors_to_leave_it_alone() {
        let (_one, _clipboard) = offering("not the user's copy");
        // Asked from a thread of its own, as a monitor hearing of the change would ask.
        let marked = std::thread::spawn(|| {
            LEFT_ALONE_BY_MONITORS.map(|name| {
                // SAFETY: takes any format number and only reads it.
                unsafe { IsClipboardFormatAvailable(registered(name)) != 0 }
            })
        })
        .join()
        .expect("asked");
        assert_eq!(marked, [true; LEFT_ALONE_BY_MONITORS.len()], "{LEFT_ALONE_BY_MONITORS:?}");
    }

    /// Waits until a reader's ask waits on this thread, so a short wait is sure to see it.
    fn until_asked() {
        let deadline = Instant::now() + Duration::from_secs(20);
        // SAFETY: no arguments; the high word is what the queue holds now.
        while unsafe { GetQueueStatus(QS_SENDMESSAGE) } >> 16 & QS_SENDMESSAGE == 0 {
            assert!(Instant::now() < deadline, "no reader asked");
            std::thread::yield_now();
        }
    }

    #[test]
    fn read_by_another_only_the_prompt_is_offered_again_then_placed_for_good() {
        let (_one, mut clipboard) = offering("kept for the user");
        // Opened with no window: not the target's read.
        let other = read_apart(false);
        until_asked();
        let ours = clipboard.owner_window().expect("a window") as usize as u64;
        let taken =
            clipboard.wait_until_taken(Target(ours), Instant::now(), Duration::from_millis(400));
        assert_eq!(taken, Taken::ByOthersOnly);
        assert_eq!(text_read(&other, "the other's text").as_deref(), Some("kept for the user"));
        // Nothing answers asks now: a read that finds the text only offered never ends.
        let after = read_apart(true);
        assert_eq!(text_read(&after, "placed, not offered").as_deref(), Some("kept for the user"));
    }

    #[test]
    fn read_by_nobody_the_prompt_is_placed_for_good() {
        let (_one, mut clipboard) = offering("never pasted");
        let taken =
            clipboard.wait_until_taken(Target(0), Instant::now(), Duration::from_millis(200));
        assert_eq!(taken, Taken::ByNobody);
        let after = read_apart(true);
        assert_eq!(text_read(&after, "placed, not offered").as_deref(), Some("never pasted"));
    }
}
