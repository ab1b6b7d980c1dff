# SPDX-License-Identifier: MIT
# Sourced by the MariaDB/MySQL CLI tests after lib.sh: starts a private
# server (tools/mariadb-test-server) that is stopped when the script exits,
# even on failure, and exports MYSQL_UNIX_PORT and MYSQL_TCP_PORT for it;
# newdb makes a database per test.  Without server or client binaries (a
# build without mariadb-server) the script skips with the reason, TAP's
# way; tools/deps --with-server installs them for tools/check.
MDIR="$WORK/mariadb"
if ! command -v mariadbd >/dev/null 2>&1 && ! command -v mysqld >/dev/null 2>&1 &&
	! [ -x /usr/sbin/mariadbd ] && ! [ -x /usr/sbin/mysqld ]; then
	echo "1..0 # SKIP no MariaDB server binaries (mariadbd) installed"
	exit 0
fi
if ! command -v mariadb >/dev/null 2>&1 || ! command -v mariadb-install-db >/dev/null 2>&1; then
	echo "1..0 # SKIP no MariaDB client or mariadb-install-db installed"
	exit 0
fi
PATH=$PATH:/usr/sbin
# The module's manifest sits in a directory of its own in the build tree.
FLUX_BACKEND_PATH=$FLUX_TEST_BUILDDIR/plugins/mariadb/flux.backend${FLUX_BACKEND_PATH:+:$FLUX_BACKEND_PATH}
export FLUX_BACKEND_PATH
trap '"$FLUX_TEST_SRCDIR/tools/mariadb-test-server" stop "$MDIR"; rm -rf "$WORK"' EXIT
if ! env_lines=$("$FLUX_TEST_SRCDIR/tools/mariadb-test-server" start "$MDIR"); then
	echo "not ok 1 - start a MariaDB test server"
	echo "1..1"
	exit 1
fi
eval "export $(echo $env_lines)"
MSOCK=$MYSQL_UNIX_PORT
# Connector/C reads ~/.my.cnf: the tester's own must not change the runs.
mkdir -p "$WORK/home"
HOME=$WORK/home; export HOME
unset MYSQL_PWD MYSQL_HOST MYSQL_HOME MARIADB_HOME
N=0

# The server as root, in database $DB (mq: no database).
mq() { mariadb --no-defaults -u root -S "$MSOCK" -N -B -e "$1"; }
sql() { mariadb --no-defaults -u root -S "$MSOCK" -N -B "$DB" -e "$1"; }

# A new database per test: DB is its name, URI flux's URI for it.
newdb() {
	N=$((N + 1))
	DB=t$N
	mq "CREATE DATABASE $DB" || return 1
	URI="mariadb://root@localhost/$DB?socket=$MSOCK"
}
