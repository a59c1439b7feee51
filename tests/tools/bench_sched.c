/*
 * bench_sched: the schedules of a node with 1,000 servers of 5 schedules
 * each, run by reconciler/sched.c with the real console module (audit log
 * on disk) whose transport records when each command would be written to
 * the server's stdin.
 *
 *  - idle: 5,000 schedules that do not fire during the measurement:
 *    the scheduler thread's wakeups and the process's CPU time per minute
 *    (goal: zero wakeups between fire times), against the same process
 *    with no schedules (the anchor);
 *  - spread: every schedule fires once a minute on its own second (about
 *    83 commands a second): the delay from each fire time to its command
 *    reaching the transport, p50/p99/max, and wakeups per fire second;
 *  - burst: all 5,000 fire in the same second;
 *  - the anchor for the delays: a bare thread on a timerfd armed for the
 *    same whole seconds.
 *
 *	bench_sched [-s SECONDS]	(spread phase length, default 20)
 */
#include <sys/resource.h>
#include <sys/timerfd.h>

#include <err.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "rerr.h"
#include "state.h"
#include "xmalloc.h"

#include "../../reconciler/console.h"
#include "../../reconciler/sched.h"

#define NSERV	1000
#define NSCHED	5

static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
static double		*delays;
static size_t		 ndelays, capdelays;

/* The transport: records the delay after the whole second it is in. */
static int
rec_send(void *arg, const char *server, const char *line, struct rerr *err)
{
	double	now, d;

	(void)arg;
	(void)server;
	(void)err;
	if (line == NULL)
		return 0;
	now = bench_wall();
	d = now - (double)(long)now;
	pthread_mutex_lock(&mu);
	if (ndelays == capdelays) {
		capdelays = capdelays ? capdelays * 2 : 4096;
		delays = xreallocarray(delays, capdelays, sizeof(*delays));
	}
	delays[ndelays++] = d;
	pthread_mutex_unlock(&mu);
	return 0;
}

/* A state of NSERV servers on node "bench"; cron(i, k) writes each. */
static struct state *
make_state(void (*cron)(int, int, char *, size_t))
{
	struct state	*st = xcalloc(1, sizeof(*st));
	char		 buf[64];
	int		 i, k;

	st->servers = xcalloc(NSERV, sizeof(*st->servers));
	st->nservers = NSERV;
	for (i = 0; i < NSERV; i++) {
		struct state_server *s = xcalloc(1, sizeof(*s));

		snprintf(buf, sizeof(buf), "s%04d", i);
		s->name = xstrdup(buf);
		s->path = xstrdup(buf);
		s->node = xstrdup("bench");
		s->valid = 1;
		s->state = STATE_RUNNING;
		s->schedules.set = 1;
		s->schedules.n = cron != NULL ? NSCHED : 0;
		s->schedules.v = xcalloc(NSCHED, sizeof(*s->schedules.v));
		for (k = 0; cron != NULL && k < NSCHED; k++) {
			struct state_schedule *sc = &s->schedules.v[k];

			snprintf(buf, sizeof(buf), "k%d", k);
			sc->name = xstrdup(buf);
			cron(i, k, buf, sizeof(buf));
			sc->cron = xstrdup(buf);
			sc->timezone = xstrdup("UTC");
			sc->tasks = xcalloc(1, sizeof(*sc->tasks));
			sc->ntasks = 1;
			sc->tasks[0].kind = STATE_TASK_COMMAND;
			sc->tasks[0].arg = xstrdup("say tick");
		}
		st->servers[i] = s;
	}
	return st;
}

static void
state_drop(struct state *st)
{
	size_t	i;

	for (i = 0; i < st->nservers; i++)
		state_server_free(st->servers[i]);
	free(st->servers);
	free(st);
}

static int	burst_at;

static void
cron_never(int i, int k, char *out, size_t len)
{
	(void)i;
	(void)k;
	snprintf(out, len, "0 0 0 1 1 *");	/* midnight, January 1st */
}

static void
cron_spread(int i, int k, char *out, size_t len)
{
	snprintf(out, len, "%d * * * * *", (i * NSCHED + k) % 60);
}

static void
cron_burst(int i, int k, char *out, size_t len)
{
	(void)i;
	(void)k;
	snprintf(out, len, "%d * * * * *", burst_at);
}

static double
cpu_s(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Idle: wakeups and CPU seconds per minute over secs with st loaded. */
static void
idle(struct sched *s, struct state *st, int secs, double *wpm, double *cpm)
{
	struct sched_stats	a, b;
	double			c0;

	sched_update(s, st, "bench");
	sleep(4);	/* the progress files are made */
	sched_stats(s, &a);
	c0 = cpu_s();
	sleep((unsigned)secs);
	sched_stats(s, &b);
	*cpm = (cpu_s() - c0) * 60 / secs;
	*wpm = (double)(b.wakeups - a.wakeups) * 60 / secs;
}

/* The anchor: a bare timerfd thread's delay past n whole seconds. */
static double
anchor(int n, double *p99)
{
	struct itimerspec	its;
	double			*v = xcalloc((size_t)n, sizeof(double)), now, m;
	uint64_t		 x;
	int			 fd, i;

	fd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC);
	for (i = 0; i < n; i++) {
		memset(&its, 0, sizeof(its));
		its.it_value.tv_sec = (time_t)bench_wall() + 1;
		timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL);
		if (read(fd, &x, sizeof(x)) == -1)
			err(1, "timerfd");
		now = bench_wall();
		v[i] = now - (double)(long)now;
	}
	close(fd);
	m = bench_median(v, (size_t)n);
	*p99 = bench_percentile(v, (size_t)n, 99);
	free(v);
	return m;
}

static void
report(const char *what, double am)
{
	double	p50, p99, mx;

	pthread_mutex_lock(&mu);
	p50 = bench_median(delays, ndelays);
	p99 = bench_percentile(delays, ndelays, 99);
	mx = delays[ndelays - 1];
	printf("%s: %zu commands, fire time to command p50 %.2f ms, p99 %.2f "
	    "ms, max %.2f ms (%.0fx the bare timerfd's median)\n", what,
	    ndelays, p50 * 1e3, p99 * 1e3, mx * 1e3, am > 0 ? p50 / am : 0);
	ndelays = 0;
	pthread_mutex_unlock(&mu);
}

int
main(int argc, char *argv[])
{
	struct console_conf	 cc;
	struct sched_conf	 sc;
	struct console		*con;
	struct sched		*s;
	struct sched_stats	 a, b;
	struct state		*st;
	struct rerr		 err;
	char			 dir[] = "/tmp/roost-bench-sched.XXXXXX", path[256];
	double			 w0, c0, w1, c1, am, ap99, spread_p99;
	int			 ch, secs = 20;

	while ((ch = getopt(argc, argv, "s:")) != -1)
		if (ch == 's')
			secs = atoi(optarg);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	memset(&cc, 0, sizeof(cc));
	cc.audit_path = path;
	cc.audit_max = 1ULL << 30;
	cc.send = rec_send;
	con = console_new(&cc);
	memset(&sc, 0, sizeof(sc));
	sc.data_dir = dir;
	sc.console = con;
	rerr_init(&err);
	if ((s = sched_new(&sc, &err)) == NULL) {
		fprintf(stderr, "bench_sched: %s\n", err.msg);
		return 1;
	}
	am = anchor(5, &ap99);

	st = make_state(NULL);
	idle(s, st, 10, &w0, &c0);
	state_drop(st);
	st = make_state(cron_never);
	idle(s, st, 10, &w1, &c1);
	state_drop(st);
	printf("idle, %d servers x %d schedules: %.1f wakeups/min, %.4f CPU "
	    "s/min (no schedules: %.1f wakeups/min, %.4f CPU s/min)\n", NSERV,
	    NSCHED, w1, c1, w0, c0);

	st = make_state(cron_spread);
	sched_update(s, st, "bench");
	state_drop(st);
	sleep(2);
	pthread_mutex_lock(&mu);
	ndelays = 0;
	pthread_mutex_unlock(&mu);
	sched_stats(s, &a);
	sleep((unsigned)secs);
	sched_stats(s, &b);
	pthread_mutex_lock(&mu);
	spread_p99 = bench_percentile(delays, ndelays, 99);
	pthread_mutex_unlock(&mu);
	printf("spread over the minute: %.2f wakeups per second with fire "
	    "times (%llu in %d s)\n", (double)(b.wakeups - a.wakeups) / secs,
	    (unsigned long long)(b.wakeups - a.wakeups), secs);
	report("spread", am);

	burst_at = (int)(((long)bench_wall() + 4) % 60);
	st = make_state(cron_burst);
	sched_update(s, st, "bench");
	state_drop(st);
	sleep(6);
	report("burst, all 5000 in one second", am);
	printf("anchor: bare timerfd wakeup past a whole second median %.3f "
	    "ms, p99 %.3f ms\n", am * 1e3, ap99 * 1e3);

	sched_free(s);
	console_free(con);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		return 1;
	printf("schedules: idle %.1f wakeups/min with 5000 schedules (goal "
	    "0), spread p99 %.2f ms (goal <= 50 ms)\n", w1, spread_p99 * 1e3);
	return 0;
}
