#!/bin/sh
# SPDX-License-Identifier: MIT
# Output for pipelines: status --exit-code and what --version reports.
. "$FLUX_TEST_SRCDIR/tests/integration/lib.sh"

P="$WORK/proj"
DB="$P/app.db"
mkdir -p "$P/migrations"
cd "$P" || exit 1
printf '[flux]\nbackend = "sqlite"\nmigration_directory = "migrations"\n' > flux.toml
printf 'CREATE TABLE a (x int);\n' > migrations/001_a.sql
printf 'CREATE TABLE b (x int);\n' > migrations/002_b.sql

t_exit_code_pending() {
	run 0 "$FLUX" status "sqlite:$DB" || return 1
	run 1 "$FLUX" status --exit-code "sqlite:$DB" &&
	has "$WORK/err" "2 migrations are not applied" &&
	has "$WORK/out" "Not Applied" || return 1
	run 0 "$FLUX" apply "sqlite:$DB" 1 -y &&
	run 1 "$FLUX" status "sqlite:$DB" --exit-code &&
	has "$WORK/err" "1 migration is not applied" || return 1
	run 0 "$FLUX" apply "sqlite:$DB" -y &&
	run 0 "$FLUX" status --exit-code "sqlite:$DB" && eq "$(cat "$WORK/err")" ""
}
ok "status --exit-code exits 1 while migrations are pending, 0 when none is" t_exit_code_pending

t_exit_code_corrupt() {
	# A changed applied file is still the validation failure, with or
	# without --exit-code.
	cp migrations/001_a.sql "$WORK/keep.sql"
	printf 'CREATE TABLE a (y int);\n' > migrations/001_a.sql
	run 1 "$FLUX" status --exit-code "sqlite:$DB" && has "$WORK/err" "001_a" &&
	hasnt "$WORK/err" "not applied"
	st=$?
	cp "$WORK/keep.sql" migrations/001_a.sql
	return $st
}
ok "status --exit-code still reports a corrupt directory as such" t_exit_code_corrupt

done_testing
