# Shared by the end-to-end scripts (tests/e2e/xvfb.sh, tests/wine/windows.sh,
# tests/wayland/sway.sh): numbered steps, a failure that names its step and shows the
# suite's state, waits for conditions, and the closing line CI reads.
#
# The sourcing script sets SUITE (the closing line's name) and may define `on_fail`, which
# prints what helps read a failure (the app's status, its log). It calls `passed` last.

steps=0
summary=""

step() { steps=$((steps + 1)); printf '\n== %s\n' "$*"; }

fail() {
  echo "FAIL: $*" >&2
  if declare -F on_fail >/dev/null; then on_fail >&2 || true; fi
  summary="$SUITE: $((steps - 1)) passed, 1 failed"
  exit 1
}

passed() { summary="$SUITE: $steps passed, 0 failed"; }

# wait_for SECONDS DESCRIPTION COMMAND...: runs COMMAND until it succeeds. Conditions that
# read state go in functions, so they are read again on every try. Bounded; never a fixed
# sleep standing in for an event.
wait_for() {
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < deadline )) || fail "timed out after ${limit}s waiting for: $what"
    sleep 0.05
  done
}
