/*
 * hub: the node side of the hub protocol (see hub.h), on lib/ws.c's loop
 * with the frames of lib/hubproto.h. The loop's thread owns the
 * connection; other threads queue frames under a mutex and wake it. One
 * fetch thread runs the fetches the hub asks for, one at a time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <libwebsockets.h>

#include "buf.h"
#include "conline.h"
#include "hubproto.h"
#include "json.h"
#include "log.h"
#include "rerr.h"
#include "util.h"
#include "ws.h"
#include "xmalloc.h"

#include "console.h"
#include "hub.h"

#define HUB_BACKOFF_MIN_MS	1000
#define HUB_BACKOFF_MAX_MS	60000
#define HUB_MAX_FETCHES		256	/* request ids waiting at once */
#define HUB_MAX_SUBS		256	/* servers followed at once */
#define HUB_PEND_MAX		1000	/* console lines waiting per server */

/* A server whose console the hub follows. */
struct hub_sub {
	char		*server;
	uint64_t	 id;		/* the console's subscription */
	cJSON		*lines;		/* [{seq, text}] not sent yet */
	size_t		 npend;
	unsigned long long dropped;	/* left out since the last frame */
};

struct hub_srv {
	char		*name;
	char		*json;		/* last sent object */
	int		 seen;
};

struct hub {
	char			*url;
	char			*token;
	char			*node;
	char			*version;
	char			*(*on_fetch)(void *);
	void			*arg;
	struct console		*console;
	int			(*on_schedule_run)(void *, const char *,
				    const char *, const char *, struct rerr *);

	struct ws_loop		*loop;		/* NULL once stopped */
	struct lws_context	*ctx;
	struct lws		*wsi;
	int			 up;
	uint64_t		 backoff_ms;
	lws_sorted_usec_list_t	 sul_heartbeat;
	lws_sorted_usec_list_t	 sul_connect;
	struct buf		 rx;

	pthread_mutex_t		 mu;
	struct ws_queue		 outq;
	char			*node_json;	/* latest node object */
	char			*revision;
	struct hub_srv		*srv;
	size_t			 nsrv;
	struct hub_sub		*subs;
	size_t			 nsubs;
	int			 console_dirty;

	/* fetch requests: one worker runs one fetch for all that wait */
	pthread_cond_t		 fetch_cv;
	char			**fetch_ids;
	size_t			 nfetch_ids;
	int			 fetch_warned;
	int			 refs;		/* hub_stop's and the worker's */
	int			 stopped;	/* hub_stop began */
};

static void	hub_connect(lws_sorted_usec_list_t *);

/* Appends a frame to the queue; takes ownership of text. Locked. */
static void
hub_queue_locked(struct hub *h, char *text)
{
	ws_queue_push(&h->outq, text, 0);
}

static void
hub_queue(struct hub *h, char *text)
{
	pthread_mutex_lock(&h->mu);
	hub_queue_locked(h, text);
	pthread_mutex_unlock(&h->mu);
	ws_loop_wake(h->loop);
}

/* Queues hello and a full snapshot. Locked. */
static void
hub_queue_snapshot_locked(struct hub *h)
{
	struct buf	b;
	size_t		i;

	hub_queue_locked(h, hubp_hello(h->node, h->version, h->revision));
	buf_init(&b, 0);
	buf_putc(&b, '[');
	for (i = 0; i < h->nsrv; i++) {
		if (i > 0)
			buf_putc(&b, ',');
		buf_puts(&b, h->srv[i].json);
	}
	buf_putc(&b, ']');
	hub_queue_locked(h, hubp_snapshot(h->node_json, buf_str(&b)));
	buf_dispose(&b);
}

static void
hub_heartbeat(lws_sorted_usec_list_t *sul)
{
	struct hub	*h = lws_container_of(sul, struct hub, sul_heartbeat);
	char		 now[32];

	if (h->up) {
		util_now_rfc3339(now, sizeof(now));
		pthread_mutex_lock(&h->mu);
		hub_queue_locked(h, hubp_heartbeat(now));
		pthread_mutex_unlock(&h->mu);
		if (h->wsi != NULL)
			lws_callback_on_writable(h->wsi);
	}
	lws_sul_schedule(h->ctx, 0, &h->sul_heartbeat, hub_heartbeat,
	    (lws_usec_t)HUBP_HEARTBEAT_S * LWS_USEC_PER_SEC);
}

static void
hub_retry(struct hub *h)
{
	uint64_t	ms = h->backoff_ms, jitter;

	if (h->stopped)
		return;
	jitter = ms / 5;
	ms = ms - jitter + (uint64_t)(random() % (long)(2 * jitter + 1));
	h->backoff_ms = h->backoff_ms * 2 > HUB_BACKOFF_MAX_MS ?
	    HUB_BACKOFF_MAX_MS : h->backoff_ms * 2;
	lws_sul_schedule(h->ctx, 0, &h->sul_connect, hub_connect,
	    (lws_usec_t)ms * LWS_US_PER_MS);
}

static void
hub_free(struct hub *h)
{
	size_t	i;

	ws_queue_clear(&h->outq);
	for (i = 0; i < h->nsrv; i++) {
		free(h->srv[i].name);
		free(h->srv[i].json);
	}
	for (i = 0; i < h->nsubs; i++) {
		free(h->subs[i].server);
		cJSON_Delete(h->subs[i].lines);
	}
	free(h->subs);
	strv_free(h->fetch_ids, h->nfetch_ids);
	free(h->srv);
	free(h->node_json);
	free(h->revision);
	free(h->token);
	free(h->url);
	free(h->node);
	free(h->version);
	buf_dispose(&h->rx);
	pthread_cond_destroy(&h->fetch_cv);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

/* Drops a reference to h; the last one frees it. Locked; unlocks. */
static void
hub_unref_locked(struct hub *h)
{
	int	last = --h->refs == 0;

	pthread_mutex_unlock(&h->mu);
	if (last)
		hub_free(h);
}

/*
 * The fetch worker: however many "fetch" frames arrive, one fetch runs at
 * a time, and every request that waited for it gets its answer.
 */
static void *
hub_fetch_thread(void *arg)
{
	struct hub	*h = arg;
	char		**ids, *result;
	size_t		  n, i;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		while (h->nfetch_ids == 0 && !h->stopped)
			pthread_cond_wait(&h->fetch_cv, &h->mu);
		if (h->stopped)
			break;
		ids = h->fetch_ids;
		n = h->nfetch_ids;
		h->fetch_ids = NULL;
		h->nfetch_ids = 0;
		h->fetch_warned = 0;
		pthread_mutex_unlock(&h->mu);
		log_info("hub: fetching for %zu request%s", n, n == 1 ? "" :
		    "s");
		result = h->on_fetch(h->arg);
		pthread_mutex_lock(&h->mu);
		for (i = 0; i < n; i++) {
			if (!h->stopped)
				hub_queue_locked(h, hubp_fetched(ids[i],
				    result));
			free(ids[i]);
		}
		free(ids);
		free(result);
		if (!h->stopped)
			ws_loop_wake(h->loop);
	}
	hub_unref_locked(h);
	return NULL;
}

/* The sub of server, or NULL. Locked. */
static struct hub_sub *
hub_sub_find(struct hub *h, const char *server)
{
	size_t	i;

	for (i = 0; i < h->nsubs; i++)
		if (strcmp(h->subs[i].server, server) == 0)
			return &h->subs[i];
	return NULL;
}

/* A console line as the hub gets it: {seq, text}, ANSI stripped. */
static cJSON *
hub_line(uint64_t seq, const char *text, size_t len)
{
	cJSON	*o = json_new_object();
	char	*s, *u;

	s = conline_strip_ansi(text, len);
	u = conline_utf8(s, strlen(s));
	json_add_num(o, "seq", (double)seq);
	json_add_str(o, "text", u);
	free(u);
	free(s);
	return o;
}

/*
 * A new console line of a followed server (called by the console with
 * its lock held): kept for the next frame, or counted once
 * HUB_PEND_MAX wait.
 */
static void
hub_on_line(void *arg, const char *server, uint64_t seq, const char *text,
    size_t len)
{
	struct hub	*h = arg;
	struct hub_sub	*s;
	int		 wake = 0;

	pthread_mutex_lock(&h->mu);
	if ((s = hub_sub_find(h, server)) != NULL) {
		if (s->npend >= HUB_PEND_MAX)
			s->dropped++;
		else {
			if (s->lines == NULL)
				s->lines = json_new_array();
			cJSON_AddItemToArray(s->lines, hub_line(seq, text,
			    len));
			s->npend++;
		}
		wake = !h->console_dirty;
		h->console_dirty = 1;
	}
	pthread_mutex_unlock(&h->mu);
	if (wake)
		ws_loop_wake(h->loop);
}

/* Queues the console lines that wait, in frames of bounded size. Locked. */
static void
hub_flush_console_locked(struct hub *h)
{
	struct hub_sub	*s;
	cJSON		*part, *it;
	size_t		 i, n;

	if (!h->console_dirty)
		return;
	h->console_dirty = 0;
	for (i = 0; i < h->nsubs; i++) {
		s = &h->subs[i];
		while (s->npend > 0 || s->dropped > 0) {
			part = json_new_array();
			for (n = 0; n < HUBP_CONSOLE_MAX_LINES &&
			    (it = cJSON_DetachItemFromArray(s->lines, 0)) !=
			    NULL; n++)
				cJSON_AddItemToArray(part, it);
			s->npend -= n;
			if (h->up)
				hub_queue_locked(h, hubp_console(s->server,
				    part, s->dropped, 0));
			else
				cJSON_Delete(part);
			s->dropped = 0;
		}
	}
}

/*
 * Follows server's console for the hub: new lines go out in "console"
 * frames, after the latest tail of them (0: none) in a "tail" frame.
 */
static void
hub_subscribe(struct hub *h, const char *server, int64_t tail)
{
	struct console_line	*v = NULL;
	struct hub_sub		*s;
	cJSON			*lines;
	uint64_t		 skipped, next, id;
	ssize_t			 n, i;
	int			 added = 0;

	pthread_mutex_lock(&h->mu);
	if (hub_sub_find(h, server) == NULL) {
		if (h->nsubs >= HUB_MAX_SUBS) {
			pthread_mutex_unlock(&h->mu);
			log_warnx("hub: %d consoles already followed; not "
			    "following %s", HUB_MAX_SUBS, server);
			return;
		}
		h->subs = xreallocarray(h->subs, h->nsubs + 1,
		    sizeof(*h->subs));
		memset(&h->subs[h->nsubs], 0, sizeof(*h->subs));
		h->subs[h->nsubs++].server = xstrdup(server);
		added = 1;
	}
	pthread_mutex_unlock(&h->mu);
	if (added) {
		id = console_subscribe(h->console, server, hub_on_line, h);
		pthread_mutex_lock(&h->mu);
		if ((s = hub_sub_find(h, server)) != NULL)
			s->id = id;
		pthread_mutex_unlock(&h->mu);
		if (s == NULL)
			console_unsubscribe(h->console, id);
	}
	if (tail <= 0)
		return;
	if (tail > HUBP_TAIL_MAX)
		tail = HUBP_TAIL_MAX;
	lines = json_new_array();
	n = console_read(h->console, server, 0, (size_t)tail, &v, &skipped,
	    &next);
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(lines, hub_line(v[i].seq, v[i].text,
		    v[i].len));
	if (n > 0)
		console_lines_free(v, (size_t)n);
	hub_queue(h, hubp_console(server, lines, 0, 1));
}

/* Stops following server's console (NULL: every server's). */
static void
hub_unsubscribe(struct hub *h, const char *server)
{
	uint64_t	*ids;
	size_t		 i, n = 0;

	pthread_mutex_lock(&h->mu);
	ids = xreallocarray(NULL, h->nsubs + 1, sizeof(*ids));
	for (i = 0; i < h->nsubs; ) {
		if (server != NULL && strcmp(h->subs[i].server, server) != 0) {
			i++;
			continue;
		}
		ids[n++] = h->subs[i].id;
		free(h->subs[i].server);
		cJSON_Delete(h->subs[i].lines);
		h->subs[i] = h->subs[--h->nsubs];
	}
	pthread_mutex_unlock(&h->mu);
	for (i = 0; i < n; i++)
		if (ids[i] > 0)
			console_unsubscribe(h->console, ids[i]);
	free(ids);
}

/*
 * The answer's code for rc: conflict and denied say what ROOST_ECONFLICT
 * and ROOST_EDENIED mean to the request at hand.
 */
static const char *
hub_code(int rc, const char *conflict, const char *denied)
{
	switch (rc) {
	case 0:
		return HUBP_CODE_OK;
	case ROOST_EINVAL:
		return HUBP_CODE_INVALID;
	case ROOST_ENOTFOUND:
		return HUBP_CODE_NOT_FOUND;
	case ROOST_ECONFLICT:
		return conflict;
	case ROOST_EDENIED:
		return denied;
	default:
		return HUBP_CODE_FAILED;
	}
}

/* Types a console command for the hub and queues the answer. */
static void
hub_command(struct hub *h, const cJSON *o)
{
	struct console_result	 res;
	struct rerr		 err;
	const char		*id = json_str(o, "id", "");
	const char		*server = json_str(o, "server", NULL);
	const char		*user = json_str(o, "user", NULL);
	const char		*line = json_str(o, "line", NULL);
	int			 rc;

	memset(&res, 0, sizeof(res));
	rerr_init(&err);
	if (server == NULL || user == NULL || line == NULL)
		rc = rerr_set(&err, ROOST_EINVAL, "a command needs server, "
		    "user and line");
	else if (strncmp(user, "discord:", 8) != 0)
		rc = rerr_set(&err, ROOST_EINVAL, "a command's user must be "
		    "discord:ID");
	else
		rc = console_command(h->console, server, user, line, &res,
		    &err);
	hub_queue(h, hubp_command_result(id, hub_code(rc,
	    HUBP_CODE_NOT_RUNNING, HUBP_CODE_RATE_LIMITED),
	    rc == 0 ? NULL : err.msg, res.seq, res.retry_ms));
}

/* Runs a schedule now for the hub and queues the answer. */
static void
hub_schedule_run(struct hub *h, const cJSON *o)
{
	struct rerr	 err;
	const char	*id = json_str(o, "id", "");
	const char	*server = json_str(o, "server", NULL);
	const char	*sched = json_str(o, "schedule", NULL);
	const char	*user = json_str(o, "user", NULL);
	int		 rc;

	rerr_init(&err);
	if (server == NULL || sched == NULL || user == NULL)
		rc = rerr_set(&err, ROOST_EINVAL, "a schedule_run needs "
		    "server, schedule and user");
	else if (strncmp(user, "discord:", 8) != 0 ||
	    strlen(user) > 100)
		rc = rerr_set(&err, ROOST_EINVAL, "a schedule_run's user must "
		    "be discord:ID");
	else if (h->on_schedule_run == NULL)
		rc = rerr_set(&err, ROOST_ENOTFOUND, "this node runs no "
		    "schedules");
	else
		rc = h->on_schedule_run(h->arg, server, sched, user,
		    &err);
	hub_queue(h, hubp_command_result(id, hub_code(rc, HUBP_CODE_BUSY,
	    HUBP_CODE_FAILED), rc == 0 ? NULL : err.msg, 0, 0));
}

static void
hub_receive(struct hub *h, const char *text, size_t len)
{
	cJSON			*o;

	if ((o = json_parse_len(text, len)) == NULL) {
		log_warnx("hub: ignoring a frame that is not json");
		return;
	}
	switch (hubp_type(o)) {
	case HUBP_FETCH:
		if (h->on_fetch == NULL)
			break;
		pthread_mutex_lock(&h->mu);
		if (h->nfetch_ids < HUB_MAX_FETCHES) {
			h->fetch_ids = xreallocarray(h->fetch_ids,
			    h->nfetch_ids + 1, sizeof(char *));
			h->fetch_ids[h->nfetch_ids++] = xstrdup(json_str(o,
			    "id", ""));
			pthread_cond_signal(&h->fetch_cv);
		} else if (!h->fetch_warned) {
			h->fetch_warned = 1;
			log_warnx("hub: %d fetch requests already wait; "
			    "ignoring more until the fetch is done",
			    HUB_MAX_FETCHES);
		}
		pthread_mutex_unlock(&h->mu);
		break;
	case HUBP_RESYNC:
		pthread_mutex_lock(&h->mu);
		hub_queue_snapshot_locked(h);
		pthread_mutex_unlock(&h->mu);
		break;
	case HUBP_COMMAND:
		if (h->console != NULL)
			hub_command(h, o);
		break;
	case HUBP_SCHEDULE_RUN:
		hub_schedule_run(h, o);
		break;
	case HUBP_SUBSCRIBE:
		if (h->console != NULL && json_str(o, "server", NULL) != NULL)
			hub_subscribe(h, json_str(o, "server", ""),
			    json_int64(o, "lines", 0));
		break;
	case HUBP_UNSUBSCRIBE:
		if (h->console != NULL && json_str(o, "server", NULL) != NULL)
			hub_unsubscribe(h, json_str(o, "server", ""));
		break;
	default:
		break;
	}
	cJSON_Delete(o);
}

static int
hub_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct lws_context	*ctx = lws_get_context(wsi);
	struct hub		*h = lws_context_user(ctx);
	unsigned char		**p, *end;
	char			 auth[600], *text;
	int			 n;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		p = (unsigned char **)in;
		end = (*p) + len;
		snprintf(auth, sizeof(auth), "Bearer %s", h->token);
		if (lws_add_http_header_by_name(wsi,
		    (const unsigned char *)"authorization:",
		    (const unsigned char *)auth, (int)strlen(auth), p, end))
			return -1;
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		log_info("hub: connected to %s", h->url);
		h->up = 1;
		h->backoff_ms = HUB_BACKOFF_MIN_MS;
		buf_reset(&h->rx);
		pthread_mutex_lock(&h->mu);
		ws_queue_clear(&h->outq);
		hub_queue_snapshot_locked(h);
		pthread_mutex_unlock(&h->mu);
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		switch (ws_rx_add(&h->rx, wsi, in, len)) {
		case -1:
			log_warnx("hub: frame too large, reconnecting");
			return -1;
		case 1:
			hub_receive(h, buf_str(&h->rx), h->rx.len);
			buf_reset(&h->rx);
			break;
		}
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		pthread_mutex_lock(&h->mu);
		hub_flush_console_locked(h);
		text = ws_queue_pop(&h->outq);
		n = h->outq.n > 0;
		pthread_mutex_unlock(&h->mu);
		if (text == NULL)
			break;
		if (ws_write_text(wsi, text, 0) != 0) {
			free(text);
			return -1;
		}
		free(text);
		if (n)
			lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		log_warnx("hub: cannot connect to %s: %s", h->url,
		    in != NULL ? (const char *)in : "connection failed");
		h->wsi = NULL;
		h->up = 0;
		hub_retry(h);
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		log_warnx("hub: connection to %s closed", h->url);
		h->wsi = NULL;
		h->up = 0;
		/* the hub follows consoles again after it reconnects */
		if (h->console != NULL)
			hub_unsubscribe(h, NULL);
		hub_retry(h);
		break;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (h->wsi != NULL && h->up)
			lws_callback_on_writable(h->wsi);
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols hub_protocols[] = {
	{ HUBP_SUBPROTOCOL, hub_callback, 0, 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void
hub_connect(lws_sorted_usec_list_t *sul)
{
	struct hub	*h = lws_container_of(sul, struct hub, sul_connect);
	const char	*why;

	if (ws_connect(h->ctx, h->url, NULL, hub_protocols[0].name, &h->wsi,
	    &why) != 0) {
		if (strcmp(why, "cannot parse the url") == 0) {
			log_warnx("hub: cannot parse url '%s'", h->url);
			return;
		}
		hub_retry(h);
	}
}

/* On the loop's thread: connect now, heartbeat every 15 s. */
static void
hub_on_start(struct lws_context *ctx, void *arg)
{
	struct hub	*h = arg;

	h->ctx = ctx;
	lws_sul_schedule(ctx, 0, &h->sul_connect, hub_connect, 1);
	lws_sul_schedule(ctx, 0, &h->sul_heartbeat, hub_heartbeat,
	    (lws_usec_t)HUBP_HEARTBEAT_S * LWS_USEC_PER_SEC);
}

/* Starts the hub client. */
int
hub_start(struct hub **out, const struct hub_conf *conf, struct rerr *err)
{
	struct ws_loop_conf	 lc;
	struct hub		*h;
	struct buf		 b;
	pthread_t		 th;
	char			*nl;

	*out = NULL;
	buf_init(&b, 4096);
	if (util_read_file(conf->token_file, &b, err) != 0) {
		buf_dispose(&b);
		return -1;
	}
	h = xcalloc(1, sizeof(*h));
	h->token = buf_detach(&b);
	if ((nl = strpbrk(h->token, "\r\n")) != NULL)
		*nl = '\0';
	if (h->token[0] == '\0') {
		free(h->token);
		free(h);
		return rerr_set(err, -1, "hub token file '%s' is empty",
		    conf->token_file);
	}
	h->url = xstrdup(conf->url);
	h->node = xstrdup(conf->node);
	h->version = xstrdup(conf->version ? conf->version : "roost/0.1");
	h->on_fetch = conf->on_fetch;
	h->arg = conf->arg;
	h->console = conf->console;
	h->on_schedule_run = conf->on_schedule_run;
	h->backoff_ms = HUB_BACKOFF_MIN_MS;
	buf_init(&h->rx, HUBP_NODE_MAX_FRAME);
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->fetch_cv, NULL);
	h->refs = 1;

	if (conf->ca_file != NULL && access(conf->ca_file, R_OK) != 0) {
		rerr_errno(err, -1, "hub: cannot read the CA file '%s'",
		    conf->ca_file);
		goto fail;
	}
	if (strncmp(conf->url, "ws://", 5) == 0 &&
	    strncmp(conf->url + 5, "127.", 4) != 0 &&
	    strncmp(conf->url + 5, "localhost", 9) != 0 &&
	    strncmp(conf->url + 5, "[::1]", 5) != 0)
		log_warnx("hub: %s is not TLS: the node token and status "
		    "cross the network in cleartext; use wss://", conf->url);
	if (h->on_fetch != NULL) {
		if (pthread_create(&th, NULL, hub_fetch_thread, h) != 0) {
			rerr_errno(err, -1, "cannot start the fetch thread");
			goto fail;
		}
		h->refs++;
		pthread_detach(th);
	}
	memset(&lc, 0, sizeof(lc));
	lc.what = "hub";
	lc.protocols = hub_protocols;
	lc.user = h;
	lc.ca_file = conf->ca_file;	/* NULL: the system's CAs */
	lc.on_start = hub_on_start;
	if (ws_loop_start(&h->loop, &lc, err) != 0) {
		pthread_mutex_lock(&h->mu);
		h->stopped = 1;
		pthread_cond_broadcast(&h->fetch_cv);
		hub_unref_locked(h);
		return -1;
	}
	*out = h;
	return 0;
fail:
	hub_free(h);
	return -1;
}

/* Queues the servers whose status changed since the last publish. */
void
hub_publish(struct hub *h, const cJSON *status)
{
	const cJSON	*servers, *s, *node, *name, *rev;
	char		*json;
	size_t		 i;
	int		 found;

	if (h == NULL)
		return;
	node = cJSON_GetObjectItemCaseSensitive(status, "node");
	servers = cJSON_GetObjectItemCaseSensitive(status, "servers");
	pthread_mutex_lock(&h->mu);
	for (i = 0; i < h->nsrv; i++)
		h->srv[i].seen = 0;
	if (node != NULL) {
		json = json_print(node);
		if (h->node_json == NULL || strcmp(json, h->node_json) != 0) {
			free(h->node_json);
			h->node_json = json;
			if (h->up) {
				hub_queue_locked(h, hubp_node(json));
			}
		} else
			free(json);
		rev = cJSON_GetObjectItemCaseSensitive(node, "revision");
		free(h->revision);
		h->revision = cJSON_IsString(rev) ?
		    xstrdup(rev->valuestring) : NULL;
	}
	cJSON_ArrayForEach(s, servers) {
		name = cJSON_GetObjectItemCaseSensitive(s, "name");
		if (!cJSON_IsString(name))
			continue;
		json = json_print(s);
		found = 0;
		for (i = 0; i < h->nsrv; i++) {
			if (strcmp(h->srv[i].name, name->valuestring) != 0)
				continue;
			found = 1;
			h->srv[i].seen = 1;
			if (strcmp(h->srv[i].json, json) == 0) {
				free(json);
				json = NULL;
			} else {
				free(h->srv[i].json);
				h->srv[i].json = json;
			}
			break;
		}
		if (!found) {
			h->srv = xreallocarray(h->srv, h->nsrv + 1,
			    sizeof(*h->srv));
			h->srv[h->nsrv].name = xstrdup(name->valuestring);
			h->srv[h->nsrv].json = json;
			h->srv[h->nsrv].seen = 1;
			h->nsrv++;
		}
		if (json != NULL && h->up) {
			hub_queue_locked(h, hubp_server(json));
		}
	}
	for (i = 0; i < h->nsrv; ) {
		if (h->srv[i].seen) {
			i++;
			continue;
		}
		if (h->up)
			hub_queue_locked(h, hubp_server_removed(
			    h->srv[i].name));
		free(h->srv[i].name);
		free(h->srv[i].json);
		h->srv[i] = h->srv[--h->nsrv];
	}
	pthread_mutex_unlock(&h->mu);
	ws_loop_wake(h->loop);
}

/* Queues a progress line. */
void
hub_progress(struct hub *h, const char *server, const char *kind,
    const char *text)
{
	if (h == NULL || !h->up)
		return;
	hub_queue(h, hubp_progress(server, kind, text));
}

/* Answers a fetch request. */
void
hub_fetched(struct hub *h, const char *id, const char *result)
{
	if (h == NULL)
		return;
	hub_queue(h, hubp_fetched(id, result));
}

/* Sends an audit entry. */
void
hub_audit(struct hub *h, const char *entry)
{
	if (h == NULL || !h->up || entry == NULL)
		return;
	hub_queue(h, hubp_audit(entry));
}

/* True while connected. */
int
hub_connected(struct hub *h)
{
	return h != NULL && h->up;
}

/* Stops the client. */
void
hub_stop(struct hub *h)
{
	struct ws_loop	*loop;

	if (h == NULL)
		return;
	if (h->console != NULL)
		hub_unsubscribe(h, NULL);
	pthread_mutex_lock(&h->mu);
	h->stopped = 1;
	pthread_cond_broadcast(&h->fetch_cv);
	loop = h->loop;
	pthread_mutex_unlock(&h->mu);
	/* a fetch in progress may outlive the loop; it answers no one */
	ws_loop_stop(loop);
	pthread_mutex_lock(&h->mu);
	h->loop = NULL;
	hub_unref_locked(h);
}
