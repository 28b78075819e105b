#!/usr/bin/env bash
# Builds what people install, into target/packages/:
#   scripts/package.sh deb    promptdeck_<version>_<arch>.deb (the app: binary, launcher entry,
#                             icon) and promptdeck-server_<version>_<arch>.deb (the server and
#                             a systemd unit), from a release build
#   scripts/package.sh zip    promptdeck-<version>-windows-x86_64.zip (both .exe files), from a
#                             release cross-build
# PROFILE=debug packages the debug build instead (the tests do, to spare a release build).
# Built with Debian's dpkg-deb and dpkg-shlibdeps, which work out each package's library
# dependencies from its binary.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:?"usage: scripts/package.sh deb|zip"}
profile=${PROFILE:-release}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
out=target/packages
mkdir -p "$out"
cargo_profile=()
[[ $profile == release ]] && cargo_profile=(--release)

# glibc_floor BINARY...: the oldest glibc that starts every BINARY, from each glibc version
# node they need, each node's version as libc6's own symbols file gives it. dpkg-shlibdeps
# versions libc6 by the symbols a binary calls, so a node needed without a symbol escapes it:
# packed relocations (build.rs) need GLIBC_ABI_DT_RELR, glibc 2.36, and without this the
# .deb would let apt install the app where the loader then refuses it.
glibc_floor() {
  local symbols node version floor=0
  symbols=$(dpkg-query --control-path libc6 symbols)
  for node in $(for binary in "$@"; do readelf -V --wide "$binary"; done | sed -n 's/^ *0x[0-9a-f]*: *Name: \(GLIBC_[A-Za-z0-9_.]*\) .*/\1/p' | sort -u); do
    version=$(sed -n "s/^ $node@$node \([^ ]*\)\$/\1/p" "$symbols" | head -1)
    [[ -n $version ]] || { echo "libc6's symbols file does not know $node, which $* need" >&2; return 1; }
    dpkg --compare-versions "$version" gt "$floor" && floor=$version
  done
  echo "$floor"
}

# raise_libc6 DEPENDS FLOOR: DEPENDS with its libc6 dependency at least FLOOR.
raise_libc6() {
  local depends=$1 floor=$2 had
  had=$(sed -n 's/.*libc6 (>= \([^)]*\)).*/\1/p' <<<"$depends")
  [[ -n $had ]] || { echo "dpkg-shlibdeps named no libc6 version: $depends" >&2; return 1; }
  dpkg --compare-versions "$floor" gt "$had" || { echo "$depends"; return; }
  sed "s/libc6 (>= [^)]*)/libc6 (>= $floor)/" <<<"$depends"
}

# deb_control NAME DESCRIPTION ROOT [MORE]: DEBIAN/control for the tree at ROOT, its
# dependencies those of every program in ROOT/usr/bin, and MORE.
deb_control() {
  local name=$1 description=$2 root=$3 depends floor scratch programs=()
  local program
  for program in "$root"/usr/bin/*; do programs+=("$(realpath "$program")"); done
  # dpkg-shlibdeps reads the programs' libraries and names the packages that hold them.
  scratch=$(mktemp -d)
  mkdir -p "$scratch/debian"
  printf 'Source: promptdeck\n\nPackage: %s\nArchitecture: any\n' "$name" >"$scratch/debian/control"
  depends=$(cd "$scratch" && dpkg-shlibdeps -O "${programs[@]}" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
  rm -rf "$scratch"
  floor=$(glibc_floor "${programs[@]}")
  depends=$(raise_libc6 "$depends" "$floor")
  [[ -n ${4:-} ]] && depends="$depends, $4"
  mkdir -p "$root/DEBIAN"
  cat >"$root/DEBIAN/control" <<CONTROL
Package: $name
Version: $version
Architecture: $(dpkg --print-architecture)
Maintainer: Promptdeck <team@promptdeck.invalid>
Installed-Size: $(du -sk "$root" | cut -f1)
Depends: $depends
Section: utils
Priority: optional
Homepage: https://github.com/promptdeck/promptdeck
Description: $description
CONTROL
}

case $what in
  deb)
    [[ $profile == debug ]] || cargo build "${cargo_profile[@]}" -p promptdeck -p promptdeck-server
    bin=target/$profile
    rm -rf "$out/deb"
    app=$out/deb/promptdeck
    install -D -m 0755 "$bin/promptdeck" "$app/usr/bin/promptdeck"
    install -D -m 0755 "$bin/promptdeck-app" "$app/usr/bin/promptdeck-app"
    "$bin/promptdeck" install-desktop --package-root "$app" >/dev/null
    install -D -m 0644 README.md "$app/usr/share/doc/promptdeck/README.md"
    deb_control promptdeck "Your prompts, one hotkey away
 A keyboard palette of the prompts you keep for AI tools: a global hotkey opens it,
 it fuzzy-searches them and pastes the chosen one into the window you were in. It works
 offline and syncs across devices over the Replicache protocol. Start it at login with
 'promptdeck install-desktop --autostart'." "$app" \
      "$(grep -v '^#' packaging/runtime-libraries | paste -sd, | sed 's/,/, /g')"

    server=$out/deb/promptdeck-server
    install -D -m 0755 "$bin/promptdeck-server" "$server/usr/bin/promptdeck-server"
    install -D -m 0644 packaging/promptdeck-server.service "$server/lib/systemd/system/promptdeck-server.service"
    install -D -m 0644 packaging/promptdeck-server.env "$server/etc/promptdeck-server/promptdeck-server.env"
    deb_control promptdeck-server "Sync server for Promptdeck libraries
 A Replicache push/pull backend for Promptdeck: several users, each with their own
 spaces, shared by grant; SQLite or PostgreSQL. The systemd unit runs it with SQLite once
 /etc/promptdeck-server/tokens names who may sync." "$server"
    echo /etc/promptdeck-server/promptdeck-server.env >"$server/DEBIAN/conffiles"

    for root in "$app" "$server"; do
      name=$(sed -n 's/^Package: //p' "$root/DEBIAN/control")
      dpkg-deb --root-owner-group --build "$root" "$out/${name}_${version}_$(dpkg --print-architecture).deb" >/dev/null
      echo "built $out/${name}_${version}_$(dpkg --print-architecture).deb"
    done
    ;;
  zip)
    target=x86_64-pc-windows-gnu
    [[ $profile == debug ]] || cargo build "${cargo_profile[@]}" --target $target -p promptdeck -p promptdeck-server
    bin=target/$target/$profile
    zip=$out/promptdeck-$version-windows-x86_64.zip
    rm -f "$zip"
    zip -j -q "$zip" "$bin/promptdeck.exe" "$bin/promptdeck-app.exe" "$bin/promptdeck-server.exe" README.md
    echo "built $zip"
    ;;
  *)
    echo "usage: scripts/package.sh deb|zip" >&2
    exit 2
    ;;
esac
