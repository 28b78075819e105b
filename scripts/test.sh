#!/usr/bin/env bash
# Everything CI checks, in the order a failure is cheapest to find: formatting, lints, unit
# and integration tests, the end-to-end runs under Xvfb and a headless sway, the Windows
# build under Wine, the macOS build checked, then the slow proofs (crash torture, chaos
# network, fuzzing) on a short budget. Installs what it needs.
#
# Each step has a time limit, so a hang fails that step with its output instead of running
# into CI's own limit, and says how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
source scripts/ensure-rust.sh

# Every process a step starts carries a mark in its environment, services a test's private
# D-Bus starts and an xclip serving a selection among them. Any still running after its step
# is named and stopped: one holding this script's output open would keep whoever reads it
# (CI) waiting for ever.
mark="test-$$-$RANDOM"
stop_stragglers() {
  local after=$1 env pid
  for env in /proc/[0-9]*/environ; do
    pid=${env#/proc/}
    pid=${pid%/environ}
    [[ $pid == "$BASHPID" ]] && continue
    if { tr '\0' '\n' <"$env"; } 2>/dev/null | grep -x "PROMPTDECK_TEST_RUN=$mark" >/dev/null; then
      echo "left running after $after, stopped: $pid $({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null)"
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
}

# step NAME MINUTES COMMAND...: runs COMMAND within MINUTES, then stops what it left behind.
# Its output goes to a file in target/steps/, shown as it grows until COMMAND is done: no
# process left holding that file can hold the step up.
mkdir -p target/steps
step() {
  local name=$1 minutes=$2 started=$SECONDS log="target/steps/${1%%:*}.log" rc=0 worker
  shift 2
  echo "== $name"
  # Made here, not by the worker's redirection: tail must not race the worker to open it.
  : >"$log"
  (
    export PROMPTDECK_TEST_RUN=$mark
    rc=0
    timeout --kill-after=30s "${minutes}m" "$@" || rc=$?
    stop_stragglers "$name"
    ((rc != 124)) || echo "== $name: over its ${minutes} minutes, stopped"
    exit "$rc"
  ) >>"$log" 2>&1 </dev/null &
  worker=$!
  tail -n +1 -f --pid="$worker" "$log" || true
  wait "$worker" || rc=$?
  echo "== $name: $((SECONDS - started)) s, exit $rc"
  return "$rc"
}

step "fmt: cargo fmt --check" 5 cargo fmt --all -- --check
step "clippy: cargo clippy --all-targets -- -D warnings" 30 \
  cargo clippy --all-targets -- -D warnings
step "npm: npm ci (the official Replicache client, and an OpenID provider, for the tests)" 10 \
  bash -c 'npm ci --prefix tests/interop --no-audit --no-fund --loglevel=error &&
           npm ci --prefix tests/oauth --no-audit --no-fund --loglevel=error'
step "cargo-test: cargo test (server checks on SQLite and a PostgreSQL cluster of their own)" 45 \
  scripts/with-postgres.sh cargo test
step "e2e: end to end under Xvfb" 15 tests/e2e/xvfb.sh target/debug/promptdeck
step "wayland: end to end under a headless sway" 10 tests/wayland/sway.sh target/debug/promptdeck
step "windows: the Windows build, cross-built, its unit tests and its CLI under Wine" 25 \
  scripts/test-windows.sh
step "macos: the whole workspace checked for aarch64-apple-darwin (no Mac here to run it)" 15 \
  scripts/check-macos.sh
step "packages: the .debs installed with apt, used and removed; the server's unit; the Windows zip" 15 \
  tests/packages/install.sh
step "benches: every bench at a small size, so none can rot (scripts/figures.sh full makes the figures)" 15 \
  scripts/figures.sh small
step "proof: proofs under a short budget (scripts/proof.sh long runs them for hours' worth)" 25 \
  scripts/proof.sh short
echo "== all passed in $SECONDS s"
