//! What a wlroots compositor shows, read back through its screencopy protocol
//! (`zwlr_screencopy_manager_v1`, version 2): every frame the output presents with something
//! changed, with the time the compositor presented it.
//!
//! Two copies are always asked for: the compositor fills one at each presented frame that
//! changed something, and the other waits for the next such frame, so none is missed while
//! this side reads the last one. A copy asked for after a frame was presented would wait for
//! the next change, which may never come.

use std::collections::VecDeque;
use std::os::fd::AsFd;
use std::os::unix::fs::FileExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use wayland_client::globals::{GlobalListContents, registry_queue_init};
use wayland_client::protocol::wl_buffer::{self, WlBuffer};
use wayland_client::protocol::wl_output::{self, WlOutput};
use wayland_client::protocol::wl_registry;
use wayland_client::protocol::wl_shm::{self, WlShm};
use wayland_client::protocol::wl_shm_pool::{self, WlShmPool};
use wayland_client::{Connection, Dispatch, EventQueue, QueueHandle, WEnum};
use wayland_protocols_wlr::screencopy::v1::client::zwlr_screencopy_frame_v1::{
    self as frame, ZwlrScreencopyFrameV1,
};
use wayland_protocols_wlr::screencopy::v1::client::zwlr_screencopy_manager_v1::{
    self as manager, ZwlrScreencopyManagerV1,
};

/// Copies in flight at once.
const SLOTS: usize = 2;

/// An output's picture: 32-bit pixels, blue, green, red, then alpha or padding.
pub struct Picture {
    pub width: usize,
    pub height: usize,
    stride: usize,
    bytes: Vec<u8>,
    /// When the compositor presented it, on the monotonic clock.
    pub presented: Duration,
}

/// A rectangle of the picture, in pixels.
#[derive(Debug, Clone, Copy)]
pub struct Rect {
    pub x: usize,
    pub y: usize,
    pub width: usize,
    pub height: usize,
}

impl Picture {
    fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        let at = y * self.stride + x * 4;
        [self.bytes[at], self.bytes[at + 1], self.bytes[at + 2]]
    }

    /// The colour at the top-left corner, where nothing is drawn on an empty screen.
    pub fn corner(&self) -> [u8; 3] {
        self.pixel(0, 0)
    }

    /// The window on an otherwise empty screen of `background`, found along the lines
    /// through the screen's centre, where the compositor places a floating window.
    pub fn centred_window(&self, background: [u8; 3]) -> Option<Rect> {
        let drawn = |x: usize, y: usize| self.pixel(x, y) != background;
        let middle = self.height / 2;
        let left = (0..self.width).find(|&x| drawn(x, middle))?;
        let right = (0..self.width).rev().find(|&x| drawn(x, middle))?;
        let column = (left + right) / 2;
        let top = (0..self.height).find(|&y| drawn(column, y))?;
        let bottom = (0..self.height).rev().find(|&y| drawn(column, y))?;
        Some(Rect { x: left, y: top, width: right + 1 - left, height: bottom + 1 - top })
    }

    /// The pixels of `rect`, clipped to the picture, each as blue, green, red.
    pub fn pixels(&self, rect: Rect) -> impl Iterator<Item = [u8; 3]> + '_ {
        let xs = rect.x..(rect.x + rect.width).min(self.width);
        let ys = rect.y..(rect.y + rect.height).min(self.height);
        ys.flat_map(move |y| xs.clone().map(move |x| self.pixel(x, y)))
    }
}

/// A reader of one output's frames.
pub struct Screen {
    queue: EventQueue<State>,
    state: State,
}

impl Screen {
    /// Connects to the compositor listening at `socket`, and returns its first output's
    /// picture as it is now; from then on, the frames that change something are asked for.
    pub fn connect(socket: &Path) -> (Self, Picture) {
        let stream = UnixStream::connect(socket).expect("connects to the compositor");
        let connection = Connection::from_socket(stream).expect("a Wayland connection");
        let (globals, queue) = registry_queue_init::<State>(&connection).expect("its registry");
        let qh = queue.handle();
        let manager: ZwlrScreencopyManagerV1 = globals
            .bind(&qh, 2..=2, ())
            .expect("the compositor offers screencopy (zwlr_screencopy_manager_v1 v2)");
        let output: WlOutput = globals.bind(&qh, 1..=1, ()).expect("an output");
        let shm: WlShm = globals.bind(&qh, 1..=1, ()).expect("shared memory");
        let mut screen = Screen {
            queue,
            state: State {
                manager,
                output,
                shm,
                qh,
                file: None,
                layout: None,
                slots: Vec::new(),
                pictures: VecDeque::new(),
                failed: false,
            },
        };
        // The first copy fills slot 0, so the copies of changes are asked for once it came.
        screen.state.ask(Copy::First);
        let first = screen.next(Instant::now() + Duration::from_secs(10));
        for slot in 0..SLOTS {
            screen.state.ask(Copy::Change(slot));
        }
        (screen, first)
    }

    /// The next picture presented, waiting at most until `deadline`.
    pub fn next(&mut self, deadline: Instant) -> Picture {
        loop {
            if let Some(picture) = self.state.pictures.pop_front() {
                return picture;
            }
            assert!(!self.state.failed, "the compositor failed a screen copy");
            self.queue.flush().expect("the compositor reads requests");
            if let Some(guard) = self.queue.prepare_read() {
                let left = deadline.saturating_duration_since(Instant::now());
                assert!(!left.is_zero(), "the screen did not change in time");
                let timeout = rustix::event::Timespec::try_from(left).expect("a timeout");
                let fd = guard.connection_fd();
                let mut fds = [rustix::event::PollFd::new(&fd, rustix::event::PollFlags::IN)];
                match rustix::event::poll(&mut fds, Some(&timeout)) {
                    Ok(0) | Err(rustix::io::Errno::INTR) => drop(guard),
                    Ok(_) => {
                        guard.read().expect("the compositor's events");
                    }
                    Err(e) => panic!("waiting for the compositor: {e}"),
                }
            }
            self.queue.dispatch_pending(&mut self.state).expect("the compositor's events");
        }
    }

    /// The next picture presented after `since` (on the monotonic clock) that `wanted`
    /// accepts, waiting at most `limit`.
    pub fn until(
        &mut self,
        since: Duration,
        limit: Duration,
        mut wanted: impl FnMut(&Picture) -> bool,
    ) -> Picture {
        let deadline = Instant::now() + limit;
        loop {
            let picture = self.next(deadline);
            if picture.presented >= since && wanted(&picture) {
                return picture;
            }
        }
    }
}

/// Where each slot's pixels sit in the shared file.
#[derive(Clone, Copy)]
struct Layout {
    width: u32,
    height: u32,
    stride: u32,
    format: wl_shm::Format,
}

impl Layout {
    fn size(&self) -> usize {
        self.stride as usize * self.height as usize
    }
}

struct State {
    manager: ZwlrScreencopyManagerV1,
    output: WlOutput,
    shm: WlShm,
    qh: QueueHandle<State>,
    file: Option<std::fs::File>,
    layout: Option<Layout>,
    slots: Vec<WlBuffer>,
    /// Presented, not yet taken, oldest first.
    pictures: VecDeque<Picture>,
    failed: bool,
}

/// What a copy takes: the screen as it is (the first copy, into slot 0), or the next frame
/// that changes something, into its slot.
#[derive(Clone, Copy)]
enum Copy {
    First,
    Change(usize),
}

impl Copy {
    fn slot(self) -> usize {
        match self {
            Copy::First => 0,
            Copy::Change(slot) => slot,
        }
    }
}

impl State {
    fn ask(&mut self, copy: Copy) {
        self.manager.capture_output(0, &self.output, &self.qh, copy);
    }

    /// The shared file and one buffer per slot, made when the first copy says its layout.
    fn buffers(&mut self, layout: Layout) {
        if self.layout.is_some() {
            return;
        }
        let fd =
            rustix::fs::memfd_create("promptdeck-bench-screen", rustix::fs::MemfdFlags::CLOEXEC)
                .expect("an anonymous file");
        let file = std::fs::File::from(fd);
        let total = layout.size() * SLOTS;
        file.set_len(total as u64).expect("room for the pictures");
        let pool = self.shm.create_pool(file.as_fd(), total as i32, &self.qh, ());
        self.slots = (0..SLOTS)
            .map(|slot| {
                pool.create_buffer(
                    (slot * layout.size()) as i32,
                    layout.width as i32,
                    layout.height as i32,
                    layout.stride as i32,
                    layout.format,
                    &self.qh,
                    (),
                )
            })
            .collect();
        pool.destroy();
        self.file = Some(file);
        self.layout = Some(layout);
    }

    fn read(&self, slot: usize, presented: Duration) -> Picture {
        let layout = self.layout.expect("a layout");
        let mut bytes = vec![0; layout.size()];
        let file = self.file.as_ref().expect("the shared file");
        file.read_exact_at(&mut bytes, (slot * layout.size()) as u64).expect("reads the picture");
        Picture {
            width: layout.width as usize,
            height: layout.height as usize,
            stride: layout.stride as usize,
            bytes,
            presented,
        }
    }
}

impl Dispatch<ZwlrScreencopyFrameV1, Copy> for State {
    fn event(
        state: &mut Self,
        frame: &ZwlrScreencopyFrameV1,
        event: frame::Event,
        copy: &Copy,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let slot = copy.slot();
        match event {
            frame::Event::Buffer { format, width, height, stride } => {
                let format = match format {
                    WEnum::Value(f @ (wl_shm::Format::Argb8888 | wl_shm::Format::Xrgb8888)) => f,
                    other => panic!("the compositor copies into {other:?}, not 32-bit RGB"),
                };
                state.buffers(Layout { width, height, stride, format });
                match copy {
                    Copy::First => frame.copy(&state.slots[slot]),
                    Copy::Change(_) => frame.copy_with_damage(&state.slots[slot]),
                }
            }
            frame::Event::Ready { tv_sec_hi, tv_sec_lo, tv_nsec } => {
                let seconds = (u64::from(tv_sec_hi) << 32) | u64::from(tv_sec_lo);
                let presented = Duration::new(seconds, tv_nsec);
                // The slot is read before it is asked to fill again.
                let picture = state.read(slot, presented);
                frame.destroy();
                state.pictures.push_back(picture);
                if let Copy::Change(slot) = *copy {
                    state.ask(Copy::Change(slot));
                }
            }
            frame::Event::Failed => {
                frame.destroy();
                state.failed = true;
            }
            _ => {}
        }
    }
}

/// The monotonic clock's reading now: the clock the compositor stamps its frames with.
pub fn monotonic_now() -> Duration {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

impl Dispatch<wl_registry::WlRegistry, GlobalListContents> for State {
    fn event(
        _: &mut Self,
        _: &wl_registry::WlRegistry,
        _: wl_registry::Event,
        _: &GlobalListContents,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
    }
}

/// The objects whose events this reader needs none of.
macro_rules! ignore_events {
    ($($object:ty => $event:ty),* $(,)?) => {$(
        impl Dispatch<$object, ()> for State {
            fn event(_: &mut Self, _: &$object, _: $event, _: &(), _: &Connection, _: &QueueHandle<Self>) {}
        }
    )*};
}

ignore_events!(
    ZwlrScreencopyManagerV1 => manager::Event,
    WlOutput => wl_output::Event,
    WlShm => wl_shm::Event,
    WlShmPool => wl_shm_pool::Event,
    WlBuffer => wl_buffer::Event,
);
