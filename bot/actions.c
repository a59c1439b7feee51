/*
 * actions: the bot's jobs carried out by the panel core (lib/panel.h):
 * every edit is validated, committed as the Discord user with the bot as
 * committer, moved with compare-and-swap and pushed with retries; the
 * interaction id is the edit's request id, so a redelivered interaction
 * never makes a second commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "gitstore.h"
#include "panel.h"
#include "rerr.h"
#include "state.h"
#include "xmalloc.h"

#include "actions.h"
#include "commands.h"

struct actions_panel {
	struct panel		*p;
	struct gitstore_auth	 auth;
};

static void
result_from(struct cmd_result *res, int rc, const struct panel_result *pr,
    const struct rerr *err)
{
	struct buf	b;

	res->rc = rc;
	/* the panel found the node while it edited: no second state load */
	if (pr->node != NULL && res->node == NULL)
		res->node = xstrdup(pr->node);
	if (rc != 0) {
		snprintf(res->msg, sizeof(res->msg), "%s", err->msg);
		if (pr->diags.n > 0) {
			buf_init(&b, 0);
			diags_format(&pr->diags, &b);
			res->problems = buf_detach(&b);
		}
		return;
	}
	memcpy(res->commit, pr->commit, sizeof(res->commit));
	res->existing = pr->existing;
	res->unchanged = pr->unchanged;
	memcpy(res->at, pr->at, sizeof(res->at));
	if (pr->password != NULL)
		res->password = xstrdup(pr->password);
}

/* A proposal job (propose, approve, reject) through the panel. */
static int
ap_proposal(struct panel *p, const struct cmd_job *job,
    const struct panel_req *req, struct cmd_result *res,
    struct panel_result *pr, struct rerr *err)
{
	struct panel_proposal	prop;
	int			rc;

	panel_proposal_init(&prop);
	if (job->kind == JOB_SET)
		rc = panel_propose_set(p, req, job->server,
		    (const char *const *)job->kv, job->nkv, job->vars, &prop,
		    pr, err);
	else if (job->kind == JOB_APPROVE)
		rc = panel_proposal_approve(p, req, job->revision, job->server,
		    &prop, pr, err);
	else
		rc = panel_proposal_reject(p, job->revision, job->server,
		    &prop, err);
	snprintf(res->proposal, sizeof(res->proposal), "%s", prop.id);
	if (prop.proposer != NULL)
		res->proposer = xstrdup(prop.proposer);
	if (prop.diff != NULL)
		res->diff = xstrdup(prop.diff);
	if (prop.plan != NULL)
		res->plan = xstrdup(prop.plan);
	res->stale = prop.stale;
	res->kept = prop.kept;
	panel_proposal_dispose(&prop);
	return rc;
}

static void
ap_run(void *arg, const struct cmd_job *job, struct cmd_result *res)
{
	struct actions_panel		*a = arg;
	struct panel_req		 req;
	struct panel_result		 pr;
	struct panel_server_spec	 spec;
	struct panel_sftp		 op;
	struct rerr			 err;
	char				 rev[GITSTORE_IDLEN];
	int				 rc = 0;

	rerr_init(&err);
	panel_result_init(&pr);
	req.author = job->author;
	req.request_id = job->request_id;
	switch (job->kind) {
	case JOB_SET:
	case JOB_APPROVE:
	case JOB_REJECT:
		if (job->kind != JOB_SET || job->propose) {
			rc = ap_proposal(a->p, job, &req, res, &pr, &err);
			break;
		}
		rc = (job->vars ? panel_server_set_vars : panel_server_set)(a->p, &req, job->server,
		    (const char *const *)job->kv, job->nkv, &pr, &err);
		break;
	case JOB_CREATE:
		memset(&spec, 0, sizeof(spec));
		spec.name = job->server;
		spec.egg = job->egg;
		spec.node = job->node;
		spec.owner = job->user_id;
		spec.memory = job->memory;
		spec.disk = job->disk;
		spec.cpu = job->cpu;
		rc = panel_server_create(a->p, &req, &spec, &pr, &err);
		break;
	case JOB_POWER:
		rc = panel_server_power(a->p, &req, job->server,
		    (enum panel_power)job->power, &pr, &err);
		break;
	case JOB_DELETE:
		rc = panel_server_delete(a->p, &req, job->server, &pr, &err);
		break;
	case JOB_SFTP:
		memset(&op, 0, sizeof(op));
		op.user = job->sftp_user;
		op.generate = 1;
		op.perms = SFTP_PERM_READ | SFTP_PERM_WRITE | SFTP_PERM_DELETE;
		rc = panel_sftp_set(a->p, &req, job->server, &op, &pr, &err);
		break;
	case JOB_HISTORY:
		rc = panel_server_history(a->p, job->server, 10, &res->log,
		    &res->nlog, &err);
		break;
	case JOB_REVERT:
		rc = panel_server_revert(a->p, &req, job->server,
		    job->revision, &pr, &err);
		break;
	case JOB_ROLLBACK:
		rc = panel_server_rollback(a->p, &req, job->server,
		    job->revision, &pr, &err);
		break;
	case JOB_ROLLBACK_DIFF: {
		struct buf	d;

		buf_init(&d, 0);
		rc = panel_server_rollback_diff(a->p, job->server,
		    job->revision, &d, rev, &err);
		res->diff = buf_detach(&d);
		break;
	}
	case JOB_PLAN: {
		struct buf	d;

		buf_init(&d, 0);
		rc = panel_plan_branch(a->p, job->revision, &d, res->base,
		    rev, &err);
		res->diff = buf_detach(&d);
		break;
	}
	case JOB_BACKUP:
		rc = panel_server_backup(a->p, &req, job->server, job->note,
		    &pr, &err);
		break;
	case JOB_RESTORE:
		rc = panel_server_restore(a->p, &req, job->server,
		    job->backup_id, &pr, &err);
		break;
	case JOB_MOVE:
		rc = panel_server_move(a->p, &req, job->server, job->node,
		    &pr, &err);
		break;
	case JOB_SCHEDULES:
		rc = panel_server_set_schedules(a->p, &req, job->server,
		    job->yaml, &pr, &err);
		break;
	case JOB_CONSOLE:
	case JOB_LOGS:
	case JOB_FOLLOW:
	case JOB_SCHEDULE_RUN:
		/* the console workers' (console.c), never git's */
		rc = rerr_set(&err, -1, "not a job of the state");
		break;
	}
	result_from(res, rc, &pr, &err);
	if (rc == 0 && (job->kind == JOB_ROLLBACK_DIFF ||
	    job->kind == JOB_PLAN)) {
		memcpy(res->commit, rev, sizeof(res->commit));
		res->unchanged = 1;	/* nothing was committed */
	}
	panel_result_dispose(&pr);
}

static int
ap_load(void *arg, int fetch, struct state **out, struct rerr *err)
{
	struct actions_panel	*a = arg;

	return panel_state(a->p, NULL, fetch, out, err);
}

static int
ap_describe(void *arg, const char *rev, char **subject, char **author,
    struct rerr *err)
{
	struct actions_panel	*a = arg;
	struct gitstore_logent	 e;
	int			 rc;

	*subject = *author = NULL;
	if ((rc = gitstore_commit_info(panel_gitstore(a->p), rev, &e,
	    err)) != 0)
		return rc;
	*subject = xstrdup(e.summary);
	xasprintf(author, "%s <%s>", e.author_name, e.author_email);
	gitstore_logent_dispose(&e);
	return 0;
}

static void
ap_close(void *arg)
{
	struct actions_panel	*a = arg;

	panel_close(a->p);
	free(a);
}

static void
auth_of(struct gitstore_auth *auth, const struct actions_panel_conf *conf)
{
	memset(auth, 0, sizeof(*auth));
	auth->ssh_key = conf->ssh_key;
	auth->token_file = conf->token_file;
	auth->host_key_sha256 = conf->host_key;
}

/* Opens panel-backed actions. */
int
actions_panel_open(struct bot_actions *out,
    const struct actions_panel_conf *conf, struct rerr *err)
{
	struct actions_panel	*a;
	struct panel_opts	 po;
	int			 rc;

	a = xcalloc(1, sizeof(*a));
	auth_of(&a->auth, conf);
	memset(&po, 0, sizeof(po));
	po.repo = conf->repo;
	po.branch = conf->branch;
	po.auth = &a->auth;
	po.committer = conf->committer;
	if ((rc = panel_open(&a->p, &po, err)) != 0) {
		free(a);
		return rc;
	}
	out->arg = a;
	out->run = ap_run;
	out->load = ap_load;
	out->describe = ap_describe;
	out->close = ap_close;
	return 0;
}

/* Makes or updates the bot's mirror of the state repository. */
int
actions_mirror_prepare(const char *dir, const char *url, const char *branch,
    const struct actions_panel_conf *conf, struct rerr *err)
{
	struct gitstore		*gs;
	struct gitstore_auth	 auth;
	char			 tip[GITSTORE_IDLEN], cur[GITSTORE_IDLEN];
	char			*ref;
	int			 rc;

	if ((rc = gitstore_mirror_open(&gs, dir, url, branch ? branch :
	    "main", err)) != 0)
		return rc;
	auth_of(&auth, conf);
	gitstore_set_auth(gs, &auth);
	rc = gitstore_fetch(gs, "origin", branch ? branch : "main", tip, err);
	if (rc == 0) {
		/* the local branch starts at the remote's tip */
		xasprintf(&ref, "refs/heads/%s", branch ? branch : "main");
		if (gitstore_resolve(gs, ref, cur, NULL) == ROOST_ENOTFOUND)
			rc = gitstore_branch_update(gs, branch ? branch :
			    "main", NULL, tip, "roost-bot: clone", err);
		free(ref);
	}
	gitstore_close(gs);
	return rc;
}
