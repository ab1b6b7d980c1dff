#!/bin/sh
# SPDX-License-Identifier: MIT
# A generator script: flux runs it with `apply` or `undo` and applies what
# it prints.  Any language works; this one is POSIX sh.
case "$1" in
apply)
	for name in ada grace linus; do
		echo "INSERT INTO users (email) VALUES ('$name@example.org');"
	done
	;;
undo)
	echo "DELETE FROM users WHERE email LIKE '%@example.org';"
	;;
*)
	echo "usage: $0 apply|undo" >&2
	exit 2
	;;
esac
