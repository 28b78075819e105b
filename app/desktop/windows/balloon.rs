//! Notifications as balloons from the tray icon, which Windows 10 and 11 show as toasts in
//! the notification centre. Shown from the icon, they need no identity registered with the
//! system: a toast of our own needs an AppUserModelID carried by a Start-menu shortcut,
//! which a program run from a zip does not have.
#![allow(unsafe_code)]

use windows_sys::Win32::UI::Shell::{
    NIF_INFO, NIIF_INFO, NIIF_RESPECT_QUIET_TIME, NIM_MODIFY, NOTIFYICONDATAW, Shell_NotifyIconW,
};

use crate::desktop::Notifier;

/// The tray icon's number beside its window, which tray-icon does not expose: it draws
/// numbers from one counter per process, from 1, first for the builder's default id (1,
/// replaced by ours) and then for the icon (2); ours is the process's only icon. The Wine
/// test fails if that ever changes.
const TRAY_ICON_ID: u32 = 2;

/// Balloons from the tray icon whose window is `window` (an HWND).
pub struct Balloons {
    window: isize,
}

impl Balloons {
    pub fn from_tray_window(window: isize) -> Self {
        Self { window }
    }

    /// Shows `text` under `title`; false when the shell has no such icon to show it from.
    fn show(&self, title: &str, text: &str) -> bool {
        let mut data = NOTIFYICONDATAW {
            cbSize: u32::try_from(size_of::<NOTIFYICONDATAW>()).unwrap_or(u32::MAX),
            hWnd: self.window as _,
            uID: TRAY_ICON_ID,
            uFlags: NIF_INFO,
            // Not in the user's quiet hours, full screen or presenting.
            dwInfoFlags: NIIF_INFO | NIIF_RESPECT_QUIET_TIME,
            ..Default::default()
        };
        copy_wide(&mut data.szInfoTitle, title);
        copy_wide(&mut data.szInfo, text);
        // SAFETY: `data` is a whole NOTIFYICONDATAW of the size it states, alive for the call.
        unsafe { Shell_NotifyIconW(NIM_MODIFY, &data) != 0 }
    }
}

/// `text` as UTF-16 in `field`, cut to fit with its terminating NUL (never within a
/// surrogate pair), as the shell's fixed-size fields take it.
fn copy_wide(field: &mut [u16], text: &str) {
    let room = field.len().saturating_sub(1);
    let mut written = 0;
    for c in text.chars() {
        let mut units = [0u16; 2];
        let units = c.encode_utf16(&mut units);
        if written + units.len() > room {
            break;
        }
        field[written..written + units.len()].copy_from_slice(units);
        written += units.len();
    }
    field[written..].fill(0);
}

impl Notifier for Balloons {
    fn saved(&self, title: &str) {
        if self.show("Saved to Promptdeck", title) {
            tracing::info!("the shell showed the notification");
        } else {
            tracing::warn!("the shell showed no notification: the tray icon is not there");
        }
    }

    fn not_pasted(&self, notice: &str) {
        if !self.show(crate::desktop::NOT_PASTED, notice) {
            tracing::warn!("the shell showed no notification: the tray icon is not there");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::copy_wide;

    #[test]
    fn text_is_cut_to_the_field_with_its_nul_never_inside_a_character() {
        let mut field = [0xffffu16; 5];
        copy_wide(&mut field, "ab");
        assert_eq!(field, [97, 98, 0, 0, 0]);
        copy_wide(&mut field, "abc😀");
        assert_eq!(field, [97, 98, 99, 0, 0], "the pair would not fit whole before the NUL");
        copy_wide(&mut field, "a😀xyz");
        assert_eq!(field, [97, 0xd83d, 0xde00, 120, 0]);
    }
}
