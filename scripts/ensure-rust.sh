#!/usr/bin/env bash
# Makes sure a Rust toolchain new enough for this workspace is on PATH (rustup's, since
# Debian's cargo is too old). Sourced by run.sh and test.sh.
if [[ -f "$HOME/.cargo/env" ]]; then
  # shellcheck disable=SC1091
  source "$HOME/.cargo/env"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "installing the Rust toolchain with rustup (Debian's cargo is too old)" >&2
  command -v curl >/dev/null 2>&1 || { sudo=""; [[ $(id -u) -ne 0 ]] && sudo=sudo; $sudo apt-get update -qq && $sudo apt-get install -y -qq curl ca-certificates >/dev/null; }
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component rustfmt,clippy
  # shellcheck disable=SC1091
  source "$HOME/.cargo/env"
fi
