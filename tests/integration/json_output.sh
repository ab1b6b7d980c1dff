#!/bin/sh
# SPDX-License-Identifier: MIT
# --json: every command's real output (and failures) is one JSON document
# on stdout, valid against docs/flux-output.schema.json, with the facts a
# pipeline needs.
. "$FLUX_TEST_SRCDIR/tests/integration/lib.sh"
needs_backend sqlite

SCHEMA="$FLUX_TEST_SRCDIR/docs/flux-output.schema.json"
if ! python3 -c 'import jsonschema' 2>/dev/null; then
	echo "1..0 # SKIP python3-jsonschema is not installed"
	exit 0
fi

# valid [PYTHON-EXPRESSION]: $WORK/out is one document valid against the
# schema, and the expression over it (named d) is true.
valid() {
	python3 - "$SCHEMA" "$WORK/out" "${1:-True}" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
d = json.loads(text)          # exactly one document: json.loads refuses trailing data
jsonschema.Draft202012Validator.check_schema(schema)
jsonschema.Draft202012Validator(schema).validate(d)
if not eval(sys.argv[3], {"d": d}):
    sys.exit("assertion failed: %s\n%s" % (sys.argv[3], json.dumps(d, indent=1)))
PY
}

P="$WORK/proj"
DB="$P/app.db"
mkdir -p "$P"
cd "$P" || exit 1

t_init() {
	run 0 "$FLUX" --json init sqlite && valid \
		'd["command"] == "init" and d["ok"] and d["created"] == "flux.toml" and d["backend"] == "sqlite"' &&
	eq "$(cat "$WORK/err")" "" && test -f flux.toml
}
ok "init --json" t_init

t_init_exists() {
	run 1 "$FLUX" --json init sqlite && valid \
		'not d["ok"] and d["exit_status"] == 1 and d["error"]["kind"] == "exists"' &&
	eq "$(cat "$WORK/err")" ""
}
ok "init --json when flux.toml exists: a JSON error, exit 1, nothing on stderr" t_init_exists

t_init_no_question() {
	mkdir -p "$WORK/other" && cd "$WORK/other" &&
	run 2 "$FLUX" --json init && valid 'd["error"]["kind"] == "usage"' &&
	test ! -e flux.toml
	st=$?; cd "$P"; return $st
}
ok "init --json without BACKEND does not ask: usage error" t_init_no_question

t_new() {
	run 0 "$FLUX" --json new --sql "create things" && valid \
		'd["command"] == "new" and len(d["created"]) == 2 and d["created"][0].endswith("_001_create-things.sql") and d["created"][1].endswith(".undo.sql")' &&
	f=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["created"][0])' "$WORK/out") &&
	test -f "$f" && printf 'CREATE TABLE things (x int);\n' > "$f" &&
	printf 'DROP TABLE things;\n' > "${f%.sql}.undo.sql" &&
	mkdir -p migrations/post-apply && printf 'SELECT 1;\n' > migrations/post-apply/p.sql &&
	printf 'CREATE TABLE zz (x int);\n' > migrations/99990101_001_zz.sql
	printf 'DROP TABLE zz;\n' > migrations/99990101_001_zz.undo.sql
}
ok "new --json lists the files it created" t_new

t_status() {
	run 0 "$FLUX" --json status "sqlite:$DB" && valid \
		'd["ok"] and d["pending"] == 2 and d["applied"] == 0 and [m["status"] for m in d["migrations"]] == ["not_applied"] * 2 and d["post_apply"] == 1' &&
	run 1 "$FLUX" --json status --exit-code "sqlite:$DB" && valid \
		'd["error"]["kind"] == "pending" and d["pending"] == 2'
}
ok "status --json, and --exit-code's pending error" t_status

t_apply_needs_y() {
	run 1 "$FLUX" --json apply "sqlite:$DB" && valid \
		'd["error"]["kind"] == "approval_required" and len(d["plan"]["migrations"]) == 2 and "steps" not in d' &&
	eq "$(sqlite3 "$DB" 'SELECT count(*) FROM _flux_migrations')" 0
}
ok "apply --json without -y shows the plan, asks nothing, changes nothing" t_apply_needs_y

t_apply_dry_run() {
	before=$(md5sum < "$DB")
	run 0 "$FLUX" --json apply "sqlite:$DB" --dry-run && valid \
		'd["ok"] and d["plan"]["direction"] == "apply" and "steps" not in d and [s["stage"] for s in d["dry_run"]] == ["migration", "migration", "post_apply"] and all(s["direction"] == "apply" and s["sql"].startswith("BEGIN") for s in d["dry_run"]) and "INSERT INTO" in d["dry_run"][0]["sql"] and d["dry_run"][0]["file"].endswith(".sql")' &&
	eq "$(md5sum < "$DB")" "$before" && eq "$(cat "$WORK/err")" ""
}
ok "apply --json --dry-run: each step's SQL, nothing changed" t_apply_dry_run

t_apply() {
	run 0 "$FLUX" --json apply "sqlite:$DB" -y && valid \
		'd["ok"] and d["plan"]["direction"] == "apply" and [s["stage"] for s in d["steps"]] == ["migration", "migration", "post_apply"] and all(s["result"] == "done" and s["seconds"] >= 0 for s in d["steps"]) and d["summary"]["done"] == 2 and d["summary"]["planned"] == 2' &&
	eq "$(sqlite3 "$DB" 'SELECT count(*) FROM _flux_migrations')" 2
}
ok "apply --json -y: plan, each step with its time, summary" t_apply

t_validate() {
	run 0 "$FLUX" --json validate "sqlite:$DB" && valid 'd["ok"] and d["applied"] == 2'
}
ok "validate --json" t_validate

t_rollback() {
	run 0 "$FLUX" --json rollback "sqlite:$DB" 1 -y && valid \
		'd["plan"]["direction"] == "rollback" and d["plan"]["migrations"] == ["99990101_001_zz"] and d["steps"][0]["direction"] == "rollback" and d["summary"]["done"] == 1'
}
ok "rollback --json -y" t_rollback

t_migration_failed() {
	printf 'CREATE TABLE ok1 (x int);\nCREATE TABLE (;\n' > migrations/99990101_002_bad.sql
	run 1 "$FLUX" --json apply "sqlite:$DB" -y && valid \
		'd["error"]["kind"] == "migration_failed" and d["error"]["migration"] == "99990101_002_bad" and d["error"]["file"].endswith("99990101_002_bad.sql") and d["error"]["line"] == 2 and d["error"]["column"] >= 1 and d["steps"][-2]["result"] == "failed" and d["summary"]["failed"] == 1' &&
	eq "$(cat "$WORK/err")" ""
	st=$?; rm -f migrations/99990101_002_bad.sql; return $st
}
ok "a failed migration: kind, migration, file, line, column in JSON, nothing on stderr" t_migration_failed

t_corrupt() {
	printf 'CREATE TABLE zz (changed int);\n' > migrations/99990101_001_zz.sql
	run 1 "$FLUX" --json validate "sqlite:$DB" && valid \
		'd["error"]["kind"] == "corrupt_directory" and not d["ok"]' &&
	run 1 "$FLUX" --json status "sqlite:$DB" && valid \
		'd["error"]["kind"] == "corrupt_directory" and d["applied"] == 2'
}
ok "validate and status --json name a corrupt directory" t_corrupt

# $WORK/out is laid out exactly as jansson prints a document (JSON_INDENT
# 2, members in order), which Python's indent=2 matches for these values.
layout() {
	python3 - "$WORK/out" <<'PY'
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
if json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n" != text:
    sys.exit("not jansson's layout:\n" + text)
PY
}

# status's "migrations" are written one element at a time (json.c): the
# files in id order, then the records without a file, in the document's
# layout; validate's document is printed whole, in the same layout.
t_status_elements() {
	mkdir -p "$WORK/el/m" && cd "$WORK/el" || return 1
	printf '[flux]\nbackend = "sqlite"\nmigration_directory = "m"\n' > flux.toml
	printf 'CREATE TABLE a (x int);\n' > m/001_a.sql
	printf -- '-- flux: no-transaction\nCREATE TABLE k1 (x int);\nCREATE TABLE k1 (x int);\n' > m/002_k.sql
	printf 'CREATE TABLE c (x int);\n' > m/003_c.sql
	run 1 "$FLUX" apply "sqlite:el.db" -y &&
	sqlite3 el.db "INSERT INTO _flux_migrations (id, hash) VALUES ('0015_gone', 'y'), ('000_gone', 'x')" &&
	run 1 "$FLUX" --json status "sqlite:el.db" && valid \
		'[(m["id"], m["status"]) for m in d["migrations"]] == [("001_a", "applied"), ("002_k", "incomplete"), ("003_c", "not_applied"), ("000_gone", "no_file"), ("0015_gone", "no_file")] and d["migrations"][3]["path"] is None and d["incomplete"][0]["id"] == "002_k" and d["error"]["kind"] == "corrupt_directory"' &&
	layout &&
	rm -f m/*.sql && run 0 "$FLUX" --json status "sqlite:empty.db" && valid 'd["migrations"] == []' &&
	layout && run 0 "$FLUX" --json validate "sqlite:empty.db" && layout
	st=$?; cd "$P"; return $st
}
ok "status --json writes its migrations one at a time: order, no_file, incomplete, the document's layout" t_status_elements

t_config_error() {
	run 1 "$FLUX" --json -c nonexistent.toml status "sqlite:$DB" && valid \
		'd["error"]["kind"] == "config" and "flux init" in d["error"]["message"]' &&
	eq "$(cat "$WORK/err")" ""
}
ok "a missing flux.toml is a config error in JSON" t_config_error

t_usage() {
	run 2 "$FLUX" --json nosuchcommand && valid 'd["error"]["kind"] == "usage" and d["command"] is None' &&
	run 2 "$FLUX" --json status a b && valid 'd["error"]["kind"] == "usage" and d["command"] == "status"'
}
ok "usage errors are JSON with exit 2" t_usage

t_backends() {
	run 0 "$FLUX" --json backends && valid \
		'any(b["name"] == "sqlite" and b["abi"] and b["error"] is None for b in d["backends"])' || return 1
	M="$WORK/manifests"; mkdir -p "$M"
	printf '[flux.backend]\nbroken = %s/no_such.so:sym\n' "$WORK" > "$M/x.ini"
	run 1 "$FLUX" --json --backend-path "$M" backends --check && valid \
		'd["error"]["kind"] == "plugin" and d["backends"][0]["error"]["kind"] == "plugin"'
}
ok "backends --json, and --check's failure" t_backends

done_testing
