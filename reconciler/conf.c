/*
 * conf: loading roostd.yaml. Keys are described by a table; each entry
 * says how to read the value and where it goes.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "rerr.h"
#include "util.h"
#include "xmalloc.h"
#include "ydoc.h"

#include "conf.h"

enum conf_type {
	CT_STR,
	CT_DURATION,
	CT_BOOL,
	CT_USER,
	CT_MAP,
	CT_UINT,	/* a positive integer */
	CT_SIZE		/* bytes: 262144, 256KiB, 10MiB */
};

struct conf_key {
	const char	*parent;	/* NULL, "hub", "sftp" or "console" */
	const char	*name;
	enum conf_type	 type;
	size_t		 off;
};

#define OFF(f)	offsetof(struct conf, f)

static const struct conf_key conf_keys[] = {
	{ NULL, "node",			CT_STR,		OFF(node) },
	{ NULL, "repo",			CT_STR,		OFF(repo) },
	{ NULL, "branch",		CT_STR,		OFF(branch) },
	{ NULL, "sshKey",		CT_STR,		OFF(ssh_key) },
	{ NULL, "tokenFile",		CT_STR,		OFF(token_file) },
	{ NULL, "dataDir",		CT_STR,		OFF(data_dir) },
	{ NULL, "dockerSocket",		CT_STR,		OFF(docker_socket) },
	{ NULL, "api",			CT_STR,		OFF(api) },
	{ NULL, "pollInterval",		CT_DURATION,	OFF(poll_ms) },
	{ NULL, "hub",			CT_MAP,		0 },
	{ "hub", "url",			CT_STR,		OFF(hub_url) },
	{ "hub", "tokenFile",		CT_STR,		OFF(hub_token_file) },
	{ NULL, "sftp",			CT_MAP,		0 },
	{ "sftp", "enabled",		CT_BOOL,	OFF(sftp_enabled) },
	{ "sftp", "listen",		CT_STR,		OFF(sftp_listen) },
	{ "sftp", "hostKey",		CT_STR,		OFF(sftp_host_key) },
	{ NULL, "trashRetention",	CT_DURATION,	OFF(trash_ms) },
	{ NULL, "allowHistoryRewrite",	CT_BOOL,	OFF(allow_rewrite) },
	{ NULL, "allowEmpty",		CT_BOOL,	OFF(allow_empty) },
	{ NULL, "containerUser",	CT_USER,	0 },
	{ NULL, "network",		CT_STR,		OFF(network) },
	{ NULL, "stopTimeout",		CT_DURATION,	OFF(stop_ms) },
	{ NULL, "installTimeout",	CT_DURATION,	OFF(install_ms) },
	{ NULL, "apiGroup",		CT_STR,		OFF(api_group) },
	{ NULL, "console",		CT_MAP,		0 },
	{ "console", "lines",		CT_UINT,	OFF(con_lines) },
	{ "console", "bytes",		CT_SIZE,	OFF(con_bytes) },
	{ "console", "throttleLines",	CT_UINT,	OFF(con_throttle) },
	{ "console", "throttleInterval", CT_DURATION,	OFF(con_throttle_ms) },
	{ "console", "commandLimit",	CT_UINT,	OFF(con_rate) },
	{ "console", "commandWindow",	CT_DURATION,	OFF(con_rate_ms) },
	{ "console", "auditMaxSize",	CT_SIZE,	OFF(audit_max) },
};

static void
conf_defaults(struct conf *c)
{
	c->branch = xstrdup("main");
	c->data_dir = xstrdup("/var/lib/roost");
	c->docker_socket = xstrdup("/var/run/docker.sock");
	c->api = xstrdup("/run/roost/roostd.sock");
	c->poll_ms = 15 * 1000;
	c->sftp_enabled = 1;
	c->sftp_listen = xstrdup("0.0.0.0:2022");
	c->trash_ms = 7ULL * 86400 * 1000;
	c->uid = 999;
	c->gid = 999;
	c->network = xstrdup("roost0");
	c->stop_ms = 30 * 1000;
	c->install_ms = 30 * 60 * 1000;
	c->api_group = xstrdup("roost");
	c->con_lines = 1000;
	c->con_bytes = 256 * 1024;
	c->con_throttle = 2000;
	c->con_throttle_ms = 100;
	c->con_rate = 5;
	c->con_rate_ms = 10 * 1000;
	c->audit_max = 10 * 1024 * 1024;
}

/* Reads a positive integer, with a KiB/MiB/GiB suffix when size. */
static int
conf_parse_uint(const char *s, int size, uint64_t *out)
{
	unsigned long long	 v;
	char			*end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || v == 0)
		return -1;
	if (size && *end != '\0') {
		if (strcmp(end, "KiB") == 0 && v < (1ULL << 44))
			v <<= 10;
		else if (strcmp(end, "MiB") == 0 && v < (1ULL << 34))
			v <<= 20;
		else if (strcmp(end, "GiB") == 0 && v < (1ULL << 24))
			v <<= 30;
		else
			return -1;
	} else if (*end != '\0' || v > UINT32_MAX)
		return -1;
	*out = v;
	return 0;
}

static int
conf_parse_bool(const struct ydoc_node *v, int *out)
{
	static const char *yes[] = { "true", "True", "TRUE", "yes", "on" };
	static const char *no[] = { "false", "False", "FALSE", "no", "off" };
	size_t	i;

	for (i = 0; i < 5; i++) {
		if (strcmp(v->str, yes[i]) == 0)
			return *out = 1, 0;
		if (strcmp(v->str, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

static void
conf_set(struct conf *c, const struct conf_key *k, const struct ydoc_node *v,
    const char *path, struct diags *d)
{
	char		*end, **sp;
	unsigned long	 uid, gid;

	if (k->type != CT_MAP && !ydoc_is_scalar(v)) {
		diags_add(d, path, v->line, v->col, "'%s' must be a scalar, "
		    "not %s", k->name, ydoc_type_name(v));
		return;
	}
	switch (k->type) {
	case CT_STR:
		if (v->len == 0 || ydoc_is_null(v)) {
			diags_add(d, path, v->line, v->col,
			    "'%s' must not be empty", k->name);
			return;
		}
		sp = (char **)((char *)c + k->off);
		free(*sp);
		*sp = xstrdup(v->str);
		break;
	case CT_DURATION:
		if (util_parse_duration(v->str, (uint64_t *)((char *)c +
		    k->off)) == -1)
			diags_add(d, path, v->line, v->col, "'%s' must be a "
			    "duration such as 500ms, 15s, 5m, 2h or 7d, not "
			    "'%s'", k->name, v->str);
		break;
	case CT_BOOL:
		if (conf_parse_bool(v, (int *)((char *)c + k->off)) == -1)
			diags_add(d, path, v->line, v->col, "'%s' must be true "
			    "or false, not '%s'", k->name, v->str);
		break;
	case CT_USER:
		errno = 0;
		uid = strtoul(v->str, &end, 10);
		gid = uid;
		if (*end == ':')
			gid = strtoul(end + 1, &end, 10);
		if (errno != 0 || *end != '\0' || end == v->str ||
		    uid == 0 || gid == 0 || uid > INT_MAX || gid > INT_MAX) {
			diags_add(d, path, v->line, v->col, "'containerUser' "
			    "must be UID:GID with non-zero numbers (e.g. "
			    "999:999), not '%s'", v->str);
			return;
		}
		c->uid = (uid_t)uid;
		c->gid = (gid_t)gid;
		break;
	case CT_UINT:
	case CT_SIZE:
		if (conf_parse_uint(v->str, k->type == CT_SIZE,
		    (uint64_t *)((char *)c + k->off)) == -1)
			diags_add(d, path, v->line, v->col, "'%s' must be %s, "
			    "not '%s'", k->name, k->type == CT_SIZE ? "a size "
			    "such as 262144, 256KiB or 10MiB" : "a positive "
			    "integer", v->str);
		break;
	case CT_MAP:
		break;
	}
}

static void
conf_walk(struct conf *c, const struct ydoc_node *map, const char *parent,
    const char *path, struct diags *d)
{
	const struct conf_key	*k;
	size_t			 i, j;

	for (i = 0; i < map->n; i++) {
		const struct ydoc_node *key = ydoc_key(map, i);
		const struct ydoc_node *val = ydoc_val(map, i);

		k = NULL;
		for (j = 0; j < sizeof(conf_keys) / sizeof(conf_keys[0]);
		    j++) {
			const struct conf_key *t = &conf_keys[j];

			if (strcmp(t->name, key->str) != 0)
				continue;
			if ((parent == NULL) != (t->parent == NULL))
				continue;
			if (parent != NULL && strcmp(parent, t->parent) != 0)
				continue;
			k = t;
			break;
		}
		if (k == NULL) {
			if (parent != NULL)
				diags_add(d, path, key->line, key->col,
				    "unknown key '%s' in '%s'", key->str,
				    parent);
			else
				diags_add(d, path, key->line, key->col,
				    "unknown key '%s'", key->str);
			continue;
		}
		if (k->type == CT_MAP) {
			if (ydoc_is_null(val))
				continue;
			if (val->type != YDOC_MAP) {
				diags_add(d, path, val->line, val->col,
				    "'%s' must be a map, not %s", k->name,
				    ydoc_type_name(val));
				continue;
			}
			conf_walk(c, val, k->name, path, d);
			continue;
		}
		conf_set(c, k, val, path, d);
	}
}

/* Loads roostd.yaml; see conf.h. */
int
conf_load(struct conf **out, const char *path, struct diags *d)
{
	struct buf	 b;
	struct rerr	 err;
	struct ydoc	*doc = NULL;
	struct conf	*c;
	size_t		 before = d->nerrors;
	int		 rc;

	*out = NULL;
	buf_init(&b, 1 << 20);
	rerr_init(&err);
	if ((rc = util_read_file(path, &b, &err)) != 0) {
		diags_add(d, path, 0, 0, "%s", err.msg);
		buf_dispose(&b);
		return -1;
	}
	rc = ydoc_parse(&doc, path, buf_str(&b), b.len, d);
	buf_dispose(&b);
	if (rc != 0)
		return ROOST_EINVAL;
	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	conf_defaults(c);
	if (doc->root == NULL || doc->root->type != YDOC_MAP)
		diags_add(d, path, doc->root ? doc->root->line : 1,
		    doc->root ? doc->root->col : 1,
		    "the configuration must be a map of keys");
	else
		conf_walk(c, doc->root, NULL, path, d);
	if (c->node == NULL)
		diags_add(d, path, 0, 0, "'node' is required: the name of "
		    "this node's file under nodes/ in the state repository");
	if (c->repo == NULL)
		diags_add(d, path, 0, 0, "'repo' is required: a path or URL "
		    "of the state repository");
	if (c->poll_ms < 1000 && c->poll_ms != 0)
		diags_add(d, path, 0, 0, "'pollInterval' must be at least 1s");
	if (c->hub_url != NULL && c->hub_token_file == NULL)
		diags_add(d, path, 0, 0, "'hub.tokenFile' is required when "
		    "'hub.url' is set");
	if (c->con_throttle_ms == 0 || c->con_rate_ms == 0)
		diags_add(d, path, 0, 0, "'console.throttleInterval' and "
		    "'console.commandWindow' must not be 0");
	if (c->sftp_host_key == NULL)
		xasprintf(&c->sftp_host_key, "%s/sftp/host_ed25519",
		    c->data_dir);
	ydoc_free(doc);
	if (d->nerrors > before) {
		conf_free(c);
		return ROOST_EINVAL;
	}
	*out = c;
	return 0;
}

/* Frees a configuration. */
void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->node);
	free(c->repo);
	free(c->branch);
	free(c->ssh_key);
	free(c->token_file);
	free(c->data_dir);
	free(c->docker_socket);
	free(c->api);
	free(c->hub_url);
	free(c->hub_token_file);
	free(c->sftp_listen);
	free(c->sftp_host_key);
	free(c->network);
	free(c->api_group);
	free(c);
}
