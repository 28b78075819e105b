#!/usr/bin/env bash
# Everything CI checks, in the order a failure is cheapest to find: formatting, lints, unit
# and integration tests, the end-to-end run under Xvfb, then the slow proofs (crash torture,
# chaos network, fuzzing) on a short budget. Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
source scripts/ensure-rust.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings
echo "== npm ci (the official Replicache client, and an OpenID provider, for the tests)"
npm ci --prefix tests/interop --no-audit --no-fund --loglevel=error
npm ci --prefix tests/oauth --no-audit --no-fund --loglevel=error
echo "== cargo test (server checks on SQLite and on a PostgreSQL cluster of their own)"
scripts/with-postgres.sh cargo test 2>&1 | tee target/cargo-test.log
echo "== end to end under Xvfb"
tests/e2e/xvfb.sh target/debug/promptdeck
echo "== proofs under a short budget (scripts/proof.sh long runs them for hours' worth)"
scripts/proof.sh short
