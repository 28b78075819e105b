//! Links the programs' relative relocations packed (DT_RELR) on Linux with glibc.
//!
//! The app is position-independent, so its pointers in read-only data are fixed up at
//! load, one relocation each: some 50,000 of them, 1.2 MB that the loader reads at every
//! start and that then stay resident. Packed, the same fix-ups take 12 KB (benches/memory
//! and the palette bench measure the app's idle RSS). glibc reads them from 2.36 (Debian
//! bookworm); the link records that version, so an older glibc refuses the program by name
//! rather than running it wrong.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if target_os == "linux" && target_env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
