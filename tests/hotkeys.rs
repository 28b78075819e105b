//! The global hotkeys on a real X server (Xvfb), pressed through XTest as a keyboard would:
//! each press reaches the app once, with lock keys on too; a shortcut another client holds
//! is reported while the other one works; shortcuts replaced or dropped are let go.

mod support;

use std::time::Duration;

use promptdeck::control::UiCommand;
use promptdeck::gui::hotkeys::Hotkeys;
use support::{WAIT, Xvfb};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt, GrabMode, ModMask, Window};
use x11rb::protocol::xtest::ConnectionExt as _;
use x11rb::rust_connection::RustConnection;
use xkeysym::key;

/// A client of the test's X server that types and grabs as other applications would.
struct Keyboard {
    conn: RustConnection,
    root: Window,
}

impl Keyboard {
    fn connect(xvfb: &Xvfb) -> Self {
        let (conn, screen) = x11rb::connect(Some(&xvfb.display)).expect("connects to Xvfb");
        let root = conn.setup().roots[screen].root;
        Self { conn, root }
    }

    /// The first key whose keysyms `wanted` accepts.
    fn key_where(&self, wanted: impl Fn(&[u32]) -> bool) -> Option<u8> {
        let setup = self.conn.setup();
        let count = setup.max_keycode - setup.min_keycode + 1;
        let map = self.conn.get_keyboard_mapping(setup.min_keycode, count).expect("map");
        let map = map.reply().expect("map");
        let at = map.keysyms.chunks(self.keysyms_per_key()).position(wanted)?;
        Some(setup.min_keycode + u8::try_from(at).expect("a keycode"))
    }

    fn keysyms_per_key(&self) -> usize {
        let setup = self.conn.setup();
        let map = self.conn.get_keyboard_mapping(setup.min_keycode, 1).expect("map");
        usize::from(map.reply().expect("map").keysyms_per_keycode)
    }

    fn keycode(&self, keysym: u32) -> u8 {
        self.key_where(|syms| syms.contains(&keysym)).expect("a key")
    }

    fn down(&self, keysym: u32) {
        let code = self.keycode(keysym);
        self.conn.xtest_fake_input(2, code, 0, self.root, 0, 0, 0).expect("press");
        self.conn.flush().expect("flush");
    }

    fn up(&self, keysym: u32) {
        let code = self.keycode(keysym);
        self.conn.xtest_fake_input(3, code, 0, self.root, 0, 0, 0).expect("release");
        self.conn.flush().expect("flush");
    }

    /// Presses `keysyms` in order and lets go of them in reverse, as fingers do.
    fn chord(&self, keysyms: &[u32]) {
        keysyms.iter().for_each(|k| self.down(*k));
        keysyms.iter().rev().for_each(|k| self.up(*k));
    }

    /// Grabs a key as another application would: true if the server allowed it.
    fn grab(&self, mods: ModMask, keysym: u32) -> bool {
        let code = self.keycode(keysym);
        let cookie =
            self.conn.grab_key(false, self.root, mods, code, GrabMode::ASYNC, GrabMode::ASYNC);
        cookie.expect("sent").check().is_ok()
    }
}

fn next(rx: &mut UnboundedReceiver<UiCommand>) -> UiCommand {
    next_within(rx, WAIT).expect("a hotkey command in time")
}

/// The next command, if one comes within `limit`.
fn next_within(rx: &mut UnboundedReceiver<UiCommand>, limit: Duration) -> Option<UiCommand> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("rt");
    let command = runtime.block_on(async { tokio::time::timeout(limit, rx.recv()).await });
    command.ok().map(|c| c.expect("the hotkeys are still listening"))
}

fn name(command: &UiCommand) -> &'static str {
    match command {
        UiCommand::OpenPalette => "palette",
        UiCommand::Capture(_) => "capture",
        _ => "something else",
    }
}

fn start(
    xvfb: &Xvfb,
    palette: &str,
    capture: &str,
) -> (Hotkeys, UnboundedReceiver<UiCommand>, Vec<String>) {
    let (tx, rx) = unbounded_channel();
    let mut hotkeys = Hotkeys::on_display(Some(&xvfb.display), tx).expect("hotkeys on Xvfb");
    let problems = hotkeys.apply(palette, capture);
    (hotkeys, rx, problems)
}

/// Long enough for several of Xvfb's auto-repeats (after 660 ms, then every 40 ms).
const HELD: Duration = Duration::from_millis(1_500);
const PALETTE: [u32; 3] = [key::Control_L, key::Shift_L, key::space];
const CAPTURE: [u32; 3] = [key::Control_L, key::Shift_L, key::c];

#[test]
fn each_press_of_a_hotkey_reaches_the_app_once_however_long_it_is_held() {
    let xvfb = Xvfb::start();
    let keyboard = Keyboard::connect(&xvfb);
    let (_hotkeys, mut rx, problems) = start(&xvfb, "ctrl+shift+space", "ctrl+shift+c");
    assert!(problems.is_empty(), "{problems:?}");

    // Held well past the X server's auto-repeat delay (660 ms): the key repeats.
    keyboard.down(key::Control_L);
    keyboard.down(key::Shift_L);
    keyboard.down(key::space);
    std::thread::sleep(HELD);
    keyboard.up(key::space);
    keyboard.up(key::Shift_L);
    keyboard.up(key::Control_L);
    keyboard.chord(&CAPTURE);
    keyboard.chord(&PALETTE);

    // Commands arrive in order: a repeat would stand before the capture.
    let seen: Vec<_> = (0..3).map(|_| name(&next(&mut rx))).collect();
    assert_eq!(seen, ["palette", "capture", "palette"]);
}

#[test]
fn hotkeys_work_with_num_lock_and_caps_lock_on() {
    let xvfb = Xvfb::start();
    let keyboard = Keyboard::connect(&xvfb);
    let (_hotkeys, mut rx, problems) = start(&xvfb, "ctrl+shift+space", "ctrl+shift+c");
    assert!(problems.is_empty(), "{problems:?}");

    keyboard.chord(&[key::Num_Lock]);
    keyboard.chord(&PALETTE);
    assert_eq!(name(&next(&mut rx)), "palette");
    keyboard.chord(&[key::Caps_Lock]);
    keyboard.chord(&CAPTURE);
    assert_eq!(name(&next(&mut rx)), "capture");
}

#[test]
fn a_shortcut_another_application_holds_is_reported_and_the_other_still_works() {
    let xvfb = Xvfb::start();
    let other = Keyboard::connect(&xvfb);
    assert!(other.grab(ModMask::CONTROL | ModMask::M1, key::p), "the other client grabs first");

    let (_hotkeys, mut rx, problems) = start(&xvfb, "ctrl+alt+p", "ctrl+shift+c");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("ctrl+alt+p") && problems[0].contains("taken by another application"),
        "{problems:?}"
    );
    other.chord(&CAPTURE);
    assert_eq!(name(&next(&mut rx)), "capture");
}

#[test]
fn replaced_and_dropped_hotkeys_are_let_go() {
    let xvfb = Xvfb::start();
    let other = Keyboard::connect(&xvfb);
    let ctrl_alt = ModMask::CONTROL | ModMask::M1;
    let (mut hotkeys, _rx, problems) = start(&xvfb, "ctrl+alt+o", "ctrl+alt+k");
    assert!(problems.is_empty(), "{problems:?}");
    assert!(!other.grab(ctrl_alt, key::o), "ctrl+alt+o is held");

    assert!(hotkeys.apply("ctrl+alt+j", "ctrl+alt+k").is_empty());
    assert!(other.grab(ctrl_alt, key::o), "the replaced shortcut was let go");
    assert!(!other.grab(ctrl_alt, key::j), "the new one is held");

    // Dropping stops the listening thread: it must not hang.
    let (done, dropped) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(hotkeys);
        let _ = done.send(());
    });
    dropped.recv_timeout(WAIT).expect("the hotkeys are dropped in time");
    assert!(other.grab(ctrl_alt, key::j), "dropped shortcuts were let go");
    assert!(other.grab(ctrl_alt, key::k), "dropped shortcuts were let go");
}

#[test]
fn a_key_no_keyboard_has_is_reported_not_grabbed() {
    let xvfb = Xvfb::start();
    let (_hotkeys, _rx, problems) = start(&xvfb, "ctrl+shift+numpadequal", "ctrl+shift+c");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("palette hotkey") && problems[0].contains("cannot be registered"),
        "{problems:?}"
    );
}

#[test]
fn a_new_keyboard_layout_moves_the_hotkey_to_the_key_that_now_types_it() {
    let xvfb = Xvfb::start();
    let keyboard = Keyboard::connect(&xvfb);
    let (_hotkeys, mut rx, problems) = start(&xvfb, "ctrl+shift+space", "ctrl+shift+c");
    assert!(problems.is_empty(), "{problems:?}");

    // The layout changes: space moves from its key to one that typed nothing.
    let old = keyboard.keycode(key::space);
    let free =
        keyboard.key_where(|syms| syms.iter().all(|k| *k == 0)).expect("a key typing nothing");
    let per = u8::try_from(keyboard.keysyms_per_key()).expect("keysyms per key");
    let none = vec![0; usize::from(per)];
    let mut space = none.clone();
    space[0] = key::space;
    for (code, syms) in [(old, &none), (free, &space)] {
        let change = keyboard.conn.change_keyboard_mapping(1, code, per, syms);
        change.expect("sent").check().expect("the layout changes");
    }

    // The listener moves its grab when the server says the layout changed; until then a
    // press of the new key reaches no one.
    let deadline = std::time::Instant::now() + WAIT;
    let pressed = loop {
        keyboard.chord(&PALETTE);
        if let Some(command) = next_within(&mut rx, Duration::from_millis(200)) {
            break name(&command);
        }
        assert!(std::time::Instant::now() < deadline, "the hotkey never moved to the new key");
    };
    assert_eq!(pressed, "palette");
}
