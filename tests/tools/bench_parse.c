/*
 * bench_parse: the YAML reader on files built to be slow: 80,000 items on
 * one line, one 8 MiB line, a map just under the value cap (249,999
 * values) and 200,000 variables (refused at the cap). Prints the median of
 * R runs of ydoc_parse for each; the goal is at most 1 s for any of them.
 *
 *	bench_parse [-r RUNS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "ydoc.h"

#include "bench.h"

static double
one(const struct buf *b, int runs, int *ok)
{
	struct diags	 d;
	struct ydoc	*doc;
	double		 v[32], t;
	int		 i;

	for (i = 0; i < runs; i++) {
		diags_init(&d);
		t = bench_now();
		*ok = ydoc_parse(&doc, "bench.yaml", b->data, b->len, &d) == 0;
		v[i] = bench_now() - t;
		ydoc_free(doc);
		diags_dispose(&d);
	}
	return bench_median(v, (size_t)runs);
}

int
main(int argc, char *argv[])
{
	struct buf	 b;
	double		 t, worst = 0;
	int		 runs = 5, ch, ok;
	size_t		 i, k;

	while ((ch = getopt(argc, argv, "r:")) != -1) {
		if (ch == 'r')
			runs = atoi(optarg);
		else {
			fprintf(stderr, "usage: bench_parse [-r RUNS]\n");
			return 2;
		}
	}
	if (runs < 1 || runs > 32)
		runs = 5;
	buf_init(&b, 0);
	for (k = 0; k < 4; k++) {
		const char *what;

		buf_reset(&b);
		switch (k) {
		case 0:
			what = "80,000 items on one line";
			buf_puts(&b, "k: [");
			for (i = 0; i < 80000; i++)
				buf_addf(&b, "%s%zu", i ? ", " : "", i);
			buf_puts(&b, "]\n");
			break;
		case 1:
			what = "one 8 MiB line";
			buf_puts(&b, "k: ");
			for (i = 0; i < 1024 * 1024; i++)
				buf_puts(&b, "abcdefgh");
			buf_puts(&b, "\n");
			break;
		case 2:
			what = "249,999 values (the cap)";
			buf_puts(&b, "variables:\n");
			for (i = 0; i < (YDOC_MAX_NODES - 3) / 2; i++)
				buf_addf(&b, "  V%zu: x\n", i);
			break;
		default:
			what = "200,000 variables (refused)";
			buf_puts(&b, "variables:\n");
			for (i = 0; i < 200000; i++)
				buf_addf(&b, "  V%zu: x\n", i);
			break;
		}
		t = one(&b, runs, &ok);
		if (t > worst)
			worst = t;
		printf("%-30s %8zu bytes  median %.3f s  %s\n", what, b.len, t,
		    ok ? "read" : "refused");
	}
	buf_dispose(&b);
	printf("slowest pathological file: %.3f s (goal <= 1 s)\n", worst);
	return 0;
}
