#!/usr/bin/env bash
# Counts the instructions the app's UI thread runs while the palette is opened 20 times
# from the CLI and left open about two seconds each (its caret blinking), under callgrind:
# a count, not a time, so two builds compare exactly on a busy machine.
#
#   benches/palette_callgrind.sh [path/to/release/promptdeck-app] [label]
#
# The app's own program, not the command line: `promptdeck` hands over to it by exec, which
# valgrind would not follow. The app answers every command too.
#
# Needs valgrind, Xvfb and xdotool. Prints the total and the renderer's share; the full
# profile is left in target/callgrind/<label>.out for callgrind_annotate.
set -euo pipefail
BIN=$(realpath "${1:-target/release/promptdeck-app}")
label=${2:-palette}
out=target/callgrind
mkdir -p "$out"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=benches/support/palette_xvfb.sh
source "$(dirname "$0")/support/palette_xvfb.sh"
start_xvfb

"$BIN" --headless &
wait_for 30 "$BIN" status
add_prompts
"$BIN" quit
gone() { ! "$BIN" status; }
wait_for 30 gone

valgrind --tool=callgrind --callgrind-out-file="$out/$label.out" \
  --toggle-collect='iced_winit::run_instance*' "$BIN" >"$out/$label.log" 2>&1 &
pids+=($!)
wait_for 600 "$BIN" status
for _ in $(seq 20); do
  "$BIN" palette >/dev/null
  wait_for 60 palette_open
  sleep 2 # open and untouched: what it costs while the caret blinks
  xdotool key Escape
  wait_for 60 palette_closed
done
"$BIN" quit
wait "${pids[-1]}" || true
callgrind_annotate --inclusive=yes "$out/$label.out" 2>/dev/null |
  grep -E 'PROGRAM TOTALS|iced_tiny_skia::Renderer::draw \[|PixmapMut>::fill_path \[|iced_tiny_skia::text::draw \['
