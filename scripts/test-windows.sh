#!/usr/bin/env bash
# The Windows build, tested here: cross-builds promptdeck.exe for x86_64-pc-windows-gnu
# (rustup's target, Debian's MinGW-w64), runs the app's unit tests under wine64 (the
# Windows code among them: the pipe's DACL, the user's SID, the pointer's monitor, the app
# mode followed in the registry) and the keyring's in the Credential Manager, then the CLI
# end to end under Wine (tests/wine/windows.sh). Installs the target if it is missing; the
# Debian packages come from scripts/install-deps.sh --test.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-pc-windows-gnu
rustup target list --installed | grep -x "$target" >/dev/null || rustup target add "$target"
cargo build --target "$target" --bin promptdeck --bin promptdeck-app
cargo build -p promptdeck-server --bin promptdeck-server
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=$PWD/tests/wine/run-exe.sh
cargo test --target "$target" -p promptdeck --lib
# The Credential Manager (Wine's) through the runtime's keyring; the runtime's other tests
# are the same code on every system, and run on Linux.
cargo test --target "$target" -p promptdeck-actors --lib auth::keyring
tests/wine/windows.sh "target/$target/debug/promptdeck.exe" target/debug/promptdeck-server
