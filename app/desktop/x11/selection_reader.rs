//! Reads a selection (CLIPBOARD) in every target its owner offers, as ICCCM has a requestor
//! do it: `TARGETS` first, then each target converted into a property of a window of ours,
//! large ones in `INCR` pieces. What is kept is bounded as on every backend: each target for
//! at most [`TYPE_TIMEOUT`], the whole for [`SNAPSHOT_TIMEOUT`] and [`SNAPSHOT_CAP`] bytes.

use std::time::Instant;

use x11rb::connection::Connection;
use x11rb::protocol::Event;
use x11rb::protocol::xproto::{
    Atom, AtomEnum, ConnectionExt as _, CreateWindowAux, EventMask, Property, Window, WindowClass,
};
use x11rb::rust_connection::RustConnection;

use crate::desktop::{
    DesktopError, Offered, SNAPSHOT_CAP, SNAPSHOT_TIMEOUT, TYPE_TIMEOUT, X11Form,
};

x11rb::atom_manager! {
    pub Atoms: AtomsCookie {
        CLIPBOARD,
        TARGETS,
        INCR,
        UTF8_STRING,
        MULTIPLE,
        TIMESTAMP,
        SAVE_TARGETS,
        DELETE,
        INSERT_SELECTION,
        INSERT_PROPERTY,
        PROMPTDECK_SELECTION,
    }
}

/// The most targets kept: an owner listing thousands must not make a snapshot ask for each.
const MOST_TARGETS: usize = 64;

/// Why one target's bytes were not had.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("its owner did not answer in time")]
    TimedOut,
    #[error("larger than the {0} bytes left to keep of the clipboard")]
    TooLarge(usize),
    #[error("the X server refused: {0}")]
    X11(String),
}

fn x11_error(e: impl std::fmt::Display) -> ReadError {
    ReadError::X11(e.to_string())
}

/// A connection and a window of its own, to receive what selection owners send.
pub struct SelectionReader {
    conn: RustConnection,
    window: Window,
    pub atoms: Atoms,
}

/// A property as read: its bytes and how they were typed.
struct Read {
    type_: Atom,
    format: u8,
    bytes: Vec<u8>,
}

impl SelectionReader {
    pub fn connect() -> Result<Self, DesktopError> {
        let (conn, screen) =
            x11rb::connect(None).map_err(|e| DesktopError::NoDisplay(e.to_string()))?;
        let root = conn.setup().roots[screen].root;
        let window = conn.generate_id().map_err(|e| DesktopError::X11(e.to_string()))?;
        let made = || -> Result<Atoms, ReadError> {
            let aux = CreateWindowAux::new().event_mask(EventMask::PROPERTY_CHANGE);
            conn.create_window(0, window, root, 0, 0, 1, 1, 0, WindowClass::INPUT_ONLY, 0, &aux)
                .map_err(x11_error)?
                .check()
                .map_err(x11_error)?;
            Atoms::new(&conn).map_err(x11_error)?.reply().map_err(x11_error)
        };
        let atoms = made().map_err(|e| DesktopError::X11(e.to_string()))?;
        Ok(Self { conn, window, atoms })
    }

    /// Every target `selection`'s owner offers, in its order, while they fit in the bounds;
    /// nothing when it has no owner or its owner does not answer.
    pub fn read_every_target(&self, selection: Atom) -> Vec<Offered> {
        let deadline = Instant::now() + SNAPSHOT_TIMEOUT;
        self.drain_events();
        match self.conn.get_selection_owner(selection).map(|c| c.reply()) {
            Ok(Ok(owner)) if owner.owner != x11rb::NONE => {}
            _ => return Vec::new(),
        }
        let targets = match self.convert(selection, self.atoms.TARGETS, deadline, SNAPSHOT_CAP) {
            Ok(Some(read)) => self.offered_targets(&read),
            // An owner too old for TARGETS still gives text.
            Ok(None) => vec![self.atoms.UTF8_STRING, AtomEnum::STRING.into()],
            Err(e) => {
                tracing::warn!(error = %e, "the clipboard could not be read; it will not be restored");
                return Vec::new();
            }
        };
        let names = self.names(&targets);
        let mut left = SNAPSHOT_CAP;
        let mut offered = Vec::new();
        for (target, name) in targets.into_iter().zip(names) {
            let Some(name) = name else { continue };
            if Instant::now() >= deadline {
                tracing::warn!(target = %name, "a clipboard type was not kept: the snapshot took too long");
                continue;
            }
            let type_deadline = deadline.min(Instant::now() + TYPE_TIMEOUT);
            match self.convert(selection, target, type_deadline, left) {
                Ok(Some(read)) => {
                    let Some(type_name) = self.names(&[read.type_]).pop().flatten() else {
                        continue;
                    };
                    left -= read.bytes.len();
                    let x11 = Some(X11Form { type_name, format: read.format });
                    offered.push(Offered { mime: name, bytes: read.bytes, x11 });
                }
                Ok(None) => {
                    tracing::debug!(target = %name, "the clipboard's owner refused a target")
                }
                Err(e) => {
                    tracing::warn!(target = %name, error = %e, "a clipboard type was not kept")
                }
            }
        }
        offered
    }

    /// The targets a `TARGETS` answer lists, less those that are requests rather than
    /// content, each once.
    fn offered_targets(&self, read: &Read) -> Vec<Atom> {
        let a = &self.atoms;
        let not_content = [
            a.TARGETS,
            a.MULTIPLE,
            a.TIMESTAMP,
            a.SAVE_TARGETS,
            a.DELETE,
            a.INSERT_SELECTION,
            a.INSERT_PROPERTY,
        ];
        if read.format != 32 {
            return Vec::new();
        }
        let mut targets = Vec::new();
        for atom in read.bytes.chunks_exact(4).map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        {
            if atom != x11rb::NONE && !not_content.contains(&atom) && !targets.contains(&atom) {
                targets.push(atom);
            }
        }
        targets.truncate(MOST_TARGETS);
        targets
    }

    /// Each atom's name, asked all at once; `None` where the server has none.
    fn names(&self, atoms: &[Atom]) -> Vec<Option<String>> {
        let cookies: Vec<_> =
            atoms.iter().map(|atom| self.conn.get_atom_name(*atom).ok()).collect();
        cookies
            .into_iter()
            .map(|cookie| {
                let reply = cookie?.reply().ok()?;
                String::from_utf8(reply.name).ok()
            })
            .collect()
    }

    /// Asks `selection`'s owner for `target` and reads the answer, at most `cap` bytes by
    /// `deadline`; `None` when the owner refuses it.
    fn convert(
        &self,
        selection: Atom,
        target: Atom,
        deadline: Instant,
        cap: usize,
    ) -> Result<Option<Read>, ReadError> {
        let property = self.atoms.PROMPTDECK_SELECTION;
        self.conn.delete_property(self.window, property).map_err(x11_error)?;
        self.conn
            .convert_selection(self.window, selection, target, property, x11rb::CURRENT_TIME)
            .map_err(x11_error)?;
        self.conn.flush().map_err(x11_error)?;
        let notified = self.wait_for(deadline, |event| {
            matches!(event, Event::SelectionNotify(n)
                if n.requestor == self.window && n.selection == selection && n.target == target)
        })?;
        let Event::SelectionNotify(notify) = notified else { return Ok(None) };
        if notify.property == x11rb::NONE {
            return Ok(None);
        }
        let read = self.take_property(cap)?;
        if read.type_ != self.atoms.INCR {
            return Ok(Some(read));
        }
        // INCR: the owner sends pieces, each once we have taken (deleted) the last; an
        // empty piece ends it.
        let mut whole = Read { type_: x11rb::NONE, format: 8, bytes: Vec::new() };
        loop {
            // An owner quick with its pieces is still held to the deadline.
            if Instant::now() >= deadline {
                return Err(ReadError::TimedOut);
            }
            self.wait_for(deadline, |event| {
                matches!(event, Event::PropertyNotify(p)
                    if p.window == self.window && p.atom == property && p.state == Property::NEW_VALUE)
            })?;
            let piece = match self.take_property(cap.saturating_sub(whole.bytes.len())) {
                Err(ReadError::TooLarge(_)) => return Err(ReadError::TooLarge(cap)),
                piece => piece?,
            };
            if piece.bytes.is_empty() {
                return Ok(Some(whole));
            }
            whole.type_ = piece.type_;
            whole.format = piece.format;
            whole.bytes.extend_from_slice(&piece.bytes);
        }
    }

    /// Reads our property whole and deletes it, refusing it unread when it is over `cap`
    /// (it is deleted all the same, so that an INCR owner is not left waiting).
    fn take_property(&self, cap: usize) -> Result<Read, ReadError> {
        let property = self.atoms.PROMPTDECK_SELECTION;
        let size = self
            .conn
            .get_property(false, self.window, property, AtomEnum::ANY, 0, 0)
            .map_err(x11_error)?
            .reply()
            .map_err(x11_error)?;
        let length = size.bytes_after as usize;
        if length > cap {
            self.conn.delete_property(self.window, property).map_err(x11_error)?;
            self.conn.flush().map_err(x11_error)?;
            return Err(ReadError::TooLarge(cap));
        }
        let words = u32::try_from(length.div_ceil(4)).unwrap_or(u32::MAX);
        let reply = self
            .conn
            .get_property(true, self.window, property, AtomEnum::ANY, 0, words)
            .map_err(x11_error)?
            .reply()
            .map_err(x11_error)?;
        self.conn.flush().map_err(x11_error)?;
        Ok(Read { type_: reply.type_, format: reply.format, bytes: reply.value })
    }

    /// The first event `wanted` takes, waiting for it until `deadline`, however many
    /// other events come meanwhile (an owner sending piece after piece sends one each).
    fn wait_for(
        &self,
        deadline: Instant,
        wanted: impl Fn(&Event) -> bool,
    ) -> Result<Event, ReadError> {
        loop {
            match self.conn.poll_for_event().map_err(x11_error)? {
                Some(event) if wanted(&event) => return Ok(event),
                Some(_) => {}
                None => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    let timeout = rustix::event::Timespec::try_from(left).map_err(x11_error)?;
                    let stream = self.conn.stream();
                    let mut fds =
                        [rustix::event::PollFd::new(stream, rustix::event::PollFlags::IN)];
                    match rustix::event::poll(&mut fds, Some(&timeout)) {
                        Ok(_) | Err(rustix::io::Errno::INTR) => {}
                        Err(e) => return Err(x11_error(e)),
                    }
                }
            }
            if Instant::now() >= deadline {
                return Err(ReadError::TimedOut);
            }
        }
    }

    /// Drops what earlier reads left behind: an owner that answered after we gave up.
    fn drain_events(&self) {
        while let Ok(Some(_)) = self.conn.poll_for_event() {}
        let _ = self.conn.delete_property(self.window, self.atoms.PROMPTDECK_SELECTION);
    }
}
