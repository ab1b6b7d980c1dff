/* SPDX-License-Identifier: MIT */
/* Whether a manifest, a module or a manifest directory may be trusted:
 * the rule of sshd's StrictModes.
 *
 * A module runs code in flux's process the moment it is opened (its
 * constructors), and a manifest says which module that is.  So both, and
 * every directory above them, must be changeable only by root or by the
 * user flux runs as (the effective uid): owned by one of them and not
 * writable by group or others.  A directory writable by others is accepted
 * when it has the sticky bit (/tmp): nobody may then rename or remove what
 * another user owns in it, and whatever we reach through it is checked in
 * its turn.  Group write is accepted when the group is the owner's private
 * group (umask 002 on systems with user private groups, as Debian's sshd
 * accepts): named after the owner, the owner's primary group, and listing
 * no other member.  Other users whose primary group it is are not looked
 * for: that would enumerate every account through NSS.
 *
 * Symbolic links are followed and the checks apply to where they lead.
 * The caller gets the resolved path and opens that, so what is read or
 * loaded is what was checked, whatever happens to the links later. */
#include <config.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry.h"

int flux_trust_enforced(void)
{
	/* secure_getenv: in a setuid or setgid process the variable is not
	 * seen, so whoever starts such a process cannot turn the checks off. */
	const char *v = secure_getenv("FLUX_INSECURE_BACKENDS");
	return !(v && strcmp(v, "1") == 0);
}

static const char *kind_of(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	return "a special file";
}

/* Whether gid is the private group of the user uid (see above). */
static int private_group(uid_t uid, gid_t gid)
{
	char pwbuf[8192], grbuf[8192];
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &pwp) != 0 || !pwp ||
	    getgrgid_r(gid, &gr, grbuf, sizeof(grbuf), &grp) != 0 || !grp)
		return 0;
	if (pw.pw_gid != gid || strcmp(gr.gr_name, pw.pw_name) != 0)
		return 0;
	for (char **m = gr.gr_mem; m && *m; m++)
		if (strcmp(*m, pw.pw_name) != 0)
			return 0;
	return 1;
}

/* Owner and mode of one file or directory.  label names it in the reason
 * ("" for the file the caller asked about, when it is no link). */
static int judge(const char *label, const struct stat *st, char *why, size_t n)
{
	uid_t me = geteuid();
	unsigned int mode = (unsigned int)(st->st_mode & 07777);
	if (st->st_uid != 0 && st->st_uid != me) {
		if (me == 0)
			snprintf(why, n, "%sowned by uid %ld, not by root", label,
				 (long)st->st_uid);
		else
			snprintf(why, n, "%sowned by uid %ld, not by root or uid %ld (the user "
				 "flux runs as)", label, (long)st->st_uid, (long)me);
		return 0;
	}
	if (S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX))
		return 1;
	if (st->st_mode & S_IWOTH) {
		snprintf(why, n, "%swritable by others%s (mode %04o)", label,
			 S_ISDIR(st->st_mode) ? " and not sticky" : "", mode);
		return 0;
	}
	if ((st->st_mode & S_IWGRP) && !private_group(st->st_uid, st->st_gid)) {
		snprintf(why, n, "%swritable by its group (gid %ld, mode %04o)", label,
			 (long)st->st_gid, mode);
		return 0;
	}
	return 1;
}

/* Every directory above the canonical path real, up to "/". */
static int judge_parents(const char *real, char *why, size_t n)
{
	char *buf = flux_strdup(real);
	if (!buf)
		return FLUX_TRUST_NOMEM;
	int rc = FLUX_TRUST_OK;
	char *slash;
	while (rc == FLUX_TRUST_OK && (slash = strrchr(buf, '/'))) {
		if (slash == buf) {
			if (!buf[1])
				break; /* "/" was the last one checked */
			slash[1] = '\0';
		} else {
			*slash = '\0';
		}
		struct stat st;
		char label[FLUX_ERROR_PATH_MAX + 16];
		snprintf(label, sizeof(label), "directory %s is ", buf);
		if (stat(buf, &st) != 0) {
			snprintf(why, n, "cannot check directory %s: %s", buf, strerror(errno));
			rc = FLUX_TRUST_REFUSED;
		} else if (!judge(label, &st, why, n)) {
			rc = FLUX_TRUST_REFUSED;
		}
	}
	free(buf);
	return rc;
}

int flux_trust_path(const char *path, int want_dir, int enforce, char **real,
		    struct stat *st, char *why, size_t n)
{
	*real = realpath(path, NULL);
	if (!*real) {
		int e = errno;
		if (e == ENOMEM)
			return FLUX_TRUST_NOMEM;
		snprintf(why, n, "%s", strerror(e));
		return e == ENOENT ? FLUX_TRUST_MISSING : FLUX_TRUST_ERROR;
	}
	if (stat(*real, st) != 0) {
		int e = errno;
		snprintf(why, n, "%s", strerror(e));
		return e == ENOENT ? FLUX_TRUST_MISSING : FLUX_TRUST_ERROR;
	}
	if (want_dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode)) {
		snprintf(why, n, "%s", want_dir && S_ISREG(st->st_mode) ? "a regular file"
			 : kind_of(st->st_mode));
		return FLUX_TRUST_WRONG_TYPE;
	}
	if (!enforce)
		return FLUX_TRUST_OK;
	/* Name the target when a link led elsewhere, so the reason points at
	 * the file to fix. */
	char label[FLUX_ERROR_PATH_MAX + 16] = "";
	if (strcmp(*real, path) != 0)
		snprintf(label, sizeof(label), "%s is ", *real);
	if (!judge(label, st, why, n))
		return FLUX_TRUST_REFUSED;
	return judge_parents(*real, why, n);
}
