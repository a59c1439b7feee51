/*
 * stateplan: what roostd would do to go from one revision of the state to
 * another, as text: per node, which servers it would create, recreate,
 * update live, start, stop, restart, reinstall or delete, and what it
 * would refuse. `roost plan` prints it; the bot's /plan shows it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "state.h"

#include "stateplan.h"

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
vars_differ(const struct state_server *a, const struct state_server *b)
{
	size_t	i, j;

	if (a->nvars != b->nvars)
		return 1;
	for (i = 0; i < a->nvars; i++) {
		for (j = 0; j < b->nvars; j++)
			if (strcmp(a->vars[i].key, b->vars[j].key) == 0)
				break;
		if (j == b->nvars ||
		    strcmp(a->vars[i].value, b->vars[j].value) != 0)
			return 1;
	}
	return 0;
}

static int
ports_differ(const struct state_server *a, const struct state_server *b)
{
	return a->port != b->port || a->nextra_ports != b->nextra_ports ||
	    (a->nextra_ports > 0 && memcmp(a->extra_ports, b->extra_ports,
	    a->nextra_ports * sizeof(int)) != 0);
}

/* Prints the actions for one server going from old to new. */
static void
plan_server(const struct state *os, const struct state_server *o,
    const struct state *ns, const struct state_server *n, struct buf *out)
{
	const char	*why;

	if (!n->valid) {
		buf_addf(out, "  keep      %-20s invalid at this revision, its last "
		    "good spec stays (%s)\n", n->name, n->error ? n->error :
		    "see roost validate");
		return;
	}
	if (o == NULL || !o->valid) {
		buf_addf(out, "  create    %-20s %s on port %d%s\n", n->name,
		    state_server_image(ns, n) ? state_server_image(ns, n) :
		    "?", n->port, n->state == STATE_RUNNING ?
		    ", install if new, then start" : ", stopped");
		return;
	}
	why = !str_eq(state_server_image(os, o), state_server_image(ns, n)) ?
	    "image" : !str_eq(o->egg, n->egg) ? "egg" : vars_differ(o, n) ?
	    "variables" : ports_differ(o, n) ? "ports" : NULL;
	if (why != NULL)
		buf_addf(out, "  recreate  %-20s %s changed\n", n->name, why);
	else if (memcmp(&o->limits, &n->limits, sizeof(o->limits)) != 0) {
		buf_addf(out, "  update    %-20s live, no restart:", n->name);
		if (o->limits.memory != n->limits.memory)
			buf_addf(out, " memory %lld -> %lld MiB",
			    (long long)o->limits.memory,
			    (long long)n->limits.memory);
		if (o->limits.cpu != n->limits.cpu)
			buf_addf(out, " cpu %lld%% -> %lld%%", (long long)o->limits.cpu,
			    (long long)n->limits.cpu);
		if (o->limits.disk != n->limits.disk)
			buf_addf(out, " disk %lld -> %lld MiB",
			    (long long)o->limits.disk,
			    (long long)n->limits.disk);
		if (o->limits.io != n->limits.io || o->limits.pids !=
		    n->limits.pids || o->limits.swap != n->limits.swap)
			buf_addf(out, " (io/pids/swap)");
		buf_addf(out, "\n");
	}
	if (o->state != n->state)
		buf_addf(out, "  %-9s %s\n", n->state == STATE_RUNNING ? "start" :
		    "stop", n->name);
	if (n->restarted_at != NULL && !str_eq(o->restarted_at,
	    n->restarted_at))
		buf_addf(out, "  restart   %-20s once, for restartedAt %s\n", n->name,
		    n->restarted_at);
	if (n->reinstall_at != NULL && !str_eq(o->reinstall_at,
	    n->reinstall_at))
		buf_addf(out, "  reinstall %-20s once, for reinstallAt %s\n", n->name,
		    n->reinstall_at);
}

/* The plan of one node; see stateplan.h. */
void
state_plan_node(const struct state *os, const struct state *ns,
    const char *node, struct buf *out)
{
	const struct state_node	*sn = state_node_find(ns, node);
	size_t			 i, before = 0, after = 0;

	buf_addf(out, "node %s:\n", node);
	for (i = 0; os != NULL && i < os->nservers; i++)
		if (str_eq(os->servers[i]->node, node))
			before++;
	for (i = 0; i < ns->nservers; i++)
		if (str_eq(ns->servers[i]->node, node))
			after++;
	if (before > 0 && after == 0 && (sn == NULL || !sn->allow_empty)) {
		buf_addf(out, "  refused: the revision removes every server of the "
		    "node (set allowEmpty on the node to allow it)\n");
		return;
	}
	for (i = 0; i < ns->nservers; i++) {
		const struct state_server *n = ns->servers[i];

		if (!str_eq(n->node, node))
			continue;
		plan_server(os, os ? state_server_find(os, n->name) : NULL,
		    ns, n, out);
	}
	for (i = 0; os != NULL && i < os->nservers; i++) {
		const struct state_server *o = os->servers[i];
		const struct state_server *n = state_server_find(ns, o->name);

		if (!str_eq(o->node, node))
			continue;
		if (n == NULL)
			buf_addf(out, "  delete    %-20s container removed, data "
			    "moved to the trash\n", o->name);
		else if (!str_eq(n->node, node))
			buf_addf(out, "  delete    %-20s moves to node %s\n",
			    o->name, n->node ? n->node : "?");
	}
}
