#!/bin/sh
# SPDX-License-Identifier: MIT
# The hash cache ($XDG_CACHE_HOME/flux/): real files, the SQLite backend,
# the flux binary.  Which migration files a run opens is read from
# strace(1); a file is cached only once its mtime and ctime are 2 s old,
# so the project is made once and left to age before the tests.
. "$FLUX_TEST_SRCDIR/tests/integration/lib.sh"

P="$WORK/proj"
DB="$P/app.db"
C="$WORK/cache"
export XDG_CACHE_HOME="$C"
unset FLUX_NO_CACHE

skip() { T_NUM=$((T_NUM + 1)); echo "ok $T_NUM - $1 # SKIP $2"; }
have_strace=0
strace -f -o /dev/null true 2>/dev/null && have_strace=1

# opened CMD...: run CMD under strace (exit status 0 wanted); $WORK/opened
# gets the .sql files it opened, one per line.
opened() {
	# LeakSanitizer cannot work under ptrace (the --enable-sanitizers build).
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -e trace=open,openat -o "$WORK/trace" "$@" </dev/null >"$WORK/out" 2>"$WORK/err"
	st=$?
	grep -o '"[^"]*\.sql"' "$WORK/trace" | tr -d '"' | sed 's|.*/||' | sort -u > "$WORK/opened"
	[ "$st" -eq 0 ] || { echo "exit status $st: $*"; cat "$WORK/err"; return 1; }
}
nopened() { wc -l < "$WORK/opened" | tr -d ' '; }
cache_files() { ls "$C/flux" 2>/dev/null | grep -c '\.hashes$'; }
the_cache() { ls "$C"/flux/*.hashes; }

# Five migrations, two with an undo, applied; then old enough to cache.
sqlite_project "$P" || exit 1
for i in 3 4 5; do
	printf 'CREATE TABLE IF NOT EXISTS t%d (x int);\n' "$i" > "migrations/00${i}_t$i.sql"
done
"$FLUX" apply "sqlite:$DB" -y >/dev/null 2>&1 || { echo "Bail out! setup apply failed"; exit 1; }
sleep 2.2

t_created() {
	run 0 "$FLUX" status "sqlite:$DB" && eq "$(cache_files)" 1 || return 1
	eq "$(stat -c %a "$C/flux")" 700 && eq "$(stat -c %a "$(the_cache)")" 600
}
ok "the first run writes the cache: one file in \$XDG_CACHE_HOME/flux/ (0700), mode 0600" t_created

t_no_reads() {
	opened "$FLUX" status "sqlite:$DB" && eq "$(nopened)" 0 || { cat "$WORK/opened"; return 1; }
	grep -q '^005_t5  *Applied' "$WORK/out" || return 1
	opened "$FLUX" validate "sqlite:$DB" && eq "$(nopened)" 0 || return 1
	opened "$FLUX" apply "sqlite:$DB" -y && eq "$(nopened)" 0 &&
	has "$WORK/out" "Nothing to apply" &&
	# Nothing ran, not even a repeatable migration: no "Applied 0" line.
	eq "$(wc -l < "$WORK/out" | tr -d ' ')" 1
}
if [ "$have_strace" -eq 1 ]; then
	ok "the next runs (status, validate, no-op apply) open no migration file" t_no_reads
else
	skip "the next runs open no migration file" "strace not installed (tools/deps)"
fi

t_no_cache() {
	opened "$FLUX" --no-cache status "sqlite:$DB" && eq "$(nopened)" 5 || return 1
	FLUX_NO_CACHE=1 opened "$FLUX" validate "sqlite:$DB" && eq "$(nopened)" 5 || return 1
	FLUX_NO_CACHE=0 opened "$FLUX" validate "sqlite:$DB" && eq "$(nopened)" 0
}
if [ "$have_strace" -eq 1 ]; then
	ok "--no-cache and FLUX_NO_CACHE=1 read every migration (FLUX_NO_CACHE=0 does not)" t_no_cache
else
	skip "--no-cache and FLUX_NO_CACHE=1 read every migration" "strace not installed (tools/deps)"
fi

# A file changed less than 2 s before a run is not trusted by the next run
# however its stat looks: the run that read it did not cache it.
t_racy() {
	printf 'CREATE TABLE t6 (x int);\n' > migrations/006_t6.sql
	run 0 "$FLUX" status "sqlite:$DB" && opened "$FLUX" status "sqlite:$DB"
	st=$?
	rm migrations/006_t6.sql
	[ "$st" -eq 0 ] || return 1
	grep -qx 006_t6.sql "$WORK/opened" || {
		echo "006_t6.sql, written just before, was not read again:"; cat "$WORK/opened"
		return 1
	}
}
if [ "$have_strace" -eq 1 ]; then
	ok "a file written within the racy window (2 s) is read again by the next run" t_racy
else
	skip "a file written within the racy window is read again" "strace not installed (tools/deps)"
fi

# Corrupt: other bytes where the last entry's MD5 is (the layout is in
# hash_cache.c: MD5, flags 0 in one byte, 8 bytes of checksum), which would
# fail validation if they were believed; then a truncated file, and garbage.
t_corrupt() {
	run 0 "$FLUX" status "sqlite:$DB" || return 1
	f=$(the_cache)
	size=$(stat -c %s "$f")
	printf 'XXXXXXXXXXXXXXXX' | dd of="$f" bs=1 seek=$((size - 25)) conv=notrunc 2>/dev/null
	run 0 "$FLUX" validate "sqlite:$DB" && eq "$(cat "$WORK/err")" "" || return 1
	run 0 "$FLUX" status "sqlite:$DB" && grep -q '^005_t5  *Applied' "$WORK/out" || return 1
	head -c 40 "$f" > "$f.cut" && mv "$f.cut" "$f" && chmod 600 "$f"
	run 0 "$FLUX" validate "sqlite:$DB" && eq "$(cat "$WORK/err")" "" || return 1
	printf 'not a cache' > "$f"
	run 0 "$FLUX" validate "sqlite:$DB" && eq "$(cat "$WORK/err")" "" || return 1
	[ "$have_strace" -eq 0 ] && return 0
	# Rebuilt: the run after reads nothing.
	opened "$FLUX" validate "sqlite:$DB" && eq "$(nopened)" 0
}
ok "a corrupt or truncated cache is ignored (nothing said without -vv) and rebuilt" t_corrupt

# -vv says why; without it, nothing (t_corrupt).  --no-cache is said too.
t_notes() {
	printf garbage > "$(the_cache)" &&
	run 0 "$FLUX" -vv validate "sqlite:$DB" &&
	has "$WORK/err" "hash cache: " && grep -q "hash cache: .*ignored and rebuilt" "$WORK/err" &&
	run 0 "$FLUX" -vv --no-cache validate "sqlite:$DB" &&
	has "$WORK/err" "hash cache: off"
}
ok "-vv says why a cache was ignored, and when it is off" t_notes

# Another user's cache file is ignored (and replaced): a poisoned entry
# would let a changed file through unchecked.  Then a group-writable one.
t_foreign() {
	run 0 "$FLUX" status "sqlite:$DB" || return 1
	f=$(the_cache)
	if [ "$(id -u)" -eq 0 ]; then
		chown nobody "$f" || return 1
		opened "$FLUX" status "sqlite:$DB" && eq "$(nopened)" 5 || return 1
		eq "$(stat -c %u "$f")" 0 || return 1 # replaced by ours
	fi
	chmod 620 "$f" || return 1
	opened "$FLUX" status "sqlite:$DB" && eq "$(nopened)" 5 || return 1
	eq "$(stat -c %a "$f")" 600
}
if [ "$have_strace" -eq 1 ]; then
	ok "a cache file of another user, or writable by the group, is not read" t_foreign
else
	skip "a cache file of another user is not read" "strace not installed (tools/deps)"
fi

# A cache directory that is not ours is neither read nor written.
t_foreign_dir() {
	[ "$(id -u)" -eq 0 ] || { chmod 770 "$C/flux"; }
	[ "$(id -u)" -ne 0 ] || chown nobody "$C/flux" || return 1
	rm -f "$C"/flux/*.hashes
	run 0 "$FLUX" status "sqlite:$DB" && eq "$(cache_files)" 0 || return 1
	[ "$(id -u)" -ne 0 ] || chown 0 "$C/flux"
	chmod 700 "$C/flux"
	run 0 "$FLUX" status "sqlite:$DB" && eq "$(cache_files)" 1
}
ok "a cache directory of another user (or group-writable) is not used" t_foreign_dir

t_xdg() {
	run 0 env -u XDG_CACHE_HOME HOME="$WORK/home" "$FLUX" status "sqlite:$DB" &&
	eq "$(ls "$WORK/home/.cache/flux" | grep -c '\.hashes$')" 1 || return 1
	# A relative XDG_CACHE_HOME is ignored, as the XDG spec says.
	run 0 env XDG_CACHE_HOME=relative HOME="$WORK/home2" "$FLUX" status "sqlite:$DB" &&
	test ! -e relative && eq "$(ls "$WORK/home2/.cache/flux" | grep -c '\.hashes$')" 1 || return 1
	run 0 env XDG_CACHE_HOME="$WORK/xdg" "$FLUX" status "sqlite:$DB" &&
	eq "$(ls "$WORK/xdg/flux" | grep -c '\.hashes$')" 1
}
ok "XDG_CACHE_HOME is where the cache goes; ~/.cache/flux without it (or when relative)" t_xdg

# Nowhere to write: a file where the directory should be, a directory
# where the cache file should be (root writes through any mode), and, when
# not root, a read-only cache directory.
t_unwritable() {
	printf x > "$WORK/afile"
	run 0 env XDG_CACHE_HOME="$WORK/afile" "$FLUX" status "sqlite:$DB" &&
	grep -q '^005_t5  *Applied' "$WORK/out" && eq "$(cat "$WORK/err")" "" || return 1
	f=$(the_cache)
	rm "$f" && mkdir "$f" || return 1
	run 0 "$FLUX" validate "sqlite:$DB" && eq "$(cat "$WORK/err")" "" && test -d "$f" || return 1
	run 0 "$FLUX" apply "sqlite:$DB" -y && has "$WORK/out" "Nothing to apply" || return 1
	rmdir "$f"
	if [ "$(id -u)" -ne 0 ]; then
		chmod 500 "$C/flux" &&
		run 0 "$FLUX" validate "sqlite:$DB" && eq "$(cache_files)" 0 || return 1
		chmod 700 "$C/flux"
	fi
	run 0 "$FLUX" validate "sqlite:$DB" && eq "$(cache_files)" 1
}
ok "an unwritable cache (no directory, a directory in the way, read-only) changes nothing" \
	t_unwritable

# The hard case: same size, mtime put back to the nanosecond; only the
# ctime (which nobody can set) says the file changed.
t_same_size_same_mtime() {
	f=migrations/003_t3.sql
	mtime=$(stat -c %y "$f")
	size=$(stat -c %s "$f")
	printf 'CREATE TABLE IF NOT EXISTS t9 (x int);\n' > "$f"
	touch -d "$mtime" "$f"
	eq "$(stat -c %y "$f")" "$mtime" && eq "$(stat -c %s "$f")" "$size" || return 1
	run 1 "$FLUX" validate "sqlite:$DB" &&
	has "$WORK/err" "migration '003_t3' changed after it was applied" || return 1
	printf 'CREATE TABLE IF NOT EXISTS t3 (x int);\n' > "$f"
	touch -d "$mtime" "$f"
	run 0 "$FLUX" validate "sqlite:$DB"
}
ok "an edit of the same size with the same mtime (ns) is seen: ctime is in the key" \
	t_same_size_same_mtime

t_two_projects() {
	Q="$WORK/proj2"
	mkdir -p "$Q/migrations" && cp "$P/flux.toml" "$Q/" || return 1
	printf 'CREATE TABLE other (x int);\n' > "$Q/migrations/001_a.sql"
	(cd "$Q" && "$FLUX" apply "sqlite:$Q/q.db" -y >/dev/null 2>&1) || return 1
	sleep 2.2
	(cd "$Q" && "$FLUX" validate "sqlite:$Q/q.db" >/dev/null 2>&1) || return 1
	eq "$(cache_files)" 2 || return 1
	run 0 "$FLUX" validate "sqlite:$DB" || return 1
	cd "$Q" && run 0 "$FLUX" validate "sqlite:$Q/q.db" && cd "$P"
}
ok "two projects with the same file names keep separate caches" t_two_projects

# A cache hit leaves the text unread until it runs: roll back (the undo is
# read then) and apply again (the up text is read then); the record's hash
# is the file's.
t_lazy_texts() {
	cd "$P" || return 1
	run 0 "$FLUX" status "sqlite:$DB" || return 1
	run 0 "$FLUX" rollback "sqlite:$DB" --to 002_b -y &&
	eq "$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_master WHERE name = 'b'")" 0 || return 1
	run 0 "$FLUX" apply "sqlite:$DB" -y &&
	eq "$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_master WHERE name IN ('b', 't5')")" 2 &&
	eq "$(sqlite3 "$DB" "SELECT hash FROM _flux_migrations WHERE id = '002_b'")" \
	   "$(md5sum < migrations/002_b.sql | cut -d' ' -f1)"
}
ok "texts a cache hit left unread are read when they run (rollback, then apply)" t_lazy_texts

done_testing
