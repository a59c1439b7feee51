/*
 * cmd_propose: change requests from Discord. A user who may view a
 * server but not edit it (or not change its variables) may still use
 * /server edit and /server vars on it when roost.yaml enables proposals
 * and bot.yaml names a review channel: the change goes to a branch of
 * its own and the review channel gets its diff and plan with Approve
 * (pa:SERVER:ID) and Reject (pj:SERVER:ID) buttons for those with edit;
 * a variables proposal's buttons end in ":v", and its Approve needs vars
 * too, so nobody approves a change they could not make themselves.
 * Every message here is pure; bot/reviews.c posts them.
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

#define REVIEW_BYTES	1500	/* of the diff, and of the plan, shown */
#define REVIEW_COLOR	3447003	/* blue */

/* See cmd_int.h. */
int
cmd_may_propose(const struct cmd_env *env, const struct ix *x,
    const struct state_server *srv)
{
	const struct state_proposals	*pr;
	size_t				 i, k;

	if (env->st == NULL || env->review_channel == NULL || srv == NULL)
		return 0;
	pr = &env->st->conf.proposals;
	if (!pr->enabled ||
	    (cmd_perms_of(env, x, srv) & (PERM_VIEW | PERM_ADMIN)) == 0)
		return 0;
	if (pr->nroles == 0)
		return 1;
	for (i = 0; i < pr->nroles; i++)
		for (k = 0; k < x->nroles; k++)
			if (strcmp(pr->roles[i], x->roles[k]) == 0)
				return 1;
	return 0;
}

/* See cmd_int.h. */
const struct state_server *
cmd_server_or_propose(const struct cmd_env *env, const struct ix *x,
    const char *name, unsigned perm, const char *what, int *propose,
    cJSON **reply)
{
	const struct state_server	*srv;

	*propose = 0;
	if ((srv = cmd_server_checked(env, x, name, perm, what, reply)) !=
	    NULL)
		return srv;
	if (env->st == NULL || name == NULL || !state_name_valid(name) ||
	    (srv = state_server_find(env->st, name)) == NULL ||
	    !cmd_may_propose(env, x, srv))
		return NULL;	/* *reply is the refusal */
	cJSON_Delete(*reply);
	*reply = NULL;
	*propose = 1;
	return srv;
}

/*
 * A button whose argument is "SERVER:ID" (":v" after it: a variables
 * proposal): the job of kind for a user with edit on SERVER (and vars,
 * for approving a variables proposal) and its deferred reply, or the
 * refusal.
 */
static cJSON *
decide_button(const struct cmd_call *c, enum cmd_kind kind, const char *what,
    const char *doing)
{
	const struct state_server	*srv;
	const char			*rest;
	cJSON				*r;
	char				 server[64], id[PANEL_PROPOSAL_IDLEN];
	int				 vars;

	if ((rest = cmd_arg_split(c->arg, server, sizeof(server))) == NULL ||
	    strlen(rest) < sizeof(id) - 1)
		return cmd_reply_text(1, "This button is broken.");
	snprintf(id, sizeof(id), "%s", rest);
	vars = strcmp(rest + sizeof(id) - 1, ":v") == 0;
	if (!panel_proposal_id_valid(id) || (!vars &&
	    rest[sizeof(id) - 1] != '\0'))
		return cmd_reply_text(1, "This button is broken.");
	if ((srv = cmd_server_checked(c->env, c->x, server, PERM_EDIT, doing,
	    &r)) == NULL)
		return r;
	if (vars && kind == JOB_APPROVE && (srv = cmd_server_checked(c->env,
	    c->x, server, PERM_VARS, doing, &r)) == NULL)
		return r;
	*c->job = cmd_job_new(c->x, kind, srv->name, what);
	(*c->job)->revision = xstrdup(id);
	(*c->job)->vars = vars;
	return cmd_reply_defer(1);
}

/* Approve on a review message (pa:SERVER:ID). */
cJSON *
cmd_approve_button(const struct cmd_call *c)
{
	return decide_button(c, JOB_APPROVE, "approve",
	    "approve proposals for");
}

/* Reject on a review message (pj:SERVER:ID). */
cJSON *
cmd_reject_button(const struct cmd_call *c)
{
	return decide_button(c, JOB_REJECT, "reject", "reject proposals for");
}

/* See cmd_int.h. */
cJSON *
cmd_propose_message(const struct cmd_job *job, const struct cmd_result *res)
{
	const char	*id = res->proposal[0] ? res->proposal : job->revision;

	if (job->kind == JOB_SET && job->propose) {
		if (res->rc != 0 || res->unchanged)
			return NULL;
		if (res->review_failed)
			return cmd_message_text("Proposal #%s is on branch "
			    "`roost/proposals/%s`, but its review message could "
			    "not be posted; ask someone with `edit` on `%s` to "
			    "look at it (`/plan roost/proposals/%s`).", id, id,
			    job->server, id);
		return cmd_message_text("Proposal #%s sent for review: %s on "
		    "`%s` waits for someone with `edit` on it (branch "
		    "`roost/proposals/%s`).", id, job->vars ? "new variables" :
		    "new limits", job->server, id);
	}
	if (job->kind != JOB_APPROVE && job->kind != JOB_REJECT)
		return NULL;
	if (res->stale)
		return cmd_message_text("Proposal #%s is stale: %s. Its branch "
		    "`roost/proposals/%s` is kept; Reject deletes it.", id,
		    res->msg, id);
	if (res->rc != 0)
		return cmd_message_text("Proposal #%s: %s", id, res->msg);
	if (job->kind == JOB_REJECT)
		return cmd_message_text("Rejected proposal #%s: branch "
		    "`roost/proposals/%s` deleted.", id, id);
	if (res->unchanged)
		return cmd_message_text("Approved proposal #%s: `%s` already "
		    "had that change, nothing was committed.", id, job->server);
	return cmd_message_text("Approved proposal #%s: merged into the "
	    "tracked branch as commit `%.7s`.", id, res->commit);
}

/* Appends a code block of text cut at a line end to REVIEW_BYTES. */
static void
review_code(struct buf *b, const char *lang, const char *text,
    const char *empty)
{
	size_t	len = strlen(text);

	if (len == 0) {
		buf_addf(b, "%s\n", empty);
		return;
	}
	if (len > REVIEW_BYTES) {
		len = REVIEW_BYTES;
		while (len > 0 && text[len - 1] != '\n')
			len--;
	}
	buf_addf(b, "```%s\n", lang);
	cmd_code_put(b, text, len);
	buf_puts(b, "```\n");
	if (len < strlen(text))
		buf_puts(b, "\xe2\x80\xa6 not all shown\n");
}

/* The Approve and Reject buttons (Reject alone when stale). */
static void
review_buttons(cJSON *m, const char *server, const char *id, int vars,
    int stale)
{
	cJSON	*row, *comps;
	char	 arg[128];

	snprintf(arg, sizeof(arg), "%s:%s%s", server, id, vars ? ":v" : "");
	row = json_new_object();
	json_add_num(row, "type", COMP_ROW);
	comps = json_add_array(row, "components");
	if (!stale)
		cJSON_AddItemToArray(comps, cmd_button("Approve",
		    BTN_SUCCESS, "pa:", arg));
	cJSON_AddItemToArray(comps, cmd_button("Reject", BTN_DANGER, "pj:",
	    arg));
	cJSON_AddItemToArray(json_add_array(m, "components"), row);
}

/* See commands.h. */
cJSON *
cmd_review_message(const struct cmd_job *job, const struct cmd_result *res)
{
	struct buf	 b;
	cJSON		*m = json_new_object(), *e;
	const char	*id = res->proposal;
	char		 title[96];

	buf_init(&b, 0);
	buf_addf(&b, "Proposal **#%s** \xc2\xb7 <@%s> proposes %s for `%s` "
	    "with %s.", id, job->user_id, job->vars ? "new variables" :
	    "new limits", job->server, job->what);
	cmd_add_content(m, buf_str(&b));
	buf_reset(&b);
	buf_puts(&b, "**Diff**\n");
	review_code(&b, "diff", res->diff ? res->diff : "", "(no change)");
	buf_addf(&b, "**Plan** of `roost/proposals/%s` against the tracked "
	    "branch\n", id);
	review_code(&b, "", res->plan ? res->plan : "", "nothing to do");
	e = json_new_object();
	snprintf(title, sizeof(title), "Proposal #%s: %s", id, job->server);
	json_add_str(e, "title", title);
	json_add_str(e, "description", buf_str(&b));
	json_add_num(e, "color", REVIEW_COLOR);
	buf_reset(&b);
	buf_addf(&b, "branch roost/proposals/%s \xc2\xb7 commit %.7s \xc2\xb7 "
	    "Approve and Reject need edit on %s", id, res->commit,
	    job->server);
	json_add_str(json_add_object(e, "footer"), "text", buf_str(&b));
	cJSON_AddItemToArray(json_add_array(m, "embeds"), e);
	review_buttons(m, job->server, id, job->vars, 0);
	cmd_no_mentions(m);
	buf_dispose(&b);
	return m;
}

/* See commands.h. */
cJSON *
cmd_review_decided(const struct cmd_job *job, const struct cmd_result *res)
{
	cJSON		*m;
	const char	*id = job->revision;

	if (res->stale) {
		m = cmd_message_text("Proposal **#%s** for `%s` \xc2\xb7 "
		    "**stale**: %s. Approve by <@%s> did not merge it. Branch "
		    "`roost/proposals/%s` is kept (merge it by hand or by pull "
		    "request); Reject deletes it.", id, job->server, res->msg,
		    job->user_id, id);
		review_buttons(m, job->server, id, job->vars, 1);
		return m;
	}
	if (res->rc != 0)
		return NULL;
	if (job->kind == JOB_REJECT)
		m = cmd_message_text("Proposal **#%s** for `%s` \xc2\xb7 "
		    "**rejected** by <@%s> \xc2\xb7 branch deleted.", id,
		    job->server, job->user_id);
	else if (res->unchanged)
		m = cmd_message_text("Proposal **#%s** for `%s` \xc2\xb7 "
		    "**approved** by <@%s> \xc2\xb7 the tracked branch had "
		    "that change already.", id, job->server, job->user_id);
	else
		m = cmd_message_text("Proposal **#%s** for `%s` \xc2\xb7 "
		    "**approved** by <@%s> \xc2\xb7 merged as `%.7s`.", id,
		    job->server, job->user_id, res->commit);
	json_add_array(m, "components");
	return m;
}

/* See commands.h. */
cJSON *
cmd_review_followup(const struct cmd_job *job, const struct cmd_result *res)
{
	cJSON		*m, *am;
	const char	*id = job->revision;

	if (res->proposer == NULL || (res->rc != 0 && !res->stale))
		return NULL;
	if (res->stale)
		m = cmd_message_text("<@%s> your proposal #%s for `%s` could "
		    "not be merged: %s. Its branch `roost/proposals/%s` is "
		    "kept.", res->proposer, id, job->server, res->msg, id);
	else if (job->kind == JOB_REJECT)
		m = cmd_message_text("<@%s> your proposal #%s for `%s` was "
		    "rejected by <@%s>.", res->proposer, id, job->server,
		    job->user_id);
	else
		m = cmd_message_text("<@%s> your proposal #%s for `%s` was "
		    "approved by <@%s> and merged as `%.7s`.", res->proposer,
		    id, job->server, job->user_id, res->commit);
	/* the one mention: the proposer */
	cJSON_DeleteItemFromObject(m, "allowed_mentions");
	am = json_add_object(m, "allowed_mentions");
	json_add_array(am, "parse");
	json_push_str(json_add_array(am, "users"), res->proposer);
	return m;
}
