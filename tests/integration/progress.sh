#!/bin/sh
# SPDX-License-Identifier: MIT
# Live progress of apply: through a pseudo-terminal (the running step's
# line with its seconds, colour unless NO_COLOR or --color=never) and
# through a pipe (plain lines, the start line flushed while the step runs,
# no control characters).  A step is held running, without timing, by a
# reader that keeps a read transaction open on the SQLite file: the
# migration's COMMIT waits for it (busy_timeout_ms is long).
. "$FLUX_TEST_SRCDIR/tests/integration/lib.sh"
needs_backend sqlite

P="$WORK/proj"
DB="$P/app.db"
mkdir -p "$P/migrations"
cd "$P" || exit 1
printf '[flux]\nbackend = "sqlite"\nmigration_directory = "migrations"\n\n[backend]\nbusy_timeout_ms = 120000\n' > flux.toml
printf 'CREATE TABLE a (x int);\n' > migrations/001_a.sql
printf 'DROP TABLE a;\n' > migrations/001_a.undo.sql
printf 'CREATE TABLE b (x int);\n' > migrations/002_b.sql
printf 'DROP TABLE b;\n' > migrations/002_b.undo.sql

# held MODE [ENV=VALUE...] -- FLUX-ARGS...: run flux with stdout on a pipe
# or a pseudo-terminal (MODE), while a reader holds 002_b's commit; wait
# for the start line (and, on the terminal, "1s") while flux still runs,
# then let it finish.  Output bytes in $WORK/out, exit status checked 0.
held() {
	python3 - "$FLUX" "$DB" "$WORK/out" "$@" <<'PY'
import os, pty, select, sqlite3, subprocess, sys, time
flux, db, out, mode = sys.argv[1:5]
rest = sys.argv[5:]
k = rest.index('--')
env = dict(os.environ)
env.pop('NO_COLOR', None)
for kv in rest[:k]:
    key, _, val = kv.partition('=')
    env[key] = val
args = [flux] + rest[k + 1:]
hold = sqlite3.connect(db, isolation_level=None)
hold.execute('BEGIN')
hold.execute('SELECT count(*) FROM _flux_migrations').fetchall()   # SHARED lock
if mode == 'pty':
    master, slave = pty.openpty()
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.DEVNULL, env=env)
    os.close(slave)
    fd = master
else:
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    fd = p.stdout.fileno()
buf = b''
def read_until(pred, limit=60):
    global buf
    end = time.time() + limit
    while not pred(buf):
        if time.time() > end:
            sys.exit('timed out; output so far: %r' % buf)
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b''
            if not chunk:
                sys.exit('output ended early: %r' % buf)
            buf += chunk
read_until(lambda b: b'002_b' in b.split(b'001_a', 2)[-1])
if p.poll() is not None:
    sys.exit('flux exited before 002_b could commit: %r' % buf)
if mode == 'pty':
    read_until(lambda b: b'002_b' in b and (b'1s' in b or b'2s' in b))
    if p.poll() is not None:
        sys.exit('flux exited while it should wait: %r' % buf)
hold.execute('COMMIT')
hold.close()
while True:
    r, _, _ = select.select([fd], [], [], 60)
    if not r:
        sys.exit('no end: %r' % buf)
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        chunk = b''
    if not chunk:
        break
    buf += chunk
rc = p.wait()
open(out, 'wb').write(buf)
sys.exit(0 if rc == 0 else 'flux exited %d: %r' % (rc, buf))
PY
}

fresh() {
	rm -f "$DB"
	run 0 "$FLUX" apply "sqlite:$DB" 1 -y
}

t_pipe() {
	fresh && held pipe -- apply "sqlite:$DB" -y || return 1
	# No control characters but newlines, in order: start line, result.
	if LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177]')" "$WORK/out"; then
		echo "control characters in piped output:"; od -c "$WORK/out"; return 1
	fi
	has "$WORK/out" "  applying   002_b ..." && has "$WORK/out" "  applied    002_b (" &&
	has "$WORK/out" "Applied 1 migration in" &&
	eq "$(grep -n '002_b' "$WORK/out" | cut -d: -f1 | tr '\n' ' ')" "2 3 4 "
}
ok "on a pipe: a plain start line, flushed while the step runs, then its result" t_pipe

t_tty() {
	fresh && held pty -- apply "sqlite:$DB" -y || return 1
	# The running line, its seconds, then the result replacing it, in colour.
	python3 - "$WORK/out" <<'PY'
import re, sys
b = open(sys.argv[1], 'rb').read()
assert re.search(rb'  applying   002_b\x1b\[2m[0-9]+s', b.replace(b'\r\x1b[K', b'')) or \
       re.search(rb'  applying   002_b [^\r]*[0-9]+s', b), b
assert b'\r\x1b[K' in b, b
assert re.search(rb'\x1b\[32mapplied\s*\x1b\[0m 002_b \x1b\[2m\([0-9.]+ ms\)', b), b
assert b'\x1b[1mApplied 1 migration in' in b, b
PY
}
ok "on a terminal: the line appears at the start, shows seconds, ends in colour" t_tty

t_no_color() {
	fresh && held pty NO_COLOR=1 -- apply "sqlite:$DB" -y || return 1
	if grep -q "$(printf '\033')\[[0-9;]*m" "$WORK/out"; then
		echo "colour despite NO_COLOR:"; od -c "$WORK/out" | head; return 1
	fi
	has "$WORK/out" "applied    002_b (" &&
	fresh && held pty -- --color=never apply "sqlite:$DB" -y &&
	! grep -q "$(printf '\033')\[[0-9;]*m" "$WORK/out"
}
ok "NO_COLOR and --color=never: no colour on a terminal" t_no_color

t_color_always() {
	fresh && run 0 "$FLUX" --color=always apply "sqlite:$DB" -y &&
	grep -q "$(printf '\033')\[32mapplied" "$WORK/out" &&
	! grep -q "$(printf '\r')" "$WORK/out" &&
	run 2 "$FLUX" --color=sometimes status "sqlite:$DB"
}
ok "--color=always colours a pipe (still no line rewriting); a bad WHEN is a usage error" t_color_always

done_testing
