/*
 * validate: the checks that need more than one file: each server's node,
 * egg, image, ports (in the node's ranges, unique per node), variables
 * (the egg's rules), and each node's capacity. A problem marks only the
 * server it is about invalid; it is reported at that server's file and
 * the position of the offending value. Sealed values are checked for
 * their recipients, and plaintext secrets are warned about (an error
 * under requireSealedSecrets).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"
#include "limit.h"
#include "rerr.h"
#include "seal.h"
#include "secret.h"
#include "state.h"
#include "state_int.h"
#include "util.h"
#include "xmalloc.h"

static void
vdiag_at(struct state *st, struct state_server *srv, enum diag_level level,
    int line, int col, const char *fmt, ...)
    __attribute__((__format__(printf, 6, 7)));

/*
 * A problem at line:col of srv's file. An error makes srv invalid (the
 * first one is srv's error); a warning leaves it valid.
 */
static void
vdiag_at(struct state *st, struct state_server *srv, enum diag_level level,
    int line, int col, const char *fmt, ...)
{
	va_list	ap;
	size_t	n = st->diags->n;

	va_start(ap, fmt);
	diags_vadd(st->diags, level, srv->path, line, col, fmt, ap);
	va_end(ap);
	if (level != DIAG_ERROR)
		return;
	srv->valid = 0;
	if (srv->error == NULL)
		srv->error = xstrdup(st->diags->v[n].msg);
}

#define verr_at(st, srv, line, col, ...)				\
	vdiag_at((st), (srv), DIAG_ERROR, (line), (col), __VA_ARGS__)
#define vwarn_at(st, srv, line, col, ...)				\
	vdiag_at((st), (srv), DIAG_WARNING, (line), (col), __VA_ARGS__)
/* An error at the position of srv's value f. */
#define verr(st, srv, f, ...)						\
	verr_at((st), (srv), (srv)->pos[f].line, (srv)->pos[f].col,	\
	    __VA_ARGS__)

/*
 * A sealed value: it parses, the server's node is among its recipients,
 * and each recipient's key is its node's current sealKey.
 */
static void
check_sealed(struct state *st, struct state_server *srv,
    const struct state_var *v)
{
	struct seal_value	 sv;
	struct rerr		 e;
	const struct state_node	*node;
	unsigned char		 pk[SEAL_KEYLEN];
	char			 kid[SEAL_KIDLEN];
	struct buf		 who;
	size_t			 i;
	int			 mine = 0;

	rerr_init(&e);
	if (seal_value_parse(v->value, &sv, &e) != 0) {
		verr_at(st, srv, v->line, v->col, "variable '%s': %s; seal "
		    "it again", v->key, e.msg);
		return;
	}
	for (i = 0; i < sv.n; i++) {
		if (srv->node != NULL && strcmp(sv.v[i].node, srv->node) == 0)
			mine = 1;
		if ((node = state_node_find(st, sv.v[i].node)) == NULL)
			vwarn_at(st, srv, v->line, v->col, "variable '%s' is "
			    "sealed for node '%s', which does not exist",
			    v->key, sv.v[i].node);
		else if (node->seal_key != NULL &&
		    seal_pub_decode(node->seal_key, pk, NULL) == 0 &&
		    (seal_kid(pk, kid), strcmp(kid, sv.v[i].kid) != 0))
			vwarn_at(st, srv, v->line, v->col, "variable '%s' is "
			    "sealed to key %s of node '%s', not to its sealKey "
			    "(%s); reseal it (roost secret reseal)", v->key,
			    sv.v[i].kid, sv.v[i].node, kid);
	}
	if (!mine && srv->node != NULL) {
		buf_init(&who, 0);
		seal_nodes(v->value, &who);
		vwarn_at(st, srv, v->line, v->col, "variable '%s' is sealed "
		    "for %s, but the server runs on node '%s', which cannot "
		    "open it", v->key, buf_str(&who), srv->node);
		buf_dispose(&who);
	}
	seal_value_dispose(&sv);
}

/* A plain value of a secret variable: a warning, or an error by policy. */
static void
check_plain_secret(struct state *st, struct state_server *srv,
    const struct state_var *v, const struct egg_var *ev)
{
	if (v->value == NULL || *v->value == '\0' ||
	    !secret_var_is(ev, v->key))
		return;
	if (st->conf.require_sealed)
		verr_at(st, srv, v->line, v->col, "variable '%s' is a secret "
		    "in plaintext and roost.yaml sets requireSealedSecrets; "
		    "seal it (roost server set %s %s --secret)", v->key,
		    srv->name ? srv->name : "NAME", v->key);
	else
		vwarn_at(st, srv, v->line, v->col, "variable '%s' looks like "
		    "a secret in plaintext; seal it (roost server set %s %s "
		    "--secret)", v->key, srv->name ? srv->name : "NAME",
		    v->key);
}

/* What a server's backup policy does not set comes from def. */
static void
backup_defaults(const struct state_backups *def, struct state_backups *b)
{
	if (b->target == NULL && def->target != NULL)
		b->target = xstrdup(def->target);
	if (b->keep == STATE_UNSET)
		b->keep = def->keep != STATE_UNSET ? def->keep :
		    STATE_BACKUP_KEEP_DEF;
	if (!b->set_ignore && def->set_ignore) {
		b->ignore = util_strv_dup(def->ignore, def->nignore);
		b->nignore = def->nignore;
		b->set_ignore = 1;
	}
	if (!b->set_before && def->set_before) {
		b->before = util_strv_dup(def->before, def->nbefore);
		b->nbefore = def->nbefore;
		b->set_before = 1;
	}
	if (!b->set_after && def->set_after) {
		b->after = util_strv_dup(def->after, def->nafter);
		b->nafter = def->nafter;
		b->set_after = 1;
	}
}

/* A limit the server does not set: roost.yaml's default, else the table's. */
static void
apply_defaults(const struct state *st, struct state_server *srv)
{
	const struct limit_def	*ld;
	int64_t			*v, dv;
	size_t			 i;

	for (i = 0; i < LIMIT_COUNT; i++) {
		ld = &limit_table[i];
		v = limit_field(&srv->limits, ld);
		if (*v != STATE_UNSET)
			continue;
		dv = limit_value(&st->conf.defaults, ld->id);
		*v = dv != STATE_UNSET ? dv : ld->def;
	}
	backup_defaults(&st->conf.backups, &srv->backups);
	if (!srv->schedules.set)
		state_schedules_copy(&srv->schedules, &st->conf.schedules);
}

/* Variables against the egg: known names, editable, the rules. */
static void
check_vars(struct state *st, struct state_server *srv, const struct egg *egg)
{
	struct buf	msg;
	size_t		i;

	buf_init(&msg, 0);
	for (i = 0; i < srv->nvars; i++) {
		const struct state_var *v = &srv->vars[i];
		const struct egg_var *ev = egg_var_find(egg, v->key);

		if (ev == NULL) {
			verr_at(st, srv, v->line, v->col, "egg '%s' has no "
			    "variable '%s'", srv->egg, v->key);
			continue;
		}
		if (seal_is_sealed(v->value)) {
			/* The egg's rules are checked by the node. */
			check_sealed(st, srv, v);
			continue;
		}
		check_plain_secret(st, srv, v, ev);
		if (!ev->editable && strcmp(v->value, ev->def) != 0) {
			verr_at(st, srv, v->line, v->col, "variable '%s' is "
			    "not editable in egg '%s' (its value is '%s')",
			    v->key, srv->egg, ev->def);
			continue;
		}
		buf_reset(&msg);
		if (egg_var_check(ev, v->value, &msg) != 0)
			verr_at(st, srv, v->line, v->col, "variable '%s' %s",
			    v->key, buf_str(&msg));
	}
	/* Variables left at their default must satisfy the rules too. */
	for (i = 0; i < egg->nvars; i++) {
		const struct egg_var *ev = &egg->vars[i];
		size_t j;

		for (j = 0; j < srv->nvars; j++)
			if (strcmp(srv->vars[j].key, ev->env) == 0)
				break;
		if (j < srv->nvars)
			continue;
		buf_reset(&msg);
		if (egg_var_check(ev, NULL, &msg) != 0)
			verr(st, srv, srv->pos[STATE_POS_VARS].line ?
			    STATE_POS_VARS : STATE_POS_EGG, "variable '%s' "
			    "(%s) %s; set it under 'variables'", ev->env,
			    ev->name, buf_str(&msg));
	}
	buf_dispose(&msg);
}

struct port_use {
	int			 port;
	struct state_server	*srv;
};

static int
port_use_cmp(const void *a, const void *b)
{
	const struct port_use	*x = a, *y = b;
	int			 c;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	c = strcmp(x->srv->node, y->srv->node);
	if (c != 0)
		return c;
	return strcmp(x->srv->name, y->srv->name);
}

/* Node indices sorted by name, then by position (see node_index). */
static int
node_idx_cmp(const void *a, const void *b, void *arg)
{
	const struct state	*st = arg;
	size_t			 x = *(const size_t *)a, y = *(const size_t *)b;
	int			 c;

	c = strcmp(st->nodes[x].name, st->nodes[y].name);
	if (c != 0)
		return c;
	return x < y ? -1 : x > y;
}

/*
 * The position of the first node called name (what state_node_find
 * returns), by binary search over byname, the named nodes' positions
 * sorted by name then position; -1 when there is none.
 */
static long
node_index(const struct state *st, const size_t *byname, size_t n,
    const char *name)
{
	size_t	lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (strcmp(st->nodes[byname[mid]].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && strcmp(st->nodes[byname[lo]].name, name) == 0)
		return (long)byname[lo];
	return -1;
}

/*
 * Capacity: the server that tips a node over gets the error. bucket[k]
 * lists, in name order, the servers whose node is the node at k.
 */
static void
check_capacity(struct state *st, const size_t *byname, size_t nnamed,
    size_t *const *bucket, const size_t *nbucket)
{
	size_t	i, j;
	long	f;

	for (i = 0; i < st->nnodes; i++) {
		const struct state_node	*node = &st->nodes[i];
		int64_t			 mem = 0, disk = 0, cpu = 0;

		if (node->name == NULL ||
		    (f = node_index(st, byname, nnamed, node->name)) < 0)
			continue;
		for (j = 0; j < nbucket[f]; j++) {
			struct state_server *srv = st->servers[bucket[f][j]];
			int over = 0;

			if (!srv->valid)
				continue;
			mem += srv->limits.memory;
			disk += srv->limits.disk;
			cpu += srv->limits.cpu;
			if (node->cap_memory > 0 && (double)mem >
			    node->cap_memory * node->oversubscribe)
				over = 1;
			if (node->cap_disk > 0 && (double)disk >
			    node->cap_disk * node->oversubscribe)
				over = 2;
			if (node->cap_cpu > 0 && (double)cpu >
			    node->cap_cpu * node->oversubscribe)
				over = 3;
			if (over == 0)
				continue;
			verr(st, srv, STATE_POS_MEMORY, "node '%s' is full: "
			    "with this server it would hold %lld MiB memory, "
			    "%lld MiB disk and %lld%% cpu, over its capacity "
			    "of %lld MiB, %lld MiB and %lld%% (x%.2f "
			    "oversubscription)", node->name, (long long)mem,
			    (long long)disk, (long long)cpu,
			    (long long)node->cap_memory,
			    (long long)node->cap_disk,
			    (long long)node->cap_cpu, node->oversubscribe);
			mem -= srv->limits.memory;
			disk -= srv->limits.disk;
			cpu -= srv->limits.cpu;
		}
	}
}

/*
 * Cross-file validation of a loaded state, in time linear in the number
 * of servers (but for sorting): nodes are found by binary search and each
 * node's servers are gathered once. A load through the parse cache runs
 * it on a part of the servers only (those of the nodes a change touches;
 * see load_incremental in state_cache.c): every check must depend on the
 * server itself, roost.yaml, nodes, eggs and the servers of its own node,
 * nothing else.
 */
void
state_validate(struct state *st)
{
	struct port_use		*uses = NULL;
	size_t			 nuses = 0, cuses = 0, i, j, nnamed = 0;
	size_t			*byname, **bucket, *nbucket;
	long			*nid;

	byname = xcalloc(st->nnodes + 1, sizeof(*byname));
	for (i = 0; i < st->nnodes; i++)
		if (st->nodes[i].name != NULL)
			byname[nnamed++] = i;
	if (nnamed > 1)
		qsort_r(byname, nnamed, sizeof(*byname), node_idx_cmp, st);
	nid = xcalloc(st->nservers + 1, sizeof(*nid));
	nbucket = xcalloc(st->nnodes + 1, sizeof(*nbucket));
	bucket = xcalloc(st->nnodes + 1, sizeof(*bucket));
	for (i = 0; i < st->nservers; i++) {
		struct state_server	*srv = st->servers[i];
		const struct state_node	*node = NULL;
		const struct egg	*egg;

		nid[i] = -1;
		apply_defaults(st, srv);
		if (srv->node != NULL)
			nid[i] = node_index(st, byname, nnamed, srv->node);
		if (nid[i] >= 0)
			nbucket[nid[i]]++;
		if (srv->node == NULL || srv->egg == NULL)
			continue;
		if (nid[i] < 0)
			verr(st, srv, STATE_POS_NODE, "node '%s' does not "
			    "exist (no file nodes/%s.yaml)", srv->node,
			    srv->node);
		else
			node = &st->nodes[nid[i]];
		if ((egg = egglib_find(st->eggs, srv->egg)) == NULL)
			verr(st, srv, STATE_POS_EGG, "egg '%s' does not exist "
			    "in the built-in library or the repository's "
			    "eggs/ (see roost egg list)", srv->egg);
		else {
			if (srv->image != NULL && !egg_has_image(egg,
			    srv->image))
				verr(st, srv, STATE_POS_IMAGE, "image '%s' is "
				    "not one of egg '%s''s images (%s%s)",
				    srv->image, srv->egg, egg->nimages ?
				    egg->images[0].ref : "none",
				    egg->nimages > 1 ? ", ..." : "");
			check_vars(st, srv, egg);
		}
		if (node == NULL)
			continue;
		if (srv->port != 0 && !state_node_has_port(node, srv->port))
			verr(st, srv, STATE_POS_PORT, "port %d is outside "
			    "node '%s''s port ranges", srv->port, node->name);
		for (j = 0; j < srv->nextra_ports; j++)
			if (!state_node_has_port(node, srv->extra_ports[j]))
				verr(st, srv, STATE_POS_EXTRA, "extra port %d "
				    "is outside node '%s''s port ranges",
				    srv->extra_ports[j], node->name);
		if (nuses + srv->nextra_ports + 1 > cuses) {
			cuses = (nuses + srv->nextra_ports + 1) * 2;
			uses = xreallocarray(uses, cuses, sizeof(*uses));
		}
		if (srv->port != 0) {
			uses[nuses].port = srv->port;
			uses[nuses++].srv = srv;
		}
		for (j = 0; j < srv->nextra_ports; j++) {
			uses[nuses].port = srv->extra_ports[j];
			uses[nuses++].srv = srv;
		}
	}

	/* Ports unique per node: the first server (by name) keeps one. */
	if (nuses > 1)
		qsort(uses, nuses, sizeof(*uses), port_use_cmp);
	for (i = 1; i < nuses; i++) {
		struct port_use *a = &uses[i - 1], *b = &uses[i];

		if (a->port != b->port || strcmp(a->srv->node,
		    b->srv->node) != 0)
			continue;
		if (a->srv == b->srv)
			verr(st, b->srv, STATE_POS_EXTRA, "port %d is listed "
			    "twice", b->port);
		else
			verr(st, b->srv, b->port == b->srv->port ?
			    STATE_POS_PORT : STATE_POS_EXTRA, "port %d on "
			    "node '%s' is already used by server '%s'",
			    b->port, b->srv->node, a->srv->name);
		*b = *a;	/* later duplicates name the same first user */
	}
	free(uses);

	/* Each node's servers, in name order, for the capacity check. */
	for (i = 0; i < st->nnodes; i++) {
		bucket[i] = xcalloc(nbucket[i] + 1, sizeof(**bucket));
		nbucket[i] = 0;
	}
	for (i = 0; i < st->nservers; i++)
		if (nid[i] >= 0)
			bucket[nid[i]][nbucket[nid[i]]++] = i;
	check_capacity(st, byname, nnamed, bucket, nbucket);
	for (i = 0; i < st->nnodes; i++)
		free(bucket[i]);
	free(bucket);
	free(nbucket);
	free(nid);
	free(byname);
	diags_sort(st->diags);
}
