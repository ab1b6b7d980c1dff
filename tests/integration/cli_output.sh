#!/bin/sh
# SPDX-License-Identifier: MIT
# Output for pipelines: status --exit-code and what --version reports.
. "$FLUX_TEST_SRCDIR/tests/integration/lib.sh"
needs_backend sqlite

P="$WORK/proj"
DB="$P/app.db"
mkdir -p "$P/migrations"
cd "$P" || exit 1
printf '[flux]\nbackend = "sqlite"\nmigration_directory = "migrations"\n' > flux.toml
printf 'CREATE TABLE a (x int);\n' > migrations/001_a.sql
printf 'CREATE TABLE b (x int);\n' > migrations/002_b.sql

t_exit_code_pending() {
	run 0 "$FLUX" status "sqlite:$DB" || return 1
	run 1 "$FLUX" status --exit-code "sqlite:$DB" &&
	has "$WORK/err" "2 migrations are not applied" &&
	has "$WORK/out" "Not Applied" || return 1
	run 0 "$FLUX" apply "sqlite:$DB" 1 -y &&
	run 1 "$FLUX" status "sqlite:$DB" --exit-code &&
	has "$WORK/err" "1 migration is not applied" || return 1
	run 0 "$FLUX" apply "sqlite:$DB" -y &&
	run 0 "$FLUX" status --exit-code "sqlite:$DB" && eq "$(cat "$WORK/err")" ""
}
ok "status --exit-code exits 1 while migrations are pending, 0 when none is" t_exit_code_pending

t_exit_code_corrupt() {
	# A changed applied file is still the validation failure, with or
	# without --exit-code.
	cp migrations/001_a.sql "$WORK/keep.sql"
	printf 'CREATE TABLE a (y int);\n' > migrations/001_a.sql
	run 1 "$FLUX" status --exit-code "sqlite:$DB" && has "$WORK/err" "001_a" &&
	hasnt "$WORK/err" "not applied"
	st=$?
	cp "$WORK/keep.sql" migrations/001_a.sql
	return $st
}
ok "status --exit-code still reports a corrupt directory as such" t_exit_code_corrupt

# The ABI the header in this tree declares, which --version must report.
abi_of() { sed -n "s/^#define FLUX_BACKEND_ABI_$1 \\([0-9]*\\)$/\\1/p" \
	"$FLUX_TEST_SRCDIR/include/flux/backend.h"; }

t_version_abi() {
	abi="$(abi_of MAJOR).$(abi_of MINOR)"
	[ "$abi" != "." ] || { echo "no ABI in backend.h"; return 1; }
	run 0 "$FLUX" --version && has "$WORK/out" "backend ABI $abi" &&
	head -n1 "$WORK/out" | grep -q '^flux [0-9]' && hasnt "$WORK/out" "backends:"
}
ok "--version prints the version and the backend ABI" t_version_abi

t_version_verbose() {
	M="$WORK/manifests"; mkdir -p "$M/b"
	mods="$FLUX_TEST_BUILDDIR/tests/plugins/.libs"
	printf '[flux.backend]\nsqlite = %s:flux_sqlite_backend\nwrong = %s:test_good_backend\n' \
		"$(sed -n 's/^sqlite = \(.*\):.*/\1/p' "$FLUX_TEST_BUILDDIR"/flux.backend/*.ini)" \
		"$mods/test_wrong_abi.so" > "$M/a.ini"
	printf '[flux.backend]\nsqlite = %s:test_good_backend\n' "$mods/test_good.so" > "$M/b/b.ini"
	abi="$(abi_of MAJOR).$(abi_of MINOR)"
	run 0 "$FLUX" --backend-path "$M:$M/b" --version -v || return 1
	grep -Eq "^  sqlite +/.*sqlite\.so  ABI $abi\$" "$WORK/out" &&
	grep -Eq "^  wrong +.*test_wrong_abi\.so  broken: .*ABI" "$WORK/out" &&
	grep -Eq "^  sqlite +.*test_good\.so  shadowed\$" "$WORK/out" || { cat "$WORK/out"; return 1; }
	# -v before --version works the same.
	run 0 "$FLUX" -v --backend-path "$M:$M/b" --version && has "$WORK/out" "backends:"
}
ok "--version -v lists each backend found with its module and ABI" t_version_verbose

done_testing
