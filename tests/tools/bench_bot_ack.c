/*
 * bench_bot_ack: roost-bot's acknowledgement latency. Starts the fake
 * Discord and roost-bot on a copy of state-example, sends bursts of N
 * interactions at once (a third /server stop, which defers and commits, a
 * third /server list, answered directly, a third /server console, which
 * defers and goes to the console workers) and prints p50/p99/max of the time
 * from each interaction's arrival at the bot to its first response (the
 * bot logs it with -v, on its own clock: the goal is about this one),
 * and the p99 of the first burst, when the bot's acknowledgement threads
 * and their connections are new, apart from that of the later ones.
 *
 * The bot's REST calls go to a front (bench_front.h), not to the fake
 * itself: the fake is one Python process that answers concurrent requests
 * one after another, so 50 callbacks at once take it 30 ms and more, and
 * the bot's share could not be told apart. The front answers each
 * interaction callback at once with 204, as Discord does, and passes it
 * on to the fake in the background; every other call goes through to the
 * fake and back. The fake's own view, the time between sending each
 * dispatch and receiving the response, now includes the front's queue.
 *
 * Once the bot has stopped, it measures the front alone and then the fake
 * alone: N threads, each on a warm keep-alive connection, send N
 * callbacks at once, ROUNDS times; the bot cannot answer a burst faster
 * than the front does that, and the fake's number says what the front
 * saves. Goal: p99 <= 20 ms after arrival (Discord allows 3 s).
 *
 *   ROOST_SRC=. ROOST_BUILD=build bench_bot_ack [N] [ROUNDS]
 */
#include <dirent.h>
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
#include "bench_front.h"
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
 * stores p50, p99 and max in v[0..2], and with burst > 0 the p99 of the
 * first burst lines (the first burst, as the bursts do not overlap) and
 * of the others in v[3] and v[4]. Returns how many lines there were.
 */
static size_t
bot_side(const char *log, size_t burst, double v[5])
{
	FILE	*fp;
	char	 line[1024], *p;
	double	*t = NULL;
	size_t	 n = 0, cap = 0;

	v[0] = v[1] = v[2] = v[3] = v[4] = -1;
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
	if (burst > 0 && n > burst) {
		v[3] = bench_percentile(t, burst, 99);
		v[4] = bench_percentile(t + burst, n - burst, 99);
	}
	if (n > 0) {
		v[0] = bench_percentile(t, n, 50);
		v[1] = bench_percentile(t, n, 99);
		v[2] = t[n - 1];
	}
	free(t);
	return n;
}

/* One of the threads that answer the fake (or the front) alone. */
struct floor_arg {
	pthread_barrier_t	*start;
	int			 port;	/* where the callback goes */
	char			 path[256];
	double			 ms;	/* -1: the answer was not 204 */
};

/* Sends method path (under /api/v10) with body to port; the status. */
static int
floor_do(struct http *h, int port, const char *method, const char *path,
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

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v10%s", port,
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

/* Warms a connection up, then sends one callback after the barrier. */
static void *
floor_thread(void *p)
{
	struct floor_arg	*a = p;
	struct http		*h = http_new(NULL);
	double			 t;

	/* the connection is opened and used once before the burst */
	floor_do(h, a->port, "GET", "/users/@me", NULL);
	pthread_barrier_wait(a->start);
	t = bench_now();
	a->ms = floor_do(h, a->port, "POST", a->path, "{\"type\":5}") == 204 ?
	    (bench_now() - t) * 1000 : -1;
	http_free(h);
	return NULL;
}

/*
 * The fake alone (the bot stopped): rounds bursts of n interaction
 * callbacks at once, each on a warm connection of its own thread, sent to
 * port (the fake's, or the front's in front of it). Stores p50, p99 and
 * max in v[0..2]; returns 0, or -1 when one failed.
 */
static int
fake_floor(struct http *h, int port, int n, int rounds, double v[3])
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
			a[i].port = port;
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

/* Counts the entries of the directory path (without . and ..), or -1. */
static int
count_entries(const char *path)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/*
 * Sends rounds bursts of n interactions to the fake on h, half a second
 * apart, and waits until the fake has seen every one acknowledged.
 * Returns 1 with the fake's p50, p99 and max in fake[0..2], or 0.
 */
static int
send_bursts(struct http *h, int n, int rounds, double fake[3])
{
	struct buf	 b, out;
	cJSON		*st;
	int		 i, r, tries, ok = 0;

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
		if (bench_fake_post(h, PORT, "/interactions-batch",
		    buf_str(&b), NULL) != 0) {
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
	buf_dispose(&b);
	buf_dispose(&out);
	return ok;
}

/* Runs the benchmark; see the comment atop the file. */
int
main(int argc, char *argv[])
{
	const char	*src = getenv("ROOST_SRC"), *bld = getenv("ROOST_BUILD");
	char		 dir[] = "/tmp/roost-bench-bot.XXXXXX", *cmd, path[4096];
	char		 line[1024];
	int		 n = argc > 1 ? atoi(argv[1]) : 50;
	int		 rounds = argc > 2 ? atoi(argv[2]) : 5, tries;
	int		 ok = 0, fds, threads;
	struct bench_front front;
	struct http	*h;
	struct buf	 out;
	pid_t		 fd, bot;
	cJSON		*st;
	double		 fake[3] = { -1, -1, -1 }, mine[5], alone[3];
	double		 fronted[3] = { -1, -1, -1 };

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* what this process holds before the front starts */
	fds = count_entries("/proc/self/fd");
	threads = count_entries("/proc/self/task");
	if (src == NULL || bld == NULL || mkdtemp(dir) == NULL) {
		fprintf(stderr, "bench_bot_ack: set ROOST_SRC and "
		    "ROOST_BUILD\n");
		return 2;
	}
	if (bench_free_ports(fake_ports, 3) != 0 ||
	    bench_front_start(&front, PORT) != 0) {
		printf("bot ack latency: FAILED, no free port\n");
		rmdir(dir);
		return 1;
	}
	/* the bot's REST calls go to the front, which passes them on */
	xasprintf(&cmd, "set -e; cd %s; cp -R %s/state-example repo; "
	    "git init -q -b main repo; git -C repo add -A; "
	    "git -C repo -c user.name=b -c user.email=b@x commit -q -m init; "
	    "echo fake-bot-token >token; printf 'tokenFile: %s/token\\n"
	    "applicationId: \"900000000000000001\"\\napiBase: "
	    "http://127.0.0.1:%d/api/v10\\nrepo: %s/repo\\n' >bot.yaml",
	    dir, src, dir, front.port, dir);
	if (system(cmd) != 0) {
		printf("bot ack latency: FAILED, cannot set up %s\n", dir);
		bench_front_stop(&front);
		free(cmd);
		xasprintf(&cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_bot_ack: cannot remove %s\n",
			    dir);
		return 1;
	}
	free(cmd);
	bench_start_bot("bench_bot_ack", src, bld, dir, fake_ports, "-d -v",
	    &fd, &bot);
	h = http_new(NULL);
	buf_init(&out, 0);
	ok = send_bursts(h, n, rounds, fake);
	/* The bot logs each one once its answer is back: let it finish. */
	snprintf(path, sizeof(path), "%s/bot.log", dir);
	for (tries = 0; ok && tries < 50; tries++) {
		if (bot_side(path, 0, mine) >= (size_t)n * rounds)
			break;
		usleep(100 * 1000);
	}
	kill(bot, SIGTERM);
	waitpid(bot, NULL, 0);
	/* the front alone, then stopped (what it queued reaches the fake) */
	if (ok && fake_floor(h, front.port, n, rounds, fronted) != 0)
		fprintf(stderr, "bench_bot_ack: the front alone failed\n");
	bench_front_stop(&front);
	if (front.refused > 0)
		fprintf(stderr, "bench_bot_ack: the fake refused %lu of the "
		    "%lu callbacks the front answered\n", front.refused,
		    front.acked);
	/* edits before their first response and the like */
	if (bench_fake_post(h, PORT, "/violations", NULL, &out) == 0 &&
	    (st = cJSON_Parse(buf_str(&out))) != NULL) {
		if (cJSON_GetArraySize(st) > 0)
			fprintf(stderr, "bench_bot_ack: the fake saw %d broken "
			    "rules, the first: %.200s\n",
			    cJSON_GetArraySize(st), buf_str(&out));
		cJSON_Delete(st);
	}
	if (ok && fake_floor(h, PORT, n, rounds, alone) != 0)
		fprintf(stderr, "bench_bot_ack: the fake alone failed\n");
	kill(fd, SIGTERM);
	waitpid(fd, NULL, 0);
	if (ok) {
		if (bot_side(path, (size_t)n, mine) < (size_t)n * rounds)
			ok = 0;
		printf("the bot, first burst (its threads and connections "
		    "new): p99 %.2f ms; the later bursts: p99 %.2f ms\n",
		    mine[3], mine[4]);
		printf("as the fake sees it (dispatch sent -> response "
		    "received through the front's queue): p50 %.2f ms, p99 "
		    "%.2f ms, max %.2f ms\n", fake[0], fake[1], fake[2]);
		printf("the front alone, %d callbacks at once on warm "
		    "connections (no bot): p50 %.2f ms, p99 %.2f ms, max "
		    "%.2f ms\n", n, fronted[0], fronted[1], fronted[2]);
		printf("the fake alone, %d callbacks at once on warm "
		    "connections (no bot): p50 %.2f ms, p99 %.2f ms, max "
		    "%.2f ms\n", n, alone[0], alone[1], alone[2]);
		snprintf(line, sizeof(line), "bot ack latency, %d rounds of "
		    "%d concurrent interactions, after arrival at the bot: "
		    "p50 %.2f ms, p99 %.2f ms, max %.2f ms (goal p99 <= 20 "
		    "ms); as the fake sees it: p50 %.2f ms, p99 %.2f ms; "
		    "the front alone: p99 %.2f ms; the fake alone: p99 "
		    "%.2f ms", rounds, n, mine[0], mine[1], mine[2], fake[0],
		    fake[1], fronted[1], alone[1]);
	}
	http_free(h);
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
	if (count_entries("/proc/self/fd") != fds ||
	    count_entries("/proc/self/task") != threads)
		fprintf(stderr, "bench_bot_ack: %d descriptors and %d threads "
		    "at the end, %d and %d at the start\n",
		    count_entries("/proc/self/fd"),
		    count_entries("/proc/self/task"), fds, threads);
	/* the summary line comes last */
	printf("%s\n", line);
	return ok ? 0 : 1;
}
