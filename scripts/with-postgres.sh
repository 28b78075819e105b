#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster of its own, on loopback, removed
# afterwards. The command sees PROMPTDECK_TEST_POSTGRES=postgres://...: an admin URL from
# which tests create a fresh database each.
#   scripts/with-postgres.sh cargo test -p promptdeck-server
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$bin/initdb" ]] || { echo "PostgreSQL is not installed (scripts/install-deps.sh --test)" >&2; exit 1; }
dir=$(mktemp -d)
# initdb refuses to run as root; the cluster then belongs to the postgres user.
as_owner=()
if [[ $(id -u) -eq 0 ]]; then
  chown postgres "$dir"
  as_owner=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -w -l "$dir/log" \
  -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null
export PROMPTDECK_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres"
"$@"
