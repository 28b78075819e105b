//! Focus and keys on Windows: the foreground window when the palette opens, given back
//! before the paste, the paste shortcut typed with SendInput, and the monitor the pointer
//! is on, where the palette opens. A window that runs with higher rights than ours (as
//! administrator) silently drops keys from us (Windows' UIPI), so it is told apart first.
//! These calls have no safe wrapper in the crates the app uses.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};

use windows_sys::Win32::Foundation::{HANDLE, HWND, POINT};
use windows_sys::Win32::Graphics::Gdi::{
    GetMonitorInfoW, MONITOR_DEFAULTTONEAREST, MONITORINFO, MonitorFromPoint,
};
use windows_sys::Win32::Security::{
    GetSidSubAuthority, GetSidSubAuthorityCount, GetTokenInformation, TOKEN_MANDATORY_LABEL,
    TOKEN_QUERY, TokenIntegrityLevel,
};
use windows_sys::Win32::System::Threading::{
    OpenProcess, OpenProcessToken, PROCESS_QUERY_LIMITED_INFORMATION,
};
use windows_sys::Win32::UI::Input::KeyboardAndMouse::{
    INPUT, INPUT_0, INPUT_KEYBOARD, KEYBDINPUT, KEYEVENTF_EXTENDEDKEY, KEYEVENTF_KEYUP, SendInput,
    VIRTUAL_KEY, VK_CONTROL, VK_INSERT, VK_LEFT, VK_SHIFT, VK_V,
};
use windows_sys::Win32::UI::WindowsAndMessaging::{
    GetClassNameW, GetCursorPos, GetForegroundWindow, GetWindowThreadProcessId, IsWindow,
    SetForegroundWindow,
};

use crate::desktop::{DesktopError, Focus, Keys, Monitor, PasteKeys, Target};

pub struct WindowsInput;

fn hwnd(target: u64) -> HWND {
    target as usize as HWND
}

/// Whether `window` is one of this process's own (the palette, the library).
fn ours(window: HWND) -> bool {
    process_of(window) == std::process::id()
}

fn class_name(window: HWND) -> String {
    let mut buffer = [0u16; 256];
    // SAFETY: the buffer is writable for the length given.
    let length = unsafe { GetClassNameW(window, buffer.as_mut_ptr(), buffer.len() as i32) };
    String::from_utf16_lossy(&buffer[..length.max(0) as usize])
}

pub(super) fn process_of(window: HWND) -> u32 {
    let mut pid = 0u32;
    // SAFETY: any HWND value may be passed (a stale one yields 0); `pid` is an out pointer.
    unsafe { GetWindowThreadProcessId(window, &mut pid) };
    pid
}

/// The integrity level of process `pid` (its mandatory label's RID: 0x2000 medium, 0x3000
/// high, as administrator), when Windows tells it.
fn integrity_of(pid: u32) -> Option<u32> {
    // SAFETY: any pid may be passed; a null result is checked.
    let process = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    if process.is_null() {
        return None;
    }
    // SAFETY: a handle just opened and owned by nothing else; closed when dropped.
    let process = unsafe { OwnedHandle::from_raw_handle(process) };
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: the process handle is open; `token` is an out pointer.
    if unsafe { OpenProcessToken(process.as_raw_handle(), TOKEN_QUERY, &mut token) } == 0 {
        return None;
    }
    // SAFETY: as above.
    let token = unsafe { OwnedHandle::from_raw_handle(token) };
    // TOKEN_MANDATORY_LABEL and the SID it points into; u64s keep the buffer aligned.
    let mut buffer = [0u64; 16];
    let mut length = 0u32;
    // SAFETY: the buffer is writable for the length given; `length` is an out pointer.
    let got = unsafe {
        GetTokenInformation(
            token.as_raw_handle(),
            TokenIntegrityLevel,
            buffer.as_mut_ptr().cast::<c_void>(),
            std::mem::size_of_val(&buffer) as u32,
            &mut length,
        )
    };
    if got == 0 {
        return None;
    }
    // SAFETY: on success the buffer starts with a TOKEN_MANDATORY_LABEL whose SID points
    // into the buffer, alive here; the last sub-authority of that SID is the level.
    unsafe {
        let sid = (*buffer.as_ptr().cast::<TOKEN_MANDATORY_LABEL>()).Label.Sid;
        let count = *GetSidSubAuthorityCount(sid);
        (count > 0).then(|| *GetSidSubAuthority(sid, u32::from(count) - 1))
    }
}

/// Whether keys sent to `window` would be dropped: its process runs at a higher integrity
/// level than ours. Unknown is no: the paste is tried.
fn runs_above_us(window: HWND) -> bool {
    match (integrity_of(process_of(window)), integrity_of(std::process::id())) {
        (Some(theirs), Some(ours)) => theirs > ours,
        _ => false,
    }
}

fn bring_forward(window: HWND) -> Result<(), DesktopError> {
    // SAFETY: IsWindow and SetForegroundWindow take any HWND value and only read it.
    if unsafe { IsWindow(window) } == 0 {
        return Err(DesktopError::TargetGone);
    }
    // SAFETY: as above.
    if unsafe { SetForegroundWindow(window) } == 0 {
        return Err(DesktopError::Windows("it did not let the window come forward".into()));
    }
    Ok(())
}

/// Where the pointer is, in screen pixels.
fn pointer() -> Option<POINT> {
    let mut point = POINT { x: 0, y: 0 };
    // SAFETY: `point` is an out pointer.
    (unsafe { GetCursorPos(&mut point) } != 0).then_some(point)
}

/// One key's press or release.
fn key(vk: VIRTUAL_KEY, up: bool) -> INPUT {
    let extended = matches!(vk, VK_INSERT | VK_LEFT);
    let flags =
        if up { KEYEVENTF_KEYUP } else { 0 } | if extended { KEYEVENTF_EXTENDEDKEY } else { 0 };
    INPUT {
        r#type: INPUT_KEYBOARD,
        Anonymous: INPUT_0 {
            ki: KEYBDINPUT { wVk: vk, wScan: 0, dwFlags: flags, time: 0, dwExtraInfo: 0 },
        },
    }
}

/// Presses `keys` in order and releases them in reverse, as a chord.
fn chord(keys: &[VIRTUAL_KEY]) -> Vec<INPUT> {
    let downs = keys.iter().map(|&vk| key(vk, false));
    let ups = keys.iter().rev().map(|&vk| key(vk, true));
    downs.chain(ups).collect()
}

fn send(inputs: &[INPUT]) -> Result<(), DesktopError> {
    // SAFETY: `inputs` is a live slice of INPUTs, its length and element size as given.
    let sent = unsafe {
        SendInput(inputs.len() as u32, inputs.as_ptr(), std::mem::size_of::<INPUT>() as i32)
    };
    if sent as usize != inputs.len() {
        return Err(DesktopError::Windows(format!(
            "it took {sent} of {} key events ({})",
            inputs.len(),
            std::io::Error::last_os_error()
        )));
    }
    Ok(())
}

impl Focus for WindowsInput {
    fn focused(&self) -> Option<Target> {
        // SAFETY: no arguments; a null result means no foreground window.
        let window = unsafe { GetForegroundWindow() };
        (!window.is_null() && !ours(window)).then_some(Target(window as usize as u64))
    }

    fn take_focus(&self, window: u64) -> Result<(), DesktopError> {
        bring_forward(hwnd(window))
    }

    fn pointer_monitor(&self) -> Option<Monitor> {
        let pointer = pointer()?;
        // SAFETY: any point may be passed; the nearest monitor is always one.
        let monitor = unsafe { MonitorFromPoint(pointer, MONITOR_DEFAULTTONEAREST) };
        // SAFETY: all-zero is a valid MONITORINFO, whose size is then set as Windows asks.
        let mut info: MONITORINFO = unsafe { std::mem::zeroed() };
        info.cbSize = std::mem::size_of::<MONITORINFO>() as u32;
        // SAFETY: `info` is writable and its size says which structure it is.
        if monitor.is_null() || unsafe { GetMonitorInfoW(monitor, &mut info) } == 0 {
            return None;
        }
        let area = info.rcMonitor;
        Some(Monitor {
            x: area.left,
            y: area.top,
            width: area.right.saturating_sub(area.left).max(0) as u32,
            height: area.bottom.saturating_sub(area.top).max(0) as u32,
        })
    }
}

impl Keys for WindowsInput {
    fn paste_keys_for(&self, target: Target) -> PasteKeys {
        PasteKeys::for_class(&class_name(hwnd(target.0)))
    }

    fn focus(&self, target: Target) -> Result<(), DesktopError> {
        let window = hwnd(target.0);
        if runs_above_us(window) {
            return Err(DesktopError::Windows(
                "the window runs as administrator, and takes no keys from programs that do not"
                    .into(),
            ));
        }
        bring_forward(window)?;
        // SAFETY: no arguments.
        crate::desktop::wait_for_focus(|| unsafe { GetForegroundWindow() } == window);
        Ok(())
    }

    fn press_paste(&self, keys: PasteKeys) -> Result<(), DesktopError> {
        send(&match keys {
            PasteKeys::CtrlV => chord(&[VK_CONTROL, VK_V]),
            PasteKeys::CtrlShiftV => chord(&[VK_CONTROL, VK_SHIFT, VK_V]),
            PasteKeys::ShiftInsert => chord(&[VK_SHIFT, VK_INSERT]),
        })
    }

    fn press_left(&self, times: usize) -> Result<(), DesktopError> {
        let inputs: Vec<INPUT> = (0..times).flat_map(|_| chord(&[VK_LEFT])).collect();
        send(&inputs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chord_presses_in_order_and_releases_in_reverse() {
        let inputs = chord(&[VK_CONTROL, VK_SHIFT, VK_V]);
        // SAFETY: every INPUT here was made as a keyboard input.
        let seen: Vec<(u16, bool)> = inputs
            .iter()
            .map(|i| unsafe { (i.Anonymous.ki.wVk, i.Anonymous.ki.dwFlags & KEYEVENTF_KEYUP != 0) })
            .collect();
        let expected = [
            (VK_CONTROL, false),
            (VK_SHIFT, false),
            (VK_V, false),
            (VK_V, true),
            (VK_SHIFT, true),
            (VK_CONTROL, true),
        ];
        assert_eq!(seen, expected);
    }

    #[test]
    fn a_process_s_integrity_level_is_read_and_ours_is_not_above_ours() {
        let ours = integrity_of(std::process::id()).expect("our own level");
        // From untrusted (0) to system (0x4000); medium, or high as Wine's administrator.
        assert!(ours <= 0x4000, "{ours:#x}");
        assert_eq!(integrity_of(0xffff_fff0), None, "no such process");
        // SAFETY: no arguments.
        let window = unsafe { GetForegroundWindow() };
        assert!(!runs_above_us(window), "a window of our own level, or none");
    }

    #[test]
    fn the_monitor_said_is_the_one_the_pointer_is_on() {
        let POINT { x, y } = pointer().expect("the pointer's place");
        let monitor = WindowsInput.pointer_monitor().expect("a monitor");
        assert!(monitor.width > 0 && monitor.height > 0, "{monitor:?}");
        assert!(monitor.holds((x, y)), "{monitor:?} does not hold the pointer at ({x}, {y})");
    }

    #[test]
    fn a_window_that_is_gone_is_said_to_be_gone() {
        assert_eq!(WindowsInput.focus(Target(0x7fff_0001)), Err(DesktopError::TargetGone));
    }
}
