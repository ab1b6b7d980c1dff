#!/bin/sh
# SPDX-License-Identifier: MIT
# `flux apply --dry-run` and `flux rollback --dry-run`: the script they print,
# run by the database's own client (sqlite3, psql) on one copy of a
# database, must leave it as a real run leaves another copy (records with
# their hashes, marks, schema), and the dry run itself changes nothing.
. "$FLUX_TEST_SRCDIR/tests/integration/lib.sh"

P="$WORK/proj"

# project BACKEND: a migration whose last statement has no ';', a
# no-transaction one (statement by statement, with marks), a .py one,
# undos for all, and pre/post-apply.
project() {
	rm -rf "$P"; mkdir -p "$P/migrations/pre-apply" "$P/migrations/post-apply" && cd "$P" || return 1
	printf '[flux]\nbackend = "%s"\nmigration_directory = "migrations"\n' "$1" > flux.toml
	printf -- '-- the first\nCREATE TABLE a (x int);\nINSERT INTO a VALUES (1)' > migrations/001_a.sql
	printf 'DROP TABLE a;\n' > migrations/001_a.undo.sql
	printf -- "-- flux: no-transaction\nCREATE TABLE b (x int, s text);\nINSERT INTO b VALUES (2, 'it''s; here');\n" > migrations/002_b.sql
	printf -- '-- flux: no-transaction\nDROP TABLE b;\n' > migrations/002_b.undo.sql
	printf 'def apply():\n    return "CREATE TABLE c (x int);"\n\ndef undo():\n    return "DROP TABLE c;"\n' > migrations/003_c.py
	printf 'DROP VIEW IF EXISTS v;\n' > migrations/pre-apply/drop_views.sql
	printf 'CREATE VIEW v AS SELECT x FROM a;\n' > migrations/post-apply/views.sql
}

# ---- SQLite -------------------------------------------------------------

sq() { sqlite3 "$1" "$2"; }
# Everything a run leaves: records (without their times), marks (without
# theirs), the schema, the rows of the migrations' tables.
sq_state() {
	sq "$1" "SELECT id, hash FROM _flux_migrations ORDER BY id" &&
	{ sq "$1" "SELECT id, direction, progress, resume FROM _flux_migrations_incomplete ORDER BY id" 2>/dev/null || true; } &&
	sq "$1" "SELECT type, name, sql FROM sqlite_master ORDER BY name" &&
	for t in a b c; do sq "$1" "SELECT * FROM $t" 2>/dev/null || true; done
}

sum_of() { if [ -e "$1" ]; then md5sum < "$1"; else echo none; fi; }

# sq_compare CMD [N]: `flux CMD --dry-run` on script.db (unchanged by
# it) run by sqlite3 on script.db, against `flux CMD -y` on real.db.
sq_compare() {
	before=$(sum_of script.db)
	run 0 "$FLUX" "$1" "sqlite:$P/script.db" ${2:-} --dry-run || return 1
	cp "$WORK/out" script.sql
	eq "$(sum_of script.db)" "$before" || { echo "the dry run changed script.db"; return 1; }
	sqlite3 -bail script.db < script.sql || { cat script.sql; return 1; }
	run 0 "$FLUX" "$1" "sqlite:$P/real.db" ${2:-} -y || return 1
	eq "$(sq_state script.db)" "$(sq_state real.db)" || { cat script.sql; return 1; }
}

t_sqlite_apply() {
	project sqlite || return 1
	# A database that does not exist yet: the dry run creates no file.
	run 0 "$FLUX" apply "sqlite:$P/script.db" --dry-run && test ! -e script.db || return 1
	has "$WORK/out" "-- flux: create the record table" &&
	has "$WORK/out" "-- flux: apply 001_a (migrations/001_a.sql)" &&
	has "$WORK/out" "-- flux: apply drop_views (migrations/pre-apply/drop_views.sql)" &&
	has "$WORK/out" "-- flux: apply 003_c (migrations/003_c.py)" || return 1
	sq_compare apply && eq "$(sq real.db "SELECT group_concat(id, ' ') FROM _flux_migrations")" "001_a 002_b 003_c"
}
ok "apply --dry-run on a new SQLite database: sqlite3 runs the script to the state a real apply leaves" t_sqlite_apply

t_sqlite_apply_partly() {
	project sqlite || return 1
	run 0 "$FLUX" apply "sqlite:$P/script.db" 1 -y && cp script.db real.db || return 1
	sq_compare apply && hasnt script.sql "create the record table" && hasnt script.sql "001_a"
}
ok "apply --dry-run on a database with migrations applied: the same state as a real apply" t_sqlite_apply_partly

t_sqlite_rollback() {
	project sqlite || return 1
	run 0 "$FLUX" apply "sqlite:$P/script.db" -y && cp script.db real.db || return 1
	sq_compare rollback 2 && has script.sql "-- flux: rollback 003_c (migrations/003_c.py)" &&
	has script.sql "-- flux: rollback 002_b (migrations/002_b.undo.sql)" &&
	eq "$(sq real.db "SELECT group_concat(id, ' ') FROM _flux_migrations")" "001_a"
}
ok "rollback --dry-run: sqlite3 runs the script to the state a real rollback leaves" t_sqlite_rollback

t_sqlite_resume() {
	project sqlite || return 1
	printf -- "-- flux: no-transaction\nCREATE TABLE b (x int, s text);\nINSERT INTO missing VALUES (1);\n" > migrations/002_b.sql
	run 1 "$FLUX" apply "sqlite:$P/script.db" -y && cp script.db real.db || return 1
	printf -- "-- flux: no-transaction\nCREATE TABLE b (x int, s text);\nINSERT INTO b VALUES (2, 'fixed');\n" > migrations/002_b.sql
	# The script resumes too: statement 1 is not in it.
	sq_compare apply && hasnt script.sql "CREATE TABLE b" && has script.sql "'fixed'"
}
ok "apply --dry-run of a migration that stopped half-way: the script resumes it as a real apply does" t_sqlite_resume

t_no_describe_sql() {
	project test-nontx || return 1
	mkdir -p "$WORK/manifests" &&
	sed "s|@MODULES@|$FLUX_TEST_BUILDDIR/tests/plugins/.libs|" \
		"$FLUX_TEST_SRCDIR/tests/plugins/fixtures/nontx/nontx.ini" > "$WORK/manifests/nontx.ini" || return 1
	run 1 "$FLUX" --backend-path "$WORK/manifests" apply "test:$P/records.txt" --dry-run &&
	has "$WORK/err" "flux: error: backend 'test-nontx' cannot show the SQL it would send (it has no describe_sql), so it has no dry run" &&
	test ! -e records.txt || return 1
	run 1 "$FLUX" --backend-path "$WORK/manifests" --json apply "test:$P/records.txt" --dry-run &&
	has "$WORK/out" '"kind": "unsupported"'
}
ok "a backend without describe_sql: no dry run, exit 1, nothing created" t_no_describe_sql

# ---- PostgreSQL ---------------------------------------------------------

if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	for c in apply rollback; do
		T_NUM=$((T_NUM + 1))
		echo "ok $T_NUM - $c --dry-run with psql # SKIP no PostgreSQL server binaries (initdb)"
	done
	done_testing
	exit $?
fi
. "$FLUX_TEST_SRCDIR/tests/integration/pg_lib.sh"

pg_state() {
	psql -d "$1" -tAq -c "SELECT id, hash FROM _flux_migrations ORDER BY id" &&
	{ psql -d "$1" -tAq -c "SELECT id, direction, progress, resume FROM _flux_migrations_incomplete ORDER BY id" 2>/dev/null || true; } &&
	pg_dump -s --no-owner -d "$1" | grep -v -e '^--' -e '^\\restrict' -e '^\\unrestrict' &&
	for t in a b c; do psql -d "$1" -tAq -c "SELECT * FROM $t" 2>/dev/null || true; done
}

# pg_compare DB1 DB2 CMD [N]: the dry run against database DB1 run by
# psql there, the real run against DB2.
pg_compare() {
	one=$1 two=$2
	u1="postgresql:///$one?host=$PGHOST&user=$PGUSER"
	u2="postgresql:///$two?host=$PGHOST&user=$PGUSER"
	before=$(pg_state "$one" 2>&1)
	run 0 "$FLUX" "$3" "$u1" ${4:-} --dry-run || return 1
	cp "$WORK/out" script.sql
	eq "$(pg_state "$one" 2>&1)" "$before" || { echo "the dry run changed $one"; return 1; }
	psql -q -v ON_ERROR_STOP=1 -d "$one" -f script.sql >/dev/null 2>&1 || { cat script.sql; return 1; }
	run 0 "$FLUX" "$3" "$u2" ${4:-} -y || return 1
	eq "$(pg_state "$one")" "$(pg_state "$two")" || { cat script.sql; return 1; }
}

t_pg_apply() {
	project postgres || return 1
	newdb; d1=$DB; newdb; d2=$DB
	pg_compare "$d1" "$d2" apply && has script.sql "-- flux: create the record table" &&
	eq "$(psql -d "$d2" -tAq -c "SELECT string_agg(id, ' ' ORDER BY id) FROM _flux_migrations")" "001_a 002_b 003_c"
}
ok "apply --dry-run on two fresh PostgreSQL databases: psql runs the script to the state a real apply leaves" t_pg_apply

t_pg_rollback() {
	project postgres || return 1
	newdb; d1=$DB; newdb; d2=$DB
	for d in "$d1" "$d2"; do
		run 0 "$FLUX" apply "postgresql:///$d?host=$PGHOST&user=$PGUSER" -y || return 1
	done
	pg_compare "$d1" "$d2" rollback 2 &&
	eq "$(psql -d "$d2" -tAq -c "SELECT string_agg(id, ' ' ORDER BY id) FROM _flux_migrations")" "001_a"
}
ok "rollback --dry-run on PostgreSQL: psql runs the script to the state a real rollback leaves" t_pg_rollback

done_testing
