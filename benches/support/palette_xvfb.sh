# shellcheck shell=bash
# Sourced by the palette's profiling scripts (palette_callgrind.sh, palette_damage.sh) after
# `set -euo pipefail`, with BIN the app's program, `work` a temporary directory and `pids` an
# array of processes the caller's cleanup stops.

# An Xvfb of its own, and the profile in $work.
start_xvfb() {
  mkfifo "$work/displayfd"
  Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$work/displayfd" 2>/dev/null &
  pids+=($!)
  local display
  read -r display <"$work/displayfd"
  export DISPLAY=":$display" PROMPTDECK_DATA_DIR=$work/profile PROMPTDECK_LOG=warn
}

wait_for() { # SECONDS COMMAND...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { echo "timed out: $*" >&2; exit 1; }
    sleep 0.05
  done
}

palette_open() { xdotool search --onlyvisible --name '^Promptdeck palette$'; }
palette_closed() { ! palette_open; }

# Thirty prompts of the same shape, added through the running instance, so every run draws
# the same rows.
add_prompts() {
  local i
  for i in $(seq 30); do
    "$BIN" add --title "Prompt number $i about summaries" --tag work --tag notes --body \
      "Summarise the following meeting notes into five bullet points, each one line, with owners and dates where they were said; then list open questions $i." >/dev/null
  done
}
