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

impl SessionBus {
    pub fn start() -> Self {
        let home = tempfile::tempdir().expect("tempdir");
        let mut child = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_RUNTIME_DIR", home.path())
            .stdout(Stdio::piped())
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
