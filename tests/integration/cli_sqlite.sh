#!/bin/sh
# SPDX-License-Identifier: MIT
# The flux binary against real SQLite files: every UPSTREAM.md behaviour.
. "$FLUX_TEST_SRCDIR/tests/integration/lib.sh"
needs_backend sqlite

P="$WORK/proj"
DB="$P/app.db"

fresh() {
	sqlite_project "$P" && mkdir -p migrations/pre-apply migrations/post-apply || return 1
	printf 'def apply():\n    return "CREATE TABLE c (x int);"\n\ndef undo():\n    return "DROP TABLE c;"\n' > migrations/003_c.py
	printf 'CREATE TABLE IF NOT EXISTS log (stage text);\nINSERT INTO log VALUES ('"'pre'"');\n' > migrations/pre-apply/p.sql
	printf 'INSERT INTO log VALUES ('"'post'"');\n' > migrations/post-apply/q.sql
}

q() { sqlite3 "$DB" "$1"; }
ids() { q "SELECT group_concat(id, ' ') FROM (SELECT id FROM _flux_migrations ORDER BY id)"; }

t_init() {
	d="$WORK/init"; rm -rf "$d"; mkdir -p "$d"; cd "$d" || return 1
	run 0 "$FLUX" init sqlite || return 1
	eq "$(cat flux.toml)" "$(printf '[flux]\nbackend = "sqlite"\nmigration_directory = "migrations"\n\n[backend]\n# Add backend-specific configuration here')" || return 1
	run 1 "$FLUX" init sqlite && has "$WORK/err" "flux.toml already exists" || return 1
	rm flux.toml
	run 1 "$FLUX" init cooldb && has "$WORK/err" "Backend 'cooldb' is not installed" || return 1
	test ! -e flux.toml || return 1
	run 0 "$FLUX" init sqlite --migration-dir db/m --log-level INFO &&
	has flux.toml 'migration_directory = "db/m"' && has flux.toml 'log_level = "INFO"' || return 1
	rm flux.toml
	run 1 "$FLUX" init && has "$WORK/err" "no backend name was read" && test ! -e flux.toml
}
ok "init writes upstream's file, refuses twice and unknown backends" t_init

t_new() {
	fresh
	today=$(date +%Y%m%d)
	run 0 "$FLUX" new --sql "Add  Users   Table" &&
	test -f "migrations/${today}_001_add-users-table.sql" &&
	test ! -s "migrations/${today}_001_add-users-table.sql" &&
	test -f "migrations/${today}_001_add-users-table.undo.sql" &&
	test ! -s "migrations/${today}_001_add-users-table.undo.sql" || return 1
	run 0 "$FLUX" new --sql second && test -f "migrations/${today}_002_second.sql" || return 1
	run 0 "$FLUX" new --python third && has "migrations/${today}_003_third.py" "def undo():" || return 1
	run 0 "$FLUX" new --sql --pre views && test -f "migrations/pre-apply/${today}_001_views.sql" &&
	test ! -e "migrations/pre-apply/${today}_001_views.undo.sql" || return 1
	run 0 "$FLUX" new --post --python refresh &&
	hasnt "migrations/post-apply/${today}_001_refresh.py" "def undo" || return 1
	rm "migrations/${today}_002_second.sql" "migrations/${today}_002_second.undo.sql"
	run 0 "$FLUX" new --sql gap && test -f "migrations/${today}_002_gap.sql" || return 1
	run 1 "$FLUX" new --pre --post x && has "$WORK/err" "Cannot create migration with both --pre and --post" || return 1
	# Any description makes a valid Python module whose docstring reads back as typed.
	desc='say """hi""" C:\path "quoted"'
	run 0 "$FLUX" new --python "$desc" &&
	eq "$(python3 -c 'import ast, sys; print(ast.get_docstring(ast.parse(open(sys.argv[1]).read()), clean=False).strip(chr(10)))' migrations/${today}_004_*.py)" "$desc"
}
ok "new: YYYYMMDD_NNN_slug, first free index, --sql/--python/--pre/--post" t_new

t_apply_all_and_n() {
	fresh
	run 0 "$FLUX" apply "sqlite:$DB" 1 --auto-approve &&
	has "$WORK/out" "To Apply (1):" && eq "$(ids)" "001_a" || return 1
	run 0 "$FLUX" status "sqlite:$DB" &&
	grep -q '^001_a  *Applied ' "$WORK/out" && grep -q '^002_b  *Not Applied' "$WORK/out" || return 1
	FLUX_DATABASE_URL="sqlite:$DB" run 0 "$FLUX" apply -y &&
	has "$WORK/out" "applied    003_c" && has "$WORK/out" "Applied 2 migrations" &&
	eq "$(ids)" "001_a 002_b 003_c" || return 1
	eq "$(q "SELECT group_concat(stage) FROM log")" "pre,post,pre,post" || return 1
	run 0 "$FLUX" apply "sqlite:$DB" -y && has "$WORK/out" "Nothing to apply: all 3 migrations are applied." &&
	# The repeatable migrations ran: the summary says how long they took.
	has "$WORK/out" "Repeatable: 1 pre-apply before, 1 post-apply after." &&
	has "$WORK/out" "Applied 0 migrations in "
}
ok "apply N, apply all (URI from FLUX_DATABASE_URL), pre/post around each run" t_apply_all_and_n

t_hash_equals_md5sum() {
	eq "$(q "SELECT hash FROM _flux_migrations WHERE id = '002_b'")" \
	   "$(md5sum < "$P/migrations/002_b.sql" | cut -d' ' -f1)" &&
	eq "$(q "SELECT hash FROM _flux_migrations WHERE id = '003_c'")" \
	   "$(printf 'CREATE TABLE c (x int);' | md5sum | cut -d' ' -f1)"
}
ok "stored hash is md5sum of the SQL (file bytes, or what apply() returned)" t_hash_equals_md5sum

t_apply_to() {
	fresh
	run 0 "$FLUX" apply "sqlite:$DB" --to 002_b -y && eq "$(ids)" "001_a 002_b" || return 1
	run 0 "$FLUX" apply "sqlite:$DB" --to 001_a -y &&
	has "$WORK/out" "Nothing to apply: '001_a' is applied already." || return 1
	run 1 "$FLUX" apply "sqlite:$DB" --to 009_nope -y &&
	has "$WORK/err" "no migration '009_nope' in migrations" || return 1
	run 2 "$FLUX" apply "sqlite:$DB" 1 --to 003_c -y && has "$WORK/err" "give either N or --to" || return 1
	run 2 "$FLUX" validate "sqlite:$DB" --to 003_c || return 1
	eq "$(ids)" "001_a 002_b"
}
ok "apply --to ID: up to and including ID; applied, unknown and N-with---to cases" t_apply_to

t_no_terminal() {
	fresh
	run 1 "$FLUX" apply "sqlite:$DB" && has "$WORK/err" "no answer was read from standard input" &&
	has "$WORK/err" "--auto-approve" && eq "$(ids)" ""
}
ok "no answer on standard input and no --auto-approve: nothing runs (exit 1)" t_no_terminal

t_rollback() {
	fresh
	run 0 "$FLUX" apply "sqlite:$DB" -y || return 1
	run 0 "$FLUX" rollback "sqlite:$DB" 1 -y && has "$WORK/out" "To Undo (1):" &&
	eq "$(ids)" "001_a 002_b" && eq "$(q "SELECT count(*) FROM sqlite_master WHERE name='c'")" 0 || return 1
	run 0 "$FLUX" apply "sqlite:$DB" -y && run 0 "$FLUX" rollback "sqlite:$DB" --to 002_b -y &&
	eq "$(ids)" "001_a" || return 1
	run 1 "$FLUX" rollback "sqlite:$DB" --to 003_c -y && has "$WORK/err" "migration '003_c' is not applied" || return 1
	q "DELETE FROM log"
	run 0 "$FLUX" rollback "sqlite:$DB" -y --no-repeatable && eq "$(ids)" "" &&
	eq "$(q "SELECT count(*) FROM log")" 0 || return 1
	run 0 "$FLUX" rollback "sqlite:$DB" -y && has "$WORK/out" "Nothing to undo"
}
ok "rollback N, --to ID, --to an unapplied ID, all, --no-repeatable" t_rollback

t_repeatable_on_undo_config() {
	fresh
	printf 'apply_repeatable_on_undo = false\n' >> flux.toml
	run 0 "$FLUX" apply "sqlite:$DB" -y && q "DELETE FROM log" &&
	run 0 "$FLUX" rollback "sqlite:$DB" 1 -y && eq "$(q "SELECT count(*) FROM log")" 0 &&
	run 0 "$FLUX" rollback "sqlite:$DB" 1 -y --repeatable &&
	eq "$(q "SELECT group_concat(stage) FROM log")" "pre,post"
}
ok "apply_repeatable_on_undo = false, overridden by --repeatable" t_repeatable_on_undo_config

corrupt_case() { # SETUP-COMMAND EXPECTED-TEXT
	fresh
	run 0 "$FLUX" apply "sqlite:$DB" 2 -y || return 1
	eval "$1"
	before=$(sqlite3 "$DB" .dump | md5sum)
	run 1 "$FLUX" validate "sqlite:$DB" && has "$WORK/err" "$2" || return 1
	run 1 "$FLUX" apply "sqlite:$DB" -y && has "$WORK/err" "$2" || return 1
	run 1 "$FLUX" rollback "sqlite:$DB" -y || return 1
	eq "$(sqlite3 "$DB" .dump | md5sum)" "$before"
}
ok "corruption: applied .sql modified" corrupt_case \
	"printf 'CREATE TABLE b (x bigint);\n' > migrations/002_b.sql" \
	"migration '002_b' changed after it was applied"
ok "corruption: applied file removed" corrupt_case \
	"rm migrations/001_a.sql migrations/001_a.undo.sql" "applied migration '001_a' has no file"
ok "corruption: file inserted before the last applied" corrupt_case \
	"printf 'SELECT 1;' > migrations/001_b_late.sql" \
	"migration '001_b_late' (migrations/001_b_late.sql) is not applied but comes before"
# status lines each file up with its record: an applied file removed shows
# as "No File" (listed after the files), a file inserted before the last
# applied one as "Not Applied", and the count is of files with a record.
t_status_with_gaps() {
	fresh
	run 0 "$FLUX" apply "sqlite:$DB" -y || return 1
	rm migrations/001_a.sql migrations/001_a.undo.sql
	printf 'SELECT 1;' > migrations/002_a_late.sql
	run 1 "$FLUX" status "sqlite:$DB" || return 1
	eq "$(grep -E '^0' "$WORK/out" | tr -s ' ')" "$(printf '%s\n' \
		"002_a_late Not Applied " "002_b Applied $(q "SELECT applied_at FROM _flux_migrations WHERE id = '002_b'")" \
		"003_c Applied $(q "SELECT applied_at FROM _flux_migrations WHERE id = '003_c'")" \
		"001_a No File $(q "SELECT applied_at FROM _flux_migrations WHERE id = '001_a'")")" &&
	has "$WORK/out" "2 of 3 applied" || { cat "$WORK/out"; return 1; }
	run 1 "$FLUX" --json status "sqlite:$DB" || return 1
	eq "$(python3 -c 'import json,sys; d = json.load(sys.stdin); print(d["applied"], d["pending"], " ".join(m["id"] + ":" + m["status"] for m in d["migrations"]))' < "$WORK/out")" \
		"2 1 002_a_late:not_applied 002_b:applied 003_c:applied 001_a:no_file"
}
ok "status with a removed applied file and a late file: No File, Not Applied, 2 of 3" t_status_with_gaps

t_changed_py() {
	fresh
	run 0 "$FLUX" apply "sqlite:$DB" -y || return 1
	printf 'def apply():\n    return "CREATE TABLE c (x text);"\n' > migrations/003_c.py
	run 1 "$FLUX" validate "sqlite:$DB" && has "$WORK/err" "migration '003_c' changed after it was applied"
}
ok "corruption: applied .py whose apply() now returns other SQL" t_changed_py

t_failing_migration() {
	fresh
	printf 'CREATE TABLE b (x int);\nINSERT INTO b VALUES (1);\nINSERT INTO b VALUES (1, 2, 3);\n' > migrations/002_b.sql
	run 1 "$FLUX" apply "sqlite:$DB" -y || return 1
	has "$WORK/err" "flux: error: table b has 1 columns but 3 values were supplied" &&
	has "$WORK/err" "  --> migrations/002_b.sql:3:1" &&
	has "$WORK/err" "    3 | INSERT INTO b VALUES (1, 2, 3);" &&
	has "$WORK/err" "  migration: 002_b" &&
	has "$WORK/out" "FAILED     002_b" &&
	has "$WORK/out" "Applied 1 of 3 migrations; '002_b' failed and was rolled back." || return 1
	eq "$(ids)" "001_a" && eq "$(q "SELECT count(*) FROM sqlite_master WHERE name='b'")" 0 &&
	eq "$(q "SELECT group_concat(stage) FROM log")" "pre,post"
}
ok "failing migration: rolled back with its record, earlier kept, post-apply ran, exit 1" t_failing_migration

t_syntax_error_position() {
	fresh
	printf -- '-- comment\nCREATE TABLE b (\n    x int,\n    y intt nope nope,\n);\n' > migrations/002_b.sql
	run 1 "$FLUX" apply "sqlite:$DB" -y &&
	has "$WORK/err" 'near ")": syntax error' &&
	has "$WORK/err" "  --> migrations/002_b.sql:5:1" && has "$WORK/err" "    5 | );"
}
ok "syntax error reported at file:line:column with the line and a caret" t_syntax_error_position

t_bad_config_changes_nothing() {
	fresh
	run 0 "$FLUX" apply "sqlite:$DB" 1 -y || return 1
	before=$(sqlite3 "$DB" .dump | md5sum)
	printf '[flux]\nbackend = "sqlite"\nmigration_directory = migrations\n' > flux.toml
	run 1 "$FLUX" apply "sqlite:$DB" -y &&
	has "$WORK/err" "flux.toml:3: invalid value" && has "$WORK/err" "(strings need quotes)" || return 1
	fresh_toml='[flux]\nbackend = "sqlite"\nmigration_directory = "migrations"\n'
	printf "$fresh_toml" > flux.toml
	printf 'def apply(:\n' > migrations/003_c.py
	run 1 "$FLUX" apply "sqlite:$DB" -y &&
	has "$WORK/err" "migrations/003_c.py: cannot load Python migration: SyntaxError" &&
	has "$WORK/err" "  --> migrations/003_c.py:1:11" && has "$WORK/err" "    1 | def apply(:" || return 1
	# Files are read while the backend connects; errors still come in the
	# order of the steps: backend module, then files, then URI/connection.
	run 1 "$FLUX" apply "sqlite://host/x.db" -y && has "$WORK/err" "003_c.py: cannot load" &&
	hasnt "$WORK/err" "unsupported SQLite URI" || return 1
	run 1 "$FLUX" apply "sqlite:$WORK/no/such/dir/x.db" -y && has "$WORK/err" "003_c.py: cannot load" || return 1
	# A database that is not there yet is not made (taking SQLite's lock
	# would make it) while a bad file stops the run.
	rm -f "$WORK/new.db"
	run 1 "$FLUX" apply "sqlite:$WORK/new.db" -y && has "$WORK/err" "003_c.py: cannot load" &&
	test ! -e "$WORK/new.db" || { echo "new.db was created"; return 1; }
	sed -i 's/backend = "sqlite"/backend = "cooldb"/' flux.toml
	run 1 "$FLUX" apply "sqlite:$DB" -y && has "$WORK/err" "Backend 'cooldb' is not installed" &&
	hasnt "$WORK/err" "003_c.py" || return 1
	printf "$fresh_toml" > flux.toml
	rm migrations/003_c.py
	run 1 "$FLUX" apply "sqlite://host/x.db" -y && has "$WORK/err" "unsupported SQLite URI" || return 1
	eq "$(sqlite3 "$DB" .dump | md5sum)" "$before"
}
ok "broken flux.toml, migration file or URI: message, exit 2, database untouched" t_bad_config_changes_nothing

t_uri_forms() {
	fresh
	run 0 "$FLUX" apply "sqlite:///$DB" -y && eq "$(ids)" "001_a 002_b 003_c" &&
	run 0 "$FLUX" status "sqlite:app.db" && has "$WORK/out" "3 of 3 applied"
}
ok "sqlite:///ABSOLUTE and sqlite:RELATIVE URIs" t_uri_forms

t_concurrent_processes() {
	fresh
	for i in 1 2 3 4 5 6; do printf 'CREATE TABLE t%s (x int);\n' "$i" > "migrations/010_t$i.sql"; done
	parallel_apply 4 "sqlite:$DB" &&
	eq "$(q "SELECT count(*) FROM _flux_migrations")" 9 && eq "$(applied_lines)" 9
}
ok "4 concurrent apply processes: every migration applied exactly once" t_concurrent_processes

t_lock_timeout() {
	fresh
	run 0 "$FLUX" apply "sqlite:$DB" -y || return 1
	# Hold the flock the way another flux process would.
	hold_flock "$DB" || return 1
	run 1 "$FLUX" apply "sqlite:$DB" -y --lock-timeout 1.5
	rc=$?
	release_flock
	# After a second a warning names the lock and its holder; then the
	# time-out says how long it waited.
	[ $rc -eq 0 ] &&
	grep -q "^flux: warning: waiting for .*$DB, held by pid [0-9]" "$WORK/err" &&
	grep -q "^flux: error: gave up after 1\.[5-9] s waiting for .*$DB, held by pid [0-9]" "$WORK/err" || {
		cat "$WORK/err"; return 1; }
}
ok "--lock-timeout gives up with a clear error while another process holds the lock" t_lock_timeout

t_interrupted_lock_wait() {
	fresh
	run 0 "$FLUX" apply "sqlite:$DB" -y || return 1
	hold_flock "$DB" || return 1
	"$FLUX" apply "sqlite:$DB" -y </dev/null >"$WORK/out" 2>"$WORK/err" &
	fpid=$!
	n=0
	until grep -q "waiting for" "$WORK/err"; do
		n=$((n + 1)); [ $n -lt 100 ] || { echo "never waited"; release_flock; return 1; }
		sleep 0.1
	done
	t0=$(date +%s%N)
	kill -INT $fpid
	wait $fpid
	rc=$?
	took=$((($(date +%s%N) - t0) / 1000000))
	release_flock
	[ $rc -eq 130 ] || { echo "exit status $rc"; cat "$WORK/err"; return 1; }
	[ $took -lt 1000 ] || { echo "took $took ms"; return 1; }
	has "$WORK/err" "flux: error: cancelled while waiting for the migration lock; nothing was changed"
}
ok "Ctrl-C while waiting for the lock: exit 130 at once, nothing changed" t_interrupted_lock_wait

# flux takes the lock while it still reads the files; a bad file must end
# that wait at once, not after the lock's holder is done.
t_bad_file_ends_lock_wait() {
	fresh
	run 0 "$FLUX" apply "sqlite:$DB" -y || return 1
	before=$(q "SELECT group_concat(id || hash, ',') FROM _flux_migrations")
	printf 'CREATE TABLE d (x int);\0junk\n' > migrations/004_d.sql
	hold_flock "$DB" || return 1
	t0=$(date +%s%N)
	run 1 timeout 60 "$FLUX" apply "sqlite:$DB" -y
	rc=$?
	took=$((($(date +%s%N) - t0) / 1000000))
	release_flock
	[ $rc -eq 0 ] && has "$WORK/err" "004_d.sql: the SQL holds a NUL byte" &&
	hasnt "$WORK/err" "waiting for" || { cat "$WORK/err"; return 1; }
	[ $took -lt 5000 ] || { echo "took $took ms"; return 1; }
	eq "$(q "SELECT group_concat(id || hash, ',') FROM _flux_migrations")" "$before" &&
	eq "$(q "SELECT count(*) FROM sqlite_master WHERE name = 'd'")" 0
}
ok "a bad file ends the wait for a held lock at once; nothing changed" t_bad_file_ends_lock_wait

# A backend need not return the records in id order (backend.h): here the
# table holds them newest first, as a hand-made or copied table may.
t_records_in_any_order() {
	fresh
	run 0 "$FLUX" apply "sqlite:$DB" -y || return 1
	q "CREATE TABLE r AS SELECT * FROM _flux_migrations ORDER BY id DESC;
	   DELETE FROM _flux_migrations;
	   INSERT INTO _flux_migrations SELECT * FROM r ORDER BY id DESC; DROP TABLE r" || return 1
	first=$(q "SELECT id FROM _flux_migrations NOT INDEXED LIMIT 1")
	eq "$first" "003_c" || { echo "table order: $first first"; return 1; }
	run 0 "$FLUX" validate "sqlite:$DB" && has "$WORK/out" "OK: 3 applied" &&
	run 0 "$FLUX" status "sqlite:$DB" && has "$WORK/out" "3 of 3 applied" &&
	run 0 "$FLUX" apply "sqlite:$DB" -y && has "$WORK/out" "Nothing to apply" &&
	run 0 "$FLUX" rollback "sqlite:$DB" 1 -y && eq "$(ids)" "001_a 002_b"
}
ok "records the database returns out of order are sorted by id" t_records_in_any_order

t_status_validate_create_nothing() {
	fresh
	run 0 "$FLUX" status "sqlite:$DB" && has "$WORK/out" "0 of 3 applied" &&
	run 0 "$FLUX" validate "sqlite:$DB" && test ! -e "$DB" || return 1
	# A database without the record table stays without it.
	q "CREATE TABLE other (x int)" || return 1
	run 0 "$FLUX" status "sqlite:$DB" && has "$WORK/out" "0 of 3 applied" &&
	run 0 "$FLUX" validate "sqlite:$DB" &&
	eq "$(q "SELECT group_concat(name) FROM sqlite_master")" "other"
}
ok "status and validate create nothing: no database file, no record table" \
	t_status_validate_create_nothing

t_status_validate_while_locked() {
	fresh
	run 0 "$FLUX" apply "sqlite:$DB" 1 -y || return 1
	hold_flock "$DB" || return 1
	# No wait, with or without --lock-timeout (accepted, unused).
	run 0 timeout 20 "$FLUX" status "sqlite:$DB" && has "$WORK/out" "1 of 3 applied" &&
	run 0 timeout 20 "$FLUX" validate "sqlite:$DB" &&
	run 0 timeout 20 "$FLUX" status "sqlite:$DB" --lock-timeout 0 &&
	run 0 timeout 20 "$FLUX" validate "sqlite:$DB" --lock-timeout 0 &&
	hasnt "$WORK/err" "lock" &&
	run 2 "$FLUX" status "sqlite:$DB" --lock-timeout soon
	rc=$?
	release_flock
	[ $rc -eq 0 ]
}
ok "status and validate do not wait for the lock another flux holds" \
	t_status_validate_while_locked

t_unused_option_warning() {
	fresh
	printf '\n[backend]\ncolour = "blue"\n' >> flux.toml
	run 0 "$FLUX" status "sqlite:$DB" &&
	has "$WORK/err" "flux: warning: flux.toml:6: [backend] option 'colour' is not used by backend 'sqlite'" || return 1
	FLUX_LOG_LEVEL=ERROR run 0 "$FLUX" status "sqlite:$DB" && hasnt "$WORK/err" "colour" || return 1
	printf 'log_level = "ERROR"\n' > extra && sed -i '/^migration_directory/r extra' flux.toml &&
	run 0 "$FLUX" status "sqlite:$DB" && hasnt "$WORK/err" "colour" || return 1
	FLUX_LOG_LEVEL=LOUD run 0 "$FLUX" status "sqlite:$DB" && has "$WORK/err" "unknown FLUX_LOG_LEVEL 'LOUD'"
}
ok "an unused [backend] key is warned about with file:line; log_level and FLUX_LOG_LEVEL" t_unused_option_warning

t_no_transaction_incomplete() {
	fresh
	printf -- '-- flux: no-transaction\nCREATE TABLE d (x int);\nINSERT INTO missing VALUES (1);\nCREATE TABLE e (x int);\n' > migrations/004_d.sql
	run 1 "$FLUX" apply "sqlite:$DB" -y &&
	has "$WORK/out" "'004_d' ran outside a transaction and stopped half-way" &&
	has "$WORK/err" "migrations/004_d.sql:3:" &&
	has "$WORK/err" "statement 2 of 3 failed; the statements before it ran and stay in effect" &&
	has "$WORK/err" "fix statement 2 and run \`flux apply\` again: it resumes after the 1 statements that completed" || return 1
	# The first statement ran and stays; the record is not written.
	eq "$(q "SELECT count(*) FROM sqlite_master WHERE name IN ('d', 'e')")" 1 &&
	eq "$(ids)" "001_a 002_b 003_c" || return 1
	run 1 "$FLUX" status "sqlite:$DB" &&
	grep -q '^004_d  *Incomplete' "$WORK/out" &&
	has "$WORK/out" "004_d: apply started" &&
	has "$WORK/out" "statement 2 of 3 failed: no such table: missing; 1 of 3 ran before it" || return 1
	run 1 "$FLUX" validate "sqlite:$DB" &&
	has "$WORK/err" "migration '004_d' stopped half-way while being applied" &&
	has "$WORK/err" "\`flux apply --restart\`" || return 1
	# The failing statement fixed, the next apply resumes after the first
	# (which would fail if run again) and the mark goes with the record.
	printf -- '-- flux: no-transaction\nCREATE TABLE d (x int);\nCREATE TABLE f (x int);\nCREATE TABLE e (x int);\n' > migrations/004_d.sql
	run 0 "$FLUX" -v apply "sqlite:$DB" -y &&
	has "$WORK/err" "flux: info: resuming '004_d' after its 1 completed statement" || return 1
	run 0 "$FLUX" validate "sqlite:$DB" &&
	eq "$(q "SELECT count(*) FROM _flux_migrations_incomplete")" 0 &&
	eq "$(q "SELECT count(*) FROM sqlite_master WHERE name IN ('d', 'e', 'f')")" 3 &&
	eq "$(ids)" "001_a 002_b 003_c 004_d"
}
ok "no-transaction migration failing half-way: Incomplete in status, validate exit 1, resumed after the fix" t_no_transaction_incomplete

t_no_transaction_undo_incomplete() {
	fresh
	run 0 "$FLUX" apply "sqlite:$DB" -y || return 1
	printf -- '-- flux: no-transaction\nCREATE TABLE undo_ran (x int);\nDROP TABLE missing;\nDROP TABLE b;\n' > migrations/002_b.undo.sql
	run 1 "$FLUX" rollback "sqlite:$DB" --to 002_b --no-repeatable -y &&
	has "$WORK/out" "'002_b' ran outside a transaction and stopped half-way" || return 1
	# 003_c is undone; 002_b stays applied, its undo half done.
	eq "$(ids)" "001_a 002_b" &&
	eq "$(q "SELECT count(*) FROM sqlite_master WHERE name IN ('undo_ran', 'b')")" 2 || return 1
	run 1 "$FLUX" status "sqlite:$DB" && grep -q '^002_b  *Incomplete' "$WORK/out" &&
	has "$WORK/out" "002_b: rollback started" || return 1
	run 1 "$FLUX" validate "sqlite:$DB" &&
	has "$WORK/err" "migration '002_b' stopped half-way while being rolled back" &&
	has "$WORK/err" "\`flux rollback --restart\`" || return 1
	# The undo's first statement changed: refused, naming it; --restart
	# runs the undo from its first statement.
	printf -- '-- flux: no-transaction\nDROP TABLE IF EXISTS undo_ran;\nDROP TABLE b;\n' > migrations/002_b.undo.sql
	run 1 "$FLUX" rollback "sqlite:$DB" 1 --no-repeatable -y &&
	has "$WORK/err" "cannot resume migration '002_b': statement 1 of the 1 that completed before it stopped has changed" &&
	has "$WORK/err" "  --> migrations/002_b.undo.sql:2" && eq "$(ids)" "001_a 002_b" || return 1
	run 0 "$FLUX" rollback "sqlite:$DB" 1 --no-repeatable --restart -y && eq "$(ids)" "001_a" &&
	eq "$(q "SELECT count(*) FROM sqlite_master WHERE name IN ('undo_ran', 'b')")" 0 &&
	run 0 "$FLUX" validate "sqlite:$DB"
}
ok "no-transaction undo failing half-way: still applied, Incomplete (rollback), --restart runs it again" t_no_transaction_undo_incomplete

t_interrupted() {
	fresh
	# A statement that counts for many seconds unless interrupted.
	printf 'CREATE TABLE slow (x int);\nWITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) SELECT count(*) FROM c;\n' > migrations/002_b.sql
	"$FLUX" apply "sqlite:$DB" -y </dev/null >"$WORK/out" 2>"$WORK/err" &
	fpid=$!
	n=0
	until grep -q '^  applied    001_a' "$WORK/out"; do
		n=$((n + 1)); [ $n -lt 100 ] || { echo "001_a never applied"; return 1; }
		sleep 0.1
	done
	sleep 0.5
	kill -TERM $fpid
	wait $fpid
	rc=$?
	[ $rc -eq 143 ] || { echo "exit status $rc"; cat "$WORK/err"; return 1; }
	has "$WORK/err" "cancelled while applying '002_b'; it was rolled back" &&
	has "$WORK/err" "(interrupted)" || return 1
	eq "$(ids)" "001_a" && eq "$(q "SELECT count(*) FROM sqlite_master WHERE name = 'slow'")" 0 &&
	eq "$(q "SELECT group_concat(stage) FROM log")" "pre"
}
ok "SIGTERM mid-migration: interrupted, rolled back, no post-apply, exit 143" t_interrupted

t_demo_project() {
	# distcheck hands us a read-only source tree: make the copy writable.
	rm -rf "$WORK/demo" && cp -r "$FLUX_TEST_SRCDIR/examples/demo" "$WORK/demo" &&
	chmod -R u+w "$WORK/demo" && cd "$WORK/demo" || return 1
	run 0 "$FLUX" apply sqlite:demo.db -y && has "$WORK/out" "Applied 3 migrations" || return 1
	eq "$(sqlite3 demo.db "SELECT group_concat(email || ':' || posts) FROM user_post_counts")" \
	   "ada@example.org:0,grace@example.org:0,linus@example.org:0" || return 1
	run 0 "$FLUX" rollback sqlite:demo.db -y && has "$WORK/out" "Undid 3 migrations" &&
	eq "$(sqlite3 demo.db "SELECT count(*) FROM sqlite_master WHERE name IN ('users', 'posts')")" 0
}
ok "examples/demo (SQL with undo, .py, generator script, pre/post) applies and rolls back" t_demo_project

# Without repeatable migrations, nothing to do is one line: no
# "Applied 0 migrations in 0.0 ms." (or "Undid 0") after it.
t_nothing_to_do_is_one_line() {
	sqlite_project "$P" || return 1
	run 0 "$FLUX" apply "sqlite:$DB" -y && has "$WORK/out" "Applied 2 migrations in " &&
	run 0 "$FLUX" apply "sqlite:$DB" -y &&
	eq "$(cat "$WORK/out")" "Nothing to apply: all 2 migrations are applied." &&
	run 0 "$FLUX" rollback "sqlite:$DB" -y && has "$WORK/out" "Undid 2 migrations in " &&
	run 0 "$FLUX" rollback "sqlite:$DB" -y &&
	eq "$(cat "$WORK/out")" "Nothing to undo: no migration is applied."
}
ok "nothing to apply or undo, no repeatable migration: one line, no summary" t_nothing_to_do_is_one_line

# The count in "Nothing to apply" reads right for none and for one.
t_nothing_to_apply_counts() {
	sqlite_project "$P" 1 && rm -f "$DB" migrations/001_a.sql migrations/001_a.undo.sql || return 1
	run 0 "$FLUX" apply "sqlite:$DB" -y &&
	eq "$(cat "$WORK/out")" "Nothing to apply: there are no migrations." || return 1
	sqlite_project "$P" 1 && rm -f "$DB" || return 1
	run 0 "$FLUX" apply "sqlite:$DB" -y && run 0 "$FLUX" apply "sqlite:$DB" -y &&
	eq "$(cat "$WORK/out")" "Nothing to apply: the one migration is applied." &&
	run 0 "$FLUX" apply "sqlite:$DB" 0 -y &&
	eq "$(cat "$WORK/out")" "Nothing to apply: N is 0 (1 of 1 migration is applied)."
}
ok "nothing to apply: no migrations, one migration, N of 0 with one" t_nothing_to_apply_counts

done_testing
