//! Where an idle Promptdeck's memory goes, at 10k prompts (1k small): the app as people run
//! it (under Xvfb, its windows closed, the palette made and hidden, hotkeys live) and the
//! headless runtime, each started twice on the same library; then the app at 100k (2k
//! small), against the goal that it hold under three times its 10k figure plus its index.
//!
//! The first start reads the kernel's account of every mapping (`/proc/PID/smaps`) once the
//! process is idle, and splits its resident memory into the program's code, shared
//! libraries and fonts, window buffers (shared memory), and anonymous memory (the heap,
//! the allocator's arenas and thread stacks). The second start runs under heaptrack and is
//! killed once idle: the allocations still live then are the heap, grouped by the owner
//! their call stacks name (the search index, redb's page cache, the windows, the log's
//! queue, the rest). Anonymous memory less that live heap is what the allocator keeps and
//! the threads' stacks. `cargo bench --bench memory`; its record is
//! `target/bench-results/memory.json`.
//!
//! It reads `/proc` and runs heaptrack and Xvfb: on Linux only.

#[cfg(target_os = "linux")]
#[path = "memory/on_linux.rs"]
mod on_linux;

#[cfg(target_os = "linux")]
fn main() {
    on_linux::main();
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("the memory bench reads /proc and runs heaptrack: on Linux only");
    std::process::exit(2);
}
