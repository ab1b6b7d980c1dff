# SPDX-License-Identifier: MIT
# FLUX_ADD_CFLAGS(VARIABLE, FLAGS): append to the shell VARIABLE each of
# FLAGS that the C compiler accepts, so an older GCC or a clang builds
# without "unrecognized option" errors.  Each flag is tried with -Werror,
# since clang only warns about an unknown one; a -Wno-X is tried as -WX,
# since GCC accepts any -Wno-X silently.  The answers are cached.
AC_DEFUN([FLUX_ADD_CFLAGS], [
for flux_flag in m4_normalize([$2]); do
  flux_probe=$flux_flag
  case $flux_flag in
  -Wno-*) flux_probe=-W`expr "x$flux_flag" : 'x-Wno-\(.*\)'` ;;
  esac
  AS_VAR_PUSHDEF([flux_cv], [flux_cv_cflag_$flux_probe])
  AC_CACHE_CHECK([whether $CC accepts $flux_probe], [flux_cv], [
    flux_save_CFLAGS=$CFLAGS
    CFLAGS="$CFLAGS -Werror $flux_probe"
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
      [AS_VAR_SET([flux_cv], [yes])], [AS_VAR_SET([flux_cv], [no])])
    CFLAGS=$flux_save_CFLAGS])
  AS_VAR_IF([flux_cv], [yes], [$1="${$1:+$$1 }$flux_flag"])
  AS_VAR_POPDEF([flux_cv])
done
])
