#!/bin/sh
# SPDX-License-Identifier: MIT
# The PostgreSQL backend under hostile input, against a server this script
# starts and stops: a NUL byte in a migration (which libpq would cut the
# SQL at), and passwords in every shape of connection string, which no
# command may print.
. "$FLUX_TEST_SRCDIR/tests/integration/lib.sh"
needs_backend postgres

. "$FLUX_TEST_SRCDIR/tests/integration/pg_lib.sh"
P="$WORK/proj"

ids() { sql "SELECT coalesce(string_agg(id, ' ' ORDER BY id), '') FROM public._flux_migrations"; }

project() {
	rm -rf "$P"; mkdir -p "$P/migrations"; cd "$P" || return 1
	printf '[flux]\nbackend = "postgres"\nmigration_directory = "migrations"\n' > flux.toml
	printf 'CREATE TABLE a (x int);\n' > migrations/001_a.sql
	printf 'DROP TABLE a;\n' > migrations/001_a.undo.sql
}

t_nul_refused() {
	newdb; project
	run 0 "$FLUX" apply "$URI" -y || return 1
	# Before the fix: exit 0, recorded as applied, and n2 never created.
	printf -- '-- flux: no-transaction\nCREATE TABLE n1 (a int);\000CREATE TABLE n2 (a int);\n' > migrations/002_nul.sql
	"$FLUX" apply "$URI" -y </dev/null >"$WORK/out" 2>"$WORK/err" && { cat "$WORK/out"; return 1; }
	has "$WORK/err" "migrations/002_nul.sql: the SQL holds a NUL byte (line 2, column 25)" &&
	has "$WORK/err" "--> migrations/002_nul.sql:2:25" || return 1
	eq "$(ids)" "001_a" &&
	eq "$(sql "SELECT count(*) FROM pg_tables WHERE tablename IN ('n1', 'n2')")" 0 || return 1
	printf 'CREATE TABLE n1 (a int);\000CREATE TABLE n2 (a int);\n' > migrations/002_nul.sql
	"$FLUX" apply "$URI" -y </dev/null >"$WORK/out" 2>"$WORK/err" && return 1
	has "$WORK/err" "migrations/002_nul.sql: the SQL holds a NUL byte (line 1, column 25)" &&
	eq "$(ids)" "001_a"
}
ok "a NUL byte in a migration is refused before anything runs, with file:line:column" t_nul_refused

# no_secret: neither the password nor a telling piece of it was printed.
no_secret() {
	for f in "$WORK/out" "$WORK/err"; do
		if grep -qE 'S3CRET|CRETPW|3CRE|"S3"' "$f"; then
			echo "secret shown by: $*"
			echo "--- stdout"; cat "$WORK/out"
			echo "--- stderr"; cat "$WORK/err"
			return 1
		fi
	done
}

# every_command URI: status, validate, apply (no answer, "n", -y) and
# rollback -y, with -vv (which adds log lines to what they print without
# it); none may show the password.
every_command() {
	for c in status validate "apply -y" "rollback -y" apply; do
		"$FLUX" -vv $c "$1" </dev/null >"$WORK/out" 2>"$WORK/err"
		no_secret "-vv $c" || return 1
	done
	echo n | "$FLUX" -vv apply "$1" >"$WORK/out" 2>"$WORK/err"
	no_secret "-vv apply, answered n"
}

t_secrets() {
	newdb; project
	H=$PGHOST U=$PGUSER
	# Shapes that connect (the test server trusts every password), so the
	# Database: line, the prompt and -vv's log all see the URI.
	for uri in \
		"postgresql://$U:S3CRETPW@/$DB?host=$H" \
		"postgres://$U:S3CRETPW@/$DB?host=$H&sslmode=disable" \
		"postgresql+asyncpg://$U:S3CRETPW@/$DB?host=$H" \
		"postgresql://$U:S3%43RETPW@/$DB?host=$H" \
		"postgresql:///$DB?host=$H&user=$U&password=S3CRETPW" \
		"postgresql:///$DB?host=$H&user=$U&pass%77ord=S3CRETPW" \
		"postgresql:///$DB?host=$H&user=$U&%70assword=S3CRETPW&application_name=x" \
		"host=$H dbname=$DB user=$U password=S3CRETPW" \
		"host=$H dbname=$DB user=$U password = 'S3CRET PW\\' x'" \
		"host=$H dbname=$DB user=$U password=S3CRET\\ PW" \
		"host=$H dbname=$DB user=$U sslpassword=S3CRETPW" \
		"host=$H
password=S3CRETPW dbname=$DB user=$U"; do
		every_command "$uri" || return 1
	done
	# The commands did run: the connecting shapes applied and rolled back.
	run 0 "$FLUX" status "postgresql://$U:S3CRETPW@/$DB?host=$H" &&
	has "$WORK/out" "Database: postgresql://$U:****@/$DB?host=$H" || return 1
	# Shapes that fail: libpq's parse errors quote the URI; a password put
	# where a host or port goes; a URI inside key=value; another scheme.
	for uri in \
		"postgresql://u:S3CRETPW@[::1" \
		"postgresql://u:S3CRETPW@[]/db" \
		"postgresql://u:S3CRETPW@h:5x/db" \
		"postgresql://u:S3/CRETPW@h/db" \
		"postgresql://u@/$DB?host=$H&password=S3%zzCRETPW" \
		"postgresql://u@/$DB?host=$H&password=S3CRETPW&bogus" \
		"postgresql://u:S3CRETPW@/$DB?host=$H&nosuchoption=1" \
		"host=$H password='S3CRETPW" \
		"host=$H password=S3CRETPW dbname" \
		"host=$H nosuch=1 password=S3CRETPW" \
		"dbname=postgresql://u:S3CRETPW@/nosuchdb?host=$H host=$H" \
		"mysql://u:S3CRETPW@h/db" \
		"sqlite://u:S3CRETPW@h/db"; do
		every_command "$uri" || return 1
	done
	# The same through FLUX_DATABASE_URL.
	FLUX_DATABASE_URL="postgresql://u:S3CRETPW@[::1" "$FLUX" -vv status </dev/null >"$WORK/out" 2>"$WORK/err"
	no_secret "FLUX_DATABASE_URL" || return 1
	# Nothing is left applied after the last rollback.
	eq "$(ids)" ""
}
ok "no command prints a password, whatever the connection string's shape" t_secrets

done_testing
