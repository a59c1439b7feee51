/*
 * cmd_schedules: /server schedules (the server's schedules from the
 * desired state with the node's last report of their runs) and its Run
 * now buttons, which ask the node to run a schedule at once (an action on
 * the node, audited there, never a commit; the console workers send it).
 * Listing needs the view permission, Run now the schedule permission.
 *
 * The Edit schedules button (edit permission) opens a modal with the
 * server's schedules as YAML, which the panel core commits when valid.
 *
 * Custom ids: "sr:SERVER:SCHEDULE" Run now, "se:SERVER" Edit schedules
 * (opens the modal "sm:SERVER").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "hubproto.h"
#include "json.h"
#include "state.h"
#include "xmalloc.h"
#include "ywrite.h"

#include "cmd_int.h"

#define SC_BODY_BYTES	1850	/* of the 2,000 a message may have */
#define SC_TASKS_BYTES	160	/* the summary of one schedule's tasks */
#define SC_TEXT_BYTES	60	/* one command or message shown */
#define SC_ROW_BUTTONS	5	/* Discord's buttons per row */
#define SC_CUSTOM_ID	100	/* Discord's longest custom_id */
#define SC_YAML_MAX	4000	/* Discord's longest text input */

/* Appends text as plain inline text, at most max bytes, whole characters. */
static void
plain(struct buf *b, const char *text, size_t max)
{
	size_t	len = cmd_cut_len(text, max);

	cmd_plain_put(b, text, len);
	if (len < strlen(text))
		buf_puts(b, "\xe2\x80\xa6");
}

/* "4m", "90s", "1h30m" of an offset in ms. */
static void
after_text(struct buf *b, uint64_t ms)
{
	uint64_t	s = ms / 1000;

	buf_puts(b, "+");
	if (s >= 3600)
		buf_addf(b, "%lluh", (unsigned long long)(s / 3600));
	if (s % 3600 >= 60)
		buf_addf(b, "%llum", (unsigned long long)(s % 3600 / 60));
	if (s % 60 != 0 || s == 0)
		buf_addf(b, "%llus", (unsigned long long)(s % 60));
	buf_puts(b, " ");
}

/*
 * The tasks of a schedule on one line: those that fit in SC_TASKS_BYTES,
 * then how many more there are.
 */
static void
tasks_text(struct buf *out, const struct state_schedule *s)
{
	struct buf	one;
	size_t		i, start = out->len;

	buf_init(&one, 0);
	for (i = 0; i < s->ntasks; i++) {
		const struct state_task *t = &s->tasks[i];

		buf_reset(&one);
		if (i > 0)
			buf_puts(&one, ", ");
		if (t->after_ms > 0)
			after_text(&one, t->after_ms);
		switch (t->kind) {
		case STATE_TASK_COMMAND:
			buf_puts(&one, "command `");
			plain(&one, t->arg != NULL ? t->arg : "",
			    SC_TEXT_BYTES);
			buf_puts(&one, "`");
			break;
		case STATE_TASK_RESTART:
			buf_puts(&one, "restart");
			break;
		case STATE_TASK_BACKUP:
			buf_puts(&one, "backup");
			break;
		}
		if (out->len - start + one.len > SC_TASKS_BYTES)
			break;
		buf_add(out, buf_str(&one), one.len);
	}
	if (i < s->ntasks)
		buf_addf(out, "%s%zu more task%s", i > 0 ? " and " : "",
		    s->ntasks - i, s->ntasks - i == 1 ? "" : "s");
	buf_dispose(&one);
}

/* The reported entry of schedule name in status, or NULL. */
static const cJSON *
reported(const cJSON *status, const char *name)
{
	const cJSON	*it;

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(status,
	    "schedules"))
		if (strcmp(json_str(it, "name", ""), name) == 0)
			return it;
	return NULL;
}

/* The last run of a reported schedule: time, result, per task. */
static void
last_run_text(struct buf *b, const cJSON *last)
{
	const cJSON	*t;
	const char	*msg;
	int		 i = 0;

	buf_puts(b, "Last run: ");
	plain(b, json_str(last, "startedAt", json_str(last, "fire", "?")),
	    40);
	buf_puts(b, " **");
	plain(b, json_str(last, "result", "?"), 20);
	buf_puts(b, "**");
	if (strncmp(json_str(last, "by", ""), "discord:", 8) == 0)
		buf_puts(b, " (run now)");
	if ((msg = json_str(last, "message", NULL)) != NULL) {
		buf_puts(b, ": ");
		plain(b, msg, SC_TEXT_BYTES);
	}
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(last,
	    "tasks")) {
		buf_puts(b, i++ == 0 ? " \xc2\xb7 " : ", ");
		plain(b, json_str(t, "task", "?"), 20);
		buf_puts(b, " ");
		plain(b, json_str(t, "result", "pending"), 20);
		if (strcmp(json_str(t, "result", ""), "failed") == 0 &&
		    (msg = json_str(t, "message", NULL)) != NULL) {
			buf_puts(b, " (");
			plain(b, msg, SC_TEXT_BYTES);
			buf_puts(b, ")");
		}
	}
	buf_puts(b, "\n");
}

/* One schedule's lines. */
static void
schedule_text(struct buf *b, const struct state_schedule *s,
    const cJSON *status, const char *node)
{
	const cJSON	*r = reported(status, s->name);
	const cJSON	*last;
	int64_t		 fails;

	buf_addf(b, "**%s** \xc2\xb7 `", s->name);
	plain(b, s->cron, 80);
	buf_puts(b, "` ");
	plain(b, s->timezone != NULL ? s->timezone : "(node's zone)", 40);
	if (s->only_running)
		buf_puts(b, " \xc2\xb7 only when running");
	buf_puts(b, "\nTasks: ");
	tasks_text(b, s);
	buf_puts(b, "\n");
	if (r == NULL) {
		buf_puts(b, "Not reported by `");
		plain(b, node, 40);
		buf_puts(b, "` yet\n");
		return;
	}
	buf_puts(b, "Next run: ");
	plain(b, json_str(r, "nextRun", "none"), 40);
	if (json_bool(r, "running", 0))
		buf_puts(b, " \xc2\xb7 running now");
	if ((fails = json_int64(r, "failures", 0)) > 0)
		buf_addf(b, " \xc2\xb7 %lld failed run%s", (long long)fails,
		    fails == 1 ? "" : "s");
	buf_puts(b, "\n");
	last = cJSON_GetObjectItemCaseSensitive(r, "lastRun");
	if (cJSON_IsObject(last))
		last_run_text(b, last);
	else
		buf_puts(b, "Last run: never\n");
}

/* The Run now buttons, SC_ROW_BUTTONS a row (those that fit a custom_id). */
static void
run_buttons(cJSON *rows, const struct state_server *srv, size_t n)
{
	cJSON	*row = NULL, *comps = NULL;
	char	 arg[SC_CUSTOM_ID + 1], label[80];
	size_t	 i, inrow = 0;

	for (i = 0; i < n; i++) {
		const struct state_schedule *s = &srv->schedules.v[i];

		if ((size_t)snprintf(arg, sizeof(arg), "%s:%s", srv->name,
		    s->name) + 3 > SC_CUSTOM_ID)
			continue;
		if (row == NULL || inrow == SC_ROW_BUTTONS) {
			row = json_new_object();
			json_add_num(row, "type", COMP_ROW);
			comps = json_add_array(row, "components");
			cJSON_AddItemToArray(rows, row);
			inrow = 0;
		}
		snprintf(label, sizeof(label), "Run %s now", s->name);
		cJSON_AddItemToArray(comps, cmd_button(label, BTN_SECONDARY,
		    "sr:", arg));
		inrow++;
	}
}

/* See commands.h. */
cJSON *
cmd_schedules_message(const struct cmd_env *env,
    const struct state_server *srv)
{
	struct buf	 b, one;
	cJSON		*m = json_new_object(), *status = NULL, *rows, *row;
	size_t		 i, shown = 0;

	buf_init(&b, 0);
	buf_init(&one, 0);
	if (env->server_status != NULL)
		status = env->server_status(env->arg, srv->name);
	if (srv->schedules.n == 0)
		buf_addf(&b, "`%s` has no schedules.", srv->name);
	else
		buf_addf(&b, "Schedules of `%s` on `%s`:\n", srv->name,
		    srv->node);
	for (i = 0; i < srv->schedules.n; i++) {
		buf_reset(&one);
		buf_puts(&one, "\n");
		schedule_text(&one, &srv->schedules.v[i], status, srv->node);
		if (b.len + one.len > SC_BODY_BYTES)
			break;
		buf_add(&b, buf_str(&one), one.len);
		shown++;
	}
	if (shown < srv->schedules.n)
		buf_addf(&b, "\n\xe2\x80\xa6 %zu more not shown",
		    srv->schedules.n - shown);
	cmd_add_content(m, buf_str(&b));
	rows = json_add_array(m, "components");
	run_buttons(rows, srv, shown);
	row = json_new_object();
	json_add_num(row, "type", COMP_ROW);
	cJSON_AddItemToArray(json_add_array(row, "components"),
	    cmd_button("Edit schedules", BTN_SECONDARY, "se:", srv->name));
	cJSON_AddItemToArray(rows, row);
	json_add_array(m, "embeds");
	json_add_num(m, "flags", MSG_EPHEMERAL);
	cmd_no_mentions(m);
	cJSON_Delete(status);
	buf_dispose(&one);
	buf_dispose(&b);
	return m;
}

/* /server schedules NAME */
cJSON *
cmd_do_schedules(const struct cmd_call *c)
{
	return cmd_reply_data(CB_MESSAGE, cmd_schedules_message(c->env,
	    c->srv));
}

/* The Run now button (sr:SERVER:SCHEDULE): a job of the console workers. */
cJSON *
cmd_schedule_run_button(const struct cmd_call *c)
{
	const struct state_server	*srv;
	const char			*name;
	char				 server[SC_CUSTOM_ID];
	cJSON				*r;

	if ((name = cmd_arg_split(c->arg, server, sizeof(server))) == NULL)
		return cmd_reply_text(1, "This button is malformed.");
	if ((srv = cmd_server_checked(c->env, c->x, server, PERM_SCHEDULE,
	    "run the schedules of", &r)) == NULL)
		return r;
	if (state_schedule_find(srv, name) == NULL)
		return cmd_reply_text(1, "`%s` has no schedule `%s` any more.",
		    srv->name, name);
	*c->job = cmd_job_new(c->x, JOB_SCHEDULE_RUN, srv->name,
	    "Run now");
	(*c->job)->node = xstrdup(srv->node);
	(*c->job)->schedule = xstrdup(name);
	(*c->job)->ephemeral = 1;
	return cmd_reply_defer(1);
}

/* See commands.h. */
cJSON *
cmd_schedule_run_message(const struct cmd_job *job, const char *code,
    const char *error)
{
	cJSON	*m;

	if (strcmp(code, HUBP_CODE_OK) == 0)
		m = cmd_message_text("Started schedule `%s` of `%s` on `%s`; "
		    "/server schedules shows how it goes.", job->schedule,
		    job->server, job->node);
	else if (strcmp(code, HUBP_CODE_BUSY) == 0)
		m = cmd_message_text("Schedule `%s` of `%s` is already "
		    "running; not started again.", job->schedule, job->server);
	else if (strcmp(code, "offline") == 0)
		m = cmd_message_text("Schedule `%s` of `%s` not started: node "
		    "`%s` is not connected to the bot right now.",
		    job->schedule, job->server, job->node);
	else
		m = cmd_message_text("Schedule `%s` of `%s` not started: %.300s",
		    job->schedule, job->server, error != NULL ? error :
		    "the node refused it");
	return m;
}

/* ------------------------------------------------------------- editing */

/* An offset as the server file writes it: 1h, 4m, 30s. */
static void
after_yaml(struct buf *b, uint64_t ms)
{
	if (ms % 3600000 == 0)
		buf_addf(b, "%lluh", (unsigned long long)(ms / 3600000));
	else if (ms % 60000 == 0)
		buf_addf(b, "%llum", (unsigned long long)(ms / 60000));
	else
		buf_addf(b, "%llus", (unsigned long long)(ms / 1000));
}

/* See commands.h. */
void
cmd_schedules_yaml(struct buf *b, const struct state_server *srv)
{
	size_t	i, j;

	for (i = 0; i < srv->schedules.n; i++) {
		const struct state_schedule *s = &srv->schedules.v[i];

		buf_addf(b, "- name: %s\n  cron: ", s->name);
		ywrite_quoted(b, s->cron);
		if (s->timezone != NULL) {
			buf_puts(b, "\n  timezone: ");
			ywrite_quoted(b, s->timezone);
		}
		if (s->only_running)
			buf_puts(b, "\n  onlyWhenRunning: true");
		buf_puts(b, "\n  tasks:\n");
		for (j = 0; j < s->ntasks; j++) {
			const struct state_task *t = &s->tasks[j];

			buf_puts(b, "    - ");
			if (t->after_ms > 0) {
				buf_puts(b, "after: ");
				after_yaml(b, t->after_ms);
				buf_puts(b, "\n      ");
			}
			switch (t->kind) {
			case STATE_TASK_COMMAND:
				buf_puts(b, "command: ");
				ywrite_quoted(b, t->arg != NULL ? t->arg : "");
				break;
			case STATE_TASK_RESTART:
				buf_puts(b, "restart: true");
				break;
			case STATE_TASK_BACKUP:
				if (t->arg == NULL)
					buf_puts(b, "backup: true");
				else {
					buf_puts(b, "backup: { note: ");
					ywrite_quoted(b, t->arg);
					buf_puts(b, " }");
				}
				break;
			}
			if (t->cont)
				buf_puts(b, "\n      continueOnFailure: true");
			buf_puts(b, "\n");
		}
	}
}

/* The Edit schedules button (se:SERVER): the modal with the YAML. */
cJSON *
cmd_schedules_edit_button(const struct cmd_call *c)
{
	const struct state_server	*srv = c->srv;
	struct buf			 b;
	cJSON				*r, *comps, *in;
	char				 id[SC_CUSTOM_ID], title[46];

	buf_init(&b, 0);
	cmd_schedules_yaml(&b, srv);
	if (b.len > SC_YAML_MAX) {
		buf_dispose(&b);
		return cmd_reply_text(1, "The schedules of `%s` are longer "
		    "than a Discord text box holds; edit its file in git.",
		    srv->name);
	}
	snprintf(id, sizeof(id), "sm:%s", srv->name);
	snprintf(title, sizeof(title), "Schedules of %.30s", srv->name);
	r = cmd_modal_new(id, title, &comps);
	in = cmd_text_input("yaml", "Schedules, a YAML list (empty: none)",
	    b.len > 0 ? buf_str(&b) : NULL, 0, SC_YAML_MAX, 0,
	    "- name: nightly\n  cron: \"0 5 * * *\"\n  tasks:\n"
	    "    - restart: true");
	/* a paragraph, not one line */
	{
		cJSON	*ti = cJSON_GetObjectItemCaseSensitive(in, "component");

		cJSON_DeleteItemFromObjectCaseSensitive(ti, "style");
		json_add_num(ti, "style", TEXT_PARAGRAPH);
	}
	cJSON_AddItemToArray(comps, in);
	buf_dispose(&b);
	return r;
}

/* The modal (sm:SERVER): a git job that commits the YAML. */
cJSON *
cmd_schedules_modal(const struct cmd_call *c)
{
	const char	*text = cmd_modal_value(c->x, "yaml");

	*c->job = cmd_job_new(c->x, JOB_SCHEDULES, c->srv->name,
	    "Edit schedules");
	(*c->job)->yaml = xstrdup(text != NULL ? text : "");
	return cmd_reply_defer(1);
}
