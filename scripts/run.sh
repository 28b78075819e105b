#!/usr/bin/env bash
# Builds and starts Promptdeck, installing what it needs first. Arguments go to promptdeck:
#   scripts/run.sh                      the app, in the tray, with its hotkeys
#   scripts/run.sh --headless           the runtime and control socket only
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
source scripts/ensure-rust.sh
cargo build --release --bin promptdeck --bin promptdeck-app
exec target/release/promptdeck "$@"
