#!/usr/bin/env bash
# The packages, installed for real on this machine (CI's container, as root): the app's
# .deb through apt, started headless, used, and removed again, nothing of it left; the
# server's .deb, its unit checked by systemd-analyze and its ExecStart run as systemd runs
# it (its state and credentials directories given, the unit's environment file read), then
# stopped with SIGTERM as `systemctl stop` does, cleanly; the Windows zip holding both
# programs. Packages the debug builds the other steps made (PROFILE=debug).
# Usage: tests/packages/install.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ARTIFACTS=${E2E_ARTIFACTS:-target/e2e}
mkdir -p "$ARTIFACTS"
work=$(mktemp -d)
SUITE=packages
source tests/lib.sh
on_exit() {
  apt-get remove -y -qq promptdeck promptdeck-server >/dev/null 2>&1 || true
}

[[ $(id -u) -eq 0 ]] || fail "installing packages needs root (CI's container is)"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
arch=$(dpkg --print-architecture)

step "both .debs build from the debug binaries"
PROFILE=debug scripts/package.sh deb
app_deb=target/packages/promptdeck_${version}_${arch}.deb
server_deb=target/packages/promptdeck-server_${version}_${arch}.deb
dpkg-deb -I "$app_deb" | has "Depends: .*libxkbcommon0" || fail "the window libraries are not among the app's dependencies"

step "each package's libc6 dependency is as new as the glibc its programs need"
# Worked out here from the binary, apart from scripts/package.sh: the newest GLIBC_2.x it
# names, and glibc 2.36 where it needs GLIBC_ABI_DT_RELR (packed relocations), which
# dpkg-shlibdeps alone does not see.
glibc_needed() {
  local nodes newest
  nodes=$(readelf -V --wide "$1")
  newest=$(grep -o 'Name: GLIBC_2\.[0-9.]*' <<<"$nodes" | sed 's/Name: GLIBC_//' | sort -V | tail -1)
  if grep -q 'Name: GLIBC_ABI_DT_RELR ' <<<"$nodes" && dpkg --compare-versions 2.36 gt "$newest"; then
    newest=2.36
  fi
  echo "$newest"
}
for pair in "$app_deb target/debug/promptdeck-app" "$app_deb target/debug/promptdeck" "$server_deb target/debug/promptdeck-server"; do
  read -r deb binary <<<"$pair"
  needed=$(glibc_needed "$binary")
  libc6=$(dpkg-deb -f "$deb" Depends | sed -n 's/.*libc6 (>= \([^)]*\)).*/\1/p')
  dpkg --compare-versions "${libc6:-0}" ge "$needed" ||
    fail "$deb depends on libc6 (>= ${libc6:-any}), but $binary needs glibc $needed"
done

step "apt installs the app: its program, launcher entry and icon"
apt-get install -y -qq "./$app_deb" >/dev/null
[[ -x /usr/bin/promptdeck && -x /usr/bin/promptdeck-app ]] || fail "no /usr/bin/promptdeck or promptdeck-app"
desktop-file-validate /usr/share/applications/promptdeck.desktop
grep -qx 'Exec="/usr/bin/promptdeck"' /usr/share/applications/promptdeck.desktop || fail "the launcher does not start /usr/bin/promptdeck"
[[ -f /usr/share/icons/hicolor/scalable/apps/promptdeck.svg ]] || fail "no icon"

step "the installed app starts headless, keeps a prompt and quits"
export PROMPTDECK_DATA_DIR=$work/profile
/usr/bin/promptdeck --headless >"$work/app.log" 2>&1 &
app=$!
pids+=("$app")
wait_for 30 "the installed app to answer" /usr/bin/promptdeck status
/usr/bin/promptdeck add --title "Packaged" --body "from the .deb"
/usr/bin/promptdeck list | has "Packaged" || fail "the prompt is not listed"
/usr/bin/promptdeck quit
wait "$app"

step "apt removes the app and leaves nothing of it"
apt-get remove -y -qq promptdeck >/dev/null
[[ ! -e /usr/bin/promptdeck && ! -e /usr/bin/promptdeck-app && ! -e /usr/share/applications/promptdeck.desktop ]] || fail "files left behind"

step "apt installs the server; systemd finds its unit sound"
apt-get install -y -qq "./$server_deb" >/dev/null
unit=/lib/systemd/system/promptdeck-server.service
systemd-analyze verify "$unit" 2>"$work/verify.log" || { cat "$work/verify.log"; fail "systemd-analyze refused the unit"; }

step "the unit's ExecStart serves with SQLite in its state directory and stops cleanly on SIGTERM"
state=$work/state creds=$work/credentials
mkdir -p "$state" "$creds"
echo "packaged-token=me" >"$creds/tokens"
chmod 600 "$creds/tokens"
port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
(
  set -a
  source /etc/promptdeck-server/promptdeck-server.env
  PROMPTDECK_SERVER_LISTEN=127.0.0.1:$port STATE_DIRECTORY=$state CREDENTIALS_DIRECTORY=$creds
  set +a
  # As systemd expands it: ${NAME} from the environment, nothing else.
  eval "exec $(sed -n 's/^ExecStart=//p' "$unit")"
) >"$work/server.log" 2>&1 &
server=$!
pids+=("$server")
answers() { curl -fsS "http://127.0.0.1:$port/api/config" >/dev/null; }
wait_for 30 "the server to answer" answers
pull=$(curl -fsS -H "Authorization: Bearer packaged-token" -H "Content-Type: application/json" \
  -d '{"profileID":"p","clientGroupID":"g","cookie":null,"pullVersion":1,"schemaVersion":"1"}' \
  "http://127.0.0.1:$port/api/replicache/pull?space=personal")
[[ $pull == *'"cookie"'* ]] || fail "a pull with the token was not answered: $pull"
[[ -f $state/server.db ]] || fail "no database in the state directory"
kill -TERM "$server"
rc=0
wait "$server" || rc=$?
[[ $rc -eq 0 ]] || { cat "$work/server.log"; fail "the server exited $rc on SIGTERM"; }

step "apt purges the server, its settings with it"
apt-get purge -y -qq promptdeck-server >/dev/null
[[ ! -e /usr/bin/promptdeck-server && ! -e $unit && ! -e /etc/promptdeck-server ]] || fail "files left behind"

step "the Windows zip holds both programs"
cargo build -q --target x86_64-pc-windows-gnu -p promptdeck-server --bin promptdeck-server
PROFILE=debug scripts/package.sh zip
zip=target/packages/promptdeck-$version-windows-x86_64.zip
listed=$(python3 -c "import zipfile,sys; print(' '.join(sorted(zipfile.ZipFile(sys.argv[1]).namelist())))" "$zip")
[[ $listed == "README.md promptdeck-app.exe promptdeck-server.exe promptdeck.exe" ]] || fail "the zip holds: $listed"

passed
