#!/bin/sh
# SPDX-License-Identifier: MIT
# Drop-in compatibility: where the Python tool (flux-migrations) defines a
# behaviour, flux does exactly that.  One test per behaviour, named after
# it; the expected file names and templates are computed by python3 itself
# where Python's own string rules decide them.
. "$FLUX_TEST_SRCDIR/tests/integration/lib.sh"
needs_backend sqlite

P="$WORK/proj"
DB="$P/app.db"

project() {
	sqlite_project "$P" && mkdir -p migrations/pre-apply migrations/post-apply || return 1
	printf 'CREATE TABLE IF NOT EXISTS log (stage text);\nINSERT INTO log VALUES ('"'pre'"');\n' > migrations/pre-apply/p.sql
	printf 'CREATE TABLE IF NOT EXISTS log (stage text);\nINSERT INTO log VALUES ('"'post'"');\n' > migrations/post-apply/q.sql
}
q() { sqlite3 "$DB" "$1"; }
ids() { q "SELECT group_concat(id, ' ') FROM (SELECT id FROM _flux_migrations ORDER BY id)"; }
stages() { q "SELECT group_concat(stage, ',') FROM log"; }

# --- 1. repeatable migrations on every apply and rollback -----------------

t_repeatable_on_apply_with_nothing_pending() {
	project
	run 0 "$FLUX" apply "sqlite:$DB" -y && eq "$(stages)" "pre,post" || return 1
	run 0 "$FLUX" apply "sqlite:$DB" -y && has "$WORK/out" "Nothing to apply" &&
	has "$WORK/out" "pre-apply  p" && has "$WORK/out" "post-apply q" &&
	eq "$(stages)" "pre,post,pre,post"
}
ok "pre-apply and post-apply run on apply when no migration is pending" \
	t_repeatable_on_apply_with_nothing_pending

t_repeatable_on_apply_0() {
	project
	run 0 "$FLUX" apply "sqlite:$DB" 0 -y && eq "$(ids)" "" && eq "$(stages)" "pre,post"
}
ok "apply 0 applies nothing but runs pre-apply and post-apply" t_repeatable_on_apply_0

t_repeatable_on_empty_rollback() {
	project
	run 0 "$FLUX" rollback "sqlite:$DB" -y && has "$WORK/out" "Nothing to undo: no migration is applied." &&
	eq "$(stages)" "pre,post" || return 1
	run 0 "$FLUX" rollback "sqlite:$DB" -y --no-repeatable && eq "$(stages)" "pre,post" || return 1
	printf 'apply_repeatable_on_undo = false\n' >> flux.toml
	run 0 "$FLUX" rollback "sqlite:$DB" -y && eq "$(stages)" "pre,post"
}
ok "rollback with nothing to undo runs pre/post-apply, unless --no-repeatable or apply_repeatable_on_undo = false" \
	t_repeatable_on_empty_rollback

t_post_apply_after_failure() {
	project
	printf 'CREATE TABLE broken (;\n' > migrations/003_broken.sql
	run 1 "$FLUX" apply "sqlite:$DB" -y && eq "$(ids)" "001_a 002_b" && eq "$(stages)" "pre,post"
}
ok "post-apply runs after a failed migration; exit 1" t_post_apply_after_failure

# --- 2. confirmation reads standard input, terminal or not ----------------

t_piped_yes_applies() {
	project
	echo y | "$FLUX" apply "sqlite:$DB" >"$WORK/out" 2>"$WORK/err" || return 1
	has "$WORK/out" "Apply these migrations? [y/n]: " && eq "$(ids)" "001_a 002_b" || return 1
	yes | "$FLUX" rollback "sqlite:$DB" 1 >"$WORK/out" 2>"$WORK/err" || return 1
	has "$WORK/out" "Undo these migrations? [y/n]: " && eq "$(ids)" "001_a"
}
ok "echo y | flux apply and yes | flux rollback proceed, asking the Python tool's questions" \
	t_piped_yes_applies

t_answer_no_declines() {
	project
	for answer in n no N x ''; do
		echo "$answer" | "$FLUX" apply "sqlite:$DB" >"$WORK/out" 2>"$WORK/err"
		rc=$?
		[ "$rc" -eq 1 ] || { echo "answer '$answer': exit $rc"; return 1; }
		has "$WORK/err" "nothing was changed" && eq "$(ids 2>/dev/null)" "" || return 1
	done
	eq "$(q "SELECT count(*) FROM sqlite_master WHERE name = 'log'")" 0
}
ok "any answer but y/yes declines: exit 1, nothing was changed (not even pre-apply)" \
	t_answer_no_declines

t_end_of_input_declines() {
	project
	run 1 "$FLUX" apply "sqlite:$DB" && has "$WORK/err" "no answer was read from standard input" &&
	has "$WORK/err" "nothing was changed" || return 1
	run 0 "$FLUX" apply "sqlite:$DB" -y || return 1
	run 1 "$FLUX" rollback "sqlite:$DB" && has "$WORK/err" "no answer was read" &&
	eq "$(ids)" "001_a 002_b"
}
ok "end of input declines with exit 1 and says no answer was read" t_end_of_input_declines

t_asks_even_when_nothing_pending() {
	project
	run 0 "$FLUX" apply "sqlite:$DB" -y || return 1
	echo n | "$FLUX" apply "sqlite:$DB" >"$WORK/out" 2>"$WORK/err"
	[ $? -eq 1 ] && has "$WORK/out" "Apply these migrations?" && eq "$(stages)" "pre,post"
}
ok "apply asks even when nothing is pending (pre/post-apply would run)" \
	t_asks_even_when_nothing_pending

# --- 3. flux init asks for the backend on standard input ------------------

t_init_reads_backend_from_stdin() {
	rm -rf "$P"; mkdir -p "$P"; cd "$P" || return 1
	echo sqlite | "$FLUX" init >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
	has "$WORK/out" "Enter the name of the backend to use: " &&
	has "$WORK/out" "Created flux.toml" && has flux.toml 'backend = "sqlite"' || return 1
	rm flux.toml
	echo nosuchdb | "$FLUX" init >"$WORK/out" 2>"$WORK/err"
	[ $? -eq 1 ] && has "$WORK/err" "Backend 'nosuchdb' is not installed" && test ! -e flux.toml
}
ok "flux init without BACKEND reads it from standard input with the Python tool's prompt" \
	t_init_reads_backend_from_stdin

# --- 4. flux new: .py by default, the Python tool's templates ------------

# The Python tool's file name and template, computed by Python itself.
py_expect() {
	python3 - "$1" "$2" <<'EOF'
import datetime, sys
desc, kind = sys.argv[1], sys.argv[2]
name = datetime.date.today().strftime("%Y%m%d") + "_001_" + "-".join(desc.lower().split())
print(name)
undo = "" if kind == "repeatable" else '\ndef undo():\n    return """ """\n\n'
open("expected.py", "w").write(f'"""\n{desc}\n"""\n\n\ndef apply():\n    return """ """\n\n' + undo)
EOF
}

t_new_default_python_template() {
	project
	desc='Add users table'
	file=$(cd "$WORK" && py_expect "$desc" main) || return 1
	run 0 "$FLUX" new "$desc" && cmp "$WORK/expected.py" "migrations/$file.py" &&
	test ! -e "migrations/$file.sql" || return 1
	python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read())' "migrations/$file.py"
}
ok "new writes a .py by default, the Python tool's template byte for byte" \
	t_new_default_python_template

t_new_pre_post_python_have_no_undo() {
	project
	file=$(cd "$WORK" && py_expect "refresh views" repeatable) || return 1
	run 0 "$FLUX" new --post "refresh views" &&
	cmp "$WORK/expected.py" "migrations/post-apply/$file.py" || return 1
	run 0 "$FLUX" new --pre "refresh views" &&
	cmp "$WORK/expected.py" "migrations/pre-apply/$file.py"
}
ok "new --pre/--post write the template without undo()" t_new_pre_post_python_have_no_undo

t_new_sql_writes_empty_files() {
	project
	today=$(date +%Y%m%d)
	run 0 "$FLUX" new --sql "Create things" &&
	test -f "migrations/${today}_001_create-things.sql" &&
	test ! -s "migrations/${today}_001_create-things.sql" &&
	test -f "migrations/${today}_001_create-things.undo.sql" &&
	test ! -s "migrations/${today}_001_create-things.undo.sql" || return 1
	run 0 "$FLUX" new --sql --pre "Grants" &&
	test ! -s "migrations/pre-apply/${today}_001_grants.sql" &&
	test ! -e "migrations/pre-apply/${today}_001_grants.undo.sql"
}
ok "new --sql writes an empty .sql and an empty .undo.sql (no undo for --pre)" \
	t_new_sql_writes_empty_files

t_new_lowercases_like_python() {
	project
	desc=$(printf 'ÄÖÜ Straße\tΟΔΟΣ  İstanbul\302\240Café ÉTÉ')
	file=$(cd "$WORK" && py_expect "$desc" main) || return 1
	run 0 "$FLUX" new "$desc" && test -f "migrations/$file.py" ||
		{ ls migrations; echo "wanted $file.py"; return 1; }
	cmp "$WORK/expected.py" "migrations/$file.py"
}
ok "new lower-cases and splits the description as Python's str.lower().split() does" \
	t_new_lowercases_like_python

# --- 5. exit statuses and messages ----------------------------------------

t_init_exists_exit_1() {
	project
	run 1 "$FLUX" init sqlite && has "$WORK/err" "flux.toml already exists"
}
ok "init when flux.toml exists: exit 1, 'flux.toml already exists'" t_init_exists_exit_1

t_init_not_installed_exit_1() {
	rm -rf "$P"; mkdir -p "$P"; cd "$P" || return 1
	run 1 "$FLUX" init cooldb && has "$WORK/err" "Backend 'cooldb' is not installed" &&
	test ! -e flux.toml
}
ok "init with a backend that is not installed: exit 1, the Python tool's message" \
	t_init_not_installed_exit_1

t_new_pre_and_post_exit_1() {
	project
	run 1 "$FLUX" new --pre --post x &&
	has "$WORK/err" "Cannot create migration with both --pre and --post" &&
	eq "$(ls migrations/pre-apply migrations/post-apply | grep -c x)" 0
}
ok "new --pre --post: exit 1, 'Cannot create migration with both --pre and --post'" \
	t_new_pre_and_post_exit_1

t_no_config_exit_1() {
	rm -rf "$P"; mkdir -p "$P"; cd "$P" || return 1
	for cmd in "new x" "apply sqlite:$DB -y" "rollback sqlite:$DB -y" "status sqlite:$DB" \
		   "validate sqlite:$DB"; do
		# shellcheck disable=SC2086
		run 1 "$FLUX" $cmd &&
		has "$WORK/err" 'Please run `flux init` to create a configuration file' || return 1
	done
	test ! -e "$DB" && test ! -e migrations
}
ok "every command that needs flux.toml says 'Please run \`flux init\`' and exits 1" \
	t_no_config_exit_1

t_runtime_failures_exit_1() {
	project
	run 0 "$FLUX" apply "sqlite:$DB" -y || return 1
	# corrupt directory
	printf 'CREATE TABLE a (y int);\n' > migrations/001_a.sql
	run 1 "$FLUX" validate "sqlite:$DB" && run 1 "$FLUX" apply "sqlite:$DB" -y || return 1
	project
	# a backend that cannot open its database: a directory, a file in a
	# directory that does not exist (status would call every migration
	# pending), the same as a file: URI
	run 1 "$FLUX" status "sqlite:$WORK" || return 1
	run 1 "$FLUX" status "sqlite:$WORK/no/such/app.db" &&
	has "$WORK/err" "directory $WORK/no/such does not exist" || return 1
	run 1 "$FLUX" validate "sqlite:file:$WORK/no%20such/app.db?mode=rw" &&
	has "$WORK/err" "directory $WORK/no such does not exist" || return 1
	test ! -e "$WORK/no" || return 1
	# a broken flux.toml
	printf '[flux]\nbackend = "sqlite"\n' > flux.toml
	run 1 "$FLUX" status "sqlite:$DB" && has "$WORK/err" "migration_directory" || return 1
	# a lock time-out
	project
	run 0 "$FLUX" apply "sqlite:$DB" -y || return 1
	hold_flock "$DB" || return 1
	run 1 "$FLUX" apply "sqlite:$DB" -y --lock-timeout 1
	rc=$?
	release_flock
	[ $rc -eq 0 ] && has "$WORK/err" "gave up after" && has "$WORK/err" "$DB"
}
ok "runtime failures exit 1: corrupt directory, backend, flux.toml, lock time-out" \
	t_runtime_failures_exit_1

t_usage_errors_exit_2() {
	project
	run 2 "$FLUX" apply "sqlite:$DB" --frobnicate && run 2 "$FLUX" apply "sqlite:$DB" -1 -y &&
	run 2 "$FLUX" status a b c && run 2 "$FLUX" frobnicate && run 2 "$FLUX" new &&
	run 2 "$FLUX" new --kind perl x
}
ok "command-line usage errors exit 2, as the Python tool's CLI library does" t_usage_errors_exit_2

# --- 6. small ones --------------------------------------------------------

t_rollback_0_says_why() {
	project
	run 0 "$FLUX" apply "sqlite:$DB" -y &&
	run 0 "$FLUX" rollback "sqlite:$DB" 0 -y && hasnt "$WORK/out" "no migration is applied" &&
	has "$WORK/out" "Nothing to undo: N is 0 (2 of 2 migrations are applied)." &&
	eq "$(ids)" "001_a 002_b"
}
ok "rollback 0 with migrations applied says N is 0, not that none is applied" \
	t_rollback_0_says_why

t_log_level_python_names() {
	project
	for level in debug Info WARNING warn Error critical FATAL NOTSET; do
		sed -i '/^log_level/d' flux.toml
		printf 'log_level = "%s"\n' "$level" >> flux.toml
		run 0 "$FLUX" status "sqlite:$DB" && hasnt "$WORK/err" "log_level" ||
			{ echo "log_level $level"; return 1; }
	done
	sed -i '/^log_level/d' flux.toml
	printf 'log_level = "LOUD"\n' >> flux.toml
	run 0 "$FLUX" status "sqlite:$DB" && has "$WORK/err" "warning" &&
	has "$WORK/err" "flux.toml:4" && has "$WORK/err" "LOUD"
}
ok "log_level takes every Python logging name in any case; an unknown one warns with flux.toml:line" \
	t_log_level_python_names

t_status_header_words() {
	project
	run 0 "$FLUX" apply "sqlite:$DB" 1 -y && run 0 "$FLUX" status "sqlite:$DB" || return 1
	grep -q '^ID  *Status  *Applied at$' "$WORK/out" &&
	grep -q '^001_a  *Applied  ' "$WORK/out" && grep -q '^002_b  *Not Applied *$' "$WORK/out"
}
ok "status: the Python tool's ID and Status header and Applied / Not Applied words" \
	t_status_header_words

done_testing
