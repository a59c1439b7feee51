/*
 * bench_engine: the anchor for roostd's benchmarks. Measures how long the
 * Docker engine itself takes to create and start a container of the demo
 * image (hardened as roostd creates servers), N times, and prints the
 * median:
 *
 *   bench_engine [-n N] [-s SOCKET]
 *   engine create+start median: 712.3 ms (n=10, min 650.1, max 801.9)
 *
 * With -b FILE the create body is read from FILE instead (e.g. the
 * Config, HostConfig and networks of a container roostd made, so the
 * anchor creates exactly what roostd creates: the same ports through the
 * engine's proxy, the same network and bind mount), and each time runs
 * from sending the create to the container's State.StartedAt, the same
 * end point the commit-to-start benchmark of roostd uses:
 *
 *   bench_engine -b body.json -n 7
 *   engine create to StartedAt median: 301.2 ms (n=7, min 280.0, max 330.4)
 *
 * With -I FILE as well, each run first creates and starts an installer
 * from the body in FILE and waits for it to exit (POST /wait), then
 * creates and starts the container of -b; the time runs from sending the
 * installer's create to the container's State.StartedAt (the anchor of
 * commit -> serving for a server with an install step):
 *
 *   bench_engine -I installer.json -b body.json -n 1
 *   engine install + create to StartedAt median: 1301.2 ms (n=1, ...)
 *
 * Containers are labelled roost.bench=engine (the default body) or carry
 * the labels of FILE, and are removed after each run.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "rerr.h"
#include "util.h"
#include "xmalloc.h"

#include "../../reconciler/docker.h"

#include "bench.h"
#include "bench_docker.h"

/* The text of the file at path (the caller frees it), or NULL, said why. */
static char *
read_text(const char *path)
{
	struct buf	 file;
	struct rerr	 err;
	char		*text = NULL;

	buf_init(&file, 0);
	rerr_init(&err);
	if (util_read_file(path, &file, &err) != 0)
		fprintf(stderr, "bench_engine: %s\n", err.msg);
	else
		text = xstrdup(buf_str(&file));
	buf_dispose(&file);
	return text;
}

int
main(int argc, char *argv[])
{
	struct docker	*d;
	struct rerr	 err;
	const char	*sock = getenv("ROOST_DOCKER_SOCK");
	double		*t, t0;
	struct docker_container c;
	const char	*bodyfile = NULL, *instfile = NULL;
	char		*body, *id, *inst = NULL, *iid;
	int		 ch, n = 10, i, rc = 0;

	while ((ch = getopt(argc, argv, "b:I:n:s:")) != -1) {
		switch (ch) {
		case 'I':
			instfile = optarg;
			break;
		case 'b':
			bodyfile = optarg;
			break;
		case 'n':
			n = atoi(optarg);
			break;
		case 's':
			sock = optarg;
			break;
		default:
			fprintf(stderr, "usage: bench_engine [-b BODY "
			    "[-I INSTALLER]] [-n N] [-s SOCKET]\n");
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
	if (instfile != NULL && bodyfile == NULL) {
		fprintf(stderr, "bench_engine: -I needs -b\n");
		return 2;
	}
	if (instfile != NULL && (inst = read_text(instfile)) == NULL)
		return 1;
	if (bodyfile != NULL) {
		if ((body = read_text(bodyfile)) == NULL)
			return 1;
	} else {
		static const char *const labels[] = { "roost.bench=engine",
		    NULL };

		body = bench_demo_body(labels);
	}
	t = xcalloc(n, sizeof(*t));
	for (i = 0; i < n; i++) {
		id = iid = NULL;
		rerr_init(&err);
		t0 = bodyfile != NULL ? bench_wall() : bench_now();
		if (inst != NULL && (docker_container_create(d, NULL, inst,
		    &iid, &err) != 0 || docker_container_start(d, iid,
		    &err) != 0 || docker_container_wait(d, iid, NULL, NULL,
		    600000, &err) != 0)) {
			fprintf(stderr, "bench_engine: installer: %s\n",
			    err.msg);
			rc = 1;
		} else if (docker_container_create(d, NULL, body, &id,
		    &err) != 0 ||
		    docker_container_start(d, id, &err) != 0) {
			fprintf(stderr, "bench_engine: %s\n", err.msg);
			rc = 1;
		}
		if (rc == 0 && bodyfile != NULL) {
			memset(&c, 0, sizeof(c));
			if (docker_container_inspect(d, id, &c, &err) != 0) {
				fprintf(stderr, "bench_engine: %s\n", err.msg);
				rc = 1;
			} else
				t[i] = (bench_rfc3339(c.started_at) - t0) * 1000;
			docker_container_dispose(&c);
		} else
			t[i] = (bench_now() - t0) * 1000;
		if (id != NULL)
			docker_container_remove(d, id, 1, 1, NULL);
		if (iid != NULL)
			docker_container_remove(d, iid, 1, 1, NULL);
		free(id);
		free(iid);
		if (rc != 0)
			break;
	}
	if (rc == 0) {
		qsort(t, n, sizeof(*t), bench_dcmp);
		printf("engine %s median: %.1f ms (n=%d, min %.1f, "
		    "max %.1f)\n", inst != NULL ? "install + create to "
		    "StartedAt" : bodyfile != NULL ? "create to StartedAt" :
		    "create+start", n % 2 ? t[n / 2] :
		    (t[n / 2 - 1] + t[n / 2]) / 2, n, t[0], t[n - 1]);
	}
	free(t);
	free(body);
	free(inst);
	docker_free(d);
	return rc;
}
