/* SPDX-License-Identifier: MIT */
/* A project's life: open (config, migrations, backend, connection, lock,
 * record table), close, and cancel from another thread. */
#include <config.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "open_options.h"
#include "hash_cache.h"
#include "project.h"

void flux_project_close(flux_project *p)
{
	if (!p)
		return;
	flux_error e;
	if (p->locked)
		p->backend->unlock(p->state, &e);
	/* No cancel() from now on: it may run only while connected. */
	pthread_mutex_lock(&p->conn_lock);
	int connected = p->connected;
	p->connected = 0;
	pthread_mutex_unlock(&p->conn_lock);
	if (connected)
		p->backend->disconnect(p->state, &e);
	if (p->state)
		p->backend->destroy(p->state);
	pthread_mutex_destroy(&p->conn_lock);
	pthread_mutex_destroy(&p->wait_lock);
	pthread_cond_destroy(&p->wake);
	flux_project_clear_records(p);
	free(p->records);
	free(p->marks);
	flux_migrations_free(p->migrations);
	flux_registry_free(p->registry);
	flux_config_free(p->owned_config);
	free(p->uri);
	free(p);
}

/* Unused [backend] keys are likely typos; say so without failing, since
 * the Python tool also ignored keys its backend did not read. */
static void warn_unused_options(flux_project *p)
{
	const struct flux_options *o = flux_config_backend_options(p->config);
	for (size_t i = 0; i < flux_options_count(o); i++)
		if (!flux_options_used(o, i))
			flux_logf(&p->logger, FLUX_LOG_WARNING,
				  "%s:%d: [backend] option '%s' is not used by backend '%s'",
				  flux_config_path(p->config), flux_options_line(o, i),
				  flux_options_key(o, i), flux_config_backend(p->config));
}

/* Registry, manifest entry, module: the backend named in flux.toml. */
static int load_backend(flux_project *p, const flux_open_options *o, flux_error *err)
{
	int rc = flux_registry_open(o->backend_path, &p->registry, err);
	if (rc)
		return rc;
	/* Skipped manifest entries (a FIFO, a refused manifest, a bad line)
	 * are said on every command, not only by `flux backends`. */
	for (size_t i = 0; i < flux_registry_problem_count(p->registry); i++)
		flux_logf(&p->logger, FLUX_LOG_WARNING, "%s",
			  flux_registry_problem(p->registry, i)->message);
	const char *name = flux_config_backend(p->config);
	const flux_backend_info *info = flux_registry_find(p->registry, name);
	if (!info) {
		flux_error_set(err, FLUX_ERR_PLUGIN, "Backend '%s' is not installed", name);
		flux_error_hint(err, "`flux backends` lists the installed backends");
		return FLUX_ERR_PLUGIN;
	}
	rc = flux_registry_load(p->registry, info, &p->backend, err);
	if (!rc)
		flux_logf(&p->logger, FLUX_LOG_INFO, "backend '%s' from %s (%s:%d)",
			  flux_backend_info_name(info), flux_backend_info_module(info),
			  flux_backend_info_manifest(info), flux_backend_info_line(info));
	return rc;
}

/* The backend's state from [backend] and the URI, and its connection:
 * nothing that changes the database. */
static int connect_backend(flux_project *p, flux_error *err)
{
	int rc = p->backend->create(&p->host, flux_config_backend_options(p->config), p->uri,
				    &p->state, err);
	if (rc) {
		p->state = NULL;
		return rc;
	}
	warn_unused_options(p);
	rc = p->backend->connect(p->state, err);
	pthread_mutex_lock(&p->conn_lock);
	p->connected = rc == FLUX_OK;
	pthread_mutex_unlock(&p->conn_lock);
	if (!rc) {
		char safe[512];
		flux_project_redact_uri(p, safe, sizeof(safe));
		flux_logf(&p->logger, FLUX_LOG_INFO, "connected to %s", safe);
	}
	return rc;
}

size_t flux_project_redact_uri(const flux_project *p, char *out, size_t size)
{
	if (!size)
		return 0;
	if (p->backend && FLUX_BACKEND_HAS(p->backend, redact_uri)) {
		out[0] = '\0';
		size_t n = p->backend->redact_uri(p->uri, out, size);
		out[size - 1] = '\0';
		return n < size ? n : strlen(out);
	}
	return flux_uri_scheme_only(p->uri, out, size);
}

/* The lock and the records.  Nothing here changes the database: a record
 * table that is not there yet is made by create_record_table(), and a
 * read-only open takes no lock and creates nothing (a database without
 * the record table reads as one with nothing applied). */
static int lock_and_read_records(flux_project *p, const flux_open_options *o,
				 flux_error *err)
{
	int rc = FLUX_OK;
	if (!o->read_only) {
		rc = flux_lock_wait(p, o->lock_timeout, err);
		if (rc)
			return rc;
		flux_logf(&p->logger, FLUX_LOG_DEBUG, "migration lock taken");
	}
	int initialized = 0;
	rc = p->backend->is_initialized(p->state, &initialized, err);
	p->initialized = !rc && initialized;
	if (!rc && initialized)
		rc = flux_project_refresh(p, err);
	if (!rc)
		p->records_read = 1;
	return rc;
}

/* The same while the files are still being read (flux_project_open), but
 * only for a database whose record table is there: taking the lock may
 * create the database (an SQLite file), which must not happen before the
 * files are known to be good.  Looking first takes no lock and creates
 * nothing; lock_and_read_records() looks again under the lock. */
static int read_records_early(flux_project *p, const flux_open_options *o,
			      flux_error *err)
{
	if (!o->read_only) {
		int initialized = 0;
		int rc = p->backend->is_initialized(p->state, &initialized, err);
		if (rc || !initialized)
			return rc;
	}
	return lock_and_read_records(p, o, err);
}

static int create_record_table(flux_project *p, const flux_open_options *o,
			       flux_error *err)
{
	int rc = FLUX_OK;
	if (!p->initialized && !o->read_only) {
		flux_logf(&p->logger, FLUX_LOG_INFO, "creating the record table");
		rc = p->backend->initialize(p->state, err);
		p->initialized = rc == FLUX_OK;
	}
	if (!rc)
		flux_logf(&p->logger, FLUX_LOG_INFO, "%zu migrations applied, %zu incomplete",
			  p->nrecords, p->nmarks);
	return rc;
}

/* Each line of text, as its own log message. */
static void log_lines(flux_project *p, int level, const char *text)
{
	for (const char *nl; *text; text = *nl ? nl + 1 : nl) {
		nl = strchr(text, '\n');
		if (!nl)
			nl = text + strlen(text);
		flux_logf(&p->logger, level, "%.*s", (int)(nl - text), text);
	}
}

struct read_job {
	flux_project *p;
	const char *dir;
	flux_helpers *helpers;
	int use_cache;
	struct flux_read_help help;
	flux_migrations *set;
	flux_error err;
	int rc;
};

static void *read_migrations(void *arg)
{
	struct read_job *j = arg;
	j->rc = flux_migrations_load_cached(j->dir, j->helpers, j->use_cache, &j->help, &j->set,
					    &j->err);
	flux_read_help_end(&j->help);
	/* A wait for the lock ends at once: the run fails on the file. */
	if (j->rc) {
		pthread_mutex_lock(&j->p->wait_lock);
		atomic_store(&j->p->files_failed, 1);
		pthread_cond_broadcast(&j->p->wake);
		pthread_mutex_unlock(&j->p->wait_lock);
	}
	return NULL;
}

int flux_project_open(const flux_open_options *caller, flux_project **out, flux_error *err)
{
	flux_error_clear(err);
	*out = NULL;
	/* The caller's struct may be an older, smaller version. */
	flux_open_options opts;
	int vrc = flux_open_options_read(caller, &opts, err);
	if (vrc)
		return vrc;
	const flux_open_options *o = &opts;
	if (!o->uri || !o->uri[0])
		return flux_error_set(err, FLUX_ERR_INVALID, "no database URI given");
	flux_project *p = calloc(1, sizeof(*p));
	if (!p || !(p->uri = flux_strdup(o->uri))) {
		free(p);
		return flux_error_set(err, FLUX_ERR_NOMEM, "out of memory");
	}
	pthread_mutex_init(&p->conn_lock, NULL);
	pthread_mutex_init(&p->wait_lock, NULL);
	/* Lock waits time out on the monotonic clock, like every time limit
	 * of libflux: setting the wall clock changes none. */
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->wake, &ca);
	pthread_condattr_destroy(&ca);
	p->logger.fn = o->log;
	p->logger.ctx = o->log_ctx;
	p->logger.level = o->log_level;
	flux_host_init(&p->host, &p->logger);
	p->helpers.timeout = o->helper_timeout;
	p->read_only = o->read_only != 0;
	/* Published for flux_project_cancel() from another thread: helpers
	 * and the lock wait run before this function returns. */
	if (o->opening)
		o->opening(o->opening_ctx, p);
	int rc = FLUX_OK;
	if (o->config) {
		p->config = o->config;
	} else {
		rc = flux_config_load(o->config_path, &p->owned_config, err);
		p->config = p->owned_config;
	}
	if (rc) {
		if (o->opening)
			o->opening(o->opening_ctx, NULL);
		flux_project_close(p);
		return rc;
	}
	if (o->log_level <= 0) {
		const char *name = flux_config_log_level(p->config);
		p->logger.level = name ? flux_log_level_parse(name) : FLUX_LOG_WARNING;
	}
	for (size_t i = 0; i < flux_config_warning_count(p->config); i++)
		flux_logf(&p->logger, FLUX_LOG_WARNING, "%s", flux_config_warning(p->config, i));
	/* The migration files are read and hashed in a second thread while
	 * the backend module loads, connects, takes the lock and reads the
	 * records; on a large directory each side takes about as long as the
	 * other.  Nothing changes the database (not even the record table is
	 * made) before both are done and the files are known to be good: a
	 * broken file fails the run with the database untouched. */
	struct read_job job = {.p = p, .dir = flux_config_migration_path(p->config),
			       .helpers = &p->helpers, .use_cache = !o->no_cache};
	flux_read_help_init(&job.help);
	pthread_t reader;
	int threaded = pthread_create(&reader, NULL, read_migrations, &job) == 0;
	if (!threaded)
		read_migrations(&job);
	rc = load_backend(p, o, err);
	int loaded = rc == FLUX_OK;
	if (loaded)
		rc = connect_backend(p, err);
	/* A cancel that came while no helper ran (during the connection)
	 * still stops here, before the lock. */
	if (!rc && p->cancelled)
		rc = flux_error_set(err, FLUX_ERR_CANCELLED, "cancelled while opening the "
				    "project; nothing was changed");
	if (!rc)
		rc = read_records_early(p, o, err);
	/* Done with its own part, this thread works on the file jobs with
	 * the reading thread instead of waiting for them. */
	if (threaded) {
		flux_read_help_join(&job.help);
		pthread_join(reader, NULL);
	}
	flux_read_help_destroy(&job.help);
	p->migrations = job.set;
	/* What the read had to say (why a hash cache was ignored, ...): for
	 * -vv, never an error; the read thread could not log it itself, as the
	 * logger is the caller's and may not be thread-safe. */
	if (job.set)
		log_lines(p, FLUX_LOG_DEBUG, flux_migrations_notes(job.set));
	/* Errors in the order the steps would run one by one: the backend
	 * module, then the files, then the URI, the connection, the lock and
	 * the records. */
	if (loaded && job.rc) {
		*err = job.err;
		rc = job.rc;
	}
	if (!rc)
		flux_logf(&p->logger, FLUX_LOG_INFO, "%zu migrations, %zu pre-apply and %zu "
			  "post-apply in %s", flux_migrations_count(p->migrations, FLUX_STAGE_MAIN),
			  flux_migrations_count(p->migrations, FLUX_STAGE_PRE),
			  flux_migrations_count(p->migrations, FLUX_STAGE_POST), job.dir);
	if (!rc && p->cancelled)
		rc = flux_error_set(err, FLUX_ERR_CANCELLED, "cancelled while opening the "
				    "project; nothing was changed");
	if (!rc && !p->records_read)
		rc = lock_and_read_records(p, o, err);
	if (!rc)
		rc = create_record_table(p, o, err);
	if (o->opening)
		o->opening(o->opening_ctx, NULL);
	if (rc) {
		if (!err->code)
			err->code = rc;
		flux_project_close(p);
		return rc;
	}
	*out = p;
	return FLUX_OK;
}

void flux_project_cancel(flux_project *p)
{
	pthread_mutex_lock(&p->wait_lock);
	atomic_store(&p->cancelled, 1);
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->wait_lock);
	flux_helpers_cancel(&p->helpers);
	/* Held while the backend cancels, so that the main thread cannot
	 * disconnect under it. */
	pthread_mutex_lock(&p->conn_lock);
	if (p->connected && FLUX_BACKEND_HAS(p->backend, cancel))
		p->backend->cancel(p->state);
	pthread_mutex_unlock(&p->conn_lock);
}

const flux_migrations *flux_project_migrations(const flux_project *p)
{
	return p->migrations;
}
const struct flux_backend *flux_project_backend(const flux_project *p)
{
	return p->backend;
}
