//! The palette's own surface on compositors with layer-shell (sway, Hyprland, labwc, river,
//! KDE): an overlay that takes the keyboard while shown. Its surface and buffers are kept
//! between openings, as are the app's drawing caches; only its layer role is made again. A
//! new xdg window for each opening (all winit offers, as it cannot hide one) costs a new
//! window and a first frame drawn from nothing every time.
//!
//! It has a connection of its own. A thread follows it: it answers the compositor (the
//! configure that lets a buffer be attached, buffers released) and turns keys and the
//! pointer into iced's events for the app (`input`). The app draws the palette into its own
//! pixels and hands the rows that changed to [`LayerPalette::present`], which writes them
//! into a shared-memory buffer the compositor is not reading.

mod input;
mod xkb;

use std::fs::File;
use std::ops::Range;
use std::os::fd::AsFd;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};
use wayland_client::protocol::wl_buffer::{self, WlBuffer};
use wayland_client::protocol::wl_callback::{self, WlCallback};
use wayland_client::protocol::wl_compositor::WlCompositor;
use wayland_client::protocol::wl_keyboard::{self, WlKeyboard};
use wayland_client::protocol::wl_output::{self, WlOutput};
use wayland_client::protocol::wl_pointer::{self, WlPointer};
use wayland_client::protocol::wl_seat::{self, WlSeat};
use wayland_client::protocol::wl_shm::{self, WlShm};
use wayland_client::protocol::wl_shm_pool::WlShmPool;
use wayland_client::protocol::wl_surface::{self, WlSurface};
use wayland_client::{Connection, Dispatch, EventQueue, Proxy, QueueHandle, WEnum};
use wayland_protocols_wlr::layer_shell::v1::client::zwlr_layer_shell_v1::{
    Layer, ZwlrLayerShellV1,
};
use wayland_protocols_wlr::layer_shell::v1::client::zwlr_layer_surface_v1::{
    self as layer_surface, KeyboardInteractivity, ZwlrLayerSurfaceV1,
};

use super::client;
use crate::desktop::{DesktopError, Frame, PaletteSurface, Presented, SurfaceEvent};
use input::Keyboard;

/// At most this many buffers: one the compositor shows, one being drawn, one spare for a
/// compositor slow to release.
const MOST_BUFFERS: usize = 3;

/// The palette's layer surface, and the buffers drawn into it.
pub struct LayerPalette {
    connection: Connection,
    queue: QueueHandle<Reader>,
    surface: WlSurface,
    layer_shell: ZwlrLayerShellV1,
    /// The surface's size, in logical pixels.
    size: (u32, u32),
    shared: Arc<Mutex<Shared>>,
    shm: WlShm,
    buffers: Option<Buffers>,
}

/// What the app's thread and the reader's share.
struct Shared {
    surface: WlSurface,
    /// The surface's layer role while it is shown. Hidden, it has none: a layer surface
    /// unmapped by a null buffer is mapped again differently by compositors of different
    /// ages (sway 1.7 sends no new configure), but a new one is configured by all.
    layer: Option<ZwlrLayerSurfaceV1>,
    /// The compositor configured the surface since it was asked to show: a buffer may be
    /// attached.
    configured: bool,
    /// A frame drawn before the compositor configured the surface, attached when it does.
    waiting: Option<Attach>,
    /// The app has a frame to present and no buffer was free.
    starved: bool,
}

/// A buffer to attach, and the rows that changed in it.
struct Attach {
    buffer: WlBuffer,
    width: i32,
    rows: Vec<Range<u32>>,
}

impl Shared {
    /// Attaches `attach`'s buffer, damaged in its rows, and commits.
    fn attach(&self, attach: &Attach) {
        self.surface.attach(Some(&attach.buffer), 0, 0);
        for rows in &attach.rows {
            let height = (rows.end - rows.start) as i32;
            self.surface.damage_buffer(0, rows.start as i32, attach.width, height);
        }
        self.surface.commit();
    }
}

impl LayerPalette {
    /// Makes the palette's surface, `width` by `height` logical pixels, unmapped; what it
    /// hears goes to `events`. An error names what the compositor lacks.
    pub fn create(
        width: u32,
        height: u32,
        events: mpsc::UnboundedSender<SurfaceEvent>,
    ) -> Result<Self, DesktopError> {
        let connection = client::connect()?;
        let (globals, mut queue) = client::registry::<Reader>(&connection)?;
        let qh = queue.handle();
        let layer_shell: ZwlrLayerShellV1 = globals.bind(&qh, 1..=4, ()).map_err(|_| {
            DesktopError::Wayland(
                "offers no layer-shell (zwlr_layer_shell_v1), so the palette is a new window at \
                 every opening"
                    .into(),
            )
        })?;
        let lacks = |what: &str| DesktopError::Wayland(format!("offers no {what}"));
        // damage_buffer came with version 4.
        let compositor: WlCompositor =
            globals.bind(&qh, 4..=5, ()).map_err(|_| lacks("wl_compositor of version 4"))?;
        let shm: WlShm = globals.bind(&qh, 1..=1, ()).map_err(|_| lacks("shared memory"))?;
        // Key repeat's rate came with version 4.
        let _seat: WlSeat = globals.bind(&qh, 4..=7, ()).map_err(|_| lacks("seat of version 4"))?;
        for global in globals.contents().clone_list() {
            if global.interface == WlOutput::interface().name {
                let scale = Arc::new(AtomicI32::new(1));
                let _: WlOutput = globals.registry().bind(global.name, 2, &qh, scale);
            }
        }
        let surface = compositor.create_surface(&qh, ());
        let shared = Arc::new(Mutex::new(Shared {
            surface: surface.clone(),
            layer: None,
            configured: false,
            waiting: None,
            starved: false,
        }));
        let mut reader =
            Reader { events, shared: shared.clone(), keyboard: Keyboard::default(), scale: 1 };
        queue
            .roundtrip(&mut reader)
            .map_err(|e| DesktopError::Wayland(format!("stopped answering: {e}")))?;
        follow(queue, reader)?;
        Ok(Self {
            connection,
            queue: qh,
            surface,
            layer_shell,
            size: (width, height),
            shared,
            shm,
            buffers: None,
        })
    }

    fn shared(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn flush(&self) -> Result<(), DesktopError> {
        self.connection
            .flush()
            .map_err(|e| DesktopError::Wayland(format!("stopped answering: {e}")))
    }

    /// A free buffer of `frame`'s size, made if there are fewer than [`MOST_BUFFERS`].
    fn free_buffer(&mut self, frame: &Frame<'_>) -> Result<Option<usize>, DesktopError> {
        let fits = self.buffers.as_ref().is_some_and(|b| b.fits(frame));
        if !fits {
            if let Some(old) = self.buffers.take() {
                old.destroy();
            }
            self.surface.set_buffer_scale(frame.scale as i32);
            self.buffers = Some(Buffers::new(&self.shm, frame, &self.queue)?);
        }
        let Some(buffers) = &mut self.buffers else { return Ok(None) };
        if let Some(free) = buffers.slots.iter().position(|s| s.free.load(Ordering::Acquire)) {
            return Ok(Some(free));
        }
        if buffers.slots.len() < MOST_BUFFERS {
            buffers.grow(&self.queue)?;
            return Ok(Some(buffers.slots.len() - 1));
        }
        Ok(None)
    }
}

impl PaletteSurface for LayerPalette {
    fn show(&mut self) -> Result<(), DesktopError> {
        {
            let mut shared = self.shared();
            if shared.layer.is_some() {
                return Ok(());
            }
            let layer = self.layer_shell.get_layer_surface(
                &self.surface,
                None,
                Layer::Overlay,
                "promptdeck-palette".into(),
                &self.queue,
                (),
            );
            // No anchor: the compositor centres it, on the output it chooses (sway's focused
            // one: where the user is).
            layer.set_size(self.size.0, self.size.1);
            layer.set_keyboard_interactivity(KeyboardInteractivity::Exclusive);
            shared.layer = Some(layer);
            shared.configured = false;
            // Without a buffer: the compositor answers with a configure, then one is attached.
            shared.surface.commit();
        }
        self.flush()
    }

    fn hide(&mut self) -> oneshot::Receiver<()> {
        let (done, hidden) = oneshot::channel();
        {
            let mut shared = self.shared();
            shared.configured = false;
            shared.waiting = None;
            shared.surface.attach(None, 0, 0);
            shared.surface.commit();
            if let Some(layer) = shared.layer.take() {
                layer.destroy();
            }
        }
        // Answered once the compositor has read the requests before it: the surface is
        // unmapped and the keyboard is back with the window that had it.
        self.connection.display().sync(&self.queue, Mutex::new(Some(done)));
        if let Err(e) = self.flush() {
            tracing::warn!(error = %e, "the palette's surface could not be hidden");
        }
        hidden
    }

    fn present(&mut self, frame: &Frame<'_>) -> Result<Presented, DesktopError> {
        if self.shared().layer.is_none() {
            return Ok(Presented::Hidden);
        }
        let Some(slot) = self.free_buffer(frame)? else {
            self.shared().starved = true;
            return Ok(Presented::NoBufferFree);
        };
        let Some(buffers) = &mut self.buffers else { return Ok(Presented::NoBufferFree) };
        let attach = buffers.write(slot, frame)?;
        {
            let mut shared = self.shared();
            shared.starved = false;
            if shared.configured {
                shared.attach(&attach);
            } else {
                shared.waiting = Some(attach);
            }
        }
        self.flush()?;
        Ok(Presented::Shown)
    }
}

impl Drop for LayerPalette {
    fn drop(&mut self) {
        let mut shared = self.shared();
        if let Some(layer) = shared.layer.take() {
            layer.destroy();
        }
        shared.surface.destroy();
        drop(shared);
        let _ = self.flush();
    }
}

/// The buffers, in one shared-memory file, each as wide and high as the frames drawn.
struct Buffers {
    file: File,
    pool: WlShmPool,
    width: u32,
    height: u32,
    slots: Vec<Slot>,
}

struct Slot {
    buffer: WlBuffer,
    /// The compositor released it (or never had it).
    free: Arc<AtomicBool>,
    /// Rows drawn since this buffer was last written: what it lacks of the latest frame.
    stale: Vec<Range<u32>>,
}

impl Buffers {
    fn new(
        shm: &WlShm,
        frame: &Frame<'_>,
        queue: &QueueHandle<Reader>,
    ) -> Result<Self, DesktopError> {
        let file = rustix::fs::memfd_create("promptdeck-palette", rustix::fs::MemfdFlags::CLOEXEC)
            .map(File::from)
            .map_err(no_memory)?;
        let size = frame_bytes(frame.width, frame.height);
        file.set_len(size as u64).map_err(no_memory)?;
        let pool = shm.create_pool(file.as_fd(), size as i32, queue, ());
        let mut buffers =
            Self { file, pool, width: frame.width, height: frame.height, slots: Vec::new() };
        buffers.grow(queue)?;
        Ok(buffers)
    }

    fn fits(&self, frame: &Frame<'_>) -> bool {
        self.width == frame.width && self.height == frame.height
    }

    /// Adds a buffer, drawn whole at its first use.
    fn grow(&mut self, queue: &QueueHandle<Reader>) -> Result<(), DesktopError> {
        let bytes = frame_bytes(self.width, self.height);
        let offset = bytes * self.slots.len();
        let size = offset + bytes;
        self.file.set_len(size as u64).map_err(no_memory)?;
        if offset > 0 {
            self.pool.resize(size as i32);
        }
        let free = Arc::new(AtomicBool::new(true));
        let buffer = self.pool.create_buffer(
            offset as i32,
            self.width as i32,
            self.height as i32,
            self.width as i32 * 4,
            wl_shm::Format::Argb8888,
            queue,
            free.clone(),
        );
        let whole = 0..self.height;
        self.slots.push(Slot { buffer, free, stale: vec![whole] });
        Ok(())
    }

    /// Writes into buffer `slot` the rows of `frame` it lacks, marks it taken, and says
    /// what to attach.
    fn write(&mut self, slot: usize, frame: &Frame<'_>) -> Result<Attach, DesktopError> {
        // Merged as they come: a buffer the compositor never needs again would otherwise
        // gather every frame's rows for as long as the app runs.
        for other in &mut self.slots {
            let mut stale = std::mem::take(&mut other.stale);
            stale.extend(frame.rows.iter().cloned());
            other.stale = merged(stale);
        }
        let stride = self.width as usize * 4;
        let base = frame_bytes(self.width, self.height) * slot;
        let taken = &mut self.slots[slot];
        let rows = std::mem::take(&mut taken.stale);
        for range in &rows {
            let (start, end) = (range.start as usize * stride, range.end as usize * stride);
            let Some(pixels) = frame.pixels.get(start..end) else { continue };
            self.file
                .write_all_at(pixels, (base + start) as u64)
                .map_err(|e| DesktopError::Wayland(format!("the palette's buffer: {e}")))?;
        }
        taken.free.store(false, Ordering::Release);
        Ok(Attach { buffer: taken.buffer.clone(), width: self.width as i32, rows })
    }

    fn destroy(self) {
        for slot in self.slots {
            slot.buffer.destroy();
        }
        self.pool.destroy();
    }
}

fn no_memory(error: impl std::fmt::Display) -> DesktopError {
    DesktopError::Wayland(format!("no shared memory for the palette: {error}"))
}

fn frame_bytes(width: u32, height: u32) -> usize {
    width as usize * height as usize * 4
}

/// `rows`, sorted, with those that touch or overlap made one.
fn merged(mut rows: Vec<Range<u32>>) -> Vec<Range<u32>> {
    rows.retain(|r| r.start < r.end);
    rows.sort_by_key(|r| r.start);
    let mut out: Vec<Range<u32>> = Vec::with_capacity(rows.len());
    for range in rows {
        match out.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => out.push(range),
        }
    }
    out
}

/// Follows the surface's connection on a thread of its own until the compositor goes:
/// waits for its events, or for the next repeat of a held key.
fn follow(mut queue: EventQueue<Reader>, mut reader: Reader) -> Result<(), DesktopError> {
    std::thread::Builder::new()
        .name("promptdeck-palette-surface".into())
        .spawn(move || {
            loop {
                if queue.dispatch_pending(&mut reader).is_err() || queue.flush().is_err() {
                    break;
                }
                let Some(guard) = queue.prepare_read() else { continue };
                let wait = reader.keyboard.next_repeat(Instant::now()).map(|wait| {
                    rustix::time::Timespec {
                        tv_sec: wait.as_secs() as _,
                        tv_nsec: wait.subsec_nanos() as _,
                    }
                });
                let readable = {
                    let fd = guard.connection_fd();
                    let mut fds = [rustix::event::PollFd::new(&fd, rustix::event::PollFlags::IN)];
                    match rustix::event::poll(&mut fds, wait.as_ref()) {
                        Ok(_) => !fds[0].revents().is_empty(),
                        Err(rustix::io::Errno::INTR) => false,
                        Err(_) => break,
                    }
                };
                if readable {
                    if guard.read().is_err() {
                        break;
                    }
                } else {
                    drop(guard);
                }
                for event in reader.keyboard.repeats(Instant::now()) {
                    reader.send(SurfaceEvent::Input(event));
                }
            }
            tracing::warn!("the compositor stopped answering the palette's surface");
            reader.send(SurfaceEvent::Closed);
        })
        .map(|_| ())
        .map_err(|e| DesktopError::Wayland(format!("cannot follow the palette's surface: {e}")))
}

/// The thread's side: answers the compositor and passes input on.
struct Reader {
    events: mpsc::UnboundedSender<SurfaceEvent>,
    shared: Arc<Mutex<Shared>>,
    keyboard: Keyboard,
    /// The scale of the output the surface is on.
    scale: i32,
}

impl Reader {
    fn send(&self, event: SurfaceEvent) {
        let _ = self.events.send(event);
    }

    fn shared(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

ignore_registry_events!(Reader);

wayland_client::delegate_noop!(Reader: ignore WlCompositor);
wayland_client::delegate_noop!(Reader: ignore WlShm);
wayland_client::delegate_noop!(Reader: ignore WlShmPool);
wayland_client::delegate_noop!(Reader: ignore ZwlrLayerShellV1);

impl Dispatch<WlSeat, ()> for Reader {
    fn event(
        _: &mut Self,
        seat: &WlSeat,
        event: wl_seat::Event,
        _: &(),
        _: &Connection,
        qh: &QueueHandle<Self>,
    ) {
        if let wl_seat::Event::Capabilities { capabilities: WEnum::Value(capabilities) } = event {
            if capabilities.contains(wl_seat::Capability::Keyboard) {
                seat.get_keyboard(qh, ());
            }
            if capabilities.contains(wl_seat::Capability::Pointer) {
                seat.get_pointer(qh, ());
            }
        }
    }
}

impl Dispatch<WlKeyboard, ()> for Reader {
    fn event(
        reader: &mut Self,
        _: &WlKeyboard,
        event: wl_keyboard::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        for event in reader.keyboard.handle(event, Instant::now()) {
            reader.send(SurfaceEvent::Input(event));
        }
    }
}

impl Dispatch<WlPointer, ()> for Reader {
    fn event(
        reader: &mut Self,
        _: &WlPointer,
        event: wl_pointer::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        for event in input::pointer(event) {
            reader.send(SurfaceEvent::Input(event));
        }
    }
}

impl Dispatch<WlOutput, Arc<AtomicI32>> for Reader {
    fn event(
        _: &mut Self,
        _: &WlOutput,
        event: wl_output::Event,
        scale: &Arc<AtomicI32>,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_output::Event::Scale { factor } = event {
            scale.store(factor.max(1), Ordering::Relaxed);
        }
    }
}

impl Dispatch<WlSurface, ()> for Reader {
    fn event(
        reader: &mut Self,
        _: &WlSurface,
        event: wl_surface::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_surface::Event::Enter { output } = event
            && let Some(scale) = output.data::<Arc<AtomicI32>>()
        {
            let scale = scale.load(Ordering::Relaxed);
            if scale != reader.scale {
                reader.scale = scale;
                reader.send(SurfaceEvent::Scale(scale as u32));
            }
        }
    }
}

impl Dispatch<ZwlrLayerSurfaceV1, ()> for Reader {
    fn event(
        reader: &mut Self,
        layer: &ZwlrLayerSurfaceV1,
        event: layer_surface::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            layer_surface::Event::Configure { serial, .. } => {
                let mut shared = reader.shared();
                // A configure of a layer role since destroyed (the palette hid meanwhile)
                // is for no one.
                if shared.layer.as_ref() != Some(layer) {
                    return;
                }
                layer.ack_configure(serial);
                let first = !shared.configured;
                shared.configured = true;
                match shared.waiting.take() {
                    Some(attach) => shared.attach(&attach),
                    // Configured again while shown: the buffer attached stays.
                    None if !first => shared.surface.commit(),
                    None => {}
                }
            }
            layer_surface::Event::Closed if reader.shared().layer.as_ref() == Some(layer) => {
                reader.send(SurfaceEvent::Closed);
            }
            _ => {}
        }
    }
}

impl Dispatch<WlBuffer, Arc<AtomicBool>> for Reader {
    fn event(
        reader: &mut Self,
        _: &WlBuffer,
        event: wl_buffer::Event,
        free: &Arc<AtomicBool>,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_buffer::Event::Release = event {
            free.store(true, Ordering::Release);
            if reader.shared().starved {
                reader.send(SurfaceEvent::Released);
            }
        }
    }
}

impl Dispatch<WlCallback, Mutex<Option<oneshot::Sender<()>>>> for Reader {
    fn event(
        _: &mut Self,
        _: &WlCallback,
        event: wl_callback::Event,
        done: &Mutex<Option<oneshot::Sender<()>>>,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_callback::Event::Done { .. } = event
            && let Some(done) = done.lock().unwrap_or_else(PoisonError::into_inner).take()
        {
            let _ = done.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::merged;

    #[test]
    fn rows_that_touch_or_overlap_are_written_once() {
        assert_eq!(merged(vec![10..20, 0..5, 15..30, 30..31, 40..40]), vec![0..5, 10..31]);
        assert_eq!(merged(Vec::new()), Vec::<std::ops::Range<u32>>::new());
    }
}
