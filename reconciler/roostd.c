/*
 * roostd: the roost node daemon. It follows the state repository's branch,
 * hands each new revision to the reconciler, which converges this node's
 * Docker containers, and serves the actual status on a local API and to
 * the bot's node hub. Containers keep running while roostd is stopped;
 * a restarted roostd adopts them.
 *
 *	roostd -f FILE [-d] [-n] [-v] [-R] [-K]
 *
 * -R rotates the node's sealing key (nodekey.h) before starting; -K prints
 * the node's public sealing key (making the key pair at the first use)
 * and exits.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "daemon.h"
#include "diag.h"
#include "egg.h"
#include "ev.h"
#include "json.h"
#include "log.h"
#include "rerr.h"
#include "seal.h"
#include "state.h"
#include "util.h"
#include "xmalloc.h"

#include "api.h"
#include "backup.h"
#include "transfer.h"
#include "console.h"
#include "conf.h"
#include "docker.h"
#include "hub.h"
#include "nodekey.h"
#include "recon.h"
#include "sched.h"
#include "sftpsup.h"
#include "sync.h"

struct roostd {
	struct conf		*conf;
	struct ev		*ev;
	struct recon		*recon;
	struct sync		*sync;
	struct api		*api;
	struct console		*console;
	struct backups		*backups;
	struct sched		*sched;
	int			 quitting;	/* schedule tasks give up */
	struct transfers	*transfers;
	struct hub		*hub;
	struct sftpsup		*sftp;
	struct egg_library	*eggs;
	struct state		*state;		/* last loaded */
	struct ev_timer		*poll;
	struct ev_timer		*tick;
	struct ev_timer		*publish;	/* a deferred publish */
	uint64_t		 published_at;	/* ms, last publish */
	char			*fetch_error;
	char			 fetch_time[32];
	uint64_t		 passes;
	uint64_t		 fetch_errors;
	uint64_t		 pass_ms_total;
	uint64_t		 pass_cpu_ns_total;	/* this thread's CPU */

	/* Requests from other threads, under mu. */
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 changed;	/* status to publish */
	int			 fetch_wanted;
	uint64_t		 fetch_seq;	/* fetches requested */
	uint64_t		 fetch_done;	/* fetches completed */
	char			*fetch_result;	/* JSON of the last fetch */

	/* Sealed secrets: the keys, and a reseal asked by the API. */
	struct seal_key		 keys[NODEKEY_MAX];
	size_t			 nkeys;
	char			 seal_pub[SEAL_PUBSTRLEN];
	const char		*reseal_body;	/* under mu; NULL: none */
	size_t			 reseal_len;
	struct buf		*reseal_out;
	int			 reseal_code;	/* 0: not done yet */
};

static struct roostd	*rd_global;

/*
 * Status changes from the other threads are published at most this often
 * (the first at once): a node converging many servers would otherwise
 * render its whole status once per change.
 */
#define RD_PUBLISH_MIN_MS	50

static void	rd_fetch(struct roostd *);

/* Adds each server's schedules (sched.c) to its status object. */
static void
rd_status_schedules(struct roostd *rd, cJSON *root)
{
	cJSON	*srv, *sc;

	if (rd->sched == NULL)
		return;
	cJSON_ArrayForEach(srv, cJSON_GetObjectItemCaseSensitive(root,
	    "servers")) {
		const char *name = json_str(srv, "name", NULL);

		if (name != NULL &&
		    (sc = sched_status_json(rd->sched, name)) != NULL)
			cJSON_AddItemToObject(srv, "schedules", sc);
	}
}

/*
 * The node's public sealing key in status, its id, and whether
 * nodes/<node>.yaml holds it (sealKeyCommitted).
 */
static void
rd_status_seal(struct roostd *rd, cJSON *node)
{
	const struct state_node	*sn;

	cJSON_DeleteItemFromObjectCaseSensitive(node, "sealKey");
	cJSON_DeleteItemFromObjectCaseSensitive(node, "sealKeyId");
	cJSON_DeleteItemFromObjectCaseSensitive(node, "sealKeyCommitted");
	if (rd->nkeys == 0)
		return;
	cJSON_AddStringToObject(node, "sealKey", rd->seal_pub);
	cJSON_AddStringToObject(node, "sealKeyId", rd->keys[0].kid);
	sn = rd->state != NULL ? state_node_find(rd->state, rd->conf->node) :
	    NULL;
	cJSON_AddBoolToObject(node, "sealKeyCommitted", sn != NULL &&
	    sn->seal_key != NULL && strcmp(sn->seal_key, rd->seal_pub) == 0);
}

/* Builds the node object and the full status document. */
static cJSON *
rd_status_tree(struct roostd *rd)
{
	cJSON	*root, *node;

	root = recon_status_tree(rd->recon, NULL);
	if (root == NULL)
		root = json_new_object();
	if ((node = cJSON_GetObjectItemCaseSensitive(root, "node")) == NULL ||
	    !cJSON_IsObject(node)) {
		cJSON_DeleteItemFromObjectCaseSensitive(root, "node");
		node = cJSON_AddObjectToObject(root, "node");
	}
	cJSON_DeleteItemFromObjectCaseSensitive(node, "name");
	cJSON_AddStringToObject(node, "name", rd->conf->node);
	cJSON_DeleteItemFromObjectCaseSensitive(node, "fetchError");
	if (rd->fetch_error != NULL)
		cJSON_AddStringToObject(node, "fetchError", rd->fetch_error);
	else
		cJSON_AddNullToObject(node, "fetchError");
	cJSON_DeleteItemFromObjectCaseSensitive(node, "lastFetch");
	cJSON_AddStringToObject(node, "lastFetch", rd->fetch_time);
	cJSON_DeleteItemFromObjectCaseSensitive(node, "repo");
	cJSON_AddStringToObject(node, "repo", rd->conf->repo);
	cJSON_DeleteItemFromObjectCaseSensitive(node, "branch");
	cJSON_AddStringToObject(node, "branch", rd->conf->branch);
	rd_status_seal(rd, node);
	if (cJSON_GetObjectItemCaseSensitive(root, "servers") == NULL)
		cJSON_AddArrayToObject(root, "servers");
	rd_status_schedules(rd, root);
	return root;
}

static void
metric_label(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		if (*s == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *s);
	}
}

/*
 * The gauge name of each server's usage.key (where it is a number), with
 * decimals digits after the point.
 */
static void
metric_usage(struct buf *b, const cJSON *servers, const char *name,
    const char *help, const char *key, int decimals)
{
	const cJSON	*s, *v;

	buf_addf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
	cJSON_ArrayForEach(s, servers) {
		v = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(s, "usage"), key);
		if (!cJSON_IsNumber(v))
			continue;
		buf_addf(b, "%s{server=\"", name);
		metric_label(b, cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(s, "name")));
		buf_addf(b, "\"} %.*f\n", decimals, v->valuedouble);
	}
}

/* Renders the Prometheus metrics from the status document. */
static void
rd_metrics(struct roostd *rd, cJSON *root, struct buf *b)
{
	static const char *phases[] = { "Pending", "Pulling", "Installing",
	    "Installed", "InstallFailed", "Starting", "Running", "Stopping",
	    "Stopped", "Crashed", "CrashLoop", "Invalid", "Failed",
	    "Transferring" };
	cJSON		*servers, *s, *v;
	const char	*rev = NULL;
	size_t		 i;
	int		 n;

	servers = cJSON_GetObjectItemCaseSensitive(root, "servers");
	buf_puts(b, "# HELP roost_servers Game servers on this node by "
	    "phase.\n# TYPE roost_servers gauge\n");
	for (i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		n = 0;
		cJSON_ArrayForEach(s, servers) {
			v = cJSON_GetObjectItemCaseSensitive(s, "phase");
			if (cJSON_IsString(v) &&
			    strcmp(v->valuestring, phases[i]) == 0)
				n++;
		}
		buf_addf(b, "roost_servers{phase=\"%s\"} %d\n", phases[i], n);
	}
	buf_addf(b, "# HELP roost_reconcile_passes_total Reconcile passes "
	    "run.\n# TYPE roost_reconcile_passes_total counter\n"
	    "roost_reconcile_passes_total %llu\n",
	    (unsigned long long)rd->passes);
	buf_addf(b, "# HELP roost_reconcile_pass_seconds_total Time spent "
	    "planning passes.\n# TYPE roost_reconcile_pass_seconds_total "
	    "counter\nroost_reconcile_pass_seconds_total %.3f\n",
	    rd->pass_ms_total / 1000.0);
	buf_addf(b, "# HELP roost_reconcile_pass_cpu_seconds_total CPU time "
	    "of the loop thread in passes.\n# TYPE "
	    "roost_reconcile_pass_cpu_seconds_total counter\n"
	    "roost_reconcile_pass_cpu_seconds_total %.6f\n",
	    rd->pass_cpu_ns_total / 1e9);
	buf_addf(b, "# HELP roost_fetch_errors_total Failed fetches of the "
	    "state repository.\n# TYPE roost_fetch_errors_total counter\n"
	    "roost_fetch_errors_total %llu\n",
	    (unsigned long long)rd->fetch_errors);
	buf_addf(b, "# HELP roost_engine_writes_total Docker engine write "
	    "requests.\n# TYPE roost_engine_writes_total counter\n"
	    "roost_engine_writes_total %llu\n",
	    (unsigned long long)recon_engine_writes(rd->recon));
	buf_addf(b, "# HELP roost_engine_requests_total Docker engine "
	    "requests of every kind (reads, writes, events, attach).\n"
	    "# TYPE roost_engine_requests_total counter\n"
	    "roost_engine_requests_total %llu\n",
	    (unsigned long long)docker_requests_total());
	if (rd->sync != NULL)
		rev = sync_revision(rd->sync);
	buf_puts(b, "# HELP roost_revision_info The applied revision.\n"
	    "# TYPE roost_revision_info gauge\n");
	buf_addf(b, "roost_revision_info{revision=\"%s\"} 1\n",
	    rev != NULL ? rev : "");
	metric_usage(b, servers, "roost_server_cpu_percent", "CPU use of a "
	    "server (100 = one core).", "cpuPercent", 2);
	metric_usage(b, servers, "roost_server_memory_bytes", "Memory use of "
	    "a server.", "memoryBytes", 0);
}

/* Publishes the current status to the API and the hub. */
static void
rd_publish(struct roostd *rd)
{
	cJSON		*root;
	char		*s;
	struct buf	 m;

	root = rd_status_tree(rd);
	s = json_print(root);
	buf_init(&m, 0);
	rd_metrics(rd, root, &m);
	if (rd->api != NULL)
		api_publish(rd->api, s, buf_str(&m));
	if (rd->hub != NULL)
		hub_publish(rd->hub, root);
	buf_dispose(&m);
	free(s);
	cJSON_Delete(root);
	rd->published_at = ev_now_ms();
	/* This covers a deferred publish too. */
	if (rd->publish != NULL) {
		ev_timer_del(rd->ev, rd->publish);
		rd->publish = NULL;
	}
}

static void
rd_on_publish(struct ev *ev, struct ev_timer *t, void *arg)
{
	rd_publish(arg);
}

/* Publishes now, or when RD_PUBLISH_MIN_MS have passed since the last. */
static void
rd_publish_soon(struct roostd *rd)
{
	uint64_t	now = ev_now_ms();

	if (rd->publish != NULL)
		return;		/* already due */
	if (now - rd->published_at >= RD_PUBLISH_MIN_MS) {
		rd_publish(rd);
		return;
	}
	rd->publish = ev_timer_add(rd->ev, rd->published_at +
	    RD_PUBLISH_MIN_MS - now, 0, rd_on_publish, rd);
}

/*
 * Status changes arrive from the reconciler's threads; a server pruned
 * from this node leaves the backups' memory too (its archives stay).
 */
static void
rd_on_change(void *arg, const char *server, int removed)
{
	struct roostd	*rd = arg;

	if (removed && server != NULL)
		backup_forget(rd->backups, server);
	pthread_mutex_lock(&rd->mu);
	rd->changed = 1;
	pthread_mutex_unlock(&rd->mu);
	ev_wakeup(rd->ev);
}

static void
rd_on_progress(void *arg, const char *server, const char *kind,
    const char *text)
{
	struct roostd	*rd = arg;

	if (rd->hub != NULL)
		hub_progress(rd->hub, server, kind, text);
}

/* A backup or restore moved on: the server gets a turn, its status out. */
static void
rd_backup_change(void *arg, const char *server)
{
	struct roostd	*rd = arg;

	if (rd->recon != NULL)
		recon_kick(rd->recon, server);
}

/* Runs on the loop thread after a wakeup from any thread. */
static void
rd_wakeup(struct ev *ev, void *arg)
{
	struct roostd	*rd = arg;
	int		 changed, fetch;

	pthread_mutex_lock(&rd->mu);
	changed = rd->changed;
	fetch = rd->fetch_wanted;
	rd->changed = rd->fetch_wanted = 0;
	if (rd->reseal_body != NULL && rd->reseal_code == 0) {
		rd->reseal_code = nodekey_reseal(rd->state, rd->conf->node,
		    rd->keys, rd->nkeys, rd->reseal_body, rd->reseal_len,
		    rd->reseal_out);
		pthread_cond_broadcast(&rd->cv);
	}
	pthread_mutex_unlock(&rd->mu);
	if (fetch)
		rd_fetch(rd);
	if (changed)
		rd_publish_soon(rd);
}

/* Writes the SFTP users of this node's servers for roost-sftpd. */
static void
rd_sftp_users(struct roostd *rd)
{
	struct rerr	err;

	if (rd->sftp == NULL || rd->state == NULL)
		return;
	rerr_init(&err);
	if (sftpsup_update(rd->sftp, rd->state, &err) != 0)
		log_warnx("sftp users: %s", err.msg);
}

/* The CPU time of the calling thread in nanoseconds. */
static uint64_t
rd_thread_cpu_ns(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Fetches the state repository and runs a pass on a new revision. */
static void
rd_fetch(struct roostd *rd)
{
	struct state	*st = NULL;
	struct rerr	 err;
	uint64_t	 t0, c0;
	int		 rc;
	char		*res = NULL;

	rerr_init(&err);
	util_now_rfc3339(rd->fetch_time, sizeof(rd->fetch_time));
	rc = sync_fetch(rd->sync, rd->conf->allow_rewrite, &st, &err);
	if (rc < 0) {
		rd->fetch_errors++;
		if (rd->fetch_error == NULL ||
		    strcmp(rd->fetch_error, err.msg) != 0)
			log_warnx("fetch: %s", err.msg);
		free(rd->fetch_error);
		rd->fetch_error = xstrdup(err.msg);
		rd_publish(rd);
		xasprintf(&res, "{\"revision\":%s%s%s,\"error\":\"fetch "
		    "failed\"}", sync_revision(rd->sync) ? "\"" : "",
		    sync_revision(rd->sync) ? sync_revision(rd->sync) :
		    "null", sync_revision(rd->sync) ? "\"" : "");
		goto done;
	}
	if (rd->fetch_error != NULL) {
		log_info("fetch: recovered");
		free(rd->fetch_error);
		rd->fetch_error = NULL;
	}
	if (rc == 1) {
		log_info("revision %.12s: %zu servers, %zu problems",
		    sync_revision(rd->sync), st->nservers,
		    st->diags->nerrors);
		state_free(rd->state);
		rd->state = st;
		if (rd->sched != NULL)
			sched_update(rd->sched, rd->state, rd->conf->node);
	}
	if (rd->state != NULL) {
		t0 = ev_now_ms();
		c0 = rd_thread_cpu_ns();
		rerr_init(&err);
		rc = recon_pass(rd->recon, rd->state, sync_revision(rd->sync),
		    &err);
		rd->passes++;
		rd->pass_ms_total += ev_now_ms() - t0;
		rd->pass_cpu_ns_total += rd_thread_cpu_ns() - c0;
		if (rc == 0)
			sync_applied(rd->sync, sync_revision(rd->sync));
		else if (rc == ROOST_EDENIED)
			log_warnx("revision %.12s refused: it removes every "
			    "server of node '%s' (set allowEmpty to allow)",
			    sync_revision(rd->sync), rd->conf->node);
		else
			log_warnx("reconcile: %s", err.msg);
		rd_sftp_users(rd);
	}
	rd_publish(rd);
	xasprintf(&res, "{\"revision\":%s%s%s,\"error\":null}",
	    sync_revision(rd->sync) ? "\"" : "",
	    sync_revision(rd->sync) ? sync_revision(rd->sync) : "null",
	    sync_revision(rd->sync) ? "\"" : "");
done:
	pthread_mutex_lock(&rd->mu);
	free(rd->fetch_result);
	rd->fetch_result = res;
	rd->fetch_done = rd->fetch_seq;
	pthread_cond_broadcast(&rd->cv);
	pthread_mutex_unlock(&rd->mu);
}

/* Asks the loop thread for a fetch; with wait, blocks until it is done. */
static void
rd_request_fetch(struct roostd *rd, int wait, struct buf *out)
{
	uint64_t	seq;
	struct timespec	ts;

	pthread_mutex_lock(&rd->mu);
	seq = ++rd->fetch_seq;
	rd->fetch_wanted = 1;
	pthread_mutex_unlock(&rd->mu);
	ev_wakeup(rd->ev);
	if (!wait)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 120;
	pthread_mutex_lock(&rd->mu);
	while (rd->fetch_done < seq)
		if (pthread_cond_timedwait(&rd->cv, &rd->mu, &ts) != 0)
			break;
	if (out != NULL)
		buf_puts(out, rd->fetch_done >= seq && rd->fetch_result ?
		    rd->fetch_result : "{\"error\":\"timed out\"}");
	pthread_mutex_unlock(&rd->mu);
}

static int
rd_api_reconcile(void *arg, struct buf *out)
{
	struct roostd	*rd = arg;

	rd_request_fetch(rd, 1, out);
	(void)recon_wait_idle(rd->recon, 60000);
	return strstr(buf_str(out), "\"error\":null") != NULL ? 200 : 502;
}

/*
 * POST /v1/secrets/reseal: the loop thread, which owns the state, does it
 * (one request at a time).
 */
static int
rd_api_reseal(void *arg, const char *body, size_t len, struct buf *out)
{
	static pthread_mutex_t	 one = PTHREAD_MUTEX_INITIALIZER;
	struct roostd		*rd = arg;
	struct timespec		 ts;
	int			 code;

	pthread_mutex_lock(&one);
	pthread_mutex_lock(&rd->mu);
	rd->reseal_body = body;
	rd->reseal_len = len;
	rd->reseal_out = out;
	rd->reseal_code = 0;
	pthread_mutex_unlock(&rd->mu);
	ev_wakeup(rd->ev);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 60;
	pthread_mutex_lock(&rd->mu);
	while (rd->reseal_code == 0)
		if (pthread_cond_timedwait(&rd->cv, &rd->mu, &ts) != 0)
			break;
	code = rd->reseal_code;
	if (code == 0) {
		buf_reset(out);
		buf_puts(out, "{\"error\":\"timed out\"}");
		code = 504;
	}
	rd->reseal_body = NULL;
	rd->reseal_out = NULL;
	pthread_mutex_unlock(&rd->mu);
	pthread_mutex_unlock(&one);
	return code;
}

/* The node's sealing keys (made at the first start; -R rotates). */
static void
rd_load_keys(struct roostd *rd, int rotate)
{
	struct rerr	err;
	int		created;

	rerr_init(&err);
	if (nodekey_load(rd->conf->data_dir, rotate, rd->keys, &rd->nkeys,
	    &created, &err) != 0)
		fatalx("sealing key: %s", err.msg);
	seal_pub_encode(rd->keys[0].pk, rd->seal_pub);
	log_info("sealing key %s (%s)%s: sealKey: %s", rd->keys[0].kid,
	    created ? "new" : "loaded", rd->nkeys > 1 ? ", previous key "
	    "kept" : "", rd->seal_pub);
}

static int
rd_api_logs(void *arg, const char *name, int tail, struct buf *out)
{
	struct roostd	*rd = arg;
	struct rerr	 err;
	int		 rc;

	rerr_init(&err);
	rc = recon_logs(rd->recon, name, tail, out, &err);
	if (rc == 0)
		return 200;
	buf_reset(out);
	buf_addf(out, "{\"error\":\"%s\"}", rc == ROOST_ENOTFOUND ?
	    "no such server on this node" : "logs unavailable");
	return rc == ROOST_ENOTFOUND ? 404 : 502;
}

/* An audit entry of the console goes to the hub too. */
static void
rd_on_audit(void *arg, const char *entry)
{
	struct roostd	*rd = arg;

	hub_audit(rd->hub, entry);
}

/* The console's transport: recon_command. */
static int
rd_console_send(void *arg, const char *server, const char *line,
    struct rerr *err)
{
	struct roostd	*rd = arg;

	return recon_command(rd->recon, server, line, err);
}

/* The hub asked for a fetch: run it, then return the result. */
static char *
rd_hub_fetch(void *arg)
{
	struct roostd	*rd = arg;
	struct buf	 b;

	buf_init(&b, 0);
	rd_request_fetch(rd, 1, &b);
	(void)recon_wait_idle(rd->recon, 60000);
	return buf_detach(&b);
}

static void
rd_on_poll(struct ev *ev, struct ev_timer *t, void *arg)
{
	rd_fetch(arg);
}

/*
 * The local repository's refs changed. A ref moves by an atomic rename
 * after its objects are written, so the branch's own event is the moment
 * to read it: no quiet time is waited for, and the index and lock-file
 * events of a commit in progress are ignored.
 */
static void
rd_on_watch(struct ev *ev, int fd, int events, void *arg)
{
	struct roostd	*rd = arg;

	if (sync_watch_drain(rd->sync))
		rd_fetch(rd);
}

static void
rd_on_tick(struct ev *ev, struct ev_timer *t, void *arg)
{
	struct roostd	*rd = arg;
	int		 ms;

	ms = recon_tick(rd->recon);
	if (rd->sftp != NULL)
		sftpsup_tick(rd->sftp);
	if (ms <= 0 || ms > 1000)
		ms = 1000;
	ev_timer_set(t, (uint64_t)ms, 0);
}

static void
rd_on_term(struct ev *ev, int signo, void *arg)
{
	log_info("received %s, exiting; containers keep running",
	    strsignal(signo));
	ev_stop(ev);
}

/* SIGHUP: load the configuration again; keep the old one if it is bad. */
static void
rd_on_hup(struct ev *ev, int signo, void *arg)
{
	struct roostd	*rd = arg;
	struct conf	*nc;
	struct diags	 d;

	diags_init(&d);
	if (conf_load(&nc, rd->conf->path, &d) != 0) {
		struct buf b;

		buf_init(&b, 0);
		diags_format(&d, &b);
		log_warnx("reload refused, keeping the running "
		    "configuration:\n%s", buf_str(&b));
		buf_dispose(&b);
		diags_dispose(&d);
		return;
	}
	diags_dispose(&d);
	if (strcmp(nc->node, rd->conf->node) != 0 ||
	    strcmp(nc->repo, rd->conf->repo) != 0 ||
	    strcmp(nc->data_dir, rd->conf->data_dir) != 0 ||
	    strcmp(nc->api, rd->conf->api) != 0)
		log_warnx("reload: node, repo, dataDir and api take effect "
		    "after a restart");
	rd->conf->poll_ms = nc->poll_ms;
	rd->conf->allow_rewrite = nc->allow_rewrite;
	rd->conf->allow_empty = nc->allow_empty;
	conf_free(nc);
	if (rd->poll != NULL && rd->conf->poll_ms > 0)
		ev_timer_set(rd->poll, rd->conf->poll_ms, rd->conf->poll_ms);
	log_info("configuration reloaded");
	rd_fetch(rd);
}

/* roostd -n: check the configuration and the state at the tip. */
static int
rd_check(struct conf *c, const struct egg_library *eggs)
{
	struct sync	*s;
	struct state	*st = NULL;
	struct rerr	 err;
	int		 rc;

	rerr_init(&err);
	if (sync_open(&s, c, eggs, &err) != 0) {
		fprintf(stderr, "roostd: %s\n", err.msg);
		return 1;
	}
	rc = sync_fetch(s, 1, &st, &err);
	if (rc < 0) {
		fprintf(stderr, "roostd: %s\n", err.msg);
		sync_free(s);
		return 1;
	}
	diags_sort(st->diags);
	diags_print(st->diags, stderr);
	rc = st->diags->nerrors == 0 ? 0 : 1;
	if (rc == 0 && state_node_find(st, c->node) == NULL) {
		fprintf(stderr, "roostd: node '%s' has no file nodes/%s.yaml "
		    "in the state repository\n", c->node, c->node);
		rc = 1;
	}
	if (rc == 0)
		printf("configuration OK (revision %.12s, %zu servers)\n",
		    sync_revision(s), st->nservers);
	state_free(st);
	sync_free(s);
	return rc;
}

/* The console: rings, throttle, rate limit, audit log. */
static void
rd_start_console(struct roostd *rd)
{
	struct console_conf	cc;
	char			*audit;

	memset(&cc, 0, sizeof(cc));
	cc.lines = (size_t)rd->conf->con_lines;
	cc.bytes = (size_t)rd->conf->con_bytes;
	cc.throttle_lines = (unsigned int)rd->conf->con_throttle;
	cc.throttle_ms = rd->conf->con_throttle_ms;
	cc.rate = (unsigned int)rd->conf->con_rate;
	cc.rate_ms = rd->conf->con_rate_ms;
	cc.audit_max = rd->conf->audit_max;
	xasprintf(&audit, "%s/audit.log", rd->conf->data_dir);
	cc.audit_path = audit;
	cc.send = rd_console_send;
	cc.send_arg = rd;
	cc.on_audit = rd_on_audit;
	cc.audit_arg = rd;
	rd->console = console_new(&cc);
	free(audit);
}

/* Moves between nodes, on the backups (transfer.h). */
static void
rd_start_transfers(struct roostd *rd)
{
	struct transfer_conf	tc;
	struct rerr		err;

	memset(&tc, 0, sizeof(tc));
	tc.data_dir = rd->conf->data_dir;
	tc.node = rd->conf->node;
	tc.backups = rd->backups;
	tc.on_change = rd_backup_change;
	tc.cb_arg = rd;
	rerr_init(&err);
	if ((rd->transfers = transfer_new(&tc, &err)) == NULL)
		fatalx("%s", err.msg);
}

/* The backups; finishes restores a kill -9 cut short. */
static void
rd_start_backups(struct roostd *rd)
{
	struct backup_conf	bc;
	struct rerr		err;

	memset(&bc, 0, sizeof(bc));
	bc.data_dir = rd->conf->data_dir;
	bc.targets = rd->conf->targets;
	bc.ntargets = rd->conf->ntargets;
	bc.level = rd->conf->backup_level;
	bc.uid = (int)rd->conf->uid;
	bc.gid = (int)rd->conf->gid;
	bc.console = rd->console;
	bc.on_change = rd_backup_change;
	bc.cb_arg = rd;
	/* Finishes restores a kill -9 cut short, before any start. */
	rerr_init(&err);
	if ((rd->backups = backup_new(&bc, &err)) == NULL)
		fatalx("%s", err.msg);
	rd_start_transfers(rd);
}

/* The reconciler. */
static void
rd_start_recon(struct roostd *rd)
{
	struct recon_conf	rc;
	struct rerr		err;

	rerr_init(&err);
	memset(&rc, 0, sizeof(rc));
	rc.node = rd->conf->node;
	rc.console = rd->console;
	rc.backups = rd->backups;
	rc.transfers = rd->transfers;
	rc.data_dir = rd->conf->data_dir;
	rc.docker_sock = rd->conf->docker_socket;
	rc.network = rd->conf->network;
	rc.uid = (int)rd->conf->uid;
	rc.gid = (int)rd->conf->gid;
	rc.allow_empty = rd->conf->allow_empty;
	rc.trash_retention_ms = rd->conf->trash_ms;
	rc.stop_timeout_ms = rd->conf->stop_ms;
	rc.install_timeout_ms = rd->conf->install_ms;
	rc.backoff_min_ms = rd->conf->backoff_min_ms;
	rc.backoff_max_ms = rd->conf->backoff_max_ms;
	rc.crashloop_max = rd->conf->crashloop_max;
	rc.crashloop_window_ms = rd->conf->crashloop_window_ms;
	rc.keys = rd->keys;
	rc.nkeys = rd->nkeys;
	rc.on_change = rd_on_change;
	rc.on_progress = rd_on_progress;
	rc.cb_arg = rd;
	if ((rd->recon = recon_new(&rc, &err)) == NULL)
		fatalx("%s", err.msg);
}

/* A schedule's onlyWhenRunning: the container runs. */
static int
rd_sched_running(void *arg, const char *server)
{
	struct roostd	*rd = arg;
	struct rerr	 err;

	rerr_init(&err);
	return recon_command(rd->recon, server, NULL, &err) == 0;
}

/* The container's startedAt and whether it runs, from the status. */
static void
rd_started(struct roostd *rd, const char *server, char *out, size_t len,
    int *running)
{
	cJSON	*o = recon_status_tree(rd->recon, server);

	snprintf(out, len, "%s", json_str(o, "container.startedAt", ""));
	*running = strcmp(json_str(o, "container.state", ""), "running") == 0;
	cJSON_Delete(o);
}

/*
 * A schedule's restart task: recon_restart, then waits until the server
 * runs again in a new container start (at most the stop timeout and a
 * minute), checking four times a second while it lasts.
 */
static int
rd_sched_restart(void *arg, const struct state_server *srv, struct rerr *err)
{
	struct roostd	*rd = arg;
	char		 before[64], now[64];
	uint64_t	 end;
	int		 rc, running;

	rd_started(rd, srv->name, before, sizeof(before), &running);
	if ((rc = recon_restart(rd->recon, srv->name, err)) != 0)
		return rc;
	end = ev_now_ms() + rd->conf->stop_ms + 60000;
	while (ev_now_ms() < end) {
		if (__atomic_load_n(&rd->quitting, __ATOMIC_RELAXED))
			return rerr_set(err, -1, "roostd stopped before the "
			    "server ran again");
		usleep(250000);
		rd_started(rd, srv->name, now, sizeof(now), &running);
		if (running && strcmp(now, before) != 0)
			return 0;
	}
	return rerr_set(err, ROOST_ETIMEDOUT, "the server did not run again "
	    "within the stop timeout and a minute");
}

/* A schedule's backup task: a backup that is not a request. */
static int
rd_sched_backup(void *arg, const struct state_server *srv, const char *note,
    char *id, size_t idlen, struct rerr *err)
{
	struct roostd		*rd = arg;
	struct backup_req	 q;
	char			*vol;
	int			 rc;

	xasprintf(&vol, "%s/volumes/%s", rd->conf->data_dir, srv->name);
	backup_req_init(&q, srv, vol);
	q.note = note;
	q.running = rd_sched_running(rd, srv->name);
	rc = backup_run_now(rd->backups, &q, id, idlen, err);
	free(vol);
	return rc;
}

static void
rd_sched_change(void *arg, const char *server)
{
	rd_on_change(arg, server, 0);
}

static int
rd_api_schedule_run(void *arg, const char *server, const char *name,
    const char *who, struct rerr *err)
{
	struct roostd	*rd = arg;

	return sched_run_now(rd->sched, server, name, who, err);
}

/* The schedules: one thread and one timer for the node. */
static void
rd_start_sched(struct roostd *rd)
{
	struct sched_conf	sc;
	struct rerr		err;

	memset(&sc, 0, sizeof(sc));
	sc.data_dir = rd->conf->data_dir;
	sc.grace_ms = rd->conf->sched_grace_ms;
	sc.console = rd->console;
	sc.running = rd_sched_running;
	sc.restart = rd_sched_restart;
	sc.backup = rd_sched_backup;
	sc.on_change = rd_sched_change;
	sc.arg = rd;
	rerr_init(&err);
	if ((rd->sched = sched_new(&sc, &err)) == NULL)
		fatalx("%s", err.msg);
}

/* The hub client (when configured) and the local API. */
static void
rd_start_hub_api(struct roostd *rd)
{
	struct api_hooks	hooks;
	struct rerr		err;

	rerr_init(&err);
	{
		char	*dir = xstrdup(rd->conf->api), *slash;

		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			(void)util_mkdir_p(dir, 0755);
		}
		free(dir);
	}
	if (rd->conf->hub_url != NULL) {
		struct hub_conf hc;

		memset(&hc, 0, sizeof(hc));
		hc.url = rd->conf->hub_url;
		hc.token_file = rd->conf->hub_token_file;
		hc.ca_file = rd->conf->hub_ca_file;
		hc.node = rd->conf->node;
		hc.on_fetch = rd_hub_fetch;
		hc.arg = rd;
		hc.console = rd->console;
		hc.on_schedule_run = rd_api_schedule_run;
		if (hub_start(&rd->hub, &hc, &err) != 0)
			log_warnx("hub: %s", err.msg);
	}
	memset(&hooks, 0, sizeof(hooks));
	hooks.arg = rd;
	hooks.logs = rd_api_logs;
	hooks.reconcile = rd_api_reconcile;
	hooks.schedule_run = rd_api_schedule_run;
	hooks.reseal = rd_api_reseal;
	hooks.console = rd->console;
	hooks.group = rd->conf->api_group;
	if (api_start(&rd->api, rd->conf->api, &hooks, &err) != 0)
		fatalx("%s", err.msg);
}

int
main(int argc, char *argv[])
{
	struct roostd		 rd;
	struct diags		 d;
	struct rerr		 err;
	struct daemon_opts	 o;
	int			 ret, pubkey, rotate;

	daemon_opts(&o, argc, argv, "KR", "-f file [-dKnRv]");
	pubkey = o.extra[0];
	rotate = o.extra[1];
	signal(SIGPIPE, SIG_IGN);

	memset(&rd, 0, sizeof(rd));
	rd_global = &rd;
	diags_init(&d);
	ret = conf_load(&rd.conf, o.file, &d);
	diags_print(&d, stderr);
	diags_dispose(&d);
	if (ret != 0)
		return 1;

	rd.eggs = egglib_new();
	diags_init(&d);
	if (egglib_load_dir(rd.eggs, egglib_builtin_dir(), "eggs/", &d) ==
	    -1)
		log_warnx("cannot read the built-in eggs in '%s'",
		    egglib_builtin_dir());
	diags_dispose(&d);

	if (o.check) {
		ret = rd_check(rd.conf, rd.eggs);
		egglib_free(rd.eggs);
		conf_free(rd.conf);
		return ret;
	}

	if (util_mkdir_p(rd.conf->data_dir, 0755) == -1)
		fatal("cannot create '%s'", rd.conf->data_dir);
	rd_load_keys(&rd, rotate);
	if (pubkey) {
		printf("%s\n", rd.seal_pub);
		for (size_t k = 0; k < rd.nkeys; k++)
			seal_key_wipe(&rd.keys[k]);
		egglib_free(rd.eggs);
		conf_free(rd.conf);
		return 0;
	}

	pthread_mutex_init(&rd.mu, NULL);
	pthread_cond_init(&rd.cv, NULL);
	rd.ev = ev_new();
	ev_set_wakeup_cb(rd.ev, rd_wakeup, &rd);
	ev_signal_add(rd.ev, SIGTERM, rd_on_term, &rd);
	ev_signal_add(rd.ev, SIGINT, rd_on_term, &rd);
	ev_signal_add(rd.ev, SIGHUP, rd_on_hup, &rd);
	rerr_init(&err);
	if (sync_open(&rd.sync, rd.conf, rd.eggs, &err) != 0)
		fatalx("%s", err.msg);

	rd_start_console(&rd);
	rd_start_backups(&rd);
	rd_start_recon(&rd);
	rd_start_sched(&rd);

	rd_start_hub_api(&rd);

	if (rd.conf->sftp_enabled) {
		if (sftpsup_start(&rd.sftp, rd.conf, argv[0], &err) != 0)
			log_warnx("sftp: %s", err.msg);
	}

	if (sync_watch_fd(rd.sync) != -1)
		ev_fd_add(rd.ev, sync_watch_fd(rd.sync), EV_READ,
		    rd_on_watch, &rd);
	if (rd.conf->poll_ms > 0)
		rd.poll = ev_timer_add(rd.ev, rd.conf->poll_ms,
		    rd.conf->poll_ms, rd_on_poll, &rd);
	rd.tick = ev_timer_add(rd.ev, 1000, 0, rd_on_tick, &rd);

	log_info("node '%s' following %s (branch %s), api %s", rd.conf->node,
	    rd.conf->repo, rd.conf->branch, rd.conf->api);
	rd_fetch(&rd);
	ev_run(rd.ev);

	/* Leave the containers running; the next roostd adopts them. */
	hub_stop(rd.hub);
	api_stop(rd.api);
	sftpsup_stop(rd.sftp);
	/* Schedule tasks call the reconciler and the backups: first. */
	__atomic_store_n(&rd.quitting, 1, __ATOMIC_RELAXED);
	sched_free(rd.sched);
	rd.sched = NULL;
	/* Jobs still call the reconciler; then its workers the module. */
	backup_stop(rd.backups);
	recon_free(rd.recon);
	rd.recon = NULL;
	transfer_free(rd.transfers);
	backup_free(rd.backups);
	console_free(rd.console);
	sync_free(rd.sync);
	state_free(rd.state);
	egglib_free(rd.eggs);
	ev_free(rd.ev);
	free(rd.fetch_error);
	free(rd.fetch_result);
	for (size_t k = 0; k < rd.nkeys; k++)
		seal_key_wipe(&rd.keys[k]);
	conf_free(rd.conf);
	return 0;
}
