//! The desktop layer under the real app on a real X server (Xvfb): insertion runs on a
//! worker of its own, so the UI thread never waits on it.

mod support;

use support::bus::SessionBus;
use support::clipboard_owner::SlowClipboardOwner;
use support::keyboard::Keyboard;
use support::{Instance, WAIT, Xvfb, eventually, status};
use x11rb::connection::Connection;
use x11rb::protocol::randr::{ConnectionExt as _, MonitorInfo};
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt, MapState, Window};
use x11rb::wrapper::ConnectionExt as _;
use xkeysym::key;

/// What `status --json` says the windows show.
fn ui(dir: &std::path::Path) -> Option<serde_json::Value> {
    status(dir).map(|health| health["ui"].clone())
}

fn palette_shown(dir: &std::path::Path) -> bool {
    ui(dir)
        .is_some_and(|ui| ui["windows"].as_array().is_some_and(|w| w.contains(&"palette".into())))
}

/// The name of the window that has the keyboard.
fn focused_name(keyboard: &Keyboard) -> Option<String> {
    let focus = keyboard.conn.get_input_focus().ok()?.reply().ok()?.focus;
    let name = keyboard
        .conn
        .get_property(false, focus, AtomEnum::WM_NAME, AtomEnum::ANY, 0, 64)
        .ok()?
        .reply()
        .ok()?;
    Some(String::from_utf8_lossy(&name.value).into_owned())
}

/// A clipboard owner that does not answer keeps the insertion's worker waiting on its first
/// read (up to the clipboard library's four seconds a read, some thirty in all). The
/// palette hotkey pressed meanwhile must open the palette then, not after: before the
/// worker, the UI thread took the desktop's lock to learn the focused window and waited
/// behind the insertion.
#[test]
fn the_palette_hotkey_opens_the_palette_while_an_insertion_waits_on_the_clipboard() {
    let xvfb = Xvfb::start();
    let bus = SessionBus::start();
    let keyboard = Keyboard::connect(&xvfb);
    let dir = tempfile::tempdir().expect("tempdir");
    // A profile made beforehand, so no first-start library window takes the keyboard: with
    // none focused, the insertion has nowhere to paste and says so when it ends.
    let headless = Instance::start(dir.path(), &[]);
    assert!(
        headless.cli(&["add", "--title", "Greeting", "--body", "Hello there"]).status.success()
    );
    assert!(headless.cli(&["quit"]).status.success());
    assert!(headless.wait_exit().success());
    let env =
        [("DISPLAY", xvfb.display.as_str()), ("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str())];
    let app = Instance::spawn(dir.path(), &[], &env);
    let mut owner = SlowClipboardOwner::start(&xvfb);

    assert!(app.cli(&["palette"]).status.success());
    eventually("the palette to list the prompt", WAIT, || {
        (ui(dir.path())?["paletteRows"] == 1).then_some(())
    });
    eventually("the palette to take the keyboard", WAIT, || {
        (focused_name(&keyboard)? == "Promptdeck palette").then_some(())
    });
    keyboard.chord(&[key::Return]);
    owner.wait_until_asked();
    eventually("the palette to close for the paste", WAIT, || {
        (!palette_shown(dir.path())).then_some(())
    });

    keyboard.chord(&[key::Control_L, key::Shift_L, key::space]);
    eventually("the hotkey to open the palette", WAIT, || palette_shown(dir.path()).then_some(()));
    assert_eq!(owner.requests_seen(), 1, "the insertion was still waiting on its first read");

    owner.release();
    let notice = eventually("the insertion to end, saying why it did not paste", WAIT, || {
        ui(dir.path())?["paletteNotice"].as_str().map(str::to_owned)
    });
    assert!(notice.contains("no window had focus"), "{notice}");
    keyboard.conn.flush().expect("flushed");
}

/// Splits the screen of `keyboard`'s X server into two monitors side by side, `width`
/// pixels each, as `xrandr --setmonitor` does: the left one takes the screen's output (and
/// so replaces the monitor RandR made for it), the right one is virtual.
fn two_monitors(keyboard: &Keyboard, width: u16, height: u16) {
    let conn = &keyboard.conn;
    let root = conn.setup().roots[0].root;
    conn.randr_query_version(1, 6).expect("randr").reply().expect("RandR 1.5 or later");
    let outputs = conn.randr_get_screen_resources(root).expect("asked").reply().expect("resources");
    for (name, x, outputs) in [("LEFT", 0, outputs.outputs.clone()), ("RIGHT", width, vec![])] {
        let atom = conn.intern_atom(false, name.as_bytes()).expect("asked").reply().expect("atom");
        let monitor = MonitorInfo {
            name: atom.atom,
            primary: x == 0,
            automatic: false,
            x: x as i16,
            y: 0,
            width,
            height,
            width_in_millimeters: 340,
            height_in_millimeters: 210,
            outputs,
        };
        conn.randr_set_monitor(root, monitor).expect("asked");
    }
    let monitors = conn.randr_get_monitors(root, true).expect("asked").reply().expect("monitors");
    assert_eq!(monitors.monitors.len(), 2, "two monitors: {monitors:?}");
}

/// The top-left corner, on the screen, of the window on screen whose class instance is
/// `instance` (a kept palette may be there too, hidden).
fn window_corner(keyboard: &Keyboard, instance: &str) -> Option<(i16, i16)> {
    let conn = &keyboard.conn;
    let root = conn.setup().roots[0].root;
    let windows: Vec<Window> = conn.query_tree(root).ok()?.reply().ok()?.children;
    let shown = |window: Window| {
        conn.get_window_attributes(window)
            .ok()
            .and_then(|cookie| cookie.reply().ok())
            .is_some_and(|attributes| attributes.map_state == MapState::VIEWABLE)
    };
    let ours = windows.into_iter().filter(|&window| shown(window)).find(|&window| {
        conn.get_property(false, window, AtomEnum::WM_CLASS, AtomEnum::STRING, 0, 64)
            .ok()
            .and_then(|cookie| cookie.reply().ok())
            .is_some_and(|class| {
                class.value.split(|b| *b == 0).any(|part| part == instance.as_bytes())
            })
    })?;
    let corner = conn.translate_coordinates(ours, root, 0, 0).ok()?.reply().ok()?;
    Some((corner.dst_x, corner.dst_y))
}

/// The palette opens centred on the monitor the pointer is on: a person with two monitors
/// finds it where they are looking, each time it opens (the kept window moved while
/// hidden, before it shows).
#[test]
fn the_palette_opens_centred_on_the_monitor_with_the_pointer() {
    let xvfb = Xvfb::with_screen("2560x800x24");
    let bus = SessionBus::start();
    let keyboard = Keyboard::connect(&xvfb);
    two_monitors(&keyboard, 1280, 800);
    let root = keyboard.conn.setup().roots[0].root;
    let point_at = |x: i16, y: i16| {
        keyboard.conn.warp_pointer(x11rb::NONE, root, 0, 0, 0, 0, x, y).expect("warped");
        keyboard.conn.sync().expect("synced");
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let headless = Instance::start(dir.path(), &[]);
    assert!(headless.cli(&["add", "--title", "Greeting", "--body", "Hello"]).status.success());
    assert!(headless.cli(&["quit"]).status.success());
    assert!(headless.wait_exit().success());
    let env =
        [("DISPLAY", xvfb.display.as_str()), ("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str())];
    let app = Instance::spawn(dir.path(), &[], &env);
    // The palette is 900 by 504: centred on a 1280 by 800 monitor, 190 and 148 in.
    for (pointer, corner) in
        [((2000, 400), (1280 + 190, 148)), ((100, 700), (190, 148)), ((2500, 10), (1470, 148))]
    {
        point_at(pointer.0, pointer.1);
        assert!(app.cli(&["palette"]).status.success());
        eventually("the palette to show", WAIT, || palette_shown(dir.path()).then_some(()));
        eventually(&format!("the palette at {corner:?}, pointer at {pointer:?}"), WAIT, || {
            (window_corner(&keyboard, "promptdeck-palette")? == corner).then_some(())
        });
        eventually("the palette to take the keyboard", WAIT, || {
            (focused_name(&keyboard)? == "Promptdeck palette").then_some(())
        });
        keyboard.chord(&[key::Escape]);
        eventually("the palette to close", WAIT, || (!palette_shown(dir.path())).then_some(()));
    }
}
