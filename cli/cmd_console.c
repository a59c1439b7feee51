/*
 * cmd_console: a server's console through the local roostd API.
 *
 *   roost logs NAME [-n N] [-f] [--no-ansi] [--api SOCKET]
 *   roost console NAME [-c LINE [-w SECONDS]] [--api SOCKET]
 *
 * logs prints the last N lines roostd kept (and with -f goes on printing
 * new ones until interrupted). console without -c streams the output while
 * it sends every line typed on stdin as a command; Ctrl-D leaves. With -c
 * it sends one line, prints what follows for a few seconds and exits 0, or
 * 1 with roostd's reason when the command was refused.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "http.h"
#include "json.h"
#include "rerr.h"
#include "xmalloc.h"

#include "cli.h"

/* Says why roostd could not be reached, with the usual causes. */
static void
con_unreachable(const char *api, const struct rerr *err)
{
	fprintf(stderr, "roost: cannot reach roostd at '%s': %s\n", api,
	    err->msg);
	if (access(api, F_OK) == 0 && access(api, W_OK) != 0)
		fprintf(stderr, "roost: the socket is for root and the group "
		    "that owns it (usually 'roost'): sudo usermod -aG roost "
		    "$USER, then log in again\n");
	else
		fprintf(stderr, "roost: is roostd running? (use --api SOCKET "
		    "or $ROOST_API for another socket)\n");
}

/* Prints roostd's {"error": ...} message, or the body as it is. */
static void
con_api_error(const char *name, const struct http_response *resp)
{
	cJSON		*o = json_parse_str(buf_str(&resp->body));
	const cJSON	*e = cJSON_GetObjectItemCaseSensitive(o, "error");

	if (cJSON_IsString(e))
		fprintf(stderr, "roost: %s: %s\n", name, e->valuestring);
	else
		fprintf(stderr, "roost: %s: roostd answered %ld: %s\n", name,
		    resp->status, buf_str(&resp->body));
	cJSON_Delete(o);
}

static int
con_write_out(const char *p, size_t n, void *arg)
{
	if (fwrite(p, 1, n, stdout) != n)
		return 1;
	fflush(stdout);
	return 0;
}

/*
 * GETs NAME's logs with query q (already escaped); follow streams them
 * until timeout_ms (0: until the end or a cancel). Returns a CLI status.
 */
static int
con_get_logs(struct http *h, const char *api, const char *name,
    const char *q, int follow, long timeout_ms, int quiet_timeout)
{
	struct http_request	 req;
	struct http_response	 resp;
	struct rerr		 err;
	char			*esc, *url;
	int			 rc = CLI_OK, ret;

	esc = http_escape(name);
	xasprintf(&url, "http://localhost/v1/servers/%s/logs?%s", esc, q);
	free(esc);
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.timeout_ms = timeout_ms;
	if (follow) {
		req.on_data = con_write_out;
		req.max_response = 1 << 20;
	}
	http_response_init(&resp);
	rerr_init(&err);
	ret = http_do(h, &req, &resp, &err);
	if (ret == ROOST_ETIMEDOUT && quiet_timeout)
		goto done;
	if (ret != 0) {
		if (follow && resp.status == 200)
			goto done;	/* cancelled or the stream ended */
		con_unreachable(api, &err);
		rc = CLI_USAGE;
		goto done;
	}
	if (resp.status != 200) {
		con_api_error(name, &resp);
		rc = resp.status == 404 ? CLI_FAIL : CLI_USAGE;
		goto done;
	}
	if (!follow)
		fwrite(resp.body.data, 1, resp.body.len, stdout);
done:
	http_response_dispose(&resp);
	free(url);
	return rc;
}

/* logs -n: how many lines, from 0 to 100000. */
static int
con_lines_opt(const struct cli_opt *opt, const char *arg)
{
	long	*n = opt->value;
	char	*end;

	errno = 0;
	*n = strtol(arg, &end, 10);
	if (errno != 0 || *end != '\0' || *n < 0 || *n > 100000) {
		fprintf(stderr, "roost: -n must be a number from 0 to 100000, "
		    "not '%s'\n", arg);
		return -1;
	}
	return 0;
}

/* roost logs: prints (and follows) a server's console output. */
int
cmd_logs(int argc, char *argv[])
{
	const char		*api = cli_api(), *name;
	struct http		*h;
	char			 q[96];
	long			 n = -1;
	int			 i, follow = 0, noansi = 0, rc;
	const struct cli_opt	 opts[] = {
		{ 'a', "api",	  CLI_OPT_STRING, &api },
		{ 'f', "follow",  CLI_OPT_FLAG,	  &follow },
		{ 'n', "lines",	  CLI_OPT_CALL,	  &n, con_lines_opt },
		{ 'A', "no-ansi", CLI_OPT_FLAG,	  &noansi },
		{ 0 }
	};

	if ((i = cli_opts_parse("logs", opts, argc, argv, &rc)) == -1)
		return rc;
	if (i + 1 != argc)
		return cli_usage("logs", 0);
	name = argv[i];
	if (n < 0)
		n = follow ? 10 : 100;
	snprintf(q, sizeof(q), "lines=%ld%s%s", n, follow ? "&follow=1" : "",
	    noansi ? "&ansi=0" : "");
	h = http_new(api);
	rc = con_get_logs(h, api, name, q, follow, 0, 0);
	http_free(h);
	return rc;
}

/*
 * POSTs one command. Returns 0 with *after set to the last line number
 * before it, CLI_FAIL when roostd refused it (the reason printed), or
 * CLI_USAGE when roostd cannot be reached.
 */
static int
con_send(struct http *h, const char *api, const char *name, const char *line,
    unsigned long long *after)
{
	static const char *const hdrs[] = {
		"Content-Type: application/json", NULL
	};
	struct http_request	 req;
	struct http_response	 resp;
	struct rerr		 err;
	cJSON			*o;
	const cJSON		*a;
	char			*esc, *url, *body;
	int			 rc = 0;

	esc = http_escape(name);
	xasprintf(&url, "http://localhost/v1/servers/%s/command", esc);
	free(esc);
	o = json_new_object();
	cJSON_AddStringToObject(o, "line", line);
	body = json_print_free(o);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.headers = hdrs;
	req.body = body;
	req.body_len = (size_t)-1;
	req.timeout_ms = 10000;
	http_response_init(&resp);
	rerr_init(&err);
	if (http_do(h, &req, &resp, &err) != 0) {
		con_unreachable(api, &err);
		rc = CLI_USAGE;
	} else if (resp.status != 200) {
		con_api_error(name, &resp);
		rc = CLI_FAIL;
	} else if (after != NULL) {
		o = json_parse_str(buf_str(&resp.body));
		a = cJSON_GetObjectItemCaseSensitive(o, "after");
		*after = cJSON_IsNumber(a) ? (unsigned long long)a->valuedouble :
		    0;
		cJSON_Delete(o);
	}
	http_response_dispose(&resp);
	free(body);
	free(url);
	return rc;
}

struct con_follow {
	struct http	*h;
	const char	*api;
	const char	*name;
	int		 rc;
};

static void *
con_follow_main(void *arg)
{
	struct con_follow	*f = arg;

	f->rc = con_get_logs(f->h, f->api, f->name, "lines=20&follow=1", 1, 0,
	    0);
	return NULL;
}

/* console -w: how long -c waits for output, from 0 to 3600 seconds. */
static int
con_wait_opt(const struct cli_opt *opt, const char *arg)
{
	double	*wait = opt->value;
	char	*end;

	*wait = strtod(arg, &end);
	if (*end != '\0' || end == arg || *wait < 0 || *wait > 3600) {
		fprintf(stderr, "roost: -w must be seconds from 0 to 3600, not "
		    "'%s'\n", arg);
		return -1;
	}
	return 0;
}

/* roost console: types into a server's console. */
int
cmd_console(int argc, char *argv[])
{
	const char		*api = cli_api(), *name, *one = NULL;
	struct con_follow	 f;
	struct http		*h, *fh;
	pthread_t		 th;
	unsigned long long	 after = 0;
	char			*line = NULL, q[96];
	size_t			 cap = 0;
	ssize_t			 len;
	double			 wait = 2;
	int			 i, rc;
	const struct cli_opt	 opts[] = {
		{ 'a', "api",	  CLI_OPT_STRING, &api },
		{ 'c', "command", CLI_OPT_STRING, &one },
		{ 'w', "wait",	  CLI_OPT_CALL,	  &wait, con_wait_opt },
		{ 0 }
	};

	if ((i = cli_opts_parse("console", opts, argc, argv, &rc)) == -1)
		return rc;
	if (i + 1 != argc)
		return cli_usage("console", 0);
	name = argv[i];
	h = http_new(api);
	if (one != NULL) {
		if ((rc = con_send(h, api, name, one, &after)) == 0 &&
		    wait > 0) {
			snprintf(q, sizeof(q), "follow=1&after=%llu", after);
			rc = con_get_logs(h, api, name, q, 1,
			    (long)(wait * 1000), 1);
		}
		http_free(h);
		return rc;
	}

	fh = http_new(api);
	memset(&f, 0, sizeof(f));
	f.h = fh;
	f.api = api;
	f.name = name;
	if (pthread_create(&th, NULL, con_follow_main, &f) != 0) {
		fprintf(stderr, "roost: cannot start a thread\n");
		http_free(fh);
		http_free(h);
		return CLI_USAGE;
	}
	if (isatty(STDIN_FILENO))
		fprintf(stderr, "roost: %s's console; type a command and "
		    "Enter, Ctrl-D leaves\n", name);
	rc = CLI_OK;
	while ((len = getline(&line, &cap, stdin)) != -1) {
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (con_send(h, api, name, line, NULL) == CLI_USAGE) {
			rc = CLI_USAGE;
			break;
		}
	}
	free(line);
	http_cancel(fh);
	pthread_join(th, NULL);
	http_free(fh);
	http_free(h);
	return rc != CLI_OK ? rc : f.rc;
}
