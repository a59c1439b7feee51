/*
 * bench_bot_ack: roost-bot's acknowledgement latency. Starts the fake
 * Discord and roost-bot on a copy of state-example, sends bursts of N
 * interactions at once (a third /server stop, which defers and commits, a
 * third /server list, answered directly, a third /server console, which
 * defers and goes to the console workers) and prints p50/p99/max of the time
 * from each interaction's arrival at the bot to its first response (the
 * bot logs it with -v, on its own clock: the goal is about this one), and
 * of the time the fake measured between sending each dispatch and
 * receiving the response (which adds the fake's own delays: it is one
 * Python process sending 50 frames and taking 50 requests at once).
 * Once the bot has stopped, it measures the fake alone: N threads, each on
 * a warm keep-alive connection, answer N interactions at once, ROUNDS
 * times; the bot cannot answer a burst faster than the fake does that.
 * Goal: p99 <= 20 ms after arrival (Discord allows 3 s).
 *
 *   ROOST_SRC=. ROOST_BUILD=build bench_bot_ack [N] [ROUNDS]
 */
#include <err.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bench.h"
#include "bench_fake.h"
#include "buf.h"
#include "http.h"
#include "json.h"
#include "rerr.h"
#include "xmalloc.h"

/* The fake Discord's ports (REST, gateway, resume), from the kernel. */
static int	fake_ports[3];
#define PORT	fake_ports[0]

/*
 * Reads the bot's "acknowledged X ms after it arrived" lines from log;
 * stores p50, p99 and max in v[0..2] and returns how many there were.
 */
static size_t
bot_side(const char *log, double v[3])
{
	FILE	*fp;
	char	 line[1024], *p;
	double	*t = NULL;
	size_t	 n = 0, cap = 0;

	v[0] = v[1] = v[2] = -1;
	if ((fp = fopen(log, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if ((p = strstr(line, " acknowledged ")) == NULL ||
		    strstr(p, "after it arrived") == NULL)
			continue;
		if (n == cap)
			t = xreallocarray(t, cap = cap ? cap * 2 : 256,
			    sizeof(*t));
		t[n++] = strtod(p + strlen(" acknowledged "), NULL);
	}
	fclose(fp);
	if (n > 0) {
		v[0] = bench_percentile(t, n, 50);
		v[1] = bench_percentile(t, n, 99);
		v[2] = t[n - 1];
	}
	free(t);
	return n;
}

/* One of the threads that answer the fake alone. */
struct floor_arg {
	pthread_barrier_t	*start;
	char			 path[256];
	double			 ms;	/* -1: the answer was not 204 */
};

static double
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static int
floor_do(struct http *h, const char *method, const char *path,
    const char *body)
{
	struct http_request	req;
	struct http_response	resp;
	struct rerr		err;
	char			url[512];
	const char		*hdrs[] = { "Authorization: Bot fake-bot-token",
				    "User-Agent: DiscordBot (bench, 1)",
				    "Content-Type: application/json", NULL };
	long			status;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v10%s", PORT,
	    path);
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.headers = hdrs;
	req.body = body;
	req.body_len = body != NULL ? strlen(body) : 0;
	req.timeout_ms = 30000;
	http_response_init(&resp);
	rerr_init(&err);
	status = http_do(h, &req, &resp, &err) == 0 ? resp.status : 0;
	http_response_dispose(&resp);
	return (int)status;
}

static void *
floor_thread(void *p)
{
	struct floor_arg	*a = p;
	struct http		*h = http_new(NULL);
	double			 t;

	/* the connection is opened and used once before the burst */
	floor_do(h, "GET", "/users/@me", NULL);
	pthread_barrier_wait(a->start);
	t = mono_ms();
	a->ms = floor_do(h, "POST", a->path, "{\"type\":5}") == 204 ?
	    mono_ms() - t : -1;
	http_free(h);
	return NULL;
}

/*
 * The fake alone (the bot stopped): rounds bursts of n interaction
 * callbacks at once, each on a warm connection of its own thread. Stores
 * p50, p99 and max in v[0..2]; returns 0, or -1 when one failed.
 */
static int
fake_floor(struct http *h, int n, int rounds, double v[3])
{
	pthread_barrier_t	 start;
	struct floor_arg	*a;
	pthread_t		*th;
	struct buf		 out;
	cJSON			*o;
	double			*t;
	int			 i, r, rc = 0;

	v[0] = v[1] = v[2] = -1;
	a = xcalloc((size_t)n, sizeof(*a));
	th = xcalloc((size_t)n, sizeof(*th));
	t = xcalloc((size_t)(n * rounds), sizeof(*t));
	buf_init(&out, 0);
	for (r = 0; r < rounds && rc == 0; r++) {
		pthread_barrier_init(&start, NULL, (unsigned)n);
		for (i = 0; i < n && rc == 0; i++) {
			a[i].start = &start;
			if (bench_fake_post(h, PORT, "/interaction",
			    "{\"type\":2,\"data\":{\"name\":\"server\","
			    "\"type\":1}}", &out) != 0 ||
			    (o = cJSON_Parse(buf_str(&out))) == NULL) {
				rc = -1;
				break;
			}
			snprintf(a[i].path, sizeof(a[i].path),
			    "/interactions/%s/%s/callback", json_str(o, "id",
			    ""), json_str(o, "token", ""));
			cJSON_Delete(o);
		}
		if (rc != 0)
			break;
		for (i = 0; i < n; i++)
			if (pthread_create(&th[i], NULL, floor_thread,
			    &a[i]) != 0)
				err(1, "pthread_create");
		for (i = 0; i < n; i++) {
			pthread_join(th[i], NULL);
			if (a[i].ms < 0)
				rc = -1;
			t[r * n + i] = a[i].ms;
		}
		pthread_barrier_destroy(&start);
	}
	if (rc == 0) {
		v[0] = bench_percentile(t, (size_t)(n * rounds), 50);
		v[1] = bench_percentile(t, (size_t)(n * rounds), 99);
		v[2] = t[n * rounds - 1];
	}
	buf_dispose(&out);
	free(t);
	free(th);
	free(a);
	return rc;
}

int
main(int argc, char *argv[])
{
	const char	*src = getenv("ROOST_SRC"), *bld = getenv("ROOST_BUILD");
	char		 dir[] = "/tmp/roost-bench-bot.XXXXXX", *cmd, path[4096];
	char		 line[1024];
	int		 n = argc > 1 ? atoi(argv[1]) : 50;
	int		 rounds = argc > 2 ? atoi(argv[2]) : 5, i, r, tries;
	int		 ok = 0;
	struct http	*h;
	struct buf	 b, out;
	pid_t		 fd, bot;
	cJSON		*st;
	double		 fake[3] = { -1, -1, -1 }, mine[3], alone[3];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (src == NULL || bld == NULL || mkdtemp(dir) == NULL) {
		fprintf(stderr, "bench_bot_ack: set ROOST_SRC and "
		    "ROOST_BUILD\n");
		return 2;
	}
	if (bench_free_ports(fake_ports, 3) != 0) {
		printf("bot ack latency: FAILED, no free port\n");
		return 1;
	}
	xasprintf(&cmd, "set -e; cd %s; cp -R %s/state-example repo; "
	    "git init -q -b main repo; git -C repo add -A; "
	    "git -C repo -c user.name=b -c user.email=b@x commit -q -m init; "
	    "echo fake-bot-token >token; printf 'tokenFile: %s/token\\n"
	    "applicationId: \"900000000000000001\"\\napiBase: "
	    "http://127.0.0.1:%d/api/v10\\nrepo: %s/repo\\n' >bot.yaml",
	    dir, src, dir, PORT, dir);
	if (system(cmd) != 0) {
		printf("bot ack latency: FAILED, cannot set up %s\n", dir);
		return 1;
	}
	free(cmd);
	bench_start_bot("bench_bot_ack", src, bld, dir, fake_ports, "-d -v",
	    &fd, &bot);
	h = http_new(NULL);
	buf_init(&b, 0);
	buf_init(&out, 0);
	for (r = 0; r < rounds; r++) {
		buf_reset(&b);
		buf_puts(&b, "{\"interactions\":[");
		for (i = 0; i < n; i++)
			buf_addf(&b, "%s{\"type\":2,\"user\":"
			    "\"444444444444444444\",\"data\":{\"name\":"
			    "\"server\",\"type\":1,\"options\":[{\"type\":1,"
			    "\"name\":\"%s\",\"options\":[{\"type\":3,\"name\":"
			    "\"server\",\"value\":\"demo\"}%s]}]}}", i ? "," : "",
			    i % 3 == 0 ? "stop" : i % 3 == 1 ? "list" : "console",
			    i % 3 == 2 ? ",{\"type\":3,\"name\":\"command\","
			    "\"value\":\"say hello\"}" : "");
		buf_puts(&b, "]}");
		if (bench_fake_post(h, PORT, "/interactions-batch", buf_str(&b), NULL) != 0) {
			fprintf(stderr, "bench_bot_ack: the fake did not "
			    "answer\n");
			break;
		}
		usleep(500 * 1000);
	}
	for (tries = 0; tries < 100; tries++) {
		if (bench_fake_post(h, PORT, "/stats", NULL, &out) != 0)
			break;
		st = cJSON_Parse(buf_str(&out));
		if (json_int64(st, "acked", 0) >= (int64_t)n * rounds) {
			ok = 1;
			fake[0] = json_double(st, "p50_ms", -1);
			fake[1] = json_double(st, "p99_ms", -1);
			fake[2] = json_double(st, "max_ms", -1);
			cJSON_Delete(st);
			break;
		}
		cJSON_Delete(st);
		usleep(100 * 1000);
	}
	/* The bot logs each one once its answer is back: let it finish. */
	snprintf(path, sizeof(path), "%s/bot.log", dir);
	for (tries = 0; ok && tries < 50; tries++) {
		if (bot_side(path, mine) >= (size_t)n * rounds)
			break;
		usleep(100 * 1000);
	}
	kill(bot, SIGTERM);
	waitpid(bot, NULL, 0);
	if (ok && fake_floor(h, n, rounds, alone) != 0)
		fprintf(stderr, "bench_bot_ack: the fake alone failed\n");
	kill(fd, SIGTERM);
	waitpid(fd, NULL, 0);
	if (ok) {
		if (bot_side(path, mine) < (size_t)n * rounds)
			ok = 0;
		printf("as the fake sees it (dispatch sent -> response "
		    "received): p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		    fake[0], fake[1], fake[2]);
		printf("the fake alone, %d callbacks at once on warm "
		    "connections (no bot): p50 %.2f ms, p99 %.2f ms, max "
		    "%.2f ms\n", n, alone[0], alone[1], alone[2]);
		snprintf(line, sizeof(line), "bot ack latency, %d rounds of "
		    "%d concurrent interactions, after arrival at the bot: "
		    "p50 %.2f ms, p99 %.2f ms, max %.2f ms (goal p99 <= 20 "
		    "ms); as the fake sees it: p50 %.2f ms, p99 %.2f ms; "
		    "the fake alone: p99 %.2f ms", rounds, n, mine[0],
		    mine[1], mine[2], fake[0], fake[1], alone[1]);
	}
	http_free(h);
	buf_dispose(&b);
	buf_dispose(&out);
	if (ok) {
		xasprintf(&cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_bot_ack: cannot remove %s\n",
			    dir);
		free(cmd);
	} else
		snprintf(line, sizeof(line), "bot ack latency: FAILED, not "
		    "every interaction was acknowledged (see %s)", dir);
	/* the summary line comes last */
	printf("%s\n", line);
	return ok ? 0 : 1;
}
