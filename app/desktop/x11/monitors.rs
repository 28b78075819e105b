//! Which monitor the pointer is on, from RandR's monitors (1.5: what the desktop calls a
//! monitor, one per output or as `xrandr --setmonitor` made them).

use x11rb::connection::Connection;
use x11rb::protocol::randr::ConnectionExt as _;
use x11rb::protocol::xproto::{ConnectionExt as _, Window};

use crate::desktop::Monitor;

/// The monitor under the pointer on `root`'s screen; `None` where RandR gives no monitors
/// (an old server) or the pointer is on another screen.
pub fn under_pointer(conn: &impl Connection, root: Window) -> Option<Monitor> {
    // Both asked before either answer is read: one round trip to the X server, not two,
    // on the way to showing the palette.
    let pointer = conn.query_pointer(root).ok()?;
    let monitors = conn.randr_get_monitors(root, true).ok()?;
    let pointer = pointer.reply().ok()?;
    let monitors = monitors.reply().ok()?.monitors;
    if !pointer.same_screen {
        return None;
    }
    let monitors = monitors.iter().map(|m| Monitor {
        x: m.x.into(),
        y: m.y.into(),
        width: m.width.into(),
        height: m.height.into(),
    });
    containing(monitors, (pointer.root_x.into(), pointer.root_y.into()))
}

/// The first of `monitors` that holds `point`.
fn containing(mut monitors: impl Iterator<Item = Monitor>, point: (i32, i32)) -> Option<Monitor> {
    monitors.find(|monitor| monitor.holds(point))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEFT: Monitor = Monitor { x: 0, y: 0, width: 1280, height: 800 };
    const RIGHT: Monitor = Monitor { x: 1280, y: 100, width: 1920, height: 1080 };

    #[test]
    fn the_pointer_picks_the_monitor_it_is_on_and_edges_belong_to_one() {
        let both = || [LEFT, RIGHT].into_iter();
        assert_eq!(containing(both(), (10, 10)), Some(LEFT));
        assert_eq!(containing(both(), (1279, 799)), Some(LEFT));
        assert_eq!(containing(both(), (1280, 100)), Some(RIGHT));
        assert_eq!(containing(both(), (1280, 99)), None, "above the right monitor: no monitor");
        assert_eq!(containing(both(), (-5, 10)), None);
    }

    #[test]
    fn a_window_is_centred_on_its_monitor_even_when_larger() {
        assert_eq!(RIGHT.centre_for((900, 504)), (1280 + 510, 100 + 288));
        assert_eq!(LEFT.centre_for((1400, 900)), (-60, -50), "overhangs both edges equally");
    }
}
