#!/usr/bin/env bash
# End to end under Xvfb: the real binary, real windows, the real global hotkey, a real
# xterm to paste into, the real clipboard. Usage: tests/e2e/xvfb.sh [path/to/promptdeck]
#
# Every wait is for a condition (a window, a status field, a file's content), bounded in
# time; none is a fixed sleep standing in for an event.
set -euo pipefail

BIN=$(realpath "${1:-target/debug/promptdeck}")
ARTIFACTS=${E2E_ARTIFACTS:-target/e2e}
mkdir -p "$ARTIFACTS"
work=$(mktemp -d)
export PROMPTDECK_DATA_DIR=$work/profile PROMPTDECK_LOG=info

SUITE=e2e
source "$(dirname "$(realpath "$0")")/../lib.sh"
on_fail() { "$BIN" status --json; }
on_exit() { pkill -f "xclip.*-selection" 2>/dev/null; }

# status EXPR: evaluates a Python expression over `promptdeck status --json` as `s`.
status() { "$BIN" status --json | python3 -c "import json,sys; s=json.load(sys.stdin); print($1)"; }
status_is() { [[ "$(status "$1")" == "$2" ]]; }
focus_is() { [[ "$(xdotool getwindowfocus 2>/dev/null)" == "$1" ]]; }
clipboard_is() { [[ "$(xclip -o -selection clipboard 2>/dev/null)" == "$1" ]]; }
uses_of() { "$BIN" list --json | python3 -c "import json,sys; print([p['useCount'] for p in json.load(sys.stdin) if p['id']=='$1'][0])"; }
uses_of_is() { [[ "$(uses_of "$1")" == "$2" ]]; }
uses_are() { [[ "$("$BIN" list --json | python3 -c "import json,sys; print([p['useCount'] for p in json.load(sys.stdin) if p['title']=='$1'][0])")" == "$2" ]]; }
# palettes_shown N: N palette windows are mapped (a closed one is kept hidden).
palettes_shown() { [[ "$(xdotool search --onlyvisible --name '^Promptdeck palette$' | wc -l)" == "$1" ]]; }
palette_focused() { [[ "$(xdotool getwindowfocus getwindowname 2>/dev/null)" == "Promptdeck palette" ]]; }
titles() { "$BIN" list --json | python3 -c "import json,sys; print('|'.join(p['title'] for p in json.load(sys.stdin)))"; }

start_app() {
  local run=$1; shift
  "$BIN" "$@" >"$work/app-$run.log" 2>&1 &
  app=$!
  pids+=("$app")
  wait_for 60 "the instance to answer on its socket" "$BIN" status
}

step "Xvfb"
# -noreset: an X server with no clients left starts over, refusing connections meanwhile; a
# desktop always has clients, but here the app's probe can be the only one, and the app's
# next connection met the reset (seen: global hotkeys missing in about one run in four).
mkfifo "$work/displayfd"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset 3>"$work/displayfd" 2>"$work/xvfb.log" &
pids+=($!)
read -r display <"$work/displayfd"
export DISPLAY=":$display"
echo "display $DISPLAY"

step "first start opens the library"
start_app 1
wait_for 20 "the library window" status_is "s['ui']['windows']" "['library']"
xdotool search --sync --onlyvisible --name '^Promptdeck$' >/dev/null

step "add prompts from the command line"
"$BIN" add --title "Alpha summary" --body "alpha text" --tag demo
"$BIN" add --title "Bravo review" --body "BRAVO-BODY-42" --tag demo
"$BIN" add --title "Charlie reply" --body "charlie text"
[[ "$(status "s['status']['promptCount']")" == 3 ]] || fail "expected 3 prompts"

step "closing the main window leaves the app running"
library=$(xdotool search --onlyvisible --name '^Promptdeck$' | head -1)
xdotool windowfocus --sync "$library"
xdotool key ctrl+w
wait_for 10 "the library to close" status_is "s['ui']['windows']" "[]"
kill -0 "$app" || fail "the process exited with its window"

step "the palette opens from the CLI with every prompt listed and the first previewed"
"$BIN" palette
wait_for 10 "the palette to list 3 prompts" status_is "s['ui']['paletteRows']" 3
first=$("$BIN" list --json | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['id'])")
wait_for 10 "the first prompt's full body beside the list" status_is "s['ui']['palettePreview']" "$first"
xdotool search --sync --onlyvisible --name '^Promptdeck palette$' >/dev/null
import -window root "$ARTIFACTS/palette.png" 2>/dev/null || true
xdotool key Escape
wait_for 10 "Escape to close the palette" status_is "s['ui']['windows']" "[]"
wait_for 10 "no palette on screen" palettes_shown 0

step "Escape and the hotkey at once: the palette closes and opens again, its search cleared"
"$BIN" palette
wait_for 10 "the palette to list 3 prompts" status_is "s['ui']['paletteRows']" 3
wait_for 10 "the palette to take the keyboard" palette_focused
xdotool type --delay 20 "zzzz"
wait_for 10 "the search to match nothing" status_is "s['ui']['paletteRows']" 0
xdotool key --delay 0 Escape ctrl+shift+space
wait_for 10 "the palette again with every prompt listed" status_is "s['ui']['paletteRows']" 3
wait_for 10 "one palette on screen" palettes_shown 1
wait_for 10 "only the palette to be open" status_is "s['ui']['windows']" "['palette']"
wait_for 10 "the palette to take the keyboard" palette_focused
xdotool key Escape
wait_for 10 "Escape to close it" status_is "s['ui']['windows']" "[]"
wait_for 10 "no palette on screen" palettes_shown 0

step "hotkey, search, Enter: the prompt is pasted into an xterm"
xterm -T pd-target -e sh -c "cat > '$work/typed.txt'" 2>/dev/null &
pids+=($!)
target=$(xdotool search --sync --onlyvisible --name '^pd-target$' | head -1)
printf 'ORIGINAL CLIPBOARD' | xclip -selection clipboard
xdotool windowfocus --sync "$target"
xdotool key ctrl+shift+space
wait_for 10 "the hotkey to open the palette" status_is "s['ui']['paletteRows']" 3
xdotool type --delay 20 "bravo"
wait_for 10 "the search to narrow to one prompt" status_is "s['ui']['paletteRows']" 1
xdotool key Return
wait_for 10 "the palette to close" status_is "s['ui']['windows']" "[]"
wait_for 10 "focus to return to the xterm" focus_is "$target"
xdotool key Return
wait_for 10 "the pasted text to reach the xterm" grep -q "BRAVO-BODY-42" "$work/typed.txt"
wait_for 10 "the previous clipboard to come back" clipboard_is "ORIGINAL CLIPBOARD"
used=$("$BIN" list --json | python3 -c "import json,sys; print([p['useCount'] for p in json.load(sys.stdin) if p['title']=='Bravo review'][0])")
[[ "$used" == 1 ]] || fail "the insert was not counted as a use ($used)"

step "a fill-in prompt asks for its fields, fills the rest, and leaves the caret at {{cursor}}"
"$BIN" add --title "Letter template" --body 'Dear {{name}}, {{tone:formal|casual}} [{{clipboard}}] {{cursor}}END'
# A line editor to paste into, so the caret's moves are real: readline, as in a shell.
xterm -T pd-form -e bash -c "read -e line; printf '%s' \"\$line\" > '$work/filled.txt'" 2>/dev/null &
pids+=($!)
form_target=$(xdotool search --sync --onlyvisible --name '^pd-form$' | head -1)
printf 'CLIP-7' | xclip -selection clipboard
xdotool windowfocus --sync "$form_target"
xdotool key ctrl+shift+space
wait_for 10 "the palette to open" status_is "s['ui']['windows']" "['palette']"
xdotool type --delay 20 "letter"
wait_for 10 "the search to find the template" status_is "s['ui']['paletteRows']" 1
xdotool key Return
wait_for 10 "the form to ask for the fields" status_is "s['ui']['paletteFilling']" True
xdotool type --delay 20 "Ada"
xdotool key Tab Down Return
wait_for 10 "the palette to close" status_is "s['ui']['windows']" "[]"
wait_for 10 "focus to return to the line editor" focus_is "$form_target"
# The use is recorded once paste, caret moves and clipboard restore are all done.
wait_for 10 "the insertion to finish" uses_are "Letter template" 1
xdotool type --delay 20 "X"
xdotool key Return
wait_for 10 "the filled prompt with X typed at its cursor" grep -qx "Dear Ada, casual \[CLIP-7\] XEND" "$work/filled.txt"
wait_for 10 "the clipboard to come back" clipboard_is "CLIP-7"

step "the form offers the values last typed into it first"
xterm -T pd-form-again -e bash -c "read -e line; printf '%s' \"\$line\" > '$work/refilled.txt'" 2>/dev/null &
pids+=($!)
again_target=$(xdotool search --sync --onlyvisible --name '^pd-form-again$' | head -1)
xdotool windowfocus --sync "$again_target"
xdotool key ctrl+shift+space
wait_for 10 "the palette to open" status_is "s['ui']['windows']" "['palette']"
xdotool type --delay 20 "letter"
wait_for 10 "the search to find the template" status_is "s['ui']['paletteRows']" 1
xdotool key Return
wait_for 10 "the form to ask for the fields" status_is "s['ui']['paletteFilling']" True
xdotool key Return
wait_for 10 "the palette to close" status_is "s['ui']['windows']" "[]"
wait_for 10 "the insertion to finish" uses_are "Letter template" 2
xdotool key Return
wait_for 10 "the last values typed, filled in at once" grep -qx "Dear Ada, casual \[CLIP-7\] END" "$work/refilled.txt"

step "#tag narrows the palette, Ctrl+Enter copies without pasting"
"$BIN" palette
wait_for 10 "the palette to open" status_is "s['ui']['paletteRows']" 4
xdotool type --delay 20 "#demo bra"
wait_for 10 "#demo bra to leave one prompt" status_is "s['ui']['paletteRows']" 1
xdotool key ctrl+Return
wait_for 10 "Ctrl+Enter to close the palette" status_is "s['ui']['windows']" "[]"
wait_for 10 "the prompt to be on the clipboard" clipboard_is "BRAVO-BODY-42"
# So that a later step's clipboard check cannot pass on this one's copy.
printf 'SOMETHING ELSE' | xclip -selection clipboard

step "the palette learns what is picked for a query, and forgets it when told"
preview_is() { status_is "s['ui']['palettePreview']" "$1"; }
preview_is_not() { ! status_is "s['ui']['palettePreview']" "$1"; }
"$BIN" palette
wait_for 10 "the palette to take focus" palette_focused
xdotool type --delay 20 "re"
wait_for 10 "re to match more than one prompt" status_is "s['ui']['paletteRows'] > 1" True
wait_for 10 "the first match previewed" preview_is_not None
first=$(status "s['ui']['palettePreview']")
xdotool key Down
wait_for 10 "the second match previewed" preview_is_not "$first"
picked=$(status "s['ui']['palettePreview']")
used=$(uses_of "$picked")
xdotool key ctrl+Return
wait_for 10 "Ctrl+Enter to close the palette" status_is "s['ui']['windows']" "[]"
# The use is counted once the pick is learned: the next search sees it.
wait_for 10 "the pick to be learned and its use counted" uses_of_is "$picked" "$((used + 1))"
"$BIN" palette
wait_for 10 "the palette to take focus" palette_focused
xdotool type --delay 20 "r"
wait_for 10 "the prompt picked for 're' to lead for 'r'" preview_is "$picked"
xdotool key Escape
wait_for 10 "the palette to close" status_is "s['ui']['windows']" "[]"
printf '[palette]\nlearn = false\n' >"$PROMPTDECK_DATA_DIR/settings.toml"
wait_for 10 "learning to be turned off" status_is "s['ui']['learning']" False
"$BIN" palette
wait_for 10 "the palette to take focus" palette_focused
xdotool type --delay 20 "re"
wait_for 10 "the best match first again, what was learned forgotten" preview_is "$first"
xdotool key Escape
wait_for 10 "the palette to close" status_is "s['ui']['windows']" "[]"
rm "$PROMPTDECK_DATA_DIR/settings.toml"
wait_for 10 "learning to be on again" status_is "s['ui']['learning']" True
printf 'SOMETHING ELSE' | xclip -selection clipboard

step "opened again soon after, the palette takes up its last search where set to"
printf '[palette]\nremember_search = 60\n' >"$PROMPTDECK_DATA_DIR/settings.toml"
wait_for 10 "the setting to apply" status_is "s['ui']['rememberSearch']" 60
"$BIN" palette
wait_for 10 "the palette to take focus" palette_focused
# The last step closed its palette on "re" moments ago.
wait_for 10 "the last search taken up" status_is "s['ui']['paletteQuery']" re
wait_for 10 "the first match previewed" status_is "s['ui']['paletteRows'] > 1 and s['ui']['palettePreview'] is not None" True
first=$(status "s['ui']['palettePreview']")
xdotool key Down
wait_for 10 "the second match previewed" preview_is_not "$first"
second=$(status "s['ui']['palettePreview']")
xdotool key Escape
wait_for 10 "the palette to close" status_is "s['ui']['windows']" "[]"
"$BIN" palette
wait_for 10 "the last query back in the box" status_is "s['ui']['paletteQuery']" re
wait_for 10 "the prompt selected then, selected again" preview_is "$second"
xdotool key Escape
wait_for 10 "the palette to close" status_is "s['ui']['windows']" "[]"
rm "$PROMPTDECK_DATA_DIR/settings.toml"
wait_for 10 "the setting back to its default" status_is "s['ui']['rememberSearch']" 0
"$BIN" palette
wait_for 10 "a fresh palette: every prompt listed" status_is "s['ui']['paletteQuery']" ""
xdotool key Escape
wait_for 10 "the palette to close" status_is "s['ui']['windows']" "[]"

step "Ctrl+E in the palette opens the prompt in the library"
"$BIN" palette
wait_for 10 "the palette to open" status_is "s['ui']['paletteRows']" 4
top=$("$BIN" list --json | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['id'])")
xdotool key ctrl+e
wait_for 10 "the library to replace the palette" status_is "s['ui']['windows']" "['library']"
wait_for 10 "the editor to hold the palette's first prompt" status_is "s['ui']['editing']" "$top"
xdotool search --sync --onlyvisible --name '^Promptdeck$' >/dev/null
import -window root "$ARTIFACTS/editor.png" 2>/dev/null || true
xdotool windowfocus --sync "$(xdotool search --onlyvisible --name '^Promptdeck$' | head -1)"
xdotool key Escape Escape
wait_for 10 "Escape twice to leave the editor and close the library" status_is "s['ui']['windows']" "[]"

step "the library's history: Ctrl+H lists the versions, Down selects the one before, Enter restores it"
body_of() { "$BIN" history "$1" --json | python3 -c "import json,sys; print(json.load(sys.stdin)[-1]['body'])"; }
body_is() { [[ "$(body_of "$1")" == "$2" ]]; }
versions_of() { "$BIN" history "$1" --json | python3 -c "import json,sys; print(json.load(sys.stdin)[-1]['number'])"; }
was=$(body_of "$top")
"$BIN" edit "$top" --body "REVISED-BODY-7"
current=$(versions_of "$top")
"$BIN" palette
wait_for 10 "the palette to open" status_is "s['ui']['paletteRows']" 4
"$BIN" list --json | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['id'])" | has -x "$top" || fail "the edited prompt no longer leads"
xdotool key ctrl+e
wait_for 10 "the editor to hold the edited prompt" status_is "s['ui']['editing']" "$top"
xdotool windowfocus --sync "$(xdotool search --onlyvisible --name '^Promptdeck$' | head -1)"
xdotool key ctrl+h
wait_for 10 "the prompt's history" status_is "s['ui']['historyOf']" "$top"
wait_for 10 "the current version selected" status_is "s['ui']['historySelected']" "$current"
xdotool key Down
wait_for 10 "the version before it selected" status_is "s['ui']['historySelected']" "$((current - 1))"
import -window root "$ARTIFACTS/history.png" 2>/dev/null || true
xdotool key Return
wait_for 10 "the version before restored" body_is "$top" "$was"
wait_for 10 "the editor on the restored prompt" status_is "s['ui']['historyOf']" "None"
[[ "$(versions_of "$top")" == "$((current + 1))" ]] || fail "the restore is not a version of its own"
xdotool key Escape Escape
wait_for 10 "Escape twice to leave the editor and close the library" status_is "s['ui']['windows']" "[]"

step "capture from PRIMARY with no window open"
printf 'Captured from primary\nsecond line' | xclip -selection primary
out=$("$BIN" capture)
[[ "$out" == "saved: Captured from primary" ]] || fail "capture said: $out"
"$BIN" palette
wait_for 10 "the capture to be in the palette at once" status_is "s['ui']['paletteRows']" 5
xdotool key Escape
wait_for 10 "the palette to close" status_is "s['ui']['windows']" "[]"

step "a selection and clipboard that are not UTF-8 are refused, nothing saved"
printf 'caf\xe9 \xff\xfe broken' | xclip -selection primary -t UTF8_STRING
printf 'caf\xe9 \xff\xfe broken' | xclip -selection clipboard -t UTF8_STRING
if out=$("$BIN" capture 2>&1); then fail "invalid UTF-8 was saved: $out"; fi
[[ "$out" == *"not valid UTF-8"*"nothing was saved"* ]] || fail "capture said: $out"
status_is "s['status']['promptCount']" 5 || fail "the library changed"

step "the capture hotkey saves the selection"
printf 'Hotkey capture\nbody' | xclip -selection primary
xdotool key ctrl+shift+c
wait_for 10 "the hotkey capture to be saved" status_is "s['status']['promptCount']" 6
[[ "$("$BIN" list)" == *"Hotkey capture"* ]] || fail "the captured prompt is not listed"

step "kill -9 and restart: nothing lost, same order"
before=$(titles)
kill -9 "$app"
wait "$app" 2>/dev/null || true
start_app 2
after=$(titles)
[[ "$before" == "$after" ]] || fail "library changed across kill -9: [$before] vs [$after]"
[[ "$(status "s['status']['promptCount']")" == 6 ]] || fail "expected 6 prompts after restart"

step "settings.toml edits apply at once: paste turned off, another palette hotkey"
printf '[paste]\nmethod = "copy-only"\n\n[hotkeys]\npalette = "ctrl+alt+p"\n' >"$PROMPTDECK_DATA_DIR/settings.toml"
wait_for 10 "the paste method to change" status_is "s['ui']['pasteMethod']" "copy-only"
wait_for 10 "the new palette hotkey" status_is "s['ui']['hotkeys'][0]" "palette=ctrl+alt+p"
status_is "s['ui']['hotkeysBy']" x11 || fail "hotkeys not said to be the X server's: $(status "s['ui']['hotkeysBy']")"
[[ "$(status "s['ui']['hotkeyProblems']")" == "[]" ]] || fail "hotkey problems: $(status "s['ui']['hotkeyProblems']")"

step "where paste is off, Enter leaves the prompt on the clipboard and says so"
notice_mentions_clipboard() { [[ "$(status "s['ui']['paletteNotice']")" == *clipboard* ]]; }
xdotool key ctrl+alt+p
wait_for 10 "the new hotkey to open the palette" status_is "s['ui']['paletteRows']" 6
wait_for 10 "the palette to take focus" focus_is "$(xdotool search --onlyvisible --name '^Promptdeck palette$' | head -1)"
xdotool key Return
wait_for 10 "the palette to say the prompt is on the clipboard" notice_mentions_clipboard
wait_for 10 "the most used prompt on the clipboard" clipboard_is "BRAVO-BODY-42"
[[ "$(status "s['ui']['windows']")" == "['palette']" ]] || fail "the palette closed without pasting"
xdotool key Escape
wait_for 10 "the palette to close" status_is "s['ui']['windows']" "[]"

step "two hotkeys on one shortcut: the clash is reported"
printf '[hotkeys]\npalette = "ctrl+shift+c"\n' >"$PROMPTDECK_DATA_DIR/settings.toml"
hotkey_conflict() { [[ "$(status "s['ui']['hotkeyProblems']")" == *ctrl+shift+c* ]]; }
wait_for 10 "the clash with the capture hotkey to be reported" hotkey_conflict
wait_for 10 "paste to be back on" status_is "s['ui']['pasteMethod']" "auto"

step "the settings window saves a new hotkey, which works at once"
"$BIN" settings
wait_for 10 "the settings window" status_is "s['ui']['windows']" "['settings']"
settings_window=$(xdotool search --sync --onlyvisible --name '^Promptdeck settings$' | head -1)
xdotool windowfocus --sync "$settings_window"
import -window root "$ARTIFACTS/settings.png" 2>/dev/null || true
# The palette hotkey's field has the keyboard: replace its text, then Ctrl+S saves.
xdotool key ctrl+a
xdotool type --delay 20 "ctrl+alt+o"
xdotool key ctrl+s
wait_for 10 "the saved hotkey to be in force" status_is "s['ui']['hotkeys'][0]" "palette=ctrl+alt+o"
grep -q 'palette = "ctrl+alt+o"' "$PROMPTDECK_DATA_DIR/settings.toml" || fail "settings.toml was not written"
[[ "$(status "s['ui']['hotkeyProblems']")" == "[]" ]] || fail "hotkey problems: $(status "s['ui']['hotkeyProblems']")"
xdotool key Escape
wait_for 10 "Escape to close the settings" status_is "s['ui']['windows']" "[]"
xdotool key ctrl+alt+o
wait_for 10 "the new hotkey to open the palette" status_is "s['ui']['windows']" "['palette']"
xdotool key Escape
wait_for 10 "the palette to close" status_is "s['ui']['windows']" "[]"

step "Ctrl+Shift+P pins the selected prompt to the top"
"$BIN" palette
wait_for 10 "the palette to open" status_is "s['ui']['paletteRows']" 6
wait_for 10 "the palette to take focus" focus_is "$(xdotool search --onlyvisible --name '^Promptdeck palette$' | head -1)"
second=$("$BIN" list --json | python3 -c "import json,sys; print(json.load(sys.stdin)[1]['id'])")
xdotool key Down ctrl+shift+p
top_is() { [[ "$("$BIN" list --json | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['id'])")" == "$1" ]]; }
wait_for 10 "the pinned prompt to lead the list" top_is "$second"
xdotool key Escape
wait_for 10 "the palette to close" status_is "s['ui']['windows']" "[]"

step "quit"
"$BIN" quit
wait_for 20 "the process to exit" bash -c "! kill -0 $app"
passed
