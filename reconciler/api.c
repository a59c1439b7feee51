/*
 * api: the local HTTP API served with libmicrohttpd on a unix socket.
 * This is the only file that uses libmicrohttpd.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "buf.h"
#include "conline.h"
#include "json.h"
#include "log.h"
#include "rerr.h"
#include "state.h"
#include "xmalloc.h"

#include "api.h"
#include "console.h"

#define API_BODY_MAX	8192	/* request bodies */
#define API_FOLLOW_WAIT	250	/* ms between checks of a follower's peer */

/* One request: its body, collected across calls. */
struct api_req {
	struct buf	 body;
	int		 too_big;
};

/* A follow stream: the lines after seq, formatted into out. */
struct api_follow {
	struct api		*api;
	char			*name;
	uint64_t		 after;
	int			 json;
	int			 strip;
	int			 fd;		/* the peer, to notice it left */
	struct buf		 out;
	size_t			 off;
};

struct api {
	struct MHD_Daemon	*mhd;
	char			*path;
	int			 fd;
	struct api_hooks	 hooks;
	pthread_mutex_t		 mu;
	char			*status;
	char			*metrics;
	int			 quit;		/* followers end */
};

static enum MHD_Result
api_reply(struct MHD_Connection *c, unsigned int code, const char *type,
    const char *body)
{
	struct MHD_Response	*r;
	enum MHD_Result		 rc;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", type);
	rc = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return rc;
}

/* Answers with o as JSON; frees o. */
static enum MHD_Result
api_json(struct MHD_Connection *c, unsigned int code, cJSON *o)
{
	char		*s = json_print_free(o);
	enum MHD_Result	 rc;

	rc = api_reply(c, code, "application/json", s);
	free(s);
	return rc;
}

static enum MHD_Result
api_error(struct MHD_Connection *c, unsigned int code, const char *msg)
{
	cJSON	*o = json_new_object();

	cJSON_AddStringToObject(o, "error", msg);
	return api_json(c, code, o);
}

/* Copies the current snapshot under the lock. */
static char *
api_snapshot(struct api *api, int metrics)
{
	char	*s;

	pthread_mutex_lock(&api->mu);
	s = xstrdup(metrics ? (api->metrics ? api->metrics : "") :
	    (api->status ? api->status : "{\"node\":null,\"servers\":[]}"));
	pthread_mutex_unlock(&api->mu);
	return s;
}

static enum MHD_Result
api_server(struct api *api, struct MHD_Connection *c, const char *name)
{
	cJSON		*root, *servers, *s, *n;
	char		*snap, *out;
	enum MHD_Result	 rc;

	snap = api_snapshot(api, 0);
	root = json_parse_str(snap);
	free(snap);
	servers = cJSON_GetObjectItemCaseSensitive(root, "servers");
	cJSON_ArrayForEach(s, servers) {
		n = cJSON_GetObjectItemCaseSensitive(s, "name");
		if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0) {
			out = json_print(s);
			rc = api_reply(c, MHD_HTTP_OK, "application/json",
			    out);
			free(out);
			cJSON_Delete(root);
			return rc;
		}
	}
	cJSON_Delete(root);
	return api_error(c, MHD_HTTP_NOT_FOUND, "no such server on this node");
}

/* True when the published status has a server called name. */
static int
api_known(struct api *api, const char *name)
{
	cJSON	*root, *s, *n;
	char	*snap;
	int	 yes = 0;

	snap = api_snapshot(api, 0);
	root = json_parse_str(snap);
	free(snap);
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(root,
	    "servers")) {
		n = cJSON_GetObjectItemCaseSensitive(s, "name");
		if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0) {
			yes = 1;
			break;
		}
	}
	cJSON_Delete(root);
	return yes;
}

static const char *
api_arg(struct MHD_Connection *c, const char *key)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
}

static int
api_flag(struct MHD_Connection *c, const char *key)
{
	const char	*v = api_arg(c, key);

	return v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "yes") == 0);
}

/* Formats one line as text or as a JSON object, with a line end. */
static void
api_format_line(struct buf *out, const struct console_line *l, int json,
    int strip)
{
	cJSON		*o;
	struct tm	 tm;
	time_t		 t = (time_t)(l->time_ms / 1000);
	char		 ts[40], *text, *s;
	size_t		 n;

	text = strip ? conline_strip_ansi(l->text, l->len) : NULL;
	if (!json) {
		if (text != NULL)
			buf_puts(out, text);
		else
			buf_add(out, l->text, l->len);
		buf_putc(out, '\n');
		free(text);
		return;
	}
	if (text == NULL)
		text = conline_utf8(l->text, l->len);
	else {
		s = conline_utf8(text, strlen(text));
		free(text);
		text = s;
	}
	gmtime_r(&t, &tm);
	n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof(ts) - n, ".%03uZ",
	    (unsigned int)(l->time_ms % 1000));
	o = json_new_object();
	cJSON_AddNumberToObject(o, "seq", (double)l->seq);
	cJSON_AddStringToObject(o, "time", ts);
	cJSON_AddStringToObject(o, "line", text);
	s = json_print(o);
	buf_puts(out, s);
	buf_putc(out, '\n');
	free(s);
	free(text);
	cJSON_Delete(o);
}

/* The note for lines a reader missed. */
static void
api_format_skipped(struct buf *out, uint64_t skipped, int json)
{
	if (skipped == 0)
		return;
	if (json)
		buf_addf(out, "{\"skipped\":%llu}\n",
		    (unsigned long long)skipped);
	else
		buf_addf(out, "[roost] %llu lines skipped: they left the "
		    "ring before they could be read\n",
		    (unsigned long long)skipped);
}

static ssize_t
api_follow_read(void *cls, uint64_t pos, char *dst, size_t max)
{
	struct api_follow	*f = cls;
	struct console_line	*v;
	uint64_t		 skipped, next;
	ssize_t			 n, i;
	char			 c;
	size_t			 len;

	for (;;) {
		if (f->off < f->out.len) {
			len = f->out.len - f->off;
			if (len > max)
				len = max;
			memcpy(dst, f->out.data + f->off, len);
			f->off += len;
			if (f->off == f->out.len) {
				buf_reset(&f->out);
				f->off = 0;
			}
			return (ssize_t)len;
		}
		n = console_read(f->api->hooks.console, f->name, f->after, 0,
		    &v, &skipped, &next);
		if (n >= 0) {
			api_format_skipped(&f->out, skipped, f->json);
			for (i = 0; i < n; i++)
				api_format_line(&f->out, &v[i], f->json,
				    f->strip);
			console_lines_free(v, (size_t)n);
			f->after = next;
			if (f->out.len > 0)
				continue;
		}
		if (__atomic_load_n(&f->api->quit, __ATOMIC_RELAXED))
			return MHD_CONTENT_READER_END_OF_STREAM;
		/* The peer left: nothing would ever read this. */
		if (f->fd != -1 && recv(f->fd, &c, 1, MSG_PEEK |
		    MSG_DONTWAIT) == 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		(void)console_wait(f->api->hooks.console, f->name, f->after,
		    API_FOLLOW_WAIT);
	}
}

static void
api_follow_free(void *cls)
{
	struct api_follow	*f = cls;

	buf_dispose(&f->out);
	free(f->name);
	free(f);
}

/* GET /v1/servers/NAME/logs */
static enum MHD_Result
api_logs(struct api *api, struct MHD_Connection *c, const char *name)
{
	const union MHD_ConnectionInfo *ci;
	struct console		*con = api->hooks.console;
	struct console_line	*v = NULL;
	struct MHD_Response	*r;
	struct api_follow	*f;
	struct buf		 b;
	const char		*s, *fmt;
	char			*end, hdr[32];
	uint64_t		 skipped = 0, next = 0, after = 0;
	long			 lines;
	ssize_t			 n = -1, i;
	enum MHD_Result		 rc;
	int			 code, json, strip, follow;

	if ((s = api_arg(c, "lines")) == NULL)
		s = api_arg(c, "tail");
	follow = api_flag(c, "follow");
	lines = follow ? 10 : 100;
	if (s != NULL) {
		errno = 0;
		lines = strtol(s, &end, 10);
		if (errno != 0 || *end != '\0' || end == s || lines < 0 ||
		    lines > 100000)
			return api_error(c, MHD_HTTP_BAD_REQUEST, "'lines' must "
			    "be a number from 0 to 100000");
	}
	if ((s = api_arg(c, "after")) != NULL) {
		errno = 0;
		after = strtoull(s, &end, 10);
		if (errno != 0 || *end != '\0' || end == s)
			return api_error(c, MHD_HTTP_BAD_REQUEST, "'after' must "
			    "be a line number");
	}
	fmt = api_arg(c, "format");
	if (fmt != NULL && strcmp(fmt, "json") != 0 &&
	    strcmp(fmt, "text") != 0)
		return api_error(c, MHD_HTTP_BAD_REQUEST, "'format' must be "
		    "text or json");
	json = fmt != NULL && strcmp(fmt, "json") == 0;
	strip = (s = api_arg(c, "ansi")) != NULL && strcmp(s, "0") == 0;

	if (con != NULL && (console_known(con, name) ||
	    (follow && api_known(api, name)))) {
		if (after == 0 && lines > 0)
			n = console_read(con, name, 0, (size_t)lines, &v,
			    &skipped, &next);
		else if (after > 0)
			n = console_read(con, name, after, 0, &v, &skipped,
			    &next);
		else
			n = console_read(con, name, UINT64_MAX, 0, &v,
			    &skipped, &next);
		if (after == 0)
			skipped = 0;	/* a tail, not a gap */
	} else if (!follow && api->hooks.logs != NULL) {
		/* Not followed since roostd started: the engine's log. */
		buf_init(&b, 0);
		code = api->hooks.logs(api->hooks.arg, name, (int)lines, &b);
		rc = api_reply(c, (unsigned)code, code == 200 ?
		    "text/plain; charset=utf-8" : "application/json",
		    buf_str(&b));
		buf_dispose(&b);
		return rc;
	} else
		return api_error(c, MHD_HTTP_NOT_FOUND, "no such server on "
		    "this node");

	buf_init(&b, 0);
	if (json && !follow)
		buf_addf(&b, "{\"server\":\"%s\",\"lines\":[", name);
	if (!json || follow)
		api_format_skipped(&b, skipped, json);
	for (i = 0; i < n; i++) {
		if (json && !follow) {
			struct buf	one;

			buf_init(&one, 0);
			api_format_line(&one, &v[i], 1, strip);
			buf_add(&b, one.data, one.len - 1);
			if (i + 1 < n)
				buf_putc(&b, ',');
			buf_dispose(&one);
		} else
			api_format_line(&b, &v[i], json, strip);
	}
	console_lines_free(v, n > 0 ? (size_t)n : 0);
	if (n < 0)
		next = after;
	if (json && !follow)
		buf_addf(&b, "],\"next\":%llu,\"skipped\":%llu}",
		    (unsigned long long)next, (unsigned long long)skipped);
	snprintf(hdr, sizeof(hdr), "%llu", (unsigned long long)next);
	if (!follow) {
		r = MHD_create_response_from_buffer(b.len, b.data,
		    MHD_RESPMEM_MUST_COPY);
		buf_dispose(&b);
		MHD_add_response_header(r, "Content-Type", json ?
		    "application/json" : "text/plain; charset=utf-8");
		MHD_add_response_header(r, "X-Roost-Next", hdr);
		rc = MHD_queue_response(c, MHD_HTTP_OK, r);
		MHD_destroy_response(r);
		return rc;
	}
	f = xcalloc(1, sizeof(*f));
	f->api = api;
	f->name = xstrdup(name);
	f->after = next;
	f->json = json;
	f->strip = strip;
	f->out = b;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	f->fd = ci != NULL ? ci->connect_fd : -1;
	MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT,
	    (unsigned int)0);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384,
	    api_follow_read, f, api_follow_free);
	MHD_add_response_header(r, "Content-Type", json ?
	    "application/x-ndjson" : "text/plain; charset=utf-8");
	MHD_add_response_header(r, "X-Roost-Next", hdr);
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	rc = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

/*
 * The Unix user of the peer as "unix:NAME" (or "unix:uid=N"); *uid gets
 * its uid. Returns -1 when the kernel does not say.
 */
static int
api_peer(struct MHD_Connection *c, char *who, size_t len, uid_t *uid)
{
	const union MHD_ConnectionInfo *ci;
	struct ucred	 uc;
	struct passwd	 pw, *res = NULL;
	socklen_t	 sl = sizeof(uc);
	char		 pwbuf[1024];

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL || getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED,
	    &uc, &sl) == -1)
		return -1;
	*uid = uc.uid;
	if (getpwuid_r(uc.uid, &pw, pwbuf, sizeof(pwbuf), &res) == 0 &&
	    res != NULL)
		snprintf(who, len, "unix:%s", pw.pw_name);
	else
		snprintf(who, len, "unix:uid=%lu", (unsigned long)uc.uid);
	return 0;
}

/* POST /v1/servers/NAME/command {"line": "...", "who": "..."} */
static enum MHD_Result
api_command(struct api *api, struct MHD_Connection *c, const char *name,
    struct api_req *req)
{
	struct console_result	 res;
	struct MHD_Response	*r;
	struct rerr		 err;
	cJSON			*o, *line, *who, *out;
	char			 peer[160], retry[24], *s;
	uid_t			 uid;
	unsigned int		 code;
	enum MHD_Result		 rc;
	int			 ret;

	if (api->hooks.console == NULL)
		return api_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no console");
	if (req->too_big)
		return api_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "the request "
		    "body is too large");
	if (api_peer(c, peer, sizeof(peer), &uid) == -1)
		return api_error(c, MHD_HTTP_FORBIDDEN, "cannot tell who is "
		    "asking (no peer credentials)");
	/* cJSON would end the line at an escaped NUL without a word. */
	if (strstr(buf_str(&req->body), "\\u0000") != NULL)
		return api_error(c, MHD_HTTP_BAD_REQUEST, "the command has the "
		    "control character U+0000");
	if ((o = json_parse_len(req->body.data != NULL ?
	    req->body.data : "", req->body.len)) == NULL ||
	    !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return api_error(c, MHD_HTTP_BAD_REQUEST, "the body must be a "
		    "JSON object such as {\"line\": \"say hello\"}");
	}
	line = cJSON_GetObjectItemCaseSensitive(o, "line");
	who = cJSON_GetObjectItemCaseSensitive(o, "who");
	if (!cJSON_IsString(line)) {
		cJSON_Delete(o);
		return api_error(c, MHD_HTTP_BAD_REQUEST, "'line' must be a "
		    "string");
	}
	if (who != NULL && !cJSON_IsNull(who)) {
		/* Only root may type on someone else's behalf (a relay). */
		if (!cJSON_IsString(who) || uid != 0) {
			cJSON_Delete(o);
			return api_error(c, MHD_HTTP_FORBIDDEN, "only root may "
			    "name the user of a command ('who'); it is taken "
			    "from the socket's peer");
		}
		rerr_init(&err);
		if (conline_check(who->valuestring,
		    strlen(who->valuestring), &err) != 0 ||
		    strlen(who->valuestring) > 100) {
			cJSON_Delete(o);
			return api_error(c, MHD_HTTP_BAD_REQUEST, "'who' must "
			    "be a short printable name");
		}
		snprintf(peer, sizeof(peer), "%s", who->valuestring);
	}
	rerr_init(&err);
	ret = console_command(api->hooks.console, name, peer,
	    line->valuestring, &res, &err);
	cJSON_Delete(o);
	switch (ret) {
	case 0:
		out = json_new_object();
		cJSON_AddStringToObject(out, "server", name);
		cJSON_AddStringToObject(out, "who", res.who);
		cJSON_AddNumberToObject(out, "after", (double)res.seq);
		return api_json(c, MHD_HTTP_OK, out);
	case ROOST_EINVAL:
		code = MHD_HTTP_BAD_REQUEST;
		break;
	case ROOST_ENOTFOUND:
		code = MHD_HTTP_NOT_FOUND;
		break;
	case ROOST_ECONFLICT:
		code = MHD_HTTP_CONFLICT;
		break;
	case ROOST_EDENIED:
		out = json_new_object();
		cJSON_AddStringToObject(out, "error", err.msg);
		s = json_print_free(out);
		r = MHD_create_response_from_buffer(strlen(s), s,
		    MHD_RESPMEM_MUST_COPY);
		free(s);
		snprintf(retry, sizeof(retry), "%llu",
		    (unsigned long long)((res.retry_ms + 999) / 1000));
		MHD_add_response_header(r, "Content-Type", "application/json");
		MHD_add_response_header(r, "Retry-After", retry);
		rc = MHD_queue_response(c, MHD_HTTP_TOO_MANY_REQUESTS, r);
		MHD_destroy_response(r);
		return rc;
	default:
		code = strncmp(err.msg, "cannot", 6) == 0 &&
		    strstr(err.msg, "audit") != NULL ?
		    MHD_HTTP_INTERNAL_SERVER_ERROR : MHD_HTTP_BAD_GATEWAY;
		break;
	}
	return api_error(c, code, err.msg);
}

/* POST /v1/servers/NAME/schedules/SCHED/run: a run now, as the peer. */
static enum MHD_Result
api_schedule_run(struct api *api, struct MHD_Connection *c, const char *name,
    const char *rest, const char *method)
{
	struct rerr	 err;
	char		 peer[160], sched[80];
	const char	*slash = strchr(rest, '/');
	uid_t		 uid;
	int		 ret;
	cJSON		*out;

	if (slash == NULL || strcmp(slash, "/run") != 0 ||
	    (size_t)(slash - rest) >= sizeof(sched) || slash == rest)
		return api_error(c, MHD_HTTP_NOT_FOUND, "not found");
	snprintf(sched, sizeof(sched), "%.*s", (int)(slash - rest), rest);
	if (!state_schedule_name_valid(sched))
		return api_error(c, MHD_HTTP_NOT_FOUND, "no such schedule");
	if (strcmp(method, "POST") != 0)
		return api_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST");
	if (api->hooks.schedule_run == NULL)
		return api_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no "
		    "schedules");
	if (api_peer(c, peer, sizeof(peer), &uid) == -1)
		return api_error(c, MHD_HTTP_FORBIDDEN, "cannot tell who is "
		    "asking (no peer credentials)");
	rerr_init(&err);
	ret = api->hooks.schedule_run(api->hooks.arg, name, sched, peer, &err);
	if (ret == ROOST_ENOTFOUND)
		return api_error(c, MHD_HTTP_NOT_FOUND, err.msg);
	if (ret == ROOST_ECONFLICT)
		return api_error(c, MHD_HTTP_CONFLICT, err.msg);
	if (ret != 0)
		return api_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, err.msg);
	out = json_new_object();
	cJSON_AddStringToObject(out, "server", name);
	cJSON_AddStringToObject(out, "schedule", sched);
	cJSON_AddStringToObject(out, "who", peer);
	return api_json(c, MHD_HTTP_ACCEPTED, out);
}

static void
api_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct api_req	*req = *con_cls;

	if (req == NULL)
		return;
	buf_dispose(&req->body);
	free(req);
	*con_cls = NULL;
}

static enum MHD_Result	api_schedule_run(struct api *, struct MHD_Connection *,
			    const char *, const char *, const char *);

static enum MHD_Result
api_handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **con_cls)
{
	struct api	*api = cls;
	struct api_req	*req = *con_cls;
	struct buf	 b;
	const char	*q, *rest;
	char		*s, name[64];
	enum MHD_Result	 rc;
	int		 code;

	/* The first call only announces the request; bodies are collected. */
	if (req == NULL) {
		req = xcalloc(1, sizeof(*req));
		buf_init(&req->body, API_BODY_MAX);
		*con_cls = req;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		if (buf_add(&req->body, upload_data, *upload_size) == -1)
			req->too_big = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/healthz") == 0)
		return api_reply(c, MHD_HTTP_OK, "text/plain", "ok\n");
	if (strcmp(url, "/v1/reconcile") == 0) {
		if (strcmp(method, "POST") != 0)
			return api_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "use POST");
		buf_init(&b, 0);
		code = api->hooks.reconcile != NULL ?
		    api->hooks.reconcile(api->hooks.arg, &b) : 503;
		rc = api_reply(c, (unsigned)code, "application/json",
		    buf_str(&b));
		buf_dispose(&b);
		return rc;
	}
	if (strcmp(url, "/v1/secrets/reseal") == 0) {
		if (strcmp(method, "POST") != 0)
			return api_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "use POST");
		if (req->too_big)
			return api_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
			    "request body too large");
		buf_init(&b, 0);
		code = api->hooks.reseal != NULL ? api->hooks.reseal(
		    api->hooks.arg, buf_str(&req->body), req->body.len, &b) :
		    503;
		rc = api_reply(c, (unsigned)code, "application/json",
		    b.len ? buf_str(&b) : "{\"error\":\"not available\"}");
		buf_dispose(&b);
		return rc;
	}
	if (strncmp(url, "/v1/servers/", 12) == 0) {
		rest = url + 12;
		q = strchr(rest, '/');
		if ((q != NULL ? (size_t)(q - rest) : strlen(rest)) >=
		    sizeof(name) || rest[0] == '\0')
			return api_error(c, MHD_HTTP_NOT_FOUND,
			    "no such server on this node");
		snprintf(name, sizeof(name), "%.*s",
		    q != NULL ? (int)(q - rest) : (int)strlen(rest), rest);
		if (name[strspn(name, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")] != '\0')
			return api_error(c, MHD_HTTP_NOT_FOUND,
			    "no such server on this node");
		if (q != NULL && strncmp(q, "/schedules/", 11) == 0)
			return api_schedule_run(api, c, name, q + 11, method);
		if (q != NULL && strcmp(q, "/command") == 0) {
			if (strcmp(method, "POST") != 0)
				return api_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				    "use POST");
			return api_command(api, c, name, req);
		}
		if (strcmp(method, "GET") != 0)
			return api_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "use GET");
		if (q == NULL)
			return api_server(api, c, name);
		if (strcmp(q, "/logs") != 0)
			return api_error(c, MHD_HTTP_NOT_FOUND, "not found");
		return api_logs(api, c, name);
	}
	if (strcmp(method, "GET") != 0)
		return api_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET");
	if (strcmp(url, "/v1/status") == 0) {
		s = api_snapshot(api, 0);
		rc = api_reply(c, MHD_HTTP_OK, "application/json", s);
		free(s);
		return rc;
	}
	if (strcmp(url, "/metrics") == 0) {
		s = api_snapshot(api, 1);
		rc = api_reply(c, MHD_HTTP_OK,
		    "text/plain; version=0.0.4; charset=utf-8", s);
		free(s);
		return rc;
	}
	return api_error(c, MHD_HTTP_NOT_FOUND, "not found");
}

/* Gives the socket to group (mode 0660) when that group exists. */
static void
api_chgrp(const char *path, const char *group)
{
	struct group	 gr, *res = NULL;
	char		 grbuf[4096];

	if (group == NULL)
		return;
	if (getgrnam_r(group, &gr, grbuf, sizeof(grbuf), &res) != 0 ||
	    res == NULL) {
		log_debug("api: no group '%s'; the socket stays root's only",
		    group);
		return;
	}
	if (chown(path, (uid_t)-1, gr.gr_gid) == -1)
		log_warn("api: cannot give '%s' to group '%s'", path, group);
}

/* Listens on a unix socket and serves the API. */
int
api_start(struct api **out, const char *path, const struct api_hooks *hooks,
    struct rerr *err)
{
	struct sockaddr_un	 sun;
	struct api		*api;
	int			 fd;

	*out = NULL;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return rerr_set(err, -1, "api socket path '%s' is too long",
		    path);
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return rerr_errno(err, -1, "socket");
	if (unlink(path) == -1 && errno != ENOENT) {
		close(fd);
		return rerr_errno(err, -1, "cannot remove '%s'", path);
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0660) == -1 || listen(fd, 64) == -1) {
		rerr_errno(err, -1, "cannot listen on '%s'", path);
		close(fd);
		return -1;
	}
	api_chgrp(path, hooks->group);
	api = xcalloc(1, sizeof(*api));
	api->path = xstrdup(path);
	api->fd = fd;
	api->hooks = *hooks;
	pthread_mutex_init(&api->mu, NULL);
	api->mhd = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL,
	    api_handler, api, MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)256,
	    MHD_OPTION_NOTIFY_COMPLETED, api_completed, NULL,
	    MHD_OPTION_END);
	if (api->mhd == NULL) {
		rerr_set(err, -1, "cannot start the api server on '%s'",
		    path);
		close(fd);
		unlink(path);
		free(api->path);
		free(api);
		return -1;
	}
	*out = api;
	return 0;
}

/* Replaces the published snapshot. */
void
api_publish(struct api *api, const char *status, const char *metrics)
{
	char	*s = status ? xstrdup(status) : NULL;
	char	*m = metrics ? xstrdup(metrics) : NULL;

	pthread_mutex_lock(&api->mu);
	if (s != NULL) {
		free(api->status);
		api->status = s;
	}
	if (m != NULL) {
		free(api->metrics);
		api->metrics = m;
	}
	pthread_mutex_unlock(&api->mu);
}

/* Stops the server and frees it. */
void
api_stop(struct api *api)
{
	if (api == NULL)
		return;
	__atomic_store_n(&api->quit, 1, __ATOMIC_RELAXED);
	if (api->hooks.console != NULL)
		console_wake(api->hooks.console);
	MHD_stop_daemon(api->mhd);
	unlink(api->path);
	pthread_mutex_destroy(&api->mu);
	free(api->status);
	free(api->metrics);
	free(api->path);
	free(api);
}
