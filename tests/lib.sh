# Shared by the end-to-end scripts (tests/e2e/xvfb.sh, tests/wine/windows.sh,
# tests/wayland/sway.sh): numbered steps, a failure that names its step and shows the
# suite's state, waits for conditions, and the closing line CI reads.
#
# The sourcing script sets SUITE (the closing line's name), `work` (its scratch folder) and
# ARTIFACTS (where logs are kept), adds what it starts in the background to `pids`, and may
# define `on_fail`, which prints what helps read a failure (the app's status, its log), and
# `on_exit`, which stops what else it started and keeps more artifacts. It calls `passed`
# last.

steps=0
summary=""
pids=()

# On exit, however the script ends: what it started is stopped, its logs kept, its scratch
# folder removed, and the closing line printed last, so CI reads it as such.
finish() {
  for pid in "${pids[@]}"; do
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if declare -F on_exit >/dev/null; then on_exit || true; fi
  if [[ -n ${work:-} ]]; then
    cp "$work"/*.log "$ARTIFACTS"/ 2>/dev/null || true
    rm -rf "$work"
  fi
  [[ -n "${summary:-}" ]] && echo "$summary"
}
trap finish EXIT

step() { steps=$((steps + 1)); printf '\n== %s\n' "$*"; }

fail() {
  echo "FAIL: $*" >&2
  if declare -F on_fail >/dev/null; then on_fail >&2 || true; fi
  summary="$SUITE: $((steps - 1)) passed, 1 failed"
  exit 1
}

passed() { summary="$SUITE: $steps passed, 0 failed"; }

# has GREP-ARGS: whether the input holds a match, for the end of a pipeline. It reads all of
# its input: `grep -q` stops at the first match, and a writer still writing then dies of
# SIGPIPE, which fails the whole pipeline under pipefail however the match went.
has() { grep "$@" >/dev/null; }

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
