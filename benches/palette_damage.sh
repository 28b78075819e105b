#!/usr/bin/env bash
# What the software renderer redraws each time the kept palette is opened from the CLI and
# closed with Escape: for every frame, its damage rectangles (the area redrawn) and how many
# glyphs were rasterised before it, read with uprobes on the app's own functions
# (iced_tiny_skia::Renderer::draw's damage argument, cosmic_text's swash_image). A count, not
# a time, so two builds compare on a busy machine.
#
#   sudo benches/palette_damage.sh [path/to/release/promptdeck-app] [openings]
#
# Needs perf (with uprobes: root), Xvfb, xdotool and a release build with symbols (the
# default profile keeps them). x86-64 only: the probe reads the damage slice from the
# registers Rust passes it in there (r8, r9).
set -euo pipefail
BIN=$(realpath "${1:-target/release/promptdeck-app}")
openings=${2:-10}
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  perf probe -q -d 'promptdeck_app:*' 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A probe's address is the function's offset in the file, not its address in memory.
probe_at() { # NAME SYMBOL-PREFIX ARGS...
  local name=$1 symbol=$2; shift 2
  local vaddr text_vaddr text_offset
  vaddr=$(nm "$BIN" | awk -v s="$symbol" 'index($3, s) == 1 && !found {print $1; found = 1}')
  [[ -n $vaddr ]] || { echo "no symbol $symbol in $BIN" >&2; exit 1; }
  read -r text_offset text_vaddr < <(readelf -lW "$BIN" | awk '$1 == "LOAD" && $8 == "E" && !found {print $2, $3; found = 1}')
  perf probe -q -x "$BIN" -a "promptdeck_app:$name=$(printf '0x%x' $((0x$vaddr - text_vaddr + text_offset))) $*"
}
rects="n=%r9:u64"
for i in 0 1 2 3 4 5; do for j in 0 1 2 3; do rects+=" r${i}_$j=+$((i * 16 + j * 4))(%r8):u32"; done; done
# shellcheck disable=SC2086 # one word per probe argument
probe_at draw _ZN14iced_tiny_skia8Renderer4draw $rects
probe_at glyph _ZN11cosmic_text5swash11swash_image

# shellcheck source=benches/support/palette_xvfb.sh
source "$(dirname "$0")/support/palette_xvfb.sh"
start_xvfb

"$BIN" &
app=$!
pids+=("$app")
wait_for 60 "$BIN" status
add_prompts
# Warm: glyphs rasterised once, the window kept.
for _ in 1 2 3; do
  "$BIN" palette >/dev/null; wait_for 30 palette_open; xdotool key Escape; wait_for 30 palette_closed
done
perf record -q -e 'promptdeck_app:*' -o "$work/perf.data" -p "$app" 2>/dev/null &
perf=$!
sleep 1 # perf attaches: pacing, nothing to wait on
for _ in $(seq "$openings"); do
  "$BIN" palette >/dev/null; wait_for 30 palette_open
  sleep 0.3 # shown, untouched
  xdotool key Escape; wait_for 30 palette_closed
  sleep 0.2
done
kill -INT "$perf"; wait "$perf" || true
"$BIN" quit >/dev/null

perf script -i "$work/perf.data" -F time,event,trace 2>/dev/null | python3 -c '
import struct, sys
as_float = lambda v: struct.unpack("f", struct.pack("I", int(v, 0)))[0]
glyphs = frames = 0
area_total = 0.0
for line in sys.stdin:
    if "glyph" in line.split()[1]:
        glyphs += 1
        continue
    fields = dict(f.split("=", 1) for f in line.split()[2:] if "=" in f)
    rects = [[as_float(fields[f"r{i}_{j}"]) for j in range(4)] for i in range(min(int(fields["n"], 0), 6))]
    area = sum(w * h for _, _, w, h in rects)
    frames += 1
    area_total += area
    print(f"frame {frames}: {area:9.0f} px² redrawn in {len(rects)} rectangles, {glyphs} glyphs rasterised before it")
    glyphs = 0
print(f"{frames} frames, {area_total:.0f} px² redrawn in all")
'
