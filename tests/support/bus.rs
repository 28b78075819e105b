//! Private D-Bus session buses, and services on them: the desktop's parts a test needs,
//! without touching the user's own session.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A session bus for this test only. Services it starts on demand (a keyring, say) get a
/// home of their own, never the user's.
pub struct SessionBus {
    child: Child,
    pub address: String,
    _home: tempfile::TempDir,
}

/// A session bus that starts no service on demand: a service a test stops stays stopped.
const WITHOUT_ACTIVATION: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;

impl SessionBus {
    /// `interface` at `path` under the well-known `name`, served on this bus for as long as
    /// the returned connection lives.
    pub fn serve<I: zbus::object_server::Interface>(
        &self,
        name: &str,
        path: &str,
        interface: I,
    ) -> zbus::blocking::Connection {
        zbus::blocking::connection::Builder::address(self.address.as_str())
            .and_then(|b| b.name(name))
            .and_then(|b| b.serve_at(path, interface))
            .and_then(|b| b.build())
            .unwrap_or_else(|e| panic!("{name} served on the test's bus: {e}"))
    }

    pub fn start() -> Self {
        Self::with_config(None)
    }

    /// A bus on which a service exists only while a test runs it: none is started when a
    /// client asks for its name.
    pub fn without_activation() -> Self {
        Self::with_config(Some(WITHOUT_ACTIVATION))
    }

    fn with_config(config: Option<&str>) -> Self {
        let home = tempfile::tempdir().expect("tempdir");
        let mut command = Command::new("dbus-daemon");
        match config {
            Some(config) => {
                let file = home.path().join("bus.conf");
                std::fs::write(&file, config).expect("written");
                command.arg(format!("--config-file={}", file.display()))
            }
            None => command.arg("--session"),
        };
        let mut child = command
            .args(["--nofork", "--print-address=1"])
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_RUNTIME_DIR", home.path())
            .stdout(Stdio::piped())
            // The services the bus starts inherit this: none may hold the test run's output
            // open after the test (CI reads that output to its end).
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon is installed (scripts/install-deps.sh --test)");
        let mut address = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut address)
            .expect("address");
        Self { child, address: address.trim().to_owned(), _home: home }
    }
}

impl Drop for SessionBus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// GNOME Keyring's Secret Service on `bus`, its keyrings under `home`, unlocked.
pub struct Keyring {
    child: Child,
}

impl Keyring {
    pub fn start(bus: &SessionBus, home: &Path) -> Self {
        let mut child = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_RUNTIME_DIR", home)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon is installed (scripts/install-deps.sh --test)");
        // --unlock reads the login keyring's password up to the end of its input.
        let mut stdin = child.stdin.take().expect("piped");
        stdin.write_all(b"test-password").expect("password written");
        drop(stdin);
        let connection = zbus::blocking::connection::Builder::address(bus.address.as_str())
            .and_then(|b| b.build())
            .expect("the bus answers");
        let dbus = zbus::blocking::fdo::DBusProxy::new(&connection).expect("dbus proxy");
        let name = zbus::names::BusName::try_from("org.freedesktop.secrets").expect("name");
        super::eventually("the keyring on the bus", super::WAIT, || {
            dbus.name_has_owner(name.clone()).ok()?.then_some(())
        });
        Self { child }
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The XDG desktop portal (with its GTK backend) on `bus`, its settings in a GLib key file
/// under `home`, so a test changes the desktop's color scheme as a user would.
pub struct Portal {
    child: Child,
    env: Vec<(String, String)>,
}

impl Portal {
    pub fn start(bus: &SessionBus, home: &Path, display: &str) -> Self {
        let env: Vec<(String, String)> = [
            ("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str()),
            ("DISPLAY", display),
            ("HOME", &home.display().to_string()),
            ("XDG_CONFIG_HOME", &home.join("config").display().to_string()),
            ("XDG_RUNTIME_DIR", &home.display().to_string()),
            ("GSETTINGS_BACKEND", "keyfile"),
            ("XDG_CURRENT_DESKTOP", "GNOME"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        // The portal's backends are started by the bus: they must see the same desktop.
        let activation: Vec<String> = env.iter().map(|(k, v)| format!("'{k}': '{v}'")).collect();
        let updated = Command::new("gdbus")
            .args([
                "call",
                "--session",
                "--dest",
                "org.freedesktop.DBus",
                "--object-path",
                "/org/freedesktop/DBus",
                "--method",
                "org.freedesktop.DBus.UpdateActivationEnvironment",
                &format!("{{{}}}", activation.join(", ")),
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .stdout(Stdio::null())
            .status()
            .expect("gdbus is installed (scripts/install-deps.sh --test)");
        assert!(updated.success(), "the bus takes the portal's environment");
        let child = Command::new("/usr/libexec/xdg-desktop-portal")
            .arg("--replace")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("xdg-desktop-portal is installed (scripts/install-deps.sh --test)");
        let portal = Self { child, env };
        super::eventually("the portal to answer", super::WAIT, || portal.read_scheme().ok());
        portal
    }

    /// Sets `org.gnome.desktop.interface color-scheme` ("prefer-dark", "prefer-light",
    /// "default"), which the portal passes on as `org.freedesktop.appearance color-scheme`.
    pub fn set_color_scheme(&self, scheme: &str) {
        let set = Command::new("gsettings")
            .args(["set", "org.gnome.desktop.interface", "color-scheme", scheme])
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .status()
            .expect("gsettings is installed (scripts/install-deps.sh --test)");
        assert!(set.success(), "gsettings set color-scheme {scheme}");
    }

    /// The portal's answer for the color scheme, as gdbus prints it.
    fn read_scheme(&self) -> Result<String, String> {
        let out = Command::new("gdbus")
            .args([
                "call",
                "--session",
                "--dest",
                "org.freedesktop.portal.Desktop",
                "--object-path",
                "/org/freedesktop/portal/desktop",
                "--method",
                "org.freedesktop.portal.Settings.Read",
                "org.freedesktop.appearance",
                "color-scheme",
            ])
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .map_err(|e| e.to_string())?;
        match out.status.success() {
            true => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
            false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
        }
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The real XDG desktop portal frontend (Debian's `xdg-desktop-portal`) on a bus of its own,
/// relaying one portal to a backend the test serves: a stand-in for a desktop's own, said
/// plainly where it is used.
pub struct StandInPortal {
    pub bus: SessionBus,
    /// The backend's connection, on which the test emits its signals.
    pub backend: zbus::blocking::Connection,
    frontend: Child,
    _home: tempfile::TempDir,
}

impl StandInPortal {
    /// The backend's name on the bus, and the path it serves at.
    pub const BACKEND: &str = "org.freedesktop.impl.portal.desktop.promptdecktest";
    pub const PATH: &str = "/org/freedesktop/portal/desktop";

    /// Serves `backend` (which implements `org.freedesktop.impl.portal.<portal>`) and starts
    /// the frontend once it is on the bus; returns when the frontend offers
    /// `org.freedesktop.portal.<portal>`.
    pub fn start<I: zbus::object_server::Interface>(portal: &str, backend: I) -> Self {
        let bus = SessionBus::without_activation();
        let home = tempfile::tempdir().expect("tempdir");
        let portals = home.path().join("portals");
        std::fs::create_dir_all(&portals).expect("made");
        std::fs::write(
            portals.join("promptdecktest.portal"),
            format!(
                "[portal]\nDBusName={}\nInterfaces=org.freedesktop.impl.portal.{portal};\n\
                 UseIn=promptdecktest\n",
                Self::BACKEND
            ),
        )
        .expect("written");
        let backend = bus.serve(Self::BACKEND, Self::PATH, backend);
        // The frontend reads the backends' properties when it starts: they are there first.
        let frontend = Command::new("/usr/libexec/xdg-desktop-portal")
            .arg("--replace")
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .env("HOME", home.path())
            .env("XDG_RUNTIME_DIR", home.path())
            .env("XDG_CURRENT_DESKTOP", "promptdecktest")
            .env("XDG_DESKTOP_PORTAL_DIR", &portals)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("xdg-desktop-portal is installed (scripts/install-deps.sh --test)");
        let connection = zbus::blocking::connection::Builder::address(bus.address.as_str())
            .and_then(|b| b.build())
            .expect("the bus answers");
        let interface = format!("org.freedesktop.portal.{portal}");
        super::eventually(&format!("the portal's {portal}"), super::WAIT, || {
            let proxy = zbus::blocking::Proxy::new(
                &connection,
                "org.freedesktop.portal.Desktop",
                Self::PATH,
                interface.as_str(),
            )
            .ok()?;
            proxy.get_property::<u32>("version").ok()
        });
        Self { bus, backend, frontend, _home: home }
    }
}

impl Drop for StandInPortal {
    fn drop(&mut self) {
        let _ = self.frontend.kill();
        let _ = self.frontend.wait();
    }
}

/// A stand-in for the desktop's notification service on a test's bus: the part the app
/// talks to, passing each notification's summary and body on.
pub struct Notifications {
    _connection: zbus::blocking::Connection,
    shown: std::sync::mpsc::Receiver<(String, String)>,
}

struct NotificationService {
    shown: std::sync::mpsc::Sender<(String, String)>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl NotificationService {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        _app_name: &str,
        _replaces_id: u32,
        _app_icon: &str,
        summary: &str,
        body: &str,
        _actions: Vec<String>,
        _hints: std::collections::HashMap<String, zbus::zvariant::OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let _ = self.shown.send((summary.to_owned(), body.to_owned()));
        1
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        ("test".into(), "promptdeck".into(), "1".into(), "1.2".into())
    }

    fn close_notification(&self, _id: u32) {}
}

impl Notifications {
    /// Serves notifications on `bus` from when this returns.
    pub fn serve(bus: &SessionBus) -> Self {
        let (shown, received) = std::sync::mpsc::channel();
        let service = NotificationService { shown };
        let connection =
            bus.serve("org.freedesktop.Notifications", "/org/freedesktop/Notifications", service);
        Self { _connection: connection, shown: received }
    }

    /// The next notification's summary and body.
    pub fn next(&self, within: std::time::Duration) -> (String, String) {
        self.shown.recv_timeout(within).expect("a notification")
    }
}
