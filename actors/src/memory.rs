//! Handing memory the process freed back to the system.

/// Returns the free pages of every allocator arena to the system. glibc keeps what a
/// process freed mapped for its next allocations, and only trims the top of the main arena
/// by itself: after the library is decoded whole and indexed on several threads (each with
/// an arena of its own), an idle app at 10,000 prompts kept about 15 MB it no longer used.
/// Called after such peaks only: it walks every arena, a few milliseconds' work.
pub(crate) fn give_back_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: malloc_trim only reads and unmaps the allocator's own free lists; it takes
    // the arenas' locks as malloc does.
    unsafe {
        libc::malloc_trim(0);
    }
}
