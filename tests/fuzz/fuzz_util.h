/* SPDX-License-Identifier: MIT */
/* What the file-reading fuzz harnesses share: one temporary directory per
 * process (creating one per input would spend most of the time in the
 * file system and leave thousands behind after a crash), emptied after
 * every input and removed at exit. */
#ifndef FLUX_FUZZ_UTIL_H
#define FLUX_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <flux/flux.h>

/* The process's directory, created on first use; aborts if impossible. */
const char *fuzz_dir(void);
/* Write data to fuzz_dir()/rel, creating rel's directories; returns the
 * full path in a static buffer. */
const char *fuzz_write(const char *rel, const void *data, size_t size);
/* Remove everything inside fuzz_dir(), keeping the directory. */
void fuzz_clear(void);
/* Abort (a crash for libFuzzer) with a message when cond is false: the
 * harnesses check promises of the API, not only memory safety. */
#define FUZZ_ASSERT(cond) \
	((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond))
void fuzz_fail(const char *file, int line, const char *what) __attribute__((noreturn));
/* A failed call's error must say something and fit its buffers. */
void fuzz_check_error(int rc, const flux_error *err);
/* Every byte of a returned string is readable (ASan checks the walk). */
void fuzz_touch(const char *s);

#endif
