/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the migration reader through the public
 * flux_migrations_read().  Input layout:
 *   byte 0   flags: 1 write an undo file, 2 put the migration in
 *            pre-apply/, 4 in post-apply/, 8 take its name from the input
 *   [name\n] with flag 8: the file name's stem (up to 64 bytes; '/' and
 *            NUL become '_')
 *   up SQL   up to the first "\n-- undo --\n", the undo SQL after it
 * A fixed first migration is always there, so ordering and lookup have
 * more than one entry.  Only .sql files are written, never .py or
 * executables: those would spawn a process per input. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <flux/flux.h>
#include "fuzz_util.h"

static const char undo_sep[] = "\n-- undo --\n";

static void check_migration(const flux_migrations *set, const flux_migration *m,
			    flux_stage stage)
{
	const char *id = flux_migration_id(m);
	fuzz_touch(id);
	fuzz_touch(flux_migration_path(m));
	fuzz_touch(flux_migration_hash(m));
	FUZZ_ASSERT(flux_migration_stage(m) == stage);
	FUZZ_ASSERT(flux_migration_kind_of(m) == FLUX_KIND_SQL);
	/* Lookup by id covers the versioned migrations only; ids are unique. */
	if (stage == FLUX_STAGE_MAIN)
		FUZZ_ASSERT(flux_migrations_find(set, id) == m);
	/* The stored hash is the MD5 of exactly the text that will run. */
	size_t len = 0;
	const char *up = flux_migration_up(m, &len);
	FUZZ_ASSERT(up != NULL);
	char md5[33];
	flux_md5_hex(up, len, md5);
	FUZZ_ASSERT(strcmp(md5, flux_migration_hash(m)) == 0);
	unsigned int flags = flux_migration_flags(m);
	(void)flags;
	if (flux_migration_has_undo(m)) {
		FUZZ_ASSERT(stage == FLUX_STAGE_MAIN);
		fuzz_touch(flux_migration_undo_path(m));
		const char *sql = NULL;
		size_t ulen = 0;
		flux_error err;
		int rc = flux_migration_undo(m, &sql, &ulen, &err);
		if (rc == FLUX_OK) {
			FUZZ_ASSERT(sql != NULL);
			flux_md5_hex(sql, ulen, md5); /* reads every byte */
		} else {
			fuzz_check_error(rc, &err);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	unsigned flags = data[0];
	const uint8_t *p = data + 1, *end = data + size;

	char stem[80] = "20240101_002_fuzz";
	if (flags & 8) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > 64)
			n = 64;
		for (size_t i = 0; i < n; i++)
			stem[i] = p[i] == '/' || p[i] == 0 ? '_' : (char)p[i];
		stem[n] = 0;
		/* Hidden files are skipped by design; an empty stem is ".sql". */
		if (n == 0 || stem[0] == '.')
			return 0;
		p = nl ? nl + 1 : end;
	}
	const uint8_t *undo = memmem(p, (size_t)(end - p), undo_sep, sizeof(undo_sep) - 1);
	size_t up_len = undo ? (size_t)(undo - p) : (size_t)(end - p);

	const char *sub = flags & 2 ? "pre-apply/" : flags & 4 ? "post-apply/" : "";
	char name[160];
	snprintf(name, sizeof(name), "migrations/%s%s.sql", sub, stem);
	fuzz_write("migrations/00000000_001_base.sql", "CREATE TABLE base(a int);\n", 26);
	if (*sub) {
		char keep[160];
		snprintf(keep, sizeof(keep), "migrations/%skeep.sql", sub);
		fuzz_write(keep, "SELECT 1;\n", 10);
	}
	fuzz_write(name, p, up_len);
	if ((flags & 1) || undo) {
		const uint8_t *u = undo ? undo + sizeof(undo_sep) - 1 : p;
		size_t ulen = undo ? (size_t)(end - u) : up_len;
		snprintf(name, sizeof(name), "migrations/%s%s.undo.sql", sub, stem);
		fuzz_write(name, u, ulen);
	}

	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/migrations", fuzz_dir());
	flux_migrations *set = NULL;
	flux_error err;
	memset(&err, 0, sizeof(err));
	int rc = flux_migrations_read(dir, &set, &err);
	if (rc == FLUX_OK) {
		FUZZ_ASSERT(set != NULL);
		for (int s = FLUX_STAGE_PRE; s <= FLUX_STAGE_POST; s++)
			for (size_t i = 0; i < flux_migrations_count(set, (flux_stage)s); i++)
				check_migration(set, flux_migrations_get(set, (flux_stage)s, i),
						(flux_stage)s);
		flux_migrations_free(set);
	} else {
		fuzz_check_error(rc, &err);
	}
	fuzz_clear();
	return 0;
}
