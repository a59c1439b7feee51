/*
 * cmd_console: /server console and /server logs, their Follow and Send
 * command buttons and the one-line modal, and the messages that show a
 * console (pure: the bot's console workers in console.c fill in what the
 * node answered). Both need the console permission.
 *
 * Custom ids: "lf:SERVER" Follow, "ls:SERVER" Send command (opens the
 * modal "lc:SERVER").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "conline.h"
#include "json.h"
#include "state.h"
#include "xmalloc.h"

#include "cmd_int.h"

#define CON_BLOCK_BYTES	1800	/* of the 2,000 a message may have */
#define CON_LINE_BYTES	400	/* bytes shown of one long line */
#define LOGS_DEF_LINES	20
#define LOGS_MAX_LINES	100

/* A yes/no option, given as a boolean or as "true"/"yes". */
static int
opt_bool(const struct ix *x, const char *name)
{
	const cJSON	*o = cmd_opt_get(x, name);

	o = o != NULL ? cJSON_GetObjectItemCaseSensitive(o, "value") : NULL;
	if (cJSON_IsBool(o))
		return cJSON_IsTrue(o);
	return cJSON_IsString(o) && (strcmp(o->valuestring, "true") == 0 ||
	    strcmp(o->valuestring, "yes") == 0);
}

/* A whole-number option within [lo, hi], def when absent or malformed. */
static int
opt_int(const struct ix *x, const char *name, int lo, int hi, int def)
{
	const cJSON	*o = cmd_opt_get(x, name);
	long		 v;
	char		*end;

	o = o != NULL ? cJSON_GetObjectItemCaseSensitive(o, "value") : NULL;
	if (cJSON_IsNumber(o))
		v = (long)o->valuedouble;
	else if (cJSON_IsString(o)) {
		v = strtol(o->valuestring, &end, 10);
		if (end == o->valuestring || *end != '\0')
			return def;
	} else
		return def;
	return v < lo ? lo : v > hi ? hi : (int)v;
}

/* The job of a console command: the line checked as the node would. */
static cJSON *
console_job(const struct cmd_call *c, const char *server, const char *node,
    const char *line, int ephemeral)
{
	struct rerr	err;

	rerr_init(&err);
	if (line == NULL || conline_check(line, strlen(line), &err) != 0)
		return cmd_reply_text(1, "Not sent: %s.", line == NULL ?
		    "type a command" : err.msg);
	*c->job = cmd_job_new(c->x, JOB_CONSOLE, server, "/server console");
	(*c->job)->line = xstrdup(line);
	(*c->job)->node = xstrdup(node);
	(*c->job)->ephemeral = ephemeral;
	return cmd_reply_defer(ephemeral);
}

/* /server console NAME command: [public:] */
cJSON *
cmd_do_console(const struct cmd_call *c)
{
	return console_job(c, c->srv->name, c->srv->node,
	    cmd_opt_str(c->x, "command"), !opt_bool(c->x, "public"));
}

/* /server logs NAME [lines:] [public:] */
cJSON *
cmd_do_logs(const struct cmd_call *c)
{
	int	public = opt_bool(c->x, "public");

	*c->job = cmd_job_new(c->x, JOB_LOGS, c->srv->name, "/server logs");
	(*c->job)->node = xstrdup(c->srv->node);
	(*c->job)->nlines = opt_int(c->x, "lines", 1, LOGS_MAX_LINES,
	    LOGS_DEF_LINES);
	(*c->job)->ephemeral = !public;
	return cmd_reply_defer(!public);
}

/* The Follow button of a logs message (lf:SERVER). */
cJSON *
cmd_logs_follow_button(const struct cmd_call *c)
{
	const struct state_server	*srv = c->srv;

	*c->job = cmd_job_new(c->x, JOB_FOLLOW, srv->name, "/server logs");
	(*c->job)->node = xstrdup(srv->node);
	(*c->job)->nlines = LOGS_DEF_LINES;
	(*c->job)->on_message = 1;
	return cmd_reply_defer_update();
}

/* The Send command button (ls:SERVER): the one-line modal. */
cJSON *
cmd_logs_send_button(const struct cmd_call *c)
{
	const struct state_server	*srv = c->srv;
	cJSON				*r, *comps;
	char				 id[64], title[64];

	snprintf(id, sizeof(id), "lc:%s", srv->name);
	snprintf(title, sizeof(title), "Console of %s", srv->name);
	r = cmd_modal_new(id, title, &comps);
	cJSON_AddItemToArray(comps, cmd_text_input("line", "Command", NULL, 1,
	    CONLINE_MAX, 1, "say Hello"));
	return r;
}

/* The modal of Send command (lc:SERVER): a console job. */
cJSON *
cmd_logs_send_modal(const struct cmd_call *c)
{
	return console_job(c, c->srv->name, c->srv->node, cmd_modal_value(c->x,
	    "line"), 1);
}

/* ---------------------------------------------------------- messages */

/*
 * Appends one console line for a code block: cut to CON_LINE_BYTES on a
 * character boundary, with every "```" broken so the block cannot end
 * early.
 */
static void
block_line(struct buf *b, const char *s)
{
	size_t	len = cmd_cut_len(s, CON_LINE_BYTES);

	cmd_code_put(b, s, len);
	if (len < strlen(s))
		buf_puts(b, " \xe2\x80\xa6");
	buf_putc(b, '\n');
}

/*
 * Appends a code block of the newest lines that fit in budget bytes,
 * after a note of how many older ones did not; "(no output)" when none.
 */
static void
code_block(struct buf *out, const char *first, const char *const *lines,
    size_t n, size_t budget)
{
	struct buf	 body, one;
	size_t		 from = n, used = 0;

	buf_init(&body, 0);
	buf_init(&one, 0);
	if (first != NULL) {
		buf_puts(&body, "> ");
		block_line(&body, first);
		used = body.len;
	}
	while (from > 0) {
		buf_reset(&one);
		block_line(&one, lines[from - 1]);
		if (used + one.len > budget)
			break;
		used += one.len;
		from--;
	}
	if (from > 0)
		buf_addf(out, "\xe2\x80\xa6 %zu earlier line%s not shown\n",
		    from, from == 1 ? "" : "s");
	buf_puts(out, "```\n");
	buf_add(out, buf_str(&body), body.len);
	for (; from < n; from++)
		block_line(out, lines[from]);
	if (n == 0 && first == NULL)
		buf_puts(out, "(no output yet)\n");
	buf_puts(out, "```");
	buf_dispose(&one);
	buf_dispose(&body);
}

/* The Follow and Send command buttons of a logs message. */
static void
logs_buttons(cJSON *d, const char *server, int following)
{
	cJSON	*rows, *row, *comps, *b;

	rows = json_add_array(d, "components");
	row = json_new_object();
	json_add_num(row, "type", COMP_ROW);
	comps = json_add_array(row, "components");
	b = cmd_button(following ? "Following" : "Follow",
	    BTN_PRIMARY, "lf:", server);
	if (following)
		json_add_bool(b, "disabled", 1);
	cJSON_AddItemToArray(comps, b);
	cJSON_AddItemToArray(comps, cmd_button("Send command",
	    BTN_SECONDARY, "ls:", server));
	cJSON_AddItemToArray(rows, row);
}

/* See commands.h. */
cJSON *
cmd_console_message(const struct cmd_job *job,
    const struct cmd_console_view *v)
{
	struct buf	 b;
	cJSON		*m = json_new_object();

	buf_init(&b, 0);
	if (job->kind == JOB_CONSOLE) {
		if (v->error != NULL)
			buf_addf(&b, "Not sent to `%s`: %s", job->server,
			    v->error);
		else {
			buf_addf(&b, "Console of `%s`:%s\n", job->server,
			    v->nlines == 0 ? " no output within a few seconds"
			    : "");
			code_block(&b, job->line, v->lines, v->nlines,
			    CON_BLOCK_BYTES);
		}
		cmd_add_content(m, buf_str(&b));
		json_add_array(m, "components");
	} else {
		if (v->error != NULL)
			buf_addf(&b, "Cannot show the console of `%s`: %s",
			    job->server, v->error);
		else {
			buf_addf(&b, "Console of `%s`", job->server);
			if (v->following)
				buf_addf(&b, " \xc2\xb7 following until %s",
				    v->until != NULL ? v->until : "later");
			else if (v->ended)
				buf_puts(&b, " \xc2\xb7 no longer followed");
			buf_putc(&b, '\n');
			code_block(&b, NULL, v->lines, v->nlines,
			    CON_BLOCK_BYTES);
		}
		cmd_add_content(m, buf_str(&b));
		if (v->error == NULL)
			logs_buttons(m, job->server, v->following);
		else
			json_add_array(m, "components");
	}
	json_add_array(m, "embeds");
	cmd_no_mentions(m);
	buf_dispose(&b);
	return m;
}

/* See commands.h. */
cJSON *
cmd_audit_message(const char *node, const cJSON *entry)
{
	struct buf	 b;
	const char	*who = json_str(entry, "who", "?");
	cJSON		*m = json_new_object();

	buf_init(&b, 0);
	buf_addf(&b, "Console of `%s` on `%s` \xc2\xb7 ", json_str(entry,
	    "server", "?"), node);
	if (strncmp(who, "discord:", 8) == 0 && who[8] != '\0' &&
	    strspn(who + 8, "0123456789") == strlen(who + 8))
		buf_addf(&b, "<@%s>", who + 8);
	else {
		buf_puts(&b, "`");
		for (; *who != '\0' && b.len < 200; who++)
			buf_putc(&b, *who == '`' || *who == '\n' ? '\'' : *who);
		buf_puts(&b, "`");
	}
	buf_addf(&b, " \xc2\xb7 %s\n```\n", json_str(entry, "time", ""));
	block_line(&b, json_str(entry, "line", ""));
	buf_puts(&b, "```");
	cmd_add_content(m, buf_str(&b));
	cmd_no_mentions(m);
	buf_dispose(&b);
	return m;
}
