// Shared by several benches; each uses part of it.
#![allow(dead_code)]

//! The programs a bench runs beside Promptdeck. A bench that lacks one fails and names it:
//! a skipped comparison would leave a figure with nothing beside it, unnoticed.

/// Panics unless `program` is on the PATH, saying how to install it.
pub fn require(program: &str) {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()));
    assert!(
        found,
        "this bench needs `{program}`, which is not on the PATH: scripts/install-deps.sh --test installs it"
    );
}
