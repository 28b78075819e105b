#!/usr/bin/env bash
# The Windows build under Wine: the real promptdeck.exe, cross-built for
# x86_64-pc-windows-gnu, run headless under Debian's wine64 with its CLI as people use it:
# add, list, import, export, status, a second instance, kill -9 and restart with nothing
# lost, sync with a promptdeck-server on loopback between two profiles, and quit; then the
# app with its windows on Xvfb (Wine's X11 driver): the palette opened through the CLI,
# its first row's text on screen, Escape, opened again as the same kept window,
# Ctrl+Enter leaving the prompt on the clipboard, the hotkey and Enter pasting into
# Notepad, the tray icon, the app mode followed, and a capture told by the tray icon's
# balloon (the shell's answer to it is checked; Wine's balloon is not looked at).
# Usage: tests/wine/windows.sh [promptdeck.exe] [promptdeck-server]
#
# Stand-ins, said plainly: Wine 8.0 lacks bcryptprimitives.dll, which Rust's standard
# library needs on Windows 10+; tests/wine/bcryptprimitives.c stands in for it (see there).
# Wine does not enforce a named pipe's first-instance flag or its DACL between users (it
# runs everything as one user), so those are left to real Windows; the DACL is built and
# the pipe made with it here all the same. A fresh Wine prefix has no fonts where Windows
# keeps its own, so DejaVu Sans is copied there to stand in for them.
#
# Every wait is for a condition, bounded in time; none is a fixed sleep.
set -euo pipefail

EXE=$(realpath "${1:-target/x86_64-pc-windows-gnu/debug/promptdeck.exe}")
SERVER=$(realpath "${2:-target/debug/promptdeck-server}")
WINE=${WINE:-$(command -v wine64 || echo /usr/lib/wine/wine64)}
here=$(dirname "$(realpath "$0")")
ARTIFACTS=$(realpath -m "${WINE_ARTIFACTS:-target/wine}")
mkdir -p "$ARTIFACTS"
work=$(mktemp -d)
one=$work/one
two=$work/two
# A prefix of its own; no Mono or Gecko installers, no debug chatter.
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="

SUITE=wine
source "$here/../lib.sh"
on_exit() {
  "${WINE%64}server" -k 2>/dev/null || wineserver -k 2>/dev/null || true
  pkill -f "xclip -selection clipboard" 2>/dev/null || true
  [[ -n "${xvfb:-}" ]] && kill "$xvfb" 2>/dev/null
}
on_fail() {
  for profile in "$one" "$two"; do
    [[ -f "$profile.log" ]] || continue
    echo "-- $profile: status, and its log's end"
    pd "$profile" status || true
    tail -n 15 "$profile.log"
  done
}

bin=$work/bin
mkdir -p "$bin"
cp "$EXE" "$bin/promptdeck.exe"
cp "$(dirname "$EXE")/promptdeck-app.exe" "$bin/promptdeck-app.exe"
x86_64-w64-mingw32-gcc -shared -O2 -o "$bin/bcryptprimitives.dll" \
  "$here/bcryptprimitives.c" "$here/bcryptprimitives.def" -ladvapi32

# One X display for every Wine process: the prefix's desktop is made on the first start.
Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp 5>"$work/display" 2>/dev/null &
xvfb=$!
wait_for 20 "Xvfb to start" test -s "$work/display"
export DISPLAY=":$(cat "$work/display")"

# A Unix path as Wine's Z: drive sees it.
winpath() { printf 'Z:%s' "${1//\//\\}"; }
# pd PROFILE ARGS...: the Windows CLI on that profile.
pd() { local profile=$1; shift; "$WINE" "$bin/promptdeck.exe" --data-dir "$(winpath "$profile")" "$@"; }
count() { pd "$1" list --json | python3 -c "import json,sys; print(len(json.load(sys.stdin)))"; }
count_is() { [[ "$(count "$1")" == "$2" ]]; }
titles() { pd "$1" list --json | python3 -c "import json,sys; print('|'.join(sorted(p['title'] for p in json.load(sys.stdin))))"; }
# synced PROFILE: a sync round succeeded and nothing made here waits for the server.
synced() {
  [[ "$(pd "$1" status --json | python3 -c "import json,sys; s=json.load(sys.stdin)['status']; print(s['pending'] == 0 and s['lastSyncedAt'] is not None)")" == True ]]
}
# start PROFILE: a headless instance, answering on its pipe.
start() {
  # Not through `pd`, and the app itself, not the command line that would wait for it: $!
  # must be the Windows process that holds the profile.
  "$WINE" "$bin/promptdeck-app.exe" --data-dir "$(winpath "$1")" --headless >>"$1.log" 2>&1 &
  app=$!
  pids+=("$app")
  wait_for 60 "the instance on $1 to answer" pd "$1" status
}
gone() { ! kill -0 "$1" 2>/dev/null; }

step "the Windows build starts under Wine (the prefix is made on first use)"
version=$("$WINE" "$bin/promptdeck.exe" --version)
[[ "$version" == promptdeck* ]] || fail "--version said: $version"

mkdir -p "$WINEPREFIX/drive_c/windows/Fonts"
cp /usr/share/fonts/truetype/dejavu/DejaVuSans*.ttf "$WINEPREFIX/drive_c/windows/Fonts/"

step "with nothing running, a command says so and fails"
if out=$(pd "$one" list 2>&1); then fail "list succeeded with nothing running: $out"; fi
[[ "$out" == *"not running"* ]] || fail "the error was: $out"

step "a headless instance answers on a named pipe named in the profile"
start "$one"
first=$app
name=$(cat "$one/run/control.pipe")
[[ "$name" =~ ^\\\\\.\\pipe\\promptdeck-[0-9A-Z]{26}$ ]] || fail "the pipe file says: $name"

step "add and list, with a title that is not ASCII"
pd "$one" add --title "Résumé review ✓" --body "Review {{name}}'s résumé" >/dev/null
pd "$one" add --title "Standup" --body "Yesterday, today, blockers" --tag work >/dev/null
[[ "$(titles "$one")" == "Résumé review ✓|Standup" ]] || fail "listed: $(titles "$one")"

step "export, then import that file into a second profile"
pd "$one" export --format json --out "$(winpath "$work/export.json")" >/dev/null
python3 -c "import json; d=json.load(open('$work/export.json')); assert len(d['prompts'])==2, d" ||
  fail "the export holds: $(head -c 300 "$work/export.json")"

step "a hostile import file is refused with a reason, and nothing is lost"
printf '{"prompts": [{"title": 5}' >"$work/broken.json"
if out=$(pd "$one" import "$(winpath "$work/broken.json")" 2>&1); then fail "a broken file imported: $out"; fi
[[ -n "$out" ]] || fail "no reason given"
count_is "$one" 2 || fail "after the refused import: $(count "$one") prompts"

step "a pipe file that names another machine's pipe is refused, not followed"
cp "$one/run/control.pipe" "$work/pipe.kept"
printf '\\\\evil.example\\pipe\\promptdeck-01M8XKZM65E7ENB2ZZ7JX9VATM' >"$one/run/control.pipe"
if out=$(pd "$one" status 2>&1); then fail "a remote pipe name was used: $out"; fi
[[ "$out" == *"does not name a local Promptdeck pipe"* ]] || fail "the error was: $out"
cp "$work/pipe.kept" "$one/run/control.pipe"

step "a second instance on the same profile hands over to the first and exits"
out=$(pd "$one" --headless 2>&1) || fail "the second instance failed: $out"
[[ "$out" == *"already running"* ]] || fail "the second instance said: $out"
kill -0 "$first" || fail "the first instance stopped"

step "killed (-9) and started again: nothing lost"
kill -9 "$first"
wait "$first" 2>/dev/null || true
start "$one"
first=$app
[[ "$(titles "$one")" == "Résumé review ✓|Standup" ]] || fail "after the restart: $(titles "$one")"

step "sync through a promptdeck-server on loopback, from one profile to another"
PROMPTDECK_TOKENS="wine-token=alice" "$SERVER" --listen 127.0.0.1:0 \
  --database "sqlite://$work/server.db" >"$work/server.log" 2>&1 &
pids+=("$!")
wait_for 30 "the server to listen" grep -q "listening" "$work/server.log"
url=$(sed -n 's/.*listening.*url[^=]*=[^h]*\(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$work/server.log" | head -1)
[[ -n "$url" ]] || fail "no address in: $(cat "$work/server.log")"
for profile in "$one" "$two"; do
  mkdir -p "$profile"
  printf '[sync]\nserver = "%s"\ntoken = "wine-token"\n' "$url" >"$profile/settings.toml"
done
pd "$one" quit >/dev/null
wait_for 30 "the first instance to quit" gone "$first"
start "$one"
first=$app
pd "$one" sync >/dev/null
wait_for 30 "the first profile's changes to be pushed" synced "$one"
start "$two"
pd "$two" sync >/dev/null
wait_for 30 "the second profile to pull both prompts" count_is "$two" 2
pd "$two" add --title "From the second" --body "Hello back" >/dev/null
pd "$two" sync >/dev/null
wait_for 30 "the second profile's prompt to be pushed" synced "$two"
pd "$one" sync >/dev/null
wait_for 30 "the first profile to pull it" count_is "$one" 3

step "install-desktop --autostart writes this user's Run key; without it, removes it"
run_key='HKCU\Software\Microsoft\Windows\CurrentVersion\Run'
out=$("$WINE" "$bin/promptdeck.exe" install-desktop --autostart) || fail "install-desktop --autostart: $out"
[[ "$out" == *'CurrentVersion\Run\Promptdeck'* ]] || fail "it said: $out"
value=$("$WINE" reg query "$run_key" /v Promptdeck 2>&1) || fail "no Run value: $value"
[[ "$value" == *'promptdeck-app.exe"'* ]] || fail "the Run value is: $value"
out=$("$WINE" "$bin/promptdeck.exe" install-desktop) || fail "install-desktop: $out"
[[ "$out" == removed* ]] || fail "it said: $out"
if "$WINE" reg query "$run_key" /v Promptdeck >/dev/null 2>&1; then fail "the Run value is still there"; fi

step "quit: the instance exits and takes its pipe file away"
pd "$one" quit >/dev/null
wait_for 30 "the instance to exit" gone "$first"
[[ ! -e "$one/run/control.pipe" ]] || fail "the pipe file is still there"
if pd "$one" status >/dev/null 2>&1; then fail "status answered after quit"; fi

step "with its windows: the tray icon is there; the palette opens through the CLI, its first row drawn"
start_windowed() {
  "$WINE" "$bin/promptdeck-app.exe" --data-dir "$(winpath "$1")" >>"$1.log" 2>&1 &
  app=$!
  pids+=("$app")
  wait_for 60 "the instance on $1 to answer" pd "$1" status
}
ui() { pd "$one" status --json | python3 -c "import json,sys; s=json.load(sys.stdin)['ui']; print($1)"; }
ui_is() { [[ "$(ui "$1")" == "$2" ]]; }
shown() { xdotool search --onlyvisible --name '^Promptdeck palette$' 2>/dev/null | head -1; }
palette_shown() { [[ -n "$(shown)" ]]; }
palette_hidden() { [[ -z "$(shown)" ]]; }
# text_pixels: light pixels in the palette's first row, where its title and body are
# written (the selected row's background is a mid blue, well below the threshold).
text_pixels() {
  local window geometry
  window=$(shown)
  geometry=$(xdotool getwindowgeometry "$window" | sed -n 's/.*Position: \([0-9]*\),\([0-9]*\).*/\1 \2/p')
  read -r x y <<<"$geometry"
  import -window root "$ARTIFACTS/palette.png"
  convert "$ARTIFACTS/palette.png" -crop "500x44+$((x + 14))+$((y + 64))" -colorspace Gray \
    -threshold 70% -format "%[fx:round(mean*w*h)]" info:
}
# search_for WORD: types WORD into the shown palette until it lists one row. Wine can drop
# keys typed in the moment it hands a just-shown window the keyboard (seen once in CI, on a
# loaded machine); so the search is selected and typed again, at most three times.
search_for() {
  local try
  for try in 1 2 3; do
    xdotool windowfocus --sync "$(shown)" key ctrl+a type --delay 20 "$1"
    local deadline=$((SECONDS + 5))
    until ui_is "s['paletteRows']" 1; do
      (( SECONDS < deadline )) || break
      sleep 0.05
    done
    ui_is "s['paletteRows']" 1 && return 0
    echo "typed \"$1\" (try $try), the palette lists $(ui "s['paletteRows']") rows" >&2
  done
  fail "the search \"$1\" never narrowed the palette to one row"
}
start_windowed "$one"
first=$app
# Shell_NotifyIcon took the icon (Wine's own notification area holds it).
wait_for 10 "the tray icon" ui_is "s['tray']" True
pd "$one" palette >/dev/null
wait_for 30 "the palette to show" palette_shown
wait_for 10 "the palette to list the three prompts" ui_is "s['paletteRows']" 3
palette_window=$(shown)
drawn=$(text_pixels)
(( drawn > 100 )) || fail "the first row shows $drawn text pixels (see $ARTIFACTS/palette.png)"

step "Escape hides the palette; the next opening shows the same window again"
xdotool windowfocus --sync "$palette_window" key Escape
wait_for 10 "Escape to close the palette" ui_is "s['windows']" "[]"
wait_for 10 "the palette to be hidden" palette_hidden
pd "$one" palette >/dev/null
wait_for 30 "the palette to show again" palette_shown
[[ "$(shown)" == "$palette_window" ]] || fail "a new window $(shown), not the kept $palette_window"

step "typed into, the palette narrows; Ctrl+Enter leaves the prompt on the clipboard"
clipboard_is() { [[ "$(xclip -o -selection clipboard 2>/dev/null)" == "$1" ]]; }
search_for standup
xdotool windowfocus --sync "$palette_window" key ctrl+Return
wait_for 20 "the prompt on the clipboard" clipboard_is "Yesterday, today, blockers"
wait_for 10 "the palette to close after copying" palette_hidden

# Wine hears a registered hotkey only while one of its own windows has the keyboard (it
# grabs nothing on the X server), so the key goes to the library window here: the path from
# RegisterHotKey to WM_HOTKEY to the palette is the app's; that it is global is Windows'.
step "the global hotkey (RegisterHotKey, WM_HOTKEY) opens the palette"
ui_is "s['hotkeyProblems']" "[]" || fail "hotkey problems: $(ui "s['hotkeyProblems']")"
pd "$one" library >/dev/null
wait_for 30 "the library window to show" xdotool search --onlyvisible --name '^Promptdeck$'
library=$(xdotool search --onlyvisible --name '^Promptdeck$' | head -1)
xdotool windowfocus --sync "$library" key ctrl+shift+space
wait_for 20 "the hotkey to open the palette" palette_shown
xdotool windowfocus --sync "$(shown)" key Escape
wait_for 10 "the palette to close" palette_hidden

step "Enter pastes into the window that had focus (Wine's Notepad); once it read the prompt, the clipboard comes back"
printf 'kept before' | xclip -selection clipboard
wait_for 10 "the clipboard to hold the text before" clipboard_is "kept before"
"$WINE" notepad >/dev/null 2>&1 &
pids+=("$!")
wait_for 30 "Notepad to show" xdotool search --onlyvisible --name 'Notepad'
notepad=$(xdotool search --onlyvisible --name 'Notepad' | head -1)
xdotool windowfocus --sync "$notepad" key ctrl+shift+space
wait_for 20 "the hotkey to open the palette over Notepad" palette_shown
search_for standup
xdotool key Return
# Nothing here reads the clipboard until the app says the paste is over. Each read through
# Wine's X11 bridge holds the clipboard open and leaves the prompt placed until the app
# offers it again, so Notepad's read meanwhile passes unseen, and a Notepad asking while
# the clipboard is held pastes nothing. Polled every 50 ms from the Enter on, CI once saw
# Notepad stay empty, and the restored clipboard could be seen before the prompt was offered.
wait_for 20 "the paste to end" grep -Eq " pasted paste=| insertion did not paste" "$one.log"
wait_for 20 "the previous clipboard to come back" clipboard_is "kept before"
notice=$(ui "s['paletteNotice']")
[[ "$notice" == None ]] || fail "the palette said: $notice"
# Notepad's text, read through its own select-all and copy, sent again until the copy lands
# (Wine hands the clipboard to X a moment after Ctrl+C). An empty Notepad copies nothing,
# so a failure's clipboard is then still the one restored.
deadline=$((SECONDS + 10))
until xdotool windowfocus --sync "$notepad" key ctrl+a ctrl+c &&
  clipboard_is "Yesterday, today, blockers"; do
  ((SECONDS < deadline)) ||
    fail "Notepad does not hold the pasted prompt; after its select-all and copy the clipboard holds: '$(xclip -o -selection clipboard 2>/dev/null)'"
  sleep 0.2
done
# The previous clipboard came back once Notepad's read of the prompt was seen, not after a
# guessed time or at the end of the wait: with nothing else reading, the reader is Notepad.
grep -q "pasted paste=CtrlV taken=ByTarget" "$one.log" ||
  fail "Notepad's read of the prompt was not seen: $(grep -h ' pasted ' "$one.log")"

step "the app mode switched in Windows' settings (its registry value) is followed at once"
personalize='HKCU\Software\Microsoft\Windows\CurrentVersion\Themes\Personalize'
app_mode() { "$WINE" reg add "$personalize" /v AppsUseLightTheme /t REG_DWORD /d "$1" /f >/dev/null 2>&1; }
ui_is "s['theme']" dark || fail "the theme before any app mode is $(ui "s['theme']")"
app_mode 1
wait_for 10 "the light theme" ui_is "s['theme']" light
app_mode 0
wait_for 10 "the dark theme again" ui_is "s['theme']" dark

step "capture saves the clipboard, and a balloon from the tray icon says so"
printf 'Balloon check prompt' | xclip -selection clipboard
wait_for 10 "the clipboard to hold what is captured" clipboard_is "Balloon check prompt"
pd "$one" capture >/dev/null || fail "capture failed"
pd "$one" list | has "Balloon check prompt" || fail "the capture is not in the library"
wait_for 20 "the balloon shown from the tray icon" grep -q "the shell showed the notification" "$one.log"
pd "$one" quit >/dev/null
wait_for 30 "the instance to exit" gone "$first"

passed
