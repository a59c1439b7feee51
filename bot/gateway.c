/*
 * gateway: the Discord gateway v10 client (see gateway.h), on lib/ws.c's
 * loop. Everything that touches the socket runs in the loop's thread:
 * frames are written only from LWS_CALLBACK_CLIENT_WRITEABLE, timers are
 * lws sul callbacks.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <libwebsockets.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "rerr.h"
#include "ws.h"
#include "xmalloc.h"

#include "gateway.h"
#include "live.h"

#define GW_MAX_FRAME		(8 << 20)
#define GW_OUTQ			8
#define GW_BACKOFF_MIN_MS	250
#define GW_BACKOFF_MAX_MS	30000

/* The gateway's opcodes, as Discord numbers them (docs/bot.md, "Gateway"). */
enum gw_op {
	GW_OP_DISPATCH = 0,
	GW_OP_HEARTBEAT = 1,
	GW_OP_IDENTIFY = 2,
	GW_OP_RESUME = 6,
	GW_OP_RECONNECT = 7,
	GW_OP_INVALID_SESSION = 9,
	GW_OP_HELLO = 10,
	GW_OP_HEARTBEAT_ACK = 11
};

struct gw {
	char			*url;
	char			*resume_url;
	char			*session_id;
	char			*token;
	int			 intents;
	void			(*on_dispatch)(void *, const char *, int64_t,
				    const cJSON *, double);
	void			(*on_fatal)(void *, int, const char *);
	void			*arg;

	struct ws_loop		*loop;
	struct lws_context	*ctx;		/* the loop's */
	struct lws		*wsi;
	volatile int		 stop;
	int			 dead;		/* fatal close seen */

	int64_t			 seq;		/* last non-null s; 0: none */
	int			 interval_ms;
	int			 hello;
	int			 acked;
	int			 peer_close;	/* close code the server sent */
	int			 close_code;	/* close we want to send */
	int64_t			 next_delay_ms;	/* -1: use the backoff */
	int64_t			 backoff_ms;
	struct ws_queue		 outq;		/* at most GW_OUTQ */
	int64_t			 sends[GW_SEND_LIMIT];
	int			 spos;
	struct buf		 rx;
	double			 rx_ms;		/* when rx's frame began */
	lws_sorted_usec_list_t	 sul_hb;
	lws_sorted_usec_list_t	 sul_connect;
	lws_sorted_usec_list_t	 sul_send;
	struct gw_stats		 stats;
};

static void	gw_connect(lws_sorted_usec_list_t *);

static uint32_t
gw_random(void)
{
	uint32_t	r;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)random();
	return r;
}

/* The pure send limiter; see gateway.h. */
int64_t
gw_send_slot(int64_t *times, int *pos, int64_t now)
{
	int64_t	oldest = times[*pos];

	if (oldest != 0 && now - oldest < GW_SEND_WINDOW * 1000)
		return GW_SEND_WINDOW * 1000 - (now - oldest);
	times[*pos] = now ? now : 1;
	*pos = (*pos + 1) % GW_SEND_LIMIT;
	return 0;
}

/* Queues a frame (owned); heartbeats go first. */
static void
gw_queue(struct gw *gw, char *text, int urgent)
{
	if (gw->outq.n == GW_OUTQ) {
		log_warnx("gateway: send queue full, dropping a frame");
		explicit_bzero(text, strlen(text));
		free(text);
		return;
	}
	ws_queue_push(&gw->outq, text, urgent);
	if (gw->wsi != NULL)
		lws_callback_on_writable(gw->wsi);
}

static void
gw_clear_queue(struct gw *gw)
{
	ws_queue_clear(&gw->outq);
}

static void
gw_send_heartbeat(struct gw *gw)
{
	char	*t;

	if (gw->seq > 0)
		xasprintf(&t, "{\"op\":%d,\"d\":%lld}", GW_OP_HEARTBEAT,
		    (long long)gw->seq);
	else
		xasprintf(&t, "{\"op\":%d,\"d\":null}", GW_OP_HEARTBEAT);
	gw->stats.heartbeats++;
	gw_queue(gw, t, 1);
}

/* Asks the service loop to close the connection with code. */
static void
gw_close(struct gw *gw, int code)
{
	if (gw->wsi == NULL)
		return;
	gw->close_code = code;
	lws_callback_on_writable(gw->wsi);
}

static void
gw_forget_session(struct gw *gw)
{
	free(gw->session_id);
	gw->session_id = NULL;
	free(gw->resume_url);
	gw->resume_url = NULL;
	gw->seq = 0;
}

static void
gw_heartbeat(lws_sorted_usec_list_t *sul)
{
	struct gw	*gw = lws_container_of(sul, struct gw, sul_hb);

	if (gw->wsi == NULL || !gw->hello)
		return;
	if (!gw->acked) {
		log_warnx("gateway: no heartbeat ACK; reconnecting");
		gw_close(gw, 4000);
		return;
	}
	gw->acked = 0;
	gw_send_heartbeat(gw);
	lws_sul_schedule(gw->ctx, 0, &gw->sul_hb, gw_heartbeat,
	    (lws_usec_t)gw->interval_ms * LWS_US_PER_MS);
}

static void
gw_identify(struct gw *gw)
{
	cJSON	*o, *d, *p;

	o = json_new_object();
	json_add_num(o, "op", gw->session_id != NULL ? GW_OP_RESUME :
	    GW_OP_IDENTIFY);
	d = json_add_object(o, "d");
	json_add_str(d, "token", gw->token);
	if (gw->session_id != NULL) {
		json_add_str(d, "session_id", gw->session_id);
		json_add_num(d, "seq", (double)gw->seq);
		gw->stats.resumes++;
		log_info("gateway: resuming session at seq %lld",
		    (long long)gw->seq);
	} else {
		json_add_num(d, "intents", gw->intents);
		p = json_add_object(d, "properties");
		json_add_str(p, "os", "linux");
		json_add_str(p, "browser", "roost");
		json_add_str(p, "device", "roost");
		gw->stats.identifies++;
		log_info("gateway: identifying");
	}
	gw_queue(gw, json_print(o), 0);
	cJSON_Delete(o);
}

static void
gw_receive(struct gw *gw, const char *text, size_t len)
{
	cJSON		*o;
	const cJSON	*d, *s;
	const char	*t;
	int		 op;

	if ((o = json_parse_len(text, len)) == NULL) {
		log_warnx("gateway: ignoring a frame that is not JSON");
		return;
	}
	op = (int)json_int64(o, "op", -1);
	d = cJSON_GetObjectItemCaseSensitive(o, "d");
	switch (op) {
	case GW_OP_HELLO:
		gw->interval_ms = (int)json_int64(d, "heartbeat_interval",
		    41250);
		if (gw->interval_ms < 100)
			gw->interval_ms = 100;
		gw->hello = 1;
		gw->acked = 1;
		/* the first beat waits interval * jitter, jitter in [0,1) */
		lws_sul_schedule(gw->ctx, 0, &gw->sul_hb, gw_heartbeat,
		    (lws_usec_t)((double)gw->interval_ms * (gw_random() /
		    4294967296.0) * LWS_US_PER_MS));
		gw_identify(gw);
		break;
	case GW_OP_HEARTBEAT_ACK:
		gw->acked = 1;
		break;
	case GW_OP_HEARTBEAT:
		gw_send_heartbeat(gw);
		break;
	case GW_OP_RECONNECT:
		log_info("gateway: asked to reconnect");
		gw->next_delay_ms = 0;
		gw_close(gw, 4000);
		break;
	case GW_OP_INVALID_SESSION:
		if (cJSON_IsTrue(d)) {
			log_info("gateway: session invalid, resumable");
			gw->next_delay_ms = 0;
		} else {
			log_info("gateway: session invalid; identifying anew");
			gw_forget_session(gw);
			gw->next_delay_ms = 1000 + gw_random() % 4000;
		}
		gw_close(gw, 4000);
		break;
	case GW_OP_DISPATCH:
		s = cJSON_GetObjectItemCaseSensitive(o, "s");
		t = json_str(o, "t", "");
		if (cJSON_IsNumber(s) && (int64_t)s->valuedouble > gw->seq)
			gw->seq = (int64_t)s->valuedouble;
		gw->stats.seq = gw->seq;
		if (strcmp(t, "READY") == 0) {
			free(gw->session_id);
			gw->session_id = xstrdup(json_str(d, "session_id",
			    ""));
			free(gw->resume_url);
			gw->resume_url = json_str(d, "resume_gateway_url",
			    NULL) ? xstrdup(json_str(d, "resume_gateway_url",
			    NULL)) : NULL;
			gw->backoff_ms = GW_BACKOFF_MIN_MS;
			log_info("gateway: ready, session %s",
			    gw->session_id);
		} else if (strcmp(t, "RESUMED") == 0) {
			gw->backoff_ms = GW_BACKOFF_MIN_MS;
			log_info("gateway: resumed at seq %lld",
			    (long long)gw->seq);
		}
		if (gw->on_dispatch != NULL)
			gw->on_dispatch(gw->arg, t, cJSON_IsNumber(s) ?
			    (int64_t)s->valuedouble : 0, d, gw->rx_ms);
		break;
	default:
		break;
	}
	cJSON_Delete(o);
}

static void
gw_send_later(lws_sorted_usec_list_t *sul)
{
	struct gw	*gw = lws_container_of(sul, struct gw, sul_send);

	if (gw->wsi != NULL)
		lws_callback_on_writable(gw->wsi);
}

static int
gw_writeable(struct gw *gw, struct lws *wsi)
{
	char		*text;
	int64_t		 wait;
	int		 n;

	if (gw->close_code != 0) {
		lws_close_reason(wsi, (enum lws_close_status)gw->close_code,
		    NULL, 0);
		return -1;
	}
	if (gw->outq.n == 0)
		return 0;
	if ((wait = gw_send_slot(gw->sends, &gw->spos, live_now_ms())) > 0) {
		log_warnx("gateway: send limit reached, waiting %lld ms",
		    (long long)wait);
		lws_sul_schedule(gw->ctx, 0, &gw->sul_send, gw_send_later,
		    (lws_usec_t)wait * LWS_US_PER_MS);
		return 0;
	}
	text = ws_queue_pop(&gw->outq);
	n = ws_write_text(wsi, text, 1);
	free(text);
	if (n != 0)
		return -1;
	if (gw->outq.n > 0)
		lws_callback_on_writable(wsi);
	return 0;
}

static int
gw_fatal_code(int code)
{
	return code == 4004 || (code >= 4010 && code <= 4014);
}

static void
gw_closed(struct gw *gw, const char *why)
{
	int64_t	delay;
	int	code = gw->peer_close;

	gw->wsi = NULL;
	gw->hello = 0;
	lws_sul_cancel(&gw->sul_hb);
	lws_sul_cancel(&gw->sul_send);
	gw_clear_queue(gw);
	if (gw->stop)
		return;
	if (gw_fatal_code(code)) {
		log_warnx("gateway: closed with %d (%s); not reconnecting",
		    code, why);
		gw->dead = 1;
		if (gw->on_fatal != NULL)
			gw->on_fatal(gw->arg, code, why);
		return;
	}
	if (code == 4007 || code == 4009) {
		log_info("gateway: closed with %d; starting a new session",
		    code);
		gw_forget_session(gw);
	}
	if (gw->next_delay_ms >= 0)
		delay = gw->next_delay_ms;
	else {
		delay = gw->backoff_ms / 2 + gw_random() %
		    (gw->backoff_ms / 2 + 1);
		gw->backoff_ms = gw->backoff_ms * 2 > GW_BACKOFF_MAX_MS ?
		    GW_BACKOFF_MAX_MS : gw->backoff_ms * 2;
	}
	gw->next_delay_ms = -1;
	log_info("gateway: connection closed (%s, code %d); reconnecting in "
	    "%lld ms", why, code, (long long)delay);
	lws_sul_schedule(gw->ctx, 0, &gw->sul_connect, gw_connect,
	    (lws_usec_t)(delay > 0 ? delay : 1) * LWS_US_PER_MS);
}

static int
gw_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct gw	*gw = lws_context_user(lws_get_context(wsi));
	unsigned char	*p = in;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		gw->stats.connects++;
		log_debug("gateway: connected");
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (gw->rx.len == 0)
			gw->rx_ms = live_now_msf();
		switch (ws_rx_add(&gw->rx, wsi, in, len)) {
		case -1:
			log_warnx("gateway: frame over %d bytes; reconnecting",
			    GW_MAX_FRAME);
			buf_reset(&gw->rx);
			gw->close_code = 4000;
			return -1;
		case 1:
			gw_receive(gw, buf_str(&gw->rx), gw->rx.len);
			buf_reset(&gw->rx);
			break;
		}
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return gw_writeable(gw, wsi);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2)
			gw->peer_close = (p[0] << 8) | p[1];
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		gw_closed(gw, in != NULL ? (const char *)in :
		    "connection failed");
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		gw_closed(gw, "closed");
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols gw_protocols[] = {
	{ "roost-gateway", gw_callback, 0, 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void
gw_connect(lws_sorted_usec_list_t *sul)
{
	struct gw			*gw = lws_container_of(sul, struct gw,
					    sul_connect);
	const char			*base, *why;

	if (gw->stop || gw->dead)
		return;
	base = gw->session_id != NULL && gw->resume_url != NULL ?
	    gw->resume_url : gw->url;
	gw->peer_close = 0;
	gw->close_code = 0;
	gw->hello = 0;
	gw->acked = 1;
	memset(gw->sends, 0, sizeof(gw->sends));
	gw->spos = 0;
	buf_reset(&gw->rx);
	log_debug("gateway: connecting to %s", base);
	if (ws_connect(gw->ctx, base, "v=10&encoding=json", NULL, &gw->wsi,
	    &why) != 0) {
		if (strcmp(why, "cannot parse the url") == 0) {
			log_warnx("gateway: cannot parse url '%s'", base);
			return;
		}
		gw_closed(gw, "cannot connect");
	}
}

/* On the loop's thread: the first connection. */
static void
gw_on_start(struct lws_context *ctx, void *arg)
{
	struct gw	*gw = arg;

	gw->ctx = ctx;
	lws_sul_schedule(ctx, 0, &gw->sul_connect, gw_connect, 1);
}

/* Starts the gateway thread. */
int
gw_start(struct gw **out, const struct gw_conf *conf, struct rerr *err)
{
	struct ws_loop_conf	 lc;
	struct gw		*gw;

	*out = NULL;
	gw = xcalloc(1, sizeof(*gw));
	gw->url = xstrdup(conf->url);
	gw->token = xstrdup(conf->token);
	gw->intents = conf->intents;
	gw->on_dispatch = conf->on_dispatch;
	gw->on_fatal = conf->on_fatal;
	gw->arg = conf->arg;
	gw->backoff_ms = GW_BACKOFF_MIN_MS;
	gw->next_delay_ms = -1;
	buf_init(&gw->rx, GW_MAX_FRAME);
	gw->outq.secret = 1;		/* identify carries the token */

	memset(&lc, 0, sizeof(lc));
	lc.what = "gateway";
	lc.protocols = gw_protocols;
	lc.user = gw;
	lc.log_level = LLL_ERR | LLL_WARN;
	lc.on_start = gw_on_start;
	if (ws_loop_start(&gw->loop, &lc, err) != 0)
		goto fail;
	*out = gw;
	return 0;
fail:
	buf_dispose(&gw->rx);
	free(gw->url);
	free(gw->token);
	free(gw);
	return -1;
}

/* Stops the gateway and frees it. */
void
gw_stop(struct gw *gw)
{
	if (gw == NULL)
		return;
	gw->stop = 1;
	ws_loop_stop(gw->loop);
	gw_clear_queue(gw);
	buf_dispose(&gw->rx);
	gw_forget_session(gw);
	explicit_bzero(gw->token, strlen(gw->token));
	free(gw->token);
	free(gw->url);
	free(gw);
}

/* Copies the counters. */
void
gw_get_stats(struct gw *gw, struct gw_stats *out)
{
	*out = gw->stats;
}
