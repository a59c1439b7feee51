/*
 * recon_pass: one reconcile pass, on roostd's main thread. It turns the
 * borrowed state into per-server snapshots of the desired spec, plans the
 * node against the container cache and queues every server with work.
 * recon_plan_desired and recon_plan_observed build the planner's inputs
 * for the pass and for the workers alike.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"
#include "json.h"
#include "limit.h"
#include "log.h"
#include "rerr.h"
#include "state.h"
#include "util.h"
#include "xmalloc.h"

#include "apply.h"
#include "backup.h"
#include "cfgfile.h"
#include "cspec.h"
#include "dcache.h"
#include "docker.h"
#include "install.h"
#include "plan.h"
#include "recon.h"
#include "recon_int.h"
#include "runtime.h"

/* A fingerprint of what the reconciler uses of an egg. */
static char *
egg_fingerprint(const struct egg *egg)
{
	struct buf	b;
	char		hex[65];
	size_t		i;

	if (egg == NULL)
		return xstrdup("none");
	buf_init(&b, 0);
	egg_write_yaml(egg, &b);
	for (i = 0; i < egg->ndone; i++)
		buf_addf(&b, "\ndone=%s", egg->done[i]);
	cspec_sha256_hex(b.data != NULL ? b.data : "", b.len, hex);
	buf_dispose(&b);
	return xstrdup(hex);
}

static struct rsnap *
snap_build(struct recon *r, const struct state *st,
    const struct state_server *srv, const struct egg *egg,
    const struct state_node *node, const char *egg_fp, const char *node_fp,
    const char *revision, struct rerr *err)
{
	struct cspec_node	 cn;
	struct rsnap		*s;
	struct cspec		*cs;
	size_t			 i;
	char			*sig;

	memset(&cn, 0, sizeof(cn));
	cn.node = r->conf.node;
	cn.data_dir = r->conf.data_dir;
	cn.network = r->conf.network;
	cn.address = node != NULL ? node->address : NULL;
	cn.uid = r->conf.uid;
	cn.gid = r->conf.gid;
	cn.tmpfs_mb = r->conf.tmpfs_mb;
	cn.log_max_size = r->conf.log_max_size;
	cn.log_max_file = r->conf.log_max_file;
	cn.timezone = r->tz;
	cn.location = r->conf.location;
	cn.overhead = node != NULL ? (int)node->overhead : 0;
	cn.overhead_percent = node != NULL ? node->overhead_percent : 0;
	cn.io_weight_ok = r->io_weight_ok;
	cn.swap_ok = r->swap_ok;
	cn.revision = revision;
	cn.keys = r->keys;
	cn.nkeys = r->nkeys;
	if (egg == NULL) {
		rerr_set(err, ROOST_EINVAL, "egg \"%s\" not found",
		    srv->egg != NULL ? srv->egg : "");
		return NULL;
	}
	cs = cspec_build(srv, egg, state_server_image(st, srv), &cn, err);
	if (cs == NULL)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->refs = 1;
	s->srv = state_server_dup(srv);
	s->cs = cs;
	s->blob_id = xstrdup(srv->blob_id != NULL ? srv->blob_id : "");
	s->egg_fp = xstrdup(egg_fp);
	s->node_fp = xstrdup(node_fp);
	s->revision = revision != NULL ? xstrdup(revision) : NULL;
	s->ndone = egg->ndone;
	s->done = xcalloc(egg->ndone + 1, sizeof(char *));
	for (i = 0; i < egg->ndone; i++)
		s->done[i] = xstrdup(egg->done[i] != NULL ? egg->done[i] : "");
	s->stop_kind = egg->stop.kind;
	if (egg->stop.kind == EGG_STOP_COMMAND && egg->stop.command != NULL)
		s->stop_command = xstrdup(egg->stop.command);
	else {
		s->stop_kind = EGG_STOP_SIGNAL;
		sig = NULL;
		if (egg->stop.signal > 0 && sigabbrev_np(egg->stop.signal))
			xasprintf(&sig, "SIG%s", sigabbrev_np(egg->stop.signal));
		s->stop_signal = sig != NULL ? sig : xstrdup("SIGTERM");
	}
	if (egg->nfiles > 0) {
		/* The state (and its eggs) is gone after the pass: copy. */
		struct buf	b;
		struct diags	dg;

		buf_init(&b, 0);
		diags_init(&dg);
		egg_write_yaml(egg, &b);
		if (egg_load(&s->egg, "egg copy", b.data != NULL ? b.data : "",
		    b.len, &dg) != 0)
			s->egg = NULL;
		diags_dispose(&dg);
		buf_dispose(&b);
	}
	if (egg->install_image != NULL && egg->install_script != NULL &&
	    *egg->install_script != '\0') {
		s->install_image = xstrdup(egg->install_image);
		s->install_entry = egg->install_entrypoint != NULL ?
		    xstrdup(egg->install_entrypoint) : NULL;
		s->install_script = xstrdup(egg->install_script);
	}
	return s;
}

/* The first error the state holds for path, or a generic message. */
static char *
recon_first_error(const struct state *st, const char *path,
    const char *fallback)
{
	const struct diag	*dg;
	size_t			 i;
	char			*out;

	for (i = 0; st->diags != NULL && i < st->diags->n; i++) {
		dg = &st->diags->v[i];
		if (dg->level != DIAG_ERROR || dg->path == NULL ||
		    path == NULL || strcmp(dg->path, path) != 0)
			continue;
		xasprintf(&out, "%s:%d:%d: %s", dg->path, dg->line, dg->col,
		    dg->msg);
		return out;
	}
	xasprintf(&out, "%s: %s", path != NULL ? path : "server file",
	    fallback != NULL ? fallback : "invalid");
	return out;
}

/* A cache of egg fingerprints for one pass. */
struct eggfp {
	const struct egg	*egg;
	char			*fp;
};

static const char *
eggfp_get(struct eggfp **v, size_t *n, const struct egg *egg)
{
	size_t	i;

	for (i = 0; i < *n; i++)
		if ((*v)[i].egg == egg)
			return (*v)[i].fp;
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n].egg = egg;
	(*v)[*n].fp = egg_fingerprint(egg);
	return (*v)[(*n)++].fp;
}

static int
recon_cmp_desired(const void *a, const void *b)
{
	const struct plan_desired *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/*
 * The planner's desired entry for rs with snapshot s (may be NULL), under
 * r->mtx. The pass holds a server that is busy or in an operation; a
 * worker plans the server it holds itself, and holds it only while a
 * failed action waits for its retry time.
 */
void
recon_plan_desired(const struct rsrv *rs, const struct rsnap *s,
    uint64_t now, int in_worker, struct plan_desired *d)
{
	memset(d, 0, sizeof(*d));
	d->name = rs->name;
	if (s != NULL) {
		d->spec_hash = s->cs->hash;
		cspec_plan_limits(&s->cs->spec.limits, &d->limits);
		d->running = s->srv->state == STATE_RUNNING;
		d->restarted_at = s->srv->restarted_at;
		d->reinstall_at = s->srv->reinstall_at;
		d->has_install = s->install_image != NULL;
	}
	d->installed = rs->installed;
	d->installed_for = rs->installed_for;
	d->invalid = rs->invalid;
	if (!in_worker && (rs->op != OP_NONE || rs->busy))
		d->hold = PLAN_HOLD_BUSY;
	else if (rs->install_failed)
		d->hold = PLAN_HOLD_INSTALL_FAILED;
	else if (rs->crashloop)
		d->hold = PLAN_HOLD_CRASHLOOP;
	else if (rs->backoff_until > now)
		d->hold = PLAN_HOLD_BACKOFF;
	else if (rs->disk_over)
		d->hold = PLAN_HOLD_DISK;
	else if (in_worker && rs->apply_error != NULL && now < rs->retry_at)
		d->hold = PLAN_HOLD_BUSY;
	/* A move: stopped and sent away, or held until its data arrived. */
	d->move_out = rs->move_out;
	d->move_sent = rs->move_sent;
	if (rs->tr_hold && d->hold != PLAN_HOLD_BUSY)
		d->hold = PLAN_HOLD_TRANSFER;
	/* A restore: stopped while it waits, untouched while it swaps. */
	if (rs->bk_hold == BACKUP_HOLD_STOP)
		d->running = 0;
	else if (rs->bk_hold == BACKUP_HOLD_BUSY)
		d->hold = PLAN_HOLD_BUSY;
}

/*
 * The planner's observed entry for container c of server (borrowed from
 * c and rs), under r->mtx. rs may be NULL (a container of a server this
 * node does not know); s is its snapshot. Without swap accounting in the
 * engine, the swap the spec asks for is taken as observed.
 */
void
recon_plan_observed(struct recon *r, const struct rsrv *rs,
    const struct rsnap *s, const struct docker_container *c,
    const char *server, struct plan_observed *o)
{
	memset(o, 0, sizeof(*o));
	o->server = server;
	o->id = c->id;
	o->name = c->name;
	o->spec_hash = docker_container_label(c, CSPEC_LABEL_HASH);
	o->restarted_at = docker_container_label(c, CSPEC_LABEL_RESTARTED);
	o->reinstall_at = docker_container_label(c, CSPEC_LABEL_REINSTALL);
	cspec_plan_limits(&c->limits, &o->limits);
	o->running = c->running;
	if (rs == NULL)
		return;
	if (!r->swap_ok && s != NULL)
		o->limits.memory_swap = s->cs->spec.limits.memory_swap;
	o->stopping = rs->stopping;
	o->adopted = str_eq(rs->adopted_cid, c->id) && (!c->running ||
	    runtime_following(r->rt, rs->name, c->id));
}

/* An invalid server file: ours when it says so or when we run it. */
static void
pass_invalid(struct recon *r, const struct state *st,
    const struct state_server *srv, int ours)
{
	struct rsrv	*rs = recon_find(r, srv->name);
	char		*msg;
	int		 found;

	if (!ours && rs == NULL) {
		dcache_lock(r->dc);
		found = dcache_find(r->dc, srv->name, NULL) != NULL;
		dcache_unlock(r->dc);
		if (!found)
			return;
	}
	rs = recon_get(r, srv->name);
	rs->in_tree = 1;
	msg = recon_first_error(st, srv->path, srv->error);
	if (!rs->invalid || !str_eq(rs->invalid_msg, msg)) {
		rs->invalid = 1;
		set_str(&rs->invalid_msg, msg);
	}
	free(msg);
}

/* A valid server of this node: a new snapshot when its spec changed. */
static void
pass_server(struct recon *r, const struct state *st,
    const struct state_server *srv, const struct state_node *node,
    const char *fp, const char *node_fp, const char *revision)
{
	struct rsrv	*rs;
	struct rsnap	*ns;
	struct rerr	 e2;
	char		*msg;

	rs = recon_get(r, srv->name);
	rs->in_tree = 1;
	rs->prune = 0;
	if (rs->snap != NULL && !rs->invalid &&
	    str_eq(rs->snap->blob_id, srv->blob_id) &&
	    str_eq(rs->snap->egg_fp, fp) &&
	    str_eq(rs->snap->node_fp, node_fp))
		return;
	rerr_init(&e2);
	ns = snap_build(r, st, srv, state_server_egg(st, srv), node, fp,
	    node_fp, revision, &e2);
	if (ns == NULL) {
		rs->invalid = 1;
		xasprintf(&msg, "%s: %s", srv->path ? srv->path : srv->name,
		    e2.msg);
		set_str(&rs->invalid_msg, msg);
		free(msg);
		return;
	}
	rs->invalid = 0;
	set_str(&rs->invalid_msg, NULL);
	if (rs->snap == NULL || strcmp(rs->snap->cs->hash,
	    ns->cs->hash) != 0 || !str_eq(rs->snap->srv->restarted_at,
	    ns->srv->restarted_at) || rs->snap->srv->state != ns->srv->state)
		recon_crash_clear(rs);
	if (rs->snap == NULL || strcmp(rs->snap->cs->hash,
	    ns->cs->hash) != 0 || !str_eq(rs->snap->srv->reinstall_at,
	    ns->srv->reinstall_at))
		rs->install_failed = 0;
	if (rs->snap != NULL && !str_eq(rs->snap->cs->hash, ns->cs->hash))
		rs->nfail = 0, rs->retry_at = 0;
	if (rs->apply_error != NULL)
		rs->retry_at = 0;
	/* A backup or restore request: a worker's turn hands it over. */
	if ((ns->srv->backup_at != NULL && (rs->snap == NULL ||
	    !str_eq(rs->snap->srv->backup_at, ns->srv->backup_at))) ||
	    (ns->srv->restore_at != NULL && (rs->snap == NULL ||
	    !str_eq(rs->snap->srv->restore_at, ns->srv->restore_at))))
		recon_enqueue_locked(r, rs->name);
	snap_unref(rs->snap);
	rs->snap = ns;
}

/* Every server of the state that is this node's, under r->mtx. */
static void
pass_servers(struct recon *r, const struct state *st,
    const struct state_node *node, const char *node_fp,
    const char *revision)
{
	const struct state_server	*srv;
	struct eggfp			*fps = NULL;
	struct rsrv			*rs;
	size_t				 i, nfps = 0;
	int				 ours, keep;

	for (i = 0; i < st->nservers; i++) {
		srv = st->servers[i];
		if (srv->name == NULL)
			continue;
		ours = srv->node != NULL && strcmp(srv->node, r->conf.node) == 0;
		keep = 0;
		/* Moving away from this node: kept until its data is sent. */
		if (srv->valid && !ours && srv->move_from != NULL &&
		    strcmp(srv->move_from, r->conf.node) == 0)
			keep = move_pass_out(r, srv, revision);
		if (!srv->valid)
			pass_invalid(r, st, srv, ours);
		else if (ours || keep)
			pass_server(r, st, srv, node, eggfp_get(&fps, &nfps,
			    state_server_egg(st, srv)), node_fp, revision);
		if (srv->valid && (rs = recon_find(r, srv->name)) != NULL &&
		    (ours || keep)) {
			rs->move_out = keep != 0;
			rs->move_sent = keep == 2;
		}
	}
	for (i = 0; i < nfps; i++)
		free(fps[i].fp);
	free(fps);
}

/*
 * Plans the node (desired x observed) and queues every server with work;
 * under r->mtx. Returns 1 when the revision is refused (it would remove
 * every server): what was in the tree (was) stays in it.
 */
static int
pass_plan(struct recon *r, int tree_valid, int allow_empty,
    struct rsrv **was, size_t nwas)
{
	const struct docker_container	*dc;
	struct plan_desired		*des;
	struct plan_observed		*obs;
	struct plan_input		 in;
	struct plan_result		 res;
	struct rsrv			*rs;
	const char			*role, *server;
	size_t				 i, nd = 0, no = 0, ndc;
	uint64_t			 now = ev_now_ms();
	int				 refused;

	des = xcalloc(r->n + 1, sizeof(*des));
	for (i = 0; i < r->n; i++)
		if (r->v[i]->in_tree)
			recon_plan_desired(r->v[i], r->v[i]->snap, now, 0,
			    &des[nd++]);
	qsort(des, nd, sizeof(*des), recon_cmp_desired);

	dcache_lock(r->dc);
	ndc = dcache_count(r->dc);
	obs = xcalloc(ndc + 1, sizeof(*obs));
	for (i = 0; i < ndc; i++) {
		dc = dcache_item(r->dc, i);
		role = docker_container_label(dc, CSPEC_LABEL_ROLE);
		if (role != NULL && strcmp(role, "server") != 0)
			continue;
		if ((server = docker_container_label(dc,
		    CSPEC_LABEL_SERVER)) == NULL)
			continue;
		rs = recon_find(r, server);
		recon_plan_observed(r, rs, rs != NULL ? rs->snap : NULL, dc,
		    server, &obs[no++]);
		if (rs != NULL && rs->in_tree)
			recon_observe(rs, dc);
	}

	memset(&in, 0, sizeof(in));
	in.desired = des;
	in.ndesired = nd;
	in.observed = obs;
	in.nobserved = no;
	in.tree_valid = tree_valid;
	in.allow_empty = allow_empty;
	plan_make(&in, &res);
	refused = res.refused_empty;
	if (refused)
		for (i = 0; i < nwas; i++)
			was[i]->in_tree = 1;
	for (i = 0; i < res.n; i++) {
		const struct plan_action *a = &res.v[i];

		if (a->kind == PLAN_PRUNE) {
			rs = recon_get(r, a->server);
			rs->prune = 1;
			rs->in_tree = 0;
		}
		recon_enqueue_locked(r, a->server);
	}
	plan_result_dispose(&res);
	dcache_unlock(r->dc);
	free(des);
	free(obs);
	return refused;
}

/* Servers gone from the tree without a container: forgotten. */
static void
pass_forget(struct recon *r, struct notes *nt)
{
	struct rsrv	*rs;
	size_t		 i;
	int		 found;

	for (i = 0; i < r->n; ) {
		rs = r->v[i];
		if (!rs->in_tree && !rs->prune && !rs->busy && !rs->queued &&
		    rs->op == OP_NONE) {
			dcache_lock(r->dc);
			found = dcache_find(r->dc, rs->name, NULL) != NULL;
			dcache_unlock(r->dc);
			if (!found) {
				notes_add(nt, rs->name, 1);
				recon_drop(r, rs);
				continue;
			}
		}
		i++;
	}
}

/* The status of every server in the tree and the node's, after a pass. */
static void
pass_status(struct recon *r, const char *revision, int tree_valid,
    int refused, struct notes *nt)
{
	const struct docker_container	*x;
	struct rsrv			*rs;
	char				*msg = NULL;
	size_t				 i;

	for (i = 0; i < r->n; i++) {
		rs = r->v[i];
		if (!rs->in_tree)
			continue;
		set_str(&rs->observed_rev, revision);
		if (!rs->have_c || rs->snap == NULL)
			recon_observe(rs, NULL);
		dcache_lock(r->dc);
		x = dcache_find(r->dc, rs->name, NULL);
		recon_observe(rs, x);
		dcache_unlock(r->dc);
		recon_derive_notes(r, rs, nt);
	}
	if (refused)
		xasprintf(&msg, "revision %s would remove every server of node "
		    "\"%s\"; refused (set allowEmpty on the node to allow it)",
		    revision != NULL ? revision : "(none)", r->conf.node);
	else if (!tree_valid)
		xasprintf(&msg, "node \"%s\" is missing or invalid in revision "
		    "%s; nothing is pruned", r->conf.node,
		    revision != NULL ? revision : "(none)");
	if (!str_eq(msg, r->refused))
		notes_add(nt, NULL, 0);
	set_str(&r->refused, msg);
	free(msg);
	util_now_rfc3339(r->node_time, sizeof(r->node_time));
}

/* One pass; see recon.h. */
int
recon_pass(struct recon *r, const struct state *st, const char *revision,
    struct rerr *err)
{
	const struct state_node	*node;
	struct notes		 nt = { 0 };
	struct rsrv		**was;
	char			*node_fp = NULL;
	size_t			 i, nwas = 0;
	int			 rc, tree_valid, allow_empty, refused;

	if (st == NULL)
		return 0;
	if ((rc = recon_engine_setup(r, err)) != 0)
		return rc;

	pthread_mutex_lock(&r->mtx);
	set_str(&r->revision, revision);
	node = state_node_find(st, r->conf.node);
	tree_valid = node != NULL && node->valid;
	allow_empty = r->conf.allow_empty || (node != NULL &&
	    node->allow_empty);
	if (node != NULL) {
		xasprintf(&node_fp, "%s|%d|%d", node->address ?
		    node->address : "", (int)node->overhead,
		    node->overhead_percent);
		r->cap_memory = node->cap_memory;
		r->cap_disk = node->cap_disk;
		r->cap_cpu = node->cap_cpu;
	} else
		node_fp = xstrdup("-");

	/* A refused revision changes nothing: remember what was in the tree. */
	was = xcalloc(r->n + 1, sizeof(*was));
	for (i = 0; i < r->n; i++) {
		if (r->v[i]->in_tree)
			was[nwas++] = r->v[i];
		r->v[i]->in_tree = 0;
	}
	pass_servers(r, st, node, node_fp, revision);
	free(node_fp);
	refused = pass_plan(r, tree_valid, allow_empty, was, nwas);
	free(was);
	if (tree_valid && !refused)
		pass_forget(r, &nt);
	pass_status(r, revision, tree_valid, refused, &nt);
	pthread_mutex_unlock(&r->mtx);
	notes_fire(r, &nt);
	if (refused)
		return rerr_set(err, ROOST_EDENIED, "revision would remove "
		    "every server of node \"%s\"", r->conf.node);
	return 0;
}
