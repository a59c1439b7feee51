/*
 * hub: the node side of the hub protocol on libwebsockets. The lws
 * context lives in the hub thread; other threads queue frames under a
 * mutex and wake the thread with lws_cancel_service.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <libwebsockets.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "rerr.h"
#include "util.h"
#include "xmalloc.h"

#include "hub.h"

#define HUB_HEARTBEAT_US	(15 * LWS_USEC_PER_SEC)
#define HUB_BACKOFF_MIN_MS	1000
#define HUB_BACKOFF_MAX_MS	60000
#define HUB_MAX_FRAME		(4 * 1024 * 1024)

struct hub_frame {
	char			*text;
	size_t			 len;
	struct hub_frame	*next;
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
	void			(*on_fetch)(void *, const char *);
	void			*arg;

	pthread_t		 thread;
	struct lws_context	*ctx;
	struct lws		*wsi;
	int			 stop;
	int			 up;
	uint64_t		 backoff_ms;
	lws_sorted_usec_list_t	 sul_heartbeat;
	lws_sorted_usec_list_t	 sul_connect;
	struct buf		 rx;

	pthread_mutex_t		 mu;
	struct hub_frame	*head, *tail;
	char			*node_json;	/* latest node object */
	char			*revision;
	struct hub_srv		*srv;
	size_t			 nsrv;
};

static void	hub_connect(lws_sorted_usec_list_t *);

/* Appends a frame to the queue; takes ownership of text. Locked. */
static void
hub_queue_locked(struct hub *h, char *text)
{
	struct hub_frame	*f;

	f = xcalloc(1, sizeof(*f));
	f->text = text;
	f->len = strlen(text);
	if (h->tail != NULL)
		h->tail->next = f;
	else
		h->head = f;
	h->tail = f;
}

static void
hub_queue(struct hub *h, char *text)
{
	pthread_mutex_lock(&h->mu);
	hub_queue_locked(h, text);
	pthread_mutex_unlock(&h->mu);
	if (h->ctx != NULL)
		lws_cancel_service(h->ctx);
}

/* Queues hello and a full snapshot. Locked. */
static void
hub_queue_snapshot_locked(struct hub *h)
{
	cJSON	*o, *servers, *s;
	size_t	 i;

	o = json_new_object();
	cJSON_AddStringToObject(o, "type", "hello");
	cJSON_AddStringToObject(o, "node", h->node);
	cJSON_AddStringToObject(o, "version", h->version);
	if (h->revision != NULL)
		cJSON_AddStringToObject(o, "revision", h->revision);
	else
		cJSON_AddNullToObject(o, "revision");
	hub_queue_locked(h, json_print(o));
	cJSON_Delete(o);

	o = json_new_object();
	cJSON_AddStringToObject(o, "type", "snapshot");
	cJSON_AddItemToObject(o, "node", h->node_json != NULL ?
	    json_parse_str(h->node_json) : json_new_null());
	servers = cJSON_AddArrayToObject(o, "servers");
	for (i = 0; i < h->nsrv; i++)
		if ((s = json_parse_str(h->srv[i].json)) != NULL)
			cJSON_AddItemToArray(servers, s);
	hub_queue_locked(h, json_print(o));
	cJSON_Delete(o);
}

static void
hub_free_queue_locked(struct hub *h)
{
	struct hub_frame	*f, *next;

	for (f = h->head; f != NULL; f = next) {
		next = f->next;
		free(f->text);
		free(f);
	}
	h->head = h->tail = NULL;
}

static void
hub_heartbeat(lws_sorted_usec_list_t *sul)
{
	struct hub	*h = lws_container_of(sul, struct hub, sul_heartbeat);
	char		 now[32], *text;

	if (h->up) {
		util_now_rfc3339(now, sizeof(now));
		xasprintf(&text, "{\"type\":\"heartbeat\",\"time\":\"%s\"}",
		    now);
		pthread_mutex_lock(&h->mu);
		hub_queue_locked(h, text);
		pthread_mutex_unlock(&h->mu);
		if (h->wsi != NULL)
			lws_callback_on_writable(h->wsi);
	}
	lws_sul_schedule(h->ctx, 0, &h->sul_heartbeat, hub_heartbeat,
	    HUB_HEARTBEAT_US);
}

static void
hub_retry(struct hub *h)
{
	uint64_t	ms = h->backoff_ms, jitter;

	if (h->stop)
		return;
	jitter = ms / 5;
	ms = ms - jitter + (uint64_t)(random() % (long)(2 * jitter + 1));
	h->backoff_ms = h->backoff_ms * 2 > HUB_BACKOFF_MAX_MS ?
	    HUB_BACKOFF_MAX_MS : h->backoff_ms * 2;
	lws_sul_schedule(h->ctx, 0, &h->sul_connect, hub_connect,
	    (lws_usec_t)ms * LWS_US_PER_MS);
}

struct hub_fetch_job {
	struct hub	*h;
	char		*id;
};

static void *
hub_fetch_thread(void *arg)
{
	struct hub_fetch_job	*j = arg;

	j->h->on_fetch(j->h->arg, j->id);
	free(j->id);
	free(j);
	return NULL;
}

static void
hub_receive(struct hub *h, const char *text)
{
	cJSON			*o, *t, *id;
	struct hub_fetch_job	*j;
	pthread_t		 th;

	if ((o = json_parse_str(text)) == NULL) {
		log_warnx("hub: ignoring a frame that is not json");
		return;
	}
	t = cJSON_GetObjectItemCaseSensitive(o, "type");
	if (cJSON_IsString(t) && strcmp(t->valuestring, "fetch") == 0 &&
	    h->on_fetch != NULL) {
		id = cJSON_GetObjectItemCaseSensitive(o, "id");
		j = xcalloc(1, sizeof(*j));
		j->h = h;
		j->id = xstrdup(cJSON_IsString(id) ? id->valuestring : "");
		if (pthread_create(&th, NULL, hub_fetch_thread, j) == 0)
			pthread_detach(th);
		else {
			free(j->id);
			free(j);
		}
	} else if (cJSON_IsString(t) && strcmp(t->valuestring, "resync") ==
	    0) {
		pthread_mutex_lock(&h->mu);
		hub_queue_snapshot_locked(h);
		pthread_mutex_unlock(&h->mu);
	}
	cJSON_Delete(o);
}

static int
hub_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct lws_context	*ctx = lws_get_context(wsi);
	struct hub		*h = lws_context_user(ctx);
	struct hub_frame	*f;
	unsigned char		**p, *end, *frame;
	char			 auth[600];
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
		hub_free_queue_locked(h);
		hub_queue_snapshot_locked(h);
		pthread_mutex_unlock(&h->mu);
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (buf_add(&h->rx, in, len) == -1) {
			log_warnx("hub: frame too large, reconnecting");
			return -1;
		}
		if (lws_is_final_fragment(wsi)) {
			hub_receive(h, buf_str(&h->rx));
			buf_reset(&h->rx);
		}
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		pthread_mutex_lock(&h->mu);
		f = h->head;
		if (f != NULL) {
			h->head = f->next;
			if (h->head == NULL)
				h->tail = NULL;
		}
		pthread_mutex_unlock(&h->mu);
		if (f == NULL)
			break;
		frame = xmalloc(LWS_PRE + f->len);
		memcpy(frame + LWS_PRE, f->text, f->len);
		n = lws_write(wsi, frame + LWS_PRE, f->len, LWS_WRITE_TEXT);
		free(frame);
		free(f->text);
		free(f);
		if (n < 0)
			return -1;
		pthread_mutex_lock(&h->mu);
		n = h->head != NULL;
		pthread_mutex_unlock(&h->mu);
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
	{ "roost-hub.v1", hub_callback, 0, 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void
hub_connect(lws_sorted_usec_list_t *sul)
{
	struct hub			*h = lws_container_of(sul, struct hub,
					    sul_connect);
	struct lws_client_connect_info	 ci;
	const char			*prot, *ads, *path;
	char				*copy, pathbuf[1024];
	int				 port;

	copy = xstrdup(h->url);
	if (lws_parse_uri(copy, &prot, &ads, &port, &path) != 0) {
		log_warnx("hub: cannot parse url '%s'", h->url);
		free(copy);
		return;
	}
	snprintf(pathbuf, sizeof(pathbuf), "/%s", path);
	memset(&ci, 0, sizeof(ci));
	ci.context = h->ctx;
	ci.address = ads;
	ci.port = port;
	ci.path = pathbuf;
	ci.host = ads;
	ci.origin = ads;
	ci.protocol = hub_protocols[0].name;
	ci.ssl_connection = strcmp(prot, "wss") == 0 ||
	    strcmp(prot, "https") == 0 ? LCCSCF_USE_SSL : 0;
	ci.pwsi = &h->wsi;
	if (lws_client_connect_via_info(&ci) == NULL) {
		h->wsi = NULL;
		hub_retry(h);
	}
	free(copy);
}

static void *
hub_main(void *arg)
{
	struct hub			*h = arg;

	lws_sul_schedule(h->ctx, 0, &h->sul_connect, hub_connect, 1);
	lws_sul_schedule(h->ctx, 0, &h->sul_heartbeat, hub_heartbeat,
	    HUB_HEARTBEAT_US);
	while (!h->stop)
		if (lws_service(h->ctx, 0) < 0)
			break;
	return NULL;
}

/* Starts the hub client. */
int
hub_start(struct hub **out, const struct hub_conf *conf, struct rerr *err)
{
	struct lws_context_creation_info	 info;
	struct hub				*h;
	struct buf				 b;
	char					*nl;

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
	h->backoff_ms = HUB_BACKOFF_MIN_MS;
	buf_init(&h->rx, HUB_MAX_FRAME);
	pthread_mutex_init(&h->mu, NULL);

	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = hub_protocols;
	info.user = h;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	if ((h->ctx = lws_create_context(&info)) == NULL) {
		rerr_set(err, -1, "cannot create the websocket context");
		goto fail;
	}
	if (pthread_create(&h->thread, NULL, hub_main, h) != 0) {
		rerr_errno(err, -1, "cannot start the hub thread");
		lws_context_destroy(h->ctx);
		goto fail;
	}
	*out = h;
	return 0;
fail:
	free(h->token);
	free(h->url);
	free(h->node);
	free(h->version);
	buf_dispose(&h->rx);
	free(h);
	return -1;
}

/* Queues the servers whose status changed since the last publish. */
void
hub_publish(struct hub *h, const cJSON *status)
{
	const cJSON	*servers, *s, *node, *name, *rev;
	char		*json, *text;
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
				xasprintf(&text, "{\"type\":\"node\","
				    "\"node\":%s}", json);
				hub_queue_locked(h, text);
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
			xasprintf(&text, "{\"type\":\"server\",\"server\":%s}",
			    json);
			hub_queue_locked(h, text);
		}
	}
	for (i = 0; i < h->nsrv; ) {
		if (h->srv[i].seen) {
			i++;
			continue;
		}
		if (h->up) {
			cJSON *o = json_new_object();

			cJSON_AddStringToObject(o, "type", "server_removed");
			cJSON_AddStringToObject(o, "name", h->srv[i].name);
			hub_queue_locked(h, json_print(o));
			cJSON_Delete(o);
		}
		free(h->srv[i].name);
		free(h->srv[i].json);
		h->srv[i] = h->srv[--h->nsrv];
	}
	pthread_mutex_unlock(&h->mu);
	lws_cancel_service(h->ctx);
}

/* Queues a progress line. */
void
hub_progress(struct hub *h, const char *server, const char *kind,
    const char *text)
{
	cJSON	*o;

	if (h == NULL || !h->up)
		return;
	o = json_new_object();
	cJSON_AddStringToObject(o, "type", "progress");
	cJSON_AddStringToObject(o, "server", server);
	cJSON_AddStringToObject(o, "kind", kind);
	cJSON_AddStringToObject(o, "text", text);
	hub_queue(h, json_print(o));
	cJSON_Delete(o);
}

/* Answers a fetch request. */
void
hub_fetched(struct hub *h, const char *id, const char *result)
{
	cJSON	*o, *r, *v;

	if (h == NULL)
		return;
	o = json_new_object();
	cJSON_AddStringToObject(o, "type", "fetched");
	cJSON_AddStringToObject(o, "id", id);
	r = json_parse_str(result);
	v = cJSON_GetObjectItemCaseSensitive(r, "revision");
	cJSON_AddItemToObject(o, "revision", cJSON_IsString(v) ?
	    json_new_str(v->valuestring) : json_new_null());
	v = cJSON_GetObjectItemCaseSensitive(r, "error");
	cJSON_AddItemToObject(o, "error", cJSON_IsString(v) ?
	    json_new_str(v->valuestring) : json_new_null());
	cJSON_Delete(r);
	hub_queue(h, json_print(o));
	cJSON_Delete(o);
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
	size_t	i;

	if (h == NULL)
		return;
	h->stop = 1;
	lws_cancel_service(h->ctx);
	pthread_join(h->thread, NULL);
	lws_context_destroy(h->ctx);
	pthread_mutex_lock(&h->mu);
	hub_free_queue_locked(h);
	pthread_mutex_unlock(&h->mu);
	for (i = 0; i < h->nsrv; i++) {
		free(h->srv[i].name);
		free(h->srv[i].json);
	}
	free(h->srv);
	free(h->node_json);
	free(h->revision);
	free(h->token);
	free(h->url);
	free(h->node);
	free(h->version);
	buf_dispose(&h->rx);
	free(h);
}
