/*
 * conf: loading bot.yaml, roost-bot's configuration, with a table that
 * lib/fields.c reads (the same reader as the state files and roostd.yaml).
 * Every problem is reported with its path:line:col; the Discord token
 * never sits in the file itself, only the name of the file that holds it.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "fields.h"
#include "rerr.h"
#include "state.h"
#include "util.h"
#include "xmalloc.h"
#include "ydoc.h"

#include "bot.h"

#define OFF(f)	offsetof(struct bot_conf, f)

static field_fn	conf_snowflake, conf_guilds, conf_url, conf_repo,
		conf_hub_nodes, conf_hub_listen;

static const struct field conf_repo_keys[] = {
	{ "url",	FIELD_STR, OFF(repo), 0, 0, FIELD_NONEMPTY },
	{ "branch",	FIELD_STR, OFF(branch), 0, 0, FIELD_NONEMPTY },
	{ "sshKey",	FIELD_STR, OFF(ssh_key), 0, 0, FIELD_NONEMPTY },
	{ "tokenFile",	FIELD_STR, OFF(repo_token_file), 0, 0, FIELD_NONEMPTY },
	{ "hostKey",	FIELD_STR, OFF(host_key), 0, 0, FIELD_NONEMPTY },
	{ NULL }
};

/* hub.tls: the hub serves wss:// with this certificate and key. */
static const struct field conf_hub_tls_keys[] = {
	{ "cert",	FIELD_STR, OFF(hub_tls_cert), 0, 0, FIELD_NONEMPTY },
	{ "key",	FIELD_STR, OFF(hub_tls_key), 0, 0, FIELD_NONEMPTY },
	{ NULL }
};

static const struct field conf_hub_keys[] = {
	{ "listen",	FIELD_FUNC, OFF(hub_listen), 0, 0,
	    FIELD_FREE, NULL, conf_hub_listen },
	{ "nodes",	FIELD_FUNC, 0, 0, 0, 0, NULL, conf_hub_nodes },
	{ "tls",	FIELD_MAP, 0, 0, 0, 0, conf_hub_tls_keys },
	{ NULL }
};

static const struct field conf_committer_keys[] = {
	{ "name",	FIELD_STR, OFF(committer_name), 0, 0, FIELD_NONEMPTY },
	{ "email",	FIELD_STR, OFF(committer_email), 0, 0, FIELD_NONEMPTY },
	{ NULL }
};

/* bot.yaml, read by lib/fields.c. */
static const struct field conf_keys[] = {
	{ "tokenFile",		FIELD_STR, OFF(token_file), 0, 0,
	    FIELD_NONEMPTY },
	{ "applicationId",	FIELD_FUNC, OFF(application_id), 0, 0,
	    FIELD_FREE, NULL, conf_snowflake },
	{ "guilds",		FIELD_FUNC, 0, 0, 0, 0, NULL, conf_guilds },
	{ "apiBase",		FIELD_FUNC, OFF(api_base), 0, 0,
	    FIELD_FREE, NULL, conf_url },
	{ "gatewayUrl",		FIELD_FUNC, OFF(gateway_url), 0, 0,
	    FIELD_FREE, NULL, conf_url },
	{ "repo",		FIELD_FUNC, 0, 0, 0, 0, NULL, conf_repo },
	{ "workdir",		FIELD_STR, OFF(workdir), 0, 0, FIELD_NONEMPTY },
	{ "hub",		FIELD_MAP, 0, 0, 0, 0, conf_hub_keys },
	{ "committer",		FIELD_MAP, 0, 0, 0, 0, conf_committer_keys },
	{ "workers",		FIELD_INT, OFF(workers), 1, 64 },
	{ "ackers",		FIELD_INT, OFF(ackers), 1, 64 },
	/* A duration; plain seconds as before. */
	{ "refreshInterval",	FIELD_SECONDS, OFF(refresh_s), 1, 86400 },
	{ "statusFollowMinutes", FIELD_INT, OFF(status_follow_min), 1, 1440 },
	{ "auditChannel",	FIELD_FUNC, OFF(audit_channel), 0, 0,
	    FIELD_FREE, NULL, conf_snowflake },
	{ "deployChannel",	FIELD_FUNC, OFF(deploy_channel), 0, 0,
	    FIELD_FREE, NULL, conf_snowflake },
	{ "reviewChannel",	FIELD_FUNC, OFF(review_channel), 0, 0,
	    FIELD_FREE, NULL, conf_snowflake },
	{ NULL }
};

/* A non-empty string value into *out; -1 (reported) when it is not one. */
static int
conf_str(struct fields_ctx *fc, const char *name, const struct ydoc_node *v,
    char **out)
{
	if (!ydoc_is_scalar(v) || ydoc_is_null(v) || v->len == 0) {
		fields_err(fc, v, "'%s' must be a non-empty string", name);
		return -1;
	}
	free(*out);
	*out = xstrdup(v->str);
	return 0;
}

static int
hex64_ok(const char *s)
{
	size_t	i;

	if (strlen(s) != 64)
		return 0;
	for (i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* applicationId: a Discord id, checked as every Discord id is. */
static void
conf_snowflake(struct fields_ctx *fc, const struct field *f,
    const char *name, const struct ydoc_node *v, void *obj)
{
	char	**sp = (char **)((char *)obj + f->off);

	if (conf_str(fc, name, v, sp) == 0 && !state_snowflake_valid(*sp))
		fields_err(fc, v, "'%s' must be a Discord id (17 to 20 "
		    "digits, no leading zero), not '%s'", name, v->str);
}

static void
conf_guilds(struct fields_ctx *fc, const struct field *f, const char *name,
    const struct ydoc_node *v, void *obj)
{
	struct bot_conf	*c = obj;
	size_t		 j;

	if (ydoc_is_null(v))
		return;
	if (v->type != YDOC_SEQ) {
		fields_err(fc, v, "'%s' must be a list of guild ids", name);
		return;
	}
	c->guilds = xcalloc(v->n + 1, sizeof(char *));
	for (j = 0; j < v->n; j++) {
		const struct ydoc_node *g = ydoc_item(v, j);

		if (!ydoc_is_scalar(g) || !state_snowflake_valid(g->str)) {
			fields_err(fc, g, "a guild must be a Discord id (17 to "
			    "20 digits, no leading zero)");
			continue;
		}
		c->guilds[c->nguilds++] = xstrdup(g->str);
	}
}

/* apiBase (http:// or https://) and gatewayUrl (ws:// or wss://). */
static void
conf_url(struct fields_ctx *fc, const struct field *f, const char *name,
    const struct ydoc_node *v, void *obj)
{
	char	**sp = (char **)((char *)obj + f->off);
	int	  ws = strcmp(f->name, "gatewayUrl") == 0;

	if (conf_str(fc, name, v, sp) != 0)
		return;
	if (ws && strncmp(*sp, "wss://", 6) != 0 &&
	    strncmp(*sp, "ws://", 5) != 0)
		fields_err(fc, v, "'%s' must be a ws:// or wss:// URL", name);
	else if (!ws && strncmp(*sp, "https://", 8) != 0 &&
	    strncmp(*sp, "http://", 7) != 0)
		fields_err(fc, v, "'%s' must be an http(s) URL", name);
}

/* repo: a URL or path, or a map with url and how to reach it. */
static void
conf_repo(struct fields_ctx *fc, const struct field *f, const char *name,
    const struct ydoc_node *v, void *obj)
{
	struct bot_conf	*c = obj;

	if (ydoc_is_scalar(v)) {
		conf_str(fc, name, v, &c->repo);
		return;
	}
	if (v->type != YDOC_MAP) {
		fields_err(fc, v, "'%s' must be a URL or path, or a map with "
		    "'url'", name);
		return;
	}
	fields_fill_prefix(fc, v, conf_repo_keys, SIZE_MAX, c, name);
	if (c->repo == NULL)
		fields_err(fc, v, "'repo.url' is required");
}

static void
conf_hub_listen(struct fields_ctx *fc, const struct field *f,
    const char *name, const struct ydoc_node *v, void *obj)
{
	struct bot_conf	*c = obj;

	if (conf_str(fc, name, v, &c->hub_listen) == 0 &&
	    strrchr(c->hub_listen, ':') == NULL)
		fields_err(fc, v, "'%s' must be ADDRESS:PORT, not '%s'", name,
		    c->hub_listen);
}

static void
conf_hub_nodes(struct fields_ctx *fc, const struct field *f,
    const char *name, const struct ydoc_node *nodes, void *obj)
{
	struct bot_conf	*c = obj;
	size_t		 i, j;

	if (ydoc_is_null(nodes))
		return;
	if (nodes->type != YDOC_SEQ) {
		fields_err(fc, nodes, "'%s' must be a list of {name, "
		    "tokenSha256}", name);
		return;
	}
	c->hub_nodes = xcalloc(nodes->n, sizeof(*c->hub_nodes));
	for (i = 0; i < nodes->n; i++) {
		const struct ydoc_node *e = ydoc_item(nodes, i);
		struct bot_hub_node *hn = &c->hub_nodes[c->nhub_nodes];

		if (e->type != YDOC_MAP) {
			fields_err(fc, e, "each hub node must be a map with "
			    "'name' and 'tokenSha256'");
			continue;
		}
		c->nhub_nodes++;
		for (j = 0; j < e->n; j++) {
			const struct ydoc_node *k = ydoc_key(e, j);
			const struct ydoc_node *x = ydoc_val(e, j);
			static const char *const known[] = { "name",
			    "tokenSha256", NULL };

			if (strcmp(k->str, "name") == 0)
				conf_str(fc, "name", x, &hn->name);
			else if (strcmp(k->str, "tokenSha256") == 0) {
				if (conf_str(fc, "tokenSha256", x,
				    &hn->token_sha256) == 0 &&
				    !hex64_ok(hn->token_sha256))
					fields_err(fc, x, "'tokenSha256' must "
					    "be 64 hex digits (sha256sum of "
					    "the node's token file)");
				else if (hn->token_sha256 != NULL) {
					char *p;

					for (p = hn->token_sha256; *p; p++)
						*p = (char)tolower(
						    (unsigned char)*p);
				}
			} else
				fields_unknown(fc, k, "a hub node", NULL, 0,
				    known);
		}
		if (hn->name == NULL || hn->token_sha256 == NULL)
			fields_err(fc, e, "a hub node needs 'name' and "
			    "'tokenSha256'");
	}
}

static int
conf_read_token(struct bot_conf *c, struct diags *d)
{
	struct buf	 b;
	struct rerr	 err;
	char		*nl;

	buf_init(&b, 4096);
	rerr_init(&err);
	if (util_read_file(c->token_file, &b, &err) != 0) {
		diags_add(d, c->path, 0, 0, "cannot read the token file: %s",
		    err.msg);
		buf_dispose(&b);
		return -1;
	}
	c->token = buf_detach(&b);
	if ((nl = strpbrk(c->token, "\r\n")) != NULL)
		*nl = '\0';
	if (strncmp(c->token, "Bot ", 4) == 0)
		memmove(c->token, c->token + 4, strlen(c->token + 4) + 1);
	if (c->token[0] == '\0') {
		diags_add(d, c->path, 0, 0, "the token file '%s' is empty",
		    c->token_file);
		return -1;
	}
	return 0;
}

/* Loads bot.yaml; see bot.h. */
int
bot_conf_load(struct bot_conf **out, const char *path, int read_token,
    struct diags *d, struct rerr *err)
{
	struct bot_conf		*c;
	size_t			 before = d->nerrors;
	int			 rc;

	*out = NULL;
	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	c->workers = 4;
	c->ackers = 32;
	c->refresh_s = 30;
	c->status_follow_min = 60;
	if ((rc = fields_load(path, conf_keys, c, d, err)) != 0) {
		bot_conf_free(c);
		return rc;
	}
	if (c->api_base == NULL)
		c->api_base = xstrdup("https://discord.com/api/v10");
	if (c->token_file == NULL)
		diags_add(d, path, 0, 0, "'tokenFile' is required: a file "
		    "holding the bot token (never the token itself)");
	if (c->application_id == NULL)
		diags_add(d, path, 0, 0, "'applicationId' is required: the "
		    "application id from the Discord developer portal");
	if (c->repo == NULL)
		diags_add(d, path, 0, 0, "'repo' is required: a path or URL "
		    "of the state repository");
	if (c->repo != NULL && c->workdir == NULL &&
	    strstr(c->repo, "://") != NULL)
		diags_add(d, path, 0, 0, "'workdir' is required when 'repo' "
		    "is a URL: the bot keeps its clone there");
	if (c->nhub_nodes > 0 && c->hub_listen == NULL)
		diags_add(d, path, 0, 0, "'hub.listen' is required when hub "
		    "nodes are listed");
	if ((c->hub_tls_cert == NULL) != (c->hub_tls_key == NULL))
		diags_add(d, path, 0, 0, "'hub.tls' needs both 'cert' and "
		    "'key'");
	if (c->committer_name == NULL)
		c->committer_name = xstrdup("roost-bot");
	if (c->committer_email == NULL)
		c->committer_email = xstrdup("roost-bot@localhost");
	if (d->nerrors == before && read_token && c->token_file != NULL)
		conf_read_token(c, d);
	if (d->nerrors > before) {
		bot_conf_free(c);
		return ROOST_EINVAL;
	}
	*out = c;
	return 0;
}

/* Frees a configuration. */
void
bot_conf_free(struct bot_conf *c)
{
	size_t	i;

	if (c == NULL)
		return;
	fields_free(conf_keys, c);
	fields_free(conf_repo_keys, c);
	free(c->path);
	if (c->token != NULL) {
		explicit_bzero(c->token, strlen(c->token));
		free(c->token);
	}
	strv_free(c->guilds, c->nguilds);
	for (i = 0; i < c->nhub_nodes; i++) {
		free(c->hub_nodes[i].name);
		free(c->hub_nodes[i].token_sha256);
	}
	free(c->hub_nodes);
	free(c);
}
