/*
 * cmd_schedule: roost schedule next, the tool to check a cron expression:
 * it prints the next fire times in a time zone as RFC 3339 with the
 * zone's offset. With --stdin it answers many questions in one process
 * (one per input line), which the oracle test against croniter uses.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cron.h"
#include "rerr.h"
#include "tz.h"
#include "xmalloc.h"

#define SCHED_MAX_N	1000

static int
schedule_usage(void)
{
	fprintf(stderr, "usage: roost schedule next \"CRON\" [--tz ZONE] "
	    "[-n N] [--after RFC3339]\n"
	    "       roost schedule next --stdin\n");
	return CLI_USAGE;
}

static int
parse_n(const char *s, size_t *n)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' || v < 1 ||
	    v > SCHED_MAX_N)
		return -1;
	*n = v;
	return 0;
}

/*
 * The next n fire times of expr after the instant after in zone z, as
 * RFC 3339, each followed by sep (the last by a newline), to fp.
 */
static int
print_next(FILE *fp, const char *expr, const struct tz *z, int64_t after,
    size_t n, int sep, struct rerr *err)
{
	struct cron	 c;
	int64_t		*t;
	char		 s[64];
	size_t		 i;

	if (cron_parse(&c, expr, err) != 0)
		return -1;
	t = xreallocarray(NULL, n, sizeof(*t));
	if (cron_next_n(&c, z, after, t, n, err) != 0) {
		free(t);
		return -1;
	}
	for (i = 0; i < n; i++) {
		tz_format_rfc3339(z, t[i], s, sizeof(s));
		fprintf(fp, "%s%c", s, i + 1 == n ? '\n' : sep);
	}
	free(t);
	return 0;
}

/*
 * --stdin: each line is "ZONE AFTER N CRON..." (AFTER in RFC 3339); the
 * answer is one line, the fire times separated by spaces, or "error: "
 * and the message.
 */
static int
schedule_batch(void)
{
	char			*line = NULL, *p, *zone, *after, *num;
	size_t			 cap = 0, n;
	ssize_t			 len;
	const struct tz		*z;
	int64_t			 t;
	struct rerr		 err;

	while ((len = getline(&line, &cap, stdin)) != -1) {
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		rerr_init(&err);
		p = line;
		zone = strsep(&p, " \t");
		after = p ? strsep(&p, " \t") : NULL;
		num = p ? strsep(&p, " \t") : NULL;
		if (zone == NULL || after == NULL || num == NULL || p == NULL ||
		    parse_n(num, &n) != 0) {
			printf("error: expected ZONE AFTER N CRON\n");
			continue;
		}
		if ((z = tz_get(zone, &err)) == NULL ||
		    tz_parse_rfc3339(z, after, &t, &err) != 0 ||
		    print_next(stdout, p, z, t, n, ' ', &err) != 0)
			printf("error: %s\n", err.msg);
	}
	free(line);
	return ferror(stdin) ? CLI_USAGE : CLI_OK;
}

/*
 * roost schedule next: exits 0 with the fire times, 1 when the
 * expression is invalid or never fires, 2 on a usage error (unknown
 * option or zone, a malformed time or count).
 */
int
cmd_schedule(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "tz", required_argument, NULL, 'z' },
		{ "after", required_argument, NULL, 'a' },
		{ "stdin", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char		*zone = NULL, *afters = NULL;
	const struct tz		*z;
	struct rerr		 err;
	size_t			 n = 5;
	int64_t			 after;
	int			 ch, batch = 0;

	if (argc < 2 || strcmp(argv[1], "next") != 0)
		return schedule_usage();
	argc--;
	argv++;
	optind = 0;
	/* GNU getopt: options may also follow the expression. */
	while ((ch = getopt_long(argc, argv, "n:z:a:sh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'n':
			if (parse_n(optarg, &n) != 0) {
				fprintf(stderr, "roost schedule: -n must be a "
				    "count from 1 to %d\n", SCHED_MAX_N);
				return CLI_USAGE;
			}
			break;
		case 'z':
			zone = optarg;
			break;
		case 'a':
			afters = optarg;
			break;
		case 's':
			batch = 1;
			break;
		default:
			return schedule_usage();
		}
	}
	if (batch)
		return optind == argc ? schedule_batch() : schedule_usage();
	if (optind + 1 != argc)
		return schedule_usage();
	rerr_init(&err);
	if (zone == NULL)
		z = tz_local();
	else if ((z = tz_get(zone, &err)) == NULL) {
		fprintf(stderr, "roost schedule: %s\n", err.msg);
		return CLI_USAGE;
	}
	if (afters == NULL)
		after = (int64_t)time(NULL);
	else if (tz_parse_rfc3339(z, afters, &after, &err) != 0) {
		fprintf(stderr, "roost schedule: --after: %s\n", err.msg);
		return CLI_USAGE;
	}
	if (print_next(stdout, argv[optind], z, after, n, '\n', &err) != 0) {
		fprintf(stderr, "roost schedule: %s\n", err.msg);
		return CLI_FAIL;
	}
	return CLI_OK;
}
