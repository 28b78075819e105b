#!/usr/bin/env bash
# Runs every bench, then renders docs/figures.md and the README's figures table from the
# records they wrote (target/bench-results/*.json), beside the records of the tests that
# count what the README reports (written by every `cargo test`). Nothing in either is typed
# by hand.
#   scripts/figures.sh          # full size, release build: the published figures (~30 minutes)
#   scripts/figures.sh small    # every bench at a small size in the debug build, in seconds:
#                               # proves they all still run (CI); publishes nothing
# Run after scripts/install-deps.sh --test and npm ci --prefix tests/interop (scripts/test.sh
# does both). A bench that lacks a tool fails and names it.
set -euo pipefail
cd "$(dirname "$0")/.."

benches=(search runtime pull sync server_load palette palette_sway memory history)
# The test records the page needs: `cargo test` writes them.
tests=(server-slow-loris server-flood server-web-page torture chaos soak)

case "${1:-full}" in
  full) scale=full records=target/bench-results profile="" ;;
  small) scale=small records=target/bench-results/small profile="--profile dev" ;;
  *) echo "usage: scripts/figures.sh [full|small]" >&2; exit 2 ;;
esac

# A record left from an earlier run must not stand in for a bench that fails now.
mkdir -p "$records"
for bench in "${benches[@]}"; do rm -f "$records/$bench.json"; done

# One PostgreSQL cluster for the whole run: server_load compares it with SQLite.
# shellcheck disable=SC2016 # expanded by the inner shell
scripts/with-postgres.sh bash -c '
  set -euo pipefail
  scale=$1 profile=$2
  shift 2
  for bench in "$@"; do
    echo "== bench $bench ($scale)"
    # shellcheck disable=SC2086 # $profile is empty or two words
    PROMPTDECK_BENCH_SCALE=$scale cargo bench $profile --bench "$bench"
  done
' figures "$scale" "$profile" "${benches[@]}"

if [[ $scale == small ]]; then
  cargo run --quiet -p promptdeck-figures -- --records "$records" --small \
    --expect "$(IFS=,; echo "${benches[*]}")" --page "$records/figures.md"
  echo "figures: every bench ran at a small size; rendered to $records/figures.md"
else
  cargo run --quiet --release -p promptdeck-figures -- --records "$records" \
    --expect "$(IFS=,; echo "${benches[*]} ${tests[*]}" | tr ' ' ,)" \
    --page docs/figures.md --readme README.md
  echo "figures: docs/figures.md and the README's table rendered from $records"
fi
