#!/bin/sh
# SPDX-License-Identifier: MIT
# Resuming a migration that stopped half-way while it ran statement by
# statement (`-- flux: no-transaction`): after the fix, the next apply
# skips the statements that completed, provided they are unchanged;
# --restart runs it from its first statement.  On SQLite, then on a
# private PostgreSQL server when one can be started.
. "$FLUX_TEST_SRCDIR/tests/integration/lib.sh"

P="$WORK/proj"

# project BACKEND: 001_t makes table t; 002_ins inserts one row into t,
# then fails on a missing table, then would make table done.  pre-apply
# writes a row into ran, so a refused run can be seen to run nothing.
# Each starts with a fresh database (fresh_db).
project() {
	fresh_db
	rm -rf "$P"; mkdir -p "$P/migrations/pre-apply" && cd "$P" || return 1
	printf '[flux]\nbackend = "%s"\nmigration_directory = "migrations"\n' "$1" > flux.toml
	printf 'CREATE TABLE t (x int);\n' > migrations/001_t.sql
	printf -- '-- flux: no-transaction\nINSERT INTO t VALUES (1);\nINSERT INTO missing VALUES (2);\nCREATE TABLE done (x int);\n' > migrations/002_ins.sql
	printf 'CREATE TABLE IF NOT EXISTS ran (x int);\nINSERT INTO ran VALUES (1);\n' > migrations/pre-apply/p.sql
}

# The statement that failed, fixed; the first one unchanged.
fix_second() {
	printf -- '-- flux: no-transaction\nINSERT INTO t VALUES (1);\nCREATE TABLE missing (x int);\nCREATE TABLE done (x int);\n' > migrations/002_ins.sql
}

rows() { q "SELECT count(*) FROM t"; }
runs() { q "SELECT count(*) FROM ran"; }

# Apply until 002_ins stops after its first statement.
stop_half_way() {
	project "$BACKEND" || return 1
	run 1 "$FLUX" apply "$URI" -y &&
	has "$WORK/out" "'002_ins' ran outside a transaction and stopped half-way" || return 1
	eq "$(rows)" 1 && eq "$(ids)" "001_t"
}

t_status_shows_progress() {
	stop_half_way || return 1
	run 1 "$FLUX" status "$URI" && grep -q '^002_ins  *Incomplete' "$WORK/out" &&
	grep -q "002_ins: apply started .*: statement 2 of 3 failed.*; 1 of 3 ran before it" "$WORK/out" || return 1
	run 1 "$FLUX" validate "$URI" &&
	has "$WORK/err" "migration '002_ins' stopped half-way while being applied" &&
	has "$WORK/err" "run \`flux apply\`: it resumes after the statements that completed" &&
	has "$WORK/err" "\`flux apply --restart\`"
}

t_resume_after_fix() {
	stop_half_way || return 1
	fix_second
	run 0 "$FLUX" -v apply "$URI" -y &&
	has "$WORK/err" "flux: info: resuming '002_ins' after its 1 completed statement" || return 1
	# Statement 1 did not run again: still one row.
	eq "$(rows)" 1 && eq "$(ids)" "001_t 002_ins" &&
	eq "$(q "SELECT count(*) FROM _flux_migrations_incomplete")" 0 &&
	eq "$(q "SELECT count(*) FROM done")" 0 || return 1
	run 0 "$FLUX" validate "$URI" && run 0 "$FLUX" status "$URI" && hasnt "$WORK/out" "Incomplete"
}

t_changed_prefix_refused() {
	stop_half_way || return 1
	before=$(runs)
	printf -- '-- flux: no-transaction\nINSERT INTO t VALUES (10);\nCREATE TABLE missing (x int);\nCREATE TABLE done (x int);\n' > migrations/002_ins.sql
	run 1 "$FLUX" apply "$URI" -y &&
	has "$WORK/err" "flux: error: cannot resume migration '002_ins': statement 1 of the 1 that completed before it stopped has changed" &&
	has "$WORK/err" "  --> migrations/002_ins.sql:2" &&
	has "$WORK/err" "    2 | INSERT INTO t VALUES (10);" &&
	has "$WORK/err" "restore statement 1 as it was to resume after the 1 completed statements" &&
	has "$WORK/err" "\`flux apply --restart\` runs '002_ins' from its first statement" || return 1
	# Refused before the question: nothing ran, not even pre-apply.
	hasnt "$WORK/out" "Apply these migrations" &&
	eq "$(runs)" "$before" && eq "$(rows)" 1 && eq "$(ids)" "001_t" || return 1
	run 0 "$FLUX" apply "$URI" --restart -y || return 1
	# --restart ran statement 1 again: two rows (1 and 10).
	eq "$(rows)" 2 && eq "$(ids)" "001_t 002_ins" &&
	eq "$(q "SELECT count(*) FROM _flux_migrations_incomplete")" 0
}

# A mark as flux 0.2 left it: its table had no resume column.
t_old_mark_refused() {
	project "$BACKEND" || return 1
	run 0 "$FLUX" apply "$URI" 1 -y || return 1
	q "CREATE TABLE _flux_migrations_incomplete (id TEXT PRIMARY KEY, direction TEXT NOT NULL, started_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, progress TEXT NOT NULL DEFAULT '')" &&
	q "INSERT INTO _flux_migrations_incomplete (id, direction, progress) VALUES ('002_ins', 'apply', 'statement 2 failed: no such table: missing; 1 ran before it')" &&
	q "INSERT INTO t VALUES (1)" || return 1
	fix_second
	run 1 "$FLUX" apply "$URI" -y &&
	has "$WORK/err" "migration '002_ins' stopped half-way while being applied" &&
	has "$WORK/err" "and its mark does not say which statements completed" &&
	has "$WORK/err" "\`flux apply --restart\` runs it from its first statement" &&
	eq "$(rows)" 1 || return 1
	run 0 "$FLUX" apply "$URI" --restart -y && eq "$(ids)" "001_t 002_ins" &&
	eq "$(rows)" 2 && eq "$(q "SELECT count(*) FROM _flux_migrations_incomplete")" 0
}

t_restart_flag_only_where_it_means_something() {
	project "$BACKEND" || return 1
	run 2 "$FLUX" validate "$URI" --restart && has "$WORK/err" "Try 'flux validate --help'" &&
	run 0 "$FLUX" apply --help && has "$WORK/out" "--restart" &&
	run 0 "$FLUX" rollback --help && has "$WORK/out" "--restart"
}

cases() { # NAME-SUFFIX
	ok "status shows how far a stopped migration got; validate says both ways on ($1)" t_status_shows_progress
	ok "after the fix, apply resumes: statement 1 is not run again, the record is written ($1)" t_resume_after_fix
	ok "a completed statement that changed is refused, naming it, nothing run; --restart runs it all ($1)" t_changed_prefix_refused
	ok "a mark without resume data (older flux) is refused; --restart works ($1)" t_old_mark_refused
}

BACKEND=sqlite
fresh_db() { :; }  # the file goes with the project directory
DBFILE="$P/app.db"
URI="sqlite:$DBFILE"
q() { sqlite3 "$DBFILE" "$1"; }
ids() { q "SELECT group_concat(id, ' ') FROM (SELECT id FROM _flux_migrations ORDER BY id)"; }
cases sqlite
ok "--restart is an option of apply and rollback only" t_restart_flag_only_where_it_means_something

# A database without transactional DDL (the test module test-nontx):
# every migration runs statement by statement, and no failure is called
# a rollback.
t_no_transactional_ddl() {
	rm -rf "$P"; mkdir -p "$P/migrations/post-apply" "$WORK/manifests" && cd "$P" || return 1
	sed "s|@MODULES@|$FLUX_TEST_BUILDDIR/tests/plugins/.libs|" \
		"$FLUX_TEST_SRCDIR/tests/plugins/fixtures/nontx/nontx.ini" > "$WORK/manifests/nontx.ini" &&
	printf '[flux]\nbackend = "test-nontx"\nmigration_directory = "migrations"\n' > flux.toml &&
	printf 'SELECT 1;\nSELECT FAIL;\n' > migrations/001_a.sql &&
	printf 'SELECT 2;\nSELECT FAIL;\n' > migrations/post-apply/p.sql || return 1
	tflux() { "$FLUX" --backend-path "$WORK/manifests" "$@"; }
	run 1 tflux apply "test:$P/records.txt" -y &&
	has "$WORK/out" "Applied 0 of 1 migrations; '001_a' ran outside a transaction and stopped half-way (see flux status)." &&
	hasnt "$WORK/out" "rolled back" &&
	has "$WORK/err" "migration run statement by statement (the database has no transactional DDL): statement 2 of 2 failed" || return 1
	# Only the repeatable fails now: no mark, and still no rollback claimed.
	printf 'SELECT 1;\nSELECT 3;\n' > migrations/001_a.sql
	run 1 tflux apply "test:$P/records.txt" -y &&
	has "$WORK/out" "'p' ran outside a transaction and stopped after 1 of its 2 statements." &&
	hasnt "$WORK/out" "rolled back"
}
ok "no transactional DDL: statement by statement, and a failure is never called rolled back" t_no_transactional_ddl

# PostgreSQL, when its server binaries are there (pg_lib.sh would skip
# the whole script otherwise, SQLite cases included).
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	for c in status resume changed old-mark; do
		T_NUM=$((T_NUM + 1))
		echo "ok $T_NUM - $c (postgres) # SKIP no PostgreSQL server binaries (initdb)"
	done
	done_testing
	exit $?
fi
. "$FLUX_TEST_SRCDIR/tests/integration/pg_lib.sh"
BACKEND=postgres
fresh_db() { newdb; }
q() { sql "$1"; }
ids() { sql "SELECT string_agg(id, ' ' ORDER BY id) FROM _flux_migrations"; }
cases postgres
done_testing
