/*
 * cmd_plan: roost plan --repo DIR [--rev REV] [--base REV] [--node NODE]
 * [--api SOCKET] previews what roostd would do for a revision: which
 * servers of each node it would create, recreate, update live, stop,
 * start, restart, reinstall or delete, and what it would refuse. The
 * revision is compared with a base: the revision the node applied (asked
 * from its roostd with --api), the --base revision (e.g. the target
 * branch of a pull request), or an empty node.
 */
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
#include "stateplan.h"
#include "xmalloc.h"

#include "cli.h"

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

/* roost plan. */
int
cmd_plan(int argc, char *argv[])
{
	struct panel_opts	 po;
	struct panel		*p = NULL;
	struct state		*ns = NULL, *os = NULL;
	struct rerr		 err;
	struct buf		 out;
	const char		*repo = ".", *rev = "HEAD", *api = NULL;
	const char		*base_opt = NULL, *node_opt = NULL;
	const struct cli_opt	 opts[] = {
		{ 0, "repo", CLI_OPT_STRING, &repo },
		{ 0, "rev",  CLI_OPT_STRING, &rev },
		{ 0, "base", CLI_OPT_STRING, &base_opt },
		{ 0, "node", CLI_OPT_STRING, &node_opt },
		{ 0, "api",  CLI_OPT_STRING, &api },
		{ 0 }
	};
	char			*base, *node;
	size_t			 i;
	int			 argi, rc = CLI_OK;

	if ((argi = cli_opts_parse("plan", opts, argc, argv, &rc)) == -1)
		return rc;
	if (argi != argc)
		return cli_usage("plan", 0);
	base = base_opt != NULL ? xstrdup(base_opt) : NULL;
	node = node_opt != NULL ? xstrdup(node_opt) : NULL;
	if (api != NULL && plan_ask_node(api, &base, &node) != 0) {
		rc = CLI_USAGE;
		goto done;
	}
	memset(&po, 0, sizeof(po));
	po.repo = repo;
	po.remote = "";
	if ((rc = cli_panel_open("roost", &po, NULL, &p, NULL)) != CLI_OK)
		goto done;
	rerr_init(&err);
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
	buf_init(&out, 0);
	if (node != NULL)
		state_plan_node(os, ns, node, &out);
	else
		for (i = 0; i < ns->nnodes; i++)
			state_plan_node(os, ns, ns->nodes[i].name, &out);
	fwrite(buf_str(&out), 1, out.len, stdout);
	buf_dispose(&out);
done:
	state_free(ns);
	state_free(os);
	panel_close(p);
	free(base);
	free(node);
	return rc;
}
