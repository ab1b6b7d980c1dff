#!/bin/sh
# SPDX-License-Identifier: MIT
# Migration directories and record tables that would be skipped, looped on
# or half-applied: a NUL byte in SQL from any source, entries named like
# migrations that are not readable files, ids that break output, record
# rows no file can match.  Each is refused with a message naming the file
# (or the row), and the database is left exactly as it was.
. "$FLUX_TEST_SRCDIR/tests/integration/lib.sh"
needs_backend sqlite

P="$WORK/proj"
DB="$P/app.db"

fresh() {
	sqlite_project "$P" || return 1
	run 0 "$FLUX" apply "sqlite:$DB" -y
}

q() { sqlite3 "$DB" "$1"; }
# Everything in the database, so "untouched" can be checked exactly.
dump() { sqlite3 "$DB" .dump; }

# refused CMD...: the command fails (within 20 s: nothing may hang) and
# the database is exactly as before.
refused() {
	before=$(dump)
	timeout 20 "$@" </dev/null >"$WORK/out" 2>"$WORK/err"
	got=$?
	if [ "$got" -eq 0 ] || [ "$got" -eq 124 ]; then
		echo "exit status $got (0: accepted, 124: hung): $*"
		cat "$WORK/out" "$WORK/err"
		return 1
	fi
	eq "$(dump)" "$before"
}

t_nul_in_sql() {
	fresh || return 1
	printf 'CREATE TABLE n1 (a int);\nSELECT 1;\000CREATE TABLE n2 (a int);\n' > migrations/003_nul.sql
	# Before the fix, sqlite3_prepare_v2 spun on the NUL for ever.
	refused "$FLUX" apply "sqlite:$DB" -y || return 1
	has "$WORK/err" "migrations/003_nul.sql: the SQL holds a NUL byte (line 2, column 10)" &&
	has "$WORK/err" "--> migrations/003_nul.sql:2:10" || return 1
	eq "$(q "SELECT count(*) FROM sqlite_master WHERE name LIKE 'n_'")" 0 || return 1
	refused "$FLUX" status "sqlite:$DB" && has "$WORK/err" "003_nul.sql" || return 1
	refused "$FLUX" validate "sqlite:$DB" && has "$WORK/err" "003_nul.sql"
}
ok "a NUL byte in a .sql file is refused with file:line:column, nothing runs" t_nul_in_sql

t_nul_in_undo() {
	fresh || return 1
	printf -- '-- flux: no-transaction\nDROP TABLE a;\000DROP TABLE nothing;\n' > migrations/001_a.undo.sql
	# The newest migration would be undone first; nothing may be.
	refused "$FLUX" rollback "sqlite:$DB" -y || return 1
	has "$WORK/err" "migrations/001_a.undo.sql: the SQL holds a NUL byte (line 2, column 14)" || return 1
	eq "$(q "SELECT group_concat(id, ' ') FROM _flux_migrations")" "001_a 002_b"
}
ok "a NUL byte in an undo file is refused before the rollback starts" t_nul_in_undo

t_nul_in_generated_undo() {
	fresh || return 1
	rm migrations/001_a.sql migrations/001_a.undo.sql
	q "DELETE FROM _flux_migrations WHERE id = '001_a'"
	mkdir -p "$WORK/gen" && mv migrations/002_b.sql migrations/002_b.undo.sql "$WORK/gen/"
	q "DELETE FROM _flux_migrations; DROP TABLE a; DROP TABLE b"
	# A generator whose undo output holds a NUL, older than a plain one:
	# its undo is produced when the rollback is planned, so 002_b is not
	# undone either.
	printf '#!/bin/sh\nif [ "$1" = apply ]; then echo "CREATE TABLE g (x int);"; else printf "DROP TABLE g;\\000\\n"; fi\n' > migrations/001_gen.sh
	chmod +x migrations/001_gen.sh
	mv "$WORK/gen/002_b.sql" "$WORK/gen/002_b.undo.sql" migrations/
	run 0 "$FLUX" apply "sqlite:$DB" -y || return 1
	refused "$FLUX" rollback "sqlite:$DB" -y || return 1
	has "$WORK/err" "001_gen.sh" && has "$WORK/err" "NUL byte" &&
	eq "$(q "SELECT group_concat(id, ' ') FROM (SELECT id FROM _flux_migrations ORDER BY id)")" "001_gen 002_b"
}
ok "a generator's undo with a NUL byte is refused when the rollback is planned, before anything is undone" \
	t_nul_in_generated_undo

t_nul_generated() {
	fresh || return 1
	printf 'def apply():\n    return "SELECT 1;\\nSELECT 2;\\x00SELECT 3;"\n' > migrations/003_py.py
	refused "$FLUX" apply "sqlite:$DB" -y || return 1
	has "$WORK/err" "migrations/003_py.py: the SQL it produced holds a NUL byte (line 2, column 10 of that SQL)" &&
	has "$WORK/err" "--> migrations/003_py.py (generated SQL):2:10" || return 1
	rm migrations/003_py.py
	printf '#!/bin/sh\nprintf "SELECT 1;\\000"\n' > migrations/003_gen.sh
	chmod +x migrations/003_gen.sh
	refused "$FLUX" apply "sqlite:$DB" -y &&
	has "$WORK/err" "migrations/003_gen.sh: the SQL it produced holds a NUL byte"
}
ok "a NUL byte in SQL a .py migration or a generator produced is refused" t_nul_generated

t_entries_not_files() {
	fresh || return 1
	ln -s nowhere.sql migrations/003_dangling.sql
	refused "$FLUX" status "sqlite:$DB" &&
	has "$WORK/err" "migrations/003_dangling.sql: a symbolic link to nothing" || return 1
	rm migrations/003_dangling.sql
	ln -s 003_loop.sql migrations/003_loop.sql
	refused "$FLUX" apply "sqlite:$DB" -y &&
	has "$WORK/err" "migrations/003_loop.sql: a symbolic link loop" || return 1
	rm migrations/003_loop.sql
	# A FIFO must neither be skipped nor opened (which would wait for ever).
	mkfifo migrations/003_fifo.sql
	refused "$FLUX" apply "sqlite:$DB" -y &&
	has "$WORK/err" "migrations/003_fifo.sql: is a FIFO (named pipe), not a migration file" || return 1
	rm migrations/003_fifo.sql
	mkfifo migrations/002_b.undo.sql.tmp && mv -f migrations/002_b.undo.sql.tmp migrations/002_b.undo.sql
	refused "$FLUX" rollback "sqlite:$DB" 1 -y &&
	has "$WORK/err" "migrations/002_b.undo.sql: is a FIFO" || return 1
	rm migrations/002_b.undo.sql
	mkdir migrations/003_dir.sql migrations/002_b.undo.sql
	refused "$FLUX" apply "sqlite:$DB" -y &&
	has "$WORK/err" "is a directory, not a migration file" || return 1
	rmdir migrations/003_dir.sql migrations/002_b.undo.sql
	printf 'not a directory\n' > migrations/pre-apply
	refused "$FLUX" apply "sqlite:$DB" -y &&
	has "$WORK/err" "migrations/pre-apply: is a file, not a directory of repeatable migrations"
}
ok "dangling links, link loops, FIFOs and directories named like migrations are refused" t_entries_not_files

t_ids_with_control_characters() {
	fresh || return 1
	printf 'CREATE TABLE c (x int);\n' > "migrations/003_c
-- injected.sql"
	refused "$FLUX" apply "sqlite:$DB" -y || return 1
	has "$WORK/err" 'migrations/003_c\n-- injected.sql: the file name holds a newline' || return 1
	# The name's newline must not start a line of its own.
	! grep -q '^-- injected' "$WORK/err" || return 1
	rm migrations/003_c*
	printf 'CREATE TABLE c (x int);\n' > "$(printf 'migrations/003_c\377.sql')"
	refused "$FLUX" status "sqlite:$DB" &&
	has "$WORK/err" 'migrations/003_c\xFF.sql: the file name is not valid UTF-8'
}
ok "file names with a newline or bytes that are not UTF-8 are refused, shown escaped" t_ids_with_control_characters

t_bad_record_rows() {
	fresh || return 1
	# SQLite lets a TEXT PRIMARY KEY hold NULL.
	q "INSERT INTO _flux_migrations (id, hash) VALUES (NULL, 'abc')"
	for cmd in status validate "apply -y" "rollback -y"; do
		refused "$FLUX" $cmd "sqlite:$DB" || return 1
		has "$WORK/err" "the record table of backend 'sqlite' has a row whose id is NULL or empty: '' (hash abc)" &&
		hasnt "$WORK/err" "out of memory" || return 1
	done
	q "DELETE FROM _flux_migrations WHERE id IS NULL;
	   INSERT INTO _flux_migrations (id, hash) VALUES (CAST(X'3030335FFF' AS TEXT), 'def')"
	refused "$FLUX" status "sqlite:$DB" &&
	has "$WORK/err" "has a row whose id is not valid UTF-8: '003_\\xFF' (hash def)" &&
	hasnt "$WORK/err" "unknown error" || return 1
	q "DELETE FROM _flux_migrations WHERE hash = 'def';
	   INSERT INTO _flux_migrations (id, hash) VALUES ('003' || char(10) || 'x', 'ghi')"
	refused "$FLUX" apply "sqlite:$DB" -y &&
	has "$WORK/err" "has a row whose id holds a control character: '003\\nx' (hash ghi)"
}
ok "record rows with a NULL, non-UTF-8 or multi-line id are named, not misreported" t_bad_record_rows

done_testing
