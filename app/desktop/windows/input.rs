//! Focus and keys on Windows: the foreground window when the palette opens, given back
//! before the paste, and the paste shortcut typed with SendInput. The second and last place
//! the Windows build calls Win32 directly (with `os/windows.rs`): these calls have no safe
//! wrapper in the crates the app uses.
#![allow(unsafe_code)]

use windows_sys::Win32::Foundation::HWND;
use windows_sys::Win32::UI::Input::KeyboardAndMouse::{
    INPUT, INPUT_0, INPUT_KEYBOARD, KEYBDINPUT, KEYEVENTF_EXTENDEDKEY, KEYEVENTF_KEYUP, SendInput,
    VIRTUAL_KEY, VK_CONTROL, VK_INSERT, VK_LEFT, VK_SHIFT, VK_V,
};
use windows_sys::Win32::UI::WindowsAndMessaging::{
    GetClassNameW, GetForegroundWindow, GetWindowThreadProcessId, IsWindow, SetForegroundWindow,
};

use crate::desktop::{DesktopError, Focus, Keys, Monitor, PasteKeys, Target};

pub struct WindowsInput;

fn hwnd(target: u64) -> HWND {
    target as usize as HWND
}

/// Whether `window` is one of this process's own (the palette, the library).
fn ours(window: HWND) -> bool {
    let mut pid = 0u32;
    // SAFETY: any HWND value may be passed (a stale one yields 0); `pid` is an out pointer.
    unsafe { GetWindowThreadProcessId(window, &mut pid) };
    pid == std::process::id()
}

fn class_name(window: HWND) -> String {
    let mut buffer = [0u16; 256];
    // SAFETY: the buffer is writable for the length given.
    let length = unsafe { GetClassNameW(window, buffer.as_mut_ptr(), buffer.len() as i32) };
    String::from_utf16_lossy(&buffer[..length.max(0) as usize])
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
        None
    }
}

impl Keys for WindowsInput {
    fn paste_keys_for(&self, target: Target) -> PasteKeys {
        PasteKeys::for_class(&class_name(hwnd(target.0)))
    }

    fn focus(&self, target: Target) -> Result<(), DesktopError> {
        bring_forward(hwnd(target.0))
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
    fn a_window_that_is_gone_is_said_to_be_gone() {
        assert_eq!(WindowsInput.focus(Target(0x7fff_0001)), Err(DesktopError::TargetGone));
    }
}
