/*
 * hub: the node hub server (see hub.h), on lib/ws.c's loop with the
 * frames of lib/hubproto.h. Nodes are
 * authenticated before the upgrade; a frame is parsed and checked against
 * the state's assignment of servers to nodes outside the lock, then
 * applied to a hash table of server status under a mutex; frames for a
 * node are queued under the mutex and written from the hub thread. The
 * change listener is called under the mutex too, so that unsetting it is
 * a barrier.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <libwebsockets.h>

#include "buf.h"
#include "hubproto.h"
#include "json.h"
#include "log.h"
#include "rerr.h"
#include "sha256.h"
#include "ws.h"
#include "xmalloc.h"

#include "bot.h"
#include "hub.h"
#include "hub_int.h"

/* ---------------------------------------------------------- the table */

static uint64_t
srv_hash(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct hub_srv **
srv_slot(struct bhub *h, const char *name)
{
	struct hub_srv	**pp;

	pp = &h->tab[srv_hash(name) & (h->ntab - 1)];
	while (*pp != NULL && strcmp((*pp)->name, name) != 0)
		pp = &(*pp)->next;
	return pp;
}

static struct hub_srv *
srv_find(struct bhub *h, const char *name)
{
	return *srv_slot(h, name);
}

static void
srv_grow(struct bhub *h)
{
	struct hub_srv	**old = h->tab, *s, *next;
	size_t		  nold = h->ntab, i, b;

	h->ntab *= 2;
	h->tab = xcalloc(h->ntab, sizeof(*h->tab));
	for (i = 0; i < nold; i++)
		for (s = old[i]; s != NULL; s = next) {
			next = s->next;
			b = srv_hash(s->name) & (h->ntab - 1);
			s->next = h->tab[b];
			h->tab[b] = s;
		}
	free(old);
}

/* The entry of server name, made when missing. Locked. */
static struct hub_srv *
srv_get(struct bhub *h, const char *name)
{
	struct hub_srv	**pp, *s;

	if ((s = *(pp = srv_slot(h, name))) != NULL)
		return s;
	s = xcalloc(1, sizeof(*s));
	s->name = xstrdup(name);
	*pp = s;
	if (++h->nsrv > h->ntab)
		srv_grow(h);
	return s;
}

static void
srv_prog_clear(struct hub_srv *s)
{
	size_t	i;

	for (i = 0; i < s->nprog; i++) {
		free(s->kind[i]);
		free(s->text[i]);
	}
	s->nprog = 0;
}

/* Frees the entry of server name. Locked. */
static void
srv_del(struct bhub *h, const char *name)
{
	struct hub_srv	**pp, *s;

	if ((s = *(pp = srv_slot(h, name))) == NULL)
		return;
	*pp = s->next;
	h->nsrv--;
	srv_prog_clear(s);
	cJSON_Delete(s->status);
	free(s->name);
	free(s);
}

/* Sets (status NULL: forgets) what node n reported of a server. Locked. */
static void
srv_set(struct bhub *h, struct hub_node *n, const char *name, cJSON *status)
{
	struct hub_srv	*s;

	if (status == NULL) {
		if ((s = srv_find(h, name)) != NULL && s->node == n)
			srv_del(h, name);
		return;
	}
	s = srv_get(h, name);
	cJSON_Delete(s->status);
	s->status = status;
	s->node = n;
}

/* Forgets every status node n reported. Locked. */
static void
srv_clear_node(struct bhub *h, struct hub_node *n)
{
	struct hub_srv	*s, *next;
	size_t		 i;

	for (i = 0; i < h->ntab; i++)
		for (s = h->tab[i]; s != NULL; s = next) {
			next = s->next;
			if (s->node != n)
				continue;
			cJSON_Delete(s->status);
			s->status = NULL;
			if (s->nprog == 0)
				srv_del(h, s->name);
		}
}

/* Keeps one progress line of a server. Locked. */
static void
prog_add_locked(struct bhub *h, struct hub_node *n, const char *server,
    const char *kind, const char *text)
{
	struct hub_srv	*p = srv_get(h, server);

	if (p->status == NULL)
		p->node = n;
	if (p->nprog == HUB_PROG_LINES) {
		free(p->kind[0]);
		free(p->text[0]);
		memmove(&p->kind[0], &p->kind[1], (p->nprog - 1) *
		    sizeof(char *));
		memmove(&p->text[0], &p->text[1], (p->nprog - 1) *
		    sizeof(char *));
		p->nprog--;
	}
	p->kind[p->nprog] = xstrdup(kind);
	p->text[p->nprog] = xstrndup(text, HUB_PROG_MAX);
	p->nprog++;
}

/* See hub_int.h. */
void
hub_queue_locked(struct hub_node *n, char *text)
{
	ws_queue_push(&n->outq, text, 0);
}

static struct hub_node *
node_by_token(struct bhub *h, const char *token)
{
	char	hex[65];
	size_t	i;

	sha256_hex(token, strlen(token), hex);
	for (i = 0; i < h->nnodes; i++)
		if (strcmp(h->nodes[i].sha, hex) == 0)
			return &h->nodes[i];
	return NULL;
}

/* ---------------------------------------------------------- frames */

/*
 * Whether node n may report server name: the state must put it there.
 * Unknown servers mark the node for a resync once the state knows them;
 * another node's server is logged once per connection.
 */
static int
may_report(struct bhub *h, struct hub_conn *c, const char *name, int *unknown)
{
	int	a;

	if (h->assign == NULL)
		return 1;
	a = h->assign(h->assign_arg, c->node->name, name);
	if (a == BHUB_MINE)
		return 1;
	if (a == BHUB_UNKNOWN)
		*unknown = 1;
	else if (!c->warned) {
		c->warned = 1;
		log_warnx("hub: node %s reported server '%s', which the state "
		    "puts on another node; ignored (further ones are not "
		    "logged)", c->node->name, name);
	}
	return 0;
}

/*
 * Takes in a frame from a node: parsed and checked without the lock,
 * applied under it. Returns 0, or -1 with *why set to close the
 * connection.
 */
static int
receive(struct bhub *h, struct hub_conn *c, const char *text, size_t len,
    const char **why)
{
	struct hub_node	*n = c->node;
	cJSON		*o, *s, *it, *next, *node = NULL;
	const char	*name = NULL;
	enum hubp_type	 type;
	int		 all = 0, unknown = 0;

	if ((o = json_parse_len(text, len)) == NULL) {
		log_warnx("hub: node %s sent a frame that is not JSON",
		    n->name);
		return 0;
	}
	type = hubp_type(o);
	if (type == HUBP_COMMAND_RESULT || type == HUBP_CONSOLE ||
	    type == HUBP_AUDIT) {
		hubcon_receive(h, n, o);
		return 0;
	}
	if (type == HUBP_SNAPSHOT) {
		s = cJSON_GetObjectItem(o, "servers");
		if (cJSON_GetArraySize(s) > HUBP_MAX_SERVERS) {
			log_warnx("hub: node %s sent a snapshot of %d servers, "
			    "over the limit of %d; closing its connection",
			    n->name, cJSON_GetArraySize(s), HUBP_MAX_SERVERS);
			cJSON_Delete(o);
			*why = "snapshot over the server limit";
			return -1;
		}
		for (it = cJSON_IsArray(s) ? s->child : NULL; it != NULL;
		    it = next) {
			next = it->next;
			if (json_str(it, "name", NULL) == NULL ||
			    !may_report(h, c, json_str(it, "name", ""),
			    &unknown))
				cJSON_Delete(cJSON_DetachItemViaPointer(s, it));
		}
		all = 1;
	} else if (type == HUBP_SERVER) {
		s = cJSON_GetObjectItem(o, "server");
		name = json_str(s, "name", NULL);
	} else if (type == HUBP_SERVER_REMOVED)
		name = json_str(o, "name", NULL);
	else if (type == HUBP_PROGRESS) {
		name = json_str(o, "server", NULL);
		if (json_str(o, "text", NULL) == NULL)
			name = NULL;
	} else if (type != HUBP_NODE) {
		if (type == HUBP_HELLO) {
			log_info("hub: node %s says hello (%s, revision %.12s)",
			    n->name, json_str(o, "version", "?"),
			    json_str(o, "revision", "-"));
			pthread_mutex_lock(&h->mu);
			hubcon_node_up_locked(h, n);
			pthread_mutex_unlock(&h->mu);
			ws_loop_wake(h->loop);
		}
		else if (type == HUBP_FETCHED)
			log_info("hub: node %s fetched %.12s%s%s", n->name,
			    json_str(o, "revision", "-"),
			    json_str(o, "error", NULL) ? ": " : "",
			    json_str(o, "error", ""));
		cJSON_Delete(o);
		return 0;
	}
	/* a removal only ever touches what this node reported */
	if (name != NULL && type != HUBP_SERVER_REMOVED &&
	    !may_report(h, c, name, &unknown))
		name = NULL;
	if (type == HUBP_SNAPSHOT || type == HUBP_NODE) {
		node = cJSON_DetachItemFromObject(o, "node");
		if (!cJSON_IsObject(node)) {
			cJSON_Delete(node);
			node = NULL;
		}
	}

	pthread_mutex_lock(&h->mu);
	if (unknown)
		n->unknown = 1;
	if (node != NULL) {
		cJSON_Delete(n->status);
		n->status = node;
	}
	if (all) {
		srv_clear_node(h, n);
		s = cJSON_GetObjectItem(o, "servers");
		while (cJSON_IsArray(s) && (it = s->child) != NULL) {
			cJSON_DetachItemViaPointer(s, it);
			srv_set(h, n, json_str(it, "name", ""), it);
		}
	} else if (name != NULL && type == HUBP_SERVER)
		srv_set(h, n, name, cJSON_DetachItemFromObject(o, "server"));
	else if (name != NULL && type == HUBP_SERVER_REMOVED) {
		struct hub_srv *e = srv_find(h, name);

		if (e != NULL && e->node == n)
			srv_del(h, name);
	} else if (name != NULL)
		prog_add_locked(h, n, name, json_str(o, "kind", ""),
		    json_str(o, "text", ""));
	if (h->on_change != NULL && all)
		h->on_change(h->change_arg, NULL);
	else if (h->on_change != NULL && name != NULL)
		h->on_change(h->change_arg, name);
	pthread_mutex_unlock(&h->mu);
	cJSON_Delete(o);
	return 0;
}

/* ---------------------------------------------------------- lws */

static int
header(struct lws *wsi, enum lws_token_indexes t, char *out, int len)
{
	if (lws_hdr_total_length(wsi, t) <= 0 ||
	    lws_hdr_total_length(wsi, t) >= len)
		return -1;
	return lws_hdr_copy(wsi, out, len, t) < 0 ? -1 : 0;
}

static struct hub_node *
authorized(struct bhub *h, struct lws *wsi)
{
	struct hub_node	*n;
	char		 auth[1024];

	pthread_mutex_lock(&h->mu);
	n = header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, auth,
	    sizeof(auth)) == 0 && strncmp(auth, "Bearer ", 7) == 0 ?
	    node_by_token(h, auth + 7) : NULL;
	pthread_mutex_unlock(&h->mu);
	explicit_bzero(auth, sizeof(auth));
	return n;
}

/* Closes a connection with a reason the node logs. */
static int
refuse(struct lws *wsi, enum lws_close_status code, const char *why)
{
	lws_close_reason(wsi, code, (unsigned char *)(uintptr_t)why,
	    strlen(why));
	return -1;
}

static int
bhub_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct bhub		*h = lws_context_user(lws_get_context(wsi));
	struct hub_conn		*c = user;
	struct hub_node		*n;
	const char		*why = NULL;
	char			 uri[256], *text;
	int			 wn;

	switch (reason) {
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		if (header(wsi, WSI_TOKEN_GET_URI, uri, sizeof(uri)) != 0 ||
		    strcmp(uri, HUBP_PATH) != 0) {
			lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND,
			    "not found");
			return 1;
		}
		if (authorized(h, wsi) == NULL) {
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
		buf_init(&c->rx, HUBP_HUB_MAX_FRAME);
		if ((n = authorized(h, wsi)) == NULL)
			return -1;
		pthread_mutex_lock(&h->mu);
		if (n->wsi != NULL && n->wsi != wsi)
			lws_set_timeout(n->wsi, PENDING_TIMEOUT_CLOSE_SEND,
			    LWS_TO_KILL_ASYNC);
		n->wsi = wsi;
		n->unknown = 0;
		c->node = n;
		pthread_mutex_unlock(&h->mu);
		log_info("hub: node %s connected", n->name);
		break;
	case LWS_CALLBACK_RECEIVE:
		if (c->node == NULL)
			return -1;
		if ((wn = ws_rx_add(&c->rx, wsi, in, len)) == -1) {
			log_warnx("hub: node %s sent a frame over %d bytes; "
			    "closing its connection", c->node->name,
			    HUBP_HUB_MAX_FRAME);
			return refuse(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
			    "frame over the size limit");
		}
		if (wn == 0)
			break;
		wn = receive(h, c, buf_str(&c->rx), c->rx.len, &why);
		buf_reset(&c->rx);
		if (wn != 0)
			return refuse(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
			    why);
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		pthread_mutex_lock(&h->mu);
		n = c->node;
		text = n != NULL && n->wsi == wsi ? ws_queue_pop(&n->outq) :
		    NULL;
		wn = n != NULL && n->outq.n > 0;
		pthread_mutex_unlock(&h->mu);
		if (text == NULL)
			break;
		if (ws_write_text(wsi, text, 0) != 0)
			wn = -1;
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
			hubcon_node_down_locked(h, c->node);
		}
		pthread_mutex_unlock(&h->mu);
		buf_dispose(&c->rx);
		break;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		pthread_mutex_lock(&h->mu);
		for (size_t i = 0; i < h->nnodes; i++)
			if (h->nodes[i].wsi != NULL && h->nodes[i].outq.n > 0)
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
	{ HUBP_SUBPROTOCOL, bhub_callback, sizeof(struct hub_conn), 65536, 0,
	    NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* True when host names a loopback address (or nothing but localhost). */
static int
loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) ==
	    0 || strcmp(host, "::1") == 0 || strcmp(host, "[::1]") == 0;
}

/* Starts the hub. */
int
bhub_start(struct bhub **out, const struct bhub_conf *conf,
    struct rerr *err)
{
	struct ws_loop_conf	 lc;
	struct bhub		*h;
	char			*host, *colon;
	size_t			 i;
	long			 port;

	*out = NULL;
	host = xstrdup(conf->listen);
	if ((colon = strrchr(host, ':')) == NULL ||
	    (port = strtol(colon + 1, NULL, 10)) <= 0 || port > 65535) {
		free(host);
		return rerr_set(err, ROOST_EINVAL, "hub: '%s' is not "
		    "ADDRESS:PORT", conf->listen);
	}
	*colon = '\0';
	if ((conf->tls_cert == NULL) != (conf->tls_key == NULL)) {
		free(host);
		return rerr_set(err, ROOST_EINVAL, "hub: 'tls.cert' and "
		    "'tls.key' go together");
	}
	if (conf->tls_cert == NULL && !loopback(host))
		log_warnx("hub: listening on %s without TLS: node tokens and "
		    "status cross the network in cleartext; set hub.tls.cert "
		    "and hub.tls.key to serve wss://", conf->listen);
	h = xcalloc(1, sizeof(*h));
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	h->nodes = xcalloc(conf->nnodes ? conf->nnodes : 1,
	    sizeof(*h->nodes));
	h->nnodes = conf->nnodes;
	for (i = 0; i < conf->nnodes; i++) {
		h->nodes[i].name = conf->nodes[i].name;
		h->nodes[i].sha = conf->nodes[i].token_sha256;
	}
	h->ntab = 64;
	h->tab = xcalloc(h->ntab, sizeof(*h->tab));
	h->assign = conf->assign;
	h->assign_arg = conf->assign_arg;
	memset(&lc, 0, sizeof(lc));
	lc.what = "hub";
	lc.port = (int)port;
	lc.iface = *host != '\0' && strcmp(host, "*") != 0 ? host : NULL;
	lc.protocols = bhub_protocols;
	lc.user = h;
	lc.tls_cert = conf->tls_cert;
	lc.tls_key = conf->tls_key;
	if (ws_loop_start(&h->loop, &lc, err) != 0) {
		if (err->code != ROOST_EINVAL)
			rerr_set(err, -1, "hub: cannot listen on %s%s",
			    conf->listen, conf->tls_cert != NULL ? " (or "
			    "cannot load its TLS certificate and key)" : "");
		goto fail;
	}
	log_info("hub: listening on %s (%s)", conf->listen,
	    conf->tls_cert != NULL ? "wss" : "ws");
	free(host);
	*out = h;
	return 0;
fail:
	free(host);
	free(h->tab);
	free(h->nodes);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h);
	return -1;
}

/* Stops the hub. */
void
bhub_stop(struct bhub *h)
{
	struct hub_srv	*s, *next;
	size_t		 i;

	if (h == NULL)
		return;
	ws_loop_stop(h->loop);
	for (i = 0; i < h->ntab; i++)
		for (s = h->tab[i]; s != NULL; s = next) {
			next = s->next;
			srv_prog_clear(s);
			cJSON_Delete(s->status);
			free(s->name);
			free(s);
		}
	free(h->tab);
	for (i = 0; i < h->nnodes; i++) {
		cJSON_Delete(h->nodes[i].status);
		ws_queue_clear(&h->nodes[i].outq);
	}
	free(h->nodes);
	hubcon_free(h);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

/* The last status of a server. */
cJSON *
bhub_server_status(struct bhub *h, const char *name)
{
	struct hub_srv	*s;
	cJSON		*r = NULL;

	if (h == NULL)
		return NULL;
	pthread_mutex_lock(&h->mu);
	if ((s = srv_find(h, name)) != NULL && s->status != NULL)
		r = cJSON_Duplicate(s->status, 1);
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
		snprintf(id, sizeof(id), "bot-%lu", ++h->fetch_id);
		hub_queue_locked(&h->nodes[i], hubp_fetch(id, revision));
		n++;
	}
	pthread_mutex_unlock(&h->mu);
	if (n > 0)
		ws_loop_wake(h->loop);
	return n;
}

/* Asks nodes that reported servers unknown to the state to resync. */
void
bhub_state_changed(struct bhub *h)
{
	size_t	i;
	int	n = 0;

	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	for (i = 0; i < h->nnodes; i++) {
		if (h->nodes[i].wsi == NULL || !h->nodes[i].unknown)
			continue;
		h->nodes[i].unknown = 0;
		hub_queue_locked(&h->nodes[i], hubp_resync());
		n++;
	}
	pthread_mutex_unlock(&h->mu);
	if (n > 0)
		ws_loop_wake(h->loop);
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
	struct hub_srv	*s;
	cJSON		*a, *o;
	size_t		 j;

	if (h == NULL)
		return NULL;
	a = json_new_array();
	pthread_mutex_lock(&h->mu);
	if ((s = srv_find(h, name)) != NULL)
		for (j = 0; j < s->nprog; j++) {
			o = json_new_object();
			json_add_str(o, "kind", s->kind[j]);
			json_add_str(o, "text", s->text[j]);
			cJSON_AddItemToArray(a, o);
		}
	pthread_mutex_unlock(&h->mu);
	return a;
}
