/*
 * conf: loading bot.yaml, roost-bot's configuration. Every problem is
 * reported with its path:line:col; the Discord token never sits in the
 * file itself, only the name of the file that holds it.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "rerr.h"
#include "util.h"
#include "xmalloc.h"
#include "ydoc.h"

#include "bot.h"

static int
conf_str(const struct ydoc_node *v, const char *key, const char *path,
    char **out, struct diags *d)
{
	if (!ydoc_is_scalar(v) || ydoc_is_null(v) || v->len == 0) {
		diags_add(d, path, v->line, v->col, "'%s' must be a non-empty "
		    "string", key);
		return -1;
	}
	free(*out);
	*out = xstrdup(v->str);
	return 0;
}

static int
conf_int(const struct ydoc_node *v, const char *key, const char *path,
    int lo, int hi, int *out, struct diags *d)
{
	char	*end;
	long	 n;

	if (!ydoc_is_scalar(v) || v->style != YDOC_PLAIN) {
		diags_add(d, path, v->line, v->col, "'%s' must be a number",
		    key);
		return -1;
	}
	n = strtol(v->str, &end, 10);
	if (*end != '\0' || end == v->str || n < lo || n > hi) {
		diags_add(d, path, v->line, v->col, "'%s' must be a number "
		    "from %d to %d, not '%s'", key, lo, hi, v->str);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int
snowflake_ok(const char *s)
{
	size_t	n = strlen(s), i;

	if (n < 17 || n > 20)
		return 0;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
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

static void
conf_repo(struct bot_conf *c, const struct ydoc_node *v, const char *path,
    struct diags *d)
{
	size_t	i;

	if (ydoc_is_scalar(v)) {
		conf_str(v, "repo", path, &c->repo, d);
		return;
	}
	if (v->type != YDOC_MAP) {
		diags_add(d, path, v->line, v->col, "'repo' must be a URL or "
		    "path, or a map with 'url'");
		return;
	}
	for (i = 0; i < v->n; i++) {
		const struct ydoc_node *k = ydoc_key(v, i), *x = ydoc_val(v, i);

		if (strcmp(k->str, "url") == 0)
			conf_str(x, "repo.url", path, &c->repo, d);
		else if (strcmp(k->str, "branch") == 0)
			conf_str(x, "repo.branch", path, &c->branch, d);
		else if (strcmp(k->str, "sshKey") == 0)
			conf_str(x, "repo.sshKey", path, &c->ssh_key, d);
		else if (strcmp(k->str, "tokenFile") == 0)
			conf_str(x, "repo.tokenFile", path,
			    &c->repo_token_file, d);
		else if (strcmp(k->str, "hostKey") == 0)
			conf_str(x, "repo.hostKey", path, &c->host_key, d);
		else
			diags_add(d, path, k->line, k->col, "unknown key '%s' "
			    "in 'repo'", k->str);
	}
	if (c->repo == NULL)
		diags_add(d, path, v->line, v->col, "'repo.url' is required");
}

static void
conf_hub_tls(struct bot_conf *c, const struct ydoc_node *v, const char *path,
    struct diags *d)
{
	size_t	i;

	if (v->type != YDOC_MAP) {
		diags_add(d, path, v->line, v->col, "'hub.tls' must be a map "
		    "with 'cert' and 'key'");
		return;
	}
	for (i = 0; i < v->n; i++) {
		const struct ydoc_node *k = ydoc_key(v, i), *x = ydoc_val(v, i);

		if (strcmp(k->str, "cert") == 0)
			conf_str(x, "hub.tls.cert", path, &c->hub_tls_cert, d);
		else if (strcmp(k->str, "key") == 0)
			conf_str(x, "hub.tls.key", path, &c->hub_tls_key, d);
		else
			diags_add(d, path, k->line, k->col, "unknown key '%s' "
			    "in 'hub.tls'", k->str);
	}
	if ((c->hub_tls_cert == NULL) != (c->hub_tls_key == NULL))
		diags_add(d, path, v->line, v->col, "'hub.tls' needs both "
		    "'cert' and 'key'");
}

static void
conf_hub(struct bot_conf *c, const struct ydoc_node *v, const char *path,
    struct diags *d)
{
	const struct ydoc_node	*nodes = NULL;
	size_t			 i, j;

	if (v->type != YDOC_MAP) {
		diags_add(d, path, v->line, v->col, "'hub' must be a map");
		return;
	}
	for (i = 0; i < v->n; i++) {
		const struct ydoc_node *k = ydoc_key(v, i), *x = ydoc_val(v, i);

		if (strcmp(k->str, "listen") == 0)
			conf_str(x, "hub.listen", path, &c->hub_listen, d);
		else if (strcmp(k->str, "nodes") == 0)
			nodes = x;
		else if (strcmp(k->str, "tls") == 0)
			conf_hub_tls(c, x, path, d);
		else
			diags_add(d, path, k->line, k->col, "unknown key '%s' "
			    "in 'hub'", k->str);
	}
	if (c->hub_listen != NULL && strrchr(c->hub_listen, ':') == NULL)
		diags_add(d, path, v->line, v->col, "'hub.listen' must be "
		    "ADDRESS:PORT, not '%s'", c->hub_listen);
	if (nodes == NULL || ydoc_is_null(nodes))
		return;
	if (nodes->type != YDOC_SEQ) {
		diags_add(d, path, nodes->line, nodes->col, "'hub.nodes' must "
		    "be a list of {name, tokenSha256}");
		return;
	}
	c->hub_nodes = xcalloc(nodes->n, sizeof(*c->hub_nodes));
	for (i = 0; i < nodes->n; i++) {
		const struct ydoc_node *e = ydoc_item(nodes, i);
		struct bot_hub_node *hn = &c->hub_nodes[c->nhub_nodes];

		if (e->type != YDOC_MAP) {
			diags_add(d, path, e->line, e->col, "each hub node must "
			    "be a map with 'name' and 'tokenSha256'");
			continue;
		}
		c->nhub_nodes++;
		for (j = 0; j < e->n; j++) {
			const struct ydoc_node *k = ydoc_key(e, j);
			const struct ydoc_node *x = ydoc_val(e, j);

			if (strcmp(k->str, "name") == 0)
				conf_str(x, "name", path, &hn->name, d);
			else if (strcmp(k->str, "tokenSha256") == 0) {
				if (conf_str(x, "tokenSha256", path,
				    &hn->token_sha256, d) == 0 &&
				    !hex64_ok(hn->token_sha256))
					diags_add(d, path, x->line, x->col,
					    "'tokenSha256' must be 64 hex "
					    "digits (sha256sum of the node's "
					    "token file)");
				else if (hn->token_sha256 != NULL) {
					char *p;

					for (p = hn->token_sha256; *p; p++)
						*p = (char)tolower(
						    (unsigned char)*p);
				}
			} else
				diags_add(d, path, k->line, k->col, "unknown "
				    "key '%s' in a hub node", k->str);
		}
		if (hn->name == NULL || hn->token_sha256 == NULL)
			diags_add(d, path, e->line, e->col, "a hub node needs "
			    "'name' and 'tokenSha256'");
	}
}

static void
conf_committer(struct bot_conf *c, const struct ydoc_node *v,
    const char *path, struct diags *d)
{
	size_t	i;

	if (v->type != YDOC_MAP) {
		diags_add(d, path, v->line, v->col, "'committer' must be a map "
		    "with 'name' and 'email'");
		return;
	}
	for (i = 0; i < v->n; i++) {
		const struct ydoc_node *k = ydoc_key(v, i), *x = ydoc_val(v, i);

		if (strcmp(k->str, "name") == 0)
			conf_str(x, "committer.name", path, &c->committer_name,
			    d);
		else if (strcmp(k->str, "email") == 0)
			conf_str(x, "committer.email", path,
			    &c->committer_email, d);
		else
			diags_add(d, path, k->line, k->col, "unknown key '%s' "
			    "in 'committer'", k->str);
	}
}

static void
conf_walk(struct bot_conf *c, const struct ydoc_node *map, const char *path,
    struct diags *d)
{
	size_t	i, j;

	for (i = 0; i < map->n; i++) {
		const struct ydoc_node *k = ydoc_key(map, i);
		const struct ydoc_node *v = ydoc_val(map, i);
		const char *key = k->str;

		if (strcmp(key, "tokenFile") == 0)
			conf_str(v, key, path, &c->token_file, d);
		else if (strcmp(key, "applicationId") == 0) {
			if (conf_str(v, key, path, &c->application_id, d) ==
			    0 && !snowflake_ok(c->application_id))
				diags_add(d, path, v->line, v->col,
				    "'applicationId' must be a Discord id "
				    "(17 to 20 digits), not '%s'", v->str);
		} else if (strcmp(key, "guilds") == 0) {
			if (ydoc_is_null(v))
				continue;
			if (v->type != YDOC_SEQ) {
				diags_add(d, path, v->line, v->col, "'guilds' "
				    "must be a list of guild ids");
				continue;
			}
			c->guilds = xcalloc(v->n + 1, sizeof(char *));
			for (j = 0; j < v->n; j++) {
				const struct ydoc_node *g = ydoc_item(v, j);

				if (!ydoc_is_scalar(g) || !snowflake_ok(g->str)) {
					diags_add(d, path, g->line, g->col,
					    "a guild must be a Discord id (17 "
					    "to 20 digits)");
					continue;
				}
				c->guilds[c->nguilds++] = xstrdup(g->str);
			}
		} else if (strcmp(key, "apiBase") == 0) {
			if (conf_str(v, key, path, &c->api_base, d) == 0 &&
			    strncmp(c->api_base, "https://", 8) != 0 &&
			    strncmp(c->api_base, "http://", 7) != 0)
				diags_add(d, path, v->line, v->col, "'apiBase' "
				    "must be an http(s) URL");
		} else if (strcmp(key, "gatewayUrl") == 0) {
			if (conf_str(v, key, path, &c->gateway_url, d) == 0 &&
			    strncmp(c->gateway_url, "wss://", 6) != 0 &&
			    strncmp(c->gateway_url, "ws://", 5) != 0)
				diags_add(d, path, v->line, v->col,
				    "'gatewayUrl' must be a ws:// or wss:// "
				    "URL");
		} else if (strcmp(key, "repo") == 0)
			conf_repo(c, v, path, d);
		else if (strcmp(key, "workdir") == 0)
			conf_str(v, key, path, &c->workdir, d);
		else if (strcmp(key, "hub") == 0)
			conf_hub(c, v, path, d);
		else if (strcmp(key, "committer") == 0)
			conf_committer(c, v, path, d);
		else if (strcmp(key, "workers") == 0)
			conf_int(v, key, path, 1, 64, &c->workers, d);
		else if (strcmp(key, "ackers") == 0)
			conf_int(v, key, path, 1, 64, &c->ackers, d);
		else if (strcmp(key, "refreshInterval") == 0)
			conf_int(v, key, path, 1, 86400, &c->refresh_s, d);
		else if (strcmp(key, "statusFollowMinutes") == 0)
			conf_int(v, key, path, 1, 1440, &c->status_follow_min,
			    d);
		else
			diags_add(d, path, k->line, k->col, "unknown key '%s'",
			    key);
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
	struct buf		 b;
	struct ydoc		*doc = NULL;
	struct bot_conf		*c;
	size_t			 before = d->nerrors;
	int			 rc;

	*out = NULL;
	buf_init(&b, 1 << 20);
	if ((rc = util_read_file(path, &b, err)) != 0) {
		buf_dispose(&b);
		return rc;
	}
	rc = ydoc_parse(&doc, path, buf_str(&b), b.len, d);
	buf_dispose(&b);
	if (rc != 0)
		return ROOST_EINVAL;
	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	c->workers = 4;
	c->ackers = 32;
	c->refresh_s = 30;
	c->status_follow_min = 60;
	if (doc->root == NULL || doc->root->type != YDOC_MAP)
		diags_add(d, path, 1, 1, "the configuration must be a map of "
		    "keys");
	else
		conf_walk(c, doc->root, path, d);
	ydoc_free(doc);
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
	free(c->path);
	free(c->token_file);
	if (c->token != NULL) {
		explicit_bzero(c->token, strlen(c->token));
		free(c->token);
	}
	free(c->application_id);
	for (i = 0; i < c->nguilds; i++)
		free(c->guilds[i]);
	free(c->guilds);
	free(c->api_base);
	free(c->gateway_url);
	free(c->repo);
	free(c->branch);
	free(c->ssh_key);
	free(c->repo_token_file);
	free(c->host_key);
	free(c->workdir);
	free(c->hub_listen);
	free(c->hub_tls_cert);
	free(c->hub_tls_key);
	for (i = 0; i < c->nhub_nodes; i++) {
		free(c->hub_nodes[i].name);
		free(c->hub_nodes[i].token_sha256);
	}
	free(c->hub_nodes);
	free(c->committer_name);
	free(c->committer_email);
	free(c);
}
