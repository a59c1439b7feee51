/*
 * cmd_revert: undoing history from Discord. The Revert buttons of
 * /server history (rv:SERVER:COMMIT) revert that commit's change to the
 * server; /server rollback SERVER REVISION shows the diff a rollback
 * would commit with Confirm (rb:SERVER:COMMIT) and Cancel buttons. Both
 * need the edit permission and end in git jobs (the panel's revert and
 * rollback); the commit is authored by whoever pressed the button.
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

#define DIFF_BYTES	1700	/* of a diff or plan shown */

/*
 * Appends text in a code block (opened by the caller), cut at a line end
 * to DIFF_BYTES with every "```" broken, closes the block and says what
 * was cut, naming the rest as rest.
 */
static void
code_cut(struct buf *b, const char *text, const char *rest)
{
	size_t	len = strlen(text);

	if (len > DIFF_BYTES) {
		len = DIFF_BYTES;
		while (len > 0 && text[len - 1] != '\n')
			len--;
	}
	cmd_code_put(b, text, len);
	buf_puts(b, "```");
	if (len < strlen(text))
		buf_addf(b, "\n\xe2\x80\xa6 %s", rest);
}

/* Whether a button's commit is one (7 or more lowercase hex digits). */
static int
commit_valid(const char *commit)
{
	return strlen(commit) >= 7 &&
	    strspn(commit, "0123456789abcdef") == strlen(commit);
}

/*
 * A button whose argument is "SERVER:COMMIT": the job of kind (what) for
 * a user with the edit permission on SERVER (doing names the refusal)
 * and its deferred reply, or the refusal. With on_message the job's
 * result replaces the button's message; else it is a new message.
 */
static cJSON *
commit_button(const struct cmd_call *c, enum cmd_kind kind, const char *what,
    const char *doing, int on_message)
{
	const struct state_server	*srv;
	const char			*commit;
	cJSON				*r;

	if ((srv = cmd_button_server(c, commit_valid, PERM_EDIT, doing,
	    &commit, &r)) == NULL)
		return r;
	*c->job = cmd_job_new(c->x, kind, srv->name, what);
	(*c->job)->revision = xstrdup(commit);
	if (!on_message)
		return cmd_reply_defer(1);
	(*c->job)->on_message = 1;
	return cmd_reply_defer_update();
}

/* A Revert button of /server history: a revert job. */
cJSON *
cmd_revert_button(const struct cmd_call *c)
{
	return commit_button(c, JOB_REVERT, "revert", "revert changes of", 0);
}

/* /server rollback NAME REVISION: first the diff, in a job. */
cJSON *
cmd_do_rollback(const struct cmd_call *c)
{
	const char	*rev = cmd_opt_str(c->x, "revision");

	if (rev == NULL || strlen(rev) < 4 || strlen(rev) > 40 ||
	    strspn(rev, "0123456789abcdefABCDEF") != strlen(rev))
		return cmd_reply_text(1, "Give a revision as a commit id (7 or "
		    "more hex digits, as `/server history` shows them).");
	*c->job = cmd_job_new(c->x, JOB_ROLLBACK_DIFF, c->srv->name,
	    "/server rollback");
	(*c->job)->revision = xstrdup(rev);
	return cmd_reply_defer(1);
}

/* The Confirm button of a rollback (rb:SERVER:COMMIT). */
cJSON *
cmd_rollback_button(const struct cmd_call *c)
{
	return commit_button(c, JOB_ROLLBACK, "rollback", "roll back", 1);
}

/* The preview of a rollback: its diff with Confirm and Cancel. */
static cJSON *
rollback_preview(const struct cmd_job *job, const struct cmd_result *res)
{
	struct buf	 b;
	cJSON		*m = json_new_object();
	const char	*d = res->diff != NULL ? res->diff : "";
	char		 arg[128];

	buf_init(&b, 0);
	if (*d == '\0') {
		buf_addf(&b, "`%s` is already as it was at `%.7s`; nothing to "
		    "roll back.", job->server, res->commit);
		cmd_add_content(m, buf_str(&b));
		buf_dispose(&b);
		cmd_no_mentions(m);
		return m;
	}
	buf_addf(&b, "Roll `%s` back to `%.7s`? This is what would be "
	    "committed:\n```diff\n", job->server, res->commit);
	code_cut(&b, d, "the rest of the diff is not shown");
	cmd_add_content(m, buf_str(&b));
	buf_dispose(&b);
	snprintf(arg, sizeof(arg), "%s:%s", job->server, res->commit);
	cmd_confirm_row(m, "Roll back", "rb:", arg);
	cmd_no_mentions(m);
	return m;
}

/* /plan BRANCH: a job that fetches the branch and plans it. */
cJSON *
cmd_do_plan(const struct cmd_call *c)
{
	const char	*b = cmd_opt_str(c->x, "branch");

	if (!panel_branch_valid(b))
		return cmd_reply_text(1, "Give a branch name of the state "
		    "repository, such as `feature/bigger-mc`.");
	*c->job = cmd_job_new(c->x, JOB_PLAN, NULL, "/plan");
	(*c->job)->revision = xstrdup(b);
	return cmd_reply_defer(0);
}

/* The plan of a branch, in a code block cut to fit. */
static cJSON *
plan_message(const struct cmd_job *job, const struct cmd_result *res)
{
	struct buf	 b;
	cJSON		*m = json_new_object();
	const char	*p = res->diff != NULL ? res->diff : "";

	buf_init(&b, 0);
	buf_addf(&b, "Plan of `%.100s` (`%.7s`) against the tracked branch "
	    "(`%.7s`):\n```\n", job->revision, res->commit, res->base);
	code_cut(&b, *p != '\0' ? p : "nothing to do\n", "the rest of the "
	    "plan is not shown; `roost plan --rev BRANCH` prints it whole");
	cmd_add_content(m, buf_str(&b));
	buf_dispose(&b);
	cmd_no_mentions(m);
	return m;
}

/* See cmd_int.h. */
cJSON *
cmd_revert_message(const struct cmd_job *job, const struct cmd_result *res)
{
	cJSON	*m;

	if (job->kind == JOB_PLAN)
		return plan_message(job, res);
	if (job->kind == JOB_ROLLBACK_DIFF)
		return rollback_preview(job, res);
	if (res->unchanged)
		m = cmd_message_text("Nothing to change on `%s`: it is already "
		    "so.", job->server);
	else if (job->kind == JOB_REVERT)
		m = cmd_message_text("Reverted `%.7s` on `%s` \xc2\xb7 commit "
		    "`%.7s`.", job->revision, job->server, res->commit);
	else
		m = cmd_message_text("Rolled `%s` back to `%.7s` \xc2\xb7 "
		    "commit `%.7s`.", job->server, job->revision, res->commit);
	return cmd_job_replaces(job, m);
}
