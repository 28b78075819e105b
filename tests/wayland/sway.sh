#!/usr/bin/env bash
# Under a real Wayland compositor: Debian's sway 1.7 on wlroots' headless backend (pixman
# renderer, no input devices), the real binary, Debian's foot terminal to paste into, and
# wl-clipboard to set and read the clipboard as another client would. Checks that the app
# finds the compositor's protocols, writes sway's bindings of its hotkeys
# (install-desktop --bind) and opens the palette from one, and from the CLI, pastes into foot through the virtual keyboard with the shortcut foot wants, puts
# back what the clipboard held (an image, in its own type; text) once foot has read the
# prompt, leaves the prompt on the clipboard where the paste keys do nothing, closes on
# Escape, captures the primary selection with no window open, and does not read a 40 MB
# clipboard whole.
# Usage: tests/wayland/sway.sh [path/to/promptdeck]
#
# sway refuses to run as root: as root, the compositor and every client run as an
# unprivileged user made for the purpose (promptdeck-sway), in a work folder of theirs.
# Keys the test types go through wtype, itself a virtual keyboard. Every wait is for a
# condition, bounded in time; none is a fixed sleep.
set -euo pipefail

BIN=$(realpath "${1:-target/debug/promptdeck}")
here=$(dirname "$(realpath "$0")")
ARTIFACTS=$(realpath -m "${WAYLAND_ARTIFACTS:-target/wayland}")
mkdir -p "$ARTIFACTS"
work=$(mktemp -d)
chmod 755 "$work"

SUITE=wayland
source "$here/../lib.sh"
on_exit() {
  # runuser's children (sway, foot, wl-copy serving the clipboard) outlive it: the user made
  # for this test runs nothing else.
  [[ ${user:-} == promptdeck-sway ]] && pkill -9 -u "$user" 2>/dev/null
  cp "$work"/home/*.png "$ARTIFACTS"/ 2>/dev/null
}
on_fail() {
  pd status --json || true
  echo "-- the app's log"
  tail -n 20 "$work/app.log" 2>/dev/null || true
  as_user grim "$work/home/failed.png" 2>/dev/null || true
}

mkdir -p "$work/bin" "$work/run" "$work/home"
cp "$BIN" "$work/bin/promptdeck"
cp "$(dirname "$BIN")/promptdeck-app" "$work/bin/promptdeck-app"
user=$(id -un)
if [[ $(id -u) -eq 0 ]]; then
  user=promptdeck-sway
  id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
  chown "$user" "$work/run" "$work/home"
fi
chmod 700 "$work/run"
# as_user COMMAND...: COMMAND as the compositor's user, in the session's environment only.
as_user() {
  local run=() ipc=()
  [[ $(id -un) == "$user" ]] || run=(runuser -u "$user" --)
  # Only once sway made it: sway itself must not be handed one.
  [[ -n ${SWAYSOCK:-} ]] && ipc=(SWAYSOCK="$SWAYSOCK")
  "${run[@]}" env -i PATH=/usr/bin:/bin HOME="$work/home" XDG_RUNTIME_DIR="$work/run" \
    WAYLAND_DISPLAY=wayland-1 "${ipc[@]}" XDG_CURRENT_DESKTOP=sway \
    PROMPTDECK_DATA_DIR="$work/home/profile" PROMPTDECK_LOG=info \
    PROMPTDECK_TEST_RUN="${PROMPTDECK_TEST_RUN:-}" "$@"
}
pd() { as_user "$work/bin/promptdeck" "$@"; }
status() { pd status --json | python3 -c "import json,sys; s=json.load(sys.stdin); print($1)"; }
status_is() { [[ "$(status "$1")" == "$2" ]]; }
sway_msg() { as_user swaymsg "$@"; }
# focused_is APP_ID: the window with the keyboard, as sway tells it.
focused_is() {
  sway_msg -t get_tree | python3 -c "
import json, sys
def walk(n):
    yield n
    for c in n.get('nodes', []) + n.get('floating_nodes', []):
        yield from walk(c)
print([n.get('app_id') for n in walk(json.load(sys.stdin)) if n.get('focused')])" | has -x "\['$1'\]"
}
clipboard_is() { [[ "$(as_user wl-paste --no-newline 2>/dev/null)" == "$1" ]]; }
# clipboard_is_image FILE: the clipboard offers exactly image/png, and its bytes are FILE's.
clipboard_is_image() {
  [[ "$(as_user wl-paste --list-types 2>/dev/null)" == image/png ]] &&
    as_user wl-paste --type image/png | cmp -s - "$1"
}
holds() { [[ "$(cat "$1" 2>/dev/null)" == "$2" ]]; }
titles() { pd list --json | python3 -c "import json,sys; print('|'.join(p['title'] for p in json.load(sys.stdin)))"; }
has_title() { titles | tr '|' '\n' | has -x "$1"; }
log_has() { grep -q "$1" "$work/app.log"; }
pastes_are() { [[ $(grep -c 'pasted paste=CtrlShiftV' "$work/app.log") == "$1" ]]; }
gone() { ! pd status; }

# foot_reading FILE: a foot terminal whose shell reads one line into FILE.
foot_reading() {
  rm -f "$1"
  as_user foot --app-id foot -e sh -c "read -r line && printf %s \"\$line\" > $1" \
    >>"$work/foot.log" 2>&1 &
  pids+=($!)
  wait_for 20 "foot to have the keyboard" focused_is foot
}

step "headless sway, as $user"
# Where sway looks for its configuration, as a user's would be.
sway_config=$work/home/.config/sway/config
as_user mkdir -p "$(dirname "$sway_config")"
printf 'output HEADLESS-1 resolution 1280x800\nxwayland disable\n' | as_user tee "$sway_config" >/dev/null
as_user env WLR_BACKENDS=headless WLR_RENDERER=pixman WLR_LIBINPUT_NO_DEVICES=1 \
  sway >"$work/sway.log" 2>&1 &
pids+=($!)
wait_for 20 "sway's Wayland socket" test -S "$work/run/wayland-1"
wait_for 10 "sway's IPC socket" compgen -G "$work/run/sway-ipc.*.sock"
SWAYSOCK=$(compgen -G "$work/run/sway-ipc.*.sock")

step "the app finds the compositor's protocols: nothing lacking but hotkeys and the tray"
pd >"$work/app.log" 2>&1 &
pids+=($!)
wait_for 60 "the instance to answer" pd status
# The instance answers before its windows first report what they run on.
wait_for 20 "the windows' first report" status_is "s['ui'] is not None" True
status_is "s['ui']['windowSystem']" wayland || fail "not seen as Wayland: $(status "s['ui']")"
status_is "s['ui']['paletteOn']" surface || fail "the palette is not on a layer surface: $(status "s['ui']")"
status_is "s['ui']['hotkeysBy']" none || fail "hotkeys said to work: $(status "s['ui']['hotkeysBy']")"
limits=$(status "s['ui']['desktopLimits']")
[[ "$limits" != *"no paste"* && "$limits" != *"clipboard"* ]] || fail "a protocol was missed: $limits"
[[ "$limits" == *"no global hotkeys"*"install-desktop --bind"* ]] || fail "hotkeys not said to be missing, with the way to bind them: $limits"
pd add --title "Bravo review" --body "BRAVO-BODY-42" >/dev/null
pd add --title "Charlie reply" --body "Charlie, see above" >/dev/null

step "install-desktop --bind writes sway's bindings, says the line sway's config lacks, reloads it"
bind() { pd --palette-hotkey ctrl+alt+o --capture-hotkey ctrl+alt+k install-desktop --bind; }
said=$(bind)
echo "$said"
ours=$work/home/.config/sway/config.d/promptdeck.conf
grep -qx "bindsym Ctrl+Mod1+o exec $work/bin/promptdeck palette" "$ours" || fail "no palette binding: $(cat "$ours")"
grep -qx "bindsym Ctrl+Mod1+k exec $work/bin/promptdeck capture" "$ours" || fail "no capture binding"
include=$(grep -A1 "does not read it yet" <<<"$said" | tail -1 | sed 's/^ *//')
[[ $include == "include $ours" ]] || fail "the missing include was not said: $said"
echo "$include" | as_user tee -a "$sway_config" >/dev/null
said=$(bind)
[[ $said != *"does not read it yet"* && $said == *"sway read its configuration again"* ]] ||
  fail "sway's config reads the file now, and was reloaded: $said"

step "the bound hotkey opens the palette; Enter pastes into foot with Ctrl+Shift+V"
foot_reading "$work/home/pasted-1"
# What the clipboard held: an image, offered in its own type only.
convert -size 4x3 xc:'#ff8800' "$work/held.png"
as_user wl-copy --type image/png <"$work/held.png"
as_user wtype -M ctrl -M alt o -m alt -m ctrl
wait_for 20 "the palette" status_is "s['ui']['windows']" "['library', 'palette']"
wait_for 10 "the palette to have the keyboard" status_is "s['ui']['paletteKeyboard']" True
as_user wtype bravo
wait_for 10 "the search to narrow" status_is "s['ui']['paletteRows']" 1
status_is "s['ui']['paletteQuery']" bravo || fail "the search holds $(status "s['ui']['paletteQuery']")"
as_user wtype -k Return
wait_for 20 "the insertion" pastes_are 1
log_has "pasted paste=CtrlShiftV taken=ByTarget" || fail "foot's read of the prompt was not seen"
wait_for 10 "the image back on the clipboard, in its own type" clipboard_is_image "$work/held.png"
as_user wtype -k Return
wait_for 10 "foot to hold the prompt" holds "$work/home/pasted-1" "BRAVO-BODY-42"

step "the CLI opens the palette; Escape closes it; text on the clipboard comes back"
foot_reading "$work/home/pasted-2"
as_user wl-copy "held before"
pd palette >/dev/null
wait_for 20 "the palette" status_is "s['ui']['windows']" "['library', 'palette']"
wait_for 10 "the palette to have the keyboard" status_is "s['ui']['paletteKeyboard']" True
as_user wtype -k Escape
wait_for 10 "the palette to close" status_is "s['ui']['windows']" "['library']"
wait_for 10 "the keyboard back from the palette" status_is "s['ui']['paletteKeyboard']" False
pd palette >/dev/null
wait_for 20 "the palette again" status_is "s['ui']['paletteRows']" 2
wait_for 10 "the palette to have the keyboard" status_is "s['ui']['paletteKeyboard']" True
as_user wtype charlie
wait_for 10 "the search to narrow" status_is "s['ui']['paletteRows']" 1
status_is "s['ui']['paletteQuery']" charlie || fail "the search holds $(status "s['ui']['paletteQuery']")"
as_user wtype -k Return
wait_for 20 "the second insertion" pastes_are 2
wait_for 10 "the text back on the clipboard" clipboard_is "held before"
as_user wtype -k Return
wait_for 10 "foot to hold the prompt" holds "$work/home/pasted-2" "Charlie, see above"

step "Ctrl+V pastes the clipboard into the palette's search box; Ctrl+C copies; dead keys compose"
as_user wl-copy "charl"
pd palette >/dev/null
wait_for 20 "the palette" status_is "s['ui']['paletteRows']" 2
wait_for 10 "the palette to have the keyboard" status_is "s['ui']['paletteKeyboard']" True
as_user wtype -M ctrl v -m ctrl
as_user wtype ie
wait_for 10 "the paste, then the keys typed after it" status_is "s['ui']['paletteQuery']" charlie
wait_for 10 "the search to narrow" status_is "s['ui']['paletteRows']" 1
as_user wtype -M ctrl a c -m ctrl
wait_for 10 "the search box's text on the clipboard" clipboard_is charlie
# A dead key, then a letter: the locale's compose table makes them one (over the selection).
as_user wtype -k dead_acute e
wait_for 10 "the dead key composed" status_is "s['ui']['paletteQuery']" "é"
as_user wtype -k Escape
wait_for 10 "the palette to close" status_is "s['ui']['windows']" "['library']"

step "a 40 MB clipboard is not read whole, and the prompt still goes in"
foot_reading "$work/home/pasted-3"
head -c 40000000 /dev/zero | as_user wl-copy --type application/octet-stream
pd palette >/dev/null
wait_for 20 "the palette" status_is "s['ui']['paletteRows']" 2
wait_for 10 "the palette to have the keyboard" status_is "s['ui']['paletteKeyboard']" True
as_user wtype bravo
wait_for 10 "the search to narrow" status_is "s['ui']['paletteRows']" 1
status_is "s['ui']['paletteQuery']" bravo || fail "the search holds $(status "s['ui']['paletteQuery']")"
as_user wtype -k Return
wait_for 20 "the third insertion" pastes_are 3
log_has "a clipboard type was not kept.*larger than" || fail "the 40 MB type was not refused"
as_user wtype -k Return
wait_for 10 "foot to hold the prompt" holds "$work/home/pasted-3" "BRAVO-BODY-42"

step "a window the paste keys do nothing in: the prompt stays on the clipboard, said"
# foot without its paste binding: Ctrl+Shift+V reaches the shell, and nothing reads.
printf '[key-bindings]\nclipboard-paste=none\n' | as_user tee "$work/home/deaf-foot.ini" >/dev/null
rm -f "$work/home/pasted-4"
as_user foot --config "$work/home/deaf-foot.ini" --app-id foot \
  -e sh -c "read -r line && printf %s \"\$line\" > $work/home/pasted-4" >>"$work/foot.log" 2>&1 &
pids+=($!)
wait_for 20 "foot to have the keyboard" focused_is foot
as_user wl-copy "held before the unread paste"
pd palette >/dev/null
wait_for 20 "the palette" status_is "s['ui']['paletteRows']" 2
wait_for 10 "the palette to have the keyboard" status_is "s['ui']['paletteKeyboard']" True
as_user wtype charlie
wait_for 10 "the search to narrow" status_is "s['ui']['paletteRows']" 1
as_user wtype -k Return
wait_for 20 "the insertion to end unread" log_has "the window never read the pasted prompt"
# Said where the palette was, once the worker's answer reaches the window side: a moment
# after the worker's own line (in CI once, not yet when looked for at once).
wait_for 10 "the app to say the prompt was left unpasted" \
  log_has "insertion did not paste.*did not take the paste"
clipboard_is "Charlie, see above" || fail "the prompt was not left on the clipboard: $(as_user wl-paste)"

step "{{cursor}}: after the paste the caret walks back to it"
pd add --title "Delta caret" --body "before{{cursor}}after" >/dev/null
# bash's read with readline: the arrow keys move its caret, as in a shell's prompt.
rm -f "$work/home/pasted-5"
as_user foot --app-id foot-edit -e bash -c "read -e -r line && printf %s \"\$line\" > $work/home/pasted-5" \
  >>"$work/foot.log" 2>&1 &
pids+=($!)
wait_for 20 "the second foot to have the keyboard" focused_is foot-edit
pd palette >/dev/null
wait_for 10 "the palette to have the keyboard" status_is "s['ui']['paletteKeyboard']" True
as_user wtype delta
wait_for 10 "the search to narrow" status_is "s['ui']['paletteRows']" 1
as_user wtype -k Return
wait_for 20 "the fourth insertion" pastes_are 4
as_user wtype MID
as_user wtype -k Return
wait_for 10 "foot to hold the prompt, typed into at its caret" holds "$work/home/pasted-5" "beforeMIDafter"

step "capture saves the primary selection with no window open"
sway_msg '[app_id="promptdeck"] kill' >/dev/null
wait_for 10 "the library window to close" status_is "s['ui']['windows']" "[]"
as_user wl-copy --primary "Selected words worth keeping"
pd capture >/dev/null
wait_for 10 "the captured prompt" has_title "Selected words worth keeping"

step "install-desktop --unbind removes the bindings"
pd install-desktop --unbind | has -x "removed $ours" || fail "not said to be removed"
[[ ! -e $ours ]] || fail "$ours is still there"

step "quit"
pd quit >/dev/null
wait_for 20 "the instance to exit" gone
passed
