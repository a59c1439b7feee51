/*
 * commands: the Discord panel's handlers as pure functions (see
 * commands.h): slash commands, autocomplete, selects, buttons and modals
 * in; callback bodies and jobs out; finished jobs out as messages.
 *
 * Custom ids carry the flow's state so that no session is kept:
 *   c:n:NODE          nest select of /server create (NODE "-": placed)
 *   c:e:NODE          egg select
 *   c:m:NODE:EGG      the create modal
 *   p:ACTION:SERVER   Start / Stop / Restart buttons on a status message
 *   r:SERVER          Refresh button
 *   d:SERVER          delete confirmation; x: cancel
 *   e:SERVER          the limits modal of /server edit
 *   vb:SERVER / v:SERVER   the variables button and modal
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "egg.h"
#include "gitstore.h"
#include "json.h"
#include "limit.h"
#include "panel.h"
#include "rerr.h"
#include "state.h"
#include "xmalloc.h"

#include "commands.h"

#define MAX_ROLES	64

/* The invoker and the parts of an interaction the handlers read. */
struct ix {
	const cJSON	*root;
	const cJSON	*data;
	int		 type;
	const char	*id;
	const char	*user;
	const char	*username;
	const char	*roles[MAX_ROLES];
	size_t		 nroles;
	const char	*sub;		/* subcommand name */
	const char	*cmd;		/* command name */
	const cJSON	*opts;		/* the subcommand's options */
};

static void
ix_read(struct ix *x, const cJSON *root)
{
	const cJSON	*roles, *r, *o;

	memset(x, 0, sizeof(*x));
	x->root = root;
	x->type = (int)json_int64(root, "type", 0);
	x->id = json_str(root, "id", "");
	x->data = cJSON_GetObjectItemCaseSensitive(root, "data");
	x->user = json_str(root, "member.user.id", NULL);
	if (x->user == NULL)
		x->user = json_str(root, "user.id", "");
	x->username = json_str(root, "member.user.global_name", NULL);
	if (x->username == NULL)
		x->username = json_str(root, "member.user.username", NULL);
	if (x->username == NULL)
		x->username = json_str(root, "user.username", "discord user");
	roles = json_get(root, "member.roles");
	cJSON_ArrayForEach(r, roles)
		if (cJSON_IsString(r) && x->nroles < MAX_ROLES)
			x->roles[x->nroles++] = r->valuestring;
	x->cmd = json_str(x->data, "name", "");
	o = json_get(x->data, "options.0");
	if (o != NULL && json_int64(o, "type", 0) == 1) {
		x->sub = json_str(o, "name", "");
		x->opts = cJSON_GetObjectItemCaseSensitive(o, "options");
	} else
		x->opts = cJSON_GetObjectItemCaseSensitive(x->data, "options");
}

static const cJSON *
opt_get(const struct ix *x, const char *name)
{
	const cJSON	*o;

	cJSON_ArrayForEach(o, x->opts)
		if (strcmp(json_str(o, "name", ""), name) == 0)
			return o;
	return NULL;
}

static const char *
opt_str(const struct ix *x, const char *name)
{
	const cJSON	*o = opt_get(x, name);

	return o != NULL ? json_str(o, "value", NULL) : NULL;
}

/* ---------------------------------------------------------- replies */

static cJSON *
reply_new(int type, cJSON **data)
{
	cJSON	*r = json_new_object();

	json_add_num(r, "type", type);
	*data = json_add_object(r, "data");
	return r;
}

static void
no_mentions(cJSON *data)
{
	cJSON	*am = json_add_object(data, "allowed_mentions");

	json_add_array(am, "parse");
}

/* Content trimmed to Discord's 2000 characters. */
static void
add_content(cJSON *data, const char *text)
{
	char	*t;

	if (strlen(text) <= 2000) {
		json_add_str(data, "content", text);
		return;
	}
	t = xstrndup(text, 1990);
	json_add_str(data, "content", t);
	free(t);
}

static cJSON *
reply_text(int ephemeral, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));

static cJSON *
reply_text(int ephemeral, const char *fmt, ...)
{
	struct buf	 b;
	va_list		 ap;
	cJSON		*r, *d;

	buf_init(&b, 0);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	r = reply_new(CB_MESSAGE, &d);
	add_content(d, buf_str(&b));
	if (ephemeral)
		json_add_num(d, "flags", MSG_EPHEMERAL);
	no_mentions(d);
	buf_dispose(&b);
	return r;
}

static cJSON *
reply_defer(int ephemeral)
{
	cJSON	*r, *d;

	r = reply_new(CB_DEFER, &d);
	if (ephemeral)
		json_add_num(d, "flags", MSG_EPHEMERAL);
	return r;
}

static cJSON *
reply_defer_update(void)
{
	cJSON	*r = json_new_object();

	json_add_num(r, "type", CB_DEFER_UPDATE);
	return r;
}

static cJSON *
button(const char *label, int style, const char *prefix, const char *arg)
{
	cJSON	*b = json_new_object();
	char	 id[128];

	snprintf(id, sizeof(id), "%s%s", prefix, arg);
	json_add_num(b, "type", 2);
	json_add_num(b, "style", style);
	json_add_str(b, "label", label);
	json_add_str(b, "custom_id", id);
	return b;
}

static cJSON *
text_input(const char *id, const char *label, const char *value, int min,
    int max, int required, const char *placeholder)
{
	cJSON	*l = json_new_object(), *t;

	json_add_num(l, "type", 18);
	json_add_str(l, "label", label);
	t = json_add_object(l, "component");
	json_add_num(t, "type", 4);
	json_add_str(t, "custom_id", id);
	json_add_num(t, "style", 1);
	json_add_num(t, "min_length", min);
	json_add_num(t, "max_length", max);
	json_add_bool(t, "required", required);
	if (value != NULL && *value != '\0')
		json_add_str(t, "value", value);
	if (placeholder != NULL)
		json_add_str(t, "placeholder", placeholder);
	return l;
}

/* The submitted value of a text input in a modal (both layouts). */
static const char *
modal_value(const struct ix *x, const char *id)
{
	const cJSON	*c, *in, *inner;

	cJSON_ArrayForEach(c, cJSON_GetObjectItem(x->data, "components")) {
		in = cJSON_GetObjectItem(c, "component");
		if (in != NULL && strcmp(json_str(in, "custom_id", ""), id) == 0)
			return json_str(in, "value", "");
		cJSON_ArrayForEach(inner, cJSON_GetObjectItem(c, "components"))
			if (strcmp(json_str(inner, "custom_id", ""), id) == 0)
				return json_str(inner, "value", "");
	}
	return NULL;
}

/* ---------------------------------------------------------- permissions */

static unsigned
perms_of(const struct cmd_env *env, const struct ix *x,
    const struct state_server *srv)
{
	if (env->st == NULL)
		return 0;
	return state_perms(env->st, srv, x->user, x->roles, x->nroles);
}

static const char *
perm_name(unsigned perm)
{
	switch (perm) {
	case PERM_VIEW:		return "view";
	case PERM_POWER:	return "power";
	case PERM_EDIT:		return "edit";
	case PERM_VARS:		return "vars";
	case PERM_SFTP:		return "sftp";
	case PERM_DELETE:	return "delete";
	case PERM_CREATE:	return "create";
	case PERM_REINSTALL:	return "reinstall";
	default:		return "admin";
	}
}

static cJSON *
deny(const char *what, const char *server, unsigned perm)
{
	if (server != NULL)
		return reply_text(1, "You may not %s server `%s`: that needs "
		    "the `%s` permission, which you do not hold on it. The "
		    "access rules in roost.yaml grant permissions to Discord "
		    "roles; a server's owner can add you as a member.", what,
		    server, perm_name(perm));
	return reply_text(1, "You may not %s: that needs the `%s` "
	    "permission, which none of your roles holds in roost.yaml.",
	    what, perm_name(perm));
}

/*
 * Finds the server named by the option and checks perm; on failure sets
 * *reply and returns NULL.
 */
static const struct state_server *
server_checked(const struct cmd_env *env, const struct ix *x,
    const char *name, unsigned perm, const char *what, cJSON **reply)
{
	const struct state_server	*srv;

	if (env->st == NULL) {
		*reply = reply_text(1, "The state repository is not loaded "
		    "yet; try again in a moment.");
		return NULL;
	}
	if (name == NULL || *name == '\0') {
		*reply = reply_text(1, "Name a server.");
		return NULL;
	}
	srv = state_server_find(env->st, name);
	if (srv == NULL) {
		/* do not tell strangers which servers exist */
		if ((perms_of(env, x, NULL) & (PERM_VIEW | PERM_ADMIN)) == 0)
			*reply = deny(what, name, perm);
		else
			*reply = reply_text(1, "There is no server `%s`; "
			    "`/server list` shows them.", name);
		return NULL;
	}
	if ((perms_of(env, x, srv) & (perm | PERM_ADMIN)) == 0) {
		*reply = deny(what, name, perm);
		return NULL;
	}
	return srv;
}

/* ---------------------------------------------------------- jobs */

static struct cmd_job *
job_new(const struct ix *x, enum cmd_kind kind, const char *server,
    const char *what)
{
	struct cmd_job	*j = xcalloc(1, sizeof(*j));

	j->kind = kind;
	j->interaction_id = xstrdup(x->id);
	j->token = xstrdup(json_str(x->root, "token", ""));
	j->application_id = xstrdup(json_str(x->root, "application_id", ""));
	j->channel_id = xstrdup(json_str(x->root, "channel_id", ""));
	j->user_id = xstrdup(x->user);
	xasprintf(&j->author, "%s <%s@users.discord.invalid>", x->username,
	    x->user);
	/* author names may not hold <, > or newlines */
	{
		char *p;

		for (p = j->author; *p != ' ' || p[1] != '<'; p++)
			if (*p == '<' || *p == '>' || *p == '\n' || *p == '\r')
				*p = '_';
	}
	xasprintf(&j->request_id, "discord-%s", x->id);
	j->server = server != NULL ? xstrdup(server) : NULL;
	j->memory = j->disk = j->cpu = -1;
	j->what = xstrdup(what);
	if (json_str(x->root, "message.id", NULL) != NULL)
		j->message_id = xstrdup(json_str(x->root, "message.id", ""));
	return j;
}

static void
job_add_kv(struct cmd_job *j, const char *key, const char *value)
{
	j->kv = xreallocarray(j->kv, j->nkv + 1, sizeof(char *));
	xasprintf(&j->kv[j->nkv++], "%s=%s", key, value);
}

/* Frees a job. */
void
cmd_job_free(struct cmd_job *j)
{
	size_t	i;

	if (j == NULL)
		return;
	free(j->interaction_id);
	free(j->token);
	free(j->application_id);
	free(j->channel_id);
	free(j->user_id);
	free(j->author);
	free(j->request_id);
	free(j->server);
	free(j->egg);
	free(j->node);
	for (i = 0; i < j->nkv; i++)
		free(j->kv[i]);
	free(j->kv);
	free(j->sftp_user);
	free(j->what);
	free(j->message_id);
	free(j);
}

/* Frees what a result holds. */
void
cmd_result_dispose(struct cmd_result *res)
{
	free(res->problems);
	free(res->node);
	if (res->password != NULL) {
		explicit_bzero(res->password, strlen(res->password));
		free(res->password);
	}
	gitstore_log_free(res->log, res->nlog);
	memset(res, 0, sizeof(*res));
}

/* ---------------------------------------------------------- status */

/* Renders a usage bar; see commands.h. */
void
cmd_bar(double used, double limit, int width, char *out, size_t len)
{
	int	i, fill, o = 0;
	double	pct;

	if (limit <= 0) {
		snprintf(out, len, "unlimited");
		return;
	}
	pct = used / limit * 100.0;
	if (pct < 0)
		pct = 0;
	fill = (int)(pct / 100.0 * width + 0.5);
	if (fill > width)
		fill = width;
	if (len < (size_t)width * 3 + 16) {
		snprintf(out, len, "%.0f%%", pct);
		return;
	}
	for (i = 0; i < width; i++)
		o += snprintf(out + o, len - (size_t)o, "%s",
		    i < fill ? "\xe2\x96\x88" : "\xe2\x96\x91");
	snprintf(out + o, len - (size_t)o, " %.0f%%", pct);
}

static int
phase_color(const char *phase)
{
	if (strcmp(phase, "Running") == 0)
		return 0x2ecc71;
	if (strcmp(phase, "Stopped") == 0)
		return 0x95a5a6;
	if (strcmp(phase, "Crashed") == 0 || strcmp(phase, "CrashLoop") == 0 ||
	    strcmp(phase, "Failed") == 0 || strcmp(phase, "Invalid") == 0)
		return 0xe74c3c;
	return 0xf1c40f;
}

static void
field(cJSON *fields, const char *name, const char *value, int inl)
{
	cJSON	*f = json_new_object();
	char	*v;

	json_add_str(f, "name", name);
	v = xstrndup(value != NULL && *value != '\0' ? value : "-", 1000);
	json_add_str(f, "value", v);
	free(v);
	json_add_bool(f, "inline", inl);
	cJSON_AddItemToArray(fields, f);
}

static void
mib(double bytes, char *out, size_t len)
{
	if (bytes >= 1024.0 * 1024 * 1024)
		snprintf(out, len, "%.1f GiB", bytes / 1024 / 1024 / 1024);
	else
		snprintf(out, len, "%.0f MiB", bytes / 1024 / 1024);
}

/*
 * Writes into b the last lines of text (at most maxlines, at most maxbytes
 * bytes, cut at a line start), without a trailing newline.
 */
static void
tail_lines(const char *text, int maxlines, size_t maxbytes, struct buf *b)
{
	const char	*end, *start, *p;
	int		 n = 0;

	end = text + strlen(text);
	while (end > text && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	start = end;
	while (start > text && n < maxlines) {
		for (p = start - 1; p > text && p[-1] != '\n'; p--)
			;
		if ((size_t)(end - p) > maxbytes && start != end)
			break;
		start = p;
		n++;
	}
	if ((size_t)(end - start) > maxbytes) {
		/* one line over the budget: keep its end */
		start = end - maxbytes;
		while (start < end && (*start & 0xc0) == 0x80)
			start++;
	}
	buf_addf(b, "%.*s", (int)(end - start), start);
}

/* The last lines a node reported of kind, oldest first, into b. */
static size_t
progress_tail(const struct cmd_progress *lines, size_t nlines,
    const char *kind, int maxlines, struct buf *b)
{
	size_t	i, first, n = 0;

	for (i = nlines; i > 0 && n < (size_t)maxlines; i--)
		if (lines[i - 1].kind != NULL && lines[i - 1].text != NULL &&
		    strcmp(lines[i - 1].kind, kind) == 0)
			n++;
	if (n == 0)
		return 0;
	first = i;
	for (i = first; i < nlines; i++)
		if (lines[i].kind != NULL && lines[i].text != NULL &&
		    strcmp(lines[i].kind, kind) == 0)
			buf_addf(b, "%s%.200s", b->len > 0 ? "\n" : "",
			    lines[i].text);
	return n;
}

/* Adds a field holding text as a code block (``` inside made harmless). */
static void
code_field(cJSON *fields, const char *name, const char *text)
{
	struct buf	 b;
	const char	*p;

	buf_init(&b, 0);
	buf_addf(&b, "```\n");
	for (p = text; *p != '\0'; p++)
		if (*p == '`')
			buf_addf(&b, "'");
		else
			buf_add(&b, p, 1);
	buf_addf(&b, "\n```");
	field(fields, name, buf_str(&b), 0);
	buf_dispose(&b);
}

/* The install log for a field: progress lines, or the report's tail. */
static void
install_log(const cJSON *st, const struct cmd_progress *lines, size_t nlines,
    struct buf *out)
{
	struct buf	b;

	buf_init(&b, 0);
	if (progress_tail(lines, nlines, "install", 10, &b) == 0 &&
	    json_str(st, "install.logTail", NULL) != NULL)
		buf_addf(&b, "%s", json_str(st, "install.logTail", ""));
	tail_lines(buf_str(&b), 10, 900, out);
	buf_dispose(&b);
}

static cJSON *
status_embed_of(const struct cmd_env *env, const struct state_server *srv,
    const cJSON *st, const struct cmd_progress *lines, size_t nlines)
{
	cJSON		*e, *fields;
	const char	*phase, *reason, *message;
	char		 bar[160], line[400], a[32], b[32];
	double		 used, lim;
	struct buf	 ports, log;
	size_t		 i;

	phase = json_str(st, "phase", st != NULL ? "Unknown" : "Unreported");
	reason = json_str(st, "reason", "");
	message = json_str(st, "message", "");
	e = json_new_object();
	json_add_str(e, "title", srv->name);
	snprintf(line, sizeof(line), "%s on `%s` (%s)", srv->egg, srv->node,
	    srv->state == STATE_RUNNING ? "desired: running" :
	    "desired: stopped");
	json_add_str(e, "description", line);
	json_add_num(e, "color", phase_color(phase));
	fields = json_add_array(e, "fields");
	snprintf(line, sizeof(line), "%s%s%s", phase, *reason ? " \xc2\xb7 " :
	    "", reason);
	field(fields, "Phase", line, 1);
	field(fields, "Node", srv->node, 1);
	buf_init(&ports, 0);
	buf_addf(&ports, "%d", srv->port);
	for (i = 0; i < srv->nextra_ports; i++)
		buf_addf(&ports, ", %d", srv->extra_ports[i]);
	field(fields, "Ports", buf_str(&ports), 1);
	buf_dispose(&ports);

	used = json_double(st, "usage.cpuPercent", 0);
	cmd_bar(used, (double)srv->limits.cpu, 10, bar, sizeof(bar));
	snprintf(line, sizeof(line), "%s\n%.0f%% of %lld%%", bar, used,
	    (long long)srv->limits.cpu);
	field(fields, "CPU", st != NULL ? line : "no report yet", 1);
	used = json_double(st, "usage.memoryBytes", 0);
	lim = json_double(st, "usage.memoryLimitBytes",
	    (double)srv->limits.memory * 1024 * 1024);
	cmd_bar(used, lim, 10, bar, sizeof(bar));
	mib(used, a, sizeof(a));
	mib(lim, b, sizeof(b));
	snprintf(line, sizeof(line), "%s\n%s of %s", bar, a, b);
	field(fields, "Memory", st != NULL ? line : "no report yet", 1);
	used = json_double(st, "usage.diskBytes", 0);
	lim = json_double(st, "usage.diskLimitBytes",
	    (double)srv->limits.disk * 1024 * 1024);
	cmd_bar(used, lim, 10, bar, sizeof(bar));
	mib(used, a, sizeof(a));
	mib(lim, b, sizeof(b));
	snprintf(line, sizeof(line), "%s\n%s of %s", bar, a, b);
	field(fields, "Disk", st != NULL ? line : "no report yet", 1);
	snprintf(line, sizeof(line), "%.12s",
	    json_str(st, "appliedRevision", "-"));
	field(fields, "Applied revision", line, 1);
	if (env->st != NULL && env->st->revision != NULL) {
		snprintf(line, sizeof(line), "%.12s", env->st->revision);
		field(fields, "Desired revision", line, 1);
	}
	if (!srv->valid && srv->error != NULL)
		field(fields, "Last error", srv->error, 0);
	else if (*message != '\0' && !json_bool(st, "ready", 0))
		field(fields, "Last error", message, 0);
	buf_init(&log, 0);
	if (strcmp(phase, "Pulling") == 0 &&
	    progress_tail(lines, nlines, "pull", 3, &log) > 0)
		code_field(fields, "Image pull", buf_str(&log));
	else if (strcmp(phase, "Installing") == 0 ||
	    strcmp(phase, "InstallFailed") == 0) {
		install_log(st, lines, nlines, &log);
		if (log.len > 0)
			code_field(fields, "Install log", buf_str(&log));
	}
	buf_dispose(&log);
	if (st != NULL)
		json_add_str(e, "timestamp", json_str(st, "usage.sampledAt",
		    json_str(st, "lastTransitionTime", "")));
	if (cJSON_GetObjectItem(e, "timestamp") != NULL &&
	    *cJSON_GetObjectItem(e, "timestamp")->valuestring == '\0')
		cJSON_DeleteItemFromObject(e, "timestamp");
	return e;
}

static cJSON *
status_embed(const struct cmd_env *env, const struct state_server *srv)
{
	cJSON	*st, *e;

	st = env->server_status != NULL ? env->server_status(env->arg,
	    srv->name) : NULL;
	e = status_embed_of(env, srv, st, NULL, 0);
	cJSON_Delete(st);
	return e;
}

static cJSON *
status_buttons(const char *server)
{
	cJSON	*rows = json_new_array(), *row, *c;

	row = json_new_object();
	json_add_num(row, "type", 1);
	c = json_add_array(row, "components");
	cJSON_AddItemToArray(c, button("Start", 3, "p:start:", server));
	cJSON_AddItemToArray(c, button("Stop", 4, "p:stop:", server));
	cJSON_AddItemToArray(c, button("Restart", 1, "p:restart:", server));
	cJSON_AddItemToArray(c, button("Refresh", 2, "r:", server));
	cJSON_AddItemToArray(rows, row);
	return rows;
}

/* The status view of a server from a given report; see commands.h. */
cJSON *
cmd_status_view(const struct cmd_env *env, const char *server,
    const cJSON *status, const struct cmd_progress *lines, size_t nlines)
{
	const struct state_server	*srv;
	cJSON				*m, *embeds;

	m = json_new_object();
	srv = env->st != NULL ? state_server_find(env->st, server) : NULL;
	if (srv == NULL) {
		json_add_str(m, "content", "This server no longer exists.");
		json_add_array(m, "embeds");
		json_add_array(m, "components");
		return m;
	}
	embeds = json_add_array(m, "embeds");
	cJSON_AddItemToArray(embeds, status_embed_of(env, srv, status, lines,
	    nlines));
	cJSON_AddItemToObject(m, "components", status_buttons(server));
	no_mentions(m);
	return m;
}

/* The status message of a server; see commands.h. */
cJSON *
cmd_status_message(const struct cmd_env *env, const char *server)
{
	cJSON	*st, *m;

	st = env->server_status != NULL ? env->server_status(env->arg,
	    server) : NULL;
	m = cmd_status_view(env, server, st, NULL, 0);
	cJSON_Delete(st);
	return m;
}

/* ---------------------------------------------------------- commands */

static cJSON *
do_status(const struct cmd_env *env, const struct ix *x)
{
	const struct state_server	*srv;
	cJSON				*r, *d, *m, *it;

	if ((srv = server_checked(env, x, opt_str(x, "server"), PERM_VIEW,
	    "see", &r)) == NULL)
		return r;
	r = reply_new(CB_MESSAGE, &d);
	m = cmd_status_message(env, srv->name);
	while ((it = m->child) != NULL) {
		cJSON_DetachItemViaPointer(m, it);
		cJSON_AddItemToObject(d, it->string, it);
	}
	cJSON_Delete(m);
	json_add_num(d, "flags", MSG_EPHEMERAL);
	return r;
}

static cJSON *
do_list(const struct cmd_env *env, const struct ix *x)
{
	cJSON		*r, *d, *embeds, *e, *st;
	struct buf	 b;
	size_t		 i, shown = 0;

	if (env->st == NULL)
		return reply_text(1, "The state repository is not loaded yet.");
	buf_init(&b, 0);
	for (i = 0; i < env->st->nservers; i++) {
		const struct state_server *s = env->st->servers[i];

		if ((perms_of(env, x, s) & (PERM_VIEW | PERM_ADMIN)) == 0)
			continue;
		st = env->server_status ? env->server_status(env->arg,
		    s->name) : NULL;
		if (b.len < 3800)
			buf_addf(&b, "`%s` \xc2\xb7 %s \xc2\xb7 %s \xc2\xb7 %s%s\n",
			    s->name, json_str(st, "phase", "Unreported"),
			    s->node, s->egg, s->valid ? "" : " (invalid)");
		cJSON_Delete(st);
		shown++;
	}
	if (shown == 0) {
		buf_dispose(&b);
		return reply_text(1, "No servers you may see. `/server "
		    "create` makes one.");
	}
	if (b.len >= 3800)
		buf_addf(&b, "\xe2\x80\xa6 and more");
	r = reply_new(CB_MESSAGE, &d);
	embeds = json_add_array(d, "embeds");
	e = json_new_object();
	json_add_str(e, "title", "Servers");
	json_add_str(e, "description", buf_str(&b));
	cJSON_AddItemToArray(embeds, e);
	json_add_num(d, "flags", MSG_EPHEMERAL);
	no_mentions(d);
	buf_dispose(&b);
	return r;
}

static cJSON *
do_node_list(const struct cmd_env *env, const struct ix *x)
{
	cJSON		*r, *d, *embeds, *e, *fields, *ns;
	char		 line[600];
	size_t		 i, j;

	if (env->st == NULL)
		return reply_text(1, "The state repository is not loaded yet.");
	if ((perms_of(env, x, NULL) & (PERM_VIEW | PERM_ADMIN | PERM_CREATE))
	    == 0)
		return deny("list nodes", NULL, PERM_VIEW);
	r = reply_new(CB_MESSAGE, &d);
	embeds = json_add_array(d, "embeds");
	e = json_new_object();
	json_add_str(e, "title", "Nodes");
	fields = json_add_array(e, "fields");
	for (i = 0; i < env->st->nnodes && i < 25; i++) {
		const struct state_node *n = &env->st->nodes[i];
		int64_t mem = 0, disk = 0, cpu = 0;
		size_t count = 0;

		for (j = 0; j < env->st->nservers; j++) {
			const struct state_server *s = env->st->servers[j];

			if (s->node == NULL || strcmp(s->node, n->name) != 0)
				continue;
			mem += s->limits.memory;
			disk += s->limits.disk;
			cpu += s->limits.cpu;
			count++;
		}
		ns = env->node_status ? env->node_status(env->arg, n->name) :
		    NULL;
		snprintf(line, sizeof(line), "%s \xc2\xb7 %zu servers\n"
		    "memory %lld / %lld MiB \xc2\xb7 disk %lld / %lld MiB \xc2\xb7 "
		    "cpu %lld / %lld%%\n%s%.12s%s%s", n->address ? n->address :
		    "-", count, (long long)mem, (long long)n->cap_memory,
		    (long long)disk, (long long)n->cap_disk, (long long)cpu,
		    (long long)n->cap_cpu, ns != NULL ? "connected \xc2\xb7 "
		    "revision " : "not connected to the hub",
		    ns != NULL ? json_str(ns, "revision", "-") : "",
		    ns != NULL && json_str(ns, "fetchError", NULL) ?
		    " \xc2\xb7 fetch error: " : "",
		    ns != NULL ? json_str(ns, "fetchError", "") : "");
		cJSON_Delete(ns);
		field(fields, n->name, line, 0);
	}
	if (env->st->nnodes == 0)
		json_add_str(e, "description", "No nodes in nodes/.");
	cJSON_AddItemToArray(embeds, e);
	json_add_num(d, "flags", MSG_EPHEMERAL);
	return r;
}

/* Writes the nest of an egg id into out. */
static void
egg_nest(const char *id, char *out, size_t len)
{
	const char	*slash = strchr(id, '/');

	snprintf(out, len, "%.*s", slash ? (int)(slash - id) : (int)strlen(id),
	    id);
}

static cJSON *
do_egg_list(const struct cmd_env *env, const struct ix *x)
{
	const struct egg_library	*lib;
	const char			*nest = opt_str(x, "nest");
	cJSON				*r, *d, *embeds, *e;
	struct buf			 b;
	char				 n[128], prev[128] = "";
	size_t				 i, count = 0;

	if (env->st == NULL || (lib = env->st->eggs) == NULL)
		return reply_text(1, "The egg library is not loaded yet.");
	buf_init(&b, 0);
	for (i = 0; i < egglib_count(lib); i++) {
		const struct egg *g = egglib_at(lib, i);

		egg_nest(g->id, n, sizeof(n));
		if (nest != NULL && strcmp(n, nest) != 0)
			continue;
		if (b.len > 3800)
			break;
		if (nest == NULL && strcmp(n, prev) != 0)
			buf_addf(&b, "**%s**\n", n);
		snprintf(prev, sizeof(prev), "%s", n);
		buf_addf(&b, "`%s` \xc2\xb7 %s\n", g->id, g->name ? g->name : "");
		count++;
	}
	if (count == 0) {
		buf_dispose(&b);
		if (nest != NULL)
			return reply_text(1, "No eggs in nest `%s`.", nest);
		return reply_text(1, "No eggs.");
	}
	r = reply_new(CB_MESSAGE, &d);
	embeds = json_add_array(d, "embeds");
	e = json_new_object();
	json_add_str(e, "title", "Eggs");
	json_add_str(e, "description", buf_str(&b));
	cJSON_AddItemToArray(embeds, e);
	json_add_num(d, "flags", MSG_EPHEMERAL);
	buf_dispose(&b);
	return r;
}

/* A select row of up to 25 options from the egg library. */
static cJSON *
egg_select(const struct cmd_env *env, const char *custom_id, const char *nest,
    const char *placeholder)
{
	const struct egg_library	*lib = env->st->eggs;
	cJSON				*rows, *row, *comps, *sel, *opts, *o;
	char				 n[128], prev[128] = "";
	size_t				 i, count = 0;

	rows = json_new_array();
	row = json_new_object();
	json_add_num(row, "type", 1);
	comps = json_add_array(row, "components");
	sel = json_new_object();
	json_add_num(sel, "type", 3);
	json_add_str(sel, "custom_id", custom_id);
	json_add_str(sel, "placeholder", placeholder);
	opts = json_add_array(sel, "options");
	for (i = 0; i < egglib_count(lib) && count < 25; i++) {
		const struct egg *g = egglib_at(lib, i);
		char label[101];

		egg_nest(g->id, n, sizeof(n));
		if (nest == NULL) {
			if (strcmp(n, prev) == 0)
				continue;
			snprintf(prev, sizeof(prev), "%s", n);
			o = json_new_object();
			json_add_str(o, "label", n);
			json_add_str(o, "value", n);
		} else {
			if (strcmp(n, nest) != 0)
				continue;
			o = json_new_object();
			snprintf(label, sizeof(label), "%s",
			    g->name && *g->name ? g->name : g->id);
			json_add_str(o, "label", label);
			json_add_str(o, "value", g->id);
			snprintf(label, sizeof(label), "%s", g->id);
			json_add_str(o, "description", label);
		}
		cJSON_AddItemToArray(opts, o);
		count++;
	}
	cJSON_AddItemToArray(comps, sel);
	cJSON_AddItemToArray(rows, row);
	if (count == 0) {
		cJSON_Delete(rows);
		return NULL;
	}
	return rows;
}

static unsigned
owned_count(const struct state *st, const char *user)
{
	size_t		i;
	unsigned	n = 0;

	for (i = 0; i < st->nservers; i++)
		if (st->servers[i]->owner != NULL &&
		    strcmp(st->servers[i]->owner, user) == 0)
			n++;
	return n;
}

static cJSON *
create_allowed(const struct cmd_env *env, const struct ix *x)
{
	unsigned	p;

	if (env->st == NULL)
		return reply_text(1, "The state repository is not loaded yet.");
	p = perms_of(env, x, NULL);
	if ((p & (PERM_CREATE | PERM_ADMIN)) == 0)
		return deny("create servers", NULL, PERM_CREATE);
	if ((p & PERM_ADMIN) == 0 && env->st->conf.max_servers_per_user > 0 &&
	    owned_count(env->st, x->user) >=
	    (unsigned)env->st->conf.max_servers_per_user)
		return reply_text(1, "You own %u servers already, the most "
		    "roost.yaml allows (maxServersPerUser).",
		    owned_count(env->st, x->user));
	return NULL;
}

static cJSON *
do_create(const struct cmd_env *env, const struct ix *x)
{
	const char	*node = opt_str(x, "node");
	cJSON		*r, *d, *rows;
	char		 id[128];

	if ((r = create_allowed(env, x)) != NULL)
		return r;
	if (node != NULL && state_node_find(env->st, node) == NULL)
		return reply_text(1, "There is no node `%s`; `/node list` "
		    "shows them.", node);
	snprintf(id, sizeof(id), "c:n:%s", node ? node : "-");
	if ((rows = egg_select(env, id, NULL, "Pick a nest")) == NULL)
		return reply_text(1, "The egg library is empty.");
	r = reply_new(CB_MESSAGE, &d);
	json_add_str(d, "content", "**New server** \xc2\xb7 step 1 of 3: "
	    "pick the nest (the kind of game).");
	cJSON_AddItemToObject(d, "components", rows);
	json_add_num(d, "flags", MSG_EPHEMERAL);
	return r;
}

static cJSON *
do_simple_job(const struct cmd_env *env, const struct ix *x, unsigned perm,
    const char *what, enum cmd_kind kind, struct cmd_job **job)
{
	const struct state_server	*srv;
	cJSON				*r;
	char				 label[64];

	if ((srv = server_checked(env, x, opt_str(x, "server"), perm, what,
	    &r)) == NULL)
		return r;
	snprintf(label, sizeof(label), "/server %s", x->sub);
	*job = job_new(x, kind, srv->name, label);
	return reply_defer(1);
}

static cJSON *
do_power(const struct cmd_env *env, const struct ix *x, struct cmd_job **job)
{
	cJSON	*r;

	r = do_simple_job(env, x, PERM_POWER, x->sub, JOB_POWER, job);
	if (*job != NULL)
		(*job)->power = strcmp(x->sub, "start") == 0 ? PANEL_START :
		    strcmp(x->sub, "stop") == 0 ? PANEL_STOP : PANEL_RESTART;
	return r;
}

static cJSON *
modal_new(const char *custom_id, const char *title, cJSON **comps)
{
	cJSON	*r, *d;
	char	 t[46];

	r = reply_new(CB_MODAL, &d);
	json_add_str(d, "custom_id", custom_id);
	snprintf(t, sizeof(t), "%s", title);
	json_add_str(d, "title", t);
	*comps = json_add_array(d, "components");
	return r;
}

static cJSON *
do_edit(const struct cmd_env *env, const struct ix *x)
{
	const struct state_server	*srv;
	cJSON				*r, *c;
	char				 id[128], title[64], v[32];

	if ((srv = server_checked(env, x, opt_str(x, "server"), PERM_EDIT,
	    "edit", &r)) == NULL)
		return r;
	snprintf(id, sizeof(id), "e:%s", srv->name);
	snprintf(title, sizeof(title), "Limits of %s", srv->name);
	r = modal_new(id, title, &c);
	snprintf(v, sizeof(v), "%lld", (long long)srv->limits.memory);
	cJSON_AddItemToArray(c, text_input("memory", "Memory (MiB)", v, 1, 9,
	    1, NULL));
	snprintf(v, sizeof(v), "%lld", (long long)srv->limits.disk);
	cJSON_AddItemToArray(c, text_input("disk", "Disk (MiB)", v, 1, 9, 1,
	    NULL));
	snprintf(v, sizeof(v), "%lld", (long long)srv->limits.cpu);
	cJSON_AddItemToArray(c, text_input("cpu", "CPU (% of one core, 0 = "
	    "unlimited)", v, 1, 6, 1, NULL));
	snprintf(v, sizeof(v), "%lld", (long long)srv->limits.swap);
	cJSON_AddItemToArray(c, text_input("swap", "Swap (MiB, -1 = "
	    "unlimited)", v, 1, 9, 1, NULL));
	snprintf(v, sizeof(v), "%lld", (long long)srv->limits.io);
	cJSON_AddItemToArray(c, text_input("io", "IO weight (10 to 1000)", v,
	    1, 4, 1, NULL));
	return r;
}

/* Parses a number typed in a modal; returns 0 or -1. */
static int
parse_num(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char		*end;
	long long	 v;

	if (s == NULL)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	v = strtoll(s, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/*
 * Checks KEY=VALUE against the server's egg: the variable exists, may be
 * edited, and passes the egg's rules. Appends problems to msg.
 */
static void
check_var(const struct state *st, const struct state_server *srv,
    const char *key, const char *value, struct buf *msg)
{
	const struct egg	*egg = state_server_egg(st, srv);
	const struct egg_var	*var;
	struct buf		 why;

	if (egg == NULL)
		return;
	if ((var = egg_var_find(egg, key)) == NULL) {
		buf_addf(msg, "- `%s` is not a variable of egg `%s`\n", key,
		    srv->egg);
		return;
	}
	if (!var->editable) {
		buf_addf(msg, "- `%s` may not be changed (the egg marks it "
		    "read-only)\n", key);
		return;
	}
	buf_init(&why, 0);
	if (egg_var_check(var, value, &why) != 0)
		buf_addf(msg, "- `%s`: %s\n", key, buf_str(&why));
	buf_dispose(&why);
}

static cJSON *
vars_modal(const struct cmd_env *env, const struct state_server *srv)
{
	const struct egg	*egg = state_server_egg(env->st, srv);
	cJSON			*r, *c;
	char			 id[128], title[64], label[46];
	size_t			 i, n = 0;

	if (egg == NULL)
		return reply_text(1, "The egg `%s` of `%s` is missing.",
		    srv->egg, srv->name);
	snprintf(id, sizeof(id), "v:%s", srv->name);
	snprintf(title, sizeof(title), "Variables of %s", srv->name);
	r = modal_new(id, title, &c);
	for (i = 0; i < egg->nvars && n < 5; i++) {
		const struct egg_var *v = &egg->vars[i];

		if (!v->editable || !v->viewable || strlen(v->env) > 100)
			continue;
		snprintf(label, sizeof(label), "%.45s", v->name && *v->name ?
		    v->name : v->env);
		cJSON_AddItemToArray(c, text_input(v->env, label,
		    state_server_var(env->st, srv, v->env), 0, 4000, 0,
		    v->env));
		n++;
	}
	if (n == 0) {
		cJSON_Delete(r);
		return reply_text(1, "Egg `%s` has no variables you can edit.",
		    srv->egg);
	}
	return r;
}

static cJSON *
do_vars(const struct cmd_env *env, const struct ix *x, struct cmd_job **job)
{
	const struct state_server	*srv;
	const struct egg		*egg;
	const char			*set = opt_str(x, "set");
	cJSON				*r, *d, *rows, *row, *comps, *e;
	struct buf			 msg, list;
	char				*copy, *tok, *save, *eq;
	size_t				 i;

	if ((srv = server_checked(env, x, opt_str(x, "server"), PERM_VARS,
	    "change the variables of", &r)) == NULL)
		return r;
	egg = state_server_egg(env->st, srv);
	if (set == NULL) {
		buf_init(&list, 0);
		for (i = 0; egg != NULL && i < egg->nvars; i++) {
			const struct egg_var *v = &egg->vars[i];

			if (!v->viewable || list.len > 3800)
				continue;
			buf_addf(&list, "`%s` = `%s`%s%s%s\n", v->env,
			    state_server_var(env->st, srv, v->env),
			    v->editable ? "" : " (read-only)",
			    v->rules_raw && *v->rules_raw ? " \xc2\xb7 " : "",
			    v->rules_raw ? v->rules_raw : "");
		}
		r = reply_new(CB_MESSAGE, &d);
		e = json_new_object();
		json_add_str(e, "title", srv->name);
		json_add_str(e, "description", list.len ? buf_str(&list) :
		    "This egg has no variables.");
		cJSON_AddItemToArray(json_add_array(d, "embeds"), e);
		rows = json_add_array(d, "components");
		row = json_new_object();
		json_add_num(row, "type", 1);
		comps = json_add_array(row, "components");
		cJSON_AddItemToArray(comps, button("Edit variables", 1,
		    "vb:", srv->name));
		cJSON_AddItemToArray(rows, row);
		json_add_num(d, "flags", MSG_EPHEMERAL);
		no_mentions(d);
		buf_dispose(&list);
		return r;
	}
	buf_init(&msg, 0);
	*job = job_new(x, JOB_SET, srv->name, "/server vars");
	copy = xstrdup(set);
	for (tok = strtok_r(copy, " \t\n", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t\n", &save)) {
		if ((eq = strchr(tok, '=')) == NULL || eq == tok) {
			buf_addf(&msg, "- `%s` is not KEY=VALUE\n", tok);
			continue;
		}
		*eq = '\0';
		check_var(env->st, srv, tok, eq + 1, &msg);
		job_add_kv(*job, tok, eq + 1);
	}
	free(copy);
	if (msg.len > 0 || (*job)->nkv == 0) {
		r = reply_text(1, "Nothing was changed:\n%s", msg.len ?
		    buf_str(&msg) : "- give variables as KEY=VALUE");
		cmd_job_free(*job);
		*job = NULL;
	} else
		r = reply_defer(1);
	buf_dispose(&msg);
	return r;
}

static cJSON *
do_delete(const struct cmd_env *env, const struct ix *x)
{
	const struct state_server	*srv;
	cJSON				*r, *d, *rows, *row, *comps;

	if ((srv = server_checked(env, x, opt_str(x, "server"), PERM_DELETE,
	    "delete", &r)) == NULL)
		return r;
	r = reply_new(CB_MESSAGE, &d);
	add_content(d, "Delete this server? Its file is removed from the "
	    "state repository; the node keeps its data in the trash for a "
	    "while, and `git revert` brings it back.");
	cJSON_AddItemToArray(json_add_array(d, "embeds"), status_embed(env,
	    srv));
	rows = json_add_array(d, "components");
	row = json_new_object();
	json_add_num(row, "type", 1);
	comps = json_add_array(row, "components");
	cJSON_AddItemToArray(comps, button("Delete", 4, "d:", srv->name));
	cJSON_AddItemToArray(comps, button("Cancel", 2, "x", ""));
	cJSON_AddItemToArray(rows, row);
	json_add_num(d, "flags", MSG_EPHEMERAL);
	no_mentions(d);
	return r;
}

static cJSON *
do_sftp(const struct cmd_env *env, const struct ix *x, struct cmd_job **job)
{
	const char	*user = opt_str(x, "user");
	char		 name[33];
	size_t		 i, o = 0;
	cJSON		*r;

	r = do_simple_job(env, x, PERM_SFTP, "get SFTP access to", JOB_SFTP,
	    job);
	if (*job == NULL)
		return r;
	if (user == NULL)
		user = json_str(x->root, "member.user.username", x->user);
	for (i = 0; user[i] != '\0' && o < 32; i++) {
		char ch = (char)tolower((unsigned char)user[i]);

		if (isalnum((unsigned char)ch) || ch == '_' || ch == '-' ||
		    ch == '.')
			name[o++] = ch;
	}
	name[o] = '\0';
	if (o == 0 || !isalpha((unsigned char)name[0]))
		snprintf(name, sizeof(name), "u%.20s", x->user);
	(*job)->sftp_user = xstrdup(name);
	return r;
}

/* ---------------------------------------------------------- autocomplete */

static int
matches(const char *name, const char *typed)
{
	return typed == NULL || *typed == '\0' || strstr(name, typed) != NULL;
}

static void
choice(cJSON *choices, const char *name)
{
	cJSON	*c;

	if (cJSON_GetArraySize(choices) >= 25)
		return;
	c = json_new_object();
	json_add_str(c, "name", name);
	json_add_str(c, "value", name);
	cJSON_AddItemToArray(choices, c);
}

static cJSON *
do_autocomplete(const struct cmd_env *env, const struct ix *x)
{
	const cJSON	*o, *focused = NULL;
	const char	*typed, *what;
	cJSON		*r, *d, *choices;
	char		 n[128], prev[128] = "";
	size_t		 i;

	cJSON_ArrayForEach(o, x->opts)
		if (json_bool(o, "focused", 0))
			focused = o;
	r = reply_new(CB_AUTOCOMPLETE, &d);
	choices = json_add_array(d, "choices");
	if (focused == NULL || env->st == NULL)
		return r;
	what = json_str(focused, "name", "");
	typed = json_str(focused, "value", "");
	if (strcmp(what, "server") == 0) {
		for (i = 0; i < env->st->nservers; i++) {
			const struct state_server *s = env->st->servers[i];

			if (matches(s->name, typed) && (perms_of(env, x, s) &
			    (PERM_VIEW | PERM_ADMIN)) != 0)
				choice(choices, s->name);
		}
	} else if (strcmp(what, "node") == 0) {
		for (i = 0; i < env->st->nnodes; i++)
			if (matches(env->st->nodes[i].name, typed))
				choice(choices, env->st->nodes[i].name);
	} else if (strcmp(what, "nest") == 0 && env->st->eggs != NULL) {
		for (i = 0; i < egglib_count(env->st->eggs); i++) {
			egg_nest(egglib_at(env->st->eggs, i)->id, n, sizeof(n));
			if (strcmp(n, prev) != 0 && matches(n, typed))
				choice(choices, n);
			snprintf(prev, sizeof(prev), "%s", n);
		}
	}
	return r;
}

/* ---------------------------------------------------------- components */

static cJSON *
do_component(const struct cmd_env *env, const struct ix *x,
    struct cmd_job **job)
{
	const char			*cid = json_str(x->data, "custom_id", "");
	const char			*val = json_str(x->data, "values.0", NULL);
	const struct state_server	*srv;
	cJSON				*r, *d, *rows, *c;
	char				 id[160], node[64], *colon;
	const char			*action;

	if (strncmp(cid, "c:n:", 4) == 0 || strncmp(cid, "c:e:", 4) == 0) {
		if ((r = create_allowed(env, x)) != NULL)
			return r;
		snprintf(node, sizeof(node), "%s", cid + 4);
		if (val == NULL)
			return reply_text(1, "Pick one of the options.");
		if (cid[2] == 'n') {
			snprintf(id, sizeof(id), "c:e:%s", node);
			if ((rows = egg_select(env, id, val, "Pick an egg")) ==
			    NULL)
				return reply_text(1, "Nest `%s` has no eggs.",
				    val);
			r = reply_new(CB_UPDATE, &d);
			json_add_str(d, "content", "**New server** \xc2\xb7 step "
			    "2 of 3: pick the egg.");
			cJSON_AddItemToObject(d, "components", rows);
			return r;
		}
		if (env->st->eggs == NULL || egglib_find(env->st->eggs, val) ==
		    NULL)
			return reply_text(1, "There is no egg `%s`.", val);
		snprintf(id, sizeof(id), "c:m:%s:%s", node, val);
		r = modal_new(id, "New server", &c);
		cJSON_AddItemToArray(c, text_input("name", "Name (a-z, 0-9, -)",
		    NULL, 1, 31, 1, "survival"));
		snprintf(id, sizeof(id), "%lld", (long long)
		    (env->st->conf.defaults.memory > 0 ?
		    env->st->conf.defaults.memory :
		    limit_get(LIMIT_MEMORY)->def));
		cJSON_AddItemToArray(c, text_input("memory", "Memory (MiB)",
		    id, 1, 9, 1, NULL));
		snprintf(id, sizeof(id), "%lld", (long long)
		    (env->st->conf.defaults.disk > 0 ?
		    env->st->conf.defaults.disk : limit_get(LIMIT_DISK)->def));
		cJSON_AddItemToArray(c, text_input("disk", "Disk (MiB)",
		    id, 1, 9, 1, NULL));
		snprintf(id, sizeof(id), "%lld", (long long)
		    (env->st->conf.defaults.cpu >= 0 ?
		    env->st->conf.defaults.cpu : limit_get(LIMIT_CPU)->def));
		cJSON_AddItemToArray(c, text_input("cpu", "CPU (% of one core)",
		    id, 1, 6, 1, NULL));
		return r;
	}
	if (strncmp(cid, "p:", 2) == 0) {
		action = cid + 2;
		if ((colon = strchr(action, ':')) == NULL)
			return reply_text(1, "This button is broken.");
		if ((srv = server_checked(env, x, colon + 1, PERM_POWER,
		    "power", &r)) == NULL)
			return r;
		snprintf(id, sizeof(id), "%.*s", (int)(colon - action), action);
		*job = job_new(x, JOB_POWER, srv->name, id);
		(*job)->power = strcmp(id, "start") == 0 ? PANEL_START :
		    strcmp(id, "stop") == 0 ? PANEL_STOP : PANEL_RESTART;
		(*job)->on_message = 1;
		return reply_defer_update();
	}
	if (strncmp(cid, "r:", 2) == 0) {
		if ((srv = server_checked(env, x, cid + 2, PERM_VIEW, "see",
		    &r)) == NULL)
			return r;
		r = json_new_object();
		json_add_num(r, "type", CB_UPDATE);
		cJSON_AddItemToObject(r, "data", cmd_status_message(env,
		    srv->name));
		return r;
	}
	if (strncmp(cid, "d:", 2) == 0) {
		if ((srv = server_checked(env, x, cid + 2, PERM_DELETE,
		    "delete", &r)) == NULL)
			return r;
		*job = job_new(x, JOB_DELETE, srv->name, "/server delete");
		(*job)->on_message = 1;
		return reply_defer_update();
	}
	if (strcmp(cid, "x") == 0) {
		r = reply_new(CB_UPDATE, &d);
		json_add_str(d, "content", "Cancelled; nothing was changed.");
		json_add_array(d, "embeds");
		json_add_array(d, "components");
		return r;
	}
	if (strncmp(cid, "vb:", 3) == 0) {
		if ((srv = server_checked(env, x, cid + 3, PERM_VARS,
		    "change the variables of", &r)) == NULL)
			return r;
		return vars_modal(env, srv);
	}
	return reply_text(1, "This button is no longer handled.");
}

/* ---------------------------------------------------------- modals */

static cJSON *
do_modal(const struct cmd_env *env, const struct ix *x, struct cmd_job **job)
{
	const char			*cid = json_str(x->data, "custom_id", "");
	const struct state_server	*srv;
	const cJSON			*c, *in, *inner;
	cJSON				*r;
	struct buf			 msg;
	int64_t				 v;
	const char			*name, *egg;
	char				 node[64];
	static const struct {
		const char	*id;
		const char	*key;
		enum limit_id	 lim;	/* bounds from the limits table */
	} limits[] = {
		{ "memory", "limits.memory", LIMIT_MEMORY },
		{ "disk", "limits.disk", LIMIT_DISK },
		{ "cpu", "limits.cpu", LIMIT_CPU },
		{ "swap", "limits.swap", LIMIT_SWAP },
		{ "io", "limits.io", LIMIT_IO },
	};
	size_t				 i;

	if (strncmp(cid, "c:m:", 4) == 0) {
		if ((r = create_allowed(env, x)) != NULL)
			return r;
		egg = strchr(cid + 4, ':');
		if (egg == NULL)
			return reply_text(1, "This form is broken.");
		snprintf(node, sizeof(node), "%.*s", (int)(egg - (cid + 4)),
		    cid + 4);
		egg++;
		name = modal_value(x, "name");
		if (name == NULL || !state_name_valid(name))
			return reply_text(1, "`%s` is not a valid server name: "
			    "use 1 to 31 of a-z, 0-9 and '-', starting with a "
			    "letter or digit.", name ? name : "");
		if (state_server_find(env->st, name) != NULL)
			return reply_text(1, "Server `%s` exists already; pick "
			    "another name.", name);
		*job = job_new(x, JOB_CREATE, name, "/server create");
		(*job)->egg = xstrdup(egg);
		(*job)->node = strcmp(node, "-") != 0 ? xstrdup(node) : NULL;
		buf_init(&msg, 0);
		if (parse_num(modal_value(x, "memory"),
		    limit_get(LIMIT_MEMORY)->min, limit_get(LIMIT_MEMORY)->max,
		    &(*job)->memory) != 0)
			buf_addf(&msg, "- memory must be a number of MiB, at "
			    "least %lld\n",
			    (long long)limit_get(LIMIT_MEMORY)->min);
		if (parse_num(modal_value(x, "disk"),
		    limit_get(LIMIT_DISK)->min, limit_get(LIMIT_DISK)->max,
		    &(*job)->disk) != 0)
			buf_addf(&msg, "- disk must be a number of MiB\n");
		if (parse_num(modal_value(x, "cpu"), limit_get(LIMIT_CPU)->min,
		    limit_get(LIMIT_CPU)->max, &(*job)->cpu) != 0)
			buf_addf(&msg, "- cpu must be a percentage of one core "
			    "up to %lld (0 = unlimited)\n",
			    (long long)limit_get(LIMIT_CPU)->max);
		if (msg.len > 0) {
			r = reply_text(1, "Nothing was created:\n%s",
			    buf_str(&msg));
			cmd_job_free(*job);
			*job = NULL;
		} else
			r = reply_defer(1);
		buf_dispose(&msg);
		return r;
	}
	if (strncmp(cid, "e:", 2) == 0) {
		if ((srv = server_checked(env, x, cid + 2, PERM_EDIT, "edit",
		    &r)) == NULL)
			return r;
		*job = job_new(x, JOB_SET, srv->name, "/server edit");
		buf_init(&msg, 0);
		for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
			const char *s = modal_value(x, limits[i].id);
			char num[32];

			if (s == NULL)
				continue;
			if (parse_num(s, limit_get(limits[i].lim)->min,
			    limit_get(limits[i].lim)->max, &v) != 0) {
				buf_addf(&msg, "- %s must be a number from "
				    "%lld to %lld, not `%s`\n", limits[i].id,
				    (long long)limit_get(limits[i].lim)->min,
				    (long long)limit_get(limits[i].lim)->max, s);
				continue;
			}
			snprintf(num, sizeof(num), "%lld", (long long)v);
			job_add_kv(*job, limits[i].key, num);
		}
		if (msg.len > 0 || (*job)->nkv == 0) {
			r = reply_text(1, "Nothing was changed:\n%s",
			    msg.len ? buf_str(&msg) : "- no limits given");
			cmd_job_free(*job);
			*job = NULL;
		} else
			r = reply_defer(1);
		buf_dispose(&msg);
		return r;
	}
	if (strncmp(cid, "v:", 2) == 0) {
		if ((srv = server_checked(env, x, cid + 2, PERM_VARS,
		    "change the variables of", &r)) == NULL)
			return r;
		*job = job_new(x, JOB_SET, srv->name, "/server vars");
		buf_init(&msg, 0);
		cJSON_ArrayForEach(c, cJSON_GetObjectItem(x->data,
		    "components")) {
			const cJSON *list[5];
			size_t nl = 0, k;

			if ((in = cJSON_GetObjectItem(c, "component")) != NULL)
				list[nl++] = in;
			cJSON_ArrayForEach(inner, cJSON_GetObjectItem(c,
			    "components"))
				if (nl < 5)
					list[nl++] = inner;
			for (k = 0; k < nl; k++) {
				const char *key = json_str(list[k],
				    "custom_id", "");
				const char *val = json_str(list[k], "value",
				    "");
				const char *cur = state_server_var(env->st,
				    srv, key);

				if (cur != NULL && strcmp(cur, val) == 0)
					continue;
				check_var(env->st, srv, key, val, &msg);
				job_add_kv(*job, key, val);
			}
		}
		if (msg.len > 0 || (*job)->nkv == 0) {
			r = reply_text(1, "Nothing was changed:\n%s",
			    msg.len ? buf_str(&msg) : "- every value is as it "
			    "was");
			cmd_job_free(*job);
			*job = NULL;
		} else
			r = reply_defer(1);
		buf_dispose(&msg);
		return r;
	}
	return reply_text(1, "This form is no longer handled.");
}

/* Handles one interaction; see commands.h. */
void
cmd_handle(const struct cmd_env *env, const cJSON *root, cJSON **reply,
    struct cmd_job **job)
{
	struct ix	x;

	*job = NULL;
	ix_read(&x, root);
	if (*x.user == '\0') {
		*reply = reply_text(1, "roost works in a server, not in direct "
		    "messages.");
		return;
	}
	switch (x.type) {
	case 2:
		if (strcmp(x.cmd, "node") == 0)
			*reply = do_node_list(env, &x);
		else if (strcmp(x.cmd, "egg") == 0)
			*reply = do_egg_list(env, &x);
		else if (strcmp(x.cmd, "server") != 0 || x.sub == NULL)
			*reply = reply_text(1, "Unknown command.");
		else if (strcmp(x.sub, "create") == 0)
			*reply = do_create(env, &x);
		else if (strcmp(x.sub, "list") == 0)
			*reply = do_list(env, &x);
		else if (strcmp(x.sub, "status") == 0)
			*reply = do_status(env, &x);
		else if (strcmp(x.sub, "start") == 0 ||
		    strcmp(x.sub, "stop") == 0 ||
		    strcmp(x.sub, "restart") == 0)
			*reply = do_power(env, &x, job);
		else if (strcmp(x.sub, "edit") == 0)
			*reply = do_edit(env, &x);
		else if (strcmp(x.sub, "vars") == 0)
			*reply = do_vars(env, &x, job);
		else if (strcmp(x.sub, "delete") == 0)
			*reply = do_delete(env, &x);
		else if (strcmp(x.sub, "sftp") == 0)
			*reply = do_sftp(env, &x, job);
		else if (strcmp(x.sub, "history") == 0)
			*reply = do_simple_job(env, &x, PERM_VIEW,
			    "see the history of", JOB_HISTORY, job);
		else
			*reply = reply_text(1, "Unknown command.");
		break;
	case 3:
		*reply = do_component(env, &x, job);
		break;
	case 4:
		*reply = do_autocomplete(env, &x);
		break;
	case 5:
		*reply = do_modal(env, &x, job);
		break;
	default:
		*reply = reply_text(1, "Unsupported interaction.");
		break;
	}
}

/* ---------------------------------------------------------- results */

static const char *
power_word(int power)
{
	switch (power) {
	case PANEL_START:	return "start";
	case PANEL_STOP:	return "stop";
	case PANEL_RESTART:	return "restart";
	default:		return "reinstall";
	}
}

static cJSON *
message_text(const char *fmt, ...) __attribute__((__format__(printf, 1, 2)));

static cJSON *
message_text(const char *fmt, ...)
{
	struct buf	 b;
	va_list		 ap;
	cJSON		*m = json_new_object();

	buf_init(&b, 0);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	add_content(m, buf_str(&b));
	no_mentions(m);
	buf_dispose(&b);
	return m;
}

/* The message for a finished job; see commands.h. */
cJSON *
cmd_job_message(const struct cmd_env *env, const struct cmd_job *job,
    const struct cmd_result *res)
{
	cJSON		*m, *e, *fields;
	char		 when[64], name[300], value[1100], note[300];
	struct tm	 tm;
	time_t		 t;
	size_t		 i;

	if (res->rc != 0) {
		if (res->problems != NULL && *res->problems != '\0')
			m = message_text("%s on `%s` was refused; nothing was "
			    "committed:\n```\n%.1700s\n```", job->what,
			    job->server ? job->server : "", res->problems);
		else
			m = message_text("%s on `%s` failed: %s", job->what,
			    job->server ? job->server : "", res->msg);
		if (job->on_message) {
			json_add_array(m, "components");
			json_add_array(m, "embeds");
		}
		return m;
	}
	switch (job->kind) {
	case JOB_CREATE:
		return message_text("Created server `%s` (%s) on node `%s`%s "
		    "\xc2\xb7 commit `%.7s`. `/server status server:%s` shows "
		    "its progress.", job->server, job->egg, res->node ?
		    res->node : "?", job->node ? "" : " (placed by free "
		    "capacity)", res->commit, job->server);
	case JOB_POWER:
		snprintf(note, sizeof(note), "%s %s %s by <@%s>: %s",
		    res->existing ? "Already done:" : "Done:",
		    power_word(job->power), job->server, job->user_id,
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
		return message_text("%s", note);
	case JOB_SET:
		if (res->unchanged)
			return message_text("Nothing to change on `%s`: the "
			    "values are already so.", job->server);
		{
			struct buf b;

			buf_init(&b, 0);
			for (i = 0; i < job->nkv; i++)
				buf_addf(&b, "%s`%s`", i ? ", " : "",
				    job->kv[i]);
			m = message_text("Set %s on `%s` \xc2\xb7 commit "
			    "`%.7s`.", buf_str(&b), job->server, res->commit);
			buf_dispose(&b);
			return m;
		}
	case JOB_DELETE:
		m = message_text("Deleted server `%s` \xc2\xb7 commit `%.7s`. "
		    "`git revert %.7s` in the state repository brings it "
		    "back.", job->server, res->commit, res->commit);
		json_add_array(m, "embeds");
		json_add_array(m, "components");
		return m;
	case JOB_SFTP:
		if (res->dm_sent)
			return message_text("New SFTP password for user `%s` "
			    "on `%s` sent to you by direct message (commit "
			    "`%.7s`, only its hash is stored).",
			    job->sftp_user, job->server, res->commit);
		return message_text("Your direct messages are closed, so "
		    "here it is (only you see this message):\nSFTP user `%s` "
		    "on `%s`, password `%s`\nCommit `%.7s` stores only its "
		    "hash.", job->sftp_user, job->server,
		    res->password ? res->password : "?", res->commit);
	case JOB_HISTORY:
		m = json_new_object();
		e = json_new_object();
		snprintf(name, sizeof(name), "History of %s", job->server);
		json_add_str(e, "title", name);
		fields = json_add_array(e, "fields");
		for (i = 0; i < res->nlog && i < 10; i++) {
			t = (time_t)res->log[i].time;
			gmtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
			snprintf(name, sizeof(name), "%.7s \xc2\xb7 %s",
			    res->log[i].id, when);
			snprintf(value, sizeof(value), "%.900s\nby %.100s",
			    res->log[i].summary ? res->log[i].summary : "",
			    res->log[i].author_name ? res->log[i].author_name :
			    "?");
			field(fields, name, value, 0);
		}
		if (res->nlog == 0)
			json_add_str(e, "description", "No commits touch this "
			    "server's file.");
		cJSON_AddItemToArray(json_add_array(m, "embeds"), e);
		no_mentions(m);
		return m;
	}
	return message_text("Done.");
}

/* ---------------------------------------------------------- following */

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
	    res->commit[0] == '\0')
		return 0;
	return job->kind == JOB_CREATE || job->kind == JOB_SET ||
	    job->kind == JOB_POWER;
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

/* Appends text to b without backticks, at most max bytes. */
static void
add_plain(struct buf *b, const char *text, size_t max)
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

	if (!report_is_for(st, f->res->commit)) {
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
				add_plain(b, f->lines[i - 1].text, 150);
				buf_addf(b, "`");
				break;
			}
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
		mib(json_double(st, "usage.memoryBytes", 0), a, sizeof(a));
		mib(json_double(st, "usage.memoryLimitBytes", 0), l, sizeof(l));
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
		add_plain(b, message, 600);
	}
}

/* The message of a followed job; see commands.h. */
cJSON *
cmd_follow_message(const struct cmd_env *env, const struct cmd_follow *f)
{
	struct buf	 b;
	cJSON		*note, *m;

	note = cmd_job_message(env, f->job, f->res);
	m = cmd_status_view(env, f->job->server, f->status, f->lines,
	    f->nlines);
	buf_init(&b, 0);
	buf_addf(&b, "%s\n**", json_str(note, "content", ""));
	follow_headline(f, &b);
	buf_addf(&b, "**");
	cJSON_DeleteItemFromObject(m, "content");
	add_content(m, buf_str(&b));
	buf_dispose(&b);
	cJSON_Delete(note);
	return m;
}

/* The DM with a new SFTP password. */
cJSON *
cmd_sftp_dm(const struct cmd_job *job, const char *password)
{
	return message_text("SFTP access to `%s`:\nuser `%s`\npassword "
	    "`%s`\nThe state repository stores only a hash of it; "
	    "`/server sftp` again makes a new one.", job->server,
	    job->sftp_user, password);
}

/* ---------------------------------------------------------- definitions */

static cJSON *
opt(cJSON *arr, int type, const char *name, const char *desc, int required,
    int autocomplete)
{
	cJSON	*o = json_new_object();

	json_add_num(o, "type", type);
	json_add_str(o, "name", name);
	json_add_str(o, "description", desc);
	if (required)
		json_add_bool(o, "required", 1);
	if (autocomplete)
		json_add_bool(o, "autocomplete", 1);
	cJSON_AddItemToArray(arr, o);
	return o;
}

static void
sub_server(cJSON *subs, const char *name, const char *desc)
{
	cJSON	*s = opt(subs, 1, name, desc, 0, 0);

	opt(json_add_array(s, "options"), 3, "server", "The server", 1, 1);
}

/* The command definitions; see commands.h. */
cJSON *
cmd_definitions(void)
{
	cJSON	*all = json_new_array(), *c, *subs, *s, *o;

	c = json_new_object();
	json_add_str(c, "name", "server");
	json_add_str(c, "description", "Game servers");
	json_add_num(c, "type", 1);
	subs = json_add_array(c, "options");
	s = opt(subs, 1, "create", "Create a game server", 0, 0);
	opt(json_add_array(s, "options"), 3, "node", "Node to place it on "
	    "(default: most free capacity)", 0, 1);
	opt(subs, 1, "list", "List the servers you may see", 0, 0);
	sub_server(subs, "status", "Phase, usage, ports and power buttons");
	sub_server(subs, "start", "Start a server");
	sub_server(subs, "stop", "Stop a server");
	sub_server(subs, "restart", "Restart a server");
	sub_server(subs, "edit", "Change a server's limits");
	s = opt(subs, 1, "vars", "Show or set a server's egg variables", 0, 0);
	o = json_add_array(s, "options");
	opt(o, 3, "server", "The server", 1, 1);
	opt(o, 3, "set", "KEY=VALUE pairs separated by spaces", 0, 0);
	sub_server(subs, "delete", "Delete a server (asks first)");
	s = opt(subs, 1, "sftp", "New SFTP password, sent by direct message",
	    0, 0);
	o = json_add_array(s, "options");
	opt(o, 3, "server", "The server", 1, 1);
	opt(o, 3, "user", "SFTP user name (default: your Discord name)", 0, 0);
	sub_server(subs, "history", "Who changed a server, what and when");
	cJSON_AddItemToArray(all, c);

	c = json_new_object();
	json_add_str(c, "name", "node");
	json_add_str(c, "description", "Nodes that run game servers");
	subs = json_add_array(c, "options");
	opt(subs, 1, "list", "List nodes with capacity and status", 0, 0);
	cJSON_AddItemToArray(all, c);

	c = json_new_object();
	json_add_str(c, "name", "egg");
	json_add_str(c, "description", "Game server templates");
	subs = json_add_array(c, "options");
	s = opt(subs, 1, "list", "List eggs, or the eggs of one nest", 0, 0);
	opt(json_add_array(s, "options"), 3, "nest", "Only this nest", 0, 1);
	cJSON_AddItemToArray(all, c);
	return all;
}
