//! The tray icon, against a StatusNotifier host of our own on a private D-Bus: the real app
//! registers its item, the tooltip follows the library, and the menu's items work.

#![cfg(all(unix, not(target_os = "macos")))]

mod support;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::bus::{Notifications, SessionBus};
use support::{Instance, Xvfb, eventually, status};
use zbus::blocking::Proxy;
use zbus::zvariant::{OwnedValue, Value};

const WAIT: Duration = Duration::from_secs(20);

/// The part of a StatusNotifierWatcher an item talks to; it passes registrations on.
struct Watcher {
    registered: mpsc::Sender<String>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    fn register_status_notifier_item(
        &self,
        service: &str,
        #[zbus(header)] header: zbus::message::Header<'_>,
    ) {
        // Items name either their bus name or an object path on the sender's connection.
        let name = if service.starts_with('/') {
            header.sender().map(|s| s.to_string()).unwrap_or_default()
        } else {
            service.to_owned()
        };
        let _ = self.registered.send(name);
    }

    fn register_status_notifier_host(&self, _service: &str) {}

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        Vec::new()
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }
}

/// A StatusNotifierItem tooltip: icon name, icon pixmaps (width, height, ARGB), title, text.
type ToolTip = (String, Vec<(i32, i32, Vec<u8>)>, String, String);

fn tooltip(item: &Proxy<'_>) -> String {
    let value: OwnedValue = item.get_property("ToolTip").expect("ToolTip");
    let (_, _, title, description): ToolTip =
        value.try_into().expect("a StatusNotifierItem tooltip");
    format!("{title} {description}")
}

fn menu_items(menu: &Proxy<'_>) -> HashMap<String, i32> {
    let items: Vec<(i32, HashMap<String, OwnedValue>)> = menu
        .call("GetGroupProperties", &(Vec::<i32>::new(), vec!["label"]))
        .expect("the menu answers");
    items
        .into_iter()
        .filter_map(|(id, props)| {
            let label: String = props.get("label")?.try_clone().ok()?.try_into().ok()?;
            Some((label, id))
        })
        .collect()
}

/// Clicks a menu item as a tray host does, without waiting for an answer: after Quit there
/// is nobody left to give one.
fn click(menu: &Proxy<'_>, id: i32) {
    menu.call_noreply("Event", &(id, "clicked", Value::I32(0), 0u32)).expect("click sent");
}

/// The app under an X server and a session bus of its own, with its tray item registered
/// with our host.
struct TrayedApp {
    app: Instance,
    host: zbus::blocking::Connection,
    item_name: String,
    bus: SessionBus,
    xvfb: Xvfb,
}

impl TrayedApp {
    fn start(dir: &std::path::Path, args: &[&str]) -> Self {
        Self::start_with(dir, args, &[])
    }

    fn start_with(dir: &std::path::Path, args: &[&str], extra_env: &[(&str, &str)]) -> Self {
        let xvfb = Xvfb::start();
        let bus = SessionBus::start();
        let (registered, registrations) = mpsc::channel();
        let host = bus.serve(
            "org.kde.StatusNotifierWatcher",
            "/StatusNotifierWatcher",
            Watcher { registered },
        );
        let mut env = vec![
            ("DISPLAY", xvfb.display.as_str()),
            ("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str()),
        ];
        env.extend_from_slice(extra_env);
        let app = Instance::spawn(dir, args, &env);
        let item_name = registrations.recv_timeout(WAIT).expect("the app registers a tray item");
        // The item registers from its own thread; the windows report once their loop is up.
        eventually("the app to report its tray", WAIT, || {
            (status(dir)?["ui"]["tray"] == true).then_some(())
        });
        Self { app, host, item_name, bus, xvfb }
    }

    /// Items announce changes with NewToolTip, not PropertiesChanged: read, never cache, as
    /// a tray host does.
    fn item(&self) -> Proxy<'_> {
        zbus::blocking::proxy::Builder::new(&self.host)
            .destination(self.item_name.as_str())
            .and_then(|b| b.path("/StatusNotifierItem"))
            .and_then(|b| b.interface("org.kde.StatusNotifierItem"))
            .map(|b| b.cache_properties(zbus::proxy::CacheProperties::No))
            .and_then(|b| b.build())
            .expect("item proxy")
    }

    fn menu(&self) -> Proxy<'_> {
        Proxy::new(&self.host, self.item_name.as_str(), "/MenuBar", "com.canonical.dbusmenu")
            .expect("menu proxy")
    }
}

#[test]
fn the_tray_registers_shows_counts_and_its_menu_drives_the_app() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut trayed = TrayedApp::start(dir.path(), &[]);
    let item = trayed.item();
    eventually("the tooltip to count the prompts", WAIT, || {
        tooltip(&item).contains("0 prompts").then_some(())
    });
    assert!(trayed.app.cli(&["add", "--title", "From the test", "--body", "x"]).status.success());
    eventually("the tooltip to follow the library", WAIT, || {
        tooltip(&item).contains("1 prompt").then_some(())
    });
    assert!(tooltip(&item).contains("Saved on this device"), "{}", tooltip(&item));

    let menu = trayed.menu();
    let items = menu_items(&menu);
    for label in ["Open palette", "Open library", "Capture clipboard", "Quit Promptdeck"] {
        assert!(items.contains_key(label), "menu lacks {label:?}: {items:?}");
    }

    assert!(items.contains_key("Sync now (no server configured)"), "{items:?}");

    // Sync switched on in settings.toml while running: the tray offers it at once.
    let settings = dir.path().join("settings.toml");
    std::fs::write(&settings, "[sync]\nserver = \"http://127.0.0.1:9\"\n").expect("written");
    eventually("the tray to offer Sync now", WAIT, || {
        menu_items(&menu).contains_key("Sync now").then_some(())
    });
    std::fs::write(&settings, "").expect("written");
    eventually("the tray to take Sync now back", WAIT, || {
        menu_items(&menu).contains_key("Sync now (no server configured)").then_some(())
    });

    // The first start opened the library; close nothing, just ask for the palette too.
    click(&menu, items["Open palette"]);
    eventually("the palette to open from the tray", WAIT, || {
        let windows = status(dir.path())?["ui"]["windows"].clone();
        windows.as_array()?.iter().any(|w| w == "palette").then_some(())
    });
    click(&menu, items["Quit Promptdeck"]);
    drop((item, menu));
    eventually("the app to quit from the tray", WAIT, || {
        trayed.app.child.try_wait().ok().flatten()
    });
}

#[test]
fn with_the_server_unreachable_the_tray_says_offline_and_what_waits() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A port nothing listens on: bound, then released.
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").expect("binds").local_addr().expect("addr");
    let server = format!("http://{port}");
    let trayed = TrayedApp::start(dir.path(), &["--server", &server]);
    for title in ["Written on a plane", "And another"] {
        assert!(trayed.app.cli(&["add", "--title", title, "--body", "x"]).status.success());
    }
    let item = trayed.item();
    eventually("the tooltip to say offline with the waiting changes", WAIT, || {
        let shown = tooltip(&item);
        (shown.contains("Offline · 2 changes waiting")
            && shown.contains("2 prompts · 2 changes not yet synced"))
        .then_some(())
    });
    let items = menu_items(&trayed.menu());
    assert!(items.contains_key("Sync now"), "a server is set, so Sync now is offered: {items:?}");
}

#[test]
fn signing_in_and_out_from_the_tray() {
    let provider = support::oidc::Provider::start();
    let dirs = [(); 3].map(|_| tempfile::tempdir().expect("tempdir"));
    let server = support::signin::start_server(dirs[0].path(), &provider.issuer);
    let browser = support::signin::curl_browser(dirs[1].path());
    let dir = dirs[2].path();
    let browser_env = [("BROWSER", browser.to_str().expect("path"))];
    let trayed = TrayedApp::start_with(dir, &["--server", &server], &browser_env);
    let (item, menu) = (trayed.item(), trayed.menu());
    eventually("the tray to ask for a sign-in", WAIT, || {
        let asks = tooltip(&item).contains("Sign in to sync");
        (asks && menu_items(&menu).contains_key("Sign in…")).then_some(())
    });

    click(&menu, menu_items(&menu)["Sign in…"]);
    eventually("signed in and synced, from the tray", WAIT, || {
        let signed_in = status(dir)?["status"]["account"] == "signedIn";
        (signed_in && tooltip(&item).contains("Synced")).then_some(())
    });
    let items = eventually("the item to offer signing out", WAIT, || {
        let items = menu_items(&menu);
        items.contains_key("Sign out").then_some(items)
    });

    click(&menu, items["Sign out"]);
    eventually("signed out, from the tray", WAIT, || {
        let signed_out = status(dir)?["status"]["account"] == "signedOut";
        (signed_out && tooltip(&item).contains("Sign in to sync")).then_some(())
    });
    assert!(!dir.join("sign-in.json").exists());
}

#[test]
fn a_capture_is_announced_by_a_desktop_notification() {
    let dir = tempfile::tempdir().expect("tempdir");
    let trayed = TrayedApp::start(dir.path(), &[]);
    let notifications = Notifications::serve(&trayed.bus);
    let mut xclip = Command::new("xclip")
        .args(["-selection", "primary"])
        .env("DISPLAY", &trayed.xvfb.display)
        .stdin(Stdio::piped())
        // xclip stays in the background to serve the selection: not on the test's output.
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("xclip is installed (scripts/install-deps.sh --test)");
    {
        use std::io::Write;
        let mut stdin = xclip.stdin.take().expect("piped");
        stdin.write_all(b"Notify me\nwith a body").expect("writes");
    }
    let _ = xclip.wait();

    let out = trayed.app.cli(&["capture"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (summary, _) = notifications.next(WAIT);
    assert_eq!(summary, "Saved: Notify me");
}

/// The windows' theme as the app reports it.
fn theme(dir: &std::path::Path) -> Option<String> {
    Some(status(dir)?["ui"]["theme"].as_str()?.to_owned())
}

#[test]
fn the_system_theme_follows_the_desktops_color_scheme_as_it_changes() {
    let xvfb = Xvfb::start();
    let bus = SessionBus::start();
    let home = tempfile::tempdir().expect("tempdir");
    let portal = support::bus::Portal::start(&bus, home.path(), &xvfb.display);
    portal.set_color_scheme("prefer-light");
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = dir.path().join("settings.toml");
    std::fs::write(&settings, "[appearance]\ntheme = \"system\"\n").expect("written");
    let env =
        [("DISPLAY", xvfb.display.as_str()), ("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str())];
    let _app = Instance::spawn(dir.path(), &[], &env);
    eventually("the light theme the desktop prefers", WAIT, || {
        (theme(dir.path())? == "light").then_some(())
    });

    portal.set_color_scheme("prefer-dark");
    eventually("the dark theme, without a restart", WAIT, || {
        (theme(dir.path())? == "dark").then_some(())
    });

    // A theme chosen in the settings wins over the desktop's.
    std::fs::write(&settings, "[appearance]\ntheme = \"light\"\n").expect("written");
    eventually("the chosen light theme", WAIT, || (theme(dir.path())? == "light").then_some(()));
    portal.set_color_scheme("prefer-dark");
    std::fs::write(&settings, "[appearance]\ntheme = \"system\"\n").expect("written");
    eventually("the desktop's dark again", WAIT, || (theme(dir.path())? == "dark").then_some(()));
}

#[test]
fn with_no_color_scheme_from_the_desktop_the_system_theme_is_dark() {
    let xvfb = Xvfb::start();
    let bus = SessionBus::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let env =
        [("DISPLAY", xvfb.display.as_str()), ("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str())];
    let app = Instance::spawn(dir.path(), &[], &env);
    // Either no portal answers, or one does without a preference.
    app.wait_for_line("color scheme");
    assert_eq!(theme(dir.path()).as_deref(), Some("dark"));
}
