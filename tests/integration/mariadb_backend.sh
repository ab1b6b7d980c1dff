#!/bin/sh
# SPDX-License-Identifier: MIT
# The MariaDB/MySQL backend (plugins/mariadb, a module of its own with its
# own manifest) against a real server that this script starts
# (tools/mariadb-test-server) and stops, even on failure.
. "$FLUX_TEST_SRCDIR/tests/integration/lib.sh"

. "$FLUX_TEST_SRCDIR/tests/integration/mariadb_lib.sh"
P="$WORK/proj"

ids() { sql "SELECT GROUP_CONCAT(id ORDER BY id SEPARATOR ' ') FROM ${1:-_flux_migrations}"; }
exists() { sql "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$DB' AND TABLE_NAME = '$1'"; }

# 001 a table, 002 a procedure and a trigger as mysqldump writes them, 003
# a .py; a view recreated after every apply.
project() {
	rm -rf "$P"; mkdir -p "$P/migrations/post-apply"; cd "$P" || return 1
	printf '[flux]\nbackend = "%s"\nmigration_directory = "migrations"\n\n[backend]\n%s\n' \
		"${BACKEND:-mariadb}" "${1:-}" > flux.toml
	printf 'CREATE TABLE a (x int);\n' > migrations/001_a.sql
	printf 'DROP TABLE a;\n' > migrations/001_a.undo.sql
	cat > migrations/002_routine.sql <<'SQL'
/*!40101 SET @saved_cs_client = @@character_set_client */;
DELIMITER ;;
CREATE PROCEDURE add_one(INOUT x INT)
BEGIN
  SET x = x + 1; -- a semicolon inside the body
END ;;
/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER a_bi BEFORE INSERT ON a FOR EACH ROW BEGIN
  SET NEW.x = NEW.x * 10;
END */;;
DELIMITER ;
/*!40101 SET character_set_client = @saved_cs_client */;
SQL
	printf 'DROP TRIGGER a_bi;\nDROP PROCEDURE add_one;\n' > migrations/002_routine.undo.sql
	printf 'def apply():\n    return "CREATE TABLE c (x int);"\n\ndef undo():\n    return "DROP TABLE c;"\n' > migrations/003_c.py
	printf 'CREATE OR REPLACE VIEW v AS SELECT 1 AS one;\n' > migrations/post-apply/v.sql
}

t_apply_status_rollback() {
	newdb; project
	run 0 "$FLUX" apply "$URI" 2 -y && eq "$(ids)" "001_a 002_routine" || return 1
	eq "$(sql "SET @v = 41; CALL add_one(@v); SELECT @v")" 42 || return 1
	eq "$(sql "INSERT INTO a VALUES (4); SELECT x FROM a")" 40 || return 1
	run 0 "$FLUX" apply "$URI" -y && eq "$(ids)" "001_a 002_routine 003_c" || return 1
	eq "$(sql "SELECT hash FROM _flux_migrations WHERE id = '001_a'")" \
	   "$(md5sum < migrations/001_a.sql | cut -d' ' -f1)" || return 1
	run 0 "$FLUX" status "$URI" && grep -q '^003_c  *Applied ' "$WORK/out" || return 1
	run 0 "$FLUX" validate "$URI" || return 1
	run 0 "$FLUX" rollback "$URI" --to 002_routine -y && eq "$(ids)" "001_a" || return 1
	eq "$(sql "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '$DB'")" 0 &&
	eq "$(exists c)" 0 || return 1
	# The record table: the other backends' columns and meaning.
	eq "$(sql "SELECT GROUP_CONCAT(COLUMN_NAME, ' ', COLUMN_TYPE, ' ', IS_NULLABLE, ' ', COLUMN_KEY ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '$DB' AND TABLE_NAME = '_flux_migrations'")" \
	   "id varchar(255) NO PRI,hash varchar(64) NO ,applied_at datetime(6) NO "
}
ok "apply N / all (DELIMITER routine and trigger), status, validate, rollback --to; the record table" t_apply_status_rollback

# The dry run's script, run by the mariadb client in a second database,
# leaves what a real apply leaves: the routine and trigger (bodies holding
# ';', written between DELIMITER lines), the records with their hashes
# (applied_at aside), no marks; the dry run itself changes nothing.
state() {
	sql "SELECT GROUP_CONCAT(id, ' ', hash ORDER BY id) FROM _flux_migrations;
	     SELECT GROUP_CONCAT(ROUTINE_NAME) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '$DB';
	     SELECT GROUP_CONCAT(TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '$DB';
	     SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$DB';
	     SET @v = 1; CALL add_one(@v); SELECT @v"
}
t_dry_run() {
	newdb; project
	real=$DB real_uri=$URI
	run 0 "$FLUX" apply "$URI" -y && real_state=$(state) || return 1
	newdb
	run 0 "$FLUX" apply "$URI" --dry-run || return 1
	eq "$(exists _flux_migrations)" 0 && has "$WORK/out" "DELIMITER ;;" || return 1
	mariadb --no-defaults -u root -S "$MSOCK" "$DB" < "$WORK/out" || return 1
	eq "$(state)" "$real_state" && eq "$(exists _flux_migrations_incomplete)" 1 &&
	eq "$(sql "SELECT COUNT(*) FROM _flux_migrations_incomplete")" 0 || return 1
	# Nothing pending is left for a real run; the one done for real agrees.
	run 0 "$FLUX" apply "$URI" -y && has "$WORK/out" "Nothing to apply: all 3 migrations are applied." &&
	run 0 "$FLUX" validate "$real_uri" && test -n "$real"
}
ok "apply --dry-run: the mariadb client runs the script (DELIMITER bodies) to the state a real apply leaves" t_dry_run

t_demo() {
	newdb
	rm -rf "$WORK/demo" && cp -r "$FLUX_TEST_SRCDIR/examples/demo-mariadb" "$WORK/demo" &&
	chmod -R u+w "$WORK/demo" && cd "$WORK/demo" || return 1
	run 0 "$FLUX" apply "$URI" -y && has "$WORK/out" "Applied 4 migrations" || return 1
	eq "$(sql "SELECT GROUP_CONCAT(email, ':', posts ORDER BY email) FROM user_post_counts")" \
	   "ada@example.org:1,grace@example.org:0,linus@example.org:0" &&
	eq "$(sql "SELECT title FROM posts")" "Notes on the Analytical Engine" || return 1
	run 0 "$FLUX" rollback "$URI" -y && has "$WORK/out" "Undid 4 migrations" &&
	eq "$(exists users)$(exists posts)" "00"
}
ok "examples/demo-mariadb (.sql with undo, .py, generator, DELIMITER, pre/post) applies and rolls back" t_demo

t_mysql_name() {
	newdb; BACKEND=mysql project
	run 0 "$FLUX" apply "mysql://root@localhost/$DB?socket=$MSOCK" -y &&
	eq "$(ids)" "001_a 002_routine 003_c"
}
ok "the manifest's second name: backend = \"mysql\" and mysql:// URIs" t_mysql_name

t_custom_options_and_lock_timeout() {
	newdb; project 'migrations_schema = "flux_meta"
migrations_table = "history"
migrations_lock_name = "team lock"'
	run 0 "$FLUX" apply "$URI" -y && eq "$(ids flux_meta.history)" "001_a 002_routine 003_c" || return 1
	eq "$(exists _flux_migrations)" 0 || return 1
	printf 'CREATE TABLE d (x int);\n' > migrations/004_d.sql
	# Another session holds the lock: flux waits, names it and its holder,
	# and gives up.
	mariadb --no-defaults -u root -S "$MSOCK" -N -B -e "SELECT GET_LOCK('team lock', 0), SLEEP(300)" >/dev/null 2>&1 &
	holder=$!
	n=0
	until [ "$(mq "SELECT IS_USED_LOCK('team lock') IS NOT NULL")" = 1 ]; do
		n=$((n + 1)); [ $n -lt 100 ] || return 1; sleep 0.1
	done
	run 1 "$FLUX" apply "$URI" -y --lock-timeout 2
	rc=$?
	# Its session would sleep on without its client: end both.
	mq "KILL $(mq "SELECT IS_USED_LOCK('team lock')")"
	kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
	[ $rc -eq 0 ] && has "$WORK/err" "named lock 'team lock' (migrations_lock_name)" &&
	has "$WORK/err" "user 'root'@'localhost', running 'SELECT GET_LOCK('team lock', 0), SLEEP(300)'" || return 1
	eq "$(exists d)" 0 && eq "$(ids flux_meta.history)" "001_a 002_routine 003_c"
}
ok "migrations_schema/table/lock_name; --lock-timeout names the lock and its holder" t_custom_options_and_lock_timeout

t_bad_options() {
	newdb
	project 'migrations_table = "x; DROP TABLE y"'
	run 1 "$FLUX" apply "$URI" -y && has "$WORK/err" "flux.toml:6: [backend] migrations_table" || return 1
	project 'migrations_lock_name = ""'
	run 1 "$FLUX" apply "$URI" -y &&
	has "$WORK/err" "flux.toml:6: [backend] migrations_lock_name must be 1 to 64 printable characters" || return 1
	project 'option_group = "no spaces"'
	run 1 "$FLUX" apply "$URI" -y && has "$WORK/err" "flux.toml:6: [backend] option_group 'no spaces' must match" || return 1
	project 'option_file = "/nonexistent/my.cnf"'
	run 1 "$FLUX" apply "$URI" -y &&
	has "$WORK/err" "flux.toml:6: [backend] option_file '/nonexistent/my.cnf' cannot be read: No such file or directory" || return 1
	project
	run 1 "$FLUX" apply "mariadb://root:s3cretpw@localhost/$DB?socket=$MSOCK&sslmode=on" -y &&
	has "$WORK/err" "not a MariaDB/MySQL URI: the URI's query parameter 2 is not one this backend reads" &&
	hasnt "$WORK/err" "s3cretpw" || return 1
	eq "$(sql "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$DB'")" 0
}
ok "refused options name flux.toml's line; a bad URI is refused unquoted; nothing created" t_bad_options

t_error_position() {
	newdb; project
	printf -- '-- make b\nCREATE TABLE b (\n    x int,\n    y int NOT NUL\n);\n' > migrations/002_routine.sql
	run 1 "$FLUX" apply "$URI" -y &&
	has "$WORK/err" "error 1064: You have an error in your SQL syntax" &&
	has "$WORK/err" "  --> migrations/002_routine.sql:4:15" &&
	has "$WORK/err" "    4 |     y int NOT NUL" &&
	has "$WORK/err" "  SQLSTATE: 42000" || return 1
	eq "$(ids)" "001_a" && eq "$(exists b)" 0
}
ok "a failing statement: error number, SQLSTATE, file:line:column from the server's 'at line N'" t_error_position

t_halfway_and_resume() {
	newdb; project
	# No `-- flux: no-transaction`: DDL commits here, so every migration
	# runs statement by statement.
	printf 'CREATE TABLE n1 (x int);\nINSERT INTO missing VALUES (1);\nCREATE TABLE n3 (x int);\n' > migrations/002_routine.sql
	run 1 "$FLUX" apply "$URI" -y &&
	has "$WORK/err" "statement 2 of 3 failed; the statements before it ran and stay in effect" &&
	has "$WORK/err" "migrations/002_routine.sql:2:" && has "$WORK/err" "error 1146" || return 1
	eq "$(ids)" "001_a" && eq "$(exists n1)$(exists n3)" "10" || return 1
	run 1 "$FLUX" status "$URI" && grep -q '^002_routine  *Incomplete' "$WORK/out" &&
	has "$WORK/out" "statement 2 of 3 failed (SQLSTATE 42S02)" || return 1
	eq "$(sql "SELECT CONCAT(id, ' ', direction) FROM _flux_migrations_incomplete")" "002_routine apply" || return 1
	run 1 "$FLUX" validate "$URI" || return 1
	# Fixed: the next run resumes after statement 1 (CREATE TABLE n1 would
	# fail if it ran again) and clears the mark with the record.
	printf 'CREATE TABLE n1 (x int);\nCREATE TABLE n2 (x int);\nCREATE TABLE n3 (x int);\n' > migrations/002_routine.sql
	run 0 "$FLUX" apply "$URI" -y && eq "$(ids)" "001_a 002_routine 003_c" &&
	eq "$(exists n2)$(exists n3)" "11" &&
	eq "$(sql "SELECT COUNT(*) FROM _flux_migrations_incomplete")" 0 &&
	run 0 "$FLUX" validate "$URI"
}
ok "failure half-way: what committed, Incomplete in status; after the fix the run resumes and clears the mark" t_halfway_and_resume

# Wait until the server runs a statement of flux's containing TEXT.
wait_for_query() {
	n=0
	until [ "$(mq "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%$1%' AND ID <> CONNECTION_ID()")" = 1 ]; do
		n=$((n + 1)); [ $n -lt 100 ] || { echo "flux never reached $1"; return 1; }
		sleep 0.1
	done
}

# flux apply in the background, 002 sleeping in the server between two
# statements; returns once it sleeps, flux's pid in $fpid.
start_sleeping_apply() {
	printf 'CREATE TABLE k1 (x int);\nSELECT SLEEP(20);\nCREATE TABLE k2 (x int);\n' > migrations/002_routine.sql
	"$FLUX" apply "$URI" -y </dev/null >"$WORK/out" 2>"$WORK/err" &
	fpid=$!
	wait_for_query 'SLEEP(20)'
}

t_killed() {
	newdb; project
	start_sleeping_apply || return 1
	kill -9 $fpid; wait $fpid 2>/dev/null
	# Its session still sleeps (and holds the lock) until killed.
	for id in $(mq "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE '%SLEEP(20)%' AND ID <> CONNECTION_ID()"); do
		mq "KILL $id"
	done
	run 1 "$FLUX" status "$URI" && grep -q '^002_routine  *Incomplete' "$WORK/out" &&
	has "$WORK/out" "1 of 3 statements ran" || return 1
	eq "$(ids)" "001_a" && eq "$(exists k1)$(exists k2)" "10"
}
ok "flux killed mid-migration: the mark says 1 of 3 statements ran; k1 stays, k2 never came" t_killed

t_interrupted() {
	newdb; project
	start_sleeping_apply || return 1
	t0=$(date +%s)
	kill -INT $fpid
	wait $fpid
	rc=$?
	[ $rc -eq 130 ] || { echo "exit status $rc"; cat "$WORK/err"; return 1; }
	# KILL QUERY stopped the sleep at once, not after 20 s.
	[ $(($(date +%s) - t0)) -lt 10 ] || { echo "took $(($(date +%s) - t0)) s"; return 1; }
	has "$WORK/err" "cancelled while applying '002_routine'" || return 1
	run 1 "$FLUX" status "$URI" && grep -q '^002_routine  *Incomplete' "$WORK/out" &&
	has "$WORK/out" "statement 2 of 3 failed (SQLSTATE 70100)" || return 1
	# The lock went with flux; no post-apply after a cancel.
	eq "$(mq "SELECT IS_USED_LOCK('flux:$DB') IS NULL")" 1 && eq "$(exists v)" 0 &&
	eq "$(exists k1)$(exists k2)" "10"
}
ok "SIGINT mid-statement: KILL QUERY from a second connection, exit 130, Incomplete, lock free" t_interrupted

t_eight_processes() {
	newdb; project
	i=10; while [ $i -lt 40 ]; do printf 'CREATE TABLE t%s (x int);\n' $i > migrations/0${i}_t.sql; i=$((i + 1)); done
	parallel_apply 8 "$URI" &&
	eq "$(sql "SELECT CONCAT(COUNT(*), ' ', COUNT(DISTINCT id)) FROM _flux_migrations")" "33 33" &&
	eq "$(applied_lines)" 33
}
ok "8 flux apply processes at once: each migration applied exactly once, all exit 0" t_eight_processes

t_passwords() {
	newdb; project
	mq "CREATE USER pw@localhost IDENTIFIED BY 'pw-s3cret'; CREATE USER pw@'127.0.0.1' IDENTIFIED BY 'pw-s3cret';
	    GRANT ALL ON $DB.* TO pw@localhost; GRANT ALL ON $DB.* TO pw@'127.0.0.1';
	    GRANT SUPER ON *.* TO pw@localhost; GRANT SUPER ON *.* TO pw@'127.0.0.1'" || return 1
	# (SUPER: 002's trigger names root as its DEFINER, as mysqldump writes.)
	run 0 "$FLUX" -vv apply "mariadb://pw:pw-s3cret@localhost/$DB?socket=$MSOCK" 1 -y &&
	has "$WORK/err" "mariadb://pw:****@localhost/$DB" &&
	hasnt "$WORK/err" "pw-s3cret" && hasnt "$WORK/out" "pw-s3cret" || return 1
	# Over TCP, the password from MYSQL_PWD.
	MYSQL_PWD=pw-s3cret run 0 "$FLUX" apply "mysql://pw@127.0.0.1:$MYSQL_TCP_PORT/$DB" 1 -y &&
	eq "$(ids)" "001_a 002_routine" || return 1
	# Everything from an option file: user, password, socket, database.
	printf '[client]\nuser=nobody\n[flux]\nuser=pw\npassword=pw-s3cret\nsocket=%s\ndatabase=%s\n' "$MSOCK" "$DB" > "$WORK/my.cnf"
	project "option_file = \"$WORK/my.cnf\""
	run 0 "$FLUX" apply "mariadb://" -y && eq "$(ids)" "001_a 002_routine 003_c" || return 1
	# And from ~/.my.cnf's [flux] group.
	cp "$WORK/my.cnf" "$HOME/.my.cnf" && project &&
	run 0 "$FLUX" status "mariadb://" && has "$WORK/out" "3 of 3 applied" || return 1
	rm -f "$HOME/.my.cnf"
	run 1 "$FLUX" status "mariadb://pw:wrong-pw@localhost/$DB?socket=$MSOCK" &&
	has "$WORK/err" "Access denied for user 'pw'@'localhost'" && hasnt "$WORK/err" "wrong-pw"
}
ok "passwords: in the URI (redacted), MYSQL_PWD over TCP, option files ([flux] group); never shown" t_passwords

done_testing
