#!/bin/sh
# SPDX-License-Identifier: MIT
# The PostgreSQL backend against a real server that this script starts
# (tools/pg-test-server) and stops, even on failure.
. "$FLUX_TEST_SRCDIR/tests/integration/lib.sh"
needs_backend postgres

. "$FLUX_TEST_SRCDIR/tests/integration/pg_lib.sh"
P="$WORK/proj"

ids() { sql "SELECT string_agg(id, ' ' ORDER BY id) FROM ${1:-public._flux_migrations}"; }

project() {
	rm -rf "$P"; mkdir -p "$P/migrations/post-apply"; cd "$P" || return 1
	printf '[flux]\nbackend = "postgres"\nmigration_directory = "migrations"\n\n[backend]\n%s\n' "${1:-}" > flux.toml
	printf 'CREATE TABLE a (x int);\n' > migrations/001_a.sql
	printf 'DROP TABLE a;\n' > migrations/001_a.undo.sql
	cat > migrations/002_fn.sql <<'SQL'
CREATE FUNCTION add_one(i int) RETURNS int AS $$
BEGIN
    RETURN i + 1; -- a semicolon inside dollar quotes
END
$$ LANGUAGE plpgsql;
DO $do$ BEGIN PERFORM add_one(1); END $do$;
SQL
	printf 'DROP FUNCTION add_one(int);\n' > migrations/002_fn.undo.sql
	printf 'def apply():\n    return "CREATE TABLE c (x int);"\n\ndef undo():\n    return "DROP TABLE c;"\n' > migrations/003_c.py
	printf 'CREATE OR REPLACE VIEW v AS SELECT 1 AS one;\n' > migrations/post-apply/v.sql
}

t_apply_status_rollback() {
	newdb; project
	run 0 "$FLUX" apply "$URI" 2 -y && eq "$(ids)" "001_a 002_fn" || return 1
	eq "$(sql "SELECT add_one(41)")" 42 || return 1
	run 0 "$FLUX" apply "$URI" -y && eq "$(ids)" "001_a 002_fn 003_c" || return 1
	eq "$(sql "SELECT hash FROM _flux_migrations WHERE id = '001_a'")" \
	   "$(md5sum < migrations/001_a.sql | cut -d' ' -f1)" || return 1
	run 0 "$FLUX" status "$URI" && grep -q '^003_c  *Applied ' "$WORK/out" || return 1
	run 0 "$FLUX" rollback "$URI" --to 002_fn -y && eq "$(ids)" "001_a" || return 1
	eq "$(sql "SELECT count(*) FROM pg_proc WHERE proname = 'add_one'")" 0 || return 1
	eq "$(sql "SELECT column_name || ' ' || data_type || ' ' || is_nullable FROM information_schema.columns WHERE table_name = '_flux_migrations' ORDER BY ordinal_position" | tr '\n' ',')" \
	   "id text NO,hash text NO,applied_at timestamp without time zone NO,"
}
ok "apply N / all, status, rollback --to; record table as upstream's" t_apply_status_rollback

t_python_prefilled_table() {
	newdb; project
	# The record table exactly as the Python tool creates and fills it.
	sql "CREATE TABLE public._flux_migrations (id text primary key, hash text not null, applied_at timestamp not null default current_timestamp);
	     CREATE TABLE a (x int);
	     INSERT INTO _flux_migrations VALUES ('001_a', '$(md5sum < migrations/001_a.sql | cut -d' ' -f1)', '2023-05-01 10:00:00');" || return 1
	run 0 "$FLUX" validate "$URI" && has "$WORK/out" "OK: 1 applied migrations match" || return 1
	run 0 "$FLUX" apply "$URI" -y && eq "$(ids)" "001_a 002_fn 003_c" &&
	eq "$(sql "SELECT applied_at FROM _flux_migrations WHERE id = '001_a'")" "2023-05-01 10:00:00"
}
ok "a database migrated by the Python tool is validated and continued" t_python_prefilled_table

t_custom_schema_table_lock() {
	newdb; project 'migrations_schema = "flux_meta"
migrations_table = "history"
migrations_lock_id = 4242'
	run 0 "$FLUX" apply "$URI" -y && eq "$(ids flux_meta.history)" "001_a 002_fn 003_c" || return 1
	eq "$(sql "SELECT to_regclass('public._flux_migrations') IS NULL")" t || return 1
	# Another session holds lock 4242: flux waits, names the holder, gives up.
	psql -d "$DB" -c "SET application_name = 'holder'" -c "SELECT pg_advisory_lock(4242)" -c "SELECT pg_sleep(20)" >/dev/null 2>&1 &
	holder=$!
	n=0
	until [ "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND granted")" = 1 ]; do
		n=$((n + 1)); [ $n -lt 100 ] || { echo "the holder never took lock 4242"; return 1; }
		sleep 0.1
	done
	run 0 timeout 20 "$FLUX" status "$URI" && has "$WORK/out" "3 of 3 applied" &&
	run 1 "$FLUX" apply "$URI" -y --lock-timeout 2
	rc=$?
	sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'holder'" >/dev/null
	kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
	sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'holder'" >/dev/null
	[ $rc -eq 0 ] && has "$WORK/err" "waiting for advisory lock 4242 (migrations_lock_id), held by pid" &&
	has "$WORK/err" "application_name 'holder'" &&
	grep -Eq "gave up after [0-9]+\.[0-9] s waiting for advisory lock 4242 \(migrations_lock_id\), held by pid" "$WORK/err"
}
ok "custom schema, table and lock id; lock timeout names the holder" t_custom_schema_table_lock

t_status_creates_nothing() {
	newdb; project 'migrations_schema = "flux_meta"'
	run 0 "$FLUX" status "$URI" && has "$WORK/out" "0 of 3 applied" &&
	run 0 "$FLUX" validate "$URI" &&
	eq "$(sql "SELECT count(*) FROM pg_namespace WHERE nspname = 'flux_meta'")" 0 &&
	eq "$(sql "SELECT count(*) FROM pg_tables WHERE tablename LIKE '%flux%'")" 0
}
ok "status and validate create nothing: no schema, no record table" t_status_creates_nothing

t_bad_options() {
	newdb; project 'migrations_lock_id = "abc"'
	run 1 "$FLUX" apply "$URI" -y && has "$WORK/err" "flux.toml:6: [backend] migrations_lock_id must be an integer, not 'abc'" || return 1
	project 'migrations_table = "x; DROP TABLE y"'
	run 1 "$FLUX" apply "$URI" -y &&
	has "$WORK/err" "flux.toml:6: [backend] migrations_table 'x; DROP TABLE y' must match ^[A-Za-z0-9_]+\$" || return 1
	eq "$(sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" 0
}
ok "invalid lock id and unsafe table names are refused before any SQL" t_bad_options

t_error_position() {
	newdb; project
	printf -- '-- make b\nCREATE TABLE b (\n    x int,\n    y intt\n);\n' > migrations/002_fn.sql
	run 1 "$FLUX" apply "$URI" -y &&
	has "$WORK/err" 'flux: error: type "intt" does not exist' &&
	has "$WORK/err" "  --> migrations/002_fn.sql:4:7" &&
	has "$WORK/err" "    4 |     y intt" &&
	has "$WORK/err" "      |       ^" &&
	has "$WORK/err" "  SQLSTATE: 42704" || return 1
	eq "$(ids)" "001_a" && eq "$(sql "SELECT to_regclass('b') IS NULL")" t &&
	eq "$(sql "SELECT count(*) FROM pg_views WHERE viewname = 'v'")" 1
}
ok "a failing migration: SQLSTATE, file:line:column, rolled back, post-apply ran" t_error_position

# A migration of 3 MB: above the backend's 1 MiB, it goes to the server as
# several queries of whole statements (BEGIN, the pieces, record and
# COMMIT) rather than one.  A function body of 1.2 MB holding semicolons
# (a statement longer than a piece) comes first; each INSERT holds a
# two-byte character (the server counts positions in characters, per
# piece).  $1: the bad line's text.
large_migration() {
	awk -v bad="$1" 'BEGIN {
		print "CREATE TABLE big2 (id int PRIMARY KEY, v text);"
		printf "CREATE FUNCTION long_text() RETURNS text LANGUAGE sql AS $body$\nSELECT '\''"
		for (i = 0; i < 200000; i++) printf "a;b;c;"
		printf "'\''\n$body$;\n"
		for (i = 1; i <= 40000; i++)
			printf "INSERT INTO big2 VALUES (%d, '\''h\303\251llo; some text %d'\'');\n", i, i
		print bad
		for (i = 40001; i <= 42000; i++)
			printf "INSERT INTO big2 VALUES (%d, '\''h\303\251llo; some text %d'\'');\n", i, i
	}' > migrations/002_fn.sql
}
t_large_migration() {
	newdb; project
	large_migration "INSERT INTO big2 VALUES ('x', 'the bad line');"
	[ "$(wc -c < migrations/002_fn.sql)" -gt 3000000 ] || return 1
	# Line 1, 2, 3 (the body), 4; the INSERTs from line 5 on: the bad one is 40005.
	run 1 "$FLUX" -vv apply "$URI" -y &&
	has "$WORK/err" "sending 3" && has "$WORK/err" "bytes of SQL as queries of whole statements" &&
	has "$WORK/err" 'flux: error: invalid input syntax for type integer: "x"' &&
	has "$WORK/err" "  --> migrations/002_fn.sql:40005:26" &&
	has "$WORK/err" "  SQLSTATE: 22P02" || return 1
	# Nothing of it remains; the lock is free; post-apply ran.
	eq "$(ids)" "001_a" && eq "$(sql "SELECT to_regclass('big2') IS NULL")" t &&
	eq "$(sql "SELECT count(*) FROM pg_proc WHERE proname = 'long_text'")" 0 &&
	eq "$(sql "SELECT pg_try_advisory_lock(3589) AND pg_advisory_unlock(3589)")" t &&
	eq "$(sql "SELECT count(*) FROM pg_views WHERE viewname = 'v'")" 1 || return 1
	large_migration "INSERT INTO big2 VALUES (0, 'the good line');"
	run 0 "$FLUX" -vv apply "$URI" -y && has "$WORK/err" "sent them as " &&
	eq "$(ids)" "001_a 002_fn 003_c" &&
	eq "$(sql "SELECT count(*) FROM big2")" 42001 &&
	eq "$(sql "SELECT length(long_text())")" 1200000 &&
	eq "$(sql "SELECT hash FROM _flux_migrations WHERE id = '002_fn'")" \
		"$(md5sum < migrations/002_fn.sql | cut -d' ' -f1)"
}
ok "a 3 MB migration, sent in pieces: a failure on line 40005 rolls all of it back and is placed exactly" t_large_migration

t_error_detail_hint() {
	newdb; project
	printf 'CREATE TABLE u (x int UNIQUE);\nINSERT INTO u VALUES (1), (1);\n' > migrations/002_fn.sql
	run 1 "$FLUX" apply "$URI" -y &&
	has "$WORK/err" "flux: error: duplicate key value violates unique constraint \"u_x_key\"" &&
	has "$WORK/err" "  SQLSTATE: 23505" && has "$WORK/err" "  detail: Key (x)=(1) already exists." || return 1
	printf 'SELECT no_such_fn(1);\n' > migrations/002_fn.sql
	run 1 "$FLUX" apply "$URI" -y &&
	has "$WORK/err" "  --> migrations/002_fn.sql:1:8" &&
	has "$WORK/err" "  hint: No function matches the given name and argument types."
}
ok "the server's DETAIL and HINT are printed with the error" t_error_detail_hint

t_uri_forms_and_password() {
	newdb; project
	run 0 "$FLUX" apply "postgresql+asyncpg://$PGUSER:s3cretpw@/$DB?host=$PGHOST" 1 -y &&
	hasnt "$WORK/out" "s3cretpw" && hasnt "$WORK/err" "s3cretpw" || return 1
	run 0 "$FLUX" apply "host=$PGHOST dbname=$DB user=$PGUSER password=s3cretpw" 1 -y &&
	hasnt "$WORK/out" "s3cretpw" || return 1
	# Verbose logs name the connection, never the password.
	run 0 "$FLUX" -vv status "postgresql://$PGUSER:s3cretpw@/$DB?host=$PGHOST&password=s3cretpw" &&
	has "$WORK/err" "flux: info: connected to postgresql://$PGUSER:****@/$DB?host=$PGHOST&password=****" &&
	hasnt "$WORK/err" "s3cretpw" && hasnt "$WORK/out" "s3cretpw" || return 1
	# A libpq service file, as libpq users keep them.
	printf '[fluxsvc]\nhost=%s\ndbname=%s\nuser=%s\n' "$PGHOST" "$DB" "$PGUSER" > "$WORK/pg_service.conf"
	PGSERVICEFILE="$WORK/pg_service.conf" run 0 "$FLUX" status "service=fluxsvc" &&
	has "$WORK/out" "2 of 3 applied" || return 1
	PGSERVICEFILE="$WORK/pg_service.conf" PGSERVICE=fluxsvc run 0 "$FLUX" status "postgresql://" &&
	has "$WORK/out" "2 of 3 applied" || return 1
	run 0 "$FLUX" status "postgresql+aiopg:///$DB?host=$PGHOST" && has "$WORK/out" "2 of 3 applied" || return 1
	run 0 "$FLUX" status "postgres:///$DB?host=$PGHOST" && has "$WORK/out" "2 of 3 applied" || return 1
	PGDATABASE=$DB run 0 "$FLUX" status "postgresql://" && has "$WORK/out" "2 of 3 applied" || return 1
	run 1 "$FLUX" status "postgresql://nobody:pw123@/nosuchdb?host=$PGHOST" &&
	has "$WORK/err" "cannot connect to PostgreSQL" && hasnt "$WORK/err" "pw123"
}
ok "asyncpg/aiopg/postgres:// URIs, key=value, PG* defaults, service files; passwords never shown" t_uri_forms_and_password

t_password_auth() {
	newdb; project
	# A role that must give a password (scram), in a database it owns.
	psql -q -c "CREATE ROLE pwuser LOGIN PASSWORD 'pw-s3cret'" -c "CREATE DATABASE pwdb OWNER pwuser" >/dev/null || return 1
	hba="$PGDIR/data/pg_hba.conf"
	{ echo "local all pwuser scram-sha-256"; cat "$hba"; } > "$WORK/hba" && cat "$WORK/hba" > "$hba" &&
	psql -qtA -c "SELECT pg_reload_conf()" >/dev/null || return 1
	u="postgresql://pwuser@/pwdb?host=$PGHOST"
	run 1 "$FLUX" status "$u" && has "$WORK/err" "cannot connect to PostgreSQL" || return 1
	PGPASSWORD=pw-s3cret run 0 "$FLUX" apply "$u" -y && has "$WORK/out" "Applied 3 migrations" || return 1
	printf '*:*:pwdb:pwuser:pw-s3cret\n' > "$WORK/pgpass" && chmod 600 "$WORK/pgpass" &&
	PGPASSFILE="$WORK/pgpass" run 0 "$FLUX" status "$u" && has "$WORK/out" "3 of 3 applied" || return 1
	run 1 "$FLUX" status "postgresql://pwuser:wrong-pw@/pwdb?host=$PGHOST" &&
	has "$WORK/err" "password authentication failed" && hasnt "$WORK/err" "wrong-pw"
}
ok "password authentication: PGPASSWORD and PGPASSFILE work; a wrong password is refused, never shown" t_password_auth

t_no_transaction() {
	newdb; project
	sql "CREATE TABLE big (x int)"
	printf -- '-- flux: no-transaction\nCREATE INDEX CONCURRENTLY big_x ON big (x);\nCREATE FUNCTION two() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT CASE WHEN true THEN 2 END;\nEND;\nVACUUM big;\n' > migrations/002_fn.sql
	run 0 "$FLUX" apply "$URI" -y && eq "$(ids)" "001_a 002_fn 003_c" &&
	eq "$(sql "SELECT count(*) FROM pg_indexes WHERE indexname = 'big_x'")" 1 &&
	eq "$(sql "SELECT two()")" 2 || return 1
	newdb; project
	printf -- '-- flux: no-transaction\nCREATE TABLE n1 (x int);\nCREATE TABLE n2 (x nosuchtype);\nCREATE TABLE n3 (x int);\n' > migrations/002_fn.sql
	run 1 "$FLUX" apply "$URI" -y &&
	has "$WORK/err" "statement 2 of 3 failed; the statements before it ran and stay in effect" &&
	has "$WORK/err" "migrations/002_fn.sql:3:20" || return 1
	eq "$(ids)" "001_a" && eq "$(sql "SELECT to_regclass('n1') IS NOT NULL, to_regclass('n3') IS NULL")" "t|t"
}
ok "-- flux: no-transaction: statements one by one (BEGIN ATOMIC bodies whole); a half-way failure says what ran" t_no_transaction

# A no-transaction migration of three CREATE INDEX CONCURRENTLY whose
# second fails.  $1 is the second statement.
three_indexes() {
	printf -- '-- flux: no-transaction\nCREATE INDEX CONCURRENTLY big_x ON big (x);\n%s;\nCREATE INDEX CONCURRENTLY big_z ON big (x);\n' "$1" > migrations/002_fn.sql
}
indexes() { sql "SELECT coalesce(string_agg(indexname, ' ' ORDER BY indexname), '') FROM pg_indexes WHERE tablename = 'big'"; }
mark() { sql "SELECT coalesce(string_agg(id || ' ' || direction, ', '), '') FROM _flux_migrations_incomplete"; }

t_no_transaction_incomplete() {
	newdb; project
	sql "CREATE TABLE big (x int)"
	three_indexes 'CREATE INDEX CONCURRENTLY big_y ON big (nosuchcol)'
	run 1 "$FLUX" apply "$URI" -y &&
	has "$WORK/out" "'002_fn' ran outside a transaction and stopped half-way" &&
	has "$WORK/err" "statement 2 of 3 failed; the statements before it ran and stay in effect" &&
	has "$WORK/err" "migrations/002_fn.sql:3:" || return 1
	run 1 "$FLUX" status "$URI" && grep -q '^002_fn  *Incomplete' "$WORK/out" &&
	has "$WORK/out" '002_fn: apply started' &&
	has "$WORK/out" 'statement 2 of 3 failed (SQLSTATE 42703): column "nosuchcol" does not exist; 1 of 3 ran before it' || return 1
	run 1 "$FLUX" validate "$URI" &&
	has "$WORK/err" "migration '002_fn' stopped half-way while being applied" || return 1
	eq "$(mark)" "002_fn apply" && eq "$(indexes)" "big_x" || return 1
	# Statement 2 fixed, statement 1 as it ran: flux resumes after it.  Run
	# again, statement 1 would fail (big_x exists).
	three_indexes 'CREATE INDEX CONCURRENTLY big_y ON big (x)'
	run 0 "$FLUX" -v apply "$URI" -y && has "$WORK/err" "resuming '002_fn' after its 1 completed statement" &&
	eq "$(ids)" "001_a 002_fn 003_c" && eq "$(indexes)" "big_x big_y big_z" && eq "$(mark)" "" &&
	run 0 "$FLUX" validate "$URI"
}
ok "no-transaction failure half-way: Incomplete in status, validate exit 1; fixed, apply resumes after the statements that ran" t_no_transaction_incomplete

t_no_transaction_restart() {
	newdb; project
	sql "CREATE TABLE big (x int)"
	three_indexes 'CREATE INDEX CONCURRENTLY big_y ON big (nosuchcol)'
	run 1 "$FLUX" apply "$URI" -y && eq "$(mark)" "002_fn apply" || return 1
	# Statement 1 changed since it ran: resuming would skip what is not
	# what ran, so flux refuses and changes nothing.
	printf -- '-- flux: no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS big_w ON big (x);\nCREATE INDEX CONCURRENTLY big_y ON big (x);\nCREATE INDEX CONCURRENTLY big_z ON big (x);\n' > migrations/002_fn.sql
	run 1 "$FLUX" apply "$URI" -y &&
	has "$WORK/err" "cannot resume migration '002_fn': statement 1 of the 1 that completed before it stopped has changed" &&
	has "$WORK/err" "flux apply --restart" || return 1
	eq "$(ids)" "001_a" && eq "$(indexes)" "big_x" && eq "$(mark)" "002_fn apply" || return 1
	# --restart: from the first statement (big_w is made), to the end.
	run 0 "$FLUX" apply "$URI" -y --restart &&
	eq "$(ids)" "001_a 002_fn 003_c" && eq "$(indexes)" "big_w big_x big_y big_z" &&
	eq "$(mark)" "" && run 0 "$FLUX" validate "$URI"
}
ok "no-transaction migration stopped half-way, statement 1 changed: resuming refused; apply --restart runs it from its first statement" t_no_transaction_restart

# Wait until the server runs a statement of flux's containing TEXT.
wait_for_query() {
	n=0
	until [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'flux' AND datname = current_database() AND state = 'active' AND query LIKE '%$1%'")" = 1 ]; do
		n=$((n + 1)); [ $n -lt 100 ] || { echo "flux never reached $1"; return 1; }
		sleep 0.1
	done
}

# Start `flux apply` in the background with 002_fn sleeping in the server
# (with `no-transaction`: between two statements that run outside a
# transaction); returns once the server runs the sleep, flux's pid in $fpid.
start_sleeping_apply() {
	if [ "${1:-}" = no-transaction ]; then
		printf -- '-- flux: no-transaction\nCREATE TABLE k1 (x int);\nSELECT pg_sleep(20);\nCREATE TABLE k2 (x int);\n' > migrations/002_fn.sql
	else
		printf 'CREATE TABLE slow (x int);\nSELECT pg_sleep(20);\n' > migrations/002_fn.sql
	fi
	"$FLUX" apply "$URI" -y </dev/null >"$WORK/out" 2>"$WORK/err" &
	fpid=$!
	wait_for_query pg_sleep
}

t_killed_no_transaction() {
	newdb; project
	start_sleeping_apply no-transaction || return 1
	# flux dies without a word, then its orphaned session goes too.
	kill -9 $fpid; wait $fpid 2>/dev/null
	sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'flux'" >/dev/null
	run 1 "$FLUX" status "$URI" &&
	grep -q '^002_fn  *Incomplete' "$WORK/out" && has "$WORK/out" "1 of 3 statements ran" || return 1
	eq "$(ids)" "001_a" && eq "$(sql "SELECT to_regclass('k1') IS NOT NULL, to_regclass('k2') IS NULL")" "t|t"
}
ok "flux killed inside a no-transaction migration: the mark says 1 of 3 statements ran" t_killed_no_transaction

t_statement_timeout() {
	newdb; project
	printf 'CREATE TABLE slow (x int);\nSELECT pg_sleep(5);\n' > migrations/002_fn.sql
	run 1 "$FLUX" apply "$URI&options=-c%20statement_timeout%3D300" -y &&
	has "$WORK/err" "canceling statement due to statement timeout" &&
	has "$WORK/err" "SQLSTATE: 57014" &&
	has "$WORK/out" "Applied 1 of 3 migrations; '002_fn' failed and was rolled back" || return 1
	eq "$(ids)" "001_a" && eq "$(sql "SELECT to_regclass('slow') IS NULL")" t
}
ok "statement_timeout mid-run: clear error, the migration rolled back, earlier ones kept" t_statement_timeout

t_eight_processes() {
	newdb; project
	i=10; while [ $i -lt 40 ]; do printf 'CREATE TABLE t%s (x int);\n' $i > migrations/0${i}_t.sql; i=$((i + 1)); done
	parallel_apply 8 "$URI" &&
	eq "$(sql "SELECT count(*), count(DISTINCT id) FROM _flux_migrations")" "33|33" &&
	eq "$(applied_lines)" 33
}
ok "8 flux apply processes at once: each migration applied exactly once, all exit 0" t_eight_processes

# flux lost its connection inside 002_fn and exited with status $1: it
# must be 1 with a clear error, and the record table must hold exactly
# what committed.
check_lost_in_002() {
	[ "$1" -eq 1 ] || { echo "exit status $1"; cat "$WORK/err"; return 1; }
	has "$WORK/err" "migration: 002_fn" &&
	has "$WORK/err" "the record table shows exactly what committed" || return 1
	eq "$(ids)" "001_a" && eq "$(sql "SELECT to_regclass('slow') IS NULL")" t
}

t_killed_connection() {
	newdb; project
	start_sleeping_apply || return 1
	sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'flux'" >/dev/null
	wait $fpid
	check_lost_in_002 $? && has "$WORK/err" "terminating connection due to administrator command"
}
ok "connection killed mid-migration: clear error, record table says what committed" t_killed_connection

t_killed_server() {
	newdb; project
	start_sleeping_apply || return 1
	"$FLUX_TEST_SRCDIR/tools/pg-test-server" stop "$PGDIR"
	wait $fpid
	st=$?
	"$FLUX_TEST_SRCDIR/tools/pg-test-server" restart "$PGDIR" || return 1
	check_lost_in_002 $st
}
ok "server killed mid-migration: clear error; after restart the record table says what committed" t_killed_server

t_interrupted() {
	newdb; project
	start_sleeping_apply || return 1
	t0=$(date +%s)
	kill -INT $fpid
	wait $fpid
	rc=$?
	[ $rc -eq 130 ] || { echo "exit status $rc"; cat "$WORK/err"; return 1; }
	# Cancelled on the server at once, not after the 20 s sleep.
	[ $(($(date +%s) - t0)) -lt 10 ] || { echo "took $(($(date +%s) - t0)) s"; return 1; }
	has "$WORK/err" "flux: error: cancelled while applying '002_fn'; it was rolled back" &&
	has "$WORK/err" "canceling statement due to user request" &&
	has "$WORK/out" "Applied 1 of 3 migrations; cancelled." || return 1
	# Nothing of 002_fn, no post-apply after a cancel, and the lock is free.
	eq "$(ids)" "001_a" && eq "$(sql "SELECT to_regclass('slow') IS NULL")" t &&
	eq "$(sql "SELECT count(*) FROM pg_views WHERE viewname = 'v'")" 0 &&
	eq "$(sql "SELECT pg_try_advisory_lock(3589) AND pg_advisory_unlock(3589)")" t || return 1
	# A no-transaction migration stopped this way is Incomplete.
	start_sleeping_apply no-transaction || return 1
	kill -TERM $fpid
	wait $fpid
	rc=$?
	[ $rc -eq 143 ] || { echo "exit status $rc"; cat "$WORK/err"; return 1; }
	has "$WORK/err" "cancelled while applying '002_fn'; it ran outside a transaction and stopped half-way" &&
	run 1 "$FLUX" status "$URI" && has "$WORK/out" "statement 2 of 3 failed (SQLSTATE 57014): canceling statement due to user request; 1 of 3 ran before it"
}
ok "SIGINT/SIGTERM mid-migration: cancelled on the server and rolled back (or Incomplete), no post-apply, exit 130/143" t_interrupted

done_testing
