# SPDX-License-Identifier: MIT
# TAP helpers for the CLI tests.  Each test script sources this file.
# $FLUX is the flux binary, FLUX_BACKEND_PATH the build tree's manifests
# then the tests' (test-good), FLUX_TEST_BACKENDS the backends built.
set -u
: "${FLUX:?run through make check}"
: "${FLUX_TEST_BACKENDS?run through make check}"
# The build tree's own manifest directory: the real backends only.
BUILD_BACKENDS=$FLUX_TEST_BUILDDIR/flux.backend
T_NUM=0
T_FAILED=0
WORK=$(mktemp -d /tmp/flux-it-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# A script stopped by a signal (make's -k, a CI time-out, Ctrl-C) still
# runs its EXIT trap, which pg_lib.sh and mariadb_lib.sh extend to stop
# their servers: sh runs it on exit, not when a signal kills the shell.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# needs_backend NAME...: skip the whole script, TAP's way, unless this
# build made each backend NAME (configure --without-NAME, or its library
# missing, leaves one out).
needs_backend() {
	for b in "$@"; do
		case " $FLUX_TEST_BACKENDS " in
		*" $b "*) ;;
		*) echo "1..0 # SKIP the $b backend is not built (configure --without-$b, or its library is missing)"
		   exit 0 ;;
		esac
	done
}

# ok NAME COMMAND...: passes when COMMAND succeeds.
ok() {
	name=$1; shift
	T_NUM=$((T_NUM + 1))
	if "$@" >"$WORK/.out" 2>&1; then
		echo "ok $T_NUM - $name"
	else
		echo "not ok $T_NUM - $name"
		sed 's/^/# /' "$WORK/.out"
		T_FAILED=$((T_FAILED + 1))
	fi
}

# run EXPECTED_STATUS COMMAND...: runs COMMAND with stdin from /dev/null,
# output in $WORK/out (stdout) and $WORK/err (stderr); fails on another status.
run() {
	want=$1; shift
	"$@" </dev/null >"$WORK/out" 2>"$WORK/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "exit status $got, wanted $want: $*"
		echo "--- stdout"; cat "$WORK/out"
		echo "--- stderr"; cat "$WORK/err"
		return 1
	fi
	return 0
}

# has FILE TEXT: FILE ($WORK/out or $WORK/err) contains TEXT literally.
has() {
	if ! grep -qF -- "$2" "$1"; then
		echo "missing in $1: $2"
		echo "--- content"; cat "$1"
		return 1
	fi
}

hasnt() {
	if grep -qF -- "$2" "$1"; then
		echo "unexpected in $1: $2"
		return 1
	fi
}

# eq A B
eq() {
	if [ "$1" != "$2" ]; then
		echo "expected [$2], got [$1]"
		return 1
	fi
}

# parallel_apply K URI: K `flux apply URI -y` at once; fails unless every
# one exits 0.  Their outputs are in $WORK/par*.out.
parallel_apply() {
	pids=""
	k=1
	while [ "$k" -le "$1" ]; do
		"$FLUX" apply "$2" -y </dev/null >"$WORK/par$k.out" 2>&1 & pids="$pids $!"
		k=$((k + 1))
	done
	st=0
	for p in $pids; do wait "$p" || st=1; done
	[ "$st" -eq 0 ] || { cat "$WORK"/par*.out; return 1; }
}

# applied_lines: how many migrations the parallel runs reported applying.
applied_lines() { cat "$WORK"/par*.out | grep -c '^  applied '; }

# sqlite_project DIR [N]: a fresh project at DIR on the sqlite backend, and
# cd into it: flux.toml and the first N (default 2) of 001_a and 002_b,
# each with its undo.
sqlite_project() {
	rm -rf "$1"; mkdir -p "$1/migrations" && cd "$1" || return 1
	printf '[flux]\nbackend = "sqlite"\nmigration_directory = "migrations"\n' > flux.toml
	printf 'CREATE TABLE a (x int);\n' > migrations/001_a.sql
	printf 'DROP TABLE a;\n' > migrations/001_a.undo.sql
	[ "${2:-2}" -ge 2 ] || return 0
	printf 'CREATE TABLE b (x int);\n' > migrations/002_b.sql
	printf 'DROP TABLE b;\n' > migrations/002_b.undo.sql
}

# hold_flock FILE: another process holds flock(2) on FILE (as another flux
# would) until release_flock; returns once the lock is really held, so a
# slow machine cannot let the holder finish before flux is tested.
hold_flock() {
	flock -o "$1" sleep 300 &
	HOLDER=$!
	i=0
	while flock -n "$1" true 2>/dev/null; do
		i=$((i + 1)); [ "$i" -lt 300 ] || return 1
		sleep 0.1
	done
}
release_flock() {
	pkill -P "$HOLDER" 2>/dev/null; kill "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null
	return 0
}

done_testing() {
	echo "1..$T_NUM"
	[ "$T_FAILED" -eq 0 ]
}
