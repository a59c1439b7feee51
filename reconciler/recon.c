/*
 * recon: the reconciler of roostd (see recon.h for the threading model and
 * docs/reconcile.md for the design). A pass turns the borrowed state into
 * per-server snapshots of the desired spec, plans the node against the
 * container cache and queues every server with work; worker threads
 * re-observe and apply one server at a time; the console thread follows
 * output; a sampler thread measures usage and disk; recon_tick advances
 * timers. Status is derived from what was observed, not from what was
 * intended, and kept behind one mutex.
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
#include "cfgfile.h"
#include "cspec.h"
#include "dcache.h"
#include "docker.h"
#include "install.h"
#include "plan.h"
#include "recon.h"
#include "runtime.h"

#define CRASH_KEEP	32
#define DISK_MAX_ENTRIES	2000000

enum rop {
	OP_NONE,
	OP_PULL,
	OP_INSTALL,
	OP_STOP
};

/* What a server should be, frozen from one revision; refcounted. */
struct rsnap {
	int			 refs;
	struct state_server	*srv;
	struct cspec		*cs;
	char			*blob_id;
	char			*egg_fp;	/* fingerprint of the egg */
	char			*node_fp;
	char			*revision;
	char			**done;
	size_t			 ndone;
	int			 stop_kind;
	char			*stop_signal;	/* "SIGINT" */
	char			*stop_command;
	char			*install_image;
	char			*install_entry;
	char			*install_script;
	struct egg		*egg;		/* a copy, when it edits files */
};

/* One server known to this node. */
struct rsrv {
	char		*name;
	struct rsnap	*snap;		/* last good spec; NULL: none */
	int		 in_tree;
	int		 invalid;
	char		*invalid_msg;
	int		 prune;

	int		 queued;
	int		 busy;

	enum rop	 op;
	uint64_t	 op_deadline;
	int		 op_escalated;
	char		*op_reason;	/* why it stops */
	char		*install_for;	/* reinstallAt being installed */
	int		 stopping;
	int		 expect_exit;	/* a typed stop command: not a crash */

	int		 installed;
	char		*installed_for;
	int		 install_failed;
	int		 install_exit;
	char		*install_result;
	char		*install_log;
	char		*install_cid;	/* installer whose output is followed */
	char		 install_at[32];

	uint64_t	 crash_t[CRASH_KEEP];
	int		 ncrash;
	int		 restarts;
	uint64_t	 backoff_until;
	int		 crashloop;
	char		*last_finished;

	int		 disk_over;
	int64_t		 disk_bytes;
	uint64_t	 disk_at;

	int		 have_usage;
	struct docker_stats usage;

	char		*adopted_cid;
	char		*done_cid;	/* container whose done string we saw */
	char		*apply_error;
	uint64_t	 retry_at;
	int		 nfail;

	/* observed container, for the status */
	int		 have_c;
	char		*cid;
	char		 cstate[16];
	int		 crunning;
	int		 exit_code;
	int		 oom;
	char		*started_at;
	char		*c_hash;

	/* status */
	char		 phase[16];
	int		 ready;
	const char	*reason;
	char		*message;
	char		 ltt[32];
	char		*observed_rev;
	char		*applied_rev;
	char		*sig;		/* last status signature notified */
};

struct recon {
	struct recon_conf	 conf;
	char			*label;		/* roost.node=<node> */
	char			*tz;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;		/* queue and idle */

	struct rsrv		**v;
	size_t			 n;

	char			**queue;
	size_t			 qhead, qlen, qcap;
	int			 nbusy;
	int			 quit;

	pthread_t		*workers;
	int			 nworkers;
	pthread_t		 sampler;
	int			 sampler_on;

	struct dcache		*dc;
	int			 dc_started;
	struct docker		*d;		/* caller thread's connection */
	struct runtime		*rt;
	int			 io_weight_ok;
	int			 swap_ok;
	int			 engine_ok;
	uint64_t		 writes;

	char			*revision;
	char			*refused;	/* node status message */
	char			 node_time[32];
	int64_t			 cap_memory, cap_disk, cap_cpu;
	uint64_t		 trash_at;
};

static void	recon_enqueue_locked(struct recon *, const char *);
static void	recon_derive(struct recon *, struct rsrv *);

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
set_str(char **dst, const char *src)
{
	if (*dst != NULL && src != NULL && strcmp(*dst, src) == 0)
		return;
	free(*dst);
	*dst = src != NULL ? xstrdup(src) : NULL;
}

static int
str_eq(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* Snapshots. */

static void
snap_unref(struct rsnap *s)
{
	size_t	i;

	if (s == NULL || --s->refs > 0)
		return;
	state_server_free(s->srv);
	cspec_free(s->cs);
	free(s->blob_id);
	free(s->egg_fp);
	free(s->node_fp);
	free(s->revision);
	for (i = 0; i < s->ndone; i++)
		free(s->done[i]);
	free(s->done);
	free(s->stop_signal);
	free(s->stop_command);
	free(s->install_image);
	free(s->install_entry);
	free(s->install_script);
	egg_free(s->egg);
	free(s);
}

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

/* Servers. */

/*
 * r->v is kept sorted by name: *at is where name is, or where it would go.
 * Returns whether it is there.
 */
static int
recon_slot(const struct recon *r, const char *name, size_t *at)
{
	size_t	lo = 0, hi = r->n, mid;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(r->v[mid]->name, name)) == 0) {
			*at = mid;
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return 0;
}

static struct rsrv *
recon_find(struct recon *r, const char *name)
{
	size_t	i;

	return recon_slot(r, name, &i) ? r->v[i] : NULL;
}

static struct rsrv *
recon_get(struct recon *r, const char *name)
{
	struct rsrv	*rs;
	char		*val;
	size_t		 at;

	if (recon_slot(r, name, &at))
		return r->v[at];
	rs = xcalloc(1, sizeof(*rs));
	rs->name = xstrdup(name);
	strlcpy(rs->phase, "Pending", sizeof(rs->phase));
	rs->reason = "Progressing";
	util_now_rfc3339(rs->ltt, sizeof(rs->ltt));
	rs->disk_bytes = -1;
	if (install_marker_read(r->conf.data_dir, name, &val) == 0) {
		rs->installed = 1;
		rs->installed_for = val;
	}
	r->v = xreallocarray(r->v, r->n + 1, sizeof(*r->v));
	memmove(&r->v[at + 1], &r->v[at], (r->n - at) * sizeof(*r->v));
	r->v[at] = rs;
	r->n++;
	return rs;
}

static void
rsrv_free(struct rsrv *rs)
{
	snap_unref(rs->snap);
	free(rs->name);
	free(rs->invalid_msg);
	free(rs->op_reason);
	free(rs->install_for);
	free(rs->installed_for);
	free(rs->install_result);
	free(rs->install_log);
	free(rs->install_cid);
	free(rs->last_finished);
	free(rs->adopted_cid);
	free(rs->done_cid);
	free(rs->apply_error);
	free(rs->cid);
	free(rs->started_at);
	free(rs->c_hash);
	free(rs->message);
	free(rs->observed_rev);
	free(rs->applied_rev);
	free(rs->sig);
	free(rs);
}

static void
recon_drop(struct recon *r, struct rsrv *rs)
{
	size_t	i;

	if (recon_slot(r, rs->name, &i) && r->v[i] == rs) {
		memmove(&r->v[i], &r->v[i + 1], (r->n - i - 1) *
		    sizeof(*r->v));
		r->n--;
	}
	rsrv_free(rs);
}

/* Notifications, always without the lock. */

struct notes {
	char	**names;
	int	 *removed;
	size_t	  n;
};

static void
notes_add(struct notes *nt, const char *name, int removed)
{
	size_t	i;

	for (i = 0; i < nt->n; i++)
		if (str_eq(nt->names[i], name) && nt->names[i] != NULL &&
		    name != NULL && nt->removed[i] == removed)
			return;
	nt->names = xreallocarray(nt->names, nt->n + 1, sizeof(char *));
	nt->removed = xreallocarray(nt->removed, nt->n + 1, sizeof(int));
	nt->names[nt->n] = name != NULL ? xstrdup(name) : NULL;
	nt->removed[nt->n++] = removed;
}

static void
notes_fire(struct recon *r, struct notes *nt)
{
	size_t	i;

	for (i = 0; i < nt->n; i++) {
		if (r->conf.on_change != NULL)
			r->conf.on_change(r->conf.cb_arg, nt->names[i],
			    nt->removed[i]);
		free(nt->names[i]);
	}
	free(nt->names);
	free(nt->removed);
	memset(nt, 0, sizeof(*nt));
}

/* Records the status and queues a notification when it changed. */
static void
recon_status_set(struct recon *r, struct rsrv *rs, const char *phase,
    int ready, const char *reason, const char *message, struct notes *nt)
{
	struct buf	b;

	if (strcmp(rs->phase, phase) != 0) {
		strlcpy(rs->phase, phase, sizeof(rs->phase));
		util_now_rfc3339(rs->ltt, sizeof(rs->ltt));
	}
	rs->ready = ready;
	rs->reason = reason;
	set_str(&rs->message, message);
	if (ready && rs->snap != NULL && rs->snap->revision != NULL &&
	    !rs->invalid)
		set_str(&rs->applied_rev, r->revision);
	buf_init(&b, 0);
	buf_addf(&b, "%s|%d|%s|%s|%s|%s|%d|%s|%s|%d", phase, ready, reason,
	    message ? message : "", rs->cid ? rs->cid : "", rs->cstate,
	    rs->exit_code, rs->install_result ? rs->install_result : "",
	    rs->applied_rev ? rs->applied_rev : "", rs->restarts);
	if (rs->sig == NULL || strcmp(rs->sig, buf_str(&b)) != 0) {
		free(rs->sig);
		rs->sig = buf_detach(&b);
		if (nt != NULL)
			notes_add(nt, rs->name, 0);
	}
	buf_dispose(&b);
}

/* Copies what the status shows of an observed container (or none). */
static void
recon_observe(struct rsrv *rs, const struct docker_container *c)
{
	rs->have_c = c != NULL;
	if (c == NULL) {
		set_str(&rs->cid, NULL);
		rs->cstate[0] = '\0';
		rs->crunning = 0;
		return;
	}
	set_str(&rs->cid, c->id);
	strlcpy(rs->cstate, c->status != NULL ? c->status : "",
	    sizeof(rs->cstate));
	rs->crunning = c->running;
	rs->exit_code = c->exit_code;
	rs->oom = c->oom_killed;
	set_str(&rs->started_at, c->started_at);
	set_str(&rs->c_hash, docker_container_label(c, CSPEC_LABEL_HASH));
}

/*
 * Derives the phase from what is known and observed: operations first,
 * then holds, then the container's own state.
 */
static void
recon_derive_notes(struct recon *r, struct rsrv *rs, struct notes *nt)
{
	const struct rsnap *s = rs->snap;
	int		 want_run = s != NULL && s->srv->state == STATE_RUNNING;
	int		 current = s != NULL && rs->have_c &&
			    str_eq(rs->c_hash, s->cs->hash);
	char		 msg[600];
	uint64_t	 now = now_ms();

	if (s == NULL && rs->invalid) {
		recon_status_set(r, rs, "Invalid", 0, "InvalidSpec",
		    rs->invalid_msg, nt);
		return;
	}
	if (rs->op == OP_PULL) {
		snprintf(msg, sizeof(msg), "pulling image %s", s->cs->image);
		recon_status_set(r, rs, "Pulling", 0, "Pulling", msg, nt);
	} else if (rs->op == OP_INSTALL) {
		recon_status_set(r, rs, "Installing", 0, "Installing",
		    "the egg's install script is running", nt);
	} else if (rs->install_failed) {
		snprintf(msg, sizeof(msg), "install %s with exit code %d; "
		    "fix the egg or variables, then reinstall",
		    rs->install_result ? rs->install_result : "failed",
		    rs->install_exit);
		recon_status_set(r, rs, "InstallFailed", 0, "InstallFailed",
		    msg, nt);
	} else if (rs->apply_error != NULL) {
		recon_status_set(r, rs, "Failed", 0, "ApplyFailed",
		    rs->apply_error, nt);
	} else if (rs->crashloop) {
		snprintf(msg, sizeof(msg), "crashed %d times within %llu s "
		    "(last exit code %d%s); not restarting until the spec "
		    "changes or a restart is requested", rs->ncrash,
		    (unsigned long long)(r->conf.crashloop_window_ms / 1000),
		    rs->exit_code, rs->oom ? ", out of memory" : "");
		recon_status_set(r, rs, "CrashLoop", 0, "CrashLoop", msg, nt);
	} else if (want_run && rs->backoff_until > now && !rs->crunning) {
		snprintf(msg, sizeof(msg), "exited with code %d%s; restarting "
		    "in %llu s", rs->exit_code, rs->oom ? " (out of memory)" :
		    "", (unsigned long long)((rs->backoff_until - now + 999) /
		    1000));
		recon_status_set(r, rs, "Crashed", 0, "BackOff", msg, nt);
	} else if (rs->op == OP_STOP || rs->stopping) {
		recon_status_set(r, rs, "Stopping", 0, "Stopping",
		    rs->op_reason, nt);
	} else if (!rs->have_c) {
		recon_status_set(r, rs, "Pending", 0, "Progressing",
		    "container not created yet", nt);
	} else if (rs->crunning) {
		if (s->ndone == 0 || str_eq(rs->done_cid, rs->cid))
			recon_status_set(r, rs, "Running", want_run && current,
			    want_run ? (current ? "Succeeded" : "Progressing") :
			    "Progressing", want_run ? NULL :
			    "desired stopped", nt);
		else
			recon_status_set(r, rs, "Starting", 0, "Starting",
			    "waiting for the server's ready line", nt);
	} else if (rs->disk_over) {
		snprintf(msg, sizeof(msg), "stopped: disk usage %lld MiB is "
		    "over the limit of %lld MiB; free space or raise the limit",
		    (long long)(rs->disk_bytes / LIMIT_MIB),
		    (long long)(s->cs->disk_bytes / LIMIT_MIB));
		recon_status_set(r, rs, "Stopped", 0, "DiskLimitExceeded",
		    msg, nt);
	} else if (rs->installed && rs->install_result != NULL &&
	    strcmp(rs->cstate, "created") == 0 && want_run) {
		recon_status_set(r, rs, "Installed", 0, "InstallSucceeded",
		    NULL, nt);
	} else {
		recon_status_set(r, rs, "Stopped", !want_run && current,
		    want_run ? "Progressing" : "Succeeded", want_run ?
		    "container not running yet" : NULL, nt);
	}
	if (rs->invalid) {
		snprintf(msg, sizeof(msg), "%s (running the last good spec)",
		    rs->invalid_msg != NULL ? rs->invalid_msg : "invalid");
		recon_status_set(r, rs, "Invalid", 0, "InvalidSpec", msg, nt);
	}
}

static void
recon_derive(struct recon *r, struct rsrv *rs)
{
	recon_derive_notes(r, rs, NULL);
}

/* The work queue. */

static void
recon_enqueue_locked(struct recon *r, const char *name)
{
	struct rsrv	*rs = recon_find(r, name);
	size_t		 i;

	if (rs == NULL || rs->queued)
		return;
	rs->queued = 1;
	if (r->qlen == r->qcap) {
		char	**nq;

		nq = xcalloc(r->qcap ? r->qcap * 2 : 64, sizeof(char *));
		for (i = 0; i < r->qlen; i++)
			nq[i] = r->queue[(r->qhead + i) % r->qcap];
		free(r->queue);
		r->queue = nq;
		r->qhead = 0;
		r->qcap = r->qcap ? r->qcap * 2 : 64;
	}
	r->queue[(r->qhead + r->qlen) % r->qcap] = xstrdup(name);
	r->qlen++;
	pthread_cond_broadcast(&r->cond);
}

/* Takes the next server that no other worker holds, or NULL. */
static struct rsrv *
recon_dequeue_locked(struct recon *r)
{
	struct rsrv	*rs;
	size_t		 i, k;
	char		*name;

	for (i = 0; i < r->qlen; i++) {
		k = (r->qhead + i) % r->qcap;
		rs = recon_find(r, r->queue[k]);
		if (rs != NULL && rs->busy)
			continue;
		name = r->queue[k];
		/* Close the gap: move earlier entries up by one. */
		for (; i > 0; i--)
			r->queue[(r->qhead + i) % r->qcap] =
			    r->queue[(r->qhead + i - 1) % r->qcap];
		r->qhead = (r->qhead + 1) % r->qcap;
		r->qlen--;
		free(name);
		if (rs == NULL)
			return recon_dequeue_locked(r);
		rs->queued = 0;
		rs->busy = 1;
		return rs;
	}
	return NULL;
}

/* Callbacks from the cache and the console thread. */

static void
recon_dcache_notify(const char *server, void *arg)
{
	struct recon	*r = arg;

	if (server == NULL)
		return;
	pthread_mutex_lock(&r->mtx);
	recon_enqueue_locked(r, server);
	pthread_mutex_unlock(&r->mtx);
}

static void
recon_console_line(void *arg, const char *server, const char *cid,
    const char *line)
{
	struct recon	*r = arg;
	struct rsrv	*rs;
	struct notes	 nt = { 0 };
	int		 install;

	pthread_mutex_lock(&r->mtx);
	rs = recon_find(r, server);
	/* The installer's output is install progress, never a done line. */
	install = rs != NULL && *cid != '\0' && str_eq(rs->install_cid, cid);
	if (install) {
		pthread_mutex_unlock(&r->mtx);
		if (r->conf.on_progress != NULL)
			r->conf.on_progress(r->conf.cb_arg, server, "install",
			    line);
		return;
	}
	if (rs != NULL && rs->snap != NULL && *cid != '\0' &&
	    !str_eq(rs->done_cid, cid) &&
	    runtime_done_match(rs->snap->done, rs->snap->ndone, line)) {
		set_str(&rs->done_cid, cid);
		recon_derive_notes(r, rs, &nt);
	}
	pthread_mutex_unlock(&r->mtx);
	if (r->conf.on_progress != NULL && nt.n > 0)
		r->conf.on_progress(r->conf.cb_arg, server, "start", line);
	notes_fire(r, &nt);
}

static void
recon_console_eof(void *arg, const char *server, const char *cid)
{
	struct recon	*r = arg;

	pthread_mutex_lock(&r->mtx);
	recon_enqueue_locked(r, server);
	pthread_mutex_unlock(&r->mtx);
}

/* Engine helpers for the worker. */

struct wctx {
	struct recon		*r;
	struct apply_ctx	 a;
	const char		*server;
};

/*
 * Re-inspects one container into the cache now, after the worker acted
 * on it, through the worker's own engine connection (so the workers do
 * not wait for one another).
 */
static void
recon_refresh(struct wctx *w, const char *ref, struct rerr *err)
{
	dcache_refresh_on(w->r->dc, w->a.d, ref, err);
}

static void
recon_pull_progress(void *arg, const char *text)
{
	struct wctx	*w = arg;

	if (w->r->conf.on_progress != NULL)
		w->r->conf.on_progress(w->r->conf.cb_arg, w->server, "pull",
		    text);
}

/*
 * Removes installer containers a previous roostd left behind (killed while
 * an install ran): their outcome is unknown, so the install runs again.
 */
static void
recon_remove_installers(struct recon *r)
{
	const struct docker_container	*c;
	const char			*role;
	struct apply_ctx		 a;
	struct rerr			 err;
	char				**ids;
	size_t				 i, n = 0, cnt;

	dcache_lock(r->dc);
	cnt = dcache_count(r->dc);
	ids = xcalloc(cnt + 1, sizeof(char *));
	for (i = 0; i < cnt; i++) {
		c = dcache_item(r->dc, i);
		role = docker_container_label(c, CSPEC_LABEL_ROLE);
		if (role != NULL && strcmp(role, INSTALL_ROLE) == 0)
			ids[n++] = xstrdup(c->id);
	}
	dcache_unlock(r->dc);
	memset(&a, 0, sizeof(a));
	a.d = r->d;
	a.writes = &r->writes;
	for (i = 0; i < n; i++) {
		rerr_init(&err);
		if (apply_remove(&a, ids[i], &err) != 0)
			log_warnx("%s", err.msg);
		free(ids[i]);
	}
	free(ids);
}

static int
recon_engine_setup(struct recon *r, struct rerr *err)
{
	struct docker_info	info;
	struct rerr		e2;
	int			rc;

	if (r->engine_ok)
		return 0;
	memset(&info, 0, sizeof(info));
	rerr_init(&e2);
	if ((rc = docker_info(r->d, &info, &e2)) != 0)
		return rerr_set(err, rc, "docker engine: %s", e2.msg);
	r->io_weight_ok = info.io_weight;
	r->swap_ok = info.swap_limit;
	rerr_init(&e2);
	if ((rc = docker_network_ensure(r->d, r->conf.network, NULL,
	    r->conf.subnet, r->conf.gateway, NULL, &e2)) != 0)
		return rerr_set(err, rc, "network \"%s\": %s",
		    r->conf.network, e2.msg);
	if (!r->dc_started) {
		rerr_init(&e2);
		rc = dcache_start(r->dc, &e2);
		if (rc != 0)
			return rerr_set(err, rc, "container cache: %s",
			    e2.msg);
		r->dc_started = 1;
		recon_remove_installers(r);
	}
	r->engine_ok = 1;
	return 0;
}

/* Sends the egg's stop: a console command when attached, else a signal. */
static int
recon_stop_send(struct wctx *w, struct rsrv *rs, const struct rsnap *s,
    const char *cid, const char *why, struct rerr *err)
{
	struct recon	*r = w->r;
	struct rerr	 e2;
	int		 rc = ROOST_ENOTFOUND;

	pthread_mutex_lock(&r->mtx);
	rs->stopping = 1;
	rs->op = OP_STOP;
	rs->op_deadline = now_ms() + r->conf.stop_timeout_ms;
	rs->op_escalated = 0;
	set_str(&rs->op_reason, why);
	recon_derive(r, rs);
	pthread_mutex_unlock(&r->mtx);
	runtime_note(r->rt, rs->name, why);

	rerr_init(&e2);
	if (s->stop_kind == EGG_STOP_COMMAND && s->stop_command != NULL) {
		rc = runtime_write(r->rt, rs->name, s->stop_command, &e2);
		if (rc == 0)
			apply_count(&w->a);
	}
	if (rc != 0) {
		rerr_init(&e2);
		apply_count(&w->a);
		rc = docker_container_kill(w->a.d, cid, s->stop_signal != NULL ?
		    s->stop_signal : "SIGTERM", &e2);
		if (rc == ROOST_ECONFLICT)	/* not running any more */
			rc = 0;
		if (rc != 0)
			return rerr_set(err, rc, "stop: %s", e2.msg);
	}
	return 0;
}

static void
recon_crash_clear(struct rsrv *rs)
{
	rs->ncrash = 0;
	rs->crashloop = 0;
	rs->backoff_until = 0;
}

/* Records a crash; returns the backoff delay (0: crash loop). */
static void
recon_crash_record(struct recon *r, struct rsrv *rs)
{
	uint64_t	now = now_ms(), delay;
	int		i, n = 0;

	if (rs->ncrash == CRASH_KEEP) {
		memmove(rs->crash_t, rs->crash_t + 1,
		    (CRASH_KEEP - 1) * sizeof(uint64_t));
		rs->ncrash--;
	}
	rs->crash_t[rs->ncrash++] = now;
	for (i = 0; i < rs->ncrash; i++)
		if (now - rs->crash_t[i] <= r->conf.crashloop_window_ms)
			n++;
	/* Keep only the crashes inside the window. */
	memmove(rs->crash_t, rs->crash_t + (rs->ncrash - n),
	    n * sizeof(uint64_t));
	rs->ncrash = n;
	if (n >= r->conf.crashloop_max) {
		rs->crashloop = 1;
		return;
	}
	delay = r->conf.backoff_min_ms;
	for (i = 1; i < n && delay < r->conf.backoff_max_ms; i++)
		delay *= 2;
	if (delay > r->conf.backoff_max_ms)
		delay = r->conf.backoff_max_ms;
	rs->backoff_until = now + delay;
}

static void
recon_install_spec(struct recon *r, const struct rsnap *s,
    struct install_spec *is)
{
	memset(is, 0, sizeof(*is));
	is->server = s->srv->name;
	is->node = r->conf.node;
	is->data_dir = r->conf.data_dir;
	is->network = r->conf.network;
	is->image = s->install_image;
	is->entrypoint = s->install_entry;
	is->script = s->install_script;
	is->env = (const char *const *)s->cs->env;
	is->limits = s->cs->install_limits;
	is->uid = r->conf.uid;
	is->gid = r->conf.gid;
}

/* Collects a finished or timed-out installer. Returns 1 when still busy. */
static int
recon_install_check(struct wctx *w, struct rsrv *rs, const struct rsnap *s)
{
	struct recon		*r = w->r;
	struct docker_container	 c;
	struct install_spec	 is;
	struct install_result	 res;
	struct rerr		 err;
	char			*name;
	int			 rc, timeout;

	xasprintf(&name, "roost-%s-install", rs->name);
	memset(&c, 0, sizeof(c));
	rerr_init(&err);
	rc = docker_container_inspect(w->a.d, name, &c, &err);
	timeout = now_ms() >= rs->op_deadline;
	if (rc == 0 && c.running && !timeout) {
		docker_container_dispose(&c);
		free(name);
		return 1;
	}
	docker_container_dispose(&c);
	recon_install_spec(r, s, &is);
	rerr_init(&err);
	memset(&res, 0, sizeof(res));
	if (rc == 0)
		rc = install_collect(&w->a, &is, name, timeout && rc == 0 ?
		    1 : 0, &res, &err);
	else {
		res.exit_code = -1;
		res.log_tail = xstrdup("installer container disappeared");
		install_tidy(&is);
		rc = 0;
	}
	free(name);
	pthread_mutex_lock(&r->mtx);
	rs->op = OP_NONE;
	util_now_rfc3339(rs->install_at, sizeof(rs->install_at));
	set_str(&rs->install_log, res.log_tail);
	rs->install_exit = res.exit_code;
	if (rc == 0 && res.exit_code == 0 && !timeout) {
		rs->install_failed = 0;
		set_str(&rs->install_result, "succeeded");
		rs->installed = 1;
		set_str(&rs->installed_for, rs->install_for != NULL ?
		    rs->install_for : "");
		rerr_init(&err);
		if (install_marker_write(r->conf.data_dir, rs->name,
		    rs->installed_for, &err) != 0)
			log_warnx("server \"%s\": %s", rs->name, err.msg);
	} else {
		rs->install_failed = 1;
		set_str(&rs->install_result, timeout ? "timed out" : "failed");
		if (rc != 0)
			set_str(&rs->install_log, err.msg);
	}
	recon_derive(r, rs);
	pthread_mutex_unlock(&r->mtx);
	runtime_note(r->rt, rs->name, rs->install_failed ? "install failed" :
	    "install succeeded");
	install_result_dispose(&res);
	return 0;
}

static int
recon_do_install(struct wctx *w, struct rsrv *rs, const struct rsnap *s,
    struct rerr *err)
{
	struct recon		*r = w->r;
	struct install_spec	 is;
	struct docker_attach	*a = NULL;
	char			*id = NULL;
	int			 pulled, rc;

	recon_install_spec(r, s, &is);
	pthread_mutex_lock(&r->mtx);
	rs->op = OP_INSTALL;
	rs->op_deadline = now_ms() + r->conf.install_timeout_ms;
	set_str(&rs->install_for, s->srv->reinstall_at != NULL ?
	    s->srv->reinstall_at : "");
	set_str(&rs->install_result, NULL);
	recon_derive(r, rs);
	pthread_mutex_unlock(&r->mtx);
	if (r->conf.on_change != NULL)
		r->conf.on_change(r->conf.cb_arg, rs->name, 0);
	runtime_note(r->rt, rs->name, "install started");
	rc = apply_image_ensure(&w->a, is.image, 0, &pulled, err);
	if (rc == 0)
		rc = install_start(&w->a, &is, &id, &a, err);
	if (rc == 0) {
		pthread_mutex_lock(&r->mtx);
		set_str(&rs->install_cid, id);
		pthread_mutex_unlock(&r->mtx);
		/* Its lines join the server's console and go out as progress. */
		if (a != NULL)
			runtime_follow(r->rt, rs->name, id, a);
	}
	free(id);
	if (rc != 0) {
		pthread_mutex_lock(&r->mtx);
		rs->op = OP_NONE;
		rs->install_failed = 1;
		rs->install_exit = -1;
		set_str(&rs->install_result, "failed");
		set_str(&rs->install_log, err->msg);
		pthread_mutex_unlock(&r->mtx);
	}
	return rc;
}

static int
recon_do_create(struct wctx *w, struct rsrv *rs, const struct rsnap *s,
    struct rerr *err)
{
	struct recon	*r = w->r;
	char		*id = NULL;
	int		 pulled = 0, rc;
	struct rerr	 e2;

	pthread_mutex_lock(&r->mtx);
	rs->op = OP_PULL;
	pthread_mutex_unlock(&r->mtx);
	rc = apply_image_ensure(&w->a, s->cs->image, s->cs->local_image,
	    &pulled, err);
	pthread_mutex_lock(&r->mtx);
	rs->op = OP_NONE;
	pthread_mutex_unlock(&r->mtx);
	if (rc != 0)
		return rc;
	if ((rc = apply_dir_ensure(s->cs->volume, r->conf.uid, r->conf.gid,
	    err)) != 0)
		return rc;
	if ((rc = apply_create(&w->a, s->cs, r->conf.node, &id, err)) != 0)
		return rc;
	pthread_mutex_lock(&r->mtx);
	set_str(&rs->adopted_cid, id);
	pthread_mutex_unlock(&r->mtx);
	rerr_init(&e2);
	recon_refresh(w, id, &e2);
	free(id);
	return 0;
}

/*
 * Rewrites the egg's config files in the server directory before a start,
 * as Wings does. A file that cannot be edited is noted on the console and
 * the start goes on.
 */
static void
recon_config_files(struct recon *r, struct rsrv *rs, const struct rsnap *s)
{
	struct cfgfile_env	 env;
	struct diags		 dg;
	const char		**keys, **values;
	char			**kv;
	size_t			 i, n = 0;
	int			 fd;

	if (s->egg == NULL || s->egg->nfiles == 0)
		return;
	fd = open(s->cs->volume, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1) {
		runtime_note(r->rt, rs->name, "config files: the server "
		    "directory cannot be opened");
		return;
	}
	for (i = 0; s->cs->env[i] != NULL; i++)
		;
	keys = xcalloc(i + 1, sizeof(char *));
	values = xcalloc(i + 1, sizeof(char *));
	kv = xcalloc(i + 1, sizeof(char *));
	memset(&env, 0, sizeof(env));
	for (i = 0; s->cs->env[i] != NULL; i++) {
		char *eq;

		kv[i] = xstrdup(s->cs->env[i]);
		if ((eq = strchr(kv[i], '=')) == NULL)
			continue;
		*eq = '\0';
		keys[n] = kv[i];
		values[n++] = eq + 1;
		if (strcmp(kv[i], "SERVER_IP") == 0)
			env.ip = eq + 1;
	}
	env.port = s->srv->port;
	env.memory = s->srv->limits.memory;
	env.interface = r->conf.gateway;
	env.keys = keys;
	env.values = values;
	env.nvars = n;
	env.uid = (uid_t)r->conf.uid;
	env.gid = (gid_t)r->conf.gid;
	diags_init(&dg);
	if (cfgfile_apply(s->egg, fd, &env, &dg) != 0 || dg.n > 0) {
		for (i = 0; i < dg.n; i++) {
			char *line;

			xasprintf(&line, "config file %s: %s",
			    dg.v[i].path != NULL ? dg.v[i].path : "?",
			    dg.v[i].msg);
			runtime_note(r->rt, rs->name, line);
			free(line);
		}
	}
	diags_dispose(&dg);
	close(fd);
	for (i = 0; kv[i] != NULL; i++)
		free(kv[i]);
	free(kv);
	free(keys);
	free(values);
}

static int
recon_do_start(struct wctx *w, struct rsrv *rs, const struct rsnap *s,
    const char *ref, int fresh, struct rerr *err)
{
	struct recon		*r = w->r;
	struct docker_attach	*a = NULL;
	struct docker_container	 c;
	struct rerr		 e2;
	int			 rc = -1;

	/*
	 * Just created (and refreshed into the cache by this worker): the
	 * cache has it, so the engine is not asked again while it starts.
	 */
	if (fresh) {
		rc = dcache_get_primary(r->dc, rs->name, s->cs->hash, &c);
		pthread_mutex_lock(&r->mtx);
		if (rc == 0 && !str_eq(c.id, rs->adopted_cid)) {
			docker_container_dispose(&c);
			rc = -1;
		}
		pthread_mutex_unlock(&r->mtx);
	}
	if (rc != 0) {
		memset(&c, 0, sizeof(c));
		if ((rc = docker_container_inspect(w->a.d, ref, &c, err)) != 0)
			return rc;
	}
	recon_config_files(r, rs, s);
	/* Attach before start so the first lines are seen. */
	rerr_init(&e2);
	if (docker_attach_open(w->a.d, c.id, 0, &a, &e2) == 0)
		runtime_follow(r->rt, rs->name, c.id, a);
	else
		log_warnx("server \"%s\": attach: %s", rs->name, e2.msg);
	pthread_mutex_lock(&r->mtx);
	set_str(&rs->last_finished, c.finished_at);
	set_str(&rs->done_cid, NULL);
	set_str(&rs->adopted_cid, c.id);
	pthread_mutex_unlock(&r->mtx);
	runtime_note(r->rt, rs->name, "starting");
	apply_count(&w->a);
	rc = docker_container_start(w->a.d, c.id, err);
	rerr_init(&e2);
	recon_refresh(w, c.id, &e2);
	docker_container_dispose(&c);
	return rc;
}

static int
recon_do_update(struct wctx *w, const struct rsnap *s, const char *cid,
    const struct plan_limits *have, struct rerr *err)
{
	struct docker_limits	l = s->cs->spec.limits;
	struct rerr		e2;
	int			rc;

	if (l.cpu_quota <= 0 && have->cpu_quota > 0)
		l.cpu_quota = -1;
	if (l.pids_limit <= 0)
		l.pids_limit = -1;
	apply_count(&w->a);
	rc = docker_container_update(w->a.d, cid, &l, err);
	rerr_init(&e2);
	recon_refresh(w, cid, &e2);
	return rc;
}

/* Prunes a server: container(s) removed, data to the trash. */
static void
recon_do_prune(struct wctx *w, struct rsrv *rs)
{
	struct recon		*r = w->r;
	struct docker_container	 c;
	struct rerr		 err;
	char			*moved = NULL, *name;
	int			 ok = 1;

	runtime_unfollow(r->rt, rs->name, 1);
	memset(&c, 0, sizeof(c));
	while (dcache_get(r->dc, rs->name, NULL, &c) == 0) {
		rerr_init(&err);
		if (apply_remove(&w->a, c.id, &err) != 0) {
			log_warnx("prune \"%s\": %s", rs->name, err.msg);
			ok = 0;
			docker_container_dispose(&c);
			break;
		}
		rerr_init(&err);
		recon_refresh(w, c.id, &err);
		docker_container_dispose(&c);
	}
	xasprintf(&name, "roost-%s-install", rs->name);
	rerr_init(&err);
	apply_remove(&w->a, name, &err);
	free(name);
	if (ok) {
		rerr_init(&err);
		if (apply_trash_move(r->conf.data_dir, rs->name, &moved,
		    &err) != 0) {
			log_warnx("prune \"%s\": %s", rs->name, err.msg);
			ok = 0;
		} else {
			install_marker_remove(r->conf.data_dir, rs->name);
			if (moved != NULL)
				log_info("server \"%s\" pruned; data kept in "
				    "%s", rs->name, moved);
			free(moved);
		}
	}
	pthread_mutex_lock(&r->mtx);
	if (ok && rs->prune) {
		rs->busy = 0;
		name = xstrdup(rs->name);
		recon_drop(r, rs);
		pthread_cond_broadcast(&r->cond);
		pthread_mutex_unlock(&r->mtx);
		if (r->conf.on_change != NULL)
			r->conf.on_change(r->conf.cb_arg, name, 1);
		free(name);
		return;
	}
	rs->retry_at = now_ms() + 5000;
	pthread_mutex_unlock(&r->mtx);
}

/*
 * Removes every other main container of server than keep (the planner's
 * "remove" action: a copy someone made, or one left by an old roostd).
 */
static void
recon_remove_duplicates(struct wctx *w, const char *server, const char *keep)
{
	const struct docker_container	*x;
	const char			*srv, *role;
	struct rerr			 err;
	char				**ids;
	size_t				 i, n = 0, cnt;

	dcache_lock(w->r->dc);
	cnt = dcache_count(w->r->dc);
	ids = xcalloc(cnt + 1, sizeof(char *));
	for (i = 0; i < cnt; i++) {
		x = dcache_item(w->r->dc, i);
		srv = docker_container_label(x, CSPEC_LABEL_SERVER);
		role = docker_container_label(x, CSPEC_LABEL_ROLE);
		if (srv == NULL || strcmp(srv, server) != 0 ||
		    (role != NULL && strcmp(role, "server") != 0) ||
		    strcmp(x->id, keep) == 0)
			continue;
		ids[n++] = xstrdup(x->id);
	}
	dcache_unlock(w->r->dc);
	for (i = 0; i < n; i++) {
		rerr_init(&err);
		if (apply_remove(&w->a, ids[i], &err) != 0)
			log_warnx("server \"%s\": %s", server, err.msg);
		rerr_init(&err);
		recon_refresh(w, ids[i], &err);
		free(ids[i]);
	}
	free(ids);
}

/*
 * One server's turn on a worker: observe, finish operations, detect
 * crashes, plan this server alone and apply its actions in order; stop at
 * the first action that has to wait (stop, install).
 */
static void
recon_work(struct wctx *w, struct rsrv *rs)
{
	struct recon		*r = w->r;
	struct docker_container	 c;
	struct plan_desired	 d;
	struct plan_observed	 o;
	struct plan_input	 in;
	struct plan_result	 res;
	struct rsnap		*s;
	struct rerr		 err;
	struct notes		 nt = { 0 };
	uint64_t		 now = now_ms();
	size_t			 i;
	int			 have_c, rc = 0, wait = 0;
	int			 crashed = 0, want_run, gone = 0;

	w->server = rs->name;
	pthread_mutex_lock(&r->mtx);
	if (rs->prune) {
		pthread_mutex_unlock(&r->mtx);
		recon_do_prune(w, rs);
		return;
	}
	s = rs->snap;
	if (s != NULL)
		s->refs++;
	pthread_mutex_unlock(&r->mtx);
	if (s == NULL)
		goto done;
	want_run = s->srv->state == STATE_RUNNING;

	if (rs->op == OP_INSTALL && recon_install_check(w, rs, s))
		goto done;

	memset(&c, 0, sizeof(c));
	/* The container the planner keeps, so the rest are the duplicates. */
	have_c = dcache_get_primary(r->dc, rs->name, s->cs->hash, &c) == 0;
	if (have_c)
		recon_remove_duplicates(w, rs->name, c.id);

	pthread_mutex_lock(&r->mtx);
	recon_observe(rs, have_c ? &c : NULL);
	if (rs->op == OP_STOP) {
		if (have_c && c.running) {
			if (now >= rs->op_deadline && !rs->op_escalated) {
				rs->op_escalated = 1;
				pthread_mutex_unlock(&r->mtx);
				runtime_note(r->rt, rs->name, "stop timed out; "
				    "killing");
				apply_count(&w->a);
				rerr_init(&err);
				docker_container_kill(w->a.d, c.id, "KILL",
				    &err);
				pthread_mutex_lock(&r->mtx);
			}
			recon_derive_notes(r, rs, &nt);
			pthread_mutex_unlock(&r->mtx);
			docker_container_dispose(&c);
			goto out;
		}
		rs->op = OP_NONE;
		rs->stopping = 0;
		set_str(&rs->last_finished, have_c ? c.finished_at : NULL);
	}
	/* A container that exited while it should run, not by our hand. */
	if (have_c && !c.running && want_run && !rs->stopping &&
	    c.status != NULL && strcmp(c.status, "created") != 0 &&
	    rs->last_finished != NULL && c.finished_at != NULL &&
	    strncmp(c.finished_at, "0001-", 5) != 0 &&
	    strcmp(rs->last_finished, c.finished_at) != 0 &&
	    str_eq(rs->adopted_cid, c.id)) {
		set_str(&rs->last_finished, c.finished_at);
		if (!rs->expect_exit) {
			recon_crash_record(r, rs);
			rs->restarts++;
			crashed = 1;
		}
		rs->expect_exit = 0;
	}
	memset(&d, 0, sizeof(d));
	d.name = rs->name;
	d.spec_hash = s->cs->hash;
	cspec_plan_limits(&s->cs->spec.limits, &d.limits);
	d.running = want_run;
	d.restarted_at = s->srv->restarted_at;
	d.reinstall_at = s->srv->reinstall_at;
	d.has_install = s->install_image != NULL;
	d.installed = rs->installed;
	d.installed_for = rs->installed_for;
	d.invalid = rs->invalid;
	if (rs->install_failed)
		d.hold = PLAN_HOLD_INSTALL_FAILED;
	else if (rs->crashloop)
		d.hold = PLAN_HOLD_CRASHLOOP;
	else if (rs->backoff_until > now)
		d.hold = PLAN_HOLD_BACKOFF;
	else if (rs->disk_over)
		d.hold = PLAN_HOLD_DISK;
	else if (rs->apply_error != NULL && now < rs->retry_at)
		d.hold = PLAN_HOLD_BUSY;
	memset(&o, 0, sizeof(o));
	if (have_c) {
		o.server = rs->name;
		o.id = c.id;
		o.name = c.name;
		o.spec_hash = docker_container_label(&c, CSPEC_LABEL_HASH);
		o.restarted_at = docker_container_label(&c,
		    CSPEC_LABEL_RESTARTED);
		o.reinstall_at = docker_container_label(&c,
		    CSPEC_LABEL_REINSTALL);
		cspec_plan_limits(&c.limits, &o.limits);
		if (!r->swap_ok)
			o.limits.memory_swap = d.limits.memory_swap;
		o.running = c.running;
		o.stopping = rs->stopping;
		o.adopted = str_eq(rs->adopted_cid, c.id) &&
		    (!c.running || runtime_following(r->rt, rs->name, c.id));
	}
	/* After a failed action, wait for the retry time (recon_tick). */
	if (rs->apply_error != NULL && now < rs->retry_at) {
		pthread_mutex_unlock(&r->mtx);
		if (have_c)
			docker_container_dispose(&c);
		goto out;
	}
	/* Over its disk limit while running: stop it, say why. */
	if (rs->disk_over && have_c && c.running && !rs->stopping) {
		pthread_mutex_unlock(&r->mtx);
		rerr_init(&err);
		rc = recon_stop_send(w, rs, s, c.id, "disk usage over the "
		    "limit; stopping", &err);
		docker_container_dispose(&c);
		goto out;
	}
	pthread_mutex_unlock(&r->mtx);
	if (crashed) {
		char note[64];

		snprintf(note, sizeof(note), "exited with code %d%s",
		    c.exit_code, c.oom_killed ? " (out of memory)" : "");
		runtime_note(r->rt, rs->name, note);
	}

	memset(&in, 0, sizeof(in));
	in.desired = &d;
	in.ndesired = 1;
	in.observed = &o;
	in.nobserved = have_c ? 1 : 0;
	in.tree_valid = 0;	/* prunes are decided by the pass */
	plan_make(&in, &res);
	rerr_init(&err);
	for (i = 0; i < res.n && rc == 0 && !wait; i++) {
		const struct plan_action *a = &res.v[i];

		switch (a->kind) {
		case PLAN_ADOPT:
			pthread_mutex_lock(&r->mtx);
			set_str(&rs->adopted_cid, c.id);
			set_str(&rs->last_finished, c.finished_at);
			if (c.running)
				set_str(&rs->done_cid, c.id);
			pthread_mutex_unlock(&r->mtx);
			if (c.running) {
				struct docker_attach *at = NULL;
				struct rerr e2;

				rerr_init(&e2);
				if (docker_attach_open(w->a.d, c.id, c.tty,
				    &at, &e2) == 0)
					runtime_follow(r->rt, rs->name, c.id,
					    at);
			}
			break;
		case PLAN_REMOVE:
			rc = apply_remove(&w->a, a->container, &err);
			break;
		case PLAN_STOP:
			rc = recon_stop_send(w, rs, s, c.id, want_run ?
			    "stopping for a reinstall" : "stopping: desired "
			    "state is stopped", &err);
			wait = 1;
			break;
		case PLAN_INSTALL:
			if (have_c && c.running) {
				rc = recon_stop_send(w, rs, s, c.id,
				    "stopping for a reinstall", &err);
				wait = 1;
				break;
			}
			rc = recon_do_install(w, rs, s, &err);
			wait = 1;
			break;
		case PLAN_RECREATE:
		case PLAN_RESTART:
			if (have_c && c.running) {
				rc = recon_stop_send(w, rs, s, c.id,
				    a->kind == PLAN_RESTART ? "restarting" :
				    "stopping to apply a new spec", &err);
				wait = 1;
				break;
			}
			runtime_unfollow(r->rt, rs->name, 0);
			if ((rc = apply_remove(&w->a, c.id, &err)) != 0)
				break;
			{
				struct rerr e2;

				rerr_init(&e2);
				recon_refresh(w, c.id, &e2);
			}
			pthread_mutex_lock(&r->mtx);
			recon_crash_clear(rs);
			pthread_mutex_unlock(&r->mtx);
			/* FALLTHROUGH */
		case PLAN_CREATE:
			rc = recon_do_create(w, rs, s, &err);
			gone = 1;
			break;
		case PLAN_UPDATE:
			rc = recon_do_update(w, s, c.id, &o.limits, &err);
			break;
		case PLAN_START:
			rc = recon_do_start(w, rs, s, have_c && !gone ?
			    c.id : s->cs->name, gone, &err);
			break;
		case PLAN_PRUNE:
			break;
		}
	}
	plan_result_dispose(&res);
	if (have_c)
		docker_container_dispose(&c);

out:
	pthread_mutex_lock(&r->mtx);
	if (rc != 0) {
		set_str(&rs->apply_error, err.msg);
		rs->nfail++;
		rs->retry_at = now_ms() + (rs->nfail < 6 ?
		    (1000ULL << rs->nfail) : 60000);
		log_warnx("server \"%s\": %s", rs->name, err.msg);
	} else if (rs->apply_error != NULL && !wait && now >= rs->retry_at) {
		set_str(&rs->apply_error, NULL);
		rs->nfail = 0;
	}
	memset(&c, 0, sizeof(c));
	pthread_mutex_unlock(&r->mtx);
	if (dcache_get(r->dc, rs->name, NULL, &c) == 0) {
		pthread_mutex_lock(&r->mtx);
		recon_observe(rs, &c);
		pthread_mutex_unlock(&r->mtx);
		docker_container_dispose(&c);
	} else {
		pthread_mutex_lock(&r->mtx);
		recon_observe(rs, NULL);
		pthread_mutex_unlock(&r->mtx);
	}
	pthread_mutex_lock(&r->mtx);
	recon_derive_notes(r, rs, &nt);
	pthread_mutex_unlock(&r->mtx);
done:
	pthread_mutex_lock(&r->mtx);
	snap_unref(s);
	pthread_mutex_unlock(&r->mtx);
	notes_fire(r, &nt);
}

static void *
recon_worker(void *arg)
{
	struct recon	*r = arg;
	struct wctx	 w;
	struct rsrv	*rs;

	memset(&w, 0, sizeof(w));
	w.r = r;
	w.a.d = docker_new(r->conf.docker_sock);
	w.a.writes = &r->writes;
	w.a.pull_timeout_ms = (long)r->conf.pull_timeout_ms;
	w.a.progress = recon_pull_progress;
	w.a.progress_arg = &w;
	pthread_mutex_lock(&r->mtx);
	for (;;) {
		if (r->quit)
			break;
		if ((rs = recon_dequeue_locked(r)) == NULL) {
			pthread_cond_wait(&r->cond, &r->mtx);
			continue;
		}
		r->nbusy++;
		pthread_mutex_unlock(&r->mtx);
		recon_work(&w, rs);
		pthread_mutex_lock(&r->mtx);
		r->nbusy--;
		/* A prune frees rs; only touch it when it is still known. */
		{
			size_t i;

			for (i = 0; i < r->n; i++)
				if (r->v[i] == rs) {
					rs->busy = 0;
					break;
				}
		}
		pthread_cond_broadcast(&r->cond);
	}
	pthread_mutex_unlock(&r->mtx);
	docker_free(w.a.d);
	return NULL;
}

/*
 * The sampler: usage of running servers, disk walks, trash expiry. Each
 * new sample is a status change (so the API, /metrics and the hub carry
 * current usage), announced once per round after the lock is dropped.
 */
static void *
recon_sampler(void *arg)
{
	struct recon		*r = arg;
	struct docker		*d = docker_new(r->conf.docker_sock);
	struct docker_stats	 stats;
	struct notes		 nt = { 0 };
	struct rerr		 err;
	char			*name, *cid, *vol;
	int64_t			 bytes, limit;
	uint64_t		 now, last_usage = 0;
	size_t			 i;
	int			 trunc, sample, walk, over, changed;

	pthread_mutex_lock(&r->mtx);
	while (!r->quit) {
		now = now_ms();
		sample = now - last_usage >= r->conf.usage_interval_ms;
		if (sample)
			last_usage = now;
		for (i = 0; i < r->n && !r->quit; i++) {
			struct rsrv *rs = r->v[i];

			if (rs->snap == NULL || rs->prune)
				continue;
			walk = rs->disk_at == 0 ||
			    now - rs->disk_at >= r->conf.disk_interval_ms;
			if (!walk && !(sample && rs->crunning))
				continue;
			name = xstrdup(rs->name);
			cid = rs->crunning && rs->cid ? xstrdup(rs->cid) : NULL;
			vol = xstrdup(rs->snap->cs->volume);
			limit = rs->snap->cs->disk_bytes;
			pthread_mutex_unlock(&r->mtx);

			bytes = -2;
			if (walk)
				bytes = runtime_disk_usage(vol,
				    DISK_MAX_ENTRIES, &trunc);
			memset(&stats, 0, sizeof(stats));
			rerr_init(&err);
			if (sample && cid != NULL &&
			    docker_container_stats(d, cid, &stats, &err) != 0)
				sample = sample;	/* stopped meanwhile */

			pthread_mutex_lock(&r->mtx);
			changed = 0;
			if ((rs = recon_find(r, name)) != NULL) {
				if (walk) {
					rs->disk_at = now_ms();
					if (bytes < 0)
						bytes = 0;
					if (rs->disk_bytes != bytes)
						notes_add(&nt, name, 0);
					rs->disk_bytes = bytes;
					over = limit > 0 && bytes > limit;
					if (over != rs->disk_over) {
						rs->disk_over = over;
						changed = 1;
					}
				}
				if (cid != NULL && stats.read[0] != '\0') {
					rs->usage = stats;
					rs->have_usage = 1;
					notes_add(&nt, name, 0);
				}
				if (changed)
					recon_enqueue_locked(r, name);
			}
			free(name);
			free(cid);
			free(vol);
		}
		if (nt.n > 0) {
			pthread_mutex_unlock(&r->mtx);
			notes_fire(r, &nt);
			pthread_mutex_lock(&r->mtx);
		}
		if (now - r->trash_at >= 3600 * 1000ULL || r->trash_at == 0) {
			r->trash_at = now;
			pthread_mutex_unlock(&r->mtx);
			rerr_init(&err);
			if (apply_trash_expire(r->conf.data_dir,
			    r->conf.trash_retention_ms, &err) == -1)
				log_warnx("trash: %s", err.msg);
			pthread_mutex_lock(&r->mtx);
		}
		{
			struct timespec	ts;
			uint64_t	wait = r->conf.usage_interval_ms;

			if (r->conf.disk_interval_ms < wait)
				wait = r->conf.disk_interval_ms;
			if (wait > 1000)
				wait = 1000;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += (time_t)(wait / 1000);
			ts.tv_nsec += (long)(wait % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&r->cond, &r->mtx, &ts);
		}
	}
	pthread_mutex_unlock(&r->mtx);
	docker_free(d);
	return NULL;
}

static char *
recon_timezone(const char *conf)
{
	struct buf	 b;
	const char	*tz;
	char		*out;

	if (conf != NULL)
		return xstrdup(conf);
	if ((tz = getenv("TZ")) != NULL && *tz != '\0' && *tz != ':')
		return xstrdup(tz);
	buf_init(&b, 256);
	if (util_read_file("/etc/timezone", &b, NULL) == 0) {
		while (b.len > 0 && (b.data[b.len - 1] == '\n' ||
		    b.data[b.len - 1] == ' '))
			b.data[--b.len] = '\0';
		if (b.len > 0) {
			out = buf_detach(&b);
			return out;
		}
	}
	buf_dispose(&b);
	return xstrdup("UTC");
}

/* Makes a reconciler; see recon.h. */
struct recon *
recon_new(const struct recon_conf *conf, struct rerr *err)
{
	struct recon	*r;
	int		 i;

	if (conf == NULL || conf->node == NULL || *conf->node == '\0') {
		rerr_set(err, ROOST_EINVAL, "reconciler: no node name");
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->conf = *conf;
	r->conf.node = xstrdup(conf->node);
	r->conf.data_dir = xstrdup(conf->data_dir ? conf->data_dir :
	    "/var/lib/roost");
	r->conf.docker_sock = conf->docker_sock ? xstrdup(conf->docker_sock) :
	    NULL;
	r->conf.network = xstrdup(conf->network ? conf->network : "roost0");
	r->conf.subnet = conf->subnet ? xstrdup(conf->subnet) : NULL;
	r->conf.gateway = conf->gateway ? xstrdup(conf->gateway) : NULL;
	r->conf.log_max_size = xstrdup(conf->log_max_size ?
	    conf->log_max_size : "5m");
	r->conf.location = xstrdup(conf->location ? conf->location :
	    conf->node);
	r->conf.timezone = NULL;
	if (conf->uid == 0 && conf->gid == 0) {
		r->conf.uid = 999;
		r->conf.gid = 999;
	} else if (conf->uid < 0) {
		r->conf.uid = 0;
		r->conf.gid = 0;
	}
#define DEF(f, v)	do { if (r->conf.f == 0) r->conf.f = (v); } while (0)
	DEF(trash_retention_ms, 7ULL * 24 * 3600 * 1000);
	DEF(stop_timeout_ms, 30000);
	DEF(install_timeout_ms, 30ULL * 60 * 1000);
	DEF(pull_timeout_ms, 15ULL * 60 * 1000);
	DEF(backoff_min_ms, 5000);
	DEF(backoff_max_ms, 300000);
	DEF(crashloop_max, 5);
	DEF(crashloop_window_ms, 600000);
	DEF(disk_interval_ms, 150000);
	DEF(usage_interval_ms, 15000);
	DEF(workers, 4);
	DEF(tmpfs_mb, 100);
	DEF(log_max_file, 2);
#undef DEF
	r->tz = recon_timezone(conf->timezone);
	xasprintf(&r->label, "%s=%s", CSPEC_LABEL_NODE, r->conf.node);
	pthread_mutex_init(&r->mtx, NULL);
	pthread_cond_init(&r->cond, NULL);
	r->d = docker_new(r->conf.docker_sock);
	r->dc = dcache_new(r->conf.docker_sock, r->label);
	dcache_set_notify(r->dc, recon_dcache_notify, r);
	r->rt = runtime_new(recon_console_line, recon_console_eof, r);
	r->workers = xcalloc((size_t)r->conf.workers, sizeof(pthread_t));
	for (i = 0; i < r->conf.workers; i++) {
		if (pthread_create(&r->workers[i], NULL, recon_worker, r) != 0)
			fatalx("reconciler: cannot start a worker");
		r->nworkers++;
	}
	if (pthread_create(&r->sampler, NULL, recon_sampler, r) != 0)
		fatalx("reconciler: cannot start the sampler");
	r->sampler_on = 1;
	return r;
}

/* Frees a reconciler; see recon.h. */
void
recon_free(struct recon *r)
{
	size_t	i;
	int	k;

	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mtx);
	r->quit = 1;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mtx);
	for (k = 0; k < r->nworkers; k++)
		pthread_join(r->workers[k], NULL);
	if (r->sampler_on)
		pthread_join(r->sampler, NULL);
	dcache_free(r->dc);
	runtime_free(r->rt);
	docker_free(r->d);
	for (i = 0; i < r->n; i++)
		rsrv_free(r->v[i]);
	free(r->v);
	for (i = 0; i < r->qlen; i++)
		free(r->queue[(r->qhead + i) % r->qcap]);
	free(r->queue);
	free(r->workers);
	free((char *)r->conf.node);
	free((char *)r->conf.data_dir);
	free((char *)r->conf.docker_sock);
	free((char *)r->conf.network);
	free((char *)r->conf.subnet);
	free((char *)r->conf.gateway);
	free((char *)r->conf.log_max_size);
	free((char *)r->conf.location);
	free(r->tz);
	free(r->label);
	free(r->revision);
	free(r->refused);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->mtx);
	free(r);
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

/* One pass; see recon.h. */
int
recon_pass(struct recon *r, const struct state *st, const char *revision,
    struct rerr *err)
{
	const struct state_node		*node;
	const struct state_server	*srv;
	const struct docker_container	*dc;
	struct plan_desired		*des = NULL;
	struct plan_observed		*obs = NULL;
	struct plan_input		 in;
	struct plan_result		 res;
	struct notes			 nt = { 0 };
	struct eggfp			*fps = NULL;
	struct rsrv			*rs;
	struct rerr			 e2;
	char				*node_fp = NULL, *msg;
	size_t				 i, nfps = 0, nd = 0, no = 0, ndc;
	int				 rc, tree_valid, allow_empty, refused;
	struct rsrv			**was_in_tree = NULL;
	size_t				 nwas = 0;

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
	was_in_tree = xcalloc(r->n + 1, sizeof(*was_in_tree));
	nwas = 0;
	for (i = 0; i < r->n; i++) {
		if (r->v[i]->in_tree)
			was_in_tree[nwas++] = r->v[i];
		r->v[i]->in_tree = 0;
	}
	for (i = 0; i < st->nservers; i++) {
		const struct egg	*egg;
		const char		*fp;
		struct rsnap		*ns;
		int			 ours;

		srv = st->servers[i];
		if (srv->name == NULL)
			continue;
		ours = srv->node != NULL && strcmp(srv->node, r->conf.node) == 0;
		rs = recon_find(r, srv->name);
		if (!srv->valid) {
			/* Ours when it says so, or when we run it already. */
			if (!ours && rs == NULL) {
				ndc = 0;
				dcache_lock(r->dc);
				if (dcache_find(r->dc, srv->name, NULL) != NULL)
					ndc = 1;
				dcache_unlock(r->dc);
				if (!ndc)
					continue;
			}
			rs = recon_get(r, srv->name);
			rs->in_tree = 1;
			msg = recon_first_error(st, srv->path, srv->error);
			if (!rs->invalid || !str_eq(rs->invalid_msg, msg)) {
				rs->invalid = 1;
				set_str(&rs->invalid_msg, msg);
			}
			free(msg);
			continue;
		}
		if (!ours)
			continue;
		rs = recon_get(r, srv->name);
		rs->in_tree = 1;
		rs->prune = 0;
		egg = state_server_egg(st, srv);
		fp = eggfp_get(&fps, &nfps, egg);
		if (rs->snap != NULL && !rs->invalid &&
		    str_eq(rs->snap->blob_id, srv->blob_id) &&
		    str_eq(rs->snap->egg_fp, fp) &&
		    str_eq(rs->snap->node_fp, node_fp))
			continue;
		rerr_init(&e2);
		ns = snap_build(r, st, srv, egg, node, fp, node_fp, revision,
		    &e2);
		if (ns == NULL) {
			rs->invalid = 1;
			xasprintf(&msg, "%s: %s", srv->path ? srv->path :
			    srv->name, e2.msg);
			set_str(&rs->invalid_msg, msg);
			free(msg);
			continue;
		}
		rs->invalid = 0;
		set_str(&rs->invalid_msg, NULL);
		if (rs->snap == NULL || strcmp(rs->snap->cs->hash,
		    ns->cs->hash) != 0 || !str_eq(rs->snap->srv->restarted_at,
		    ns->srv->restarted_at) || rs->snap->srv->state !=
		    ns->srv->state)
			recon_crash_clear(rs);
		if (rs->snap == NULL || strcmp(rs->snap->cs->hash,
		    ns->cs->hash) != 0 || !str_eq(rs->snap->srv->reinstall_at,
		    ns->srv->reinstall_at))
			rs->install_failed = 0;
		if (rs->snap != NULL && !str_eq(rs->snap->cs->hash,
		    ns->cs->hash))
			rs->nfail = 0, rs->retry_at = 0;
		if (rs->apply_error != NULL)
			rs->retry_at = 0;
		snap_unref(rs->snap);
		rs->snap = ns;
	}
	for (i = 0; i < nfps; i++)
		free(fps[i].fp);
	free(fps);
	free(node_fp);

	/* desired x observed for the whole node */
	des = xcalloc(r->n + 1, sizeof(*des));
	for (i = 0; i < r->n; i++) {
		rs = r->v[i];
		if (!rs->in_tree)
			continue;
		des[nd].name = rs->name;
		des[nd].spec_hash = rs->snap != NULL ? rs->snap->cs->hash :
		    NULL;
		if (rs->snap != NULL) {
			cspec_plan_limits(&rs->snap->cs->spec.limits,
			    &des[nd].limits);
			des[nd].running = rs->snap->srv->state == STATE_RUNNING;
			des[nd].restarted_at = rs->snap->srv->restarted_at;
			des[nd].reinstall_at = rs->snap->srv->reinstall_at;
			des[nd].has_install = rs->snap->install_image != NULL;
		}
		des[nd].installed = rs->installed;
		des[nd].installed_for = rs->installed_for;
		des[nd].invalid = rs->invalid;
		if (rs->op != OP_NONE || rs->busy)
			des[nd].hold = PLAN_HOLD_BUSY;
		else if (rs->install_failed)
			des[nd].hold = PLAN_HOLD_INSTALL_FAILED;
		else if (rs->crashloop)
			des[nd].hold = PLAN_HOLD_CRASHLOOP;
		else if (rs->backoff_until > now_ms())
			des[nd].hold = PLAN_HOLD_BACKOFF;
		else if (rs->disk_over)
			des[nd].hold = PLAN_HOLD_DISK;
		nd++;
	}
	qsort(des, nd, sizeof(*des), recon_cmp_desired);

	dcache_lock(r->dc);
	ndc = dcache_count(r->dc);
	obs = xcalloc(ndc + 1, sizeof(*obs));
	for (i = 0; i < ndc; i++) {
		const char *role;

		dc = dcache_item(r->dc, i);
		role = docker_container_label(dc, CSPEC_LABEL_ROLE);
		if (role != NULL && strcmp(role, "server") != 0)
			continue;
		obs[no].server = docker_container_label(dc, CSPEC_LABEL_SERVER);
		if (obs[no].server == NULL)
			continue;
		obs[no].id = dc->id;
		obs[no].name = dc->name;
		obs[no].spec_hash = docker_container_label(dc,
		    CSPEC_LABEL_HASH);
		obs[no].restarted_at = docker_container_label(dc,
		    CSPEC_LABEL_RESTARTED);
		obs[no].reinstall_at = docker_container_label(dc,
		    CSPEC_LABEL_REINSTALL);
		cspec_plan_limits(&dc->limits, &obs[no].limits);
		obs[no].running = dc->running;
		rs = recon_find(r, obs[no].server);
		if (rs != NULL) {
			if (!r->swap_ok && rs->snap != NULL)
				obs[no].limits.memory_swap =
				    rs->snap->cs->spec.limits.memory_swap;
			obs[no].stopping = rs->stopping;
			obs[no].adopted = str_eq(rs->adopted_cid, dc->id) &&
			    (!dc->running || runtime_following(r->rt,
			    rs->name, dc->id));
			if (rs->in_tree)
				recon_observe(rs, dc);
		}
		no++;
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
			was_in_tree[i]->in_tree = 1;
	free(was_in_tree);
	was_in_tree = NULL;
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

	/* Servers gone from the tree without a container: forget them. */
	for (i = 0; i < r->n; ) {
		rs = r->v[i];
		if (!rs->in_tree && !rs->prune && !rs->busy && !rs->queued &&
		    rs->op == OP_NONE && tree_valid && !refused) {
			int found;

			dcache_lock(r->dc);
			found = dcache_find(r->dc, rs->name, NULL) != NULL;
			dcache_unlock(r->dc);
			if (!found) {
				notes_add(&nt, rs->name, 1);
				recon_drop(r, rs);
				continue;
			}
		}
		i++;
	}
	for (i = 0; i < r->n; i++) {
		rs = r->v[i];
		if (!rs->in_tree)
			continue;
		set_str(&rs->observed_rev, revision);
		if (!rs->have_c || rs->snap == NULL)
			recon_observe(rs, NULL);
		{
			int found;
			const struct docker_container *x;

			dcache_lock(r->dc);
			x = dcache_find(r->dc, rs->name, NULL);
			found = x != NULL;
			if (found)
				recon_observe(rs, x);
			else
				recon_observe(rs, NULL);
			dcache_unlock(r->dc);
			(void)found;
		}
		recon_derive_notes(r, rs, &nt);
	}
	msg = NULL;
	if (refused)
		xasprintf(&msg, "revision %s would remove every server of node "
		    "\"%s\"; refused (set allowEmpty on the node to allow it)",
		    revision != NULL ? revision : "(none)", r->conf.node);
	else if (!tree_valid)
		xasprintf(&msg, "node \"%s\" is missing or invalid in revision "
		    "%s; nothing is pruned", r->conf.node,
		    revision != NULL ? revision : "(none)");
	if (!str_eq(msg, r->refused))
		notes_add(&nt, NULL, 0);
	set_str(&r->refused, msg);
	free(msg);
	util_now_rfc3339(r->node_time, sizeof(r->node_time));
	pthread_mutex_unlock(&r->mtx);
	free(des);
	free(obs);
	notes_fire(r, &nt);
	if (refused)
		return rerr_set(err, ROOST_EDENIED, "revision would remove "
		    "every server of node \"%s\"", r->conf.node);
	return 0;
}

/* Timers; see recon.h. */
int
recon_tick(struct recon *r)
{
	struct notes	nt = { 0 };
	uint64_t	now = now_ms(), next = 1000, left;
	size_t		i;

	pthread_mutex_lock(&r->mtx);
	for (i = 0; i < r->n; i++) {
		struct rsrv *rs = r->v[i];

		if (rs->op == OP_STOP || rs->op == OP_INSTALL) {
			if (now >= rs->op_deadline && !rs->op_escalated)
				recon_enqueue_locked(r, rs->name);
			else if (rs->op_deadline > now &&
			    rs->op_deadline - now < next)
				next = rs->op_deadline - now;
		}
		if (rs->backoff_until != 0 && !rs->crashloop) {
			if (now >= rs->backoff_until) {
				rs->backoff_until = 0;
				recon_enqueue_locked(r, rs->name);
			} else if ((left = rs->backoff_until - now) < next)
				next = left;
		}
		if (rs->apply_error != NULL && rs->retry_at != 0) {
			if (now >= rs->retry_at) {
				rs->retry_at = 0;
				recon_enqueue_locked(r, rs->name);
			} else if ((left = rs->retry_at - now) < next)
				next = left;
		}
		if (rs->prune && rs->retry_at != 0 && now >= rs->retry_at) {
			rs->retry_at = 0;
			recon_enqueue_locked(r, rs->name);
		}
		if (rs->in_tree)
			recon_derive_notes(r, rs, &nt);
	}
	pthread_mutex_unlock(&r->mtx);
	notes_fire(r, &nt);
	return (int)(next > 0 ? next : 1);
}

/* Waits for idle workers; see recon.h. */
int
recon_wait_idle(struct recon *r, long timeout_ms)
{
	struct timespec	ts;
	int		rc = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->mtx);
	while ((r->qlen > 0 || r->nbusy > 0) && rc == 0)
		if (pthread_cond_timedwait(&r->cond, &r->mtx, &ts) ==
		    ETIMEDOUT)
			rc = ROOST_ETIMEDOUT;
	pthread_mutex_unlock(&r->mtx);
	return rc;
}

static cJSON *
recon_server_tree(struct recon *r, struct rsrv *rs)
{
	const struct rsnap	*s = rs->snap;
	cJSON			*o, *c, *p, *u, *in;
	size_t			 i;

	o = json_new_object();
	json_add_str(o, "name", rs->name);
	json_add_str(o, "node", r->conf.node);
	json_add_str(o, "phase", rs->phase);
	json_add_bool(o, "ready", rs->ready);
	json_add_str(o, "reason", rs->reason);
	json_add_str(o, "message", rs->message);
	json_add_str(o, "lastTransitionTime", rs->ltt);
	json_add_str(o, "observedRevision", rs->observed_rev);
	json_add_str(o, "appliedRevision", rs->applied_rev);
	json_add_str(o, "specHash", s != NULL ? s->cs->hash : NULL);
	json_add_str(o, "desiredState", s == NULL ? NULL :
	    s->srv->state == STATE_RUNNING ? "running" : "stopped");
	json_add_str(o, "image", s != NULL ? s->cs->image : NULL);
	p = json_add_array(o, "ports");
	for (i = 0; s != NULL && i < s->cs->nports; i++)
		cJSON_AddItemToArray(p, cJSON_CreateNumber(s->cs->ports[i]));

	c = json_add_object(o, "container");
	json_add_str(c, "id", rs->have_c ? rs->cid : NULL);
	json_add_str(c, "state", rs->have_c ? rs->cstate : "absent");
	if (rs->have_c && !rs->crunning)
		json_add_num(c, "exitCode", rs->exit_code);
	else
		cJSON_AddNullToObject(c, "exitCode");
	json_add_bool(c, "oomKilled", rs->have_c && rs->oom);
	json_add_num(c, "restarts", rs->restarts);
	json_add_str(c, "startedAt", rs->have_c ? rs->started_at : NULL);
	json_add_bool(c, "specCurrent", rs->have_c && s != NULL &&
	    str_eq(rs->c_hash, s->cs->hash));

	in = json_add_object(o, "install");
	json_add_str(in, "result", rs->op == OP_INSTALL ? "running" :
	    rs->install_result != NULL ? rs->install_result :
	    rs->installed ? "succeeded" : NULL);
	if (rs->install_result != NULL)
		json_add_num(in, "exitCode", rs->install_exit);
	else
		cJSON_AddNullToObject(in, "exitCode");
	json_add_str(in, "logTail", rs->install_log);
	json_add_str(in, "finishedAt", rs->install_at[0] ? rs->install_at :
	    NULL);

	u = json_add_object(o, "usage");
	json_add_num(u, "cpuPercent", rs->crunning && rs->have_usage ?
	    rs->usage.cpu_percent : 0);
	json_add_num(u, "memoryBytes", rs->crunning && rs->have_usage ?
	    (double)rs->usage.memory : 0);
	json_add_num(u, "memoryLimitBytes", s != NULL ?
	    (double)s->cs->spec.limits.memory : 0);
	json_add_num(u, "diskBytes", rs->disk_bytes >= 0 ?
	    (double)rs->disk_bytes : 0);
	json_add_num(u, "diskLimitBytes", s != NULL ?
	    (double)s->cs->disk_bytes : 0);
	json_add_num(u, "netRxBytes", rs->have_usage ?
	    (double)rs->usage.rx_bytes : 0);
	json_add_num(u, "netTxBytes", rs->have_usage ?
	    (double)rs->usage.tx_bytes : 0);
	json_add_str(u, "sampledAt", rs->have_usage ? rs->usage.read : NULL);

	json_add_num(json_add_object(o, "crashes"), "recent", rs->ncrash);
	return o;
}

static cJSON *
recon_node_tree(struct recon *r)
{
	cJSON	*o, *cap, *al;
	int64_t	 mem = 0, disk = 0, cpu = 0;
	size_t	 i, n = 0;

	for (i = 0; i < r->n; i++) {
		const struct rsnap *s = r->v[i]->snap;

		if (!r->v[i]->in_tree)
			continue;
		n++;
		if (s == NULL)
			continue;
		mem += s->srv->limits.memory > 0 ? s->srv->limits.memory : 0;
		disk += s->srv->limits.disk > 0 ? s->srv->limits.disk : 0;
		cpu += s->srv->limits.cpu > 0 ? s->srv->limits.cpu : 0;
	}
	o = json_new_object();
	json_add_str(o, "name", r->conf.node);
	json_add_str(o, "revision", r->revision);
	json_add_num(o, "servers", (double)n);
	cap = json_add_object(o, "capacity");
	json_add_num(cap, "memory", (double)r->cap_memory);
	json_add_num(cap, "disk", (double)r->cap_disk);
	json_add_num(cap, "cpu", (double)r->cap_cpu);
	al = json_add_object(o, "allocated");
	json_add_num(al, "memory", (double)mem);
	json_add_num(al, "disk", (double)disk);
	json_add_num(al, "cpu", (double)cpu);
	json_add_str(o, "refused", r->refused);
	json_add_str(o, "time", r->node_time[0] ? r->node_time : NULL);
	return o;
}

/* Status as a tree; see recon.h. */
cJSON *
recon_status_tree(struct recon *r, const char *name)
{
	struct rsrv	*rs;
	cJSON		*o, *arr;
	size_t		 i;

	pthread_mutex_lock(&r->mtx);
	if (name != NULL) {
		rs = recon_find(r, name);
		o = rs != NULL && rs->in_tree ? recon_server_tree(r, rs) : NULL;
		pthread_mutex_unlock(&r->mtx);
		return o;
	}
	o = json_new_object();
	cJSON_AddItemToObject(o, "node", recon_node_tree(r));
	arr = json_add_array(o, "servers");
	/* r->v is sorted by name already. */
	for (i = 0; i < r->n; i++)
		if (r->v[i]->in_tree)
			cJSON_AddItemToArray(arr, recon_server_tree(r,
			    r->v[i]));
	pthread_mutex_unlock(&r->mtx);
	return o;
}

/* Status as JSON; see recon.h. */
int
recon_status_json(struct recon *r, const char *name, struct buf *out)
{
	cJSON	*o;
	char	*s;

	if ((o = recon_status_tree(r, name)) == NULL)
		return ROOST_ENOTFOUND;
	s = json_print(o);
	buf_puts(out, s);
	free(s);
	cJSON_Delete(o);
	return 0;
}

/* Console log; see recon.h. */
int
recon_logs(struct recon *r, const char *name, int tail, struct buf *out,
    struct rerr *err)
{
	struct rsrv	*rs;
	struct docker	*d;
	char		*cid = NULL;
	int		 rc;

	pthread_mutex_lock(&r->mtx);
	rs = recon_find(r, name);
	if (rs != NULL && rs->cid != NULL)
		cid = xstrdup(rs->cid);
	pthread_mutex_unlock(&r->mtx);
	if (rs == NULL) {
		free(cid);
		return rerr_set(err, ROOST_ENOTFOUND, "server \"%s\" not "
		    "found on this node", name);
	}
	if (runtime_logs(r->rt, name, tail, out) == 0) {
		free(cid);
		return 0;
	}
	if (cid == NULL)
		return 0;
	/* A connection of its own: callers may be on any thread. */
	d = docker_new(r->conf.docker_sock);
	rc = docker_container_logs(d, cid, tail > 0 ? tail : 1000, 0, out,
	    err);
	docker_free(d);
	free(cid);
	return rc;
}

/* Console command; see recon.h. */
int
recon_command(struct recon *r, const char *name, const char *line,
    struct rerr *err)
{
	struct rsrv	*rs;
	int		 stop = 0;

	pthread_mutex_lock(&r->mtx);
	rs = recon_find(r, name);
	if (rs == NULL || !rs->in_tree) {
		pthread_mutex_unlock(&r->mtx);
		return rerr_set(err, ROOST_ENOTFOUND, "server \"%s\" not "
		    "found on this node", name);
	}
	if (!rs->crunning) {
		pthread_mutex_unlock(&r->mtx);
		return rerr_set(err, -1, "server \"%s\" is not running", name);
	}
	/* A typed stop command is a stop, not a crash (as Wings does). */
	if (rs->snap != NULL && rs->snap->stop_command != NULL &&
	    strcmp(rs->snap->stop_command, line) == 0)
		stop = 1;
	if (stop)
		rs->expect_exit = 1;
	pthread_mutex_unlock(&r->mtx);
	return runtime_write(r->rt, name, line, err);
}

/* Write counter; see recon.h. */
uint64_t
recon_engine_writes(struct recon *r)
{
	return __atomic_load_n(&r->writes, __ATOMIC_RELAXED);
}
