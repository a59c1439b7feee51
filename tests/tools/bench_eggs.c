/*
 * bench_eggs: egg import throughput: loads every egg file given (or found
 * under the directories given) R times and prints the median time for the
 * whole set and eggs per second.
 *
 *	bench_eggs [-r RUNS] FILE|DIR...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"
#include "util.h"

#include "bench.h"

int
main(int argc, char *argv[])
{
	struct buf	*files = NULL;
	char		**names = NULL, line[4096], cmd[8192];
	size_t		 n = 0, i, bytes = 0;
	double		 t[64];
	int		 runs = 9, ch, r, ok;
	FILE		*fp;

	while ((ch = getopt(argc, argv, "r:")) != -1) {
		if (ch != 'r')
			return 2;
		runs = atoi(optarg);
	}
	if (runs < 1 || runs > 64 || optind == argc) {
		fprintf(stderr, "usage: bench_eggs [-r RUNS] FILE|DIR...\n");
		return 2;
	}
	for (; optind < argc; optind++) {
		snprintf(cmd, sizeof(cmd), "find '%s' -type f \\( -name "
		    "'*.json' -o -name '*.yaml' -o -name '*.yml' \\)",
		    argv[optind]);
		if ((fp = popen(cmd, "r")) == NULL)
			return 1;
		while (fgets(line, sizeof(line), fp) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			files = realloc(files, (n + 1) * sizeof(*files));
			names = realloc(names, (n + 1) * sizeof(*names));
			buf_init(&files[n], 0);
			if (util_read_file(line, &files[n], NULL) != 0)
				continue;
			bytes += files[n].len;
			names[n++] = strdup(line);
		}
		pclose(fp);
	}
	for (r = 0; r < runs; r++) {
		double start = bench_now();

		ok = 0;
		for (i = 0; i < n; i++) {
			struct diags	 d;
			struct egg	*e;

			diags_init(&d);
			if (egg_load(&e, names[i], buf_str(&files[i]),
			    files[i].len, &d) == 0) {
				egg_free(e);
				ok++;
			}
			diags_dispose(&d);
		}
		t[r] = bench_now() - start;
	}
	bench_median(t, (size_t)runs);
	printf("egg import: %zu files (%zu KiB, %d loaded), median %.1f ms "
	    "for the set, %.0f eggs/s; goal: ~950 eggs <= 1 s\n", n,
	    bytes / 1024, ok, t[runs / 2] * 1000, n / t[runs / 2]);
	return ok == (int)n ? 0 : 1;
}
