/* SPDX-License-Identifier: MIT */
/* The service table handed to backend plugins. */
#include <config.h>
#include <stdio.h>

#include "internal.h"

static void vlogf(const struct flux_logger *lg, int level, const char *fmt, va_list ap)
{
	if (!lg || !lg->fn || level < lg->level)
		return;
	char msg[2048];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	lg->fn(lg->ctx, level, msg);
}

static void host_log(const struct flux_host *host, int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlogf(host->host_data, level, fmt, ap);
	va_end(ap);
}

static int host_error_set(flux_error *err, flux_status code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	flux_error_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

void flux_host_init(struct flux_host *host, const struct flux_logger *logger)
{
	host->abi_version = FLUX_BACKEND_ABI_VERSION;
	host->size = sizeof(*host);
	host->log = host_log;
	host->error_set = host_error_set;
	host->error_detail = flux_error_detail;
	host->error_hint = flux_error_hint;
	host->option_string = flux_options_string;
	host->option_int = flux_options_int;
	host->option_bool = flux_options_bool;
	host->option_error = flux_options_error;
	host->option_identifier = flux_options_identifier;
	/* The table is const to backends; host_data only points at a logger. */
	host->host_data = (void *)logger;
}

void flux_logf(const struct flux_logger *lg, int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlogf(lg, level, fmt, ap);
	va_end(ap);
}

const struct flux_host *flux_host_table(void)
{
	static struct flux_host table;
	if (!table.size)
		flux_host_init(&table, NULL);
	return &table;
}
