#!/bin/sh
# SPDX-License-Identifier: MIT
# flux backends, --help and --version through the real binary.
. "$FLUX_TEST_SRCDIR/tests/integration/lib.sh"
needs_backend sqlite postgres

t_backends_lists_build_tree() {
	run 0 "$FLUX" backends --check &&
	has "$WORK/out" "sqlite  SQLite database files" &&
	has "$WORK/out" "postgres  PostgreSQL over libpq" &&
	has "$WORK/out" "test-good  test backend" &&
	has "$WORK/out" "abi       2.0" &&
	has "$WORK/out" "manifest  $BUILD_BACKENDS/builtin.ini:3" &&
	has "$WORK/out" "manifest  $FLUX_TEST_BUILDDIR/tests/plugins/flux.backend/test.ini:3" || return 1
	# Which optional operations each module has, and its DDL, after its
	# manifest line (the test module leaves run_step out, as SQLite does).
	eq "$(grep -E '^  (sqlite|postgres|test-good)  |^    (optional|DDL) ' "$WORK/out" |
	      sed 's/  */ /g' | cut -d' ' -f2- | cut -d'(' -f1 | tr '\n' '|')" \
	   "sqlite SQLite database files, embedded |optional cancel, redact_uri, describe_sql|DDL transactional|postgres PostgreSQL over libpq |optional run_step, cancel, redact_uri, describe_sql|DDL transactional|test-good test backend keeping records in a text file |optional cancel, redact_uri, describe_sql|DDL transactional|" || return 1
	# What a user of the build tree sees (tools/quickstart, README): the
	# real backends, not the tests' module.
	run 0 env FLUX_BACKEND_PATH="$BUILD_BACKENDS" "$FLUX" backends --check &&
	has "$WORK/out" "sqlite  SQLite database files" &&
	hasnt "$WORK/out" "test-good" && hasnt "$WORK/out" "test_good"
}
ok "flux backends --check lists the build tree's backends, and the tests' apart" t_backends_lists_build_tree

t_backends_check_fails_on_broken() {
	d="$WORK/broken"; mkdir -p "$d"
	sed "s|@MODULES@|$FLUX_TEST_BUILDDIR/tests/plugins/.libs|" \
		"$FLUX_TEST_SRCDIR/tests/plugins/fixtures/wrong-abi/wrong-abi.ini" > "$d/wrong-abi.ini"
	sed "s|@MODULES@|$FLUX_TEST_BUILDDIR/tests/plugins/.libs|" \
		"$FLUX_TEST_SRCDIR/tests/plugins/fixtures/malformed/malformed.ini" > "$d/malformed.ini"
	run 0 "$FLUX" --backend-path "$d:$FLUX_BACKEND_PATH" backends &&
	has "$WORK/out" "BROKEN    $d/wrong-abi.ini:2: backend 'wrong-abi': incompatible backend ABI" &&
	run 1 "$FLUX" --backend-path "$d:$FLUX_BACKEND_PATH" backends --check &&
	has "$WORK/out" "flux uses backend ABI 2.0, the module was built for ABI 3.1" &&
	has "$WORK/out" "$d/malformed.ini:2: malformed entry for 'no-symbol'" &&
	has "$WORK/out" "shadowed  by $d/malformed.ini:4" &&
	has "$WORK/err" "1 broken backend, 3 manifest problems"
}
ok "flux backends --check exits non-zero and says why" t_backends_check_fails_on_broken

# skip NAME REASON: a case this user cannot run, counted as such.
skip() {
	T_NUM=$((T_NUM + 1))
	echo "ok $T_NUM - $1 # SKIP $2"
}

MODULES=$FLUX_TEST_BUILDDIR/tests/plugins/.libs
# trust_dir NAME MODE: $WORK/NAME holding mod.so (a copy of the test module,
# mode MODE) and m.ini naming it as backend 't'.
trust_dir() {
	d="$WORK/$1"; mkdir -p "$d" && chmod 700 "$d" &&
	cp "$MODULES/test_good.so" "$d/mod.so" && chmod "$2" "$d/mod.so" &&
	printf '[flux.backend]\nt = mod.so:test_good_backend\n' > "$d/m.ini" && chmod 644 "$d/m.ini"
}

t_untrusted_module_refused() {
	trust_dir ww 757 &&
	! "$FLUX" --backend-path "$WORK/ww" backends --check >"$WORK/out" 2>"$WORK/err" &&
	has "$WORK/out" "BROKEN    $WORK/ww/m.ini:2: backend 't': refused module $WORK/ww/mod.so: writable by others (mode 0757)" &&
	has "$WORK/err" "1 broken backend" || return 1
	# The same through a command that uses it.
	mkdir -p "$WORK/proj/migrations" &&
	printf '[flux]\nbackend = "t"\nmigration_directory = "migrations"\n' > "$WORK/proj/flux.toml" &&
	! (cd "$WORK/proj" && "$FLUX" --backend-path "$WORK/ww" status x) >"$WORK/out" 2>"$WORK/err" &&
	has "$WORK/err" "refused module $WORK/ww/mod.so: writable by others (mode 0757)" &&
	has "$WORK/err" "FLUX_INSECURE_BACKENDS=1" || return 1
	# The development-tree opt-out.
	run 0 env FLUX_INSECURE_BACKENDS=1 "$FLUX" --backend-path "$WORK/ww" backends --check &&
	has "$WORK/out" "Trust checks: off (FLUX_INSECURE_BACKENDS=1)"
}
ok "a world-writable module is refused, naming it and why" t_untrusted_module_refused

t_module_of_another_user_refused() {
	trust_dir other 755 && chown nobody "$WORK/other/mod.so" &&
	! "$FLUX" --backend-path "$WORK/other" backends --check >"$WORK/out" 2>&1 &&
	has "$WORK/out" "refused module $WORK/other/mod.so: owned by uid $(id -u nobody), not by root"
}
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	ok "a module owned by another user is refused" t_module_of_another_user_refused
else
	skip "a module owned by another user is refused" "only root can give a file to another user"
fi

t_world_writable_dir_refused() {
	trust_dir open 755 && chmod 777 "$WORK/open" &&
	! "$FLUX" --backend-path "$WORK/open" backends --check >"$WORK/out" 2>&1 &&
	has "$WORK/out" "$WORK/open: refused: writable by others and not sticky (mode 0777); no backend defined there is used" &&
	has "$WORK/out" "BROKEN    $WORK/open/m.ini:2: backend 't': refused: $WORK/open: writable by others" || return 1
	chmod 1777 "$WORK/open" && run 0 "$FLUX" --backend-path "$WORK/open" backends --check
}
ok "a world-writable manifest directory without the sticky bit is refused" t_world_writable_dir_refused

t_fifo_and_device_skipped() {
	d="$WORK/special"; mkdir -p "$d" && mkfifo "$d/a.ini" && ln -s /dev/zero "$d/z.ini" &&
	cp "$BUILD_BACKENDS/builtin.ini" "$d/b.ini" || return 1
	# Today a FIFO blocks every command for ever: give it a generous bound.
	timeout 60 "$FLUX" --backend-path "$d" backends >"$WORK/out" 2>"$WORK/err"
	eq "$?" 0 &&
	has "$WORK/out" "$d/a.ini: skipped: not a regular file (a FIFO)" &&
	has "$WORK/out" "$d/z.ini: skipped: not a regular file (a character device)" &&
	has "$WORK/out" "sqlite  SQLite database files" || return 1
	# Every command says what it skipped, not only `flux backends`.
	p="$WORK/special-proj"; mkdir -p "$p/migrations" &&
	printf '[flux]\nbackend = "sqlite"\nmigration_directory = "migrations"\n' > "$p/flux.toml" &&
	timeout 60 "$FLUX" --backend-path "$d" -c "$p/flux.toml" status "sqlite:$p/db" \
		>"$WORK/out" 2>"$WORK/err"
	eq "$?" 0 && has "$WORK/err" "flux: warning: $d/a.ini: skipped: not a regular file (a FIFO)"
}
ok "a FIFO and a link to /dev/zero among the manifests are skipped, not read, with a warning on every command" \
	t_fifo_and_device_skipped

# A setgid program runs in secure mode (AT_SECURE): FLUX_BACKEND_PATH and
# FLUX_INSECURE_BACKENDS must be ignored, or whoever starts it picks the
# code it loads.  search_path is a libflux program that can run setgid
# (flux itself is a libtool wrapper script until installed).
t_setgid_ignores_environment() {
	cp "$FLUX_TEST_BUILDDIR/tests/unit/search_path" "$WORK/sp" &&
	trust_dir gw 755 && chgrp nogroup "$WORK/gw/m.ini" && chmod 664 "$WORK/gw/m.ini" || return 1
	# Control: not setgid, both variables are honoured.
	run 0 env FLUX_BACKEND_PATH="$WORK/gw" FLUX_INSECURE_BACKENDS=1 "$WORK/sp" - t &&
	has "$WORK/out" "dir $WORK/gw" && has "$WORK/out" "loaded test-good" || return 1
	chgrp nogroup "$WORK/sp" && chmod 2755 "$WORK/sp" || return 1
	run 1 env FLUX_BACKEND_PATH="$WORK/gw" "$WORK/sp" - t &&
	hasnt "$WORK/out" "dir $WORK/gw" && has "$WORK/out" "no backend t" || return 1
	run 1 env FLUX_INSECURE_BACKENDS=1 "$WORK/sp" "$WORK/gw" t &&
	has "$WORK/out" "refused: $WORK/gw/m.ini: writable by its group"
}
if [ "$(id -u)" -eq 0 ] && getent group nogroup >/dev/null; then
	ok "a setgid process ignores FLUX_BACKEND_PATH and FLUX_INSECURE_BACKENDS" t_setgid_ignores_environment
else
	skip "a setgid process ignores FLUX_BACKEND_PATH and FLUX_INSECURE_BACKENDS" \
		"making a setgid program for another group needs root"
fi

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
