/*
 * cmd_views: what roost-bot shows without changing anything: the status
 * embed and view of a server (usage bars, the pull or install log, power
 * buttons), /server status and list, /node list, /egg list, the Refresh
 * button and the autocomplete of server, node and nest options.
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
#include "state.h"
#include "xmalloc.h"

#include "address.h"
#include "cmd_int.h"

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

/* See cmd_int.h. */
void
cmd_field(cJSON *fields, const char *name, const char *value, int inl)
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

/* See cmd_int.h. */
void
cmd_mib(double bytes, char *out, size_t len)
{
	if (bytes >= 1024.0 * 1024 * 1024)
		snprintf(out, len, "%.1f GiB", bytes / 1024 / 1024 / 1024);
	else if (bytes > 0 && bytes < 1024.0 * 1024)
		snprintf(out, len, "%.0f KiB", bytes < 1024 ? 1 : bytes / 1024);
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
	cmd_field(fields, name, buf_str(&b), 0);
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

/*
 * A field of a status embed: a bar of the bytes at key in the report st
 * against the limit at limkey (else limit_mib), and both in MiB or GiB.
 */
static void
bytes_field(cJSON *fields, const char *name, const cJSON *st,
    const char *key, const char *limkey, int64_t limit_mib)
{
	char	bar[160], line[400], a[32], b[32];
	double	used, lim;

	used = json_double(st, key, 0);
	lim = json_double(st, limkey, (double)limit_mib * 1024 * 1024);
	cmd_bar(used, lim, 10, bar, sizeof(bar));
	cmd_mib(used, a, sizeof(a));
	cmd_mib(lim, b, sizeof(b));
	snprintf(line, sizeof(line), "%s\n%s of %s", bar, a, b);
	cmd_field(fields, name, st != NULL ? line : "no report yet", 1);
}

static cJSON *
status_embed_of(const struct cmd_env *env, const struct state_server *srv,
    const cJSON *st, const struct cmd_progress *lines, size_t nlines)
{
	cJSON		*e, *fields;
	const char	*phase, *reason, *message;
	char		 bar[160], line[400];
	double		 used;
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
	cmd_field(fields, "Phase", line, 1);
	cmd_field(fields, "Node", srv->node, 1);
	buf_init(&ports, 0);
	buf_addf(&ports, "%d", srv->port);
	for (i = 0; i < srv->nextra_ports; i++)
		buf_addf(&ports, ", %d", srv->extra_ports[i]);
	cmd_field(fields, "Ports", buf_str(&ports), 1);
	buf_reset(&ports);
	buf_puts(&ports, "`");
	if (bot_address(env->st, srv, 1, &ports) == 0) {
		buf_puts(&ports, "`");
		cmd_field(fields, "Connect", buf_str(&ports), 0);
	}
	buf_dispose(&ports);

	used = json_double(st, "usage.cpuPercent", 0);
	cmd_bar(used, (double)srv->limits.cpu, 10, bar, sizeof(bar));
	snprintf(line, sizeof(line), "%s\n%.0f%% of %lld%%", bar, used,
	    (long long)srv->limits.cpu);
	cmd_field(fields, "CPU", st != NULL ? line : "no report yet", 1);
	bytes_field(fields, "Memory", st, "usage.memoryBytes",
	    "usage.memoryLimitBytes", srv->limits.memory);
	bytes_field(fields, "Disk", st, "usage.diskBytes",
	    "usage.diskLimitBytes", srv->limits.disk);
	snprintf(line, sizeof(line), "%.12s",
	    json_str(st, "appliedRevision", "-"));
	cmd_field(fields, "Applied revision", line, 1);
	if (env->st != NULL && env->st->revision != NULL) {
		snprintf(line, sizeof(line), "%.12s", env->st->revision);
		cmd_field(fields, "Desired revision", line, 1);
	}
	if (!srv->valid && srv->error != NULL)
		cmd_field(fields, "Last error", srv->error, 0);
	else if (*message != '\0' && !json_bool(st, "ready", 0))
		cmd_field(fields, "Last error", message, 0);
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

/* See cmd_int.h. */
cJSON *
cmd_status_embed(const struct cmd_env *env, const struct state_server *srv)
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
	json_add_num(row, "type", COMP_ROW);
	c = json_add_array(row, "components");
	cJSON_AddItemToArray(c, cmd_button("Start", BTN_SUCCESS, "p:start:",
	    server));
	cJSON_AddItemToArray(c, cmd_button("Stop", BTN_DANGER, "p:stop:",
	    server));
	cJSON_AddItemToArray(c, cmd_button("Restart", BTN_PRIMARY, "p:restart:",
	    server));
	cJSON_AddItemToArray(c, cmd_button("Refresh", BTN_SECONDARY, "r:",
	    server));
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
	cmd_no_mentions(m);
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

/* /server status: the status view, for the invoker only */
cJSON *
cmd_do_status(const struct cmd_call *c)
{
	cJSON	*m = cmd_status_message(c->env, c->srv->name);

	json_add_num(m, "flags", MSG_EPHEMERAL);
	return cmd_reply_data(CB_MESSAGE, m);
}

/*
 * An ephemeral reply of one embed titled title, returned in *embed to
 * fill; *data is the reply's data.
 */
static cJSON *
embed_reply(const char *title, cJSON **data, cJSON **embed)
{
	cJSON	*r = cmd_reply_new(CB_MESSAGE, data);

	*embed = json_new_object();
	json_add_str(*embed, "title", title);
	cJSON_AddItemToArray(json_add_array(*data, "embeds"), *embed);
	json_add_num(*data, "flags", MSG_EPHEMERAL);
	return r;
}

/* /server list: the servers the invoker may see */
cJSON *
cmd_do_list(const struct cmd_call *c)
{
	const struct cmd_env	*env = c->env;
	const struct ix		*x = c->x;
	cJSON		*r, *d, *e, *st;
	struct buf	 b, addr;
	size_t		 i, shown = 0;

	if (env->st == NULL)
		return cmd_reply_text(1, "The state repository is not loaded yet.");
	buf_init(&b, 0);
	for (i = 0; i < env->st->nservers; i++) {
		const struct state_server *s = env->st->servers[i];

		if ((cmd_perms_of(env, x, s) & (PERM_VIEW | PERM_ADMIN)) == 0)
			continue;
		st = env->server_status ? env->server_status(env->arg,
		    s->name) : NULL;
		if (b.len < 3800) {
			buf_addf(&b, "`%s` \xc2\xb7 %s \xc2\xb7 %s \xc2\xb7 %s",
			    s->name, json_str(st, "phase", "Unreported"),
			    s->node, s->egg);
			buf_init(&addr, 0);
			if (bot_address(env->st, s, 0, &addr) == 0)
				buf_addf(&b, " \xc2\xb7 `%s`", buf_str(&addr));
			buf_dispose(&addr);
			buf_addf(&b, "%s\n", s->valid ? "" : " (invalid)");
		}
		cJSON_Delete(st);
		shown++;
	}
	if (shown == 0) {
		buf_dispose(&b);
		return cmd_reply_text(1, "No servers you may see. `/server "
		    "create` makes one.");
	}
	if (b.len >= 3800)
		buf_addf(&b, "\xe2\x80\xa6 and more");
	r = embed_reply("Servers", &d, &e);
	json_add_str(e, "description", buf_str(&b));
	cmd_no_mentions(d);
	buf_dispose(&b);
	return r;
}

/* /node list: capacity, allocation and hub connection of each node */
cJSON *
cmd_do_node_list(const struct cmd_call *c)
{
	const struct cmd_env	*env = c->env;
	const struct ix		*x = c->x;
	cJSON		*r, *d, *e, *fields, *ns;
	char		 line[600];
	size_t		 i, j;

	if (env->st == NULL)
		return cmd_reply_text(1, "The state repository is not loaded yet.");
	if ((cmd_perms_of(env, x, NULL) & (PERM_VIEW | PERM_ADMIN | PERM_CREATE))
	    == 0)
		return cmd_deny("list nodes", NULL, PERM_VIEW);
	r = embed_reply("Nodes", &d, &e);
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
		cmd_field(fields, n->name, line, 0);
	}
	if (env->st->nnodes == 0)
		json_add_str(e, "description", "No nodes in nodes/.");
	return r;
}

/* Writes the nest of an egg id into out. */
/* See cmd_int.h. */
void
cmd_egg_nest(const char *id, char *out, size_t len)
{
	const char	*slash = strchr(id, '/');

	snprintf(out, len, "%.*s", slash ? (int)(slash - id) : (int)strlen(id),
	    id);
}

/* /egg list: the egg library, or one nest of it */
cJSON *
cmd_do_egg_list(const struct cmd_call *c)
{
	const struct cmd_env	*env = c->env;
	const struct ix		*x = c->x;
	const struct egg_library	*lib;
	const char			*nest = cmd_opt_str(x, "nest");
	cJSON				*r, *d, *e;
	struct buf			 b;
	char				 n[128], prev[128] = "";
	size_t				 i, count = 0;

	if (env->st == NULL || (lib = env->st->eggs) == NULL)
		return cmd_reply_text(1, "The egg library is not loaded yet.");
	buf_init(&b, 0);
	for (i = 0; i < egglib_count(lib); i++) {
		const struct egg *g = egglib_at(lib, i);

		cmd_egg_nest(g->id, n, sizeof(n));
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
			return cmd_reply_text(1, "No eggs in nest `%s`.", nest);
		return cmd_reply_text(1, "No eggs.");
	}
	r = embed_reply("Eggs", &d, &e);
	json_add_str(e, "description", buf_str(&b));
	buf_dispose(&b);
	return r;
}

/* The Refresh button of a status view. */
cJSON *
cmd_refresh_button(const struct cmd_call *c)
{
	return cmd_reply_data(CB_UPDATE, cmd_status_message(c->env,
	    c->srv->name));
}

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

/* Autocomplete; see cmd_int.h. */
cJSON *
cmd_do_autocomplete(const struct cmd_env *env, const struct ix *x)
{
	const cJSON	*o, *focused = NULL;
	const char	*typed, *what;
	cJSON		*r, *d, *choices;
	char		 n[128], prev[128] = "";
	size_t		 i;

	cJSON_ArrayForEach(o, x->opts)
		if (json_bool(o, "focused", 0))
			focused = o;
	r = cmd_reply_new(CB_AUTOCOMPLETE, &d);
	choices = json_add_array(d, "choices");
	if (focused == NULL || env->st == NULL)
		return r;
	what = json_str(focused, "name", "");
	typed = json_str(focused, "value", "");
	if (strcmp(what, "server") == 0) {
		for (i = 0; i < env->st->nservers; i++) {
			const struct state_server *s = env->st->servers[i];

			if (matches(s->name, typed) && (cmd_perms_of(env, x, s) &
			    (PERM_VIEW | PERM_ADMIN)) != 0)
				choice(choices, s->name);
		}
	} else if (strcmp(what, "node") == 0) {
		for (i = 0; i < env->st->nnodes; i++)
			if (matches(env->st->nodes[i].name, typed))
				choice(choices, env->st->nodes[i].name);
	} else if (strcmp(what, "nest") == 0 && env->st->eggs != NULL) {
		for (i = 0; i < egglib_count(env->st->eggs); i++) {
			cmd_egg_nest(egglib_at(env->st->eggs, i)->id, n, sizeof(n));
			if (strcmp(n, prev) != 0 && matches(n, typed))
				choice(choices, n);
			snprintf(prev, sizeof(prev), "%s", n);
		}
	}
	return r;
}
