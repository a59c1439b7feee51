/*
 * bench_fake.h: what the bot benchmarks share: starting a program through
 * the shell, waiting for a file (the fake's "ready", a line in a log), and
 * a request to the fake Discord's control API on 127.0.0.1:PORT/_fake,
 * the ports for it, which the kernel chooses, and starting the fake and
 * roost-bot together.
 */
#ifndef ROOST_BENCH_FAKE_H
#define ROOST_BENCH_FAKE_H

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "buf.h"
#include "http.h"
#include "rerr.h"
#include "xmalloc.h"

/*
 * Fills v[0..n-1] with distinct ports the kernel chose (bound to port 0
 * at once, then let go), so two runs on one machine do not meet.
 * Returns 0, or -1 when the kernel has none.
 */
static inline int
bench_free_ports(int *v, int n)
{
	struct sockaddr_in	sin;
	socklen_t		len;
	int			fds[16], i, rc = 0;

	for (i = 0; i < n && i < 16; i++) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(sin);
		if ((fds[i] = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
		    bind(fds[i], (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
		    getsockname(fds[i], (struct sockaddr *)&sin, &len) == -1)
			rc = -1;
		v[i] = ntohs(sin.sin_port);
	}
	while (i-- > 0)
		if (fds[i] != -1)
			close(fds[i]);
	return n > 16 ? -1 : rc;
}

/*
 * Runs cmd with /bin/sh -c in a child; returns its pid (never -1: the
 * callers kill it, and kill(-1) would hit every process). posix_spawn
 * and not fork: the caller's memory is not made copy-on-write, so the
 * threads a benchmark runs (bench_front.h) take no page faults for it.
 */
static inline pid_t
bench_spawn(const char *cmd)
{
	extern char	**environ;
	char		  sh[] = "sh", c[] = "-c";
	char		 *argv[] = { sh, c, (char *)cmd, NULL };
	pid_t		  pid;

	if ((errno = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv,
	    environ)) != 0)
		err(1, "posix_spawn");
	return pid;
}

/* Waits up to secs for path to exist and, with s, to contain s. */
static inline int
bench_wait_file(const char *path, const char *s, double secs)
{
	double	 end = bench_now() + secs;
	char	 b[65536];
	ssize_t	 n;
	int	 fd;

	while (bench_now() < end) {
		if ((fd = open(path, O_RDONLY)) >= 0) {
			n = read(fd, b, sizeof(b) - 1);
			close(fd);
			b[n > 0 ? n : 0] = '\0';
			if (s == NULL || strstr(b, s) != NULL)
				return 0;
		}
		usleep(20 * 1000);
	}
	return -1;
}

/*
 * POSTs body (NULL: none) to the fake's control path on port; the answer
 * goes to out when not NULL. Returns 0 on HTTP 200, else -1.
 */
static inline int
bench_fake_post(struct http *h, int port, const char *path, const char *body,
    struct buf *out)
{
	struct http_request	req;
	struct http_response	resp;
	struct rerr		err;
	char			url[256];
	const char		*hdrs[] = { "Content-Type: application/json",
				    NULL };
	int			rc;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/_fake%s", port, path);
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.headers = hdrs;
	req.timeout_ms = 30000;
	http_response_init(&resp);
	rerr_init(&err);
	rc = http_do(h, &req, &resp, &err);
	if (rc == 0 && out != NULL) {
		buf_reset(out);
		buf_add(out, resp.body.data ? resp.body.data : "",
		    resp.body.len);
	}
	rc = rc == 0 && resp.status == 200 ? 0 : -1;
	http_response_dispose(&resp);
	return rc;
}

/*
 * Starts the fake Discord on ports[0..2] (state in dir/fd, log dir/fd.log)
 * and, once it is ready, roost-bot from bld with dir/bot.yaml, the eggs of
 * src and the extra flags (log dir/bot.log); their pids go to *fake and
 * *bot. prog names the caller in what goes to stderr. Returns 0, or -1
 * when the bot did not connect within 30 s.
 */
static inline int
bench_start_bot(const char *prog, const char *src, const char *bld,
    const char *dir, const int *ports, const char *flags, pid_t *fake,
    pid_t *bot)
{
	char	*cmd, path[4096];

	xasprintf(&cmd, "exec /usr/bin/python3 %s/tests/fakediscord/"
	    "fakediscord.py --port %d --gateway-port %d --resume-port %d "
	    "--state-dir %s/fd >%s/fd.log 2>&1",
	    src, ports[0], ports[1], ports[2], dir, dir);
	*fake = bench_spawn(cmd);
	free(cmd);
	snprintf(path, sizeof(path), "%s/fd/ready", dir);
	if (bench_wait_file(path, NULL, 15) != 0)
		fprintf(stderr, "%s: the fake did not start\n", prog);
	xasprintf(&cmd, "ROOST_EGGS=%s/eggs exec %s/roost-bot %s -f "
	    "%s/bot.yaml >%s/bot.log 2>&1", src, bld, flags, dir, dir);
	*bot = bench_spawn(cmd);
	free(cmd);
	snprintf(path, sizeof(path), "%s/bot.log", dir);
	if (bench_wait_file(path, "gateway: ready", 30) != 0) {
		fprintf(stderr, "%s: the bot did not connect\n", prog);
		return -1;
	}
	return 0;
}

#endif
