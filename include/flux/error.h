/* SPDX-License-Identifier: MIT */
/* The error record filled by libflux and by backend plugins.
 *
 * The caller owns the record (usually on its stack); nothing in it is heap
 * allocated, so it never crosses allocators.  Its layout is frozen for a
 * given FLUX_BACKEND_ABI_MAJOR: a change is a major ABI bump. */
#ifndef FLUX_ERROR_H
#define FLUX_ERROR_H

#include <flux/status.h>

#define FLUX_ERROR_MESSAGE_MAX 1024
#define FLUX_ERROR_DETAIL_MAX 1024
#define FLUX_ERROR_HINT_MAX 512
#define FLUX_ERROR_PATH_MAX 1024
#define FLUX_ERROR_ID_MAX 256
#define FLUX_ERROR_LINE_TEXT_MAX 256

typedef struct flux_error {
	flux_status code;                       /* FLUX_OK when nothing failed */
	char sqlstate[6];                       /* five characters + NUL, or "" */
	char message[FLUX_ERROR_MESSAGE_MAX];   /* one line, no trailing period */
	char detail[FLUX_ERROR_DETAIL_MAX];     /* optional further facts */
	char hint[FLUX_ERROR_HINT_MAX];         /* optional advice */
	/* 1-based byte offset of the failure in the SQL text handed to a
	 * backend's apply operation; 0 when unknown.  Backends set this;
	 * the host turns it into file, line and column. */
	long position;
	/* Filled by the host where known. */
	char file[FLUX_ERROR_PATH_MAX];
	int line;                               /* 1-based, 0 unknown */
	int column;                             /* 1-based, 0 unknown */
	char migration[FLUX_ERROR_ID_MAX];      /* migration id, or "" */
	char line_text[FLUX_ERROR_LINE_TEXT_MAX]; /* text of the failing line */
} flux_error;

#endif
