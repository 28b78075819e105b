#!/usr/bin/env bash
# The slow proofs, with a budget: crash torture, chaos network, fuzzing, and the sign-in
# soak, each longer than in the everyday `cargo test`.
#   scripts/proof.sh short   # what CI runs (a few minutes)
#   scripts/proof.sh long    # by hand: 500 crash cycles, 10 minutes of chaos, 30 of soak
# Every suite runs with `--workspace`, as `cargo test` did before it, so little is rebuilt
# (the zbus crates, whose features differ when only one test target is built).
# Run after scripts/test.sh has installed what the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-short}" in
  # The everyday run already soaks token refresh for two minutes; short adds no more.
  short) cycles=40 chaos=60 soak=0 day=120 cases=5000 store_cases=300 ;;
  long) cycles=500 chaos=600 soak=1800 day=1800 cases=200000 store_cases=5000 ;;
  *) echo "usage: scripts/proof.sh [short|long]" >&2; exit 2 ;;
esac
echo "== proof budget ${1:-short}: $cycles crash cycles, ${chaos}s chaos, ${soak}s token soak, ${day}s compressed day, $cases fuzz cases"

PROMPTDECK_TORTURE_CYCLES=$cycles cargo test --workspace --test torture
PROMPTDECK_CHAOS_SECS=$chaos cargo test --workspace --test chaos
PROMPTDECK_SOAK_SECS=$day cargo test --workspace --test soak
if ((soak > 0)); then
  PROMPTDECK_AUTH_SOAK_SECS=$soak cargo test --workspace --test auth tokens_expiring
fi
# The wire parsers and the store on random input (the store's cases open real files).
PROPTEST_CASES=$cases PROMPTDECK_STORE_FUZZ_CASES=$store_cases cargo test --workspace --test fuzz
PROPTEST_CASES=$cases cargo test --workspace --test cli any_bytes
echo "proof: all passed"
