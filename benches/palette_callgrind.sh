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

mkfifo "$work/displayfd"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$work/displayfd" 2>/dev/null &
pids+=($!)
read -r display <"$work/displayfd"
export DISPLAY=":$display" PROMPTDECK_DATA_DIR=$work/profile PROMPTDECK_LOG=warn

wait_for() { # SECONDS COMMAND...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { echo "timed out: $*" >&2; exit 1; }
    sleep 0.1
  done
}
palette_open() { xdotool search --onlyvisible --name '^Promptdeck palette$'; }
palette_closed() { ! palette_open; }

# Thirty prompts of the same shape, so every run draws the same rows.
"$BIN" --headless &
wait_for 30 "$BIN" status
for i in $(seq 30); do
  "$BIN" add --title "Prompt number $i about summaries" --tag work --tag notes --body \
    "Summarise the following meeting notes into five bullet points, each one line, with owners and dates where they were said; then list open questions $i." >/dev/null
done
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
