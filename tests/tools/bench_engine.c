/*
 * bench_engine: the anchor for roostd's benchmarks. Measures how long the
 * Docker engine itself takes to create and start a container of the demo
 * image (hardened as roostd creates servers), N times, and prints the
 * median:
 *
 *   bench_engine [-n N] [-s SOCKET]
 *   engine create+start median: 712.3 ms (n=10, min 650.1, max 801.9)
 *
 * Containers are labelled roost.bench=engine and removed afterwards.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rerr.h"
#include "xmalloc.h"

#include "../../reconciler/docker.h"

static double
bench_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static int
bench_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static char *
bench_body(void)
{
	static const char *const caps[] = { "setpcap", "mknod", "audit_write",
	    "net_raw", "dac_override", "fowner", "fsetid", "net_bind_service",
	    "sys_chroot", "setfcap", NULL };
	static const char *const tmpfs[] = { "/tmp:rw,exec,nosuid,size=16m",
	    NULL };
	static const char *const labels[] = { "roost.bench=engine", NULL };
	static const char *const env[] = { "STARTUP=demo-server",
	    "SERVER_PORT=8080", NULL };
	struct docker_spec	 s;

	memset(&s, 0, sizeof(s));
	s.image = "roost.local/demo:1";
	s.env = env;
	s.labels = labels;
	s.user = "999:999";
	s.limits.memory = 256LL * 1024 * 1024;
	s.limits.pids_limit = 128;
	s.readonly_rootfs = 1;
	s.tmpfs = tmpfs;
	s.cap_drop = caps;
	s.no_new_privileges = 1;
	s.log_max_size = "1m";
	s.log_max_file = 1;
	s.open_stdin = 1;
	return docker_create_body(&s);
}

int
main(int argc, char *argv[])
{
	struct docker	*d;
	struct rerr	 err;
	const char	*sock = getenv("ROOST_DOCKER_SOCK");
	double		*t, t0;
	char		*body, *id;
	int		 ch, n = 10, i, rc = 0;

	while ((ch = getopt(argc, argv, "n:s:")) != -1) {
		switch (ch) {
		case 'n':
			n = atoi(optarg);
			break;
		case 's':
			sock = optarg;
			break;
		default:
			fprintf(stderr, "usage: bench_engine [-n N] "
			    "[-s SOCKET]\n");
			return 2;
		}
	}
	if (n < 1)
		n = 1;
	d = docker_new(sock != NULL && *sock != '\0' ? sock : NULL);
	rerr_init(&err);
	if (docker_ping(d, &err) != 0) {
		fprintf(stderr, "bench_engine: %s\n", err.msg);
		return 1;
	}
	body = bench_body();
	t = xcalloc(n, sizeof(*t));
	for (i = 0; i < n; i++) {
		id = NULL;
		rerr_init(&err);
		t0 = bench_ms();
		if (docker_container_create(d, NULL, body, &id, &err) != 0 ||
		    docker_container_start(d, id, &err) != 0) {
			fprintf(stderr, "bench_engine: %s\n", err.msg);
			rc = 1;
		}
		t[i] = bench_ms() - t0;
		if (id != NULL)
			docker_container_remove(d, id, 1, 1, NULL);
		free(id);
		if (rc != 0)
			break;
	}
	if (rc == 0) {
		qsort(t, n, sizeof(*t), bench_cmp);
		printf("engine create+start median: %.1f ms (n=%d, min %.1f, "
		    "max %.1f)\n", n % 2 ? t[n / 2] :
		    (t[n / 2 - 1] + t[n / 2]) / 2, n, t[0], t[n - 1]);
	}
	free(t);
	free(body);
	docker_free(d);
	return rc;
}
