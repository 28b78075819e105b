//! The desktop layer under the real app on a real X server (Xvfb): insertion runs on a
//! worker of its own, so the UI thread never waits on it.

#![cfg(all(unix, not(target_os = "macos")))]

mod support;

use std::time::Duration;
use support::bus::{Notifications, SessionBus};
use support::clipboard_owner::{ENDLESS_PIECE, Offer, RichClipboardOwner, SlowClipboardOwner};
use support::keyboard::Keyboard;
use support::late_paster::{LatePaster, OnPaste};
use support::{Instance, WAIT, Xvfb, eventually, status};
use x11rb::connection::Connection;
use x11rb::protocol::randr::{ConnectionExt as _, MonitorInfo};
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt, InputFocus, MapState, Window};
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

/// The app on `xvfb`, its profile in `dir` made beforehand holding one prompt, "Greeting"
/// with `body` (so no first-start library window takes the keyboard).
fn app_with_one_prompt(
    xvfb: &Xvfb,
    bus: &SessionBus,
    dir: &std::path::Path,
    body: &str,
) -> Instance {
    let headless = Instance::start(dir, &[]);
    assert!(headless.cli(&["add", "--title", "Greeting", "--body", body]).status.success());
    assert!(headless.cli(&["quit"]).status.success());
    assert!(headless.wait_exit().success());
    let env =
        [("DISPLAY", xvfb.display.as_str()), ("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str())];
    Instance::spawn(dir, &[], &env)
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
    // No window focused: the insertion has nowhere to paste and says so when it ends.
    let app = app_with_one_prompt(&xvfb, &bus, dir.path(), "Hello there");
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
    let ours = shown_top_level(keyboard, |window| {
        conn.get_property(false, window, AtomEnum::WM_CLASS, AtomEnum::STRING, 0, 64)
            .ok()
            .and_then(|cookie| cookie.reply().ok())
            .is_some_and(|class| {
                class.value.split(|b| *b == 0).any(|part| part == instance.as_bytes())
            })
    })?;
    let corner = conn.translate_coordinates(ours, keyboard.root, 0, 0).ok()?.reply().ok()?;
    Some((corner.dst_x, corner.dst_y))
}

/// The first top-level window on screen that `wanted` takes.
fn shown_top_level(keyboard: &Keyboard, wanted: impl Fn(Window) -> bool) -> Option<Window> {
    let conn = &keyboard.conn;
    let children = conn.query_tree(keyboard.root).ok()?.reply().ok()?.children;
    children.into_iter().find(|&window| {
        let shown = conn
            .get_window_attributes(window)
            .ok()
            .and_then(|cookie| cookie.reply().ok())
            .is_some_and(|attributes| attributes.map_state == MapState::VIEWABLE);
        shown && wanted(window)
    })
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
    let app = app_with_one_prompt(&xvfb, &bus, dir.path(), "Hello");
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

/// The top-level window whose name is `name`, once it is on screen (it can take the
/// keyboard only then).
fn window_shown(keyboard: &Keyboard, name: &str) -> Option<Window> {
    shown_top_level(keyboard, |window| {
        keyboard
            .conn
            .get_property(false, window, AtomEnum::WM_NAME, AtomEnum::ANY, 0, 64)
            .ok()
            .and_then(|cookie| cookie.reply().ok())
            .is_some_and(|reply| reply.value == name.as_bytes())
    })
}

/// Gives `target` the keyboard, opens the palette over it with the hotkey and picks the
/// profile's one prompt.
fn insert_the_prompt_into(keyboard: &Keyboard, dir: &std::path::Path, target: Window) {
    keyboard
        .conn
        .set_input_focus(InputFocus::PARENT, target, x11rb::CURRENT_TIME)
        .expect("sent")
        .check()
        .expect("the target takes the keyboard");
    keyboard.chord(&[key::Control_L, key::Shift_L, key::space]);
    eventually("the hotkey to open the palette", WAIT, || {
        (ui(dir)?["paletteRows"] == 1).then_some(())
    });
    eventually("the palette to take the keyboard", WAIT, || {
        (focused_name(keyboard)? == "Promptdeck palette").then_some(())
    });
    keyboard.chord(&[key::Return]);
}

/// Whether the profile's one prompt has been used once.
fn used_once(app: &Instance) -> Option<()> {
    let listed = app.cli(&["list", "--json"]);
    let prompts: serde_json::Value = serde_json::from_slice(&listed.stdout).ok()?;
    (prompts[0]["useCount"] == 1).then_some(())
}

/// What `xclip` reads from the clipboard of `xvfb` in `target` (INCR transfers included),
/// within ten seconds.
fn clipboard_in(xvfb: &Xvfb, target: &str) -> Vec<u8> {
    // Bounded: an owner that stops sending INCR pieces would keep xclip waiting for good.
    let out = std::process::Command::new("timeout")
        .args([
            "10",
            "xclip",
            "-display",
            &xvfb.display,
            "-selection",
            "clipboard",
            "-t",
            target,
            "-o",
        ])
        .output()
        .expect("xclip is installed (scripts/install-deps.sh --test)");
    out.stdout
}

/// After an insertion, the clipboard comes back whole: every target its owner offered, in
/// the bytes it gave, a large one included (given back in INCR pieces), not only the
/// richest. A target that never ends (an owner offering a gigabyte) is read no further than
/// the cap and is left out, and the prompt is pasted all the same.
#[test]
fn the_clipboard_comes_back_in_every_target_it_held_after_a_paste() {
    let xvfb = Xvfb::start();
    let bus = SessionBus::start();
    let keyboard = Keyboard::connect(&xvfb);
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app_with_one_prompt(&xvfb, &bus, dir.path(), "Hello there");
    eventually("the app to answer", WAIT, || status(dir.path()));

    let typed = dir.path().join("typed.txt");
    let mut xterm = std::process::Command::new("xterm")
        .args(["-display", &xvfb.display, "-T", "pd-target", "-e", "sh", "-c"])
        .arg(format!("cat > '{}'", typed.display()))
        .spawn()
        .expect("xterm is installed (scripts/install-deps.sh --test)");
    let target = eventually("the xterm to show", WAIT, || window_shown(&keyboard, "pd-target"));

    // A PNG's signature, then more than one INCR piece of bytes no image codec would keep.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend((0..700_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    let offers = vec![
        Offer { target: "UTF8_STRING", type_: "UTF8_STRING", bytes: "Before: ünïcode".into() },
        Offer {
            target: "text/plain;charset=utf-8",
            type_: "text/plain;charset=utf-8",
            bytes: "Before: ünïcode".into(),
        },
        Offer { target: "TEXT", type_: "UTF8_STRING", bytes: "Before: ünïcode".into() },
        Offer {
            target: "text/html",
            type_: "text/html",
            bytes: b"<p>Before: <b>rich</b></p>".into(),
        },
        Offer { target: "image/png", type_: "image/png", bytes: png },
    ];
    let expected: Vec<(&str, Vec<u8>)> =
        offers.iter().map(|o| (o.target, o.bytes.clone())).collect();
    let owner = RichClipboardOwner::start(&xvfb, offers, Some("application/x-endless"));

    insert_the_prompt_into(&keyboard, dir.path(), target);
    // The use is counted once the paste, and the clipboard's restoring, are done.
    eventually("the insertion to be counted", WAIT, || used_once(&app));
    eventually("the keyboard back in the xterm", WAIT, || {
        (focused_name(&keyboard)? == "pd-target").then_some(())
    });
    keyboard.chord(&[key::Return]);
    eventually("the prompt pasted into the xterm", WAIT, || {
        std::fs::read_to_string(&typed).ok()?.contains("Hello there").then_some(())
    });

    let listed = eventually("the previous clipboard to come back", WAIT, || {
        let listed = String::from_utf8(clipboard_in(&xvfb, "TARGETS")).ok()?;
        listed.contains("image/png").then_some(listed)
    });
    for (target, bytes) in &expected {
        assert!(listed.lines().any(|line| line == *target), "{target} not offered: {listed}");
        assert!(clipboard_in(&xvfb, target) == *bytes, "{target} did not come back as it was");
    }
    assert!(!listed.contains("application/x-endless"), "an endless target offered: {listed}");
    let pieces = owner.endless_pieces.load(std::sync::atomic::Ordering::SeqCst);
    let cap_pieces = (32 << 20) / ENDLESS_PIECE;
    assert!(pieces > 0, "the endless target was never asked for");
    assert!(pieces <= cap_pieces + 2, "{pieces} pieces of 1 MiB read from the endless target");
    let _ = xterm.kill();
    let _ = xterm.wait();
    drop(app);
}

/// The app with one prompt, "Greeting" saying "Hello there", its hotkeys held, on an X
/// server whose clipboard holds "Before" (one text target), and a window of `on_paste`'s
/// kind named `name` on screen to paste into.
struct PasteScene {
    app: Instance,
    dir: tempfile::TempDir,
    keyboard: Keyboard,
    paster: LatePaster,
    notifications: Notifications,
    _before: RichClipboardOwner,
    _bus: SessionBus,
    xvfb: Xvfb,
}

impl PasteScene {
    fn start(name: &str, on_paste: OnPaste) -> Self {
        let xvfb = Xvfb::start();
        let bus = SessionBus::start();
        let keyboard = Keyboard::connect(&xvfb);
        let dir = tempfile::tempdir().expect("tempdir");
        let app = app_with_one_prompt(&xvfb, &bus, dir.path(), "Hello there");
        eventually("the app's hotkeys", WAIT, || {
            (ui(dir.path())?["hotkeysBy"] == "x11").then_some(())
        });
        let offer = Offer { target: "UTF8_STRING", type_: "UTF8_STRING", bytes: b"Before".into() };
        let before = RichClipboardOwner::start(&xvfb, vec![offer], None);
        let notifications = Notifications::serve(&bus);
        let paster = LatePaster::start(&xvfb, name, on_paste);
        eventually("the window to show", WAIT, || window_shown(&keyboard, name));
        Self { app, dir, keyboard, paster, notifications, _before: before, _bus: bus, xvfb }
    }

    fn insert(&self) {
        insert_the_prompt_into(&self.keyboard, self.dir.path(), self.paster.window);
    }
}

/// An application busy when the paste keys come reads the clipboard late (here 1.5 s after,
/// where the old clipboard came back at 0.5 s), and a clipboard manager reads it at once:
/// the window still pastes the prompt. The clipboard comes back once the window pasted
/// into has read it, whoever else read it first.
#[test]
fn a_window_slow_to_read_the_clipboard_still_pastes_the_prompt() {
    let scene = PasteScene::start("pd-late", OnPaste::ReadAfter(Duration::from_millis(1500)));
    scene.insert();
    let pasted = scene.paster.pasted(WAIT);
    assert_eq!(pasted.bystander, "Hello there", "the clipboard manager read the prompt first");
    assert_eq!(pasted.window, "Hello there", "the window pasted the prompt");
    eventually("the insertion to be counted", WAIT, || used_once(&scene.app));
    eventually("the previous clipboard to come back", WAIT, || {
        (clipboard_in(&scene.xvfb, "UTF8_STRING") == b"Before").then_some(())
    });
}

/// A window that the paste keys do nothing in never reads the clipboard: the insertion
/// ends leaving the prompt on the clipboard for the user to paste by hand, rather than
/// putting back what was there and losing the prompt, and says so in a notification (the
/// palette that would have said it has closed).
#[test]
fn a_paste_the_window_never_reads_leaves_the_prompt_on_the_clipboard() {
    let scene = PasteScene::start("pd-deaf", OnPaste::Ignore);
    scene.insert();
    scene.paster.wait_for_paste_keys(WAIT);
    eventually("the insertion to be counted", WAIT, || used_once(&scene.app));
    let kept = clipboard_in(&scene.xvfb, "UTF8_STRING");
    assert_eq!(kept, b"Hello there", "the prompt was taken back");
    let (summary, body) = scene.notifications.next(WAIT);
    assert_eq!(summary, "Not pasted");
    assert!(body.contains("did not take the paste"), "{body}");
}
