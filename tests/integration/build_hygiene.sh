#!/bin/sh
# SPDX-License-Identifier: MIT
# What the build and its libraries must not do: the migration hash (MD5, a
# name for a text in the record table, not a security check) must not
# depend on what OpenSSL allows.  flux takes MD5 from libmd, so an OpenSSL
# that allows FIPS algorithms only (which refuses MD5, and stopped flux 0.3
# before this change) changes nothing.
. "$FLUX_TEST_SRCDIR/tests/integration/lib.sh"
needs_backend sqlite

# OpenSSL 3 with default properties fips=yes: with no FIPS provider (none
# is installed on Debian 12) every fetch of MD5 through OpenSSL fails, as
# it does on a FIPS system, where the FIPS provider has no MD5.
FIPS_CONF="$WORK/openssl-fips.cnf"
printf 'openssl_conf = init\n[init]\nalg_section = algs\n[algs]\ndefault_properties = fips=yes\n' \
	> "$FIPS_CONF"

t_md5_without_openssl() {
	sqlite_project "$WORK/fips" 2 || return 1
	# The configuration really refuses MD5 to OpenSSL's users.
	if command -v openssl >/dev/null; then
		printf x | OPENSSL_CONF="$FIPS_CONF" openssl md5 >/dev/null 2>&1 &&
			{ echo "OpenSSL still gives MD5 under $FIPS_CONF"; return 1; }
	fi
	run 0 env OPENSSL_CONF="$FIPS_CONF" "$FLUX" status "sqlite:$WORK/fips.db" &&
	has "$WORK/out" "0 of 2 applied" &&
	run 0 env OPENSSL_CONF="$FIPS_CONF" FLUX_NO_CACHE=1 "$FLUX" apply -y "sqlite:$WORK/fips.db" ||
		return 1
	want=$(md5sum < migrations/002_b.sql | cut -d' ' -f1)
	eq "$(sqlite3 "$WORK/fips.db" "SELECT hash FROM _flux_migrations WHERE id = '002_b'")" \
		"$want" &&
	run 0 env OPENSSL_CONF="$FIPS_CONF" "$FLUX" validate "sqlite:$WORK/fips.db"
}
ok "a FIPS-only OpenSSL changes nothing: MD5 comes from libmd, hashes as md5sum's" \
	t_md5_without_openssl

done_testing
