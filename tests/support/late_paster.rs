//! A window of an application that is slow to paste: on Ctrl+V it reads the clipboard only
//! after a while, as a busy application does. Before that, another client reads the
//! clipboard at once, as a clipboard manager does at every change. Or, told to, a window
//! that never reads it at all.

use std::sync::mpsc;
use std::time::Duration;

use x11rb::connection::Connection;
use x11rb::protocol::Event;
use x11rb::protocol::xproto::{
    Atom, AtomEnum, ConnectionExt as _, CreateWindowAux, EventMask, KeyButMask, PropMode, Window,
    WindowClass,
};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;
use xkeysym::key;

use super::Xvfb;
use super::keyboard::Keyboard;

/// What the window does on Ctrl+V.
#[derive(Clone, Copy)]
pub enum OnPaste {
    /// Reads the clipboard this long after the keys, the bystander having read it first.
    ReadAfter(Duration),
    /// Never reads it: the paste keys meant nothing to it.
    Ignore,
}

/// What one Ctrl+V gave: the bystander's read at once, then the window's own.
pub struct Pasted {
    pub bystander: String,
    pub window: String,
}

pub struct LatePaster {
    pub window: Window,
    pasted: mpsc::Receiver<Pasted>,
    presses: mpsc::Receiver<()>,
}

impl LatePaster {
    /// A window named `name` on `xvfb`, mapped, answering Ctrl+V as `on_paste` says.
    pub fn start(xvfb: &Xvfb, name: &str, on_paste: OnPaste) -> Self {
        let own = Keyboard::connect(xvfb);
        let bystander = Keyboard::connect(xvfb);
        let window = make_window(&own, WindowClass::INPUT_OUTPUT, EventMask::KEY_PRESS);
        own.conn
            .change_property8(
                PropMode::REPLACE,
                window,
                AtomEnum::WM_NAME,
                AtomEnum::STRING,
                name.as_bytes(),
            )
            .expect("named");
        own.conn.map_window(window).expect("mapped");
        own.conn.flush().expect("flushed");
        let v = own.keycode(key::v);
        let (send_pasted, pasted) = mpsc::channel();
        let (send_press, presses) = mpsc::channel();
        std::thread::spawn(move || {
            let bystanders_window =
                make_window(&bystander, WindowClass::INPUT_ONLY, EventMask::NO_EVENT);
            while let Ok(event) = own.conn.wait_for_event() {
                let Event::KeyPress(press) = event else { continue };
                if press.detail != v || !press.state.contains(KeyButMask::CONTROL) {
                    continue;
                }
                let _ = send_press.send(());
                let OnPaste::ReadAfter(late) = on_paste else { continue };
                let read_by_bystander = read_clipboard(&bystander.conn, bystanders_window);
                std::thread::sleep(late);
                let read = Pasted {
                    bystander: read_by_bystander,
                    window: read_clipboard(&own.conn, window),
                };
                if send_pasted.send(read).is_err() {
                    return;
                }
            }
        });
        Self { window, pasted, presses }
    }

    /// What the next Ctrl+V gave, once the window has read it.
    pub fn pasted(&self, within: Duration) -> Pasted {
        self.pasted.recv_timeout(within).expect("the window read the clipboard after Ctrl+V")
    }

    /// Returns once Ctrl+V has been pressed in the window.
    pub fn wait_for_paste_keys(&self, within: Duration) {
        self.presses.recv_timeout(within).expect("Ctrl+V pressed in the window");
    }
}

fn make_window(keyboard: &Keyboard, class: WindowClass, events: EventMask) -> Window {
    let window = keyboard.conn.generate_id().expect("an id");
    let aux = CreateWindowAux::new().event_mask(events);
    let size = if class == WindowClass::INPUT_ONLY { 1 } else { 200 };
    keyboard
        .conn
        .create_window(0, window, keyboard.root, 0, 0, size, size, 0, class, 0, &aux)
        .expect("sent")
        .check()
        .expect("a window");
    window
}

fn atom(conn: &RustConnection, name: &str) -> Atom {
    conn.intern_atom(false, name.as_bytes()).expect("sent").reply().expect("atom").atom
}

/// The clipboard's UTF8_STRING, read into a property of `window` as ICCCM has a requestor do.
fn read_clipboard(conn: &RustConnection, window: Window) -> String {
    let (clipboard, utf8) = (atom(conn, "CLIPBOARD"), atom(conn, "UTF8_STRING"));
    let property = atom(conn, "LATE_PASTER_READ");
    conn.convert_selection(window, clipboard, utf8, property, x11rb::CURRENT_TIME).expect("asked");
    conn.flush().expect("flushed");
    loop {
        match conn.wait_for_event().expect("the X server is there") {
            Event::SelectionNotify(notify) if notify.requestor == window => {
                if notify.property == x11rb::NONE {
                    return String::new();
                }
                let value = conn
                    .get_property(true, window, property, AtomEnum::ANY, 0, 1 << 20)
                    .expect("sent")
                    .reply()
                    .expect("read");
                return String::from_utf8_lossy(&value.value).into_owned();
            }
            _ => {}
        }
    }
}
