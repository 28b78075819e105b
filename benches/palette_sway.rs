//! Trigger to palette on screen under a real Wayland compositor (Debian's sway on wlroots'
//! headless backend, pixman renderer), measured from outside the process: the time the
//! compositor presented the first frame showing the palette's window, and the first showing
//! its first row's text (frames read back through wlroots' screencopy, stamped by the
//! compositor). Triggered by `promptdeck palette`, the command a sway binding of the hotkey
//! runs (`install-desktop --bind`), at 1k and 10k prompts; beside it in the same run the
//! floor made the same way: a layer surface of its own drawing one line of text in the
//! palette's theme, asked for by a new process, kept between openings and drawn by the same
//! host of surfaces as the palette (`promptdeck::gui::SurfaceHost`), with no runtime, no
//! search and no list.
//! `cargo bench --bench palette_sway` (`PALETTE_BENCH_SIZES=10000` for one size); its record
//! is `target/bench-results/palette_sway.json`.
//!
//! sway refuses to run as root: run as root, the bench runs the compositor and every client
//! as the unprivileged user the Wayland test uses (`promptdeck-sway`, made if missing).

#[cfg(target_os = "linux")]
#[path = "palette/under_sway.rs"]
mod under_sway;

#[cfg(target_os = "linux")]
fn main() {
    under_sway::main();
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("the Wayland palette bench runs under a headless sway, on Linux");
    std::process::exit(2);
}
