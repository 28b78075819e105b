//! Reaching the running instance's control channel: a Unix socket, or on Windows a named
//! pipe whose name the instance keeps in a file (the app's `os` listens on both). Blocking
//! std I/O: a command sends one request and waits for one answer, and a program that starts
//! for a single request has no use for an async runtime's threads, timers and drivers.

use std::io;
#[cfg(unix)]
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

#[cfg(unix)]
pub type Channel = std::os::unix::net::UnixStream;

#[cfg(windows)]
pub type Channel = std::fs::File;

#[cfg(unix)]
pub fn connect(path: &Path) -> io::Result<Channel> {
    Channel::connect(path)
}

/// Reads up to and including the first newline, or to the end if the instance closes first,
/// giving up with `ErrorKind::TimedOut` once `within` has passed.
#[cfg(unix)]
pub fn read_line(mut channel: Channel, within: Duration) -> io::Result<Vec<u8>> {
    let deadline = Instant::now() + within;
    let mut line = Vec::new();
    let mut chunk = [0; 8192];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        channel.set_read_timeout(Some(left))?;
        match channel.read(&mut chunk) {
            Ok(0) => return Ok(line),
            Ok(n) => {
                line.extend_from_slice(&chunk[..n]);
                if chunk[..n].contains(&b'\n') {
                    return Ok(line);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return Err(io::ErrorKind::TimedOut.into());
            }
            Err(e) => return Err(e),
        }
    }
}

/// Every pipe of ours is named so; a name file that says otherwise (another machine's pipe,
/// `\\host\pipe\...`, would send the user's credentials there) is refused.
#[cfg(windows)]
pub const PIPE_PREFIX: &str = r"\\.\pipe\promptdeck-";

#[cfg(windows)]
pub fn connect(path: &Path) -> io::Result<Channel> {
    /// How long a client waits for a free instance of a busy pipe, in all.
    const BUSY_WAIT: Duration = Duration::from_secs(2);
    const ERROR_PIPE_BUSY: i32 = windows_sys::Win32::Foundation::ERROR_PIPE_BUSY as i32;

    let name = std::fs::read_to_string(path)?;
    let name = name.trim();
    let ours = name.strip_prefix(PIPE_PREFIX).is_some_and(|id| ulid::Ulid::from_string(id).is_ok());
    if !ours {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} does not name a local Promptdeck pipe", path.display()),
        ));
    }
    let deadline = Instant::now() + BUSY_WAIT;
    loop {
        match std::fs::OpenOptions::new().read(true).write(true).open(name) {
            Err(e) if e.raw_os_error() == Some(ERROR_PIPE_BUSY) && Instant::now() < deadline => {
                // Every instance is taken until the server makes the next one: moments.
                std::thread::sleep(Duration::from_millis(20));
            }
            opened => return opened,
        }
    }
}

/// Reads up to and including the first newline, or to the end if the instance closes first,
/// giving up with `ErrorKind::TimedOut` once `within` has passed. A pipe opened as a file
/// has no read timeout, so a thread reads while this one waits.
#[cfg(windows)]
pub fn read_line(channel: Channel, within: Duration) -> io::Result<Vec<u8>> {
    let (sender, answer) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = Vec::new();
        let read = io::BufRead::read_until(&mut io::BufReader::new(channel), b'\n', &mut line);
        let _ = sender.send(read.map(|_| line));
    });
    match answer.recv_timeout(within) {
        Ok(read) => read,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(io::ErrorKind::TimedOut.into()),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            Err(io::Error::other("the thread reading the answer stopped"))
        }
    }
}
