//! Clipboard owners on the test's X server, as other applications are. A slow one, as a
//! busy or hung application is: it takes the CLIPBOARD selection and holds the first
//! request for its content until the test lets it go, then refuses that one and every later
//! one; whoever reads the clipboard meanwhile waits, which makes an insertion slow for as
//! long as the test needs. A rich one that offers several targets at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use x11rb::connection::Connection;
use x11rb::protocol::Event;
use x11rb::protocol::xproto::{
    Atom, AtomEnum, ChangeWindowAttributesAux, ConnectionExt, CreateWindowAux, EventMask, PropMode,
    Property, SelectionNotifyEvent, SelectionRequestEvent, Window, WindowClass,
};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

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
    answer(conn, request, AtomEnum::NONE.into());
    let _ = conn.flush();
}

/// One target a [`RichClipboardOwner`] offers: its name, the type its bytes are given in,
/// and the bytes.
pub struct Offer {
    pub target: &'static str,
    pub type_: &'static str,
    pub bytes: Vec<u8>,
}

/// A clipboard owner offering several targets at once, as a browser or an image editor
/// does (text, HTML, an image), and, if asked, one more that never ends: each request for
/// it gets an `INCR` transfer that sends piece after piece for as long as it is read, as an
/// owner offering a gigabyte would.
pub struct RichClipboardOwner {
    /// Pieces of the endless target sent so far.
    pub endless_pieces: Arc<AtomicUsize>,
}

/// The endless target's pieces.
pub const ENDLESS_PIECE: usize = 1 << 20;

impl RichClipboardOwner {
    /// Owns CLIPBOARD on `xvfb` from when this returns, until the server goes.
    pub fn start(xvfb: &Xvfb, offers: Vec<Offer>, endless: Option<&'static str>) -> Self {
        let (conn, screen) = x11rb::connect(Some(&xvfb.display)).expect("connects to Xvfb");
        let root = conn.setup().roots[screen].root;
        let window = conn.generate_id().expect("an id");
        let aux = CreateWindowAux::new();
        conn.create_window(0, window, root, 0, 0, 1, 1, 0, WindowClass::INPUT_ONLY, 0, &aux)
            .expect("sent")
            .check()
            .expect("a window");
        let atom = |name: &str| {
            conn.intern_atom(false, name.as_bytes()).expect("sent").reply().expect("atom").atom
        };
        let served: Vec<(Atom, Atom, Vec<u8>)> =
            offers.into_iter().map(|o| (atom(o.target), atom(o.type_), o.bytes)).collect();
        let endless = endless.map(atom);
        let (targets, incr, clipboard) = (atom("TARGETS"), atom("INCR"), atom("CLIPBOARD"));
        conn.set_selection_owner(window, clipboard, x11rb::CURRENT_TIME)
            .expect("sent")
            .check()
            .expect("owns CLIPBOARD");
        conn.flush().expect("flushed");
        let endless_pieces = Arc::new(AtomicUsize::new(0));
        let pieces = endless_pieces.clone();
        std::thread::spawn(move || {
            let mut transfers: Vec<(Window, Atom)> = Vec::new();
            while let Ok(event) = conn.wait_for_event() {
                match event {
                    Event::SelectionRequest(request) => {
                        let property = request.property;
                        let given = if request.target == targets {
                            let mut list = vec![targets];
                            list.extend(served.iter().map(|s| s.0));
                            list.extend(endless);
                            conn.change_property32(
                                PropMode::REPLACE,
                                request.requestor,
                                property,
                                AtomEnum::ATOM,
                                &list,
                            )
                            .is_ok()
                        } else if let Some((_, type_, bytes)) =
                            served.iter().find(|s| s.0 == request.target)
                        {
                            conn.change_property8(
                                PropMode::REPLACE,
                                request.requestor,
                                property,
                                *type_,
                                bytes,
                            )
                            .is_ok()
                        } else if Some(request.target) == endless {
                            let listen = ChangeWindowAttributesAux::new()
                                .event_mask(EventMask::PROPERTY_CHANGE);
                            let _ = conn.change_window_attributes(request.requestor, &listen);
                            transfers.push((request.requestor, property));
                            conn.change_property32(
                                PropMode::REPLACE,
                                request.requestor,
                                property,
                                incr,
                                &[1 << 30],
                            )
                            .is_ok()
                        } else {
                            false
                        };
                        if given {
                            answer(&conn, &request, property);
                        } else {
                            refuse(&conn, &request);
                        }
                    }
                    Event::PropertyNotify(p)
                        if p.state == Property::DELETE
                            && transfers.contains(&(p.window, p.atom)) =>
                    {
                        pieces.fetch_add(1, Ordering::SeqCst);
                        let piece = vec![b'x'; ENDLESS_PIECE];
                        let _ = conn.change_property8(
                            PropMode::REPLACE,
                            p.window,
                            p.atom,
                            AtomEnum::STRING,
                            &piece,
                        );
                    }
                    _ => {}
                }
                let _ = conn.flush();
            }
        });
        Self { endless_pieces }
    }
}

fn answer(conn: &RustConnection, request: &SelectionRequestEvent, property: Atom) {
    let answer = SelectionNotifyEvent {
        response_type: x11rb::protocol::xproto::SELECTION_NOTIFY_EVENT,
        sequence: 0,
        time: request.time,
        requestor: request.requestor,
        selection: request.selection,
        target: request.target,
        property,
    };
    let _ = conn.send_event(false, request.requestor, EventMask::NO_EVENT, answer);
}
