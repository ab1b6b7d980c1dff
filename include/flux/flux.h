/* SPDX-License-Identifier: MIT */
/* libflux: the public API of the flux migration library.
 *
 * Everything the flux command does is available here; the CLI is a thin
 * client.  No function prints or exits: each returns a flux_status and, on
 * failure, fills a caller-owned flux_error.
 *
 * This is the header applications include; it includes one header per
 * concept (version.h, errors.h, configuration.h, registry.h, migrations.h,
 * project.h, plan.h, create.h), with the status codes, the error record
 * and the backend ABI (status.h, error.h, backend.h) they share with
 * backends.
 *
 * A typical test of one's own migrations:
 *
 *     flux_open_options o = FLUX_OPEN_OPTIONS_INIT;
 *     o.config_path = "flux.toml";
 *     o.uri = "sqlite:test.db";
 *     flux_project *p;
 *     flux_error err;
 *     if (flux_project_open(&o, &p, &err) != FLUX_OK) ...;
 *     flux_plan *plan;
 *     flux_plan_apply(p, -1, &plan, &err);
 *     flux_plan_execute(p, plan, NULL, NULL, &err);
 *     flux_plan_free(plan);
 *     flux_project_close(p);
 */
#ifndef FLUX_FLUX_H
#define FLUX_FLUX_H

#include <flux/status.h>
#include <flux/error.h>
#include <flux/backend.h>
#include <flux/version.h>
#include <flux/errors.h>
#include <flux/configuration.h>
#include <flux/registry.h>
#include <flux/migrations.h>
#include <flux/project.h>
#include <flux/plan.h>
#include <flux/create.h>

#endif
