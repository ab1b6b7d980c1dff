#!/bin/sh
# SPDX-License-Identifier: MIT
# flux backends, --help and --version through the real binary.
. "$FLUX_TEST_SRCDIR/tests/integration/lib.sh"

t_backends_lists_build_tree() {
	run 0 "$FLUX" backends --check &&
	has "$WORK/out" "sqlite  SQLite database files" &&
	has "$WORK/out" "postgres  PostgreSQL over libpq" &&
	has "$WORK/out" "test-good  test backend" &&
	has "$WORK/out" "abi       1.1" &&
	has "$WORK/out" "manifest  $FLUX_BACKEND_PATH/builtin.ini:3" || return 1
	# Which optional operations each module has, after its manifest line.
	eq "$(grep -E '^  [a-z-]+  |optional' "$WORK/out" | sed 's/  */ /g' | cut -d' ' -f2-4 | tr '\n' '|')" \
	   "sqlite SQLite database|optional marks|postgres PostgreSQL over|optional run_step, marks|test-good test backend|optional none|"
}
ok "flux backends --check lists the build tree's backends" t_backends_lists_build_tree

t_backends_check_fails_on_broken() {
	d="$WORK/broken"; mkdir -p "$d"
	sed "s|@MODULES@|$FLUX_TEST_BUILDDIR/tests/plugins/.libs|" \
		"$FLUX_TEST_SRCDIR/tests/plugins/fixtures/wrong-abi/wrong-abi.ini" > "$d/wrong-abi.ini"
	sed "s|@MODULES@|$FLUX_TEST_BUILDDIR/tests/plugins/.libs|" \
		"$FLUX_TEST_SRCDIR/tests/plugins/fixtures/malformed/malformed.ini" > "$d/malformed.ini"
	run 0 "$FLUX" --backend-path "$d:$FLUX_BACKEND_PATH" backends &&
	has "$WORK/out" "BROKEN    $d/wrong-abi.ini:2: backend 'wrong-abi': incompatible backend ABI" &&
	run 1 "$FLUX" --backend-path "$d:$FLUX_BACKEND_PATH" backends --check &&
	has "$WORK/out" "flux uses backend ABI 1.1, the module was built for ABI 99.3" &&
	has "$WORK/out" "$d/malformed.ini:2: malformed entry for 'no-symbol'" &&
	has "$WORK/out" "shadowed  by $d/malformed.ini:4" &&
	has "$WORK/err" "1 broken backend, 3 manifest problems"
}
ok "flux backends --check exits non-zero and says why" t_backends_check_fails_on_broken

t_help_everywhere() {
	run 0 "$FLUX" --help && has "$WORK/out" "Usage: flux [OPTIONS] COMMAND" || return 1
	run 0 "$FLUX" --version && has "$WORK/out" "flux 0." || return 1
	for c in init new apply rollback status validate backends; do
		run 0 "$FLUX" "$c" --help && has "$WORK/out" "Usage: flux $c" || return 1
	done
	run 2 "$FLUX" frobnicate && has "$WORK/err" "unknown command 'frobnicate'" &&
	run 2 "$FLUX" && has "$WORK/err" "Usage: flux"
}
ok "--help on every command, --version, unknown command" t_help_everywhere

done_testing
