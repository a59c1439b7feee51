/*
 * hub: the node hub server on libwebsockets (see hub.h). Nodes are
 * authenticated before the upgrade; frames they send update a table of
 * node and server status under a mutex; frames for a node are queued under
 * the mutex and written from the hub thread. The change listener is
 * called under the mutex too, so that unsetting it is a barrier.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <libwebsockets.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "rerr.h"
#include "xmalloc.h"

#include "../reconciler/cspec.h"	/* cspec_sha256_hex */
#include "bot.h"
#include "hub.h"

#define HUB_MAX_FRAME	(16 << 20)
#define HUB_PROG_LINES	16	/* progress lines kept per server */
#define HUB_PROG_MAX	2048	/* bytes kept of one line */

struct hub_srv {
	char	*name;
	cJSON	*status;
};

struct hub_node {
	const char	*name;
	const char	*sha;
	struct lws	*wsi;		/* NULL: not connected */
	cJSON		*status;	/* node object */
	struct hub_srv	*srv;
	size_t		 nsrv;
	char		**outq;
	size_t		 nout;
};

/* The latest progress lines of one server, oldest first. */
struct hub_prog {
	char	*server;
	char	*kind[HUB_PROG_LINES];
	char	*text[HUB_PROG_LINES];
	size_t	 n;
};

/* Names of the servers a frame changed; all set: every server. */
struct hub_changes {
	char	**names;
	size_t	  n;
	int	  all;
};

struct hub_conn {
	struct hub_node	*node;
	struct buf	 rx;
};

struct bhub {
	struct lws_context	*ctx;
	pthread_t		 thread;
	volatile int		 stop;
	pthread_mutex_t		 mu;
	struct hub_node		*nodes;
	size_t			 nnodes;
	unsigned long		 fetch_id;
	struct hub_prog		*prog;
	size_t			 nprog;
	bhub_change_cb		 on_change;
	void			*change_arg;
};

static struct hub_node *
node_by_token(struct bhub *h, const char *token)
{
	char	hex[65];
	size_t	i;

	cspec_sha256_hex(token, strlen(token), hex);
	for (i = 0; i < h->nnodes; i++)
		if (strcmp(h->nodes[i].sha, hex) == 0)
			return &h->nodes[i];
	return NULL;
}

static void
srv_set(struct hub_node *n, const char *name, cJSON *status)
{
	size_t	i;

	for (i = 0; i < n->nsrv; i++)
		if (strcmp(n->srv[i].name, name) == 0) {
			cJSON_Delete(n->srv[i].status);
			if (status != NULL) {
				n->srv[i].status = status;
				return;
			}
			free(n->srv[i].name);
			n->srv[i] = n->srv[--n->nsrv];
			return;
		}
	if (status == NULL)
		return;
	n->srv = xreallocarray(n->srv, n->nsrv + 1, sizeof(*n->srv));
	n->srv[n->nsrv].name = xstrdup(name);
	n->srv[n->nsrv++].status = status;
}

static void
srv_clear(struct hub_node *n)
{
	size_t	i;

	for (i = 0; i < n->nsrv; i++) {
		free(n->srv[i].name);
		cJSON_Delete(n->srv[i].status);
	}
	free(n->srv);
	n->srv = NULL;
	n->nsrv = 0;
}

static void
queue_locked(struct hub_node *n, char *text)
{
	n->outq = xreallocarray(n->outq, n->nout + 1, sizeof(char *));
	n->outq[n->nout++] = text;
}

static void
prog_free(struct hub_prog *p)
{
	size_t	i;

	for (i = 0; i < p->n; i++) {
		free(p->kind[i]);
		free(p->text[i]);
	}
	free(p->server);
}

/* Forgets the progress lines of server. Locked. */
static void
prog_clear_locked(struct bhub *h, const char *server)
{
	size_t	i;

	for (i = 0; i < h->nprog; i++)
		if (strcmp(h->prog[i].server, server) == 0) {
			prog_free(&h->prog[i]);
			h->prog[i] = h->prog[--h->nprog];
			return;
		}
}

/* Keeps one progress line of server. Locked. */
static void
prog_add_locked(struct bhub *h, const char *server, const char *kind,
    const char *text)
{
	struct hub_prog	*p = NULL;
	size_t		 i;

	for (i = 0; i < h->nprog; i++)
		if (strcmp(h->prog[i].server, server) == 0) {
			p = &h->prog[i];
			break;
		}
	if (p == NULL) {
		h->prog = xreallocarray(h->prog, h->nprog + 1,
		    sizeof(*h->prog));
		p = &h->prog[h->nprog++];
		memset(p, 0, sizeof(*p));
		p->server = xstrdup(server);
	}
	if (p->n == HUB_PROG_LINES) {
		free(p->kind[0]);
		free(p->text[0]);
		memmove(&p->kind[0], &p->kind[1], (p->n - 1) * sizeof(char *));
		memmove(&p->text[0], &p->text[1], (p->n - 1) * sizeof(char *));
		p->n--;
	}
	p->kind[p->n] = xstrdup(kind);
	p->text[p->n] = xstrndup(text, HUB_PROG_MAX);
	p->n++;
}

static void
changed(struct hub_changes *ch, const char *name)
{
	size_t	i;

	for (i = 0; i < ch->n; i++)
		if (strcmp(ch->names[i], name) == 0)
			return;
	ch->names = xreallocarray(ch->names, ch->n + 1, sizeof(char *));
	ch->names[ch->n++] = xstrdup(name);
}

/* Tells the listener what changed, then forgets it. Locked. */
static void
changes_fire_locked(struct bhub *h, struct hub_changes *ch)
{
	size_t	i;

	if (h->on_change != NULL && ch->all)
		h->on_change(h->change_arg, NULL);
	for (i = 0; i < ch->n; i++) {
		if (h->on_change != NULL && !ch->all)
			h->on_change(h->change_arg, ch->names[i]);
		free(ch->names[i]);
	}
	free(ch->names);
	memset(ch, 0, sizeof(*ch));
}

/* Takes in a frame from a node. Locked. */
static void
receive_locked(struct bhub *h, struct hub_node *n, const char *text,
    size_t len, struct hub_changes *ch)
{
	cJSON		*o, *s, *it;
	const char	*type;

	if ((o = json_parse_len(text, len)) == NULL) {
		log_warnx("hub: node %s sent a frame that is not JSON",
		    n->name);
		return;
	}
	type = json_str(o, "type", "");
	if (strcmp(type, "snapshot") == 0) {
		ch->all = 1;
		srv_clear(n);
		if ((s = cJSON_DetachItemFromObject(o, "node")) != NULL &&
		    cJSON_IsObject(s)) {
			cJSON_Delete(n->status);
			n->status = s;
		} else
			cJSON_Delete(s);
		s = cJSON_GetObjectItem(o, "servers");
		while (cJSON_IsArray(s) && (it = s->child) != NULL) {
			cJSON_DetachItemViaPointer(s, it);
			if (json_str(it, "name", NULL) != NULL)
				srv_set(n, json_str(it, "name", ""), it);
			else
				cJSON_Delete(it);
		}
	} else if (strcmp(type, "server") == 0) {
		s = cJSON_DetachItemFromObject(o, "server");
		if (s != NULL && json_str(s, "name", NULL) != NULL) {
			changed(ch, json_str(s, "name", ""));
			srv_set(n, json_str(s, "name", ""), s);
		} else
			cJSON_Delete(s);
	} else if (strcmp(type, "server_removed") == 0) {
		changed(ch, json_str(o, "name", ""));
		prog_clear_locked(h, json_str(o, "name", ""));
		srv_set(n, json_str(o, "name", ""), NULL);
	} else if (strcmp(type, "progress") == 0) {
		if (json_str(o, "server", NULL) != NULL &&
		    json_str(o, "text", NULL) != NULL) {
			changed(ch, json_str(o, "server", ""));
			prog_add_locked(h, json_str(o, "server", ""),
			    json_str(o, "kind", ""), json_str(o, "text", ""));
		}
	} else if (strcmp(type, "node") == 0) {
		if ((s = cJSON_DetachItemFromObject(o, "node")) != NULL) {
			cJSON_Delete(n->status);
			n->status = s;
		}
	} else if (strcmp(type, "hello") == 0) {
		log_info("hub: node %s says hello (%s, revision %.12s)",
		    n->name, json_str(o, "version", "?"),
		    json_str(o, "revision", "-"));
	} else if (strcmp(type, "fetched") == 0) {
		log_info("hub: node %s fetched %.12s%s%s", n->name,
		    json_str(o, "revision", "-"),
		    json_str(o, "error", NULL) ? ": " : "",
		    json_str(o, "error", ""));
	}
	cJSON_Delete(o);
}

static int
header(struct lws *wsi, enum lws_token_indexes t, char *out, int len)
{
	if (lws_hdr_total_length(wsi, t) <= 0 ||
	    lws_hdr_total_length(wsi, t) >= len)
		return -1;
	return lws_hdr_copy(wsi, out, len, t) < 0 ? -1 : 0;
}

static int
bhub_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct bhub		*h = lws_context_user(lws_get_context(wsi));
	struct hub_conn		*c = user;
	struct hub_node		*n;
	struct hub_changes	 ch;
	char			 auth[1024], uri[256], *text;
	unsigned char		*frame;
	int			 wn;

	switch (reason) {
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		if (header(wsi, WSI_TOKEN_GET_URI, uri, sizeof(uri)) != 0 ||
		    strcmp(uri, "/v1/hub") != 0) {
			lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND,
			    "not found");
			return 1;
		}
		pthread_mutex_lock(&h->mu);
		n = header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, auth,
		    sizeof(auth)) == 0 && strncmp(auth, "Bearer ", 7) == 0 ?
		    node_by_token(h, auth + 7) : NULL;
		pthread_mutex_unlock(&h->mu);
		explicit_bzero(auth, sizeof(auth));
		if (n == NULL) {
			log_warnx("hub: refused a node with a wrong or unknown "
			    "token");
			lws_return_http_status(wsi, HTTP_STATUS_UNAUTHORIZED,
			    "wrong or unknown node token");
			return 1;
		}
		break;
	case LWS_CALLBACK_HTTP:
		lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND,
		    "roost node hub: connect a websocket to /v1/hub");
		return -1;
	case LWS_CALLBACK_ESTABLISHED:
		memset(c, 0, sizeof(*c));
		buf_init(&c->rx, HUB_MAX_FRAME);
		pthread_mutex_lock(&h->mu);
		n = header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, auth,
		    sizeof(auth)) == 0 && strncmp(auth, "Bearer ", 7) == 0 ?
		    node_by_token(h, auth + 7) : NULL;
		explicit_bzero(auth, sizeof(auth));
		if (n == NULL) {
			pthread_mutex_unlock(&h->mu);
			return -1;
		}
		if (n->wsi != NULL && n->wsi != wsi)
			lws_set_timeout(n->wsi, PENDING_TIMEOUT_CLOSE_SEND,
			    LWS_TO_KILL_ASYNC);
		n->wsi = wsi;
		c->node = n;
		pthread_mutex_unlock(&h->mu);
		log_info("hub: node %s connected", n->name);
		break;
	case LWS_CALLBACK_RECEIVE:
		if (c->node == NULL)
			return -1;
		if (buf_add(&c->rx, in, len) == -1) {
			log_warnx("hub: node %s sent a frame over %d bytes",
			    c->node->name, HUB_MAX_FRAME);
			return -1;
		}
		if (lws_is_final_fragment(wsi) &&
		    lws_remaining_packet_payload(wsi) == 0) {
			memset(&ch, 0, sizeof(ch));
			pthread_mutex_lock(&h->mu);
			receive_locked(h, c->node, buf_str(&c->rx), c->rx.len,
			    &ch);
			changes_fire_locked(h, &ch);
			pthread_mutex_unlock(&h->mu);
			buf_reset(&c->rx);
		}
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		pthread_mutex_lock(&h->mu);
		n = c->node;
		text = NULL;
		if (n != NULL && n->wsi == wsi && n->nout > 0) {
			text = n->outq[0];
			memmove(&n->outq[0], &n->outq[1], (n->nout - 1) *
			    sizeof(char *));
			n->nout--;
		}
		wn = n != NULL && n->nout > 0;
		pthread_mutex_unlock(&h->mu);
		if (text == NULL)
			break;
		len = strlen(text);
		frame = xmalloc(LWS_PRE + len);
		memcpy(frame + LWS_PRE, text, len);
		wn = lws_write(wsi, frame + LWS_PRE, len, LWS_WRITE_TEXT) <
		    (int)len ? -1 : wn;
		free(frame);
		free(text);
		if (wn < 0)
			return -1;
		if (wn)
			lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLOSED:
		pthread_mutex_lock(&h->mu);
		if (c->node != NULL && c->node->wsi == wsi) {
			log_info("hub: node %s disconnected", c->node->name);
			c->node->wsi = NULL;
		}
		pthread_mutex_unlock(&h->mu);
		buf_dispose(&c->rx);
		break;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		pthread_mutex_lock(&h->mu);
		for (size_t i = 0; i < h->nnodes; i++)
			if (h->nodes[i].wsi != NULL && h->nodes[i].nout > 0)
				lws_callback_on_writable(h->nodes[i].wsi);
		pthread_mutex_unlock(&h->mu);
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols bhub_protocols[] = {
	{ "http", bhub_callback, sizeof(struct hub_conn), 65536, 0, NULL, 0 },
	{ "roost-hub.v1", bhub_callback, sizeof(struct hub_conn), 65536, 0,
	    NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void *
bhub_main(void *arg)
{
	struct bhub	*h = arg;

	while (!h->stop)
		if (lws_service(h->ctx, 0) < 0)
			break;
	return NULL;
}

/* Starts the hub. */
int
bhub_start(struct bhub **out, const char *listen,
    const struct bot_hub_node *nodes, size_t nnodes, struct rerr *err)
{
	struct lws_context_creation_info	 info;
	struct bhub				*h;
	char					*host, *colon;
	size_t					 i;
	long					 port;

	*out = NULL;
	host = xstrdup(listen);
	if ((colon = strrchr(host, ':')) == NULL ||
	    (port = strtol(colon + 1, NULL, 10)) <= 0 || port > 65535) {
		free(host);
		return rerr_set(err, ROOST_EINVAL, "hub: '%s' is not "
		    "ADDRESS:PORT", listen);
	}
	*colon = '\0';
	h = xcalloc(1, sizeof(*h));
	pthread_mutex_init(&h->mu, NULL);
	h->nodes = xcalloc(nnodes ? nnodes : 1, sizeof(*h->nodes));
	h->nnodes = nnodes;
	for (i = 0; i < nnodes; i++) {
		h->nodes[i].name = nodes[i].name;
		h->nodes[i].sha = nodes[i].token_sha256;
	}
	memset(&info, 0, sizeof(info));
	info.port = (int)port;
	info.iface = *host != '\0' && strcmp(host, "*") != 0 ? host : NULL;
	info.protocols = bhub_protocols;
	info.user = h;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
	if ((h->ctx = lws_create_context(&info)) == NULL) {
		rerr_set(err, -1, "hub: cannot listen on %s", listen);
		goto fail;
	}
	if (pthread_create(&h->thread, NULL, bhub_main, h) != 0) {
		rerr_errno(err, -1, "hub: cannot start its thread");
		lws_context_destroy(h->ctx);
		goto fail;
	}
	free(host);
	*out = h;
	return 0;
fail:
	free(host);
	free(h->nodes);
	free(h);
	return -1;
}

/* Stops the hub. */
void
bhub_stop(struct bhub *h)
{
	size_t	i;

	if (h == NULL)
		return;
	h->stop = 1;
	lws_cancel_service(h->ctx);
	pthread_join(h->thread, NULL);
	lws_context_destroy(h->ctx);
	for (i = 0; i < h->nnodes; i++) {
		srv_clear(&h->nodes[i]);
		cJSON_Delete(h->nodes[i].status);
		while (h->nodes[i].nout > 0)
			free(h->nodes[i].outq[--h->nodes[i].nout]);
		free(h->nodes[i].outq);
	}
	for (i = 0; i < h->nprog; i++)
		prog_free(&h->prog[i]);
	free(h->prog);
	free(h->nodes);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

/* The last status of a server. */
cJSON *
bhub_server_status(struct bhub *h, const char *name)
{
	cJSON	*r = NULL;
	size_t	 i, j;

	if (h == NULL)
		return NULL;
	pthread_mutex_lock(&h->mu);
	for (i = 0; i < h->nnodes && r == NULL; i++)
		for (j = 0; j < h->nodes[i].nsrv; j++)
			if (strcmp(h->nodes[i].srv[j].name, name) == 0) {
				r = cJSON_Duplicate(h->nodes[i].srv[j].status,
				    1);
				break;
			}
	pthread_mutex_unlock(&h->mu);
	return r;
}

/* The last node object of a connected node. */
cJSON *
bhub_node_status(struct bhub *h, const char *name)
{
	cJSON	*r = NULL;
	size_t	 i;

	if (h == NULL)
		return NULL;
	pthread_mutex_lock(&h->mu);
	for (i = 0; i < h->nnodes; i++)
		if (strcmp(h->nodes[i].name, name) == 0 &&
		    h->nodes[i].wsi != NULL) {
			r = h->nodes[i].status != NULL ?
			    cJSON_Duplicate(h->nodes[i].status, 1) :
			    json_new_object();
			break;
		}
	pthread_mutex_unlock(&h->mu);
	return r;
}

/* Asks nodes to fetch now. */
int
bhub_fetch(struct bhub *h, const char *node, const char *revision)
{
	cJSON	*o;
	char	 id[32];
	size_t	 i;
	int	 n = 0;

	if (h == NULL)
		return 0;
	pthread_mutex_lock(&h->mu);
	for (i = 0; i < h->nnodes; i++) {
		if (h->nodes[i].wsi == NULL || (node != NULL &&
		    strcmp(h->nodes[i].name, node) != 0))
			continue;
		o = json_new_object();
		json_add_str(o, "type", "fetch");
		snprintf(id, sizeof(id), "bot-%lu", ++h->fetch_id);
		json_add_str(o, "id", id);
		if (revision != NULL)
			json_add_str(o, "revision", revision);
		queue_locked(&h->nodes[i], json_print(o));
		cJSON_Delete(o);
		n++;
	}
	pthread_mutex_unlock(&h->mu);
	if (n > 0)
		lws_cancel_service(h->ctx);
	return n;
}

/* Sets the change listener. */
void
bhub_set_listener(struct bhub *h, bhub_change_cb cb, void *arg)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	h->on_change = cb;
	h->change_arg = arg;
	pthread_mutex_unlock(&h->mu);
}

/* The latest progress lines of a server. */
cJSON *
bhub_server_progress(struct bhub *h, const char *name)
{
	cJSON	*a, *o;
	size_t	 i, j;

	if (h == NULL)
		return NULL;
	a = json_new_array();
	pthread_mutex_lock(&h->mu);
	for (i = 0; i < h->nprog; i++) {
		if (strcmp(h->prog[i].server, name) != 0)
			continue;
		for (j = 0; j < h->prog[i].n; j++) {
			o = json_new_object();
			json_add_str(o, "kind", h->prog[i].kind[j]);
			json_add_str(o, "text", h->prog[i].text[j]);
			cJSON_AddItemToArray(a, o);
		}
		break;
	}
	pthread_mutex_unlock(&h->mu);
	return a;
}
