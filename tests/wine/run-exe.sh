#!/usr/bin/env bash
# Cargo's runner for x86_64-pc-windows-gnu test binaries: puts the bcryptprimitives.dll
# stand-in (see bcryptprimitives.c) beside the .exe, then runs it under wine64.
#   CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=tests/wine/run-exe.sh cargo test --target ...
set -euo pipefail
exe=$1
here=$(dirname "$(realpath "$0")")
dll=$(dirname "$exe")/bcryptprimitives.dll
if [[ ! -f "$dll" ]]; then
  x86_64-w64-mingw32-gcc -shared -O2 -o "$dll" "$here/bcryptprimitives.c" \
    "$here/bcryptprimitives.def" -ladvapi32
fi
export WINEDEBUG=${WINEDEBUG:--all} WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-"mscoree,mshtml="}
exec "${WINE:-$(command -v wine64 || echo /usr/lib/wine/wine64)}" "$@"
