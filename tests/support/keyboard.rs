//! A client of a test's X server that types through XTest and grabs keys as other
//! applications would.

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt, GrabMode, ModMask, Window};
use x11rb::protocol::xtest::ConnectionExt as _;
use x11rb::rust_connection::RustConnection;

use super::Xvfb;

/// A client of the test's X server that types and grabs as other applications would.
pub struct Keyboard {
    pub conn: RustConnection,
    pub root: Window,
}

impl Keyboard {
    pub fn connect(xvfb: &Xvfb) -> Self {
        let (conn, screen) = x11rb::connect(Some(&xvfb.display)).expect("connects to Xvfb");
        let root = conn.setup().roots[screen].root;
        Self { conn, root }
    }

    /// The first key whose keysyms `wanted` accepts.
    pub fn key_where(&self, wanted: impl Fn(&[u32]) -> bool) -> Option<u8> {
        let setup = self.conn.setup();
        let count = setup.max_keycode - setup.min_keycode + 1;
        let map = self.conn.get_keyboard_mapping(setup.min_keycode, count).expect("map");
        let map = map.reply().expect("map");
        let at = map.keysyms.chunks(self.keysyms_per_key()).position(wanted)?;
        Some(setup.min_keycode + u8::try_from(at).expect("a keycode"))
    }

    pub fn keysyms_per_key(&self) -> usize {
        let setup = self.conn.setup();
        let map = self.conn.get_keyboard_mapping(setup.min_keycode, 1).expect("map");
        usize::from(map.reply().expect("map").keysyms_per_keycode)
    }

    pub fn keycode(&self, keysym: u32) -> u8 {
        self.key_where(|syms| syms.contains(&keysym)).expect("a key")
    }

    pub fn down(&self, keysym: u32) {
        let code = self.keycode(keysym);
        self.conn.xtest_fake_input(2, code, 0, self.root, 0, 0, 0).expect("press");
        self.conn.flush().expect("flush");
    }

    pub fn up(&self, keysym: u32) {
        let code = self.keycode(keysym);
        self.conn.xtest_fake_input(3, code, 0, self.root, 0, 0, 0).expect("release");
        self.conn.flush().expect("flush");
    }

    /// Presses `keysyms` in order and lets go of them in reverse, as fingers do.
    pub fn chord(&self, keysyms: &[u32]) {
        keysyms.iter().for_each(|k| self.down(*k));
        keysyms.iter().rev().for_each(|k| self.up(*k));
    }

    /// Grabs a key as another application would: true if the server allowed it.
    pub fn grab(&self, mods: ModMask, keysym: u32) -> bool {
        let code = self.keycode(keysym);
        let cookie =
            self.conn.grab_key(false, self.root, mods, code, GrabMode::ASYNC, GrabMode::ASYNC);
        cookie.expect("sent").check().is_ok()
    }
}
