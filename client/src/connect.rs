//! Reaching the running instance's control channel: a Unix socket, or on Windows a named
//! pipe whose name the instance keeps in a file (the app's `os` listens on both).

use std::path::Path;

#[cfg(unix)]
pub async fn connect(path: &Path) -> std::io::Result<tokio::net::UnixStream> {
    tokio::net::UnixStream::connect(path).await
}

/// Every pipe of ours is named so; a name file that says otherwise (another machine's pipe,
/// `\\host\pipe\...`, would send the user's credentials there) is refused.
#[cfg(windows)]
pub const PIPE_PREFIX: &str = r"\\.\pipe\promptdeck-";

#[cfg(windows)]
pub async fn connect(
    path: &Path,
) -> std::io::Result<tokio::net::windows::named_pipe::NamedPipeClient> {
    use std::time::Duration;

    use tokio::net::windows::named_pipe::ClientOptions;

    /// How long a client waits for a free instance of a busy pipe, in all.
    const BUSY_WAIT: Duration = Duration::from_secs(2);
    const ERROR_PIPE_BUSY: i32 = windows_sys::Win32::Foundation::ERROR_PIPE_BUSY as i32;

    let name = std::fs::read_to_string(path)?;
    let name = name.trim();
    let ours = name.strip_prefix(PIPE_PREFIX).is_some_and(|id| ulid::Ulid::from_string(id).is_ok());
    if !ours {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{} does not name a local Promptdeck pipe", path.display()),
        ));
    }
    let deadline = tokio::time::Instant::now() + BUSY_WAIT;
    loop {
        match ClientOptions::new().open(name) {
            Err(e)
                if e.raw_os_error() == Some(ERROR_PIPE_BUSY)
                    && tokio::time::Instant::now() < deadline =>
            {
                // Every instance is taken until the server makes the next one: moments.
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            opened => return opened,
        }
    }
}
