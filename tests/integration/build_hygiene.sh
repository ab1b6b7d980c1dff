#!/bin/sh
# SPDX-License-Identifier: MIT
# What the build and its libraries must not do silently: a failed MD5 (an
# OpenSSL that allows FIPS algorithms only) stops flux naming the file,
# rather than recording an empty hash.
. "$FLUX_TEST_SRCDIR/tests/integration/lib.sh"
needs_backend sqlite

# OpenSSL 3 with default properties fips=yes: with no FIPS provider (none
# is installed on Debian 12) every fetch of MD5 fails, as it does on a
# FIPS system, where the FIPS provider has no MD5.
FIPS_CONF="$WORK/openssl-fips.cnf"
printf 'openssl_conf = init\n[init]\nalg_section = algs\n[algs]\ndefault_properties = fips=yes\n' \
	> "$FIPS_CONF"

t_md5_refused_names_the_file() {
	sqlite_project "$WORK/fips" 1 || return 1
	# The same project without that setting: the hash is there.
	run 0 "$FLUX" status "sqlite:$WORK/fips-control.db" &&
	has "$WORK/out" "001_a  Not Applied" || return 1
	for cmd in status "apply --auto-approve"; do
		# shellcheck disable=SC2086
		run 1 env OPENSSL_CONF="$FIPS_CONF" "$FLUX" $cmd "sqlite:$WORK/fips.db" || return 1
		has "$WORK/err" "migrations/001_a.sql: cannot compute the MD5 hash flux records for it" &&
		has "$WORK/err" "OpenSSL refuses MD5" || return 1
		# Nothing was created or recorded.
		[ ! -e "$WORK/fips.db" ] || { echo "$cmd created the database"; return 1; }
	done
}
ok "an OpenSSL without MD5 (FIPS-only) stops status and apply, naming the file and MD5" \
	t_md5_refused_names_the_file

done_testing
