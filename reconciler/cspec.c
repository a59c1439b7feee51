/*
 * cspec: server + egg + node -> the container the engine creates, and the
 * spec hash that tells a recreate from a live update (see cspec.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cspec.h"
#include "egg.h"
#include "limit.h"
#include "rerr.h"
#include "seal.h"
#include "sha256.h"
#include "state.h"
#include "xmalloc.h"

/* Wings' capability drop list, plus sys_ptrace as Pelican drops it. */
static const char *const cspec_cap_drop[] = {
	"setpcap", "mknod", "audit_write", "net_raw", "dac_override",
	"fowner", "fsetid", "net_bind_service", "sys_chroot", "setfcap",
	"sys_ptrace", NULL
};

/* Variables roost sets itself; an egg variable cannot override them. */
static const char *const cspec_reserved[] = {
	"TZ", "STARTUP", "SERVER_MEMORY", "SERVER_IP", "SERVER_PORT",
	"P_SERVER_LOCATION", "P_SERVER_UUID", "P_SERVER_ALLOCATION_LIMIT",
	NULL
};

/* Hashes len bytes into 64 hex digits. */
void
cspec_sha256_hex(const void *p, size_t len, char out[65])
{
	sha256_hex(p, len, out);
}

/* Returns the memory in bytes for mib under the overhead policy. */
int64_t
cspec_memory_bytes(int64_t mib, int overhead, int percent)
{
	double	mult = 1.0;

	if (mib <= 0)
		return 0;
	switch (overhead) {
	case STATE_OVERHEAD_NONE:
		break;
	case STATE_OVERHEAD_PERCENT:
		mult = 1.0 + (percent > 0 ? percent : 0) / 100.0;
		break;
	default:
		if (mib <= 2048)
			mult = 1.15;
		else if (mib <= 4096)
			mult = 1.10;
		else
			mult = 1.05;
		break;
	}
	return (int64_t)((double)mib * LIMIT_MIB * mult + 0.5);
}

/* A growable NULL-terminated vector of owned strings. */
struct strv {
	char	**v;
	size_t	  n;
	size_t	  cap;
};

static void
strv_add(struct strv *sv, char *s)
{
	if (sv->n + 2 > sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 16;
		sv->v = xreallocarray(sv->v, sv->cap, sizeof(*sv->v));
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

static void
strv_addf(struct strv *sv, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));

static void
strv_addf(struct strv *sv, const char *fmt, ...)
{
	struct buf	b;
	va_list		ap;

	buf_init(&b, 0);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	strv_add(sv, buf_detach(&b));
}

static int
cspec_is_reserved(const char *name)
{
	size_t	i;

	for (i = 0; cspec_reserved[i] != NULL; i++)
		if (strcmp(cspec_reserved[i], name) == 0)
			return 1;
	return 0;
}

static const char *
cspec_var_value(const struct state_server *srv, const struct egg_var *ev)
{
	size_t	i;

	for (i = 0; i < srv->nvars; i++)
		if (strcmp(srv->vars[i].key, ev->env) == 0)
			return srv->vars[i].value != NULL ?
			    srv->vars[i].value : "";
	return ev->def != NULL ? ev->def : "";
}

static const char *
cspec_server_ip(const char *address)
{
	if (address == NULL || *address == '\0' ||
	    strncmp(address, "127.", 4) == 0 || strcmp(address, "::1") == 0)
		return "0.0.0.0";
	return address;
}

/*
 * The value of egg variable ev for the environment: plain as written, or
 * a sealed value opened with the node's keys (and checked against the
 * egg's rules, which validation cannot do). *hashed gets what the spec
 * hash sees. Returns 0, or -1 with err naming the variable.
 */
static int
cspec_var_open(const struct state_server *srv, const struct egg_var *ev,
    const char *up, const struct cspec_node *node, char **kv, char **hashed,
    struct rerr *err)
{
	const char	*v = cspec_var_value(srv, ev);
	struct rerr	 e;
	struct buf	 why;
	char		*plain, mac[33];
	size_t		 len;

	if (!seal_is_sealed(v)) {
		xasprintf(kv, "%s=%s", up, v);
		*hashed = xstrdup(*kv);
		return 0;
	}
	rerr_init(&e);
	if (seal_open(v, node->node, node->keys, node->nkeys, &plain, &len,
	    &e) != 0)
		return rerr_set(err, ROOST_EINVAL, "variable '%s' does not "
		    "open on this node: %s", ev->env, e.msg);
	buf_init(&why, 0);
	if (egg_var_check(ev, plain, &why) != 0) {
		rerr_set(err, ROOST_EINVAL, "variable '%s' (sealed) %s",
		    ev->env, buf_str(&why));
		buf_dispose(&why);
		seal_free(plain, len);
		return -1;
	}
	buf_dispose(&why);
	seal_mac(&node->keys[0], plain, len, mac);
	xasprintf(kv, "%s=%s", up, plain);
	xasprintf(hashed, "%s=sealed:%s", up, mac);
	seal_free(plain, len);
	return 0;
}

/* Wipes and frees a strv's strings (they may hold opened secrets). */
static void
cspec_strv_wipe(char **v)
{
	size_t	i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		explicit_bzero(v[i], strlen(v[i]));
	docker_strv_free(v);
}

/*
 * Builds the environment: egg variables, then what roost always sets;
 * hashed gets the same with each opened secret as a keyed hash. Returns 0,
 * or -1 with err set (env and hashed are then empty).
 */
static int
cspec_env(struct strv *env, struct strv *hashed,
    const struct state_server *srv, const struct egg *egg,
    const struct cspec_node *node, struct rerr *err)
{
	size_t	 i, k, mark;
	char	*up, *p, *kv, *hv;

	for (i = 0; egg != NULL && i < egg->nvars; i++) {
		const struct egg_var *ev = &egg->vars[i];

		if (ev->env == NULL || *ev->env == '\0')
			continue;
		up = xstrdup(ev->env);
		for (p = up; *p != '\0'; p++)
			*p = (char)toupper((unsigned char)*p);
		if (!cspec_is_reserved(up)) {
			if (cspec_var_open(srv, ev, up, node, &kv, &hv,
			    err) != 0) {
				free(up);
				goto fail;
			}
			strv_add(env, kv);
			strv_add(hashed, hv);
		}
		free(up);
	}
	mark = hashed->n;
	strv_addf(env, "STARTUP=%s", egg != NULL && egg->startup != NULL ?
	    egg->startup : "");
	strv_addf(env, "SERVER_IP=%s", cspec_server_ip(node->address));
	strv_addf(env, "SERVER_PORT=%d", srv->port);
	strv_addf(env, "P_SERVER_LOCATION=%s", node->location != NULL ?
	    node->location : node->node);
	strv_addf(env, "P_SERVER_UUID=%s", srv->name);
	strv_addf(env, "P_SERVER_ALLOCATION_LIMIT=%zu", srv->nextra_ports);
	strv_addf(env, "TZ=%s", node->timezone != NULL ? node->timezone :
	    "UTC");
	/* Last, and left out of the hash: it follows the memory limit. */
	strv_addf(env, "SERVER_MEMORY=%lld", (long long)(srv->limits.memory > 0 ?
	    srv->limits.memory : 0));
	for (k = mark; k < env->n; k++)
		strv_add(hashed, xstrdup(env->v[k]));
	return 0;
fail:
	cspec_strv_wipe(env->v);
	docker_strv_free(hashed->v);
	memset(env, 0, sizeof(*env));
	memset(hashed, 0, sizeof(*hashed));
	return -1;
}

/* The one conversion of a server's limits into engine values. */
void
cspec_engine_limits(const struct state_limits *sl,
    const struct cspec_node *node, struct docker_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->memory = cspec_memory_bytes(sl->memory, node->overhead,
	    node->overhead_percent);
	if (l->memory > 0 && node->swap_ok)
		l->memory_swap = sl->swap < 0 ? -1 : l->memory +
		    sl->swap * LIMIT_MIB;
	if (sl->cpu > 0) {
		l->cpu_quota = sl->cpu * 1000;
		l->cpu_period = 100000;
	}
	if (node->io_weight_ok && limit_in_range(limit_get(LIMIT_IO), sl->io))
		l->blkio_weight = (int)sl->io;
	l->pids_limit = sl->pids > 0 ? sl->pids : limit_get(LIMIT_PIDS)->def;
}

/*
 * The installer's limits: the server's memory (at least
 * CSPEC_INSTALL_MEMORY_MIB) and pids (at least the table's default),
 * converted like the server's; no CPU, swap or io settings.
 */
static void
cspec_install_limits(const struct state_limits *sl,
    const struct cspec_node *node, struct docker_limits *out)
{
	struct state_limits	il = *sl;
	struct docker_limits	l;
	int64_t			pids_def = limit_get(LIMIT_PIDS)->def;

	if (il.memory < CSPEC_INSTALL_MEMORY_MIB)
		il.memory = CSPEC_INSTALL_MEMORY_MIB;
	if (il.pids < pids_def)
		il.pids = pids_def;
	cspec_engine_limits(&il, node, &l);
	memset(out, 0, sizeof(*out));
	out->memory = l.memory;
	out->pids_limit = l.pids_limit;
}

/* Hashes every container-relevant field except live-updatable limits. */
static void
cspec_hash(struct cspec *cs)
{
	const struct docker_spec *s = &cs->spec;
	struct buf	 b;
	char		 hex[65];
	size_t		 i;

	buf_init(&b, 0);
	buf_addf(&b, "roost-cspec-1\nimage=%s\nuser=%s\nnet=%s\nip=%s\n",
	    s->image, s->user, s->network ? s->network : "",
	    s->host_ip ? s->host_ip : "");
	for (i = 0; cs->env_hashed[i] != NULL; i++)
		if (strncmp(cs->env_hashed[i], "SERVER_MEMORY=", 14) != 0)
			buf_addf(&b, "env=%s\n", cs->env_hashed[i]);
	for (i = 0; i < s->nports; i++)
		buf_addf(&b, "port=%d\n", s->ports[i]);
	for (i = 0; s->binds[i] != NULL; i++)
		buf_addf(&b, "bind=%s\n", s->binds[i]);
	for (i = 0; s->tmpfs[i] != NULL; i++)
		buf_addf(&b, "tmpfs=%s\n", s->tmpfs[i]);
	for (i = 0; s->cap_drop[i] != NULL; i++)
		buf_addf(&b, "capdrop=%s\n", s->cap_drop[i]);
	buf_addf(&b, "ro=%d nnp=%d stdin=%d tty=%d log=%s/%d stop=%s\n",
	    s->readonly_rootfs, s->no_new_privileges, s->open_stdin, s->tty,
	    s->log_max_size ? s->log_max_size : "", s->log_max_file,
	    s->stop_signal ? s->stop_signal : "");
	/* A limit cannot be removed in place: going unlimited recreates. */
	buf_addf(&b, "memory-limited=%d\n", s->limits.memory > 0);
	cspec_sha256_hex(b.data, b.len, hex);
	hex[32] = '\0';
	cs->hash = xstrdup(hex);
	buf_dispose(&b);
}

static char *
cspec_signal_name(int sig)
{
	const char	*abbrev;
	char		*out;

	if (sig <= 0)
		return NULL;
	abbrev = sigabbrev_np(sig);
	if (abbrev == NULL)
		return NULL;
	xasprintf(&out, "SIG%s", abbrev);
	return out;
}

/* Builds the container spec of srv; see cspec.h. */
struct cspec *
cspec_build(const struct state_server *srv, const struct egg *egg,
    const char *image, const struct cspec_node *node, struct rerr *err)
{
	struct cspec	*cs;
	struct strv	 env = { 0 }, labels = { 0 }, binds = { 0 };
	struct strv	 tmpfs = { 0 }, hashed = { 0 };
	size_t		 i;

	if (image == NULL && egg != NULL && egg->nimages > 0)
		image = egg->images[0].ref;
	if (image == NULL || *image == '\0') {
		rerr_set(err, ROOST_EINVAL, "server \"%s\": the egg has no "
		    "image to run", srv->name);
		return NULL;
	}
	if (cspec_env(&env, &hashed, srv, egg, node, err) != 0)
		return NULL;
	cs = xcalloc(1, sizeof(*cs));
	cs->server = xstrdup(srv->name);
	xasprintf(&cs->name, "roost-%s", srv->name);
	cs->local_image = image[0] == '~';
	cs->image = xstrdup(image + cs->local_image);
	xasprintf(&cs->volume, "%s/volumes/%s", node->data_dir, srv->name);
	xasprintf(&cs->user, "%d:%d", node->uid, node->gid);
	cs->disk_bytes = srv->limits.disk > 0 ? srv->limits.disk * LIMIT_MIB :
	    0;

	cs->nports = 0;
	cs->ports = xcalloc(1 + srv->nextra_ports, sizeof(int));
	if (srv->port > 0)
		cs->ports[cs->nports++] = srv->port;
	for (i = 0; i < srv->nextra_ports; i++)
		if (srv->extra_ports[i] > 0)
			cs->ports[cs->nports++] = srv->extra_ports[i];

	strv_addf(&binds, "%s:/home/container", cs->volume);
	strv_addf(&tmpfs, "/tmp:rw,exec,nosuid,size=%dm", node->tmpfs_mb > 0 ?
	    node->tmpfs_mb : 100);
	if (egg != NULL && egg->stop.kind == EGG_STOP_SIGNAL)
		cs->stop_signal = cspec_signal_name(egg->stop.signal);

	cs->env = env.v;
	cs->env_hashed = hashed.v;
	cs->binds = binds.v;
	cs->tmpfs = tmpfs.v;
	cs->spec.image = cs->image;
	cs->spec.env = (const char *const *)cs->env;
	cs->spec.user = cs->user;
	cs->spec.hostname = cs->server;
	cs->spec.binds = (const char *const *)cs->binds;
	cs->spec.ports = cs->ports;
	cs->spec.nports = cs->nports;
	cs->host_ip = node->address != NULL ? xstrdup(node->address) : NULL;
	cs->spec.host_ip = cs->host_ip;
	cs->network = node->network != NULL ? xstrdup(node->network) : NULL;
	cs->spec.network = cs->network;
	cs->spec.readonly_rootfs = 1;
	cs->spec.tmpfs = (const char *const *)cs->tmpfs;
	cs->spec.cap_drop = cspec_cap_drop;
	cs->spec.no_new_privileges = 1;
	cs->log_max_size = xstrdup(node->log_max_size != NULL ?
	    node->log_max_size : "5m");
	cs->spec.log_max_size = cs->log_max_size;
	cs->spec.log_max_file = node->log_max_file > 0 ? node->log_max_file : 2;
	cs->spec.open_stdin = 1;
	cs->spec.tty = 0;
	cs->spec.stop_signal = cs->stop_signal;
	cspec_engine_limits(&srv->limits, node, &cs->spec.limits);
	cspec_install_limits(&srv->limits, node, &cs->install_limits);
	cspec_hash(cs);

	strv_addf(&labels, "%s=true", CSPEC_LABEL_MANAGED);
	strv_addf(&labels, "%s=%s", CSPEC_LABEL_NODE, node->node);
	strv_addf(&labels, "%s=%s", CSPEC_LABEL_SERVER, srv->name);
	strv_addf(&labels, "%s=server", CSPEC_LABEL_ROLE);
	strv_addf(&labels, "%s=%s", CSPEC_LABEL_HASH, cs->hash);
	strv_addf(&labels, "%s=%s", CSPEC_LABEL_REVISION,
	    node->revision != NULL ? node->revision : "");
	strv_addf(&labels, "%s=%s", CSPEC_LABEL_RESTARTED,
	    srv->restarted_at != NULL ? srv->restarted_at : "");
	strv_addf(&labels, "%s=%s", CSPEC_LABEL_REINSTALL,
	    srv->reinstall_at != NULL ? srv->reinstall_at : "");
	cs->labels = labels.v;
	cs->spec.labels = (const char *const *)cs->labels;
	return cs;
}

/* Frees a spec; takes NULL. */
void
cspec_free(struct cspec *cs)
{
	if (cs == NULL)
		return;
	free(cs->server);
	free(cs->name);
	free(cs->image);
	free(cs->hash);
	free(cs->volume);
	cspec_strv_wipe(cs->env);
	docker_strv_free(cs->env_hashed);
	docker_strv_free(cs->labels);
	docker_strv_free(cs->binds);
	docker_strv_free(cs->tmpfs);
	free(cs->user);
	free(cs->stop_signal);
	free(cs->host_ip);
	free(cs->network);
	free(cs->log_max_size);
	free(cs->ports);
	free(cs);
}

/* The planner's view of engine limits; see cspec.h. */
void
cspec_plan_limits(const struct docker_limits *l, struct plan_limits *out)
{
	memset(out, 0, sizeof(*out));
	out->memory = l->memory;
	out->memory_swap = l->memory_swap;
	out->cpu_quota = l->cpu_quota;
	out->pids = l->pids_limit;
	out->io_weight = l->blkio_weight;
}
