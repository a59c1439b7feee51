/*
 * cmd_result: what a finished job says (the message that replaces the
 * deferred response) and, while the node applies the commit, the live
 * message that follows it: waiting for the node, pulling, installing,
 * starting, running with its usage, or what went wrong.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "egg.h"
#include "gitstore.h"
#include "json.h"
#include "panel.h"
#include "rerr.h"
#include "secret.h"
#include "state.h"
#include "xmalloc.h"

#include "address.h"
#include "cmd_int.h"


/* One KEY=VALUE of a set, with a secret shown as secret.h shows it. */
static void
result_kv(struct buf *b, size_t i, const char *kv)
{
	const char	*eq = strchr(kv, '=');
	char		*key;

	buf_puts(b, i ? ", `" : "`");
	if (eq == NULL) {
		buf_addf(b, "%s`", kv);
		return;
	}
	key = xstrndup(kv, (size_t)(eq - kv));
	buf_addf(b, "%s=", key);
	secret_show(NULL, key, eq + 1, b);
	buf_putc(b, '`');
	free(key);
}

/* See cmd_int.h. */
cJSON *
cmd_job_replaces(const struct cmd_job *job, cJSON *m)
{
	if (job->on_message) {
		json_add_array(m, "components");
		json_add_array(m, "embeds");
	}
	return m;
}

/* The message for a finished job; see commands.h. */
cJSON *
cmd_job_message(const struct cmd_env *env, const struct cmd_job *job,
    const struct cmd_result *res)
{
	cJSON		*m;
	char		 note[300];
	size_t		 i;

	if ((m = cmd_propose_message(job, res)) != NULL)
		return m;
	if (res->rc != 0) {
		if (res->problems != NULL && *res->problems != '\0')
			m = cmd_message_text("%s on `%s` was refused; nothing was "
			    "committed:\n```\n%.1700s\n```", job->what,
			    job->server ? job->server : "", res->problems);
		else
			m = cmd_message_text("%s on `%s` failed: %s", job->what,
			    job->server ? job->server : "", res->msg);
		return cmd_job_replaces(job, m);
	}
	switch (job->kind) {
	case JOB_CREATE:
		return cmd_message_text("Created server `%s` (%s) on node `%s`%s "
		    "\xc2\xb7 commit `%.7s`. `/server status server:%s` shows "
		    "its progress.", job->server, job->egg, res->node ?
		    res->node : "?", job->node ? "" : " (placed by free "
		    "capacity)", res->commit, job->server);
	case JOB_POWER:
		snprintf(note, sizeof(note), "%s %s %s by <@%s>: %s",
		    res->existing ? "Already done:" : "Done:",
		    cmd_power_word(job->power), job->server, job->user_id,
		    res->unchanged ? "it was already so, nothing to commit" :
		    "committed");
		if (!res->unchanged)
			snprintf(note + strlen(note), sizeof(note) -
			    strlen(note), " `%.7s`", res->commit);
		if (job->on_message) {
			m = cmd_status_message(env, job->server);
			json_add_str(m, "content", note);
			return m;
		}
		return cmd_message_text("%s", note);
	case JOB_SET:
		if (res->unchanged)
			return cmd_message_text("Nothing to change on `%s`: the "
			    "values are already so.", job->server);
		{
			struct buf b;

			buf_init(&b, 0);
			for (i = 0; i < job->nkv; i++)
				result_kv(&b, i, job->kv[i]);
			m = cmd_message_text("Set %s on `%s` \xc2\xb7 commit "
			    "`%.7s`.", buf_str(&b), job->server, res->commit);
			buf_dispose(&b);
			return m;
		}
	case JOB_DELETE:
		m = cmd_message_text("Deleted server `%s` \xc2\xb7 commit `%.7s`. "
		    "`git revert %.7s` in the state repository brings it "
		    "back.", job->server, res->commit, res->commit);
		json_add_array(m, "embeds");
		json_add_array(m, "components");
		return m;
	case JOB_SFTP:
		if (res->dm_sent)
			return cmd_message_text("New SFTP password for user `%s` "
			    "on `%s` sent to you by direct message (commit "
			    "`%.7s`, only its hash is stored).",
			    job->sftp_user, job->server, res->commit);
		return cmd_message_text("Your direct messages are closed, so "
		    "here it is (only you see this message):\nSFTP user `%s` "
		    "on `%s`, password `%s`\nCommit `%.7s` stores only its "
		    "hash.", job->sftp_user, job->server,
		    res->password ? res->password : "?", res->commit);
	case JOB_HISTORY:
		return cmd_history_message(job, res);
	case JOB_REVERT:
	case JOB_ROLLBACK:
	case JOB_ROLLBACK_DIFF:
	case JOB_PLAN:
		return cmd_revert_message(job, res);
	case JOB_APPROVE:
	case JOB_REJECT:
		break;		/* cmd_propose_message */
	case JOB_BACKUP:
	case JOB_RESTORE:
		return cmd_backup_message(job, res);
	case JOB_MOVE:
		return cmd_move_message(job, res);
	case JOB_SCHEDULES:
		if (res->unchanged)
			return cmd_message_text("Nothing to change on `%s`: its "
			    "schedules are already so.", job->server);
		return cmd_message_text("Schedules of `%s` committed \xc2\xb7 "
		    "commit `%.7s`; its node runs them from its next fetch. "
		    "/server schedules shows them.", job->server, res->commit);
	case JOB_CONSOLE:
	case JOB_LOGS:
	case JOB_FOLLOW:
	case JOB_SCHEDULE_RUN:
		break;		/* cmd_console_message */
	}
	return cmd_message_text("Done.");
}

/* True when a reported revision is commit (either may be abbreviated). */
static int
rev_is(const char *rev, const char *commit)
{
	size_t	n;

	if (rev == NULL || commit == NULL)
		return 0;
	n = strlen(rev) < strlen(commit) ? strlen(rev) : strlen(commit);
	return n >= 7 && strncmp(rev, commit, n) == 0;
}

static int
report_is_for(const cJSON *st, const char *commit)
{
	return rev_is(json_str(st, "observedRevision", NULL), commit) ||
	    rev_is(json_str(st, "appliedRevision", NULL), commit);
}

/* Whether a first response is a status view; see commands.h. */
int
cmd_reply_view(const cJSON *reply, char *out, size_t len)
{
	const cJSON	*row, *c;
	const char	*id;
	int64_t		 type = json_int64(reply, "type", 0);

	if (type != CB_MESSAGE && type != CB_UPDATE)
		return 0;
	cJSON_ArrayForEach(row, json_get(reply, "data.components"))
		cJSON_ArrayForEach(c, cJSON_GetObjectItem(row, "components")) {
			id = json_str(c, "custom_id", "");
			if (strncmp(id, "r:", 2) == 0 && id[2] != '\0') {
				snprintf(out, len, "%s", id + 2);
				return 1;
			}
		}
	return 0;
}

/* Whether a job's server is followed; see commands.h. */
int
cmd_job_follows(const struct cmd_job *job, const struct cmd_result *res)
{
	if (res->rc != 0 || res->unchanged || job->server == NULL ||
	    res->commit[0] == '\0' || job->propose)
		return 0;
	return job->kind == JOB_CREATE || job->kind == JOB_SET ||
	    job->kind == JOB_POWER || job->kind == JOB_REVERT ||
	    job->kind == JOB_ROLLBACK || job->kind == JOB_BACKUP ||
	    job->kind == JOB_RESTORE || job->kind == JOB_MOVE;
}

/* Whether a followed job is done; see commands.h. */
int
cmd_job_settled(const struct cmd_job *job, const struct cmd_result *res,
    const cJSON *st)
{
	if (job->kind == JOB_BACKUP || job->kind == JOB_RESTORE)
		return cmd_backup_settled(job, res, st);
	return cmd_follow_settled(st, res->commit);
}

/* Whether a report is final for commit; see commands.h. */
int
cmd_follow_settled(const cJSON *st, const char *commit)
{
	const char	*phase = json_str(st, "phase", "");
	const char	*applied = json_str(st, "appliedRevision", NULL);
	const char	*observed = json_str(st, "observedRevision", NULL);

	if (st == NULL || commit == NULL || *commit == '\0')
		return 0;
	if (strcmp(phase, "Running") == 0)
		return rev_is(applied, commit);
	if (strcmp(phase, "Stopped") == 0) {
		if (strcmp(json_str(st, "reason", ""), "DiskLimitExceeded") == 0)
			return rev_is(observed, commit);
		if (strcmp(json_str(st, "reason", ""), "Progressing") == 0)
			return 0;
		return rev_is(applied, commit);
	}
	if (strcmp(phase, "CrashLoop") == 0 || strcmp(phase, "Failed") == 0 ||
	    strcmp(phase, "InstallFailed") == 0 ||
	    strcmp(phase, "Invalid") == 0)
		return rev_is(observed, commit) || rev_is(applied, commit);
	return 0;
}

/* See cmd_int.h. */
void
cmd_plain_put(struct buf *b, const char *text, size_t max)
{
	size_t	i;

	for (i = 0; text[i] != '\0' && i < max; i++)
		buf_addf(b, "%c", text[i] == '`' || text[i] == '\n' ||
		    text[i] == '\r' ? '\'' : text[i]);
}

/* The one-line state of a followed job. */
static void
follow_headline(const struct cmd_follow *f, struct buf *b)
{
	const cJSON	*st = f->status;
	const char	*node = f->res->node ? f->res->node : "?";
	const char	*phase = json_str(st, "phase", "");
	const char	*reason = json_str(st, "reason", "");
	const char	*message = json_str(st, "message", NULL);
	const char	*ell = "\xe2\x80\xa6";
	char		 a[32], l[32];
	size_t		 i;
	int		 done = -1;

	/* the request's result also says the node has its commit */
	if (f->job->kind == JOB_BACKUP || f->job->kind == JOB_RESTORE)
		done = cmd_backup_headline(f, b, report_is_for(st,
		    f->res->commit));
	if (done == 1)
		return;
	if (done == -1 && !report_is_for(st, f->res->commit)) {
		if (f->timed_out)
			buf_addf(b, "Node `%s` has not reported commit `%.7s` "
			    "yet; this message is no longer updated. `/server "
			    "status server:%s` shows how it goes on.", node,
			    f->res->commit, f->job->server);
		else if (!f->connected)
			buf_addf(b, "Node `%s` is not connected to the hub; it "
			    "applies commit `%.7s` at its next poll.", node,
			    f->res->commit);
		else
			buf_addf(b, "Waiting for node `%s` to apply commit "
			    "`%.7s`%s", node, f->res->commit, ell);
		return;
	}
	if (f->timed_out && !cmd_follow_settled(st, f->res->commit) &&
	    strcmp(phase, "Running") != 0) {
		buf_addf(b, "Still %s; this message is no longer updated. "
		    "`/server status server:%s` shows how it goes on.",
		    *phase ? phase : "in progress", f->job->server);
		return;
	}
	if (strcmp(phase, "Pending") == 0)
		buf_addf(b, "Pending: about to start%s", ell);
	else if (strcmp(phase, "Pulling") == 0) {
		buf_addf(b, "Pulling image%s", ell);
		for (i = f->nlines; i > 0; i--)
			if (f->lines[i - 1].kind != NULL &&
			    f->lines[i - 1].text != NULL &&
			    strcmp(f->lines[i - 1].kind, "pull") == 0) {
				buf_addf(b, " `");
				cmd_plain_put(b, f->lines[i - 1].text, 150);
				buf_addf(b, "`");
				break;
			}
	} else if (strcmp(phase, "Transferring") == 0) {
		buf_addf(b, "Transferring: the files come from node `%s` "
		    "through the backup target%s", json_str(st,
		    "transfer.from", "?"), ell);
		if ((message = json_str(st, "transfer.message", NULL)) !=
		    NULL) {
			buf_addf(b, " (");
			cmd_plain_put(b, message, 200);
			buf_addf(b, ")");
		}
		return;
	} else if (strcmp(phase, "Installing") == 0)
		buf_addf(b, "Installing%s", ell);
	else if (strcmp(phase, "Installed") == 0)
		buf_addf(b, "Installed; starting%s", ell);
	else if (strcmp(phase, "Starting") == 0 ||
	    (strcmp(phase, "Stopped") == 0 &&
	    strcmp(reason, "Progressing") == 0))
		buf_addf(b, "Starting%s", ell);
	else if (strcmp(phase, "Stopping") == 0)
		buf_addf(b, "Stopping%s", ell);
	else if (strcmp(phase, "Running") == 0 &&
	    json_str(st, "usage.sampledAt", NULL) == NULL)
		buf_addf(b, "Running \xc2\xb7 no usage sample yet");
	else if (strcmp(phase, "Running") == 0) {
		cmd_mib(json_double(st, "usage.memoryBytes", 0), a, sizeof(a));
		cmd_mib(json_double(st, "usage.memoryLimitBytes", 0), l, sizeof(l));
		buf_addf(b, "Running \xc2\xb7 CPU %.0f%% \xc2\xb7 memory %s of %s",
		    json_double(st, "usage.cpuPercent", 0), a, l);
	} else if (strcmp(phase, "Stopped") == 0)
		buf_addf(b, "%s", strcmp(reason, "DiskLimitExceeded") == 0 ?
		    "Stopped: the server directory is over its disk limit" :
		    "Stopped");
	else if (strcmp(phase, "Crashed") == 0)
		buf_addf(b, "Crashed; restarting after a back-off%s", ell);
	else if (strcmp(phase, "CrashLoop") == 0)
		buf_addf(b, "Crash loop: not restarted until the spec changes "
		    "or a restart is requested");
	else if (strcmp(phase, "Failed") == 0)
		buf_addf(b, "Failed");
	else if (strcmp(phase, "InstallFailed") == 0)
		buf_addf(b, "Install failed");
	else if (strcmp(phase, "Invalid") == 0)
		buf_addf(b, "Invalid");
	else
		buf_addf(b, "%s", *phase ? phase : "Unknown");
	if (message != NULL && *message != '\0' && !json_bool(st, "ready", 0) &&
	    cmd_follow_settled(st, f->res->commit)) {
		buf_addf(b, ": ");
		cmd_plain_put(b, message, 600);
	}
}

/* The ready line of a created server; see commands.h. */
int
cmd_follow_ready(const struct cmd_env *env, const struct cmd_follow *f,
    struct buf *b)
{
	const struct state_server	*srv;
	struct buf			 x;
	const char			*more;

	if (f->job->kind != JOB_CREATE || f->job->user_id == NULL ||
	    strcmp(json_str(f->status, "phase", ""), "Running") != 0 ||
	    !cmd_follow_settled(f->status, f->res->commit) ||
	    env->st == NULL ||
	    (srv = state_server_find(env->st, f->job->server)) == NULL)
		return -1;
	buf_init(&x, 0);
	if (bot_address(env->st, srv, 1, &x) != 0) {
		buf_dispose(&x);
		return -1;
	}
	/* "host:port, host:extra, ..." */
	more = strstr(buf_str(&x), ", ");
	buf_addf(b, "\n<@%s> `%s` is ready: connect to `%.*s`",
	    f->job->user_id, srv->name, more != NULL ?
	    (int)(more - buf_str(&x)) : (int)x.len, buf_str(&x));
	if (more != NULL)
		buf_addf(b, " (more ports: `%s`)", more + 2);
	buf_dispose(&x);
	return 0;
}

/* The message of a followed job; see commands.h. */
cJSON *
cmd_follow_message(const struct cmd_env *env, const struct cmd_follow *f)
{
	struct buf	 b;
	cJSON		*note, *m, *am;

	note = cmd_job_message(env, f->job, f->res);
	m = cmd_status_view(env, f->job->server, f->status, f->lines,
	    f->nlines);
	buf_init(&b, 0);
	buf_addf(&b, "%s\n**", json_str(note, "content", ""));
	follow_headline(f, &b);
	buf_addf(&b, "**");
	if (cmd_follow_ready(env, f, &b) == 0) {
		/* the one mention: the user who asked */
		cJSON_DeleteItemFromObject(m, "allowed_mentions");
		am = json_add_object(m, "allowed_mentions");
		json_add_array(am, "parse");
		json_push_str(json_add_array(am, "users"), f->job->user_id);
	}
	cJSON_DeleteItemFromObject(m, "content");
	cmd_add_content(m, buf_str(&b));
	buf_dispose(&b);
	cJSON_Delete(note);
	return m;
}
