/*
 * ws: the lws context and its thread, client connections, send queues
 * and message assembly (see ws.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>
#include <openssl/ssl.h>

#include "buf.h"
#include "rerr.h"
#include "xmalloc.h"

#include "ws.h"

struct ws_loop {
	struct lws_context	*ctx;
	SSL_CTX			*client_tls;	/* a TLS listener's; ours */
	pthread_t		 thread;
	volatile int		 stop;
	void			(*on_start)(struct lws_context *, void *);
	void			*user;
};

struct ws_frame {
	char		*text;
	struct ws_frame	*next;
};

static void *
ws_loop_main(void *arg)
{
	struct ws_loop	*l = arg;

	if (l->on_start != NULL)
		l->on_start(l->ctx, l->user);
	while (!l->stop)
		if (lws_service(l->ctx, 0) < 0)
			break;
	return NULL;
}

/* Starts a loop. */
int
ws_loop_start(struct ws_loop **out, const struct ws_loop_conf *conf,
    struct rerr *err)
{
	struct lws_context_creation_info	 info;
	struct ws_loop				*l;
	const char				*what;

	*out = NULL;
	what = conf->what != NULL ? conf->what : "websocket";
	if ((conf->tls_cert == NULL) != (conf->tls_key == NULL))
		return rerr_set(err, ROOST_EINVAL, "%s: a TLS certificate "
		    "and its key go together", what);
	l = xcalloc(1, sizeof(*l));
	l->on_start = conf->on_start;
	l->user = conf->user;
	lws_set_log_level(conf->log_level != 0 ? conf->log_level : LLL_ERR,
	    NULL);
	memset(&info, 0, sizeof(info));
	info.port = conf->port > 0 ? conf->port : CONTEXT_PORT_NO_LISTEN;
	info.iface = conf->port > 0 ? conf->iface : NULL;
	info.protocols = conf->protocols;
	info.user = conf->user;
	if (conf->port > 0)
		info.options |= LWS_SERVER_OPTION_VALIDATE_UTF8;
	/*
	 * A TLS listener makes no TLS connections, but lws 4.1 gives every
	 * TLS vhost a client context, with the OS's CA certificates, that it
	 * never frees. Hand it an empty one of ours, freed with the loop.
	 */
	if (conf->port > 0 && conf->tls_cert != NULL) {
		info.options |= LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
		if ((l->client_tls = SSL_CTX_new(TLS_client_method())) ==
		    NULL) {
			free(l);
			return rerr_set(err, -1, "%s: cannot make a TLS "
			    "context", what);
		}
		info.provided_client_ssl_ctx = l->client_tls;
	}
	if (conf->port <= 0 || conf->tls_cert != NULL)
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.ssl_cert_filepath = conf->tls_cert;
	info.ssl_private_key_filepath = conf->tls_key;
	info.client_ssl_ca_filepath = conf->ca_file;
	if ((l->ctx = lws_create_context(&info)) == NULL) {
		SSL_CTX_free(l->client_tls);
		free(l);
		if (conf->port > 0)
			return rerr_set(err, -1, "%s: cannot listen on port "
			    "%d%s", what, conf->port, conf->tls_cert != NULL ?
			    " (or cannot load its TLS certificate and key)" :
			    "");
		return rerr_set(err, -1, "%s: cannot create the websocket "
		    "context", what);
	}
	if (pthread_create(&l->thread, NULL, ws_loop_main, l) != 0) {
		rerr_errno(err, -1, "%s: cannot start its thread", what);
		lws_context_destroy(l->ctx);
		SSL_CTX_free(l->client_tls);
		free(l);
		return -1;
	}
	*out = l;
	return 0;
}

/* The loop's context. */
struct lws_context *
ws_loop_ctx(struct ws_loop *l)
{
	return l != NULL ? l->ctx : NULL;
}

/* Wakes the loop. */
void
ws_loop_wake(struct ws_loop *l)
{
	if (l != NULL && l->ctx != NULL)
		lws_cancel_service(l->ctx);
}

/* Stops a loop. */
void
ws_loop_stop(struct ws_loop *l)
{
	if (l == NULL)
		return;
	l->stop = 1;
	lws_cancel_service(l->ctx);
	pthread_join(l->thread, NULL);
	lws_context_destroy(l->ctx);
	SSL_CTX_free(l->client_tls);
	free(l);
}

/* Connects a client. */
int
ws_connect(struct lws_context *ctx, const char *url, const char *query,
    const char *protocol, struct lws **pwsi, const char **why)
{
	struct lws_client_connect_info	 ci;
	const char			*prot, *ads, *path;
	char				*copy, pathbuf[1024];
	int				 port, rc = 0;

	copy = xstrdup(url);
	if (lws_parse_uri(copy, &prot, &ads, &port, &path) != 0) {
		free(copy);
		*why = "cannot parse the url";
		return -1;
	}
	if (query == NULL)
		snprintf(pathbuf, sizeof(pathbuf), "/%s", path);
	else
		snprintf(pathbuf, sizeof(pathbuf), "/%s%c%s", path,
		    strchr(path, '?') != NULL ? '&' : '?', query);
	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.address = ads;
	ci.port = port;
	ci.path = pathbuf;
	ci.host = ads;
	ci.origin = ads;
	ci.protocol = protocol;
	ci.ssl_connection = strcmp(prot, "wss") == 0 ||
	    strcmp(prot, "https") == 0 ? LCCSCF_USE_SSL : 0;
	ci.pwsi = pwsi;
	if (lws_client_connect_via_info(&ci) == NULL) {
		*pwsi = NULL;
		*why = "cannot connect";
		rc = -1;
	}
	free(copy);
	return rc;
}

/* Queues a frame. */
void
ws_queue_push(struct ws_queue *q, char *text, int urgent)
{
	struct ws_frame	*f = xcalloc(1, sizeof(*f));

	f->text = text;
	if (urgent) {
		f->next = q->head;
		q->head = f;
		if (q->tail == NULL)
			q->tail = f;
	} else {
		if (q->tail != NULL)
			q->tail->next = f;
		else
			q->head = f;
		q->tail = f;
	}
	q->n++;
}

/* Takes the first frame. */
char *
ws_queue_pop(struct ws_queue *q)
{
	struct ws_frame	*f = q->head;
	char		*text;

	if (f == NULL)
		return NULL;
	if ((q->head = f->next) == NULL)
		q->tail = NULL;
	q->n--;
	text = f->text;
	free(f);
	return text;
}

/* Frees every frame. */
void
ws_queue_clear(struct ws_queue *q)
{
	char	*text;

	while ((text = ws_queue_pop(q)) != NULL) {
		if (q->secret)
			explicit_bzero(text, strlen(text));
		free(text);
	}
}

/* Writes one text message. */
int
ws_write_text(struct lws *wsi, const char *text, int secret)
{
	unsigned char	*frame;
	size_t		 len = strlen(text);
	int		 n;

	frame = xmalloc(LWS_PRE + len);
	memcpy(frame + LWS_PRE, text, len);
	n = lws_write(wsi, frame + LWS_PRE, len, LWS_WRITE_TEXT);
	if (secret)
		explicit_bzero(frame, LWS_PRE + len);
	free(frame);
	return n < (int)len ? -1 : 0;
}

/* Adds a received piece. */
int
ws_rx_add(struct buf *rx, struct lws *wsi, const void *in, size_t len)
{
	if (buf_add(rx, in, len) == -1)
		return -1;
	/* whole after the last fragment's last byte */
	return lws_is_final_fragment(wsi) &&
	    lws_remaining_packet_payload(wsi) == 0 ? 1 : 0;
}
