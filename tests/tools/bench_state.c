/*
 * bench_state: parse + validate N generated server files (default
 * 10,000) with state_load, cold (no cache) and warm (every file already
 * in the parse cache); prints the median of R runs and files per second.
 *
 *	bench_state [-n FILES] [-r RUNS]
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"
#include "rerr.h"
#include "state.h"
#include "util.h"

#include "bench.h"

int
main(int argc, char *argv[])
{
	struct egg_library	*eggs = egglib_new();
	struct state_cache	*cache;
	struct state_src	 src;
	struct state		*st;
	struct diags		 d;
	struct rerr		 err;
	char			 dir[] = "/tmp/roost-bench-state.XXXXXX";
	char			 path[PATH_MAX], body[1024];
	double			 cold[32], warm[32], t;
	int			 n = 10000, runs = 5, ch, i, nodes;

	while ((ch = getopt(argc, argv, "n:r:")) != -1) {
		if (ch == 'n')
			n = atoi(optarg);
		else if (ch == 'r')
			runs = atoi(optarg);
		else
			return 2;
	}
	if (runs < 1 || runs > 32 || n < 1)
		return 2;
	diags_init(&d);
	egglib_load_dir(eggs, egglib_builtin_dir(), "eggs/", &d);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/nodes", dir);
	util_mkdir_p(path, 0755);
	snprintf(path, sizeof(path), "%s/servers", dir);
	util_mkdir_p(path, 0755);
	/* 500 servers per node, each on its own port. */
	nodes = (n + 499) / 500;
	for (i = 0; i < nodes; i++) {
		snprintf(path, sizeof(path), "%s/nodes/n%d.yaml", dir, i);
		snprintf(body, sizeof(body), "name: n%d\naddress: 10.0.%d.%d\n"
		    "ports: [\"20000-20999\"]\ncapacity: { memory: 10000000, "
		    "disk: 100000000, cpu: 1000000 }\n", i, i / 250, i % 250);
		util_write_atomic(path, body, strlen(body), 0644, NULL);
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/servers/s%d.yaml", dir, i);
		snprintf(body, sizeof(body),
		    "# yaml-language-server: $schema=../schema/server.schema.json\n"
		    "apiVersion: roost/v1\nkind: Server\nname: s%d\n"
		    "owner: \"444444444444444444\"\nnode: n%d\negg: roost/demo\n"
		    "state: running\nlimits: { memory: 256, swap: 0, cpu: 50, "
		    "disk: 1024, io: 500, pids: 64 }\nports:\n  default: %d\n"
		    "variables:\n  MOTD: \"Server number %d\"\n"
		    "  MAX_PLAYERS: \"%d\"\nsftp:\n  - user: admin\n"
		    "    password: \"$y$j9T$ZsQQTULeoee//w8ofotWf.$0/qPv.eEr5aZ"
		    "LYBeKcb9MAWj.X3jhuOUt7xrMSoM7p1\"\n"
		    "    permissions: [read, write]\n", i, i / 500,
		    20000 + i % 500, i, 1 + i % 100);
		util_write_atomic(path, body, strlen(body), 0644, NULL);
	}
	state_src_dir(&src, dir);
	for (i = 0; i < runs; i++) {
		rerr_init(&err);
		t = bench_now();
		if (state_load(&st, &src, eggs, NULL, &err) != 0) {
			fprintf(stderr, "bench_state: %s\n", err.msg);
			return 1;
		}
		cold[i] = bench_now() - t;
		if (st->diags->nerrors != 0 || st->nservers != (size_t)n) {
			diags_print(st->diags, stderr);
			return 1;
		}
		state_free(st);
	}
	cache = state_cache_new();
	rerr_init(&err);
	state_load(&st, &src, eggs, cache, &err);
	state_free(st);
	for (i = 0; i < runs; i++) {
		t = bench_now();
		state_load(&st, &src, eggs, cache, &err);
		warm[i] = bench_now() - t;
		state_free(st);
	}
	bench_median(cold, (size_t)runs);
	bench_median(warm, (size_t)runs);
	printf("state load+validate %d server files: median %.3f s cold "
	    "(%.0f files/s), %.3f s with unchanged files cached; goal <= "
	    "0.5 s\n", n, cold[runs / 2], n / cold[runs / 2], warm[runs / 2]);
	state_cache_free(cache);
	egglib_free(eggs);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	return system(path) == 0 ? 0 : 1;
}
