/*
 * cmd_backup: backups from Discord. /server backup NAME [note] commits a
 * backup request (backupRequestedAt); /server restore NAME shows a select
 * of the backups the node lists (rs:SERVER), the pick asks to confirm
 * (ro:SERVER:ID) and the Restore button commits the restore request.
 * Both need the backup permission. The committed request is then
 * followed like an install: waiting for the node, backing up or
 * restoring (with the node's progress lines), then what came of it.
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

#define NOTE_MAX	200	/* bytes of a backup note (as the panel) */
#define SELECT_MAX	25	/* options of a Discord select */

/* Whether s is one line without control characters. */
static int
one_line(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* /server backup NAME [note]: a backup job. */
cJSON *
cmd_do_backup(const struct cmd_call *c)
{
	const char	*note = cmd_opt_str(c->x, "note");

	if (note != NULL && (strlen(note) > NOTE_MAX || !one_line(note)))
		return cmd_reply_text(1, "A backup note is one line of at most "
		    "%d bytes.", NOTE_MAX);
	*c->job = cmd_job_new(c->x, JOB_BACKUP, c->srv->name,
	    "/server backup");
	if (note != NULL && *note != '\0')
		(*c->job)->note = xstrdup(note);
	return cmd_reply_defer(1);
}

/* The backups object of a server's last report (a copy), or NULL. */
static cJSON *
backups_of(const struct cmd_env *env, const char *server, cJSON **status)
{
	*status = env->server_status != NULL ?
	    env->server_status(env->arg, server) : NULL;
	return cJSON_GetObjectItemCaseSensitive(*status, "backups");
}

/* The listed backup id of a backups object, or NULL. */
static const cJSON *
backup_find(const cJSON *bk, const char *id)
{
	const cJSON	*it;

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(bk, "list"))
		if (strcmp(json_str(it, "id", ""), id) == 0)
			return it;
	return NULL;
}

/* "12 MiB · 1,234 files · note" of a listed backup into b. */
static void
backup_line(const cJSON *it, struct buf *b, size_t note_max)
{
	char		 sz[32];
	const char	*note = json_str(it, "note", NULL);

	cmd_mib(json_double(it, "size", 0), sz, sizeof(sz));
	buf_addf(b, "%s \xc2\xb7 %.0f files", sz, json_double(it, "entries",
	    0));
	if (note != NULL && *note != '\0')
		buf_addf(b, " \xc2\xb7 %.*s", (int)note_max, note);
}

/* A string select of the listed backups (newest first), or NULL. */
static cJSON *
restore_select(const char *server, const cJSON *list)
{
	cJSON		*rows, *opts;
	const cJSON	*it;
	struct buf	 b;
	char		 id[128];
	int		 n = 0;

	snprintf(id, sizeof(id), "rs:%s", server);
	rows = cmd_select_rows(id, "Pick the backup to restore", &opts);
	cJSON_ArrayForEach(it, list) {
		if (n == SELECT_MAX || !cJSON_IsString(cJSON_GetObjectItem(it,
		    "id")))
			continue;
		buf_init(&b, 0);
		backup_line(it, &b, 60);
		cmd_select_option(opts, json_str(it, "time", json_str(it, "id",
		    "")), json_str(it, "id", ""), buf_str(&b));
		buf_dispose(&b);
		n++;
	}
	if (n == 0) {
		cJSON_Delete(rows);
		return NULL;
	}
	return rows;
}

/* The confirmation of a restore of id (listed as it) on server. */
static cJSON *
restore_confirm(int type, const char *server, const cJSON *it)
{
	cJSON		*r;
	struct buf	 b;
	char		 arg[160];
	const char	*id = json_str(it, "id", "");

	buf_init(&b, 0);
	buf_addf(&b, "Restore `%s` from backup `%s` (%s, ", server, id,
	    json_str(it, "time", "?"));
	backup_line(it, &b, NOTE_MAX);
	buf_addf(&b, ")? The node checks the archive first and changes "
	    "nothing when it is damaged; then it stops the server, puts the "
	    "backup's files in place of the current ones (which it keeps in "
	    "its trash) and starts it again.");
	snprintf(arg, sizeof(arg), "%s:%s", server, id);
	r = cmd_reply_confirm(type, buf_str(&b), json_new_array(), "Restore",
	    "ro:", arg);
	buf_dispose(&b);
	return r;
}

/*
 * /server restore NAME [backup]: the select of the node's listed
 * backups, or the confirmation of the one named.
 */
cJSON *
cmd_do_restore(const struct cmd_call *c)
{
	const char	*name = c->srv->name, *want = cmd_opt_str(c->x, "backup");
	cJSON		*st, *bk, *rows, *r, *d;
	const cJSON	*it;

	bk = backups_of(c->env, name, &st);
	if (st == NULL)
		r = cmd_reply_text(1, "Node `%s` has not reported `%s` yet, so "
		    "its backups are not known; try again once it is "
		    "connected.", c->srv->node ? c->srv->node : "?", name);
	else if (want != NULL && *want != '\0') {
		if ((it = backup_find(bk, want)) == NULL)
			r = cmd_reply_text(1, "`%s` has no backup `%.64s`; "
			    "`/server restore server:%s` lists them.", name,
			    want, name);
		else
			r = restore_confirm(CB_MESSAGE, name, it);
	} else if ((rows = restore_select(name, cJSON_GetObjectItem(bk,
	    "list"))) == NULL)
		r = cmd_reply_text(1, "`%s` has no backups yet; `/server backup "
		    "server:%s` takes one.", name, name);
	else {
		r = cmd_reply_new(CB_MESSAGE, &d);
		cmd_add_content(d, "Which backup? The newest are first.");
		cJSON_AddItemToObject(d, "components", rows);
		json_add_num(d, "flags", MSG_EPHEMERAL);
		cmd_no_mentions(d);
	}
	cJSON_Delete(st);
	return r;
}

/* The pick of the restore select (rs:SERVER): the confirmation. */
cJSON *
cmd_restore_pick(const struct cmd_call *c)
{
	const struct state_server	*srv = c->srv;
	const char			*id = json_str(c->x->data, "values.0",
					    NULL);
	const cJSON			*it;
	cJSON				*st, *bk, *r;

	if (id == NULL)
		return cmd_reply_text(1, "Pick one of the backups.");
	bk = backups_of(c->env, srv->name, &st);
	if ((it = backup_find(bk, id)) == NULL)
		r = cmd_reply_text(1, "Backup `%.64s` of `%s` is no longer "
		    "listed (retention may have removed it).", id, srv->name);
	else
		r = restore_confirm(CB_UPDATE, srv->name, it);
	cJSON_Delete(st);
	return r;
}

/* The Restore button (ro:SERVER:ID): a restore job. */
cJSON *
cmd_restore_button(const struct cmd_call *c)
{
	const struct state_server	*srv;
	const char			*id;
	cJSON				*r;

	if ((srv = cmd_button_server(c, state_backup_id_valid, PERM_BACKUP,
	    "restore", &id, &r)) == NULL)
		return r;
	*c->job = cmd_job_new(c->x, JOB_RESTORE, srv->name, "/server restore");
	(*c->job)->backup_id = xstrdup(id);
	(*c->job)->on_message = 1;
	return cmd_reply_defer_update();
}

/* See cmd_int.h. */
cJSON *
cmd_backup_message(const struct cmd_job *job, const struct cmd_result *res)
{
	cJSON	*m;

	if (job->kind == JOB_BACKUP)
		m = cmd_message_text("Backup of `%s` asked for%s%s%s "
		    "\xc2\xb7 commit `%.7s`.", job->server, job->note ?
		    " (\xe2\x80\x9c" : "", job->note ? job->note : "",
		    job->note ? "\xe2\x80\x9d)" : "", res->commit);
	else
		m = cmd_message_text("Restore of `%s` from backup `%s` asked "
		    "for \xc2\xb7 commit `%.7s`.", job->server, job->backup_id,
		    res->commit);
	return cmd_job_replaces(job, m);
}

/*
 * The result of the job's request in a report's backups object (its
 * lastBackup or lastRestore when it is for the request), or NULL.
 */
static const cJSON *
request_result(const struct cmd_job *job, const struct cmd_result *res,
    const cJSON *bk)
{
	const cJSON	*last;

	last = cJSON_GetObjectItemCaseSensitive(bk, job->kind == JOB_BACKUP ?
	    "lastBackup" : "lastRestore");
	if (last == NULL || res->at[0] == '\0' ||
	    strcmp(json_str(last, "requestedAt", ""), res->at) < 0)
		return NULL;
	return last;
}

/* See cmd_int.h. */
int
cmd_backup_settled(const struct cmd_job *job, const struct cmd_result *res,
    const cJSON *st)
{
	const cJSON	*last;
	const char	*phase = json_str(st, "phase", "");

	last = request_result(job, res, cJSON_GetObjectItem(st, "backups"));
	if (last == NULL)
		return 0;
	if (job->kind == JOB_BACKUP ||
	    strcmp(json_str(last, "result", ""), "succeeded") != 0)
		return 1;
	/* a restore: until the server is back as it should be */
	return strcmp(phase, "Running") == 0 || strcmp(phase, "CrashLoop") ==
	    0 || strcmp(phase, "Failed") == 0 || (strcmp(phase, "Stopped") ==
	    0 && strcmp(json_str(st, "reason", ""), "Progressing") != 0);
}

/* The newest progress line of kind, or NULL. */
static const char *
progress_of(const struct cmd_follow *f, const char *kind)
{
	size_t	i;

	for (i = f->nlines; i > 0; i--)
		if (f->lines[i - 1].kind != NULL &&
		    f->lines[i - 1].text != NULL &&
		    strcmp(f->lines[i - 1].kind, kind) == 0)
			return f->lines[i - 1].text;
	return NULL;
}

/* See cmd_int.h. */
int
cmd_backup_headline(const struct cmd_follow *f, struct buf *b, int reported)
{
	const struct cmd_job	*job = f->job;
	const cJSON		*bk, *last;
	const char		*running, *p, *kind, *ell = "\xe2\x80\xa6";
	char			 sz[32];

	bk = cJSON_GetObjectItem(f->status, "backups");
	kind = job->kind == JOB_BACKUP ? "backup" : "restore";
	running = json_str(bk, "running", "");
	last = request_result(job, f->res, bk);
	if (!reported && last == NULL && strcmp(running, kind) != 0)
		return -1;
	if (last != NULL) {
		if (strcmp(json_str(last, "result", ""), "succeeded") != 0) {
			buf_addf(b, "%s failed: ", job->kind == JOB_BACKUP ?
			    "Backup" : "Restore");
			cmd_plain_put(b, json_str(last, "message", "no reason "
			    "given"), 600);
			return 1;
		}
		if (job->kind == JOB_BACKUP) {
			cmd_mib(json_double(last, "size", 0), sz, sizeof(sz));
			buf_addf(b, "Backup `%s` taken \xc2\xb7 %s \xc2\xb7 "
			    "%.0f files", json_str(last, "id", "?"), sz,
			    json_double(last, "entries", 0));
			return 1;
		}
		buf_addf(b, "Restored from `%s`; ", job->backup_id);
		return 0;	/* then the phase, as any follow */
	}
	if (f->timed_out) {
		buf_addf(b, "The %s has not finished yet; this message is no "
		    "longer updated. `/server status server:%s` shows its "
		    "result.", kind, job->server);
		return 1;
	}
	if (strcmp(running, kind) == 0) {
		buf_addf(b, "%s%s", job->kind == JOB_BACKUP ? "Backing up" :
		    "Restoring (the server is stopped meanwhile)", ell);
		if ((p = progress_of(f, kind)) != NULL) {
			buf_addf(b, " `");
			cmd_plain_put(b, p, 150);
			buf_addf(b, "`");
		}
		return 1;
	}
	if ((p = json_str(bk, "targetError", NULL)) != NULL) {
		buf_addf(b, "Waiting: the backup target is unusable: ");
		cmd_plain_put(b, p, 400);
		return 1;
	}
	buf_addf(b, "Waiting for node `%s` to start the %s%s", f->res->node ?
	    f->res->node : "?", kind, ell);
	return 1;
}
