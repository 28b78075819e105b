//! Windows' light or dark mode for apps (Settings → Personalization → Colors), the value
//! `AppsUseLightTheme` under this user's Personalize key, followed as it changes. A thread
//! waits on the key through RegNotifyChangeKeyValue and an event, the one registry call
//! winreg does not wrap; hence the unsafe code here. Without the value (Windows before 10)
//! there is no preference.
#![allow(unsafe_code)]

use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};

use iced::futures::Stream;
use tokio::sync::mpsc::UnboundedSender;
use windows_sys::Win32::System::Registry::{REG_NOTIFY_CHANGE_LAST_SET, RegNotifyChangeKeyValue};
use windows_sys::Win32::System::Threading::{CreateEventW, INFINITE, WaitForSingleObject};
use winreg::RegKey;
use winreg::enums::{HKEY_CURRENT_USER, KEY_NOTIFY, KEY_READ};

use crate::desktop::ColorScheme;

pub const PERSONALIZE: &str = r"Software\Microsoft\Windows\CurrentVersion\Themes\Personalize";
pub const VALUE: &str = "AppsUseLightTheme";

/// The app mode now, then each change.
pub fn color_schemes() -> impl Stream<Item = ColorScheme> {
    followed(PERSONALIZE)
}

/// The app mode as `key` (under HKEY_CURRENT_USER) holds it, now and as it changes.
fn followed(key: &'static str) -> impl Stream<Item = ColorScheme> {
    crate::desktop::followed_on_a_thread("promptdeck-appearance", move |tx| {
        if let Err(e) = follow(key, &tx) {
            tracing::info!(error = %e, "Windows' app mode is not followed; \"system\" is dark");
        }
    })
}

fn from_registry(value: Option<u32>) -> ColorScheme {
    match value {
        Some(0) => ColorScheme::Dark,
        Some(1) => ColorScheme::Light,
        _ => ColorScheme::NoPreference,
    }
}

fn follow(key: &str, tx: &UnboundedSender<ColorScheme>) -> std::io::Result<()> {
    // Made when missing, so a value written there later is still heard.
    let (key, _) =
        RegKey::predef(HKEY_CURRENT_USER).create_subkey_with_flags(key, KEY_READ | KEY_NOTIFY)?;
    // SAFETY: no security attributes, no name: an auto-reset event, not signalled.
    let event = unsafe { CreateEventW(std::ptr::null(), 0, 0, std::ptr::null()) };
    if event.is_null() {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a handle just made and owned by nothing else.
    let event = unsafe { OwnedHandle::from_raw_handle(event) };
    let mut told = None;
    loop {
        // Armed before reading, so a change between the read and the wait is not missed.
        // SAFETY: the key and the event are open for as long as this call; the call
        // returns at once and signals the event at the key's next change.
        let armed = unsafe {
            RegNotifyChangeKeyValue(
                key.raw_handle(),
                0,
                REG_NOTIFY_CHANGE_LAST_SET,
                event.as_raw_handle(),
                1,
            )
        };
        if armed != 0 {
            return Err(std::io::Error::from_raw_os_error(armed as i32));
        }
        let scheme = from_registry(key.get_value::<u32, _>(VALUE).ok());
        if told != Some(scheme) {
            if tx.send(scheme).is_err() {
                return Ok(());
            }
            told = Some(scheme);
        }
        // SAFETY: the event is open; waiting on it has no other effect.
        unsafe { WaitForSingleObject(event.as_raw_handle(), INFINITE) };
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use iced::futures::StreamExt;

    use super::*;

    #[tokio::test]
    async fn the_app_mode_is_read_then_followed_as_it_is_switched() {
        let path: &'static str =
            format!(r"Software\Promptdeck tests\appearance {}", std::process::id()).leak();
        let hkcu = RegKey::predef(HKEY_CURRENT_USER);
        let (key, _) = hkcu.create_subkey(path).expect("a scratch key");
        key.set_value(VALUE, &0u32).expect("dark");
        let mut schemes = std::pin::pin!(followed(path));
        let mut next = async || {
            tokio::time::timeout(Duration::from_secs(10), schemes.next())
                .await
                .expect("a change heard within 10 s")
        };
        assert_eq!(next().await, Some(ColorScheme::Dark));
        key.set_value(VALUE, &1u32).expect("light");
        assert_eq!(next().await, Some(ColorScheme::Light));
        key.delete_value(VALUE).expect("removed");
        assert_eq!(next().await, Some(ColorScheme::NoPreference));
        hkcu.delete_subkey_all(path).expect("scratch key removed");
    }
}
