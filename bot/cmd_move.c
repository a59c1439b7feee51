/*
 * cmd_move: moving a server to another node from Discord. /server move
 * NAME NODE checks the node and asks to confirm (mv:SERVER:NODE), saying
 * what happens to the data; the Move button commits node: through the
 * panel (panel_server_move), and the message then follows the server on
 * its new node (Transferring, then Running) like any other change. Both
 * steps need the edit permission on the server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "json.h"
#include "panel.h"
#include "state.h"
#include "xmalloc.h"

#include "cmd_int.h"

/* The node named, or NULL with *r set to the refusal. */
static const struct state_node *
move_node(const struct cmd_env *env, const struct state_server *srv,
    const char *node, cJSON **r)
{
	const struct state_node	*n;

	if (node == NULL || *node == '\0' ||
	    (n = state_node_find(env->st, node)) == NULL) {
		*r = cmd_reply_text(1, "There is no node `%.64s`; `/node list` "
		    "shows them.", node != NULL ? node : "");
		return NULL;
	}
	if (srv->node != NULL && strcmp(srv->node, n->name) == 0) {
		*r = cmd_reply_text(1, "`%s` is on node `%s` already.",
		    srv->name, n->name);
		return NULL;
	}
	return n;
}

/* /server move NAME NODE: the confirmation. */
cJSON *
cmd_do_move(const struct cmd_call *c)
{
	const struct state_server	*srv = c->srv;
	const struct state_node		*n;
	struct buf			 b;
	cJSON				*r;
	char				 arg[160];

	if ((n = move_node(c->env, srv, cmd_opt_str(c->x, "node"), &r)) ==
	    NULL)
		return r;
	buf_init(&b, 0);
	buf_addf(&b, "Move `%s` from node `%s` to node `%s`? The old node "
	    "stops it and, when both nodes reach the server's backup target, "
	    "sends its files through a final backup that the new node "
	    "restores before it starts the server. Without a shared target "
	    "the new node installs it fresh and the old files stay in the old "
	    "node's trash.", srv->name, srv->node ? srv->node : "?", n->name);
	snprintf(arg, sizeof(arg), "%s:%s", srv->name, n->name);
	r = cmd_reply_confirm(CB_MESSAGE, buf_str(&b), NULL, "Move", "mv:",
	    arg);
	buf_dispose(&b);
	return r;
}

/* The Move button (mv:SERVER:NODE): a move job. */
cJSON *
cmd_move_button(const struct cmd_call *c)
{
	const struct state_server	*srv;
	const struct state_node		*n;
	const char			*node;
	cJSON				*r;

	if ((srv = cmd_button_server(c, NULL, PERM_EDIT, "move", &node,
	    &r)) == NULL)
		return r;
	if ((n = move_node(c->env, srv, node, &r)) == NULL)
		return r;
	*c->job = cmd_job_new(c->x, JOB_MOVE, srv->name, "/server move");
	(*c->job)->node = xstrdup(n->name);
	(*c->job)->on_message = 1;
	return cmd_reply_defer_update();
}

/* See cmd_int.h. */
cJSON *
cmd_move_message(const struct cmd_job *job, const struct cmd_result *res)
{
	return cmd_job_replaces(job, cmd_message_text("Moved `%s` to node "
	    "`%s` \xc2\xb7 commit `%.7s`.", job->server, job->node,
	    res->commit));
}
