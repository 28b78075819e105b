//! A clipboard owner that is slow to answer, as a busy or hung application is: it takes the
//! CLIPBOARD selection on the test's X server and holds the first request for its content
//! until the test lets it go, then refuses that one and every later one. Whoever reads the
//! clipboard meanwhile waits, which makes an insertion slow for as long as the test needs.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use x11rb::connection::Connection;
use x11rb::protocol::Event;
use x11rb::protocol::xproto::{
    AtomEnum, ConnectionExt, CreateWindowAux, EventMask, SelectionNotifyEvent,
    SelectionRequestEvent, WindowClass,
};
use x11rb::rust_connection::RustConnection;

use super::{WAIT, Xvfb};

pub struct SlowClipboardOwner {
    /// Requests for the clipboard's content seen so far.
    seen: Arc<AtomicUsize>,
    asked: mpsc::Receiver<()>,
    release: Option<mpsc::Sender<()>>,
}

impl SlowClipboardOwner {
    /// Owns CLIPBOARD on `xvfb` from when this returns.
    pub fn start(xvfb: &Xvfb) -> Self {
        let (conn, screen) = x11rb::connect(Some(&xvfb.display)).expect("connects to Xvfb");
        let root = conn.setup().roots[screen].root;
        let window = conn.generate_id().expect("an id");
        let aux = CreateWindowAux::new().event_mask(EventMask::PROPERTY_CHANGE);
        conn.create_window(0, window, root, 0, 0, 1, 1, 0, WindowClass::INPUT_ONLY, 0, &aux)
            .expect("sent")
            .check()
            .expect("a window");
        let clipboard = conn.intern_atom(false, b"CLIPBOARD").expect("sent").reply().expect("atom");
        conn.set_selection_owner(window, clipboard.atom, x11rb::CURRENT_TIME)
            .expect("sent")
            .check()
            .expect("owns CLIPBOARD");
        let (asked_tx, asked) = mpsc::channel();
        let (release, released) = mpsc::channel();
        let seen = Arc::new(AtomicUsize::new(0));
        let counted = seen.clone();
        std::thread::spawn(move || serve(&conn, &counted, &asked_tx, &released));
        Self { seen, asked, release: Some(release) }
    }

    /// Waits until someone asks for the clipboard's content.
    pub fn wait_until_asked(&self) {
        self.asked.recv_timeout(WAIT).expect("a request for the clipboard in time");
    }

    /// How many requests for the content came so far.
    pub fn requests_seen(&self) -> usize {
        self.seen.load(Ordering::SeqCst)
    }

    /// Answers the held request and every later one at once, each with a refusal.
    pub fn release(&mut self) {
        if let Some(release) = self.release.take() {
            let _ = release.send(());
        }
    }
}

impl Drop for SlowClipboardOwner {
    fn drop(&mut self) {
        self.release();
    }
}

fn serve(
    conn: &RustConnection,
    seen: &AtomicUsize,
    asked: &mpsc::Sender<()>,
    released: &mpsc::Receiver<()>,
) {
    let mut held = true;
    while let Ok(event) = conn.wait_for_event() {
        let Event::SelectionRequest(request) = event else { continue };
        seen.fetch_add(1, Ordering::SeqCst);
        let _ = asked.send(());
        if held {
            let _ = released.recv();
            held = false;
        }
        refuse(conn, &request);
    }
}

/// A SelectionNotify with no property: "I cannot give you that".
fn refuse(conn: &RustConnection, request: &SelectionRequestEvent) {
    let answer = SelectionNotifyEvent {
        response_type: x11rb::protocol::xproto::SELECTION_NOTIFY_EVENT,
        sequence: 0,
        time: request.time,
        requestor: request.requestor,
        selection: request.selection,
        target: request.target,
        property: AtomEnum::NONE.into(),
    };
    let _ = conn.send_event(false, request.requestor, EventMask::NO_EVENT, answer);
    let _ = conn.flush();
}
