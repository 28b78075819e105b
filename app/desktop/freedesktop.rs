//! What every Linux desktop shares, whatever its window system: the tray as a
//! StatusNotifierItem and notifications on the session bus, the colour scheme from the XDG
//! desktop portal, and autostart as an XDG autostart entry.

pub mod appearance;
pub mod entries;
pub mod global_shortcuts;
pub mod notify;
pub mod tray;
