#!/usr/bin/env bash
# Installs the Debian packages Promptdeck needs to build, run and test.
# Idempotent: packages already present are left alone, and apt is not touched at all
# when everything is installed.
#   scripts/install-deps.sh          build + run
#   scripts/install-deps.sh --test   also the test tools (Xvfb, xdotool, xclip, xterm, a keyring,
#                                    the desktop portal, MinGW-w64 and Wine for the Windows build,
#                                    sway, foot and wl-clipboard for the Wayland run, GNOME's
#                                    shortcut schemas for install-desktop --bind, dpkg-dev, zip
#                                    and systemd-analyze for the packages, clang and llvm-ar for
#                                    the macOS check)
#
# No GTK, appindicator or libxdo: the tray speaks StatusNotifierItem over D-Bus in Rust
# (tray-icon's ksni backend), and hotkeys and paste go through x11rb. The window toolkit
# loads the X11/Wayland client libraries and xkbcommon at run time.
set -euo pipefail

packages=(pkg-config build-essential ca-certificates curl fonts-dejavu-core)
mapfile -t -O ${#packages[@]} packages < <(grep -v '^#' "$(dirname "$0")/../packaging/runtime-libraries")
if [[ "${1:-}" == "--test" ]]; then
  packages+=(xvfb xdotool xclip x11-utils xterm imagemagick python3 dbus-daemon gnome-keyring nodejs npm postgresql desktop-file-utils fzf
    xdg-desktop-portal xdg-desktop-portal-gtk gsettings-desktop-schemas libglib2.0-bin
    gcc-mingw-w64-x86-64 wine64
    sway foot grim wl-clipboard wtype gnome-settings-daemon-common
    dpkg-dev zip systemd
    clang llvm heaptrack)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep "install ok installed" >/dev/null || missing+=("$p")
done
# python3 and Node may come from elsewhere than Debian (pyenv, nodesource); working ones
# are enough.
provided=()
command -v python3 >/dev/null 2>&1 && provided+=(python3)
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && provided+=(nodejs npm)
filtered=()
for p in "${missing[@]+"${missing[@]}"}"; do
  [[ " ${provided[*]-} " == *" $p "* ]] || filtered+=("$p")
done
missing=("${filtered[@]+"${filtered[@]}"}")
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
