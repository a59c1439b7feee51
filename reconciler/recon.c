/*
 * recon: the reconciler of roostd (see recon.h for the threading model and
 * docs/reconcile.md for the design). This file holds what every thread
 * shares: the table of servers, the work queue, crash records, the engine
 * setup, the life cycle (recon_new, recon_free), the timers (recon_tick)
 * and the console's callbacks and commands. The pass is in recon_pass.c,
 * the workers in recon_work.c, the usage sampler in recon_usage.c and the
 * status in recon_status.c; recon_int.h is what they share. Status is
 * derived from what was observed, not from what was intended, and kept
 * behind one mutex.
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
#include "seal.h"
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
#include "recon_int.h"
#include "runtime.h"
#include "thread.h"

/* Snapshots. */

void
snap_unref(struct rsnap *s)
{

	if (s == NULL || --s->refs > 0)
		return;
	state_server_free(s->srv);
	cspec_free(s->cs);
	free(s->blob_id);
	free(s->egg_fp);
	free(s->node_fp);
	free(s->revision);
	strv_free(s->done, s->ndone);
	free(s->stop_signal);
	free(s->stop_command);
	free(s->install_image);
	free(s->install_entry);
	free(s->install_script);
	egg_free(s->egg);
	free(s);
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

/* The server called name, or NULL (under r->mtx). */
struct rsrv *
recon_find(struct recon *r, const char *name)
{
	size_t	i;

	return recon_slot(r, name, &i) ? r->v[i] : NULL;
}

/* The server called name, made when unknown (under r->mtx). */
struct rsrv *
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
	buf_dispose(&rs->install_out);
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
	free(rs->tr_restore_id);
	free(rs->tr_restore_at);
	free(rs);
}

/* Forgets a server (under r->mtx). */
void
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

/* The work queue. */

void
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

/* Queues a server and notifies; see recon.h. */
void
recon_kick(struct recon *r, const char *name)
{
	int	known;

	pthread_mutex_lock(&r->mtx);
	known = recon_find(r, name) != NULL;
	if (known)
		recon_enqueue_locked(r, name);
	pthread_mutex_unlock(&r->mtx);
	if (known && r->conf.on_change != NULL)
		r->conf.on_change(r->conf.cb_arg, name, 0);
}

/* Takes the next server that no other worker holds, or NULL. */
struct rsrv *
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
		install_keep_line(&rs->install_out, line);
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
	struct rsrv	*rs;

	pthread_mutex_lock(&r->mtx);
	rs = recon_find(r, server);
	if (rs != NULL && *cid != '\0' && str_eq(rs->install_cid, cid))
		rs->install_eof = 1;
	recon_enqueue_locked(r, server);
	pthread_mutex_unlock(&r->mtx);
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

/* Connects to the engine once: network, cache, installers left over. */
int
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

/* Forgets the crashes of a server (a new spec or a restart). */
void
recon_crash_clear(struct rsrv *rs)
{
	rs->ncrash = 0;
	rs->crashloop = 0;
	rs->backoff_until = 0;
}

/* Records a crash; returns the backoff delay (0: crash loop). */
void
recon_crash_record(struct recon *r, struct rsrv *rs)
{
	uint64_t	now = ev_now_ms(), delay;
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
	r->conf.keys = NULL;
	r->conf.nkeys = 0;
	if (conf->nkeys > 0) {
		r->keys = xcalloc(conf->nkeys, sizeof(*r->keys));
		memcpy(r->keys, conf->keys, conf->nkeys * sizeof(*r->keys));
		r->nkeys = conf->nkeys;
	}
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
	if (conf->console != NULL)
		runtime_use_console(r->rt, conf->console);
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
	thread_raise(&r->mtx, &r->cond, &r->quit);
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
	for (i = 0; i < r->nkeys; i++)
		seal_key_wipe(&r->keys[i]);
	free(r->keys);
	free(r->refused);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->mtx);
	free(r);
}

/* Timers; see recon.h. */
int
recon_tick(struct recon *r)
{
	struct notes	nt = { 0 };
	uint64_t	now = ev_now_ms(), next = 1000, left;
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
		/* A move waits for the other node: look again. */
		if (rs->tr_poll && now >= rs->tr_poll_at) {
			rs->tr_poll_at = now + 2000;
			recon_enqueue_locked(r, rs->name);
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

	util_deadline(&ts, CLOCK_REALTIME, (int64_t)timeout_ms);
	pthread_mutex_lock(&r->mtx);
	while ((r->qlen > 0 || r->nbusy > 0) && rc == 0)
		if (pthread_cond_timedwait(&r->cond, &r->mtx, &ts) ==
		    ETIMEDOUT)
			rc = ROOST_ETIMEDOUT;
	pthread_mutex_unlock(&r->mtx);
	return rc;
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

/*
 * Locks r->mtx and finds the server name, which must be in the tree and
 * running: 0 with *rsp set and the mutex held, else ROOST_ENOTFOUND or
 * ROOST_ECONFLICT with err set and the mutex released.
 */
static int
running_lock(struct recon *r, const char *name, struct rsrv **rsp,
    struct rerr *err)
{
	struct rsrv	*rs;

	pthread_mutex_lock(&r->mtx);
	rs = recon_find(r, name);
	if (rs == NULL || !rs->in_tree) {
		pthread_mutex_unlock(&r->mtx);
		return rerr_set(err, ROOST_ENOTFOUND, "server \"%s\" not "
		    "found on this node", name);
	}
	if (!rs->crunning || rs->stopping) {
		pthread_mutex_unlock(&r->mtx);
		return rerr_set(err, ROOST_ECONFLICT, "server \"%s\" is %s",
		    name, rs->crunning ? "stopping" : "not running");
	}
	*rsp = rs;
	return 0;
}

/* Console command; see recon.h. */
int
recon_command(struct recon *r, const char *name, const char *line,
    struct rerr *err)
{
	struct rsrv	*rs;
	int		 rc, stop = 0;

	if ((rc = running_lock(r, name, &rs, err)) != 0)
		return rc;
	if (line == NULL) {
		pthread_mutex_unlock(&r->mtx);
		return 0;
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

/* Queues a restart that is not a commit; see recon.h. */
int
recon_restart(struct recon *r, const char *name, struct rerr *err)
{
	struct rsrv	*rs;
	int		 rc;

	if ((rc = running_lock(r, name, &rs, err)) != 0)
		return rc;
	rs->restart_wanted = 1;
	recon_enqueue_locked(r, name);
	pthread_mutex_unlock(&r->mtx);
	if (r->conf.on_change != NULL)
		r->conf.on_change(r->conf.cb_arg, name, 0);
	return 0;
}
