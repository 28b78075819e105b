//! The desktop layer under the real app on a real X server (Xvfb): insertion runs on a
//! worker of its own, so the UI thread never waits on it.

mod support;

use support::bus::SessionBus;
use support::clipboard_owner::SlowClipboardOwner;
use support::keyboard::Keyboard;
use support::{Instance, WAIT, Xvfb, eventually, status};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt};
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
