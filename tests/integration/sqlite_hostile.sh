#!/bin/sh
# SPDX-License-Identifier: MIT
# The SQLite backend under hostile input: a very large migration, SQLite's
# URI filenames (in-memory ones refused, the lock on the file SQLite really
# opens), databases the user may only read, and foreign URIs that carry a
# password.
. "$FLUX_TEST_SRCDIR/tests/integration/lib.sh"
needs_backend sqlite

P="$WORK/proj"
DB="$P/app.db"

fresh() { sqlite_project "$P" 1; }

q() { sqlite3 "$DB" "$1"; }
ids() { q "SELECT group_concat(id, ' ') FROM (SELECT id FROM _flux_migrations ORDER BY id)"; }
# The names and contents of everything in the project directory.
snapshot() { (cd "$P" && find . -type f | LC_ALL=C sort | xargs md5sum); }

t_large_migration() {
	fresh
	# About 4 MB in 60,000 statements: each is read where it stands, so
	# this takes well under a second; figures are in bench/run.
	awk 'BEGIN {
		print "CREATE TABLE big (id int PRIMARY KEY, v text);"
		for (i = 1; i <= 60000; i++)
			printf "INSERT INTO big VALUES (%d, '\''%s-%d'\'');\n", i,
				"payload payload payload payload", i
		print "CREATE TABLE last_statement (x int);"
	}' > migrations/002_big.sql
	run 0 "$FLUX" apply "sqlite:$DB" -y || return 1
	eq "$(q "SELECT count(*), max(id) FROM big")" "60000|60000" &&
	eq "$(q "SELECT v FROM big WHERE id = 60000")" "payload payload payload payload-60000" &&
	eq "$(q "SELECT count(*) FROM sqlite_master WHERE name = 'last_statement'")" 1 &&
	eq "$(ids)" "001_a 002_big"
}
ok "a 4 MB migration of 60,000 statements applies fully, its last statement too" t_large_migration

t_in_memory_refused() {
	fresh
	run 0 "$FLUX" apply "sqlite:$DB" -y || return 1
	printf 'CREATE TABLE b (x int);\n' > migrations/002_b.sql
	# Exit status: not 0 (the codes are being renumbered).
	for u in "sqlite:file:app.db?mode=memory" "sqlite::memory:" "sqlite:file::memory:" \
		 "sqlite:file:app.db?vfs=memdb" "sqlite:file:$DB?mode=memory&cache=shared"; do
		before=$(snapshot)
		for cmd in "apply -y" status; do
			# shellcheck disable=SC2086
			"$FLUX" $cmd "$u" </dev/null >"$WORK/out" 2>"$WORK/err" &&
				{ echo "exit 0: $cmd $u"; cat "$WORK/out"; return 1; }
			has "$WORK/err" "is not a file on disk (in memory" &&
			has "$WORK/err" "would vanish when flux exits" &&
			hasnt "$WORK/out" "Applied" || return 1
			eq "$(snapshot)" "$before" || { echo "($cmd $u changed files)"; return 1; }
		done
	done
	eq "$(ids)" "001_a"
}
ok "in-memory SQLite URIs are refused with the reason, nothing created or applied" t_in_memory_refused

t_query_on_plain_path_refused() {
	fresh
	run 0 "$FLUX" apply "sqlite:$DB" -y || return 1
	printf 'CREATE TABLE b (x int);\n' > migrations/002_b.sql
	before=$(snapshot)
	for cmd in "apply -y" status validate; do
		# shellcheck disable=SC2086
		"$FLUX" $cmd "sqlite:app.db?mode=ro" </dev/null >"$WORK/out" 2>"$WORK/err" &&
			{ echo "exit 0: $cmd"; cat "$WORK/out"; return 1; }
		has "$WORK/err" "SQLite path with '?'" &&
		has "$WORK/err" "sqlite:file:PATH?PARAMS" || return 1
		eq "$(snapshot)" "$before" || { echo "($cmd changed files)"; return 1; }
	done
	test ! -e "$P/app.db?mode=ro" && eq "$(ids)" "001_a"
}
ok "a '?' after a plain path is refused (SQLite would create a file of that name)" \
	t_query_on_plain_path_refused

t_file_uri_supported() {
	fresh
	printf 'CREATE TABLE b (x int);\n' > migrations/002_b.sql
	run 0 "$FLUX" apply "sqlite:file:app.db" 1 -y || return 1
	eq "$(ids)" "001_a" && test ! -e "$P/file:app.db" || return 1
	# mode=ro: reading works, writing fails and changes nothing.
	run 0 "$FLUX" status "sqlite:file:app.db?mode=ro" &&
	has "$WORK/out" "001_a" && has "$WORK/out" "Not Applied" || return 1
	run 0 "$FLUX" validate "sqlite:file:app.db?mode=ro" || return 1
	before=$(snapshot)
	"$FLUX" apply "sqlite:file:app.db?mode=ro" -y </dev/null >"$WORK/out" 2>"$WORK/err" &&
		{ echo "apply on mode=ro succeeded"; return 1; }
	has "$WORK/err" "readonly database" && eq "$(snapshot)" "$before" || return 1
	# An absolute file: URI names the same file.
	run 0 "$FLUX" apply "sqlite:file:$DB" -y && eq "$(ids)" "001_a 002_b"
}
ok "sqlite:file: URIs open the file they name; mode=ro reads and refuses to write" \
	t_file_uri_supported

t_one_lock_whatever_the_spelling() {
	fresh
	for i in 1 2 3 4 5 6 7 8; do
		printf 'CREATE TABLE t%s (x int);\nINSERT INTO t%s VALUES (1);\n' "$i" "$i" \
			> "migrations/010_t$i.sql"
	done
	pids=""
	k=1
	for u in "sqlite:file:app.db" "sqlite:$DB" "sqlite:file:$DB" "sqlite:./app.db" \
		 "sqlite:file:app.db" "sqlite:app.db" "sqlite:file:./app.db?cache=private" \
		 "sqlite:///$DB"; do
		"$FLUX" apply "$u" -y </dev/null >"$WORK/par$k.out" 2>&1 & pids="$pids $!"
		k=$((k + 1))
	done
	st=0
	for p in $pids; do wait "$p" || st=1; done
	[ "$st" -eq 0 ] || { cat "$WORK"/par*.out; return 1; }
	eq "$(q "SELECT count(*) FROM _flux_migrations")" 9 && eq "$(applied_lines)" 9 &&
	eq "$(q "SELECT sum(x) FROM (SELECT x FROM t1 UNION ALL SELECT x FROM t8)")" 2
}
ok "8 concurrent applies through 6 spellings of one file take one lock: each migration once" \
	t_one_lock_whatever_the_spelling

# as_reader CMD...: runs CMD as a user who may only read the database: as
# root (whom file modes do not stop) an unprivileged user, else ourselves.
as_reader() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
	else
		"$@"
	fi
}

t_read_only_database() {
	if [ "$(id -u)" -eq 0 ] && ! { command -v setpriv >/dev/null && id nobody >/dev/null 2>&1 &&
		getent group nogroup >/dev/null; }; then
		echo "# skipped: running as root without setpriv and a nobody user"
		return 0
	fi
	fresh
	printf 'CREATE TABLE b (x int);\n' > migrations/002_b.sql
	run 0 "$FLUX" apply "sqlite:$DB" 1 -y || return 1
	# The reader may enter the directories and read every file, and write
	# neither the database nor its directory.
	chmod 0711 "$WORK"
	chmod -R a+rX,go-w "$P"
	chmod a-w "$DB" "$P"
	before=$(snapshot)
	for u in "sqlite:$DB" "sqlite:app.db" "sqlite:file:app.db?mode=ro"; do
		as_reader "$FLUX" status "$u" </dev/null >"$WORK/out" 2>"$WORK/err" ||
			{ echo "status $u failed"; cat "$WORK/err"; chmod u+w "$P"; return 1; }
		has "$WORK/out" "001_a" && has "$WORK/out" "Not Applied" || { chmod u+w "$P"; return 1; }
		as_reader "$FLUX" validate "$u" </dev/null >"$WORK/out" 2>"$WORK/err" ||
			{ echo "validate $u failed"; cat "$WORK/err"; chmod u+w "$P"; return 1; }
		has "$WORK/out" "OK" || { chmod u+w "$P"; return 1; }
	done
	# Writing fails with SQLite's reason and changes nothing.
	as_reader "$FLUX" apply "sqlite:$DB" -y </dev/null >"$WORK/out" 2>"$WORK/err" &&
		{ echo "apply by a reader succeeded"; chmod u+w "$P"; return 1; }
	has "$WORK/err" "readonly database"
	rc=$?
	chmod u+w "$P" "$DB"
	[ "$rc" -eq 0 ] && eq "$(snapshot)" "$before" && eq "$(ids)" "001_a"
}
ok "status and validate work on a database the user may only read" t_read_only_database

t_no_password_in_output() {
	fresh
	run 0 "$FLUX" apply "sqlite:$DB" -y || return 1
	before=$(snapshot)
	for u in "postgresql://u:S3CRETPW@h/db" "sqlite://u:S3CRETPW@h/db" \
		 "host=h password=S3CRETPW dbname=x" "postgres://u:S3CRETPW@[::1"; do
		for cmd in "apply -y" "rollback -y" status validate; do
			# shellcheck disable=SC2086
			"$FLUX" $cmd "$u" </dev/null >"$WORK/out" 2>"$WORK/err" &&
				{ echo "exit 0: $cmd $u"; return 1; }
			[ -s "$WORK/err" ] || { echo "no message: $cmd $u"; return 1; }
			hasnt "$WORK/out" S3CRETPW && hasnt "$WORK/err" S3CRETPW ||
				{ echo "($cmd $u)"; cat "$WORK/err"; return 1; }
		done
		FLUX_DATABASE_URL=$u "$FLUX" status </dev/null >"$WORK/out" 2>"$WORK/err" &&
			{ echo "exit 0: FLUX_DATABASE_URL=$u"; return 1; }
		hasnt "$WORK/out" S3CRETPW && hasnt "$WORK/err" S3CRETPW || return 1
	done
	has "$WORK/err" "not an SQLite URI" && eq "$(snapshot)" "$before"
}
ok "a foreign URI with a password: refused by the SQLite backend, the password never shown" \
	t_no_password_in_output

done_testing
