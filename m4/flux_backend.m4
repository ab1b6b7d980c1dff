# SPDX-License-Identifier: MIT
# FLUX_BACKEND(NAME, VAR, PKG-CONFIG-MODULES, DEBIAN-PACKAGE)
# The options of the backend plugins/NAME: built by default when pkg-config
# finds PKG-CONFIG-MODULES, --without-NAME never builds it, --with-NAME
# makes configure fail when they are missing (naming DEBIAN-PACKAGE).
# Sets VAR_CFLAGS and VAR_LIBS, the Automake conditional BUILD_<NAME> (upper
# case) that plugins/NAME's Makefile fragment tests, and adds NAME to
# flux_backends_built or flux_backends_skipped for configure's summary.
AC_DEFUN([FLUX_BACKEND], [
AC_ARG_WITH([$1],
  [AS_HELP_STRING([--without-$1],
    [do not build the $1 backend (needs $4) @<:@default: build it when $4 is found@:>@])],
  [], [[with_]m4_translit([$1], [-.], [__])=check])
flux_want=$[with_]m4_translit([$1], [-.], [__])
flux_build=no
AS_IF([test "x$flux_want" != xno],
  [PKG_CHECK_MODULES([$2], [$3], [flux_build=yes],
    [AS_IF([test "x$flux_want" != xcheck],
      [AC_MSG_ERROR([--with-$1: $3 not found: install the Debian package $4, or configure --without-$1])])
     AC_MSG_WARN([$3 not found: the $1 backend will not be built (install the Debian package $4 to build it)])])])
AS_IF([test "x$flux_build" = xyes],
  [flux_backends_built="${flux_backends_built:+$flux_backends_built }$1"],
  [flux_backends_skipped="${flux_backends_skipped:+$flux_backends_skipped }$1"])
AM_CONDITIONAL([BUILD_]m4_translit(m4_toupper([$1]), [-.], [__]), [test "x$flux_build" = xyes])
])
