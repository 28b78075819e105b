//! What each of our Wayland clients does the same way: a connection of its own to the
//! compositor, the compositor's globals and seat, and a thread that follows a queue's events.

use wayland_client::globals::{GlobalList, GlobalListContents, registry_queue_init};
use wayland_client::protocol::{wl_registry::WlRegistry, wl_seat::WlSeat};
use wayland_client::{Connection, Dispatch, EventQueue, QueueHandle};

use crate::desktop::DesktopError;

/// A connection to the compositor `$WAYLAND_DISPLAY` names.
pub fn connect() -> Result<Connection, DesktopError> {
    Connection::connect_to_env()
        .map_err(|e| DesktopError::Wayland(format!("cannot be reached: {e}")))
}

/// The compositor's globals, and a queue of `D`'s own on `connection`.
pub fn registry<D>(connection: &Connection) -> Result<(GlobalList, EventQueue<D>), DesktopError>
where
    D: Dispatch<WlRegistry, GlobalListContents> + 'static,
{
    registry_queue_init::<D>(connection)
        .map_err(|e| DesktopError::Wayland(format!("its registry could not be read: {e}")))
}

/// The seat, bound on `D`'s queue.
pub fn seat<D>(globals: &GlobalList, queue: &QueueHandle<D>) -> Result<WlSeat, DesktopError>
where
    D: Dispatch<WlSeat, ()> + 'static,
{
    globals.bind(queue, 1..=1, ()).map_err(|_| DesktopError::Wayland("has no seat".into()))
}

/// Dispatches `queue`'s events to `state` on a thread of its own for as long as the
/// compositor sends them; `what` names what it follows.
pub fn follow<D: Send + 'static>(
    what: &'static str,
    mut queue: EventQueue<D>,
    mut state: D,
) -> Result<(), DesktopError> {
    std::thread::Builder::new()
        .name(format!("promptdeck-{what}"))
        .spawn(move || {
            while queue.blocking_dispatch(&mut state).is_ok() {}
            tracing::warn!(what, "the compositor stopped sending");
        })
        .map(|_| ())
        .map_err(|e| DesktopError::Wayland(format!("cannot follow its {what}: {e}")))
}
