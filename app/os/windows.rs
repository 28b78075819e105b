//! Windows: the control channel is a named pipe whose name is random and kept in a file in
//! the user's profile, and whose DACL lets only this user (by SID) open it. Files in the
//! user's AppData inherit its ACL (the user, SYSTEM and administrators); ACLs of a
//! `--data-dir` elsewhere are not inspected or repaired.

use std::fs;
use std::path::{Path, PathBuf};

use promptdeck_client::connect::PIPE_PREFIX;
use tokio::net::windows::named_pipe::NamedPipeServer;

pub struct ControlListener {
    name: String,
    security: security::PipeSecurity,
    next: NamedPipeServer,
}

impl ControlListener {
    /// The next connection; the pipe's DACL has already kept other users out.
    pub async fn accept(&mut self) -> std::io::Result<NamedPipeServer> {
        self.next.connect().await?;
        // A new instance before handing this one over, so the pipe never stops existing
        // (a moment without one would let a client see "not running").
        let fresh = self.security.create(&self.name, false)?;
        Ok(std::mem::replace(&mut self.next, fresh))
    }
}

pub fn listen(path: &Path) -> std::io::Result<ControlListener> {
    let name = format!("{PIPE_PREFIX}{}", ulid::Ulid::new());
    let security = security::PipeSecurity::user_only()?;
    let first = security.create(&name, true)?;
    crate::files::replace(path, name.as_bytes(), None)?;
    Ok(ControlListener { name, security, next: first })
}

pub fn forget(path: &Path) {
    let _ = fs::remove_file(path);
}

pub fn unusable_control_path(_path: &Path) -> Option<String> {
    None
}

pub fn lean_allocator() {}

pub fn private_from_now_on() {}

pub fn make_private(_path: &Path, _depth: usize) -> std::io::Result<Vec<PathBuf>> {
    Ok(Vec::new())
}

pub fn open_to_others(_metadata: &fs::Metadata) -> bool {
    false
}

pub fn refuse_if_not_owned(run: &Path) -> anyhow::Result<()> {
    let metadata = fs::symlink_metadata(run)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", run.display()))?;
    if metadata.file_type().is_symlink() {
        anyhow::bail!("{} is a symbolic link; remove it and start again", run.display());
    }
    Ok(())
}

/// Resolves when the console asks the process to stop: Ctrl+C, Ctrl+Break, its window
/// closed, logoff or shutdown.
pub async fn stop_requested() {
    use tokio::signal::windows::{ctrl_break, ctrl_c, ctrl_close, ctrl_shutdown};
    let (Ok(mut c), Ok(mut brk), Ok(mut close), Ok(mut shutdown)) =
        (ctrl_c(), ctrl_break(), ctrl_close(), ctrl_shutdown())
    else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = c.recv() => {}
        _ = brk.recv() => {}
        _ = close.recv() => {}
        _ = shutdown.recv() => {}
    }
}

/// The one place the Windows build calls the Win32 security API directly: tokio takes a
/// pipe's security attributes only as a raw pointer.
#[allow(unsafe_code)]
mod security {
    use std::ffi::c_void;

    use tokio::net::windows::named_pipe::{NamedPipeServer, ServerOptions};
    use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, HLOCAL, LocalFree};
    use windows_sys::Win32::Security::Authorization::{
        ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW,
        SDDL_REVISION_1,
    };
    use windows_sys::Win32::Security::{
        GetTokenInformation, PSECURITY_DESCRIPTOR, SECURITY_ATTRIBUTES, TOKEN_QUERY, TOKEN_USER,
        TokenUser,
    };
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

    /// A security descriptor whose DACL grants this user, and nobody else, all access.
    pub struct PipeSecurity {
        descriptor: PSECURITY_DESCRIPTOR,
    }

    // SAFETY: the descriptor is written once, by ConvertStringSecurityDescriptor..., and
    // only read after; LocalFree may run on any thread.
    unsafe impl Send for PipeSecurity {}
    unsafe impl Sync for PipeSecurity {}

    impl PipeSecurity {
        pub fn user_only() -> std::io::Result<Self> {
            // Protected (P): nothing inherited; one ACE: this user, generic all.
            Self::from_sddl(&format!("D:P(A;;GA;;;{})", current_user_sid()?))
        }

        pub fn from_sddl(sddl: &str) -> std::io::Result<Self> {
            let wide: Vec<u16> = sddl.encode_utf16().chain([0]).collect();
            let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
            // SAFETY: `wide` is NUL-terminated and outlives the call; `descriptor` is an
            // out pointer the call fills with a LocalAlloc'd descriptor, freed in Drop.
            let converted = unsafe {
                ConvertStringSecurityDescriptorToSecurityDescriptorW(
                    wide.as_ptr(),
                    SDDL_REVISION_1,
                    &mut descriptor,
                    std::ptr::null_mut(),
                )
            };
            if converted == 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(Self { descriptor })
        }

        /// A new instance of the pipe `name`; `first` refuses a name that exists already.
        pub fn create(&self, name: &str, first: bool) -> std::io::Result<NamedPipeServer> {
            let mut attributes = SECURITY_ATTRIBUTES {
                nLength: std::mem::size_of::<SECURITY_ATTRIBUTES>() as u32,
                lpSecurityDescriptor: self.descriptor,
                bInheritHandle: 0,
            };
            let mut options = ServerOptions::new();
            options.first_pipe_instance(first).reject_remote_clients(true);
            // SAFETY: `attributes` is a valid SECURITY_ATTRIBUTES whose descriptor lives as
            // long as `self`; the call copies what it needs before returning.
            unsafe {
                options.create_with_security_attributes_raw(
                    name,
                    (&raw mut attributes).cast::<c_void>(),
                )
            }
        }
    }

    impl Drop for PipeSecurity {
        fn drop(&mut self) {
            // SAFETY: the descriptor came from ConvertStringSecurityDescriptor..., which
            // says to free it with LocalFree, and nothing uses it after this.
            unsafe { LocalFree(self.descriptor as HLOCAL) };
        }
    }

    /// The SID of the user this process runs as, as a string ("S-1-5-21-...").
    pub fn current_user_sid() -> std::io::Result<String> {
        let mut token: HANDLE = std::ptr::null_mut();
        // SAFETY: GetCurrentProcess returns a pseudo-handle; `token` is an out pointer.
        if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
            return Err(std::io::Error::last_os_error());
        }
        let sid = token_user_sid(token);
        // SAFETY: `token` was opened above and is not used after.
        unsafe { CloseHandle(token) };
        sid
    }

    fn token_user_sid(token: HANDLE) -> std::io::Result<String> {
        // TOKEN_USER and the SID it points into; u64s keep the buffer aligned for it.
        let mut buffer = vec![0u64; 64];
        let mut length = 0u32;
        // SAFETY: the buffer is writable for the length given; `length` is an out pointer.
        let got = unsafe {
            GetTokenInformation(
                token,
                TokenUser,
                buffer.as_mut_ptr().cast::<c_void>(),
                (buffer.len() * 8) as u32,
                &mut length,
            )
        };
        if got == 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: on success the buffer starts with a TOKEN_USER, aligned by the u64s.
        let user = unsafe { &*buffer.as_ptr().cast::<TOKEN_USER>() };
        let mut text: *mut u16 = std::ptr::null_mut();
        // SAFETY: the SID points into `buffer`, alive here; `text` is LocalAlloc'd by the
        // call, read and then freed below.
        if unsafe { ConvertSidToStringSidW(user.User.Sid, &mut text) } == 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `text` is a NUL-terminated UTF-16 string from the call above.
        let sid = unsafe {
            let length = (0..).take_while(|&i| *text.add(i) != 0).count();
            String::from_utf16_lossy(std::slice::from_raw_parts(text, length))
        };
        // SAFETY: freed once, as the call's documentation asks.
        unsafe { LocalFree(text as HLOCAL) };
        Ok(sid)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_user_sid_is_a_sid_string() {
            let sid = current_user_sid().expect("a SID");
            assert!(sid.starts_with("S-1-"), "{sid}");
        }

        #[test]
        fn a_malformed_descriptor_is_refused() {
            assert!(PipeSecurity::from_sddl("D:P(nonsense").is_err());
            assert!(PipeSecurity::user_only().is_ok());
        }
    }
}
