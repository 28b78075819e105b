//! The global hotkeys on a real X server (Xvfb), pressed through XTest as a keyboard would:
//! each press reaches the app once, with lock keys on too; a shortcut another client holds
//! is reported while the other one works; shortcuts replaced or dropped are let go.

#![cfg(all(unix, not(target_os = "macos")))]

mod support;

use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use promptdeck::desktop::x11::X11Hotkeys;
use promptdeck::desktop::{Event, Shortcut, bind};
use support::keyboard::Keyboard;
use support::{WAIT, Xvfb};
use x11rb::protocol::xproto::{ConnectionExt, ModMask};
use xkeysym::key;

fn next(rx: &mut Receiver<Event>) -> Event {
    next_within(rx, WAIT).expect("a hotkey in time")
}

/// The next event, if one comes within `limit`.
fn next_within(rx: &mut Receiver<Event>, limit: Duration) -> Option<Event> {
    rx.recv_timeout(limit).ok()
}

fn name(event: &Event) -> &'static str {
    match event {
        Event::Hotkey(Shortcut::Palette) => "palette",
        Event::Hotkey(Shortcut::Capture) => "capture",
        Event::Tray(_) | Event::HotkeysRefused { .. } | Event::PasteRefused { .. } => {
            "something else"
        }
    }
}

fn start(xvfb: &Xvfb, palette: &str, capture: &str) -> (X11Hotkeys, Receiver<Event>, Vec<String>) {
    let (tx, rx) = channel();
    let events = Arc::new(move |event| {
        let _ = tx.send(event);
    });
    let mut hotkeys = X11Hotkeys::on_display(Some(&xvfb.display), events).expect("hotkeys on Xvfb");
    let problems = bind(&mut hotkeys, palette, capture);
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

    assert!(bind(&mut hotkeys, "ctrl+alt+j", "ctrl+alt+k").is_empty());
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
