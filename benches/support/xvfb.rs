//! An X server of the bench's own: Xvfb on a free display, 1280x800.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use x11rb::rust_connection::RustConnection;

/// Starts Xvfb on a free display and connects to it once it accepts connections.
// The caller owns the returned child and stops it; the lint does not see into the tuple.
#[allow(clippy::zombie_processes)]
pub fn start() -> (Child, String, RustConnection, usize) {
    let number = (90..200)
        .find(|n| !std::path::Path::new(&format!("/tmp/.X11-unix/X{n}")).exists())
        .expect("a free X display");
    let display = format!(":{number}");
    let mut child = Command::new("Xvfb")
        .args([display.as_str(), "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb starts");
    let started = Instant::now();
    loop {
        if let Ok((conn, screen)) = x11rb::connect(Some(&display)) {
            return (child, display, conn, screen);
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("Xvfb did not come up");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
