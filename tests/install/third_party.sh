#!/bin/sh
# Run by `make installcheck` (and so by `make distcheck`) against the
# installed tree: what a distribution's users and third-party backend
# packages do with it.
#   1. build a backend out of tree with only `pkg-config flux-backend`,
#      give it a manifest of its own and use it through the installed flux;
#   2. build a program against `pkg-config libflux`;
#   3. apply a project with the installed SQLite backend, found through the
#      system manifest directory alone.
# Usage: third_party.sh BINDIR PKGCONFIGDIR SRCDIR CC
set -eu
bindir=$1 pcdir=$2 srcdir=$3 cc=$4
work=$(mktemp -d /tmp/flux-installcheck-XXXXXX)
trap 'rm -rf "$work"' EXIT
export PKG_CONFIG_PATH=$pcdir
unset FLUX_BACKEND_PATH
fail() { echo "installcheck: $*" >&2; exit 1; }

# 1. A third-party backend.
$cc -shared -fPIC $(pkg-config --cflags flux-backend) -o "$work/third.so" \
	"$srcdir/tests/plugins/test_backend.c" -Wl,--no-undefined ||
	fail "cannot build a backend with pkg-config flux-backend"
mkdir "$work/manifests"
printf '[flux.backend]\ntest-good = third.so:test_good_backend\n' > "$work/manifests/third.ini"
cp "$work/third.so" "$work/manifests/"
"$bindir/flux" --backend-path "$work/manifests" backends --check > "$work/out" ||
	fail "flux backends --check refused the third-party backend: $(cat "$work/out")"
grep -q "test-good" "$work/out" || fail "test-good not listed"
mkdir -p "$work/proj/migrations" && cd "$work/proj"
printf '[flux]\nbackend = "test-good"\nmigration_directory = "migrations"\n' > flux.toml
printf 'SELECT 1;\n' > migrations/001_one.sql
"$bindir/flux" --backend-path "$work/manifests" apply "test:$work/records.txt" -y >/dev/null ||
	fail "apply through the third-party backend failed"
grep -q '^001_one ' "$work/records.txt" || fail "the third-party backend recorded nothing"

# 2. A program using libflux.
printf '#include <stdio.h>\n#include <flux/flux.h>\nint main(void) { char h[33]; flux_md5_hex("", 0, h); printf("%%s %%s\\n", flux_version(), h); return 0; }\n' > "$work/use.c"
$cc $(pkg-config --cflags libflux) -o "$work/use" "$work/use.c" $(pkg-config --libs libflux) \
	-Wl,-rpath,"$(pkg-config --variable=libdir libflux)" || fail "cannot build with pkg-config libflux"
[ "$("$work/use")" = "$(pkg-config --modversion libflux) d41d8cd98f00b204e9800998ecf8427e" ] ||
	fail "libflux program printed $("$work/use")"

# 3. The installed SQLite backend from the system manifest directory.
printf '[flux]\nbackend = "sqlite"\nmigration_directory = "migrations"\n' > flux.toml
"$bindir/flux" apply "sqlite:$work/app.db" -y >/dev/null || fail "installed sqlite backend"
"$bindir/flux" status "sqlite:$work/app.db" | grep -q '^001_one  *Applied' || fail "status"
echo "installcheck: third-party backend, libflux program and installed sqlite backend work"
