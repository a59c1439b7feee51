/*
 * cmd_plan: roost plan --repo DIR [--rev REV] [--base REV] [--node NODE]
 * [--api SOCKET] previews what roostd would do for a revision: which
 * servers of each node it would create, recreate, update live, stop,
 * start, restart, reinstall or delete, and what it would refuse. The
 * revision is compared with a base: the revision the node applied (asked
 * from its roostd with --api), the --base revision (e.g. the target
 * branch of a pull request), or an empty node.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "diag.h"
#include "gitstore.h"
#include "http.h"
#include "json.h"
#include "panel.h"
#include "rerr.h"
#include "state.h"
#include "xmalloc.h"

#include "cli.h"

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Asks roostd for the revision it applied and its node's name. */
static int
plan_ask_node(const char *api, char **rev, char **node)
{
	struct http_request	 req;
	struct http_response	 resp;
	struct rerr		 err;
	struct http		*h = http_new(api);
	cJSON			*root, *n;
	int			 rc = -1;

	memset(&req, 0, sizeof(req));
	req.url = "http://localhost/v1/status";
	req.timeout_ms = 10000;
	http_response_init(&resp);
	rerr_init(&err);
	if (http_do(h, &req, &resp, &err) != 0 || resp.status != 200) {
		fprintf(stderr, "roost: cannot ask roostd at '%s': %s\n", api,
		    err.msg[0] ? err.msg : buf_str(&resp.body));
		goto done;
	}
	if ((root = json_parse_str(buf_str(&resp.body))) == NULL)
		goto done;
	n = cJSON_GetObjectItemCaseSensitive(root, "node");
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(n, "revision")))
		*rev = xstrdup(cJSON_GetObjectItemCaseSensitive(n,
		    "revision")->valuestring);
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(n, "name")))
		*node = xstrdup(cJSON_GetObjectItemCaseSensitive(n,
		    "name")->valuestring);
	cJSON_Delete(root);
	rc = 0;
done:
	http_response_dispose(&resp);
	http_free(h);
	return rc;
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
    const struct state *ns, const struct state_server *n)
{
	const char	*why;

	if (!n->valid) {
		printf("  keep      %-20s invalid at this revision, its last "
		    "good spec stays (%s)\n", n->name, n->error ? n->error :
		    "see roost validate");
		return;
	}
	if (o == NULL || !o->valid) {
		printf("  create    %-20s %s on port %d%s\n", n->name,
		    state_server_image(ns, n) ? state_server_image(ns, n) :
		    "?", n->port, n->state == STATE_RUNNING ?
		    ", install if new, then start" : ", stopped");
		return;
	}
	why = !str_eq(state_server_image(os, o), state_server_image(ns, n)) ?
	    "image" : !str_eq(o->egg, n->egg) ? "egg" : vars_differ(o, n) ?
	    "variables" : ports_differ(o, n) ? "ports" : NULL;
	if (why != NULL)
		printf("  recreate  %-20s %s changed\n", n->name, why);
	else if (memcmp(&o->limits, &n->limits, sizeof(o->limits)) != 0) {
		printf("  update    %-20s live, no restart:", n->name);
		if (o->limits.memory != n->limits.memory)
			printf(" memory %lld -> %lld MiB",
			    (long long)o->limits.memory,
			    (long long)n->limits.memory);
		if (o->limits.cpu != n->limits.cpu)
			printf(" cpu %lld%% -> %lld%%", (long long)o->limits.cpu,
			    (long long)n->limits.cpu);
		if (o->limits.disk != n->limits.disk)
			printf(" disk %lld -> %lld MiB",
			    (long long)o->limits.disk,
			    (long long)n->limits.disk);
		if (o->limits.io != n->limits.io || o->limits.pids !=
		    n->limits.pids || o->limits.swap != n->limits.swap)
			printf(" (io/pids/swap)");
		printf("\n");
	}
	if (o->state != n->state)
		printf("  %-9s %s\n", n->state == STATE_RUNNING ? "start" :
		    "stop", n->name);
	if (n->restarted_at != NULL && !str_eq(o->restarted_at,
	    n->restarted_at))
		printf("  restart   %-20s once, for restartedAt %s\n", n->name,
		    n->restarted_at);
	if (n->reinstall_at != NULL && !str_eq(o->reinstall_at,
	    n->reinstall_at))
		printf("  reinstall %-20s once, for reinstallAt %s\n", n->name,
		    n->reinstall_at);
}

/* Prints the plan of one node. Returns the number of actions shown. */
static void
plan_node(const struct state *os, const struct state *ns, const char *node)
{
	const struct state_node	*sn = state_node_find(ns, node);
	size_t			 i, before = 0, after = 0;

	printf("node %s:\n", node);
	for (i = 0; os != NULL && i < os->nservers; i++)
		if (str_eq(os->servers[i]->node, node))
			before++;
	for (i = 0; i < ns->nservers; i++)
		if (str_eq(ns->servers[i]->node, node))
			after++;
	if (before > 0 && after == 0 && (sn == NULL || !sn->allow_empty)) {
		printf("  refused: the revision removes every server of the "
		    "node (set allowEmpty on the node to allow it)\n");
		return;
	}
	for (i = 0; i < ns->nservers; i++) {
		const struct state_server *n = ns->servers[i];

		if (!str_eq(n->node, node))
			continue;
		plan_server(os, os ? state_server_find(os, n->name) : NULL,
		    ns, n);
	}
	for (i = 0; os != NULL && i < os->nservers; i++) {
		const struct state_server *o = os->servers[i];
		const struct state_server *n = state_server_find(ns, o->name);

		if (!str_eq(o->node, node))
			continue;
		if (n == NULL)
			printf("  delete    %-20s container removed, data "
			    "moved to the trash\n", o->name);
		else if (!str_eq(n->node, node))
			printf("  delete    %-20s moves to node %s\n",
			    o->name, n->node ? n->node : "?");
	}
}

/* roost plan. */
int
cmd_plan(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "repo",	required_argument,	NULL, 'r' },
		{ "rev",	required_argument,	NULL, 'v' },
		{ "base",	required_argument,	NULL, 'b' },
		{ "node",	required_argument,	NULL, 'n' },
		{ "api",	required_argument,	NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	struct panel_opts	 po;
	struct panel		*p = NULL;
	struct state		*ns = NULL, *os = NULL;
	struct rerr		 err;
	const char		*repo = ".", *rev = "HEAD", *api = NULL;
	char			*base = NULL, *node = NULL;
	size_t			 i;
	int			 ch, rc = CLI_OK;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			repo = optarg;
			break;
		case 'v':
			rev = optarg;
			break;
		case 'b':
			base = xstrdup(optarg);
			break;
		case 'n':
			node = xstrdup(optarg);
			break;
		case 'a':
			api = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if (api != NULL && plan_ask_node(api, base ? &base : &base,
	    node ? &node : &node) != 0) {
		rc = CLI_USAGE;
		goto done;
	}
	memset(&po, 0, sizeof(po));
	po.repo = repo;
	po.remote = "";
	rerr_init(&err);
	if (panel_open(&p, &po, &err) != 0) {
		fprintf(stderr, "roost: %s\n", err.msg);
		rc = CLI_USAGE;
		goto done;
	}
	if (panel_state(p, rev, 0, &ns, &err) != 0) {
		fprintf(stderr, "roost: cannot read revision '%s': %s\n", rev,
		    err.msg);
		rc = CLI_USAGE;
		goto done;
	}
	rerr_init(&err);
	if (base != NULL && panel_state(p, base, 0, &os, &err) != 0) {
		fprintf(stderr, "roost: cannot read base revision '%s': %s\n",
		    base, err.msg);
		rc = CLI_USAGE;
		goto done;
	}
	printf("plan for %s%s%.12s\n", rev, base ? " against " : " on an "
	    "empty node", base ? base : "");
	if (ns->diags->nerrors > 0) {
		printf("problems at this revision (affected servers keep their "
		    "last good spec):\n");
		diags_print(ns->diags, stdout);
		rc = CLI_FAIL;
	}
	if (node != NULL)
		plan_node(os, ns, node);
	else
		for (i = 0; i < ns->nnodes; i++)
			plan_node(os, ns, ns->nodes[i].name);
	goto done;
usage:
	fprintf(stderr, "usage: roost plan --repo DIR [--rev REV] [--base REV] "
	    "[--node NODE] [--api SOCKET]\n");
	rc = CLI_USAGE;
done:
	state_free(ns);
	state_free(os);
	panel_close(p);
	free(base);
	free(node);
	return rc;
}
