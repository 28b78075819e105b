//! The prompt on the clipboard and the primary selection through wlroots' data-control
//! protocol, from a source of our own, so that the app sees when it is read: each read is a
//! `send` the compositor forwards to us. Wayland does not say who reads; a read after the
//! paste keys is taken to be the target's (a clipboard manager reads as soon as the
//! clipboard changes, before the keys). A thread of its own follows the compositor's events
//! and answers reads, each written by a thread of its own, bounded in time.

use std::io::Write;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use wayland_client::protocol::wl_callback::{self, WlCallback};
use wayland_client::protocol::wl_seat::WlSeat;
use wayland_client::{Connection, Dispatch, QueueHandle, event_created_child};
use wayland_protocols_wlr::data_control::v1::client::{
    zwlr_data_control_device_v1::{self as device, ZwlrDataControlDeviceV1},
    zwlr_data_control_manager_v1::ZwlrDataControlManagerV1,
    zwlr_data_control_offer_v1::ZwlrDataControlOfferV1,
    zwlr_data_control_source_v1::{self as source, ZwlrDataControlSourceV1},
};

use super::client;
use crate::desktop::reads::{self, Seen};
use crate::desktop::{DesktopError, TYPE_TIMEOUT, Taken};

/// The types the prompt is offered in, as other Wayland and Xwayland clients ask for text
/// (all UTF-8: Latin-1's `STRING` is left to Xwayland's own conversion).
const TEXT_TYPES: [&str; 5] =
    ["text/plain;charset=utf-8", "text/plain;charset=UTF-8", "text/plain", "UTF8_STRING", "TEXT"];

/// Reads of the prompt since it was put, and whether another client has taken the
/// clipboard since.
#[derive(Default)]
struct Reads {
    /// Which `put` the reads are of: a source's events from an earlier one are not counted.
    generation: u64,
    at: Vec<Instant>,
    cancelled: bool,
}

/// The most reads noted for one prompt: a client asking in a loop must not grow the list.
const MOST_READS: usize = 64;

struct Shared {
    reads: Mutex<Reads>,
    read: Condvar,
}

/// What a source of ours offers, and which `put` made it.
struct Offered {
    bytes: Arc<[u8]>,
    generation: u64,
    shared: Arc<Shared>,
}

/// A data-control source of ours, set as the clipboard and the primary selection.
pub struct SelectionSource {
    connection: Connection,
    queue: QueueHandle<Listener>,
    manager: ZwlrDataControlManagerV1,
    device: ZwlrDataControlDeviceV1,
    shared: Arc<Shared>,
    /// The sources set by the last `put`, destroyed when the next one is.
    current: Vec<ZwlrDataControlSourceV1>,
}

impl SelectionSource {
    /// Binds wlroots' data-control manager on a connection of its own; an error names what
    /// the compositor lacks.
    pub fn start() -> Result<Self, DesktopError> {
        let connection = client::connect()?;
        let (globals, mut queue) = client::registry::<Listener>(&connection)?;
        let qh = queue.handle();
        let manager: ZwlrDataControlManagerV1 = globals.bind(&qh, 2..=2, ()).map_err(|_| {
            DesktopError::Wayland(
                "offers no data-control with the primary selection \
                 (zwlr_data_control_manager_v1, version 2)"
                    .into(),
            )
        })?;
        let seat = client::seat(&globals, &qh)?;
        let device = manager.get_data_device(&seat, &qh, ());
        let mut listener = Listener;
        queue
            .roundtrip(&mut listener)
            .map_err(|e| DesktopError::Wayland(format!("stopped answering: {e}")))?;
        client::follow("clipboard", queue, listener)?;
        let shared = Arc::new(Shared { reads: Mutex::default(), read: Condvar::new() });
        Ok(Self { connection, queue: qh, manager, device, shared, current: Vec::new() })
    }

    /// Offers `text` as the clipboard and the primary selection, and starts noting reads
    /// of it afresh. Returns once the compositor has it, so keys sent after find it there.
    pub fn put(&mut self, text: &str) -> Result<(), DesktopError> {
        let generation = {
            let mut reads = self.shared.reads.lock().unwrap_or_else(PoisonError::into_inner);
            *reads = Reads { generation: reads.generation + 1, ..Reads::default() };
            reads.generation
        };
        let bytes: Arc<[u8]> = text.as_bytes().into();
        let source = || {
            let offered = Offered { bytes: bytes.clone(), generation, shared: self.shared.clone() };
            let source = self.manager.create_data_source(&self.queue, offered);
            TEXT_TYPES.iter().for_each(|mime| source.offer((*mime).into()));
            source
        };
        let (clipboard, primary) = (source(), source());
        self.device.set_selection(Some(&clipboard));
        self.device.set_primary_selection(Some(&primary));
        for earlier in std::mem::replace(&mut self.current, vec![clipboard, primary]) {
            earlier.destroy();
        }
        self.compositor_caught_up()
    }

    /// Returns once the compositor has handled every request sent so far. Its answer is
    /// read by the thread that follows the connection: a second reader here could wait on
    /// a socket that thread had already emptied.
    fn compositor_caught_up(&self) -> Result<(), DesktopError> {
        let caught_up = Arc::new(CaughtUp::default());
        self.connection.display().sync(&self.queue, caught_up.clone());
        self.connection.flush().map_err(|e| {
            DesktopError::Clipboard(format!("the compositor stopped answering: {e}"))
        })?;
        let done = caught_up.done.lock().unwrap_or_else(PoisonError::into_inner);
        let (done, _) = caught_up
            .answered
            .wait_timeout_while(done, TYPE_TIMEOUT, |done| !*done)
            .unwrap_or_else(PoisonError::into_inner);
        if !*done {
            return Err(DesktopError::Clipboard("the compositor did not take the prompt".into()));
        }
        Ok(())
    }

    /// Waits for a read of what `put` offered made after `keys_sent`, then until no more
    /// has come for `quiet`, but no longer than `cap` in all.
    pub fn wait_for_reader(&self, keys_sent: Instant, quiet: Duration, cap: Duration) -> Taken {
        let shared = &self.shared;
        reads::wait_for_target(&shared.reads, &shared.read, quiet, cap, |reads| {
            match reads.at.iter().filter(|at| **at >= keys_sent).max() {
                Some(at) => Seen::Target(*at),
                // Another client holds the clipboard now: the target may paste from it.
                None if reads.cancelled => Seen::Unknowable,
                None if reads.at.is_empty() => Seen::Nobody,
                None => Seen::Others,
            }
        })
    }
}

/// The compositor's answer to a `sync`.
#[derive(Default)]
struct CaughtUp {
    done: Mutex<bool>,
    answered: Condvar,
}

/// The thread's side: answers reads and notes them.
struct Listener;

impl Dispatch<WlCallback, Arc<CaughtUp>> for Listener {
    fn event(
        _: &mut Self,
        _: &WlCallback,
        event: wl_callback::Event,
        caught_up: &Arc<CaughtUp>,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_callback::Event::Done { .. } = event {
            *caught_up.done.lock().unwrap_or_else(PoisonError::into_inner) = true;
            caught_up.answered.notify_all();
        }
    }
}

ignore_registry_events!(Listener);

wayland_client::delegate_noop!(Listener: ignore WlSeat);
wayland_client::delegate_noop!(Listener: ignore ZwlrDataControlManagerV1);
wayland_client::delegate_noop!(Listener: ignore ZwlrDataControlOfferV1);

impl Dispatch<ZwlrDataControlDeviceV1, ()> for Listener {
    fn event(
        _: &mut Self,
        device: &ZwlrDataControlDeviceV1,
        event: device::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            // Offers of what others put there: never read through this connection.
            device::Event::Selection { id: Some(offer) }
            | device::Event::PrimarySelection { id: Some(offer) } => offer.destroy(),
            device::Event::Finished => device.destroy(),
            _ => {}
        }
    }

    event_created_child!(Listener, ZwlrDataControlDeviceV1, [
        device::EVT_DATA_OFFER_OPCODE => (ZwlrDataControlOfferV1, ()),
    ]);
}

impl Dispatch<ZwlrDataControlSourceV1, Offered> for Listener {
    fn event(
        _: &mut Self,
        source: &ZwlrDataControlSourceV1,
        event: source::Event,
        offered: &Offered,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let mut reads = offered.shared.reads.lock().unwrap_or_else(PoisonError::into_inner);
        let current = reads.generation == offered.generation;
        match event {
            source::Event::Send { fd, .. } => {
                if current && reads.at.len() < MOST_READS {
                    reads.at.push(Instant::now());
                    offered.shared.read.notify_all();
                }
                write_to(fd, offered.bytes.clone());
            }
            source::Event::Cancelled => {
                if current {
                    reads.cancelled = true;
                    offered.shared.read.notify_all();
                }
                source.destroy();
            }
            _ => {}
        }
    }
}

/// The most reads answered at once: a client asking in a loop gets no more threads.
const MOST_WRITERS: usize = 16;
static WRITERS: AtomicUsize = AtomicUsize::new(0);

/// Writes `bytes` to a reader's pipe on a thread of its own: a reader that never reads
/// holds up nothing, and is given up on after [`TYPE_TIMEOUT`]. Past [`MOST_WRITERS`] at
/// once, a read is refused (its pipe closed at once, so the reader gets nothing).
fn write_to(fd: OwnedFd, bytes: Arc<[u8]>) {
    if WRITERS.fetch_add(1, Ordering::AcqRel) >= MOST_WRITERS {
        WRITERS.fetch_sub(1, Ordering::AcqRel);
        tracing::debug!("a read of the clipboard refused: too many at once");
        return;
    }
    let written =
        std::thread::Builder::new().name("promptdeck-selection-write".into()).spawn(move || {
            let _done = Leaves;
            let mut pipe = std::fs::File::from(fd);
            // Written as the pipe has room, so the deadline holds whatever the reader does.
            if rustix::io::ioctl_fionbio(&pipe, true).is_err() {
                return;
            }
            let deadline = Instant::now() + TYPE_TIMEOUT;
            let mut left = &bytes[..];
            while !left.is_empty() {
                let wait = deadline.saturating_duration_since(Instant::now());
                let Ok(timeout) = rustix::event::Timespec::try_from(wait) else { return };
                let mut fds = [rustix::event::PollFd::new(&pipe, rustix::event::PollFlags::OUT)];
                if wait.is_zero() || rustix::event::poll(&mut fds, Some(&timeout)) != Ok(1) {
                    tracing::debug!("a reader of the clipboard stopped reading");
                    return;
                }
                match pipe.write(left) {
                    Ok(n) => left = &left[n..],
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock
                        ) => {}
                    Err(_) => return,
                }
            }
        });
    if let Err(e) = written {
        WRITERS.fetch_sub(1, Ordering::AcqRel);
        tracing::warn!(error = %e, "a read of the clipboard was not answered");
    }
}

/// A writer's place given back however its thread ends.
struct Leaves;

impl Drop for Leaves {
    fn drop(&mut self) {
        WRITERS.fetch_sub(1, Ordering::AcqRel);
    }
}
