#!/bin/sh
# SPDX-License-Identifier: MIT
# contrib/bash-completion/flux: COMPREPLY for commands, options, --to
# migration ids (from flux.toml's migration_directory) and backend names
# (from the build tree's `flux backends`), in a real bash.
. "$FLUX_TEST_SRCDIR/tests/integration/lib.sh"
needs_backend sqlite postgres
COMPLETION="$FLUX_TEST_SRCDIR/contrib/bash-completion/flux"

if ! command -v bash >/dev/null 2>&1; then
	echo "1..0 # SKIP bash is not installed"
	exit 0
fi

# complete DIR WORD...: the completions bash offers for the last WORD (the
# word being typed) in DIR, one a line, sorted.  With BASH_COMPLETION set,
# bash-completion's own library is loaded first (its _init_completion).
complete_in() {
	dir=$1; shift
	(cd "$dir" && bash --norc --noprofile -c '
		[ -n "${BASH_COMPLETION:-}" ] && . "$BASH_COMPLETION"
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_flux flux "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort' completion "$COMPLETION" "$@")
}

mkdir -p "$WORK/proj/db/m" "$WORK/proj/migrations"
printf '[flux]\nbackend = "sqlite"\nmigration_directory = "db/m"\n\n[backend]\nmigration_directory = "no"\n' \
	>"$WORK/proj/flux.toml"
: >"$WORK/proj/db/m/20240101_001_one.sql"
: >"$WORK/proj/db/m/20240101_001_one.undo.sql"
: >"$WORK/proj/db/m/20240102_001_two.py"
printf '#!/bin/sh\n' >"$WORK/proj/db/m/20240103_001_three.sh"
chmod +x "$WORK/proj/db/m/20240103_001_three.sh"
: >"$WORK/proj/db/m/notes.txt"
: >"$WORK/proj/migrations/20990101_001_wrong-dir.sql"

t_commands() {
	eq "$(complete_in "$WORK" flux r | tr '\n' ' ')" "rollback " &&
	eq "$(complete_in "$WORK" flux "" | tr '\n' ' ')" \
		"apply backends init new rollback status validate "
}
ok "commands" t_commands

t_options() {
	eq "$(complete_in "$WORK" flux apply --a)" "--auto-approve" &&
	eq "$(complete_in "$WORK" flux status --e)" "--exit-code" &&
	eq "$(complete_in "$WORK" flux --ver)" "--verbose
--version" &&
	eq "$(complete_in "$WORK" flux new --kind p | tr '\n' ' ')" "post pre python " &&
	eq "$(complete_in "$WORK" flux --color n)" "never" &&
	eq "$(complete_in "$WORK" flux --color never st)" "status"
}
ok "options of the command being typed, and of the global ones" t_options

t_migration_ids() {
	eq "$(complete_in "$WORK/proj" flux apply --to "" | tr '\n' ' ')" \
		"20240101_001_one 20240102_001_two 20240103_001_three " &&
	eq "$(complete_in "$WORK/proj" flux rollback sqlite:x.db --to 20240102)" "20240102_001_two" &&
	# -c names another flux.toml: its directory is the base.
	eq "$(complete_in "$WORK" flux -c proj/flux.toml apply --to 2024010 | tr '\n' ' ')" \
		"20240101_001_one 20240102_001_two 20240103_001_three "
}
ok "--to completes the ids in flux.toml's migration_directory" t_migration_ids

t_backend_names() {
	eq "$(complete_in "$WORK" "$FLUX" init "" | tr '\n' ' ')" "postgres sqlite test-good " &&
	eq "$(complete_in "$WORK" "$FLUX" init sq)" "sqlite"
}
ok "init completes the backend names flux backends lists" t_backend_names

if [ -r /usr/share/bash-completion/bash_completion ]; then
	t_with_bash_completion() {
		BASH_COMPLETION=/usr/share/bash-completion/bash_completion
		export BASH_COMPLETION
		eq "$(complete_in "$WORK/proj" flux apply --to 20240103)" "20240103_001_three" &&
		eq "$(complete_in "$WORK" "$FLUX" init p)" "postgres"
		rc=$?
		unset BASH_COMPLETION
		return $rc
	}
	ok "the same with bash-completion's library loaded" t_with_bash_completion
fi

done_testing
