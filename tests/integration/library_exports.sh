#!/bin/sh
# SPDX-License-Identifier: MIT
# libflux's shared object exports exactly the functions its public headers
# declare: internals stay out of the ABI, and nothing declared is missing.
. "$FLUX_TEST_SRCDIR/tests/integration/lib.sh"

t_exports_match_headers() {
	so="$FLUX_TEST_BUILDDIR/src/lib/.libs/libflux.so"
	[ -f "$so" ] || { echo "no shared libflux at $so"; return 1; }
	nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }' | sort > "$WORK/exported"
	# Function declarations; a function type (typedef int name(...)) is not one.
	cat "$FLUX_TEST_SRCDIR"/include/flux/*.h | grep -v '^typedef' |
		grep -oE '\bflux_[a-z0-9_]+[[:space:]]*\(' | tr -d '( ' | sort -u > "$WORK/declared"
	[ -s "$WORK/exported" ] && [ -s "$WORK/declared" ] || return 1
	eq "$(comm -3 "$WORK/exported" "$WORK/declared" | tr '\t' '+')" ""
}
ok "libflux.so exports exactly what include/flux declares" t_exports_match_headers

done_testing
