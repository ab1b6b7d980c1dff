#!/bin/sh
# SPDX-License-Identifier: MIT
# Run by `make installcheck` (and so by `make distcheck`) against the
# installed tree: what a distribution's users and third-party backend
# packages do with it.
#   1. build examples/backend-skeleton out of tree with only `pkg-config
#      flux-backend`, install it to a manifest directory of its own and
#      apply, roll back and show a project through the installed flux;
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

# 1. A third-party backend: examples/backend-skeleton, built and installed
#    with its own Makefile, used through a manifest directory of its own.
cp -r "$srcdir/examples/backend-skeleton" "$work/skel" && chmod -R u+w "$work/skel"
make -s -C "$work/skel" CC="$cc" install MODDIR="$work/modules" BACKENDDIR="$work/manifests" ||
	fail "cannot build and install examples/backend-skeleton with pkg-config flux-backend"
"$bindir/flux" --backend-path "$work/manifests" backends --check > "$work/out" ||
	fail "flux backends --check refused the journal backend: $(cat "$work/out")"
grep -q "journal" "$work/out" || fail "journal not listed"
mkdir -p "$work/proj/migrations" && cd "$work/proj"
printf '[flux]\nbackend = "journal"\nmigration_directory = "migrations"\n\n[backend]\njournal_file = "deploy.sql"\n' > flux.toml
printf 'CREATE TABLE one (x int);\n' > migrations/001_one.sql
printf 'DROP TABLE one;\n' > migrations/001_one.undo.sql
printf 'CREATE TABLE two (x int);\n' > migrations/002_two.sql
# A refused [backend] value names flux.toml's line (host option_error).
sed 's|journal_file = "deploy.sql"|journal_file = "a/deploy.sql"|' flux.toml > flux.bad
if "$bindir/flux" --backend-path "$work/manifests" -c flux.bad status "journal:$work" >/dev/null 2>"$work/err" ||
	! grep -q "flux.bad:6: \[backend\] journal_file 'a/deploy.sql' must be a file name" "$work/err"; then
	fail "a bad journal_file: $(cat "$work/err")"
fi
# Like a database, the journal directory must exist: a clear error first.
if "$bindir/flux" --backend-path "$work/manifests" apply "journal:$work/out.d" -y >/dev/null 2>"$work/err" ||
	! grep -q "cannot open $work/out.d: No such file or directory" "$work/err"; then
	fail "a missing journal directory: $(cat "$work/err")"
fi
mkdir "$work/out.d"
"$bindir/flux" --backend-path "$work/manifests" apply "journal:$work/out.d" 1 -y >/dev/null ||
	fail "apply through the journal backend failed"
"$bindir/flux" --backend-path "$work/manifests" rollback "journal:$work/out.d" -y >/dev/null ||
	fail "rollback through the journal backend failed"
[ "$(cat "$work/out.d/deploy.sql")" = "$(printf 'CREATE TABLE one (x int);\nDROP TABLE one;')" ] ||
	fail "journal holds: $(cat "$work/out.d/deploy.sql")"
[ ! -s "$work/out.d/records" ] || fail "records left after rollback: $(cat "$work/out.d/records")"
"$bindir/flux" --backend-path "$work/manifests" apply "journal:$work/out.d" -y >/dev/null &&
"$bindir/flux" --backend-path "$work/manifests" status "journal:$work/out.d" |
	grep -q '^002_two  *Applied' || fail "status through the journal backend"
rm migrations/002_two.sql

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
