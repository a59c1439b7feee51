/*
 * conf: loading roostd.yaml. Keys are described by a table that
 * lib/fields.c reads, the same reader as the state files and bot.yaml:
 * types, durations, bounds, positions and "did you mean".
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "fields.h"
#include "rerr.h"
#include "xmalloc.h"
#include "ydoc.h"

#include "conf.h"

#define OFF(f)	offsetof(struct conf, f)

static field_fn	conf_user, conf_count, conf_size, conf_targets;

static const struct field conf_hub_keys[] = {
	{ "url",		FIELD_STR, OFF(hub_url), 0, 0, FIELD_NONEMPTY },
	{ "tokenFile",		FIELD_STR, OFF(hub_token_file), 0, 0,
	    FIELD_NONEMPTY },
	/* wss://: the CA bundle that signed the hub's certificate */
	{ "caFile",		FIELD_STR, OFF(hub_ca_file), 0, 0,
	    FIELD_NONEMPTY },
	{ NULL }
};

static const struct field conf_sftp_keys[] = {
	{ "enabled",		FIELD_BOOL, OFF(sftp_enabled) },
	{ "listen",		FIELD_STR, OFF(sftp_listen), 0, 0,
	    FIELD_NONEMPTY },
	{ "hostKey",		FIELD_STR, OFF(sftp_host_key), 0, 0,
	    FIELD_NONEMPTY },
	{ NULL }
};

/* console: each server's ring, flood throttle, command rate, audit log */
static const struct field conf_console_keys[] = {
	{ "lines",		FIELD_FUNC, OFF(con_lines), 0, 0, 0, NULL,
	    conf_count },
	{ "bytes",		FIELD_FUNC, OFF(con_bytes), 0, 0, 0, NULL,
	    conf_size },
	{ "throttleLines",	FIELD_FUNC, OFF(con_throttle), 0, 0, 0, NULL,
	    conf_count },
	{ "throttleInterval",	FIELD_DURATION, OFF(con_throttle_ms) },
	{ "commandLimit",	FIELD_FUNC, OFF(con_rate), 0, 0, 0, NULL,
	    conf_count },
	{ "commandWindow",	FIELD_DURATION, OFF(con_rate_ms) },
	{ "auditMaxSize",	FIELD_FUNC, OFF(audit_max), 0, 0, 0, NULL,
	    conf_size },
	{ NULL }
};

/* backups: where archives go and how hard they are compressed */
static const struct field conf_backup_keys[] = {
	{ "targets",		FIELD_FUNC, 0, 0, 0, 0, NULL, conf_targets },
	{ "compressionLevel",	FIELD_INT, OFF(backup_level), 1, 19 },
	{ NULL }
};

#define TOFF(f)	offsetof(struct conf_target, f)

/* One target: { type: local, path } or { type: s3, endpoint, ... }. */
static const struct field conf_target_keys[] = {
	{ "type",		FIELD_SKIP },
	{ "path",		FIELD_STR, TOFF(path), 0, 0, FIELD_NONEMPTY },
	{ "endpoint",		FIELD_STR, TOFF(endpoint), 0, 0,
	    FIELD_NONEMPTY },
	{ "bucket",		FIELD_STR, TOFF(bucket), 0, 0, FIELD_NONEMPTY },
	{ "region",		FIELD_STR, TOFF(region), 0, 0, FIELD_NONEMPTY },
	{ "prefix",		FIELD_STR, TOFF(prefix), 0, 0 },
	{ "pathStyle",		FIELD_BOOL, TOFF(path_style) },
	{ "accessKeyFile",	FIELD_STR, TOFF(access_key_file), 0, 0,
	    FIELD_NONEMPTY },
	{ NULL }
};

/* roostd.yaml, read by lib/fields.c. */
static const struct field conf_keys[] = {
	{ "node",		FIELD_STR, OFF(node), 0, 0, FIELD_NONEMPTY },
	{ "repo",		FIELD_STR, OFF(repo), 0, 0, FIELD_NONEMPTY },
	{ "branch",		FIELD_STR, OFF(branch), 0, 0, FIELD_NONEMPTY },
	{ "sshKey",		FIELD_STR, OFF(ssh_key), 0, 0, FIELD_NONEMPTY },
	{ "tokenFile",		FIELD_STR, OFF(token_file), 0, 0,
	    FIELD_NONEMPTY },
	{ "dataDir",		FIELD_STR, OFF(data_dir), 0, 0,
	    FIELD_NONEMPTY },
	{ "dockerSocket",	FIELD_STR, OFF(docker_socket), 0, 0,
	    FIELD_NONEMPTY },
	{ "api",		FIELD_STR, OFF(api), 0, 0, FIELD_NONEMPTY },
	{ "pollInterval",	FIELD_DURATION, OFF(poll_ms) },
	{ "hub",		FIELD_MAP, 0, 0, 0, 0, conf_hub_keys },
	{ "sftp",		FIELD_MAP, 0, 0, 0, 0, conf_sftp_keys },
	{ "trashRetention",	FIELD_DURATION, OFF(trash_ms) },
	{ "allowHistoryRewrite", FIELD_BOOL, OFF(allow_rewrite) },
	{ "allowEmpty",		FIELD_BOOL, OFF(allow_empty) },
	{ "containerUser",	FIELD_FUNC, 0, 0, 0, 0, NULL, conf_user },
	{ "network",		FIELD_STR, OFF(network), 0, 0,
	    FIELD_NONEMPTY },
	{ "stopTimeout",	FIELD_DURATION, OFF(stop_ms) },
	{ "installTimeout",	FIELD_DURATION, OFF(install_ms) },
	{ "apiGroup",		FIELD_STR, OFF(api_group), 0, 0,
	    FIELD_NONEMPTY },
	{ "console",		FIELD_MAP, 0, 0, 0, 0, conf_console_keys },
	{ "backups",		FIELD_MAP, 0, 0, 0, 0, conf_backup_keys },
	{ "scheduleGrace",	FIELD_DURATION, OFF(sched_grace_ms), 0,
	    86400000 },
	{ "backoffMin",		FIELD_DURATION, OFF(backoff_min_ms), 100,
	    3600000 },
	{ "backoffMax",		FIELD_DURATION, OFF(backoff_max_ms), 100,
	    86400000 },
	{ "crashLoopMax",	FIELD_INT, OFF(crashloop_max), 1, 1000 },
	{ "crashLoopWindow",	FIELD_DURATION, OFF(crashloop_window_ms), 1000,
	    7 * 86400000LL },
	{ NULL }
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
	c->sched_grace_ms = 60 * 1000;
	c->backoff_min_ms = 5 * 1000;
	c->backoff_max_ms = 5 * 60 * 1000;
	c->crashloop_max = 5;
	c->crashloop_window_ms = 10 * 60 * 1000;
	c->install_ms = 30 * 60 * 1000;
	c->api_group = xstrdup("roost");
	c->con_lines = 1000;
	c->con_bytes = 256 * 1024;
	c->con_throttle = 2000;
	c->con_throttle_ms = 100;
	c->con_rate = 5;
	c->con_rate_ms = 10 * 1000;
	c->audit_max = 10 * 1024 * 1024;
	c->backup_level = 3;
}

/* Checks an S3 target's keys (lib/s3.c checks them again). */
static void
conf_target_s3(struct fields_ctx *fc, const struct ydoc_node *tv,
    struct conf_target *t, const char *where)
{
	const char	*e = t->endpoint;
	size_t		 n;

	if (e == NULL || (strncmp(e, "https://", 8) != 0 &&
	    strncmp(e, "http://", 7) != 0))
		fields_err(fc, tv, "'%s.endpoint' is required: the store's "
		    "URL such as https://s3.eu-west-1.amazonaws.com", where);
	if (t->bucket == NULL)
		fields_err(fc, tv, "'%s.bucket' is required", where);
	if (t->access_key_file == NULL || t->access_key_file[0] != '/')
		fields_err(fc, tv, "'%s.accessKeyFile' is required: an "
		    "absolute path to a file holding the access key id and "
		    "the secret key on two lines", where);
	if (t->path != NULL)
		fields_err(fc, ydoc_get(tv, "path"), "'%s.path' is for local "
		    "targets; an S3 target has a bucket and a prefix", where);
	if (t->prefix != NULL) {
		n = strlen(t->prefix);
		if (strspn(t->prefix, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
		    "OPQRSTUVWXYZ0123456789_-./") != n ||
		    strstr(t->prefix, "..") != NULL ||
		    strstr(t->prefix, "//") != NULL)
			fields_err(fc, ydoc_get(tv, "prefix"), "'%s.prefix' is "
			    "letters, digits, _ - . and / (no '..' or '//')",
			    where);
	}
}

/* backups.targets: a map of target names to { type, ... }. */
static void
conf_targets(struct fields_ctx *fc, const struct field *f, const char *name,
    const struct ydoc_node *v, void *obj)
{
	struct conf		*c = obj;
	struct conf_target	*t;
	const struct ydoc_node	*k, *tv, *ty;
	char			 where[96];
	size_t			 i, n;

	if (ydoc_is_null(v))
		return;
	if (v->type != YDOC_MAP) {
		fields_err(fc, v, "'%s' must be a map of names to targets "
		    "such as { local: { type: local, path: /srv/backups } }",
		    name);
		return;
	}
	for (i = 0; i < v->n; i++) {
		k = ydoc_key(v, i);
		tv = ydoc_val(v, i);
		n = strlen(k->str);
		if (n == 0 || n > 64 || k->str[0] == '-' ||
		    strspn(k->str, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
		    "OPQRSTUVWXYZ0123456789_-") != n) {
			fields_err(fc, k, "a target's name is letters, digits, "
			    "_ and - (at most 64), not '%s'", k->str);
			continue;
		}
		if (tv->type != YDOC_MAP) {
			fields_err(fc, tv, "target '%s' must be a map such as "
			    "{ type: local, path: /srv/backups }", k->str);
			continue;
		}
		c->targets = xreallocarray(c->targets, c->ntargets + 1,
		    sizeof(*c->targets));
		t = &c->targets[c->ntargets++];
		memset(t, 0, sizeof(*t));
		t->name = xstrdup(k->str);
		snprintf(where, sizeof(where), "%s.%s", name, k->str);
		fields_fill_prefix(fc, tv, conf_target_keys, SIZE_MAX, t,
		    where);
		ty = ydoc_get(tv, "type");
		if (ydoc_is_scalar(ty) && strcmp(ty->str, "local") == 0) {
			t->type = CONF_TARGET_LOCAL;
			if (t->path == NULL || t->path[0] != '/')
				fields_err(fc, tv, "'%s.path' is required: an "
				    "absolute directory for the archives",
				    where);
		} else if (ydoc_is_scalar(ty) && strcmp(ty->str, "s3") == 0) {
			t->type = CONF_TARGET_S3;
			conf_target_s3(fc, tv, t, where);
		} else
			fields_err(fc, ty ? ty : tv, "'%s.type' must be local "
			    "or s3", where);
	}
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

/* A positive count (console.lines, ...) into a uint64_t. */
static void
conf_count(struct fields_ctx *fc, const struct field *f, const char *name,
    const struct ydoc_node *v, void *obj)
{
	if (!ydoc_is_scalar(v) || conf_parse_uint(v->str, 0,
	    (uint64_t *)((char *)obj + f->off)) == -1)
		fields_err(fc, v, "'%s' must be a positive integer, not '%s'",
		    name, ydoc_is_scalar(v) ? v->str : ydoc_type_name(v));
}

/* A size in bytes: 262144, 256KiB, 10MiB or 1GiB. */
static void
conf_size(struct fields_ctx *fc, const struct field *f, const char *name,
    const struct ydoc_node *v, void *obj)
{
	if (!ydoc_is_scalar(v) || conf_parse_uint(v->str, 1,
	    (uint64_t *)((char *)obj + f->off)) == -1)
		fields_err(fc, v, "'%s' must be a size such as 262144, 256KiB "
		    "or 10MiB, not '%s'", name, ydoc_is_scalar(v) ? v->str :
		    ydoc_type_name(v));
}

/* containerUser: UID or UID:GID, both non-zero. */
static void
conf_user(struct fields_ctx *fc, const struct field *f, const char *name,
    const struct ydoc_node *v, void *obj)
{
	struct conf	*c = obj;
	char		*end;
	unsigned long	 uid, gid;

	if (!ydoc_is_scalar(v) || ydoc_is_null(v)) {
		fields_err(fc, v, "'%s' must be UID:GID with non-zero numbers "
		    "(e.g. 999:999), not %s", name, ydoc_type_name(v));
		return;
	}
	errno = 0;
	uid = strtoul(v->str, &end, 10);
	gid = uid;
	if (*end == ':')
		gid = strtoul(end + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == v->str || uid == 0 ||
	    gid == 0 || uid > INT_MAX || gid > INT_MAX) {
		fields_err(fc, v, "'%s' must be UID:GID with non-zero numbers "
		    "(e.g. 999:999), not '%s'", name, v->str);
		return;
	}
	c->uid = (uid_t)uid;
	c->gid = (gid_t)gid;
}

/* Loads roostd.yaml; see conf.h. */
int
conf_load(struct conf **out, const char *path, struct diags *d)
{
	struct rerr	 err;
	struct conf	*c;
	size_t		 before = d->nerrors;
	int		 rc;

	*out = NULL;
	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	conf_defaults(c);
	rerr_init(&err);
	if ((rc = fields_load(path, conf_keys, c, d, &err)) != 0) {
		if (rc != ROOST_EINVAL) {
			diags_add(d, path, 0, 0, "%s", err.msg);
			rc = -1;
		}
		conf_free(c);
		return rc;
	}
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
	if (c->backoff_max_ms < c->backoff_min_ms)
		diags_add(d, path, 0, 0, "'backoffMax' must not be shorter "
		    "than 'backoffMin'");
	if (c->sftp_host_key == NULL)
		xasprintf(&c->sftp_host_key, "%s/sftp/host_ed25519",
		    c->data_dir);
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
	size_t	i;

	if (c == NULL)
		return;
	fields_free(conf_keys, c);
	free(c->path);
	for (i = 0; i < c->ntargets; i++) {
		fields_free(conf_target_keys, &c->targets[i]);
		free(c->targets[i].name);
	}
	free(c->targets);
	free(c);
}
