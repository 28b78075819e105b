//! The user's keyboard layout as the compositor hands it to a client (an XKB keymap), read
//! with libxkbcommon, and the compose table of the user's locale (dead keys, the Compose
//! key). The library is loaded at run time, as winit loads it for the other
//! windows (xkbcommon-dl): no crate we use wraps it safely, so this file holds the calls.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, c_char, c_int};

use xkbcommon_dl::{
    XkbCommon, XkbCommonCompose, xkb_compose_compile_flags, xkb_compose_feed_result,
    xkb_compose_state, xkb_compose_state_flags, xkb_compose_status, xkb_compose_table, xkb_context,
    xkb_context_flags, xkb_keymap, xkb_keymap_compile_flags, xkb_keymap_format, xkb_state,
    xkb_state_component, xkbcommon_compose_option, xkbcommon_option,
};

use crate::desktop::DesktopError;

/// A keymap and the state of its modifiers and layout.
pub struct Keymap {
    xkb: &'static XkbCommon,
    context: *mut xkb_context,
    keymap: *mut xkb_keymap,
    state: *mut xkb_state,
}

// The pointers are libxkbcommon's own objects, used only through `&mut self` or `&self` by
// the one thread that owns the keymap; libxkbcommon keeps no thread-local state for them.
unsafe impl Send for Keymap {}

/// Which modifiers are in effect.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Modifiers {
    pub shift: bool,
    pub control: bool,
    pub alt: bool,
    pub logo: bool,
}

impl Keymap {
    /// Compiles the keymap `text` (the XKB text format the compositor sends).
    pub fn from_text(text: &[u8]) -> Result<Self, DesktopError> {
        let xkb = xkbcommon_option()
            .ok_or_else(|| DesktopError::Wayland("keys need libxkbcommon, not found".into()))?;
        // The text arrives NUL-terminated; what follows the NUL is padding.
        let text = text.split(|b| *b == 0).next().unwrap_or_default();
        let text = CString::new(text).map_err(|_| keymap_refused())?;
        // SAFETY: each pointer is checked before use and owned by the value made here, which
        // releases it once (Drop); `text` outlives the call that reads it.
        unsafe {
            let context = (xkb.xkb_context_new)(xkb_context_flags::XKB_CONTEXT_NO_FLAGS);
            if context.is_null() {
                return Err(keymap_refused());
            }
            let keymap = (xkb.xkb_keymap_new_from_string)(
                context,
                text.as_ptr(),
                xkb_keymap_format::XKB_KEYMAP_FORMAT_TEXT_V1,
                xkb_keymap_compile_flags::XKB_KEYMAP_COMPILE_NO_FLAGS,
            );
            if keymap.is_null() {
                (xkb.xkb_context_unref)(context);
                return Err(keymap_refused());
            }
            let state = (xkb.xkb_state_new)(keymap);
            if state.is_null() {
                (xkb.xkb_keymap_unref)(keymap);
                (xkb.xkb_context_unref)(context);
                return Err(keymap_refused());
            }
            Ok(Self { xkb, context, keymap, state })
        }
    }

    /// The modifiers and layout the compositor says are in effect.
    pub fn set_modifiers(&mut self, depressed: u32, latched: u32, locked: u32, group: u32) {
        // SAFETY: `state` is live for as long as `self`.
        unsafe {
            (self.xkb.xkb_state_update_mask)(self.state, depressed, latched, locked, 0, 0, group);
        }
    }

    pub fn modifiers(&self) -> Modifiers {
        let active = |name: &[u8]| {
            let name = CStr::from_bytes_with_nul(name).map_or(std::ptr::null(), CStr::as_ptr);
            // SAFETY: `state` is live; `name` is a NUL-terminated constant of the crate's.
            unsafe {
                (self.xkb.xkb_state_mod_name_is_active)(
                    self.state,
                    name,
                    xkb_state_component::XKB_STATE_MODS_EFFECTIVE,
                ) > 0
            }
        };
        Modifiers {
            shift: active(xkbcommon_dl::XKB_MOD_NAME_SHIFT),
            control: active(xkbcommon_dl::XKB_MOD_NAME_CTRL),
            alt: active(xkbcommon_dl::XKB_MOD_NAME_ALT),
            logo: active(xkbcommon_dl::XKB_MOD_NAME_LOGO),
        }
    }

    /// The keysym of the key with evdev code `key`, in the layout and level in effect.
    pub fn keysym(&self, key: u32) -> u32 {
        // SAFETY: `state` is live; any keycode is accepted (unknown ones give NoSymbol).
        unsafe { (self.xkb.xkb_state_key_get_one_sym)(self.state, key + 8) }
    }

    /// The text the key with evdev code `key` types, if any.
    pub fn text(&self, key: u32) -> Option<String> {
        utf8_written(|buffer, size| {
            // SAFETY: `state` is live; `buffer` holds `size` bytes.
            unsafe { (self.xkb.xkb_state_key_get_utf8)(self.state, key + 8, buffer, size) }
        })
    }

    /// Whether holding the key with evdev code `key` repeats it.
    pub fn repeats(&self, key: u32) -> bool {
        // SAFETY: `keymap` is live for as long as `self`.
        unsafe { (self.xkb.xkb_keymap_key_repeats)(self.keymap, key + 8) > 0 }
    }
}

impl Drop for Keymap {
    fn drop(&mut self) {
        // SAFETY: each was made by `from_text` and is released once, here.
        unsafe {
            (self.xkb.xkb_state_unref)(self.state);
            (self.xkb.xkb_keymap_unref)(self.keymap);
            (self.xkb.xkb_context_unref)(self.context);
        }
    }
}

/// Where a key leaves a compose sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Composed {
    /// The key is in no sequence: it types what the layout says.
    Not,
    /// A sequence has begun (a dead key) or goes on: nothing typed yet.
    Composing,
    /// The sequence ended in this text.
    Typed(String),
    /// The key broke the sequence off: nothing typed.
    Cancelled,
}

/// The compose table of a locale and where the keys typed stand in it.
pub struct Compose {
    xkb: &'static XkbCommonCompose,
    table: *mut xkb_compose_table,
    state: *mut xkb_compose_state,
}

// As for `Keymap`: libxkbcommon's own objects, used by the one thread that owns them.
unsafe impl Send for Compose {}

impl Compose {
    /// The compose table of `locale` (as in `LC_CTYPE`), which libxkbcommon finds as it
    /// does for every other client (`XCOMPOSEFILE`, `~/.XCompose`, the system's);
    /// `None` where there is none.
    pub fn for_locale(locale: &str) -> Option<Self> {
        let common = xkbcommon_option()?;
        let xkb = xkbcommon_compose_option()?;
        let locale = CString::new(locale).ok()?;
        // SAFETY: each pointer is checked before use; the table holds its own reference to
        // the context, released here once it is made; `table` and `state` are owned by the
        // value made here and released once (Drop).
        unsafe {
            let context = (common.xkb_context_new)(xkb_context_flags::XKB_CONTEXT_NO_FLAGS);
            if context.is_null() {
                return None;
            }
            let table = (xkb.xkb_compose_table_new_from_locale)(
                context,
                locale.as_ptr(),
                xkb_compose_compile_flags::XKB_COMPOSE_COMPILE_NO_FLAGS,
            );
            (common.xkb_context_unref)(context);
            if table.is_null() {
                return None;
            }
            let state = (xkb.xkb_compose_state_new)(
                table,
                xkb_compose_state_flags::XKB_COMPOSE_STATE_NO_FLAGS,
            );
            if state.is_null() {
                (xkb.xkb_compose_table_unref)(table);
                return None;
            }
            Some(Self { xkb, table, state })
        }
    }

    /// The key with `keysym` pressed: where it leaves the sequence.
    pub fn feed(&mut self, keysym: u32) -> Composed {
        // SAFETY: `state` is live for as long as `self`; the buffer handed to
        // `xkb_compose_state_get_utf8` holds the size given with it.
        unsafe {
            let fed = (self.xkb.xkb_compose_state_feed)(self.state, keysym);
            if fed == xkb_compose_feed_result::XKB_COMPOSE_FEED_IGNORED {
                return Composed::Not;
            }
            match (self.xkb.xkb_compose_state_get_status)(self.state) {
                xkb_compose_status::XKB_COMPOSE_NOTHING => Composed::Not,
                xkb_compose_status::XKB_COMPOSE_COMPOSING => Composed::Composing,
                xkb_compose_status::XKB_COMPOSE_CANCELLED => {
                    self.reset();
                    Composed::Cancelled
                }
                xkb_compose_status::XKB_COMPOSE_COMPOSED => {
                    let state = self.state;
                    let text = utf8_written(|buffer, size| {
                        (self.xkb.xkb_compose_state_get_utf8)(state, buffer, size)
                    });
                    self.reset();
                    text.map_or(Composed::Cancelled, Composed::Typed)
                }
            }
        }
    }

    /// Forgets a sequence begun: the keyboard went elsewhere.
    pub fn reset(&mut self) {
        // SAFETY: `state` is live for as long as `self`.
        unsafe { (self.xkb.xkb_compose_state_reset)(self.state) }
    }
}

impl Drop for Compose {
    fn drop(&mut self) {
        // SAFETY: each was made by `for_locale` and is released once, here.
        unsafe {
            (self.xkb.xkb_compose_state_unref)(self.state);
            (self.xkb.xkb_compose_table_unref)(self.table);
        }
    }
}

/// The text a libxkbcommon call writes, NUL-terminated, into the buffer it is given
/// (`write(buffer, size)`, answering the length it needed); `None` for no text, or more than
/// the buffer holds.
fn utf8_written(write: impl FnOnce(*mut c_char, usize) -> c_int) -> Option<String> {
    let mut buffer = [0 as c_char; 64];
    let written = write(buffer.as_mut_ptr(), buffer.len());
    let written = usize::try_from(written).ok().filter(|n| *n > 0 && *n < buffer.len())?;
    let bytes: Vec<u8> = buffer[..written].iter().map(|c| *c as u8).collect();
    String::from_utf8(bytes).ok()
}

fn keymap_refused() -> DesktopError {
    DesktopError::Wayland("sent a keymap libxkbcommon could not read".into())
}
