//! The Wayland backend, for wlroots compositors first (sway, Hyprland, labwc, river): the
//! window with the keyboard through foreign-toplevel, paste keys through the virtual
//! keyboard, the clipboard and the primary selection through data-control, global hotkeys
//! through the desktop portal where it offers them (else `bindings`: the compositor holds
//! them). GNOME and KDE lend no virtual keyboard to clients: there keys go through the
//! desktop portal's RemoteDesktop, after the user allows it. What a compositor lacks is
//! named once at start (`status` shows it) and the app does without: no way to type leaves
//! prompts on the clipboard; no data-control falls back to the clipboard through Xwayland. The tray, notifications, the colour scheme and autostart are
//! the freedesktop ones every Linux desktop shares.

/// Implements, for `$state`, the registry's events as ignored: each of our queues reads the
/// compositor's globals once, at its start, and binds what it needs then.
macro_rules! ignore_registry_events {
    ($state:ty) => {
        impl
            wayland_client::Dispatch<
                wayland_client::protocol::wl_registry::WlRegistry,
                wayland_client::globals::GlobalListContents,
            > for $state
        {
            fn event(
                _: &mut Self,
                _: &wayland_client::protocol::wl_registry::WlRegistry,
                _: wayland_client::protocol::wl_registry::Event,
                _: &wayland_client::globals::GlobalListContents,
                _: &wayland_client::Connection,
                _: &wayland_client::QueueHandle<Self>,
            ) {
            }
        }
    };
}

pub mod bindings;
mod client;
mod clipboard;
mod keyboard;
mod overlay;
mod selection_source;
mod toplevels;

use std::path::PathBuf;
use std::sync::Arc;

use super::freedesktop::global_shortcuts::PortalHotkeys;
use super::freedesktop::remote_desktop::PortalKeyboard;
use super::x11::{self, NoFocus, X11Clipboard};
use super::{
    Backend, Clipboard, DesktopError, EventSink, Focus, Hotkeys, Keys, Monitor, PaletteSurface,
    SurfaceEvent, Target, freedesktop,
};
pub use clipboard::DataControlClipboard;
use keyboard::VirtualKeyboard;
use tokio::sync::mpsc::UnboundedReceiver;
use toplevels::Toplevels;

/// The capabilities this compositor offers; the desktop's grant to type is kept in
/// `grant_file`.
pub fn backend(events: EventSink, grant_file: PathBuf) -> Backend {
    let toplevels = client::connect().and_then(|connection| Toplevels::follow(&connection));
    let portal_keys = |missing: DesktopError| {
        PortalKeyboard::start(events.clone(), grant_file)
            .map(|keyboard| Box::new(keyboard) as Box<dyn Keys>)
            .map_err(|portal| DesktopError::Portal(format!("{missing}, and {portal}")))
    };
    let (focus, keys): (Arc<dyn Focus>, Result<Box<dyn Keys>, DesktopError>) = match toplevels {
        Ok(toplevels) => (
            Arc::new(WaylandFocus(toplevels.clone())),
            VirtualKeyboard::create(toplevels).map(|k| Box::new(k) as _).or_else(portal_keys),
        ),
        Err(e) => match portal_keys(e) {
            Ok(keys) => (Arc::new(UnnamedFocus), Ok(keys)),
            Err(e) => (Arc::new(NoFocus), Err(e)),
        },
    };
    let mut limits = Vec::new();
    let clipboard =
        DataControlClipboard::new().map(|c| Box::new(c) as Box<dyn Clipboard>).or_else(|e| {
            limits.push(format!(
                "no clipboard without a focused window ({e}): it is used through Xwayland"
            ));
            X11Clipboard::new().map(|c| Box::new(c) as _)
        });
    let palette_surface = palette_surface()
        .map_err(|e| limits.push(format!("{e}: {}", super::PALETTE_AS_WINDOW)))
        .ok();
    Backend {
        hotkeys: hotkeys(events.clone()),
        focus,
        keys,
        clipboard,
        tray: freedesktop::tray(events).map(|tray| Box::new(tray) as _),
        notifier: Arc::new(freedesktop::notify::Notifications),
        autostart: Arc::new(freedesktop::entries::XdgAutostart),
        palette_surface,
        limits,
    }
}

/// The palette's layer surface, at the palette's size, where the compositor offers
/// layer-shell (the benches' floor makes one the same way).
pub fn palette_surface()
-> Result<(Box<dyn PaletteSurface>, UnboundedReceiver<SurfaceEvent>), DesktopError> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let size = promptdeck_views::palette::WINDOW_SIZE;
    let surface = overlay::LayerPalette::create(size.width as u32, size.height as u32, tx)?;
    Ok((Box::new(surface), rx))
}

/// The desktop portal's global shortcuts where it offers them (KDE, GNOME 48+, Hyprland),
/// else grabs on Xwayland's display, heard only while one of its windows has the keyboard.
fn hotkeys(events: EventSink) -> Option<Box<dyn Hotkeys>> {
    match PortalHotkeys::start(events.clone()) {
        Ok(portal) => Some(Box::new(portal)),
        Err(e) => {
            tracing::info!(error = %e, "global hotkeys through the desktop portal are not offered");
            x11::hotkeys(events)
        }
    }
}

/// Focus where the compositor names no window to clients (GNOME, KDE): some window has the
/// keyboard, and has it back when the palette closes, which is all a paste through the
/// portal needs.
struct UnnamedFocus;

impl Focus for UnnamedFocus {
    fn focused(&self) -> Option<Target> {
        Some(Target(0))
    }

    fn take_focus(&self, _window: u64) -> Result<(), DesktopError> {
        Ok(())
    }

    fn pointer_monitor(&self) -> Option<Monitor> {
        None
    }
}

/// Focus as the compositor's window list tells it. Our own new windows get the keyboard
/// from the compositor; where the pointer is, Wayland does not tell a client.
struct WaylandFocus(Arc<Toplevels>);

impl Focus for WaylandFocus {
    fn focused(&self) -> Option<Target> {
        self.0.focused()
    }

    fn take_focus(&self, _window: u64) -> Result<(), DesktopError> {
        Ok(())
    }

    fn pointer_monitor(&self) -> Option<Monitor> {
        None
    }
}
