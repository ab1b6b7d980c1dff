#!/bin/sh
# SPDX-License-Identifier: MIT
# Helper programs (the python3 that evaluates .py migrations, generator
# scripts) against real SQLite projects: what python3 may import, and
# helpers that never finish (time limit, SIGTERM to flux, leftovers).
. "$FLUX_TEST_SRCDIR/tests/integration/lib.sh"
needs_backend sqlite

P="$WORK/proj"
DB="$P/app.db"
PIDS="$WORK/pids"

# Whatever a test left running (on a flux without these fixes) is killed
# when the script ends, so a failing run does not leave sleepers behind.
cleanup() {
	for f in "$PIDS"/*.pid; do
		[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

fresh() {
	cleanup_pids
	rm -rf "$P"; mkdir -p "$P/migrations" "$PIDS"
	cd "$P" || return 1
	printf '[flux]\nbackend = "sqlite"\nmigration_directory = "migrations"\n' > flux.toml
	printf 'CREATE TABLE a (x int);\n' > migrations/001_a.sql
}

cleanup_pids() {
	for f in "$PIDS"/*.pid; do
		[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
		rm -f "$f"
	done
	return 0
}

q() { sqlite3 "$DB" "$1"; }
ids() { q "SELECT group_concat(id, ' ') FROM (SELECT id FROM _flux_migrations ORDER BY id)"; }

# fails CMD...: like run, but any non-zero status passes; a run that does
# not end within $BOUND s (a hang: generous, python3 may start slowly on a
# loaded machine) is killed and fails.
BOUND=60
fails() {
	timeout -k 5 "$BOUND" "$@" </dev/null >"$WORK/out" 2>"$WORK/err"
	got=$?
	if [ "$got" -eq 0 ] || [ "$got" -eq 124 ] || [ "$got" -eq 137 ]; then
		echo "exit status $got (0: succeeded, 124/137: still running after $BOUND s): $*"
		echo "--- stdout"; cat "$WORK/out"
		echo "--- stderr"; cat "$WORK/err"
		return 1
	fi
}

# succeeds CMD...: exit 0 within $BOUND s.
succeeds() {
	timeout -k 5 "$BOUND" "$@" </dev/null >"$WORK/out" 2>"$WORK/err"
	got=$?
	if [ "$got" -ne 0 ]; then
		echo "exit status $got (124/137: still running after $BOUND s): $*"
		echo "--- stdout"; cat "$WORK/out"
		echo "--- stderr"; cat "$WORK/err"
		return 1
	fi
}

# alive PID: the process exists and is not a zombie (a killed helper whose
# new parent has not reaped it yet is dead all the same).
alive() {
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# gone NAME...: each process whose pid is in $PIDS/NAME.pid is dead, or
# dies within 5 s (SIGKILL is delivered asynchronously).
gone() {
	for pname in "$@"; do
		[ -s "$PIDS/$pname.pid" ] || { echo "no pid file $pname.pid"; return 1; }
		pid=$(cat "$PIDS/$pname.pid")
		n=0
		while alive "$pid"; do
			n=$((n + 1))
			[ $n -lt 50 ] || { echo "$pname (pid $pid) is still running"; return 1; }
			sleep 0.1
		done
	done
}

# wait_for NAME...: until each pid file exists (the helper is running).
wait_for() {
	for pname in "$@"; do
		n=0
		until [ -s "$PIDS/$pname.pid" ]; do
			n=$((n + 1))
			[ $n -lt 600 ] || { echo "$pname never started"; return 1; }
			sleep 0.1
		done
	done
}

# A generator that writes its pid and its child's, then waits on a child
# that sleeps for minutes.  MODE: the mode it hangs in (apply or undo).
sleeping_generator() {
	cat > "$1" <<EOF
#!/bin/sh
if [ "\$1" != "$2" ]; then
	echo "CREATE TABLE g (x int);"; [ "\$1" = undo ] && echo "DROP TABLE g;"
	exit 0
fi
sleep 300 &
echo \$! > "$PIDS/child.pid"
echo \$\$ > "$PIDS/gen.pid"
wait
EOF
	chmod +x "$1"
}

# A .py migration whose apply() starts a sleeping child, writes both pids
# and sleeps.
sleeping_python() {
	cat > "$1" <<EOF
import os, subprocess, time

def apply():
    child = subprocess.Popen(["sleep", "300"])
    with open("$PIDS/child.pid", "w") as f:
        f.write("%d\n" % child.pid)
    with open("$PIDS/py.pid", "w") as f:
        f.write("%d\n" % os.getpid())
    time.sleep(300)
    return "CREATE TABLE never (x int);"
EOF
}

t_cwd_shadow() {
	fresh
	printf 'import json\n\ndef apply():\n    return "CREATE TABLE c (x int);"\n' > migrations/002_c.py
	mkdir -p sub
	# Run from a directory holding modules named like the standard
	# library's: the driver imports traceback, importlib.util and os.
	for mod in traceback os importlib json; do
		printf 'open("%s/shadow-%s", "w").close()\n' "$WORK" "$mod" > "sub/$mod.py"
	done
	cd sub || return 1
	succeeds "$FLUX" -c ../flux.toml apply "sqlite:$DB" -y || return 1
	for mod in traceback os importlib json; do
		[ ! -e "$WORK/shadow-$mod" ] || { echo "sub/$mod.py was executed"; return 1; }
	done
	eq "$(ids)" "001_a 002_c" || return 1
	succeeds "$FLUX" -c ../flux.toml status "sqlite:$DB" && [ ! -e "$WORK/shadow-traceback" ]
}
ok ".py evaluation does not import modules from the current directory" t_cwd_shadow

t_pythonpath_ignored() {
	fresh
	printf 'def apply():\n    return "CREATE TABLE c (x int);"\n' > migrations/002_c.py
	mkdir -p evil
	printf 'open("%s/shadow-env", "w").close()\n' "$WORK" > evil/traceback.py
	PYTHONPATH="$P/evil" PYTHONSTARTUP="$P/evil/traceback.py" \
		succeeds "$FLUX" apply "sqlite:$DB" -y || return 1
	[ ! -e "$WORK/shadow-env" ] || { echo "PYTHONPATH put a module before the standard library"; return 1; }
	eq "$(ids)" "001_a 002_c"
}
ok ".py evaluation is isolated from PYTHONPATH" t_pythonpath_ignored

t_sibling_module() {
	fresh
	mkdir -p migrations/sqlparts migrations/pre-apply/preparts
	printf 'def table(name):\n    return "CREATE TABLE %%s (x int);" %% name\n' \
		> migrations/sqlparts/__init__.py
	printf 'from sqlparts import table\n\ndef apply():\n    return table("sib")\n\ndef undo():\n    return "DROP TABLE sib;"\n' \
		> migrations/002_sib.py
	printf 'SQL = "CREATE TABLE IF NOT EXISTS pre (x int);"\n' > migrations/pre-apply/preparts/__init__.py
	printf 'import preparts\n\ndef apply():\n    return preparts.SQL\n' > migrations/pre-apply/p.py
	succeeds "$FLUX" apply "sqlite:$DB" -y || return 1
	eq "$(ids)" "001_a 002_sib" &&
	eq "$(q "SELECT count(*) FROM sqlite_master WHERE name IN ('sib', 'pre')")" 2 || return 1
	succeeds "$FLUX" rollback "sqlite:$DB" 1 -y && eq "$(ids)" "001_a"
}
ok "a .py migration imports modules next to it (main and pre-apply directories)" t_sibling_module

t_generator_timeout() {
	fresh
	succeeds "$FLUX" apply "sqlite:$DB" -y || return 1
	sleeping_generator migrations/002_gen apply
	start=$(date +%s)
	fails "$FLUX" --helper-timeout 1 apply "sqlite:$DB" -y || return 1
	end=$(date +%s)
	[ $((end - start)) -lt 30 ] || { echo "took $((end - start)) s"; return 1; }
	has "$WORK/err" "migrations/002_gen did not finish within 1 s (--helper-timeout)" || return 1
	gone gen child && eq "$(ids)" "001_a"
}
ok "--helper-timeout: a sleeping generator fails naming the file; it and its child are killed" t_generator_timeout

t_python_timeout() {
	fresh
	printf 'def apply():\n    return "CREATE TABLE c (x int);"\n' > migrations/002_c.py
	sleeping_python migrations/003_slow.py
	printf 'def apply():\n    return "CREATE TABLE d (x int);"\n' > migrations/004_d.py
	# The interpreter itself, not a wrapper such as a pyenv shim, which can
	# take seconds to start on a loaded machine; and a generous limit.
	py=$(python3 -c 'import sys; print(sys.executable)')
	fails env FLUX_PYTHON="$py" "$FLUX" --helper-timeout 10 status "sqlite:$DB" || return 1
	has "$WORK/err" "migrations/003_slow.py: Python migration did not finish within 10 s" || return 1
	hasnt "$WORK/err" "002_c.py:" && gone py child
}
ok "--helper-timeout: a sleeping .py migration is named, python3 and its child are killed" t_python_timeout

t_bad_timeout() {
	fresh
	for v in 0 -1 abc '' inf; do
		run 2 "$FLUX" --helper-timeout "$v" status "sqlite:$DB" &&
		has "$WORK/err" "--helper-timeout takes a positive number of seconds" || return 1
	done
}
ok "--helper-timeout refuses a value that is not a positive number" t_bad_timeout

# sigterm_while NAME...: SIGTERM to the flux started last once the pid
# files NAME... exist; flux must end with 143.
sigterm_while() {
	fpid=$!
	wait_for "$@" || { kill -9 $fpid; return 1; }
	kill -TERM $fpid
	# The wait is bounded: a flux that does not die is killed after 30 s.
	( sleep 30; kill -9 $fpid 2>/dev/null ) & guard=$!
	wait $fpid
	rc=$?
	kill $guard 2>/dev/null
	[ $rc -eq 143 ] || { echo "exit status $rc, wanted 143"; cat "$WORK/err"; return 1; }
}

t_sigterm_generator() {
	fresh
	succeeds "$FLUX" apply "sqlite:$DB" -y || return 1
	sleeping_generator migrations/002_gen apply
	"$FLUX" apply "sqlite:$DB" -y </dev/null >"$WORK/out" 2>"$WORK/err" &
	sigterm_while gen child || return 1
	gone gen child && eq "$(ids)" "001_a"
}
ok "SIGTERM to flux while a generator runs (reading files): exit 143, generator and its child killed" t_sigterm_generator

t_sigterm_python() {
	fresh
	sleeping_python migrations/002_slow.py
	"$FLUX" status "sqlite:$DB" </dev/null >"$WORK/out" 2>"$WORK/err" &
	sigterm_while py child || return 1
	gone py child
}
ok "SIGTERM to flux while a .py migration runs: exit 143, python3 and its child killed" t_sigterm_python

t_sigterm_undo_generator() {
	fresh
	sleeping_generator migrations/002_gen undo
	succeeds "$FLUX" apply "sqlite:$DB" -y && eq "$(ids)" "001_a 002_gen" || return 1
	"$FLUX" rollback "sqlite:$DB" 1 -y </dev/null >"$WORK/out" 2>"$WORK/err" &
	sigterm_while gen child || return 1
	has "$WORK/err" "cancelled while producing the undo of '002_gen'; nothing was undone" || return 1
	gone gen child && eq "$(ids)" "001_a 002_gen"
}
ok "SIGTERM during rollback while the undo generator runs: exit 143, killed, still applied" t_sigterm_undo_generator

t_undo_timeout() {
	fresh
	sleeping_generator migrations/002_gen undo
	succeeds "$FLUX" apply "sqlite:$DB" -y || return 1
	fails "$FLUX" --helper-timeout 1 rollback "sqlite:$DB" 1 -y || return 1
	has "$WORK/err" "migrations/002_gen did not finish within 1 s" || return 1
	gone gen child && eq "$(ids)" "001_a 002_gen"
}
ok "--helper-timeout applies to an undo generator during rollback" t_undo_timeout

t_leftover_child() {
	fresh
	# Exits at once, leaving a background child that holds its stdout.
	cat > migrations/002_bg <<EOF
#!/bin/sh
sleep 300 &
echo \$! > "$PIDS/child.pid"
echo "CREATE TABLE bg (x int);"
EOF
	chmod +x migrations/002_bg
	succeeds "$FLUX" apply "sqlite:$DB" -y || return 1
	eq "$(ids)" "001_a 002_bg" && gone child
}
ok "a generator that exits leaving a child on its stdout: flux goes on, the child is killed" t_leftover_child

t_no_terminal() {
	fresh
	# A generator that wants the terminal: flux runs in the foreground of
	# one (script's pseudo-terminal), the helper must fail, not be stopped.
	cat > migrations/002_tty <<'EOF'
#!/bin/sh
if read -r line < /dev/tty; then echo "SELECT 1;"; else echo "no terminal here" >&2; exit 3; fi
EOF
	chmod +x migrations/002_tty
	timeout -k 5 "$BOUND" script -qec "'$FLUX' status 'sqlite:$DB'" /dev/null \
		</dev/null >"$WORK/out" 2>&1
	got=$?
	[ "$got" -ne 124 ] && [ "$got" -ne 137 ] ||
		{ echo "still running after $BOUND s"; cat "$WORK/out"; return 1; }
	has "$WORK/out" "migrations/002_tty apply: generator exited with status 3" &&
	has "$WORK/out" "no terminal here"
}
if command -v script >/dev/null 2>&1; then
	ok "a generator reading /dev/tty fails at once instead of stopping flux for ever" t_no_terminal
else
	T_NUM=$((T_NUM + 1)); echo "ok $T_NUM # SKIP script(1) not installed"
fi

done_testing
