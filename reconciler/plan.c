/*
 * plan: desired x observed -> ordered actions, with no I/O (see plan.h
 * for the rules and docs/reconcile.md for the reasoning).
 */
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "xmalloc.h"

static const char *const plan_kind_names[] = {
	[PLAN_PRUNE] = "prune",
	[PLAN_REMOVE] = "remove",
	[PLAN_STOP] = "stop",
	[PLAN_INSTALL] = "install",
	[PLAN_CREATE] = "create",
	[PLAN_RECREATE] = "recreate",
	[PLAN_RESTART] = "restart",
	[PLAN_UPDATE] = "update",
	[PLAN_START] = "start",
	[PLAN_ADOPT] = "adopt"
};

/* Returns the name of an action kind. */
const char *
plan_kind_str(enum plan_kind k)
{
	if ((size_t)k >= sizeof(plan_kind_names) / sizeof(plan_kind_names[0]))
		return "?";
	return plan_kind_names[k];
}

static void
plan_add(struct plan_result *res, enum plan_kind kind, const char *server,
    const char *container, const char *reason)
{
	struct plan_action	*a;

	if (res->n == res->cap) {
		res->cap = res->cap ? res->cap * 2 : 16;
		res->v = xreallocarray(res->v, res->cap, sizeof(*res->v));
	}
	a = &res->v[res->n++];
	a->kind = kind;
	a->server = server;
	a->container = container;
	a->reason = reason;
}

static int
plan_streq(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* Returns 1 when the limits differ in a field the engine applies live. */
int
plan_limits_differ(const struct plan_limits *want,
    const struct plan_limits *have)
{
	if (want->memory != have->memory)
		return 1;
	if (want->memory_swap != have->memory_swap)
		return 1;
	if (want->cpu_quota != have->cpu_quota &&
	    !(want->cpu_quota <= 0 && have->cpu_quota <= 0))
		return 1;
	if (want->pids != have->pids &&
	    !(want->pids <= 0 && have->pids <= 0))
		return 1;
	if (want->io_weight != 0 && want->io_weight != have->io_weight)
		return 1;
	return 0;
}

static const struct plan_desired *
plan_find_desired(const struct plan_input *in, const char *name)
{
	size_t	lo = 0, hi = in->ndesired, mid;
	int	c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strcmp(name, in->desired[mid].name);
		if (c == 0)
			return &in->desired[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	/* Not sorted after all: fall back to a scan. */
	for (mid = 0; mid < in->ndesired; mid++)
		if (strcmp(name, in->desired[mid].name) == 0)
			return &in->desired[mid];
	return NULL;
}

/* How well a container represents a server; see plan.h. */
int
plan_container_score(const char *want, const char *have, int running)
{
	return (want != NULL && plan_streq(have, want) ? 2 : 0) +
	    (running ? 1 : 0);
}

/* Orders observed containers by server, then by their place in the input. */
static int
plan_cmp_observed(const void *a, const void *b)
{
	const struct plan_observed *const	*pa = a, *const *pb = b;
	const struct plan_observed		*x = *pa, *y = *pb;
	int					 c;

	if ((c = strcmp(x->server, y->server)) != 0)
		return c;
	return x < y ? -1 : x > y;
}

/*
 * Returns the observed containers that name a server, sorted by
 * plan_cmp_observed, and their number in *n: each server's containers
 * are then found by a binary search instead of a scan of all of them.
 */
static const struct plan_observed **
plan_by_server(const struct plan_input *in, size_t *n)
{
	const struct plan_observed	**v;
	size_t				  i;

	v = xcalloc(in->nobserved + 1, sizeof(*v));
	*n = 0;
	for (i = 0; i < in->nobserved; i++)
		if (in->observed[i].server != NULL)
			v[(*n)++] = &in->observed[i];
	qsort(v, *n, sizeof(*v), plan_cmp_observed);
	return v;
}

/*
 * Picks the container that represents server d among the observed ones
 * (by, n: from plan_by_server): the one with the desired spec hash, else
 * a running one, else the first. Every other container of the server is
 * listed for removal.
 */
static const struct plan_observed *
plan_primary(const struct plan_observed **by, size_t n,
    const struct plan_desired *d, struct plan_result *res)
{
	const struct plan_observed	*o, *best = NULL;
	size_t				 lo = 0, hi = n, mid, first, i;
	int				 score, bscore = -1;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(by[mid]->server, d->name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	for (i = first; i < n && strcmp(by[i]->server, d->name) == 0; i++) {
		o = by[i];
		score = plan_container_score(d->spec_hash, o->spec_hash,
		    o->running);
		if (score > bscore) {
			best = o;
			bscore = score;
		}
	}
	for (i = first; i < n && strcmp(by[i]->server, d->name) == 0; i++) {
		o = by[i];
		if (o == best)
			continue;
		plan_add(res, PLAN_REMOVE, d->name, o->id,
		    "duplicate container of the server");
	}
	return best;
}

/*
 * A server moving away (d->move_out) or here (hold PLAN_HOLD_TRANSFER):
 * stopped first; one moving away is pruned once its data was sent.
 */
static void
plan_move(const struct plan_desired *d, const struct plan_observed *o,
    struct plan_result *res)
{
	if (o != NULL && o->running) {
		if (!o->stopping)
			plan_add(res, PLAN_STOP, d->name, o->id, d->move_out ?
			    "moving to another node" :
			    "waiting for its data from another node");
		return;
	}
	if (d->move_out && d->move_sent)
		plan_add(res, PLAN_PRUNE, d->name, o != NULL ? o->id : NULL,
		    "moved to another node");
}

static void
plan_server(const struct plan_input *in, const struct plan_desired *d,
    const struct plan_observed *o, struct plan_result *res)
{
	const char	*reinst = d->reinstall_at;
	int		 can_start, need_install, need_reinstall;
	int		 restart, changed;

	if (o != NULL && !o->adopted)
		plan_add(res, PLAN_ADOPT, d->name, o->id,
		    "container found on the node");
	if (d->hold == PLAN_HOLD_BUSY)
		return;
	if (d->move_out || d->hold == PLAN_HOLD_TRANSFER) {
		plan_move(d, o, res);
		return;
	}
	if (d->spec_hash == NULL)
		return;
	can_start = d->running && d->hold == PLAN_HOLD_NONE;

	need_reinstall = reinst != NULL && *reinst != '\0' &&
	    !plan_streq(reinst, d->installed_for) &&
	    (o == NULL || !plan_streq(reinst, o->reinstall_at));
	need_install = d->has_install && !d->installed && o == NULL;

	if (d->hold == PLAN_HOLD_INSTALL_FAILED && !need_reinstall)
		return;

	if (o == NULL) {
		if (d->has_install && (need_install || need_reinstall))
			plan_add(res, PLAN_INSTALL, d->name, NULL,
			    need_reinstall ? "reinstall requested" :
			    "first install");
		plan_add(res, PLAN_CREATE, d->name, NULL, "no container");
		if (can_start)
			plan_add(res, PLAN_START, d->name, NULL,
			    "desired running");
		return;
	}

	if (need_reinstall) {
		if (o->running && !o->stopping)
			plan_add(res, PLAN_STOP, d->name, o->id,
			    "reinstall requested");
		if (d->has_install)
			plan_add(res, PLAN_INSTALL, d->name, NULL,
			    "reinstall requested");
		plan_add(res, PLAN_RECREATE, d->name, o->id,
		    "reinstall requested");
		if (can_start)
			plan_add(res, PLAN_START, d->name, NULL,
			    "desired running");
		return;
	}

	changed = !plan_streq(o->spec_hash, d->spec_hash);
	restart = d->restarted_at != NULL && *d->restarted_at != '\0' &&
	    !plan_streq(d->restarted_at, o->restarted_at);
	if (changed || restart) {
		plan_add(res, changed ? PLAN_RECREATE : PLAN_RESTART, d->name,
		    o->id, changed ? "spec changed" : "restart requested");
		if (can_start)
			plan_add(res, PLAN_START, d->name, NULL,
			    "desired running");
		return;
	}
	if (plan_limits_differ(&d->limits, &o->limits))
		plan_add(res, PLAN_UPDATE, d->name, o->id, "limits changed");
	if (can_start && !o->running)
		plan_add(res, PLAN_START, d->name, o->id, "desired running");
	else if (!d->running && o->running && !o->stopping)
		plan_add(res, PLAN_STOP, d->name, o->id, "desired stopped");
}

/* Plans desired x observed; see plan.h. */
void
plan_make(const struct plan_input *in, struct plan_result *res)
{
	const struct plan_observed	*o, **by;
	size_t				 i, nby, nprune = 0;

	memset(res, 0, sizeof(*res));

	/* Containers whose server is no longer desired. */
	for (i = 0; i < in->nobserved; i++) {
		o = &in->observed[i];
		if (o->server == NULL ||
		    plan_find_desired(in, o->server) == NULL)
			nprune++;
	}
	if (nprune > 0 && in->tree_valid) {
		if (in->ndesired == 0 && !in->allow_empty)
			res->refused_empty = 1;
		else {
			for (i = 0; i < in->nobserved; i++) {
				o = &in->observed[i];
				if (o->server == NULL || plan_find_desired(in,
				    o->server) == NULL)
					plan_add(res, PLAN_PRUNE, o->server,
					    o->id, "server file removed");
			}
		}
	}

	by = plan_by_server(in, &nby);
	for (i = 0; i < in->ndesired; i++)
		plan_server(in, &in->desired[i],
		    plan_primary(by, nby, &in->desired[i], res), res);
	free(by);
}

/* Frees the actions of res. */
void
plan_result_dispose(struct plan_result *res)
{
	free(res->v);
	memset(res, 0, sizeof(*res));
}
