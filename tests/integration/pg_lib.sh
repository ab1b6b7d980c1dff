# SPDX-License-Identifier: MIT
# Sourced by the PostgreSQL CLI tests after lib.sh: starts a private server
# (tools/pg-test-server) that is stopped when the script exits, even on
# failure, and exports PG* for it; newdb makes a database per test.
# Without server binaries (a package build without postgresql) the script
# skips with the reason, TAP's way (the driver counts exit 77 as an error);
# tools/deps --with-server installs them for tools/check.
PGDIR="$WORK/pg"
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	echo "1..0 # SKIP no PostgreSQL server binaries (initdb) installed"
	exit 0
fi
trap '"$FLUX_TEST_SRCDIR/tools/pg-test-server" stop "$PGDIR"; rm -rf "$WORK"' EXIT
if ! env_lines=$("$FLUX_TEST_SRCDIR/tools/pg-test-server" start "$PGDIR"); then
	echo "not ok 1 - start a PostgreSQL test server"
	echo "1..1"
	exit 1
fi
eval "export $(echo $env_lines)"
N=0

# A new database per test: DB is its name, URI flux's URI for it.
newdb() {
	N=$((N + 1))
	psql -q -c "CREATE DATABASE t$N" >/dev/null
	DB=t$N
	URI="postgresql:///t$N?host=$PGHOST&user=$PGUSER"
}
sql() { psql -d "$DB" -tAq -c "$1"; }
