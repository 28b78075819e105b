//! Which key types a keysym on the keyboard layout in force: for the keys a paste presses
//! and the keys a global hotkey grabs.

use std::collections::HashMap;

use x11rb::connection::Connection;
use x11rb::errors::ReplyError;
use x11rb::protocol::xproto::{ConnectionExt as _, Keycode};
use x11rb::rust_connection::RustConnection;
use xkeysym::Keysym;

/// The first key that types each keysym, unshifted keys first: pressed alone, that key
/// gives the keysym.
pub fn keycodes(conn: &RustConnection) -> Result<HashMap<Keysym, Keycode>, ReplyError> {
    let setup = conn.setup();
    let count = setup.max_keycode - setup.min_keycode + 1;
    let map = conn.get_keyboard_mapping(setup.min_keycode, count)?.reply()?;
    let per_key = usize::from(map.keysyms_per_keycode).max(1);
    let mut found = HashMap::new();
    for level in 0..per_key {
        for (offset, syms) in map.keysyms.chunks(per_key).enumerate() {
            if let Ok(offset) = u8::try_from(offset)
                && syms[level] != 0
            {
                found.entry(Keysym::new(syms[level])).or_insert(setup.min_keycode + offset);
            }
        }
    }
    Ok(found)
}
