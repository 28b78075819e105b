//! Handing memory the process freed back to the system.

/// Returns the free pages of every allocator arena to the system. glibc keeps what a
/// process freed mapped for its next allocations, and only trims the top of the main arena
/// by itself: after the library is decoded whole and indexed on several threads (each with
/// an arena of its own), an idle app at 10,000 prompts kept about 15 MB it no longer used.
/// Called once the library is loaded, and by the app once its windows have settled after
/// start (fonts loaded, the hidden palette's first frame drawn): it walks every arena, and
/// the pages it hands back are faulted in again by the next allocations. Also called after
/// each large batch of changes, it left an initial sync of 10k prompts slower in the sync
/// bench (421 ms, against 341 ms without; both 2026-12-04, on this machine).
pub fn give_back_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: malloc_trim only reads and unmaps the allocator's own free lists; it takes
    // the arenas' locks as malloc does.
    unsafe {
        libc::malloc_trim(0);
    }
}
