/*
 * cmd_schedule: roost schedule next, the tool to check a cron expression:
 * it prints the next fire times in a time zone as RFC 3339 with the
 * zone's offset. With --stdin it answers many questions in one process
 * (one per input line), which the oracle test against croniter uses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "cli.h"
#include "cron.h"
#include "http.h"
#include "json.h"
#include "rerr.h"
#include "tz.h"
#include "xmalloc.h"

#define SCHED_MAX_N	1000

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

/* schedule next -n: how many fire times. */
static int
sched_n_opt(const struct cli_opt *opt, const char *arg)
{
	if (parse_n(arg, opt->value) == 0)
		return 0;
	fprintf(stderr, "roost schedule: -n must be a count from 1 to %d\n",
	    SCHED_MAX_N);
	return -1;
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
	const char		*zone = NULL, *afters = NULL;
	const struct tz		*z;
	struct rerr		 err;
	size_t			 n = 5;
	int64_t			 after;
	int			 i, rc, batch = 0;
	const struct cli_opt	 opts[] = {
		{ 'n', NULL,	CLI_OPT_CALL,	&n, sched_n_opt },
		{ 'z', "tz",	CLI_OPT_STRING,	&zone },
		{ 'a', "after",	CLI_OPT_STRING,	&afters },
		{ 's', "stdin",	CLI_OPT_FLAG,	&batch },
		{ 0 }
	};

	if (argc < 2 || strcmp(argv[1], "next") != 0)
		return cli_usage("schedule", 0);
	argc--;
	argv++;
	/* GNU getopt: options may also follow the expression. */
	if ((i = cli_opts_parse("schedule", opts, argc, argv, &rc)) == -1)
		return rc;
	if (batch)
		return i == argc ? schedule_batch() : cli_usage("schedule", 0);
	if (i + 1 != argc)
		return cli_usage("schedule", 0);
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
	if (print_next(stdout, argv[i], z, after, n, '\n', &err) != 0) {
		fprintf(stderr, "roost schedule: %s\n", err.msg);
		return CLI_FAIL;
	}
	return CLI_OK;
}

/* ---- roost server schedules / schedule-run: through roostd's API ---- */

/* Takes --api SOCKET out of argv; the rest stays in order. */
static const char *
sched_api_opt(int *argc, char *argv[])
{
	const char	*api = cli_api();
	int		 i, n = 0;

	for (i = 0; i < *argc; i++) {
		if (strcmp(argv[i], "--api") == 0 && i + 1 < *argc) {
			api = argv[++i];
			continue;
		}
		if (strncmp(argv[i], "--api=", 6) == 0) {
			api = argv[i] + 6;
			continue;
		}
		argv[n++] = argv[i];
	}
	*argc = n;
	return api;
}

/* Prints roostd's {"error"} message. */
static void
sched_api_error(const struct http_response *resp)
{
	cJSON	*o = json_parse_str(buf_str(&resp->body));

	fprintf(stderr, "roost: %s\n", json_str(o, "error",
	    buf_str(&resp->body)));
	cJSON_Delete(o);
}

/* Prints a server's schedules, as roost status NAME shows them. */
void
sched_print(const cJSON *list)
{
	const cJSON	*s, *t, *l;
	const char	*out;

	if (cJSON_GetArraySize(list) == 0) {
		printf("no schedules\n");
		return;
	}
	printf("%-20s %-22s %-26s %-10s %s\n", "SCHEDULE", "CRON", "NEXT RUN",
	    "LAST", "LAST RUN");
	cJSON_ArrayForEach(s, list) {
		l = json_get(s, "lastRun");
		printf("%-20s %-22s %-26s %-10s %s%s\n", json_str(s, "name", "?"),
		    json_str(s, "cron", "?"), json_str(s, "nextRun", "-"),
		    json_bool(s, "running", 0) ? "running" :
		    json_str(l, "result", "-"), json_str(l, "startedAt", ""),
		    json_int64(s, "failures", 0) > 0 ? " (failures)" : "");
		if (json_str(l, "message", NULL) != NULL)
			printf("  %s\n", json_str(l, "message", ""));
		cJSON_ArrayForEach(t, json_get(l, "tasks")) {
			printf("  %-8s %-10s %s\n", json_str(t, "task", "?"),
			    json_str(t, "result", "?"), json_str(t, "message",
			    json_str(t, "command", "")));
			if ((out = json_str(t, "output", NULL)) != NULL)
				printf("    | %s\n", out);
		}
	}
}

/* roost server schedules NAME [--api SOCKET] [--format text|json] */
int
cmd_server_schedules(int argc, char *argv[])
{
	struct http_response	 resp;
	const char		*api, *format = "text";
	char			*url, *esc;
	cJSON			*o;
	int			 rc;

	api = sched_api_opt(&argc, argv);
	if (argc == 4 && strcmp(argv[2], "--format") == 0) {
		format = argv[3];
		argc = 2;
	}
	if (argc != 2 || (strcmp(format, "text") != 0 &&
	    strcmp(format, "json") != 0)) {
		fprintf(stderr, "usage: roost server schedules NAME [--api "
		    "SOCKET] [--format text|json]\n");
		return CLI_USAGE;
	}
	esc = http_escape(argv[1]);
	xasprintf(&url, "http://localhost/v1/servers/%s", esc);
	free(esc);
	if ((rc = cli_roostd(api, "GET", url, &resp)) == 0) {
		if (resp.status != 200) {
			sched_api_error(&resp);
			rc = CLI_FAIL;
		} else {
			o = json_parse_str(buf_str(&resp.body));
			if (strcmp(format, "json") == 0) {
				char *s = json_print_pretty(json_get(o,
				    "schedules") != NULL ? json_get(o,
				    "schedules") : json_new_array());

				printf("%s\n", s);
				free(s);
			} else
				sched_print(json_get(o, "schedules"));
			cJSON_Delete(o);
		}
	}
	http_response_dispose(&resp);
	free(url);
	return rc;
}

/* roost server schedule-run NAME SCHEDULE [--api SOCKET] */
int
cmd_server_schedule_run(int argc, char *argv[])
{
	struct http_response	 resp;
	const char		*api;
	char			*url, *e1, *e2;
	int			 rc;

	api = sched_api_opt(&argc, argv);
	if (argc != 3) {
		fprintf(stderr, "usage: roost server schedule-run NAME "
		    "SCHEDULE [--api SOCKET]\n");
		return CLI_USAGE;
	}
	e1 = http_escape(argv[1]);
	e2 = http_escape(argv[2]);
	xasprintf(&url, "http://localhost/v1/servers/%s/schedules/%s/run",
	    e1, e2);
	free(e1);
	free(e2);
	if ((rc = cli_roostd(api, "POST", url, &resp)) == 0) {
		if (resp.status != 202) {
			sched_api_error(&resp);
			rc = CLI_FAIL;
		} else
			printf("started schedule %s of %s (roost server "
			    "schedules %s shows its result)\n", argv[2],
			    argv[1], argv[1]);
	}
	http_response_dispose(&resp);
	free(url);
	return rc;
}
