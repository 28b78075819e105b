#!/usr/bin/env bash
# The macOS build, checked here: `cargo check --target aarch64-apple-darwin` for the whole
# workspace, every target (tests, benches), with clippy's lints. Nothing is linked or run:
# there is no Mac here, and Apple's SDK cannot be had on Linux.
#
# Stand-in, said plainly: ring (rustls' cryptography, which every HTTPS request needs) runs
# a build script that compiles C, even for a check. Debian's clang compiles it for
# aarch64-apple-darwin with no C library (ring's RING_CORE_NOSTDLIBINC, the way it builds
# for WebAssembly) against clang's own headers and one header of Apple's SDK that ring
# reads for the OS's flavour, TargetConditionals.h, which this script writes (seven
# defines, macOS on a Mac). The objects are never linked into anything. SQLite, the other C
# dependency, is not compiled for macOS at all: the server links the system's there.
set -euo pipefail
cd "$(dirname "$0")/.."
target=aarch64-apple-darwin
rustup target list --installed | grep -x "$target" >/dev/null || rustup target add "$target"
command -v clang >/dev/null || { echo "clang is missing: scripts/install-deps.sh --test installs it" >&2; exit 1; }

sdk=target/macos-sdk-stand-in
mkdir -p "$sdk"
cat >"$sdk/TargetConditionals.h" <<'HEADER'
/* Stands in for the header of Apple's SDK, for scripts/check-macos.sh only. */
#define TARGET_OS_MAC 1
#define TARGET_OS_OSX 1
#define TARGET_OS_IPHONE 0
#define TARGET_OS_IOS 0
#define TARGET_OS_TV 0
#define TARGET_OS_WATCH 0
#define TARGET_OS_SIMULATOR 0
HEADER

export CC_aarch64_apple_darwin=clang AR_aarch64_apple_darwin=llvm-ar
export CFLAGS_aarch64_apple_darwin="-nostdinc -isystem $(clang -print-resource-dir)/include -isystem $PWD/$sdk -DRING_CORE_NOSTDLIBINC=1"
cargo clippy --keep-going --target "$target" --workspace --all-targets -- -D warnings
