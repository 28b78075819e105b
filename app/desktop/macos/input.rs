//! Focus and keys on macOS: the frontmost application (a process id stands for its window),
//! activating it again, and ⌘V and Left posted as Core Graphics keyboard events. macOS drops
//! posted events from a process the user has not trusted with Accessibility, silently; so
//! each press asks first and says what to do instead.
//!
//! Unsafe code here, and only here on macOS: `CGGetDisplaysWithPoint` writes into a buffer
//! we pass, and the Accessibility check reads a dictionary and a constant of the system's.
#![allow(unsafe_code)]

use objc2_app_kit::{NSApplicationActivationOptions, NSRunningApplication, NSWorkspace};
use objc2_application_services::{
    AXIsProcessTrusted, AXIsProcessTrustedWithOptions, kAXTrustedCheckOptionPrompt,
};
use objc2_core_foundation::{CFBoolean, CFDictionary, CFString};
use objc2_core_graphics::{
    CGDirectDisplayID, CGDisplayBounds, CGError, CGEvent, CGEventFlags, CGEventTapLocation,
    CGGetDisplaysWithPoint, CGKeyCode,
};

use crate::desktop::{DesktopError, Focus, Keys, Monitor, PasteKeys, Target};

/// What a user without the Accessibility permission is told.
pub const NOT_TRUSTED: &str = "no paste until Promptdeck is allowed to control the computer \
    (System Settings > Privacy & Security > Accessibility): a chosen prompt is left on the \
    clipboard, paste it with ⌘V";

/// Virtual key codes of the ANSI keyboard (Carbon's `kVK_ANSI_V`, `kVK_LeftArrow`): the
/// same physical keys on every layout, as macOS's own ⌘V is.
const KEY_V: CGKeyCode = 9;
const KEY_LEFT: CGKeyCode = 123;

/// Whether macOS lets this process post keys to others. With `ask`, macOS shows its own
/// dialog leading to the setting (once per program: it does not ask again).
pub fn may_post_keys(ask: bool) -> bool {
    if !ask {
        return unsafe { AXIsProcessTrusted() };
    }
    let prompt: &CFString = unsafe { kAXTrustedCheckOptionPrompt };
    let options = CFDictionary::from_slices(&[prompt], &[CFBoolean::new(true)]);
    unsafe { AXIsProcessTrustedWithOptions(Some(options.as_opaque())) }
}

pub struct MacInput;

impl MacInput {
    fn running(target: Target) -> Result<objc2::rc::Retained<NSRunningApplication>, DesktopError> {
        let pid = i32::try_from(target.0).map_err(|_| DesktopError::TargetGone)?;
        NSRunningApplication::runningApplicationWithProcessIdentifier(pid)
            .filter(|app| !app.isTerminated())
            .ok_or(DesktopError::TargetGone)
    }
}

impl Focus for MacInput {
    fn focused(&self) -> Option<Target> {
        let app = NSWorkspace::sharedWorkspace().frontmostApplication()?;
        let pid = app.processIdentifier();
        let ours = i32::try_from(std::process::id()).ok();
        (pid > 0 && Some(pid) != ours).then_some(Target(pid as u64))
    }

    /// Activates this application: its key window (the palette, just shown) gets the
    /// keyboard.
    fn take_focus(&self, _window: u64) -> Result<(), DesktopError> {
        let activated = NSRunningApplication::currentApplication()
            .activateWithOptions(NSApplicationActivationOptions::ActivateAllWindows);
        activated
            .then_some(())
            .ok_or_else(|| DesktopError::MacOs("would not activate Promptdeck".into()))
    }

    /// The display under the pointer, in Core Graphics' global coordinates (origin at the
    /// main display's top-left, in points), as the window toolkit places windows.
    fn pointer_monitor(&self) -> Option<Monitor> {
        let event = CGEvent::new(None)?;
        let pointer = CGEvent::location(Some(&event));
        let mut display: CGDirectDisplayID = 0;
        let mut found = 0u32;
        let error = unsafe { CGGetDisplaysWithPoint(pointer, 1, &mut display, &mut found) };
        if error != CGError::Success || found == 0 {
            return None;
        }
        let bounds = CGDisplayBounds(display);
        Some(Monitor {
            x: bounds.origin.x.round() as i32,
            y: bounds.origin.y.round() as i32,
            width: bounds.size.width.round().max(0.0) as u32,
            height: bounds.size.height.round().max(0.0) as u32,
        })
    }
}

impl Keys for MacInput {
    /// Every macOS application, terminals too, pastes on ⌘V.
    fn paste_keys_for(&self, _target: Target) -> PasteKeys {
        PasteKeys::CtrlV
    }

    fn focus(&self, target: Target) -> Result<(), DesktopError> {
        let app = Self::running(target)?;
        if !app.activateWithOptions(NSApplicationActivationOptions::empty()) {
            return Err(DesktopError::MacOs("would not give the keyboard back".into()));
        }
        crate::desktop::wait_for_focus(|| app.isActive());
        Ok(())
    }

    fn press_paste(&self, _keys: PasteKeys) -> Result<(), DesktopError> {
        press(KEY_V, CGEventFlags::MaskCommand)
    }

    fn press_left(&self, times: usize) -> Result<(), DesktopError> {
        (0..times).try_for_each(|_| press(KEY_LEFT, CGEventFlags(0)))
    }
}

/// A key pressed and let go, with `flags` held.
fn press(key: CGKeyCode, flags: CGEventFlags) -> Result<(), DesktopError> {
    if !may_post_keys(false) {
        return Err(DesktopError::MacOs(NOT_TRUSTED.into()));
    }
    for down in [true, false] {
        let event = CGEvent::new_keyboard_event(None, key, down)
            .ok_or_else(|| DesktopError::MacOs("could not make a key event".into()))?;
        CGEvent::set_flags(Some(&event), flags);
        CGEvent::post(CGEventTapLocation::HIDEventTap, Some(&event));
    }
    Ok(())
}
