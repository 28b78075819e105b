//! Owns selections (CLIPBOARD, PRIMARY) and gives what they hold in every target: the
//! prompt being pasted, or what a snapshot kept, each typed as its first owner typed it,
//! large ones in `INCR` pieces (ICCCM 2.5, 2.7.2). A thread of its own answers requestors for
//! as long as the app runs, or until another application takes the selection. It notes
//! which client read what it gave, and when: an insertion restores the clipboard once the
//! window it pasted into has read the prompt, not after a guess of how long that takes.
//!
//! `MULTIPLE` is refused: requestors fall back to asking target by target.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::Event;
use x11rb::protocol::xproto::{
    Atom, AtomEnum, ChangeWindowAttributesAux, ConnectionExt as _, CreateWindowAux, EventMask,
    PropMode, Property, SELECTION_NOTIFY_EVENT, SelectionNotifyEvent, SelectionRequestEvent,
    Window, WindowClass,
};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

use crate::desktop::reads::{self, Seen};
use crate::desktop::{DesktopError, Offered, Taken};

x11rb::atom_manager! {
    Atoms: AtomsCookie {
        TARGETS,
        INCR,
    }
}

/// The largest piece written at once; a target larger than this goes in `INCR` pieces.
const MOST_PIECE: usize = 256 * 1024;

fn x11_error(e: impl std::fmt::Display) -> DesktopError {
    DesktopError::X11(e.to_string())
}

/// The selection's owner while it holds something to give.
pub struct SelectionOwner {
    shared: Arc<Shared>,
}

struct Shared {
    conn: RustConnection,
    window: Window,
    atoms: Atoms,
    /// One per selection owned. Taken together with the X server's word on who owns the
    /// selection, so that a SelectionClear for an older ownership never empties a newer one.
    served: Mutex<Vec<Served>>,
    /// When each X client (by its resource base) last read a target of ours since
    /// [`SelectionOwner::forget_reads`]; at most one entry per client the server has.
    reads: Mutex<HashMap<u32, Instant>>,
    read: Condvar,
    /// The bits of a resource id that name its client: the same for every window of one
    /// client, so a requestor is told to be the target's application by them.
    client_bits: u32,
    piece: usize,
}

struct Served {
    selection: Atom,
    targets: Vec<Target>,
}

struct Target {
    atom: Atom,
    type_: Atom,
    format: u8,
    bytes: Arc<[u8]>,
}

/// A target on its way to a requestor in `INCR` pieces.
struct Transfer {
    requestor: Window,
    property: Atom,
    type_: Atom,
    format: u8,
    bytes: Arc<[u8]>,
    sent: usize,
}

impl SelectionOwner {
    pub fn start() -> Result<Self, DesktopError> {
        let (conn, screen) =
            x11rb::connect(None).map_err(|e| DesktopError::NoDisplay(e.to_string()))?;
        let root = conn.setup().roots[screen].root;
        let window = conn.generate_id().map_err(x11_error)?;
        conn.create_window(
            0,
            window,
            root,
            0,
            0,
            1,
            1,
            0,
            WindowClass::INPUT_ONLY,
            0,
            &CreateWindowAux::new(),
        )
        .map_err(x11_error)?
        .check()
        .map_err(x11_error)?;
        let atoms = Atoms::new(&conn).map_err(x11_error)?.reply().map_err(x11_error)?;
        // Room for the request's own header.
        let piece = MOST_PIECE.min(conn.maximum_request_bytes().saturating_sub(64));
        let client_bits = !conn.setup().resource_id_mask;
        let shared = Arc::new(Shared {
            conn,
            window,
            atoms,
            served: Mutex::new(Vec::new()),
            reads: Mutex::new(HashMap::new()),
            read: Condvar::new(),
            client_bits,
            piece,
        });
        let serving = shared.clone();
        std::thread::Builder::new()
            .name("selection-owner".into())
            .spawn(move || serving.serve())
            .map_err(|e| DesktopError::X11(e.to_string()))?;
        Ok(Self { shared })
    }

    /// Takes `selection` and gives `offered` to whoever asks, until another owner takes it.
    pub fn own(&self, selection: Atom, offered: Vec<Offered>) -> Result<(), DesktopError> {
        let conn = &self.shared.conn;
        let mut names = Vec::with_capacity(offered.len() * 2);
        for o in &offered {
            names.push(o.mime.clone());
            names.push(o.x11.as_ref().map_or_else(|| o.mime.clone(), |f| f.type_name.clone()));
        }
        let cookies = names
            .iter()
            .map(|name| conn.intern_atom(false, name.as_bytes()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(x11_error)?;
        let atoms = cookies
            .into_iter()
            .map(|cookie| cookie.reply().map(|reply| reply.atom))
            .collect::<Result<Vec<_>, _>>()
            .map_err(x11_error)?;
        let targets = offered
            .into_iter()
            .zip(atoms.chunks_exact(2))
            .map(|(o, pair)| Target {
                atom: pair[0],
                type_: pair[1],
                format: o.x11.as_ref().map_or(8, |f| f.format),
                bytes: o.bytes.into(),
            })
            .collect();
        let mut served = self.shared.served.lock().unwrap_or_else(PoisonError::into_inner);
        served.retain(|s| s.selection != selection);
        served.push(Served { selection, targets });
        conn.set_selection_owner(self.shared.window, selection, x11rb::CURRENT_TIME)
            .map_err(x11_error)?;
        let owner = conn
            .get_selection_owner(selection)
            .map_err(x11_error)?
            .reply()
            .map_err(x11_error)?
            .owner;
        if owner != self.shared.window {
            served.retain(|s| s.selection != selection);
            return Err(DesktopError::Clipboard(
                "the X server gave the clipboard to another".into(),
            ));
        }
        Ok(())
    }

    /// Starts noting reads afresh: what was read before this is not a read of what comes.
    pub fn forget_reads(&self) {
        self.shared.reads.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    /// Waits for the client that made `window` to read what we hold, then until it has
    /// asked for nothing more for `quiet` (an application may read a selection in more
    /// than one target, or in pieces), but no longer than `cap` in all.
    pub fn wait_for_reader(&self, window: u32, quiet: Duration, cap: Duration) -> Taken {
        let client = window & self.shared.client_bits;
        let shared = &self.shared;
        reads::wait_for_target(&shared.reads, &shared.read, quiet, cap, |reads| {
            match reads.get(&client) {
                Some(at) => Seen::Target(*at),
                None if reads.is_empty() => Seen::Nobody,
                None => Seen::Others,
            }
        })
    }
}

impl Shared {
    fn serve(&self) {
        let mut transfers = Vec::new();
        loop {
            let event = match self.conn.wait_for_event() {
                Ok(event) => event,
                Err(e) => {
                    tracing::warn!(error = %e, "the clipboard's owner lost the X server");
                    return;
                }
            };
            let answered = match event {
                Event::SelectionRequest(request) => self.answer(&request, &mut transfers),
                Event::SelectionClear(clear) => self.lost(clear.selection),
                Event::PropertyNotify(p) if p.state == Property::DELETE => {
                    self.next_piece(p.window, p.atom, &mut transfers)
                }
                // A requestor that went away while a piece was on its way.
                Event::Error(e) => {
                    transfers.retain(|t: &Transfer| t.requestor != e.bad_value);
                    Ok(())
                }
                _ => Ok(()),
            };
            if let Err(e) = answered.and_then(|()| self.conn.flush().map_err(x11_error)) {
                tracing::debug!(error = %e, "a clipboard request was not answered");
            }
        }
    }

    fn answer(
        &self,
        request: &SelectionRequestEvent,
        transfers: &mut Vec<Transfer>,
    ) -> Result<(), DesktopError> {
        // Requestors from before ICCCM name no property: the target is the property then.
        let property =
            if request.property == x11rb::NONE { request.target } else { request.property };
        let given = {
            let served = self.served.lock().unwrap_or_else(PoisonError::into_inner);
            match served.iter().find(|s| s.selection == request.selection) {
                Some(served) if request.target == self.atoms.TARGETS => {
                    let mut list = vec![self.atoms.TARGETS];
                    list.extend(served.targets.iter().map(|t| t.atom));
                    self.conn
                        .change_property32(
                            PropMode::REPLACE,
                            request.requestor,
                            property,
                            AtomEnum::ATOM,
                            &list,
                        )
                        .map_err(x11_error)?;
                    true
                }
                Some(served) => match served.targets.iter().find(|t| t.atom == request.target) {
                    Some(target) => {
                        self.give(request.requestor, property, target, transfers)?;
                        self.note_read(request.requestor);
                        true
                    }
                    None => false,
                },
                None => false,
            }
        };
        let answer = SelectionNotifyEvent {
            response_type: SELECTION_NOTIFY_EVENT,
            sequence: 0,
            time: request.time,
            requestor: request.requestor,
            selection: request.selection,
            target: request.target,
            property: if given { property } else { x11rb::NONE },
        };
        self.conn
            .send_event(false, request.requestor, EventMask::NO_EVENT, answer)
            .map_err(x11_error)?;
        Ok(())
    }

    /// Writes `target` into the requestor's property, or starts an `INCR` transfer of it.
    fn give(
        &self,
        requestor: Window,
        property: Atom,
        target: &Target,
        transfers: &mut Vec<Transfer>,
    ) -> Result<(), DesktopError> {
        if target.bytes.len() <= self.piece {
            return self.write(requestor, property, target.type_, target.format, &target.bytes);
        }
        // Told of the requestor's deletes from before the INCR property is there to delete.
        let listen = ChangeWindowAttributesAux::new().event_mask(EventMask::PROPERTY_CHANGE);
        self.conn.change_window_attributes(requestor, &listen).map_err(x11_error)?;
        let size = u32::try_from(target.bytes.len()).unwrap_or(u32::MAX);
        self.conn
            .change_property32(PropMode::REPLACE, requestor, property, self.atoms.INCR, &[size])
            .map_err(x11_error)?;
        transfers.retain(|t| !(t.requestor == requestor && t.property == property));
        transfers.push(Transfer {
            requestor,
            property,
            type_: target.type_,
            format: target.format,
            bytes: target.bytes.clone(),
            sent: 0,
        });
        Ok(())
    }

    /// The requestor took the last piece: the next one, or the empty piece that ends it.
    fn next_piece(
        &self,
        window: Window,
        property: Atom,
        transfers: &mut Vec<Transfer>,
    ) -> Result<(), DesktopError> {
        let Some(at) =
            transfers.iter().position(|t| t.requestor == window && t.property == property)
        else {
            return Ok(());
        };
        let transfer = &mut transfers[at];
        let end = (transfer.sent + self.piece).min(transfer.bytes.len());
        let piece = &transfer.bytes[transfer.sent..end];
        self.write(window, property, transfer.type_, transfer.format, piece)?;
        self.note_read(window);
        if piece.is_empty() {
            transfers.swap_remove(at);
            if !transfers.iter().any(|t| t.requestor == window) {
                let quiet = ChangeWindowAttributesAux::new().event_mask(EventMask::NO_EVENT);
                self.conn.change_window_attributes(window, &quiet).map_err(x11_error)?;
            }
        } else {
            transfer.sent = end;
        }
        Ok(())
    }

    fn write(
        &self,
        window: Window,
        property: Atom,
        type_: Atom,
        format: u8,
        bytes: &[u8],
    ) -> Result<(), DesktopError> {
        let items = bytes.len() / usize::from((format / 8).max(1));
        let items = u32::try_from(items).map_err(x11_error)?;
        self.conn
            .change_property(PropMode::REPLACE, window, property, type_, format, items, bytes)
            .map_err(x11_error)?;
        Ok(())
    }

    /// Another application took `selection`, or we took it again since: what we gave is
    /// dropped only if the X server says the selection is no longer ours.
    fn lost(&self, selection: Atom) -> Result<(), DesktopError> {
        let mut served = self.served.lock().unwrap_or_else(PoisonError::into_inner);
        let owner = self
            .conn
            .get_selection_owner(selection)
            .map_err(x11_error)?
            .reply()
            .map_err(x11_error)?;
        if owner.owner != self.window {
            served.retain(|s| s.selection != selection);
        }
        Ok(())
    }

    fn note_read(&self, requestor: Window) {
        let mut reads = self.reads.lock().unwrap_or_else(PoisonError::into_inner);
        reads.insert(requestor & self.client_bits, Instant::now());
        self.read.notify_all();
    }
}
