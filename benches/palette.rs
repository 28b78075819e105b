//! Trigger to palette on screen, measured from outside the process under Xvfb, with the
//! main window closed: time until the window is mapped, and until its first row's text is
//! drawn (pixels read back from the X server). Triggered by the CLI and by the global
//! hotkey (sent through XTest), at 1k, 10k and 100k prompts; and beside them the floor: a
//! bare iced window drawing one line of text, asked for the same way the CLI asks the app,
//! made new for every opening as the issue defines it, and kept hidden between openings as
//! the palette's window is (that one opened in turn with the app at each size).
//! `cargo bench --bench palette` (`PALETTE_BENCH_SIZES=10000` for one size); its record is
//! `target/bench-results/palette.json`.
//!
//! It draws on an X server and presses keys through XTest: on Linux only.

#[cfg(all(unix, not(target_os = "macos")))]
#[path = "palette/under_xvfb.rs"]
mod under_xvfb;

#[cfg(all(unix, not(target_os = "macos")))]
fn main() {
    under_xvfb::main();
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn main() {
    eprintln!("the palette bench runs under Xvfb, on Linux");
    std::process::exit(2);
}
