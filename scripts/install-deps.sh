#!/usr/bin/env bash
# Installs the Debian packages Promptdeck needs to build, run and test.
# Idempotent: packages already present are left alone, and apt is not touched at all
# when everything is installed.
#   scripts/install-deps.sh          build + run (GTK 3, appindicator, xdo, xkbcommon)
#   scripts/install-deps.sh --test   also the test tools (Xvfb, xdotool, xclip, Node)
set -euo pipefail

packages=(
  pkg-config build-essential
  libgtk-3-dev libayatana-appindicator3-dev libxdo-dev
  libxkbcommon-dev libxkbcommon-x11-dev libx11-dev libxcb1-dev
  libwayland-dev libfontconfig1-dev libfreetype-dev
)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(xvfb xdotool xclip x11-utils xterm imagemagick nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs may come from elsewhere than Debian; a working `node` is enough.
if command -v node >/dev/null 2>&1; then
  filtered=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
