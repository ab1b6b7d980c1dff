/* SPDX-License-Identifier: MIT */
/* Connections and their errors, over MariaDB Connector/C. */
#include <stdio.h>
#include <string.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "mdb_state.h"

MYSQL *mdb_open(const struct mdb *m, unsigned int timeout, char *why, size_t why_size,
		unsigned int *errnum, char *sqlstate)
{
	MYSQL *c = mysql_init(NULL);
	if (!c) {
		snprintf(why, why_size, "out of memory");
		*errnum = CR_OUT_OF_MEMORY;
		sqlstate[0] = '\0';
		return NULL;
	}
	/* Setting the group makes Connector/C read the default option files
	 * ([client], [client-server], [client-mariadb] and this group);
	 * a file named in option_file is read instead of them.  What the URI
	 * gives wins over both, and MYSQL_PWD comes last for the password. */
	mysql_options(c, MYSQL_READ_DEFAULT_GROUP, m->option_group);
	if (m->option_file)
		mysql_options(c, MYSQL_READ_DEFAULT_FILE, m->option_file);
	mysql_options(c, MYSQL_SET_CHARSET_NAME, m->uri.charset ? m->uri.charset : "utf8mb4");
	unsigned int t = timeout ? timeout : m->uri.connect_timeout;
	if (t)
		mysql_options(c, MYSQL_OPT_CONNECT_TIMEOUT, &t);
	if (m->uri.ssl_ca)
		mysql_options(c, MYSQL_OPT_SSL_CA, m->uri.ssl_ca);
	if (m->uri.ssl_cert)
		mysql_options(c, MYSQL_OPT_SSL_CERT, m->uri.ssl_cert);
	if (m->uri.ssl_key)
		mysql_options(c, MYSQL_OPT_SSL_KEY, m->uri.ssl_key);
	if (m->uri.ssl_verify >= 0) {
		my_bool v = (my_bool)m->uri.ssl_verify;
		mysql_options(c, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &v);
	}
	mysql_options4(c, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", "flux");
	/* No CLIENT_MULTI_STATEMENTS: one statement per query, so a failure
	 * names exactly one statement. */
	if (!mysql_real_connect(c, m->uri.host, m->uri.user, m->uri.password, m->uri.database,
				m->uri.port, m->uri.socket, 0)) {
		snprintf(why, why_size, "%s", mysql_error(c));
		*errnum = mysql_errno(c);
		snprintf(sqlstate, 6, "%s", mysql_sqlstate(c));
		mysql_close(c);
		return NULL;
	}
	return c;
}

static int gone(unsigned int e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == CR_SERVER_LOST_EXTENDED ||
	       e == ER_CONNECTION_KILLED || e == CR_CONNECTION_ERROR;
}

int mdb_fail(struct mdb *m, flux_error *err, const char *what)
{
	unsigned int e = mysql_errno(m->conn);
	char msg[FLUX_ERROR_MESSAGE_MAX];
	snprintf(msg, sizeof(msg), "%s", e ? mysql_error(m->conn) : "unknown error");
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	int code = gone(e) ? FLUX_ERR_CONNECTION : FLUX_ERR_BACKEND;
	m->host->error_set(err, code, "%s%serror %u: %s", what ? what : "", what ? ": " : "",
			   e, msg);
	const char *st = mysql_sqlstate(m->conn);
	if (st && strlen(st) == 5 && strcmp(st, "00000"))
		memcpy(err->sqlstate, st, 6);
	if (code == FLUX_ERR_CONNECTION)
		m->host->error_hint(err, "the connection to the server was lost; the record "
				    "table shows what committed (flux status)");
	return code;
}

/* A statement may return result sets (a SELECT, a CALL): read them all,
 * or the connection refuses the next statement. */
int mdb_drain(struct mdb *m, const char *what, flux_error *err)
{
	for (;;) {
		MYSQL_RES *r = mysql_store_result(m->conn);
		if (r)
			mysql_free_result(r);
		else if (mysql_field_count(m->conn))
			return mdb_fail(m, err, what);
		int more = mysql_next_result(m->conn);
		if (more < 0)
			return FLUX_OK;
		if (more > 0)
			return mdb_fail(m, err, what);
	}
}

int mdb_exec(struct mdb *m, const char *sql, size_t len, const char *what, flux_error *err)
{
	if (mysql_real_query(m->conn, sql, len))
		return mdb_fail(m, err, what);
	return mdb_drain(m, what, err);
}

int mdb_rows(struct mdb *m, const char *sql, MYSQL_RES **res, const char *what,
	     flux_error *err)
{
	*res = NULL;
	if (mysql_real_query(m->conn, sql, strlen(sql)))
		return mdb_fail(m, err, what);
	*res = mysql_store_result(m->conn);
	if (!*res)
		return mdb_fail(m, err, what);
	return FLUX_OK;
}
