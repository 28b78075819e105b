#!/usr/bin/env bash
# The slow proofs, with a budget: crash torture, chaos network, fuzzing, and the sign-in
# soak, each longer than in the everyday `cargo test`.
#   scripts/proof.sh short   # what CI runs (a few minutes)
#   scripts/proof.sh long    # by hand: 500 crash cycles, 10 minutes of chaos, 30 of soak
# Run after scripts/test.sh has installed what the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-short}" in
  # The everyday run already soaks token refresh for two minutes; short adds no more.
  short) cycles=40 chaos=60 soak=0 cases=5000 store_cases=300 ;;
  long) cycles=500 chaos=600 soak=1800 cases=200000 store_cases=5000 ;;
  *) echo "usage: scripts/proof.sh [short|long]" >&2; exit 2 ;;
esac
echo "== proof budget ${1:-short}: $cycles crash cycles, ${chaos}s chaos, ${soak}s token soak, $cases fuzz cases"

PROMPTDECK_TORTURE_CYCLES=$cycles cargo test --test torture
PROMPTDECK_CHAOS_SECS=$chaos cargo test -p promptdeck-actors --test chaos
if ((soak > 0)); then
  PROMPTDECK_AUTH_SOAK_SECS=$soak cargo test -p promptdeck-actors --test auth tokens_expiring
fi
PROPTEST_CASES=$cases cargo test -p promptdeck-protocol --test fuzz
PROPTEST_CASES=$cases cargo test --test cli any_bytes
PROPTEST_CASES=$store_cases cargo test -p promptdeck-storage --test fuzz
echo "proof: all passed"
