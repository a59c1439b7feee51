/*
 * commands: the Discord panel's handlers as pure functions (see
 * commands.h): slash commands, autocomplete, selects, buttons and modals
 * in; callback bodies and jobs out; finished jobs out as messages. This
 * file holds the command table (one row per slash command: its
 * definition, permission and handler), the dispatch, and the helpers the
 * handlers share (cmd_int.h); the handlers live in cmd_*.c by flow.
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
 *   pa:SERVER:ID / pj:SERVER:ID   Approve / Reject of proposal ID
 *   rs:SERVER         the backup select of /server restore
 *   ro:SERVER:ID      its Restore confirmation button
 *   mv:SERVER:NODE    the Move confirmation button of /server move
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

#include "cmd_int.h"

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
	if (o != NULL && json_int64(o, "type", 0) == OPT_SUBCOMMAND) {
		x->sub = json_str(o, "name", "");
		x->opts = cJSON_GetObjectItemCaseSensitive(o, "options");
	} else
		x->opts = cJSON_GetObjectItemCaseSensitive(x->data, "options");
}

/* See cmd_int.h. */
const cJSON *
cmd_opt_get(const struct ix *x, const char *name)
{
	const cJSON	*o;

	cJSON_ArrayForEach(o, x->opts)
		if (strcmp(json_str(o, "name", ""), name) == 0)
			return o;
	return NULL;
}

/* See cmd_int.h. */
const char *
cmd_opt_str(const struct ix *x, const char *name)
{
	const cJSON	*o = cmd_opt_get(x, name);

	return o != NULL ? json_str(o, "value", NULL) : NULL;
}

/* See cmd_int.h. */
cJSON *
cmd_reply_data(int type, cJSON *data)
{
	cJSON	*r = json_new_object();

	json_add_num(r, "type", type);
	cJSON_AddItemToObject(r, "data", data);
	return r;
}

/* See cmd_int.h. */
cJSON *
cmd_reply_new(int type, cJSON **data)
{
	*data = json_new_object();
	return cmd_reply_data(type, *data);
}

/* See cmd_int.h. */
void
cmd_no_mentions(cJSON *data)
{
	cJSON	*am = json_add_object(data, "allowed_mentions");

	json_add_array(am, "parse");
}

/* See cmd_int.h. */
void
cmd_code_put(struct buf *b, const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		buf_putc(b, s[i]);
		if (s[i] == '`' && i + 1 < len && s[i + 1] == '`')
			buf_puts(b, "\xe2\x80\x8b");	/* U+200B */
	}
}

/* See cmd_int.h. */
size_t
cmd_cut_len(const char *s, size_t max)
{
	size_t	len = strlen(s);

	if (len > max) {
		len = max;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	return len;
}

/* Content trimmed to Discord's 2000 characters. */
/* See cmd_int.h. */
void
cmd_add_content(cJSON *data, const char *text)
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

/* See cmd_int.h. */
cJSON *
cmd_reply_text(int ephemeral, const char *fmt, ...)
{
	struct buf	 b;
	va_list		 ap;
	cJSON		*r, *d;

	buf_init(&b, 0);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	r = cmd_reply_new(CB_MESSAGE, &d);
	cmd_add_content(d, buf_str(&b));
	if (ephemeral)
		json_add_num(d, "flags", MSG_EPHEMERAL);
	cmd_no_mentions(d);
	buf_dispose(&b);
	return r;
}

/* See cmd_int.h. */
cJSON *
cmd_reply_defer(int ephemeral)
{
	cJSON	*r, *d;

	r = cmd_reply_new(CB_DEFER, &d);
	if (ephemeral)
		json_add_num(d, "flags", MSG_EPHEMERAL);
	return r;
}

/* See cmd_int.h. */
cJSON *
cmd_reply_defer_update(void)
{
	cJSON	*r = json_new_object();

	json_add_num(r, "type", CB_DEFER_UPDATE);
	return r;
}

/* See cmd_int.h. */
cJSON *
cmd_button(const char *label, int style, const char *prefix, const char *arg)
{
	cJSON	*b = json_new_object();
	char	 id[128];

	snprintf(id, sizeof(id), "%s%s", prefix, arg);
	json_add_num(b, "type", COMP_BUTTON);
	json_add_num(b, "style", style);
	json_add_str(b, "label", label);
	json_add_str(b, "custom_id", id);
	return b;
}

/* See cmd_int.h. */
const char *
cmd_arg_split(const char *arg, char *server, size_t len)
{
	const char	*colon = strchr(arg, ':');

	if (colon == NULL || colon == arg || (size_t)(colon - arg) >= len ||
	    colon[1] == '\0')
		return NULL;
	snprintf(server, len, "%.*s", (int)(colon - arg), arg);
	return colon + 1;
}

/* See cmd_int.h. */
cJSON *
cmd_select_rows(const char *custom_id, const char *placeholder,
    cJSON **options)
{
	cJSON	*rows, *row, *sel;

	rows = json_new_array();
	row = json_new_object();
	json_add_num(row, "type", COMP_ROW);
	sel = json_new_object();
	json_add_num(sel, "type", COMP_SELECT);
	json_add_str(sel, "custom_id", custom_id);
	json_add_str(sel, "placeholder", placeholder);
	*options = json_add_array(sel, "options");
	cJSON_AddItemToArray(json_add_array(row, "components"), sel);
	cJSON_AddItemToArray(rows, row);
	return rows;
}

/* See cmd_int.h. */
cJSON *
cmd_select_option(cJSON *options, const char *label, const char *value,
    const char *description)
{
	cJSON	*o = json_new_object();
	char	 cut[101];

	snprintf(cut, sizeof(cut), "%s", label);
	json_add_str(o, "label", cut);
	json_add_str(o, "value", value);
	if (description != NULL) {
		snprintf(cut, sizeof(cut), "%s", description);
		json_add_str(o, "description", cut);
	}
	cJSON_AddItemToArray(options, o);
	return o;
}

/* See cmd_int.h. */
void
cmd_confirm_row(cJSON *data, const char *label, const char *prefix,
    const char *arg)
{
	cJSON	*row, *comps;

	row = json_new_object();
	json_add_num(row, "type", COMP_ROW);
	comps = json_add_array(row, "components");
	cJSON_AddItemToArray(comps, cmd_button(label, BTN_DANGER, prefix,
	    arg));
	cJSON_AddItemToArray(comps, cmd_button("Cancel", BTN_SECONDARY, "x",
	    ""));
	cJSON_AddItemToArray(json_add_array(data, "components"), row);
	cmd_no_mentions(data);
}

/* See cmd_int.h. */
cJSON *
cmd_reply_confirm(int type, const char *text, cJSON *embeds,
    const char *label, const char *prefix, const char *arg)
{
	cJSON	*r, *d;

	r = cmd_reply_new(type, &d);
	cmd_add_content(d, text);
	if (embeds != NULL)
		cJSON_AddItemToObject(d, "embeds", embeds);
	cmd_confirm_row(d, label, prefix, arg);
	json_add_num(d, "flags", MSG_EPHEMERAL);
	return r;
}

/* See cmd_int.h. */
cJSON *
cmd_text_input(const char *id, const char *label, const char *value, int min,
    int max, int required, const char *placeholder)
{
	cJSON	*l = json_new_object(), *t;

	json_add_num(l, "type", COMP_LABEL);
	json_add_str(l, "label", label);
	t = json_add_object(l, "component");
	json_add_num(t, "type", COMP_TEXT_INPUT);
	json_add_str(t, "custom_id", id);
	json_add_num(t, "style", TEXT_SHORT);
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
/* See cmd_int.h. */
const char *
cmd_modal_value(const struct ix *x, const char *id)
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

/* See cmd_int.h. */
cJSON *
cmd_modal_new(const char *custom_id, const char *title, cJSON **comps)
{
	cJSON	*r, *d;
	char	 t[46];

	r = cmd_reply_new(CB_MODAL, &d);
	json_add_str(d, "custom_id", custom_id);
	snprintf(t, sizeof(t), "%s", title);
	json_add_str(d, "title", t);
	*comps = json_add_array(d, "components");
	return r;
}

/* See cmd_int.h. */
cJSON *
cmd_message_text(const char *fmt, ...)
{
	struct buf	 b;
	va_list		 ap;
	cJSON		*m = json_new_object();

	buf_init(&b, 0);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	cmd_add_content(m, buf_str(&b));
	cmd_no_mentions(m);
	buf_dispose(&b);
	return m;
}

/* See cmd_int.h. */
unsigned
cmd_perms_of(const struct cmd_env *env, const struct ix *x,
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
	case PERM_CONSOLE:	return "console";
	case PERM_BACKUP:	return "backup";
	case PERM_SCHEDULE:	return "schedule";
	default:		return "admin";
	}
}

/* See cmd_int.h. */
cJSON *
cmd_deny(const char *what, const char *server, unsigned perm)
{
	if (server != NULL)
		return cmd_reply_text(1, "You may not %s server `%s`: that needs "
		    "the `%s` permission, which you do not hold on it. The "
		    "access rules in roost.yaml grant permissions to Discord "
		    "roles; a server's owner can add you as a member.", what,
		    server, perm_name(perm));
	return cmd_reply_text(1, "You may not %s: that needs the `%s` "
	    "permission, which none of your roles holds in roost.yaml.",
	    what, perm_name(perm));
}

/*
 * Finds the server named by the option and checks perm; on failure sets
 * *reply and returns NULL.
 */
/* See cmd_int.h. */
const struct state_server *
cmd_server_checked(const struct cmd_env *env, const struct ix *x,
    const char *name, unsigned perm, const char *what, cJSON **reply)
{
	const struct state_server	*srv;

	if (env->st == NULL) {
		*reply = cmd_reply_text(1, "The state repository is not loaded "
		    "yet; try again in a moment.");
		return NULL;
	}
	if (name == NULL || *name == '\0') {
		*reply = cmd_reply_text(1, "Name a server.");
		return NULL;
	}
	/* a name no server can have is answered as such, to anyone */
	if (!state_name_valid(name)) {
		*reply = cmd_reply_text(1, "There is no server `%.64s`: server "
		    "names are 1 to 31 of a-z, 0-9 and '-'; `/server list` "
		    "shows them.", name);
		return NULL;
	}
	srv = state_server_find(env->st, name);
	if (srv == NULL) {
		/* do not tell strangers which servers exist */
		if ((cmd_perms_of(env, x, NULL) & (PERM_VIEW | PERM_ADMIN)) == 0)
			*reply = cmd_deny(what, name, perm);
		else
			*reply = cmd_reply_text(1, "There is no server `%s`; "
			    "`/server list` shows them.", name);
		return NULL;
	}
	if ((cmd_perms_of(env, x, srv) & (perm | PERM_ADMIN)) == 0) {
		*reply = cmd_deny(what, name, perm);
		return NULL;
	}
	return srv;
}

/* See cmd_int.h. */
const struct state_server *
cmd_button_server(const struct cmd_call *c, int (*valid)(const char *),
    unsigned perm, const char *what, const char **rest, cJSON **reply)
{
	char	server[128];

	if ((*rest = cmd_arg_split(c->arg, server, sizeof(server))) == NULL ||
	    (valid != NULL && !valid(*rest))) {
		*reply = cmd_reply_text(1, "This button is broken.");
		return NULL;
	}
	return cmd_server_checked(c->env, c->x, server, perm, what, reply);
}

/* See cmd_int.h. */
struct cmd_job *
cmd_job_new(const struct ix *x, enum cmd_kind kind, const char *server,
    const char *what)
{
	struct cmd_job	*j = xcalloc(1, sizeof(*j));

	j->kind = kind;
	j->interaction_id = xstrdup(x->id);
	j->token = xstrdup(json_str(x->root, "token", ""));
	j->application_id = xstrdup(json_str(x->root, "application_id", ""));
	j->channel_id = xstrdup(json_str(x->root, "channel_id", ""));
	j->user_id = xstrdup(x->user);
	j->author = panel_author_discord(x->username, x->user);
	xasprintf(&j->request_id, "discord-%s", x->id);
	j->server = server != NULL ? xstrdup(server) : NULL;
	j->memory = j->disk = j->cpu = -1;
	j->what = xstrdup(what);
	if (json_str(x->root, "message.id", NULL) != NULL)
		j->message_id = xstrdup(json_str(x->root, "message.id", ""));
	return j;
}

/* See cmd_int.h. */
void
cmd_job_add_kv(struct cmd_job *j, const char *key, const char *value)
{
	j->kv = xreallocarray(j->kv, j->nkv + 1, sizeof(char *));
	xasprintf(&j->kv[j->nkv++], "%s=%s", key, value);
}

/* Frees a job. */
void
cmd_job_free(struct cmd_job *j)
{

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
	free(j->schedule);
	free(j->yaml);
	strv_free(j->kv, j->nkv);
	free(j->sftp_user);
	free(j->what);
	free(j->message_id);
	free(j->line);
	free(j->revision);
	free(j->note);
	free(j->backup_id);
	free(j);
}

/* Frees what a result holds. */
void
cmd_result_dispose(struct cmd_result *res)
{
	free(res->problems);
	free(res->diff);
	free(res->node);
	if (res->password != NULL) {
		explicit_bzero(res->password, strlen(res->password));
		free(res->password);
	}
	gitstore_log_free(res->log, res->nlog);
	free(res->proposer);
	free(res->plan);
	memset(res, 0, sizeof(*res));
}

/* ---------------------------------------------------------- the table */

static const struct cmd_opt opts_none[] = {
	{ 0, NULL, NULL, 0, 0 }
};
static const struct cmd_opt opts_server[] = {
	{ OPT_STRING, "server", "The server", 1, 1 },
	{ 0, NULL, NULL, 0, 0 }
};
static const struct cmd_opt opts_create[] = {
	{ OPT_STRING, "node",
	    "Node to place it on (default: most free capacity)", 0, 1 },
	{ 0, NULL, NULL, 0, 0 }
};
static const struct cmd_opt opts_vars[] = {
	{ OPT_STRING, "server", "The server", 1, 1 },
	{ OPT_STRING, "set", "KEY=VALUE pairs separated by spaces", 0, 0 },
	{ 0, NULL, NULL, 0, 0 }
};
static const struct cmd_opt opts_sftp[] = {
	{ OPT_STRING, "server", "The server", 1, 1 },
	{ OPT_STRING, "user",
	    "SFTP user name (default: your Discord name)", 0, 0 },
	{ 0, NULL, NULL, 0, 0 }
};
static const struct cmd_opt opts_console[] = {
	{ OPT_STRING, "server", "The server", 1, 1 },
	{ OPT_STRING, "command",
	    "One line, as typed on the server's console", 1, 0 },
	{ OPT_BOOLEAN, "public",
	    "Show the answer to the channel (default: only you)", 0, 0 },
	{ 0, NULL, NULL, 0, 0 }
};
static const struct cmd_opt opts_rollback[] = {
	{ OPT_STRING, "server", "The server", 1, 1 },
	{ OPT_STRING, "revision", "A commit id from /server history", 1, 0 },
	{ 0, NULL, NULL, 0, 0 }
};
static const struct cmd_opt opts_backup[] = {
	{ OPT_STRING, "server", "The server", 1, 1 },
	{ OPT_STRING, "note", "A note kept with the backup", 0, 0 },
	{ 0, NULL, NULL, 0, 0 }
};
static const struct cmd_opt opts_restore[] = {
	{ OPT_STRING, "server", "The server", 1, 1 },
	{ OPT_STRING, "backup",
	    "A backup id (default: pick from a list)", 0, 0 },
	{ 0, NULL, NULL, 0, 0 }
};
static const struct cmd_opt opts_move[] = {
	{ OPT_STRING, "server", "The server", 1, 1 },
	{ OPT_STRING, "node", "The node to move it to", 1, 1 },
	{ 0, NULL, NULL, 0, 0 }
};
static const struct cmd_opt opts_plan[] = {
	{ OPT_STRING, "branch",
	    "A branch of the state repository (a pull request's)", 1, 0 },
	{ 0, NULL, NULL, 0, 0 }
};
static const struct cmd_opt opts_logs[] = {
	{ OPT_STRING, "server", "The server", 1, 1 },
	{ OPT_INTEGER, "lines",
	    "How many of the latest lines (20; at most 100)", 0, 0 },
	{ OPT_BOOLEAN, "public",
	    "Show them to the channel (default: only you)", 0, 0 },
	{ 0, NULL, NULL, 0, 0 }
};
static const struct cmd_opt opts_egg_list[] = {
	{ OPT_STRING, "nest", "Only this nest", 0, 1 },
	{ 0, NULL, NULL, 0, 0 }
};

/* The top-level commands, in registration order. */
static const struct {
	const char	*name;
	const char	*desc;
} cmd_commands[] = {
	{ "server", "Game servers" },
	{ "node", "Nodes that run game servers" },
	{ "egg", "Game server templates" },
	{ "plan", "What a branch of the state would do, node by node" },
};

/*
 * Every slash command: its definition (registered with Discord by
 * cmd_definitions) and its dispatch (cmd_handle), in one row.
 */
static const struct cmd_row cmd_rows[] = {
	{ "server", "create", "Create a game server", PERM_CREATE, CMD_SELF,
	    "create servers", opts_create, cmd_do_create, 0 },
	{ "server", "list", "List the servers you may see", PERM_VIEW,
	    CMD_SELF, "list servers", opts_none, cmd_do_list, 0 },
	{ "server", "status", "Phase, usage, ports and power buttons",
	    PERM_VIEW, CMD_ON_SERVER, "see", opts_server, cmd_do_status, 0 },
	{ "server", "start", "Start a server", PERM_POWER, CMD_ON_SERVER,
	    "start", opts_server, cmd_do_power, PANEL_START },
	{ "server", "stop", "Stop a server", PERM_POWER, CMD_ON_SERVER,
	    "stop", opts_server, cmd_do_power, PANEL_STOP },
	{ "server", "restart", "Restart a server", PERM_POWER, CMD_ON_SERVER,
	    "restart", opts_server, cmd_do_power, PANEL_RESTART },
	{ "server", "edit", "Change a server's limits", PERM_EDIT,
	    CMD_PROPOSE, "edit", opts_server, cmd_do_edit, 0 },
	{ "server", "vars", "Show or set a server's egg variables", PERM_VARS,
	    CMD_PROPOSE, "change the variables of", opts_vars, cmd_do_vars,
	    0 },
	{ "server", "delete", "Delete a server (asks first)", PERM_DELETE,
	    CMD_ON_SERVER, "delete", opts_server, cmd_do_delete, 0 },
	{ "server", "sftp", "New SFTP password, sent by direct message",
	    PERM_SFTP, CMD_ON_SERVER, "get SFTP access to", opts_sftp,
	    cmd_do_sftp, 0 },
	{ "server", "history", "Who changed a server, what and when",
	    PERM_VIEW, CMD_ON_SERVER, "see the history of", opts_server,
	    cmd_do_history, 0 },
	{ "server", "rollback", "Set a server as it was at a revision (asks "
	    "first)", PERM_EDIT, CMD_ON_SERVER, "roll back", opts_rollback,
	    cmd_do_rollback, 0 },
	{ "server", "console", "Type a command on a server's console",
	    PERM_CONSOLE, CMD_ON_SERVER, "type into the console of",
	    opts_console, cmd_do_console, 0 },
	{ "server", "logs", "The latest console lines, with Follow",
	    PERM_CONSOLE, CMD_ON_SERVER, "read the console of", opts_logs,
	    cmd_do_logs, 0 },
	{ "server", "backup", "Take a backup of a server's files now",
	    PERM_BACKUP, CMD_ON_SERVER, "back up", opts_backup, cmd_do_backup,
	    0 },
	{ "server", "restore", "Put a backup's files back (asks first)",
	    PERM_BACKUP, CMD_ON_SERVER, "restore", opts_restore,
	    cmd_do_restore, 0 },
	{ "server", "move", "Move a server and its files to another node "
	    "(asks first)", PERM_EDIT, CMD_ON_SERVER, "move", opts_move,
	    cmd_do_move, 0 },
	{ "server", "schedules", "A server's schedules: next and last runs, "
	    "Run now", PERM_VIEW, CMD_ON_SERVER, "see the schedules of",
	    opts_server, cmd_do_schedules, 0 },
	{ "node", "list", "List nodes with capacity and status", PERM_VIEW,
	    CMD_SELF, "list nodes", opts_none, cmd_do_node_list, 0 },
	{ "egg", "list", "List eggs, or the eggs of one nest", 0, CMD_SELF,
	    "list eggs", opts_egg_list, cmd_do_egg_list, 0 },
	/* a command without subcommands: sub is NULL */
	{ "plan", NULL, "What a branch of the state would do", PERM_VIEW,
	    CMD_SELF, "see plans", opts_plan, cmd_do_plan, 0 },
};

/*
 * Buttons and selects, by custom_id prefix (see the list at the top).
 * With CMD_ON_SERVER or CMD_PROPOSE, the argument after the prefix is the
 * server, checked as for a command row.
 */
static const struct cmd_prefix cmd_components[] = {
	{ "c:n:", 0, cmd_create_pick },
	{ "c:e:", 0, cmd_create_pick },
	{ "p:", 0, cmd_power_button },
	{ "r:", 0, cmd_refresh_button, CMD_ON_SERVER, PERM_VIEW, "see" },
	{ "d:", 0, cmd_delete_button, CMD_ON_SERVER, PERM_DELETE, "delete" },
	{ "x", 1, cmd_cancel_button },
	{ "vb:", 0, cmd_vars_button, CMD_PROPOSE, PERM_VARS,
	    "change the variables of" },
	{ "rv:", 0, cmd_revert_button },
	{ "rb:", 0, cmd_rollback_button },
	{ "lf:", 0, cmd_logs_follow_button, CMD_ON_SERVER, PERM_CONSOLE,
	    "follow the console of" },
	{ "ls:", 0, cmd_logs_send_button, CMD_ON_SERVER, PERM_CONSOLE,
	    "type into the console of" },
	{ "pa:", 0, cmd_approve_button },
	{ "pj:", 0, cmd_reject_button },
	{ "rs:", 0, cmd_restore_pick, CMD_ON_SERVER, PERM_BACKUP, "restore" },
	{ "ro:", 0, cmd_restore_button },
	{ "mv:", 0, cmd_move_button },
	{ "sr:", 0, cmd_schedule_run_button },
	{ "se:", 0, cmd_schedules_edit_button, CMD_ON_SERVER, PERM_EDIT,
	    "edit the schedules of" },
};

/* Modals, by custom_id prefix, checked as the components are. */
static const struct cmd_prefix cmd_modals[] = {
	{ "c:m:", 0, cmd_create_modal },
	{ "e:", 0, cmd_edit_modal, CMD_PROPOSE, PERM_EDIT, "edit" },
	{ "v:", 0, cmd_vars_submit, CMD_PROPOSE, PERM_VARS,
	    "change the variables of" },
	{ "lc:", 0, cmd_logs_send_modal, CMD_ON_SERVER, PERM_CONSOLE,
	    "type into the console of" },
	{ "sm:", 0, cmd_schedules_modal, CMD_ON_SERVER, PERM_EDIT,
	    "edit the schedules of" },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Checks the server name for a row of scope CMD_ON_SERVER or CMD_PROPOSE
 * and sets c->srv (and c->propose); -1 with *r set to the refusal.
 */
static int
call_server(struct cmd_call *c, int scope, unsigned perm, const char *what,
    const char *name, cJSON **r)
{
	if (scope == CMD_ON_SERVER &&
	    (c->srv = cmd_server_checked(c->env, c->x, name, perm, what,
	    r)) == NULL)
		return -1;
	if (scope == CMD_PROPOSE &&
	    (c->srv = cmd_server_or_propose(c->env, c->x, name, perm, what,
	    &c->propose, r)) == NULL)
		return -1;
	return 0;
}

/* A slash command: its row, the server check, the handler. */
static cJSON *
run_command(const struct cmd_env *env, const struct ix *x,
    struct cmd_job **job)
{
	const struct cmd_row	*row = NULL;
	struct cmd_call		 c;
	cJSON			*r;
	size_t			 i;

	for (i = 0; i < NELEM(cmd_rows) && row == NULL; i++)
		if (strcmp(cmd_rows[i].command, x->cmd) == 0 &&
		    (cmd_rows[i].sub == NULL ? x->sub == NULL : x->sub !=
		    NULL && strcmp(cmd_rows[i].sub, x->sub) == 0))
			row = &cmd_rows[i];
	if (row == NULL)
		return cmd_reply_text(1, "Unknown command.");
	memset(&c, 0, sizeof(c));
	c.env = env;
	c.x = x;
	c.row = row;
	c.job = job;
	if (call_server(&c, row->scope, row->perm, row->what,
	    cmd_opt_str(x, "server"), &r) == -1)
		return r;
	return row->fn(&c);
}

/* A component or modal: the handler of its custom_id's prefix. */
static cJSON *
run_prefixed(const struct cmd_env *env, const struct ix *x,
    const struct cmd_prefix *table, size_t n, const char *unhandled,
    struct cmd_job **job)
{
	const char	*cid = json_str(x->data, "custom_id", "");
	struct cmd_call	 c;
	cJSON		*r;
	size_t		 i, len;

	for (i = 0; i < n; i++) {
		len = strlen(table[i].prefix);
		if (table[i].exact ? strcmp(cid, table[i].prefix) != 0 :
		    strncmp(cid, table[i].prefix, len) != 0)
			continue;
		memset(&c, 0, sizeof(c));
		c.env = env;
		c.x = x;
		c.cid = cid;
		c.arg = cid + len;
		c.job = job;
		if (call_server(&c, table[i].scope, table[i].perm,
		    table[i].what, c.arg, &r) == -1)
			return r;
		return table[i].fn(&c);
	}
	return cmd_reply_text(1, "%s", unhandled);
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
		*reply = cmd_reply_text(1, "roost works in a server, not in "
		    "direct messages.");
		return;
	}
	switch (x.type) {
	case IX_COMMAND:
		*reply = run_command(env, &x, job);
		break;
	case IX_COMPONENT:
		*reply = run_prefixed(env, &x, cmd_components,
		    NELEM(cmd_components), "This button is no longer handled.",
		    job);
		break;
	case IX_AUTOCOMPLETE:
		*reply = cmd_do_autocomplete(env, &x);
		break;
	case IX_MODAL:
		*reply = run_prefixed(env, &x, cmd_modals, NELEM(cmd_modals),
		    "This form is no longer handled.", job);
		break;
	default:
		*reply = cmd_reply_text(1, "Unsupported interaction.");
		break;
	}
}

/* ---------------------------------------------------------- definitions */

/* Adds an option (or a subcommand, OPT_SUBCOMMAND) to arr. */
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

/* The command definitions, from cmd_rows; see commands.h. */
cJSON *
cmd_definitions(void)
{
	cJSON			*all = json_new_array(), *c, *subs, *s, *o;
	const struct cmd_opt	*op;
	size_t			 i, j;

	for (i = 0; i < NELEM(cmd_commands); i++) {
		c = json_new_object();
		json_add_str(c, "name", cmd_commands[i].name);
		json_add_str(c, "description", cmd_commands[i].desc);
		json_add_num(c, "type", APP_CHAT_INPUT);
		subs = json_add_array(c, "options");
		for (j = 0; j < NELEM(cmd_rows); j++) {
			if (strcmp(cmd_rows[j].command, cmd_commands[i].name)
			    != 0)
				continue;
			if (cmd_rows[j].sub == NULL) {
				/* the command's own options, no subcommand */
				for (op = cmd_rows[j].opts; op->name != NULL;
				    op++)
					opt(subs, op->type, op->name, op->desc,
					    op->required, op->autocomplete);
				continue;
			}
			s = opt(subs, OPT_SUBCOMMAND, cmd_rows[j].sub,
			    cmd_rows[j].desc, 0, 0);
			if (cmd_rows[j].opts[0].name == NULL)
				continue;
			o = json_add_array(s, "options");
			for (op = cmd_rows[j].opts; op->name != NULL; op++)
				opt(o, op->type, op->name, op->desc,
				    op->required, op->autocomplete);
		}
		cJSON_AddItemToArray(all, c);
	}
	return all;
}
