/*
 * rest: Discord REST calls with rate limits (see rest.h). The HTTP work is
 * lib/http.c's; this file adds the headers Discord requires, the bucket
 * bookkeeping of ratelimit.c, and the waits and retries it asks for.
 * Interaction callbacks (first responses) go first: they have connections
 * of their own, and every other call waits, for a bounded time, while
 * first responses are on their way.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "http.h"
#include "json.h"
#include "log.h"
#include "rerr.h"
#include "util.h"
#include "xmalloc.h"

#include "bot.h"
#include "live.h"
#include "ratelimit.h"
#include "rest.h"

#define REST_MAX_RETRIES	5
#define REST_MAX_WAIT_MS	60000
#define REST_YIELD_MS		200	/* the longest a call waits for acks */

struct rest_conn {
	struct http		*http;
	struct rest_conn	*next;
};

struct rest {
	char			*base;
	char			*auth;
	pthread_mutex_t		 mu;
	pthread_cond_t		 acks_cv;	/* acks_pending fell to 0 */
	int			 acks_pending;
	struct ratelimit	*rl;
	struct rest_conn	*pool;
	struct rest_conn	*ack_pool;	/* interaction callbacks' */
};

/* Makes a client. */
struct rest *
rest_new(const char *base, const char *token)
{
	struct rest		*r;
	pthread_condattr_t	 ca;
	size_t			 n;

	r = xcalloc(1, sizeof(*r));
	r->base = xstrdup(base);
	n = strlen(r->base);
	while (n > 0 && r->base[n - 1] == '/')
		r->base[--n] = '\0';
	xasprintf(&r->auth, "Authorization: Bot %s", token);
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->acks_cv, &ca);
	pthread_condattr_destroy(&ca);
	r->rl = rl_new();
	return r;
}

static void
pool_free(struct rest_conn *c)
{
	struct rest_conn	*next;

	for (; c != NULL; c = next) {
		next = c->next;
		http_free(c->http);
		free(c);
	}
}

/* Frees a client. */
void
rest_free(struct rest *r)
{
	if (r == NULL)
		return;
	pool_free(r->pool);
	pool_free(r->ack_pool);
	rl_free(r->rl);
	explicit_bzero(r->auth, strlen(r->auth));
	free(r->auth);
	free(r->base);
	pthread_cond_destroy(&r->acks_cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

static struct rest_conn *
conn_get(struct rest *r, int ack)
{
	struct rest_conn	**pool = ack ? &r->ack_pool : &r->pool, *c;

	pthread_mutex_lock(&r->mu);
	if ((c = *pool) != NULL)
		*pool = c->next;
	pthread_mutex_unlock(&r->mu);
	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		c->http = http_new(NULL);
	}
	return c;
}

static void
conn_put(struct rest *r, struct rest_conn *c, int ack)
{
	struct rest_conn	**pool = ack ? &r->ack_pool : &r->pool;

	pthread_mutex_lock(&r->mu);
	c->next = *pool;
	*pool = c;
	pthread_mutex_unlock(&r->mu);
}

/* Counts first responses on their way; see rest.h. */
void
rest_acks_pending(struct rest *r, int delta)
{
	pthread_mutex_lock(&r->mu);
	r->acks_pending += delta;
	if (r->acks_pending <= 0) {
		r->acks_pending = 0;
		pthread_cond_broadcast(&r->acks_cv);
	}
	pthread_mutex_unlock(&r->mu);
}

/*
 * Lets the first responses on their way go before a call that is not one,
 * for at most REST_YIELD_MS.
 */
static void
yield_to_acks(struct rest *r)
{
	struct timespec	ts;

	util_deadline(&ts, CLOCK_MONOTONIC, REST_YIELD_MS);
	pthread_mutex_lock(&r->mu);
	while (r->acks_pending > 0)
		if (pthread_cond_timedwait(&r->acks_cv, &r->mu, &ts) != 0)
			break;
	pthread_mutex_unlock(&r->mu);
}

/* Frees a reply. */
void
rest_reply_dispose(struct rest_reply *rep)
{
	cJSON_Delete(rep->json);
	memset(rep, 0, sizeof(*rep));
}

static void
sleep_ms(int64_t ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	nanosleep(&ts, NULL);
}

/* Sends a request; see rest.h. */
int
rest_call(struct rest *r, const char *method, const char *path,
    const cJSON *body, struct rest_reply *out, struct rerr *err)
{
	const char		*hdrs[5];
	char			 key[512], *url, *text = NULL;
	struct http_request	 req;
	struct http_response	 resp;
	struct rest_conn	*c;
	struct rl_headers	 h;
	struct rerr		 herr;
	const cJSON		*v;
	int64_t			 wait, waited = 0;
	int			 ack, exempt, rc, n = 0;

	memset(out, 0, sizeof(*out));
	ack = strcmp(method, "POST") == 0 &&
	    strncmp(path, "/interactions/", 14) == 0;
	rl_route_key(method, path, key, sizeof(key), &exempt);
	xasprintf(&url, "%s%s", r->base, path);
	if (body != NULL)
		text = json_print(body);
	hdrs[n++] = r->auth;
	hdrs[n++] = "User-Agent: DiscordBot (" BOT_URL ", " BOT_VERSION ")";
	if (body != NULL)
		hdrs[n++] = "Content-Type: application/json";
	hdrs[n] = NULL;
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.headers = hdrs;
	req.body = text;
	req.body_len = text != NULL ? strlen(text) : 0;
	req.timeout_ms = 15000;
	req.max_response = 8 << 20;
	if (!ack)
		yield_to_acks(r);
	c = conn_get(r, ack);
	for (;;) {
		pthread_mutex_lock(&r->mu);
		wait = rl_acquire(r->rl, key, exempt, live_now_ms());
		pthread_mutex_unlock(&r->mu);
		if (wait > 0) {
			if (waited > REST_MAX_WAIT_MS) {
				rc = rerr_set(err, ROOST_ETIMEDOUT, "%s %s: rate "
				    "limited for over a minute", method, path);
				break;
			}
			sleep_ms(wait);
			waited += wait;
			continue;
		}
		http_response_init(&resp);
		rerr_init(&herr);
		rc = http_do(c->http, &req, &resp, &herr);
		memset(&h, 0, sizeof(h));
		h.body_retry_after = -1;
		if (rc == 0) {
			h.bucket = http_response_header(&resp,
			    "X-RateLimit-Bucket");
			h.limit = http_response_header(&resp,
			    "X-RateLimit-Limit");
			h.remaining = http_response_header(&resp,
			    "X-RateLimit-Remaining");
			h.reset_after = http_response_header(&resp,
			    "X-RateLimit-Reset-After");
			h.global = http_response_header(&resp,
			    "X-RateLimit-Global");
			h.retry_after = http_response_header(&resp,
			    "Retry-After");
			cJSON_Delete(out->json);
			out->json = resp.body.len > 0 ?
			    json_parse_len(buf_str(&resp.body),
			    resp.body.len) : NULL;
			if (resp.status == 429 && out->json != NULL) {
				v = cJSON_GetObjectItem(out->json,
				    "retry_after");
				if (cJSON_IsNumber(v))
					h.body_retry_after = v->valuedouble;
				v = cJSON_GetObjectItem(out->json, "global");
				h.body_global = cJSON_IsTrue(v);
			}
		}
		pthread_mutex_lock(&r->mu);
		wait = rl_update(r->rl, key, rc == 0 ? (int)resp.status : 0,
		    &h, live_now_ms());
		pthread_mutex_unlock(&r->mu);
		out->status = rc == 0 ? resp.status : 0;
		http_response_dispose(&resp);
		if (rc != 0) {
			rc = rerr_set(err, -1, "%s %s: %s", method, path,
			    herr.msg);
			break;
		}
		if (out->status == 429 && out->retries < REST_MAX_RETRIES) {
			out->retries++;
			log_info("rest: %s %s rate limited, retrying in %lld "
			    "ms", method, path, (long long)wait);
			sleep_ms(wait);
			continue;
		}
		break;
	}
	conn_put(r, c, ack);
	if (rc == 0 && (out->status < 200 || out->status > 299)) {
		const char *msg = json_str(out->json, "message", "");

		out->code = (int)json_int64(out->json, "code", 0);
		rc = out->status == 404 ? ROOST_ENOTFOUND :
		    out->status == 401 || out->status == 403 ? ROOST_EDENIED :
		    -1;
		rerr_set(err, rc, "%s %s: HTTP %ld: %s (code %d)", method,
		    path, out->status, msg, out->code);
	}
	free(text);
	free(url);
	return rc;
}

/* Posts or edits a channel message; see rest.h. */
int
rest_channel_message(struct rest *r, const char *channel, char **message_id,
    const cJSON *msg, struct rerr *err)
{
	struct rest_reply	 rep;
	char			*path;
	int			 rc;

	if (*message_id != NULL)
		xasprintf(&path, "/channels/%s/messages/%s", channel,
		    *message_id);
	else
		xasprintf(&path, "/channels/%s/messages", channel);
	rc = rest_call(r, *message_id != NULL ? "PATCH" : "POST", path, msg,
	    &rep, err);
	if (rc == 0 && *message_id == NULL &&
	    json_str(rep.json, "id", NULL) != NULL)
		*message_id = xstrdup(json_str(rep.json, "id", ""));
	rest_reply_dispose(&rep);
	free(path);
	return rc;
}
