/*
 * bench_engine_batch: the anchor for roostd's batch convergence benchmark
 * (tests/bench/bench_converge50.sh). The Docker engine alone creates and
 * starts N containers of the demo image, hardened as bench_engine and
 * roostd create servers, C at a time (each thread on its own engine
 * connection, as roostd's workers), and the tool prints how long after
 * the batch began the last one started (its State.StartedAt) and the
 * median over the containers:
 *
 *   bench_engine_batch [-n N] [-c C] [-l KEY=VALUE] [-s SOCKET]
 *   engine 50 x create+start, 4 at a time: all started 9876.5 ms,
 *     median 5012.3 ms (each create+start median 690.1 ms)
 *
 * Containers carry roost.bench=batch and the -l label (default
 * roost.node=bench50) and are removed afterwards.
 *
 * With -B FILE the create bodies are read from FILE, one JSON body a line
 * (e.g. those of the containers roostd made, so the engine creates
 * exactly what roostd creates: ports through the engine's proxy, network,
 * bind mounts); N is then the number of lines, and the bodies keep their
 * own labels.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rerr.h"
#include "xmalloc.h"

#include "../../reconciler/docker.h"

#include "bench.h"
#include "bench_docker.h"

struct batch {
	const char	*body;
	char		**bodies;	/* -B: one per container */
	int		 n;
	atomic_int	 next;
	char		**ids;
	double		*each;		/* create+start, seconds */
	atomic_int	 failed;
};

struct worker {
	struct batch	*b;
	struct docker	*d;
	pthread_t	 t;
	int		 remove;
};

static void *
batch_run(void *arg)
{
	struct worker	*w = arg;
	struct batch	*b = w->b;
	struct rerr	 err;
	double		 t0;
	int		 i;

	while ((i = atomic_fetch_add(&b->next, 1)) < b->n) {
		rerr_init(&err);
		if (w->remove) {
			if (b->ids[i] != NULL && docker_container_remove(w->d,
			    b->ids[i], 1, 1, &err) != 0)
				fprintf(stderr, "bench_engine_batch: %s\n",
				    err.msg);
			continue;
		}
		t0 = bench_now();
		if (docker_container_create(w->d, NULL, b->bodies != NULL ?
		    b->bodies[i] : b->body, &b->ids[i],
		    &err) != 0 || docker_container_start(w->d, b->ids[i],
		    &err) != 0) {
			fprintf(stderr, "bench_engine_batch: %s\n", err.msg);
			atomic_fetch_add(&b->failed, 1);
		}
		b->each[i] = bench_now() - t0;
	}
	return NULL;
}

/* Reads one body a line from path into *v; returns how many. */
static int
read_bodies(const char *path, char ***v)
{
	FILE	*f;
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 len;
	int	 n = 0;

	*v = NULL;
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (len <= 1)
			continue;
		*v = xreallocarray(*v, n + 1, sizeof(**v));
		(*v)[n++] = xstrdup(line);
	}
	free(line);
	fclose(f);
	return n;
}

/* Runs the batch (or its removal) on c threads. */
static void
batch_threads(struct batch *b, struct worker *w, int c, int remove)
{
	int	i;

	atomic_store(&b->next, 0);
	for (i = 0; i < c; i++) {
		w[i].b = b;
		w[i].remove = remove;
		if (pthread_create(&w[i].t, NULL, batch_run, &w[i]) != 0) {
			fprintf(stderr, "bench_engine_batch: pthread_create "
			    "failed\n");
			exit(1);
		}
	}
	for (i = 0; i < c; i++)
		pthread_join(w[i].t, NULL);
}

int
main(int argc, char *argv[])
{
	struct batch		 b;
	struct worker		*w;
	struct docker_container	 ct;
	struct rerr		 err;
	const char		*sock = getenv("ROOST_DOCKER_SOCK");
	const char		*label = "roost.node=bench50";
	const char		*bodyfile = NULL;
	double			 t0, last = 0, *since, s;
	char			*body;
	int			 ch, n = 50, c = 4, i, rc = 0, nst = 0;

	while ((ch = getopt(argc, argv, "B:c:l:n:s:")) != -1) {
		switch (ch) {
		case 'B':
			bodyfile = optarg;
			break;
		case 'c':
			c = atoi(optarg);
			break;
		case 'l':
			label = optarg;
			break;
		case 'n':
			n = atoi(optarg);
			break;
		case 's':
			sock = optarg;
			break;
		default:
			fprintf(stderr, "usage: bench_engine_batch [-n N] "
			    "[-c C] [-l KEY=VALUE] [-B FILE] [-s SOCKET]\n");
			return 2;
		}
	}
	memset(&b, 0, sizeof(b));
	if (bodyfile != NULL && (n = read_bodies(bodyfile, &b.bodies)) < 1) {
		fprintf(stderr, "bench_engine_batch: %s: no bodies\n",
		    bodyfile);
		return 1;
	}
	if (n < 1)
		n = 1;
	if (c < 1)
		c = 1;
	if (c > n)
		c = n;
	if (sock != NULL && *sock == '\0')
		sock = NULL;
	w = xcalloc(c, sizeof(*w));
	for (i = 0; i < c; i++)
		w[i].d = docker_new(sock);
	rerr_init(&err);
	if (docker_ping(w[0].d, &err) != 0) {
		fprintf(stderr, "bench_engine_batch: %s\n", err.msg);
		return 1;
	}
	{
		const char *labels[] = { "roost.bench=batch", label, NULL };

		body = bench_demo_body(labels);
	}
	b.body = body;
	b.n = n;
	b.ids = xcalloc(n, sizeof(*b.ids));
	b.each = xcalloc(n, sizeof(*b.each));
	since = xcalloc(n, sizeof(*since));
	atomic_init(&b.failed, 0);

	t0 = bench_wall();
	batch_threads(&b, w, c, 0);
	for (i = 0; i < n; i++) {
		if (b.ids[i] == NULL)
			continue;
		rerr_init(&err);
		memset(&ct, 0, sizeof(ct));
		if (docker_container_inspect(w[0].d, b.ids[i], &ct, &err) != 0)
			continue;
		if ((s = bench_rfc3339(ct.started_at)) > 0) {
			since[nst++] = (s - t0) * 1000;
			if (s - t0 > last)
				last = s - t0;
		}
		docker_container_dispose(&ct);
	}
	if (atomic_load(&b.failed) > 0 || nst != n) {
		fprintf(stderr, "bench_engine_batch: %d of %d containers "
		    "started\n", nst, n);
		rc = 1;
	} else {
		for (i = 0; i < n; i++)
			b.each[i] *= 1000;
		printf("engine %d x create+start, %d at a time: all started "
		    "%.1f ms, median %.1f ms (each create+start median "
		    "%.1f ms)\n", n, c, last * 1000, bench_median(since, n),
		    bench_median(b.each, n));
	}
	batch_threads(&b, w, c, 1);
	for (i = 0; i < n; i++)
		free(b.ids[i]);
	for (i = 0; i < c; i++)
		docker_free(w[i].d);
	free(w);
	free(b.ids);
	free(b.each);
	free(since);
	free(body);
	for (i = 0; b.bodies != NULL && i < n; i++)
		free(b.bodies[i]);
	free(b.bodies);
	return rc;
}
