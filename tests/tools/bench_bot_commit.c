/*
 * bench_bot_commit: roost-bot's command -> commit pushed latency. Starts
 * the fake Discord and roost-bot with a bare copy of state-example as its
 * remote (repo: URL, workdir: mirror), so every command's commit has to be
 * pushed. It measures from the moment the fake sends INTERACTION_CREATE
 * (the fake's CLOCK_MONOTONIC timestamp) until refs/heads/main of the
 * bare repository moves to a commit carrying the interaction's id in its
 * Roost-Request trailer ("discord-ID"; inotify on refs/heads, read at once,
 * same clock):
 *
 *   single    /server stop|start demo, one at a time
 *   burst     BURST concurrent /server edit modal submits (memory) on the
 *             three servers of one owner, ROUNDS times
 *
 * The anchors run in the same run, each against a bare repository of its
 * own with the same content, from the command's start to the same ref
 * move:
 *
 *   git       the one-line change (state: running <-> stopped) in a clone,
 *             "git commit -a" and "git push" with the git CLI: what an
 *             operator without the bot would do
 *   roost     "roost server stop|start demo --repo CLONE": the panel code
 *             the bot runs (fetch, validate, commit, push), plus a process
 *             start, without Discord
 *
 * The watcher thread reads the ref as soon as inotify reports its rename,
 * so a move is timed to well under a millisecond on an idle machine.
 *
 * Prints p50/p99/max of each; the last line is the summary.
 *
 *   ROOST_SRC=. ROOST_BUILD=build bench_bot_commit [SINGLES] [BURST] [ROUNDS]
 */
#include <sys/inotify.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bench.h"
#include "bench_fake.h"
#include "buf.h"
#include "http.h"
#include "rerr.h"
#include "xmalloc.h"

/* The fake Discord's ports (REST, gateway, resume), from the kernel. */
static int	fake_ports[3];
#define PORT	fake_ports[0]
#define ALICE		"444444444444444444"
#define IDLEN		40

enum { R_BOT, R_GIT, R_CLI, NREPO };

struct obs {
	char	tip[IDLEN + 1];
	double	t;
};

struct watch {
	char		*dir;		/* the bare repository */
	int		 wd;
	char		 last[IDLEN + 1];
	struct obs	*v;
	size_t		 n, cap;
};

struct watcher {
	int		 fd;
	struct watch	 w[NREPO];
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	volatile int	 stop;
	pthread_t	 th;
};

/* One commit of a branch's first-parent chain, oldest first. */
struct landed {
	char	 id[IDLEN + 1];
	char	*request;		/* Roost-Request trailer, or "" */
	double	 t;			/* first seen on the branch; -1 */
};

static char	*bench_dir;

/* ---------------------------------------------------------- helpers */

static int
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	va_list	 ap;
	char	*cmd;
	int	 rc;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	rc = system(cmd);
	free(cmd);
	return rc;
}

/* ---------------------------------------------------------- ref watcher */

/* The id main of gitdir points to, or "" (tip has IDLEN + 1 bytes). */
static void
rev_parse(const char *gitdir, char *tip)
{
	FILE	*fp;
	char	*cmd, b[128];

	tip[0] = '\0';
	xasprintf(&cmd, "git -C %s rev-parse main", gitdir);
	if ((fp = popen(cmd, "r")) != NULL) {
		if (fgets(b, sizeof(b), fp) != NULL && strlen(b) > IDLEN) {
			memcpy(tip, b, IDLEN);
			tip[IDLEN] = '\0';
		}
		pclose(fp);
	}
	free(cmd);
}

static int
read_tip(const char *gitdir, char *tip)
{
	char	 path[4096], b[IDLEN + 2];
	ssize_t	 n;
	int	 fd;

	snprintf(path, sizeof(path), "%s/refs/heads/main", gitdir);
	if ((fd = open(path, O_RDONLY)) < 0)
		return -1;
	n = read(fd, b, sizeof(b));
	close(fd);
	if (n < IDLEN || strspn(b, "0123456789abcdef") < IDLEN)
		return -1;
	memcpy(tip, b, IDLEN);
	tip[IDLEN] = '\0';
	return 0;
}

static void *
watch_thread(void *arg)
{
	struct watcher			*wt = arg;
	const struct inotify_event	*ev;
	struct pollfd			 pfd;
	struct watch			*w;
	char				 b[8192], tip[IDLEN + 1];
	ssize_t				 n, off;
	double				 t;
	int				 i;

	pfd.fd = wt->fd;
	pfd.events = POLLIN;
	while (!wt->stop) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((n = read(wt->fd, b, sizeof(b))) <= 0)
			continue;
		t = bench_now();
		for (off = 0; off < n; off += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(b + off);
			if (ev->len == 0 || strcmp(ev->name, "main") != 0)
				continue;
			for (i = 0; i < NREPO && wt->w[i].wd != ev->wd; i++)
				;
			if (i == NREPO)
				continue;
			w = &wt->w[i];
			if (read_tip(w->dir, tip) != 0)
				continue;
			pthread_mutex_lock(&wt->mu);
			if (strcmp(tip, w->last) != 0) {
				if (w->n == w->cap) {
					w->cap = w->cap ? w->cap * 2 : 64;
					w->v = xreallocarray(w->v, w->cap,
					    sizeof(*w->v));
				}
				memcpy(w->v[w->n].tip, tip, sizeof(tip));
				w->v[w->n++].t = t;
				memcpy(w->last, tip, sizeof(tip));
				pthread_cond_broadcast(&wt->cv);
			}
			pthread_mutex_unlock(&wt->mu);
		}
	}
	return NULL;
}

static int
watcher_start(struct watcher *wt, char *const dirs[NREPO], char *const tips[])
{
	pthread_condattr_t	 ca;
	char			 path[4096];
	int			 i;

	memset(wt, 0, sizeof(*wt));
	if ((wt->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) < 0)
		return -1;
	for (i = 0; i < NREPO; i++) {
		wt->w[i].dir = dirs[i];
		snprintf(wt->w[i].last, sizeof(wt->w[i].last), "%s", tips[i]);
		snprintf(path, sizeof(path), "%s/refs/heads", dirs[i]);
		if ((wt->w[i].wd = inotify_add_watch(wt->fd, path,
		    IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE)) < 0)
			return -1;
	}
	pthread_mutex_init(&wt->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wt->cv, &ca);
	pthread_condattr_destroy(&ca);
	return pthread_create(&wt->th, NULL, watch_thread, wt) == 0 ? 0 : -1;
}

static void
watcher_stop(struct watcher *wt)
{
	int	i;

	wt->stop = 1;
	pthread_join(wt->th, NULL);
	close(wt->fd);
	for (i = 0; i < NREPO; i++)
		free(wt->w[i].v);
}

static size_t
watch_count(struct watcher *wt, int r)
{
	size_t	n;

	pthread_mutex_lock(&wt->mu);
	n = wt->w[r].n;
	pthread_mutex_unlock(&wt->mu);
	return n;
}

/*
 * Waits up to secs for repository r to have more than n moves; returns
 * the time of move n, or -1.
 */
static double
watch_wait(struct watcher *wt, int r, size_t n, double secs)
{
	struct timespec	ts;
	double		end = bench_now() + secs, t = -1;

	ts.tv_sec = (time_t)end;
	ts.tv_nsec = (long)((end - (double)ts.tv_sec) * 1e9);
	pthread_mutex_lock(&wt->mu);
	while (wt->w[r].n <= n &&
	    pthread_cond_timedwait(&wt->cv, &wt->mu, &ts) != ETIMEDOUT)
		;
	if (wt->w[r].n > n)
		t = wt->w[r].v[n].t;
	pthread_mutex_unlock(&wt->mu);
	return t;
}

/*
 * Waits until repository r has moved want times, or has not moved for
 * idle seconds, or max seconds passed.
 */
static void
watch_settle(struct watcher *wt, int r, size_t want, double idle, double max)
{
	double	end = bench_now() + max, t;
	size_t	n;

	while ((t = bench_now()) < end) {
		if ((n = watch_count(wt, r)) >= want)
			return;
		if (watch_wait(wt, r, n, idle < end - t ? idle : end - t) < 0)
			return;
	}
}

/*
 * The first-parent chain of the watched repository's main, oldest first,
 * each commit with the time its first observed descendant tip (or
 * itself) appeared: the branch only moves forward, so a commit was on the
 * branch by then.
 */
static struct landed *
landed_load(struct watcher *wt, int r, size_t *np)
{
	struct landed	*v = NULL;
	struct watch	*w = &wt->w[r];
	FILE		*fp;
	char		*cmd, line[1024], *nl;
	size_t		 n = 0, cap = 0, pos = 0, k, i;

	xasprintf(&cmd, "git -C %s log --first-parent --reverse "
	    "--format='%%H %%(trailers:key=Roost-Request,valueonly,"
	    "separator=%%x2C)' main", w->dir);
	if ((fp = popen(cmd, "r")) == NULL) {
		free(cmd);
		*np = 0;
		return NULL;
	}
	free(cmd);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strlen(line) < IDLEN)
			continue;
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		memcpy(v[n].id, line, IDLEN);
		v[n].id[IDLEN] = '\0';
		v[n].request = xstrdup(line[IDLEN] == ' ' ? line + IDLEN + 1 :
		    "");
		v[n++].t = -1;
	}
	pclose(fp);
	pthread_mutex_lock(&wt->mu);
	for (i = 0; i < w->n; i++) {
		for (k = pos; k < n && strcmp(v[k].id, w->v[i].tip) != 0; k++)
			;
		if (k == n)
			continue;
		for (; pos <= k; pos++)
			v[pos].t = w->v[i].t;
	}
	pthread_mutex_unlock(&wt->mu);
	*np = n;
	return v;
}

/* True when trailer is the bot's request id for interaction id. */
static int
is_request(const char *trailer, const char *id)
{
	if (strncmp(trailer, "discord-", 8) == 0)
		trailer += 8;
	return strcmp(trailer, id) == 0;
}

static void
landed_free(struct landed *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i].request);
	free(v);
}

/* ---------------------------------------------------------- the fake */

/* Sends one interaction; copies its id into id (32 bytes). */
static int
send_one(struct http *h, const char *spec, char *id, size_t idlen)
{
	struct buf	 out;
	cJSON		*j;
	const cJSON	*s;
	int		 rc = -1;

	buf_init(&out, 0);
	if (bench_fake_post(h, PORT, "/interaction", spec, &out) == 0 &&
	    (j = cJSON_Parse(buf_str(&out))) != NULL) {
		s = cJSON_GetObjectItem(j, "id");
		if (cJSON_IsString(s)) {
			snprintf(id, idlen, "%s", s->valuestring);
			rc = 0;
		}
		cJSON_Delete(j);
	}
	buf_dispose(&out);
	return rc;
}

/* The fake's interactions, or NULL. */
static cJSON *
interactions(struct http *h)
{
	struct buf	 out;
	cJSON		*j = NULL;

	buf_init(&out, 0);
	if (bench_fake_post(h, PORT, "/interactions", NULL, &out) == 0)
		j = cJSON_Parse(buf_str(&out));
	buf_dispose(&out);
	return j;
}

static const cJSON *
ix_find(const cJSON *all, const char *id)
{
	const cJSON	*r, *s;

	cJSON_ArrayForEach(r, all) {
		s = cJSON_GetObjectItem(r, "id");
		if (cJSON_IsString(s) && strcmp(s->valuestring, id) == 0)
			return r;
	}
	return NULL;
}

/* The fake's monotonic time of the interaction's first dispatch, or -1. */
static double
ix_sent(const cJSON *r)
{
	const cJSON	*d, *m;

	d = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "dispatched"), 0);
	m = cJSON_GetObjectItem(d, "mono");
	return cJSON_IsNumber(m) ? m->valuedouble : -1;
}

/* The fake's monotonic time of the first response, or -1. */
static double
ix_acked(const cJSON *r)
{
	const cJSON	*m = cJSON_GetObjectItem(r, "ack_mono");

	return cJSON_IsNumber(m) ? m->valuedouble : -1;
}

/* True once the bot edited the interaction's response (its job ended). */
static int
ix_done(const cJSON *r)
{
	return cJSON_GetArraySize(cJSON_GetObjectItem(r, "edits")) > 0;
}

/* Waits up to secs for every id in ids to be done; returns how many are. */
static size_t
wait_done(struct http *h, char (*ids)[32], size_t n, double secs)
{
	double		 end = bench_now() + secs;
	const cJSON	*r;
	cJSON		*all;
	size_t		 i, done = 0;

	while (bench_now() < end) {
		done = 0;
		if ((all = interactions(h)) != NULL) {
			for (i = 0; i < n; i++)
				if ((r = ix_find(all, ids[i])) != NULL &&
				    ix_done(r))
					done++;
			cJSON_Delete(all);
		}
		if (done == n)
			break;
		usleep(50 * 1000);
	}
	return done;
}

static void
slash_spec(struct buf *b, const char *sub, const char *server)
{
	buf_addf(b, "{\"type\":2,\"user\":\"%s\",\"data\":{\"name\":"
	    "\"server\",\"type\":1,\"options\":[{\"type\":1,\"name\":\"%s\","
	    "\"options\":[{\"type\":3,\"name\":\"server\",\"value\":\"%s\"}]}"
	    "]}}", ALICE, sub, server);
}

static void
edit_spec(struct buf *b, const char *server, long memory)
{
	buf_addf(b, "{\"type\":5,\"user\":\"%s\",\"data\":{\"custom_id\":"
	    "\"e:%s\",\"components\":[{\"type\":18,\"id\":1,\"component\":"
	    "{\"type\":4,\"custom_id\":\"memory\",\"value\":\"%ld\"}}]}}",
	    ALICE, server, memory);
}

/* ---------------------------------------------------------- phases */

struct run {
	struct http	*h;
	struct watcher	 wt;
	const char	*src, *bld;
	char		(*ids)[32];	/* every interaction sent */
	size_t		 nids;
	size_t		 nsingle;	/* the first nsingle ids are singles */
	int		 singles, burst, rounds;
	/* latencies in ms: single commits, their acks, burst commits */
	double		*sl, *al, *bl;
	size_t		 ns, nb;
	double		*gl, *cl;	/* the git and roost CLI anchors */
	double		*rs, *re;	/* each round's first send, last commit */
};

/* Sizes rn's arrays for singles, burst and rounds. */
static void
run_alloc(struct run *rn, int singles, int burst, int rounds)
{
	int	i;

	rn->singles = singles;
	rn->burst = burst;
	rn->rounds = rounds;
	rn->ids = xcalloc((size_t)(singles + burst * rounds), sizeof(*rn->ids));
	rn->sl = xcalloc((size_t)singles, sizeof(*rn->sl));
	rn->al = xcalloc((size_t)singles, sizeof(*rn->al));
	rn->bl = xcalloc((size_t)(burst * rounds), sizeof(*rn->bl));
	rn->gl = xcalloc((size_t)singles, sizeof(*rn->gl));
	rn->cl = xcalloc((size_t)singles, sizeof(*rn->cl));
	rn->rs = xcalloc((size_t)rounds, sizeof(*rn->rs));
	rn->re = xcalloc((size_t)rounds, sizeof(*rn->re));
	for (i = 0; i < rounds; i++)
		rn->rs[i] = rn->re[i] = -1;
}

/* Frees what run_alloc made. */
static void
run_free(struct run *rn)
{
	free(rn->ids);
	free(rn->sl);
	free(rn->al);
	free(rn->bl);
	free(rn->gl);
	free(rn->cl);
	free(rn->rs);
	free(rn->re);
}

static int
phase_single(struct run *rn, int n)
{
	struct buf	b;
	size_t		before;
	int		i, fails = 0;

	buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		buf_reset(&b);
		slash_spec(&b, i % 2 ? "start" : "stop", "demo");
		before = watch_count(&rn->wt, R_BOT);
		if (send_one(rn->h, buf_str(&b), rn->ids[rn->nids],
		    sizeof(rn->ids[0])) != 0) {
			fails++;
			break;
		}
		if (watch_wait(&rn->wt, R_BOT, before, 30) < 0 ||
		    wait_done(rn->h, &rn->ids[rn->nids], 1, 30) != 1) {
			fprintf(stderr, "bench_bot_commit: %s gave no commit "
			    "within 30 s\n", rn->ids[rn->nids]);
			fails++;
			break;
		}
		rn->nids++;
		usleep(50 * 1000);
	}
	rn->nsingle = rn->nids;
	buf_dispose(&b);
	return fails;
}

static int
phase_burst(struct run *rn, int n, int rounds)
{
	static const char	*const servers[] = { "demo", "db",
				    "musicbot" };
	static const long	 base[] = { 128, 2048, 512 };
	struct buf		 b, out;
	cJSON			*j;
	const cJSON		*r, *s;
	size_t			 first, done, before;
	long			 k = 0;
	int			 i, round, fails = 0;

	buf_init(&b, 0);
	buf_init(&out, 0);
	for (round = 0; round < rounds; round++) {
		buf_reset(&b);
		buf_puts(&b, "{\"interactions\":[");
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_puts(&b, ",");
			/* every submit changes its server's memory */
			k++;
			edit_spec(&b, servers[i % 3], base[i % 3] + k);
		}
		buf_puts(&b, "]}");
		first = rn->nids;
		before = watch_count(&rn->wt, R_BOT);
		if (bench_fake_post(rn->h, PORT, "/interactions-batch",
		    buf_str(&b), &out) != 0 ||
		    (j = cJSON_Parse(buf_str(&out))) == NULL) {
			fails += n;
			break;
		}
		cJSON_ArrayForEach(r, j) {
			s = cJSON_GetObjectItem(r, "id");
			if (cJSON_IsString(s))
				snprintf(rn->ids[rn->nids++], sizeof(rn->ids[0]),
				    "%s", s->valuestring);
		}
		cJSON_Delete(j);
		/* no polling of the fake (it would hold its lock) meanwhile */
		watch_settle(&rn->wt, R_BOT, before + (size_t)n, 2, 120);
		done = wait_done(rn->h, &rn->ids[first], rn->nids - first,
		    120);
		if (done != (size_t)n) {
			fprintf(stderr, "bench_bot_commit: round %d: %zu of %d "
			    "commands finished within 120 s\n", round, done,
			    n);
			fails += n - (int)done;
			break;
		}
		usleep(300 * 1000);
	}
	buf_dispose(&b);
	buf_dispose(&out);
	return fails;
}

/*
 * Makes the one-line change (demo's state) n times with the git CLI
 * (R_GIT) or the roost CLI (R_CLI), timing each from the command's start
 * to the move of the bare repository's branch.
 */
static int
phase_anchor(struct run *rn, int r, const char *dir, int n, double *lat)
{
	const char	*from, *to, *verb;
	size_t		 before;
	double		 t0, t;
	char		*cmd;
	int		 i, fails = 0;

	for (i = 0; i < n; i++) {
		from = i % 2 ? "stopped" : "running";
		to = i % 2 ? "running" : "stopped";
		verb = i % 2 ? "start" : "stop";
		if (r == R_GIT)
			xasprintf(&cmd, "cd %s/git && sed -i 's/^state: %s$/"
			    "state: %s/' servers/demo.yaml && git commit -qam "
			    "'roost server %s demo' && git push -q origin main",
			    dir, from, to, verb);
		else
			xasprintf(&cmd, "ROOST_EGGS=%s/eggs %s/roost server %s "
			    "demo --repo %s/cli --author 'Alice "
			    "<alice@example.com>' >>%s/cli.log 2>&1", rn->src,
			    rn->bld, verb, dir, dir);
		before = watch_count(&rn->wt, r);
		t0 = bench_now();
		t = system(cmd) == 0 ? watch_wait(&rn->wt, r, before, 30) :
		    -1;
		free(cmd);
		if (t < 0) {
			fprintf(stderr, "bench_bot_commit: the %s anchor "
			    "failed; see %s\n", r == R_GIT ? "git" : "roost",
			    r == R_GIT ? "its output" : "cli.log");
			for (; i < n; i++)
				lat[i] = -1;
			return fails + 1;
		}
		lat[i] = (t - t0) * 1000;
		usleep(50 * 1000);
	}
	return fails;
}

static void
report(const char *what, double *v, size_t n, double *p50, double *p99)
{
	double	mx;

	*p50 = bench_percentile(v, n, 50);
	*p99 = bench_percentile(v, n, 99);
	mx = n ? v[n - 1] : -1;
	printf("%s (%zu): p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", what, n,
	    *p50, *p99, mx);
}

static void
cleanup(void)
{
	if (bench_dir != NULL && getenv("BENCH_KEEP") == NULL &&
	    sh("rm -rf %s", bench_dir) != 0)
		fprintf(stderr, "bench_bot_commit: cannot remove %s\n",
		    bench_dir);
}

/*
 * Matches each interaction sent with the commit that carries it and fills
 * rn's latencies from the fake's timestamps. Returns the failures.
 */
static int
tally(struct run *rn)
{
	struct landed	*lv;
	cJSON		*all;
	const cJSON	*r;
	double		 sent;
	size_t		 nlv, k, j, j2;
	int		 fails = 0;

	/* the commit of each interaction, and when it landed */
	lv = landed_load(&rn->wt, R_BOT, &nlv);
	if ((all = interactions(rn->h)) == NULL) {
		fprintf(stderr, "bench_bot_commit: no interactions from the "
		    "fake\n");
		fails++;
	}
	for (k = 0; all != NULL && k < rn->nids; k++) {
		r = ix_find(all, rn->ids[k]);
		sent = r != NULL ? ix_sent(r) : -1;
		for (j = 0; j < nlv && !is_request(lv[j].request, rn->ids[k]);
		    j++)
			;
		if (sent < 0 || j == nlv || lv[j].t < 0) {
			fprintf(stderr, "bench_bot_commit: interaction %s: "
			    "%s\n", rn->ids[k], j == nlv ? "no commit" :
			    "not timed");
			fails++;
			continue;
		}
		if (lv[j].t < ix_acked(r)) {
			/* the job starts after the first response */
			fprintf(stderr, "bench_bot_commit: interaction %s: "
			    "landed before its acknowledgement\n", rn->ids[k]);
			fails++;
		}
		if (k < rn->nsingle) {
			rn->al[rn->ns] = (ix_acked(r) - sent) * 1000;
			rn->sl[rn->ns++] = (lv[j].t - sent) * 1000;
		}
		else {
			rn->bl[rn->nb++] = (lv[j].t - sent) * 1000;
			/* a round: from its first dispatch to its last commit */
			j2 = (k - rn->nsingle) / (size_t)rn->burst;
			if (rn->rs[j2] < 0 || sent < rn->rs[j2])
				rn->rs[j2] = sent;
			if (lv[j].t > rn->re[j2])
				rn->re[j2] = lv[j].t;
		}
	}
	cJSON_Delete(all);
	landed_free(lv, nlv);
	return fails;
}

/* Runs the benchmark; see the comment atop the file. */
int
main(int argc, char *argv[])
{
	char		 dir[] = "/tmp/roost-bench-commit.XXXXXX";
	char		*dirs[NREPO], tips[NREPO][IDLEN + 1], *tp[NREPO];
	char		 path[4096];
	int		 singles = argc > 1 ? atoi(argv[1]) : 30;
	int		 burst = argc > 2 ? atoi(argv[2]) : 20;
	int		 rounds = argc > 3 ? atoi(argv[3]) : 5;
	int		 fails = 0, i;
	double		 sp50, sp99, bp50, bp99, gp50, gp99, cp50, cp99, t;
	struct run	 rn;
	size_t		 k, j;
	pid_t		 fd, bot;

	memset(&rn, 0, sizeof(rn));
	rn.src = getenv("ROOST_SRC");
	rn.bld = getenv("ROOST_BUILD");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (rn.src == NULL || rn.bld == NULL || singles < 1 || burst < 1 ||
	    rounds < 1 || mkdtemp(dir) == NULL) {
		fprintf(stderr, "usage: ROOST_SRC=. ROOST_BUILD=build "
		    "bench_bot_commit [SINGLES] [BURST] [ROUNDS]\n");
		return 2;
	}
	bench_dir = dir;
	if (bench_free_ports(fake_ports, 3) != 0) {
		printf("bot command -> commit pushed: FAILED, no free port\n");
		return 1;
	}
	if (sh("set -e; cd %s; cp -R %s/state-example repo; "
	    "git init -q -b main repo; git -C repo add -A; "
	    "git -C repo -c user.name=b -c user.email=b@x commit -q -m init; "
	    "for r in remote git cli; do git clone -q --bare repo $r.git; "
	    "mkdir -p $r.git/refs/heads; done; "
	    "git clone -q git.git git; git clone -q cli.git cli; "
	    "git -C git config user.name 'Alice'; "
	    "git -C git config user.email alice@example.com; "
	    "echo fake-bot-token >token; printf 'tokenFile: %s/token\\n"
	    "applicationId: \"900000000000000001\"\\n"
	    "guilds: [\"800000000000000001\"]\\n"
	    "apiBase: http://127.0.0.1:%d/api/v10\\n"
	    "repo: %s/remote.git\\nworkdir: %s/work\\n"
	    "committer: { name: roost-bot, email: bot@example.com }\\n' "
	    ">bot.yaml", dir, rn.src, dir, PORT, dir, dir) != 0) {
		cleanup();
		printf("bot command -> commit pushed: FAILED, cannot set up "
		    "the repositories\n");
		return 1;
	}
	for (i = 0; i < NREPO; i++) {
		xasprintf(&dirs[i], "%s/%s.git", dir, i == R_BOT ? "remote" :
		    i == R_GIT ? "git" : "cli");
		rev_parse(dirs[i], tips[i]);
		tp[i] = tips[i];
	}
	if (watcher_start(&rn.wt, dirs, tp) != 0) {
		fprintf(stderr, "bench_bot_commit: inotify: %s\n",
		    strerror(errno));
		cleanup();
		printf("bot command -> commit pushed: FAILED, no inotify\n");
		return 1;
	}

	if (bench_start_bot("bench_bot_commit", rn.src, rn.bld, dir,
	    fake_ports, "-d", &fd, &bot) != 0)
		fails++;
	rn.h = http_new(NULL);
	run_alloc(&rn, singles, burst, rounds);

	/* anchors first, the bot idle; the same toggle of demo's state */
	fails += phase_anchor(&rn, R_GIT, dir, singles, rn.gl);
	fails += phase_anchor(&rn, R_CLI, dir, singles, rn.cl);
	if (fails == 0)
		fails += phase_single(&rn, singles);
	if (fails == 0)
		fails += phase_burst(&rn, burst, rounds);

	fails += tally(&rn);
	for (k = 0, j = 0; k < (size_t)singles; k++)
		if (rn.gl[k] >= 0)
			rn.gl[j++] = rn.gl[k];
	report("anchor: git commit -a + git push to a bare repo", rn.gl, j,
	    &gp50, &gp99);
	for (k = 0, j = 0; k < (size_t)singles; k++)
		if (rn.cl[k] >= 0)
			rn.cl[j++] = rn.cl[k];
	report("anchor: roost server stop|start --repo CLONE (pushes)", rn.cl, j,
	    &cp50, &cp99);
	report("bot: /server stop|start, one at a time", rn.sl, rn.ns, &sp50,
	    &sp99);
	if (rn.ns > 0)
		printf("  of which dispatch -> first response (deferral): "
		    "p50 %.2f ms\n", bench_median(rn.al, rn.ns));
	snprintf(path, sizeof(path), "bot: /server edit submits, %d rounds of "
	    "%d at once", rounds, burst);
	report(path, rn.bl, rn.nb, &bp50, &bp99);
	if (fails > 0)
		printf("%d failures; %s is kept\n", fails, dir);
	for (i = 0, j = 0; i < rounds; i++)
		if (rn.rs[i] >= 0 && rn.re[i] >= 0)
			rn.rs[j++] = (rn.re[i] - rn.rs[i]) * 1000;
	if (j > 0) {
		t = bench_median(rn.rs, j);
		printf("  a burst of %d drains in %.1f ms (median of %zu "
		    "rounds): %.0f commits/s\n", burst, t, j,
		    burst / (t / 1000));
	}

	kill(bot, SIGTERM);
	waitpid(bot, NULL, 0);
	kill(fd, SIGTERM);
	waitpid(fd, NULL, 0);
	watcher_stop(&rn.wt);
	http_free(rn.h);
	for (i = 0; i < NREPO; i++)
		free(dirs[i]);
	run_free(&rn);
	if (fails == 0)
		cleanup();
	/* the summary line comes last */
	printf("bot command -> commit pushed: %ssingle p50 %.1f ms, p99 "
	    "%.1f ms; burst of %d p50 %.1f ms, p99 %.1f ms (anchors: git "
	    "commit+push p50 %.1f ms, p99 %.1f ms; roost CLI p50 %.1f ms, "
	    "p99 %.1f ms)\n", fails > 0 ? "FAILED (see above); " : "", sp50,
	    sp99, burst, bp50, bp99, gp50, gp99, cp50, cp99);
	return fails == 0 ? 0 : 1;
}
