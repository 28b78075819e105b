//! The application windows as wlroots compositors (sway, Hyprland, labwc, river) tell a
//! client of them through the foreign-toplevel protocol: each one's app id and whether it
//! has the keyboard, and a request that gives it the keyboard again. A thread of its own
//! follows the compositor's events, so the list is current whenever the palette opens.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use wayland_client::protocol::wl_seat::WlSeat;
use wayland_client::{Connection, Dispatch, Proxy, QueueHandle, event_created_child};
use wayland_protocols_wlr::foreign_toplevel::v1::client::zwlr_foreign_toplevel_handle_v1::{
    self as handle, ZwlrForeignToplevelHandleV1,
};
use wayland_protocols_wlr::foreign_toplevel::v1::client::zwlr_foreign_toplevel_manager_v1::{
    self as manager, ZwlrForeignToplevelManagerV1,
};

use super::client;
use crate::desktop::{DesktopError, Target};

/// Our windows' app ids start so (see gui/window_settings.rs): never a paste target.
const OUR_APP_IDS: &str = "promptdeck";

/// A window's number for as long as this process runs: a protocol id can be reused by the
/// next window once one closes, and a prompt must not go to that one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Number(u64);

impl Number {
    fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

struct Window {
    handle: ZwlrForeignToplevelHandleV1,
    app_id: String,
    activated: bool,
}

#[derive(Default)]
struct Known {
    windows: HashMap<Number, Window>,
}

/// The compositor's windows, kept current by a thread of their own.
pub struct Toplevels {
    known: Arc<Mutex<Known>>,
    connection: Connection,
    seat: WlSeat,
}

impl Toplevels {
    /// Binds the compositor's foreign-toplevel manager and starts following it; an error
    /// names what the compositor lacks.
    pub fn follow(connection: &Connection) -> Result<Arc<Self>, DesktopError> {
        let (globals, mut queue) = client::registry::<Listener>(connection)?;
        let qh = queue.handle();
        let _manager: ZwlrForeignToplevelManagerV1 =
            globals.bind(&qh, 1..=3, ()).map_err(|_| {
                DesktopError::Wayland(
                    "offers no foreign-toplevel list (zwlr_foreign_toplevel_manager_v1), so the \
                     window to paste into is unknown"
                        .into(),
                )
            })?;
        let seat = client::seat(&globals, &qh)?;
        let known = Arc::new(Mutex::new(Known::default()));
        let mut listener = Listener { known: known.clone() };
        // The first answer announces the windows; the second brings each one's state.
        for _ in 0..2 {
            queue
                .roundtrip(&mut listener)
                .map_err(|e| DesktopError::Wayland(format!("stopped answering: {e}")))?;
        }
        client::follow("windows", queue, listener)?;
        Ok(Arc::new(Self { known, connection: connection.clone(), seat }))
    }

    /// The window with the keyboard now, when it is another application's.
    pub fn focused(&self) -> Option<Target> {
        let known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        known
            .windows
            .iter()
            .find(|(_, w)| w.activated && !w.app_id.starts_with(OUR_APP_IDS))
            .map(|(number, _)| Target(number.0))
    }

    /// Whether the compositor has said `target` has the keyboard.
    pub fn is_activated(&self, target: Target) -> bool {
        let known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        known.windows.get(&Number(target.0)).is_some_and(|w| w.activated)
    }

    /// The app id of `target`, if it is still open.
    pub fn app_id(&self, target: Target) -> Option<String> {
        let known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        known.windows.get(&Number(target.0)).map(|w| w.app_id.clone())
    }

    /// Asks the compositor to give `target` the keyboard.
    pub fn activate(&self, target: Target) -> Result<(), DesktopError> {
        {
            let known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
            let window = known.windows.get(&Number(target.0)).ok_or(DesktopError::TargetGone)?;
            window.handle.activate(&self.seat);
        }
        self.connection
            .flush()
            .map_err(|e| DesktopError::Wayland(format!("stopped answering: {e}")))
    }
}

/// The thread's side: applies the compositor's events to what is known.
struct Listener {
    known: Arc<Mutex<Known>>,
}

impl Listener {
    fn known(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

ignore_registry_events!(Listener);

wayland_client::delegate_noop!(Listener: ignore WlSeat);

impl Dispatch<ZwlrForeignToplevelManagerV1, ()> for Listener {
    fn event(
        state: &mut Self,
        _: &ZwlrForeignToplevelManagerV1,
        event: manager::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let manager::Event::Toplevel { toplevel } = event
            && let Some(number) = toplevel.data::<Number>().copied()
        {
            let window = Window { handle: toplevel, app_id: String::new(), activated: false };
            state.known().windows.insert(number, window);
        }
    }

    event_created_child!(Listener, ZwlrForeignToplevelManagerV1, [
        manager::EVT_TOPLEVEL_OPCODE => (ZwlrForeignToplevelHandleV1, Number::next())
    ]);
}

impl Dispatch<ZwlrForeignToplevelHandleV1, Number> for Listener {
    fn event(
        state: &mut Self,
        proxy: &ZwlrForeignToplevelHandleV1,
        event: handle::Event,
        number: &Number,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let mut known = state.known();
        match event {
            handle::Event::AppId { app_id } => {
                if let Some(window) = known.windows.get_mut(number) {
                    window.app_id = app_id;
                }
            }
            handle::Event::State { state } => {
                if let Some(window) = known.windows.get_mut(number) {
                    window.activated = activated(&state);
                }
            }
            handle::Event::Closed => {
                known.windows.remove(number);
                proxy.destroy();
            }
            _ => {}
        }
    }
}

/// Whether a window's state array (native-endian u32s) holds `activated`.
fn activated(state: &[u8]) -> bool {
    let activated = handle::State::Activated as u32;
    state
        .chunks_exact(4)
        .any(|word| word.try_into().map(u32::from_ne_bytes).is_ok_and(|s| s == activated))
}

#[cfg(test)]
mod tests {
    use super::activated;

    #[test]
    fn the_activated_state_is_read_from_any_place_in_the_array() {
        let words =
            |states: &[u32]| states.iter().flat_map(|s| s.to_ne_bytes()).collect::<Vec<_>>();
        assert!(activated(&words(&[0, 2])));
        assert!(!activated(&words(&[0, 1, 3])));
        assert!(!activated(&[2, 0]));
    }
}
