/*
 * ws: roost's one place for websockets on libwebsockets. Its three users
 * (the bot's Discord gateway client and node hub server, roostd's hub
 * client) keep only their protocol callbacks; this module owns the rest:
 *
 * - a loop: the lws context (listening or client-only, TLS set up either
 *   way) and the thread that services it, started and stopped in one
 *   call each;
 * - client connections to a ws:// or wss:// URL;
 * - a send queue of text frames, written one per WRITEABLE callback;
 * - the receive side's assembly of a message from its fragments and
 *   packets, so that no one parses a partial message.
 *
 * Threading: lws calls the protocol callbacks, and the loop's on_start,
 * on the loop's thread. ws_loop_wake is safe from any thread; a ws_queue
 * has no lock of its own (its owner locks when several threads use it).
 */
#ifndef ROOST_WS_H
#define ROOST_WS_H

#include <stddef.h>

#include <libwebsockets.h>

struct buf;
struct rerr;
struct ws_loop;

struct ws_loop_conf {
	const char			*what;	/* for errors: "hub" */
	const struct lws_protocols	*protocols;
	void				*user;	/* lws_context_user() */
	/* a server: listen on port (iface NULL: every address) */
	int				 port;	/* 0: client only */
	const char			*iface;
	const char			*tls_cert; /* PEM; NULL: no TLS */
	const char			*tls_key;
	/* a client: CAs that vouch for wss:// servers (NULL: system's) */
	const char			*ca_file;
	int				 log_level; /* LLL_*; 0: errors */
	/* called on the loop's thread before it services (timers) */
	void				(*on_start)(struct lws_context *,
					    void *user);
};

/* Creates the context and starts its thread. Returns 0 or -1 (err). */
int	ws_loop_start(struct ws_loop **out, const struct ws_loop_conf *conf,
	    struct rerr *err);
/* The loop's context, for timers and connections. */
struct lws_context *ws_loop_ctx(struct ws_loop *l);
/* Wakes the loop: LWS_CALLBACK_EVENT_WAIT_CANCELLED follows. Any thread. */
void	ws_loop_wake(struct ws_loop *l);
/* Stops the thread, then destroys the context and l; takes NULL. */
void	ws_loop_stop(struct ws_loop *l);

/*
 * Connects a client to url (ws://, wss://, http:// or https://; wss and
 * https use TLS with the certificate and host name checked); query, when
 * not NULL, is appended to the path ("v=10&encoding=json"). The new
 * connection is stored in *pwsi (NULL again when it fails). Returns 0, or
 * -1 with why set when it cannot even start.
 */
int	ws_connect(struct lws_context *ctx, const char *url, const char *query,
	    const char *protocol, struct lws **pwsi, const char **why);

/* A queue of text frames waiting to be written. */
struct ws_frame;
struct ws_queue {
	struct ws_frame	*head, *tail;
	size_t		 n;
	int		 secret;	/* wipe frames once written */
};

/* Appends text (taken); urgent frames go first. */
void	ws_queue_push(struct ws_queue *q, char *text, int urgent);
/* Takes the first frame off (the caller frees it), or NULL. */
char	*ws_queue_pop(struct ws_queue *q);
/* Frees every frame. */
void	ws_queue_clear(struct ws_queue *q);

/*
 * Writes text as one text message on wsi (the secret flag wipes the copy
 * made for lws). Returns 0, or -1 when lws wrote less: close then.
 */
int	ws_write_text(struct lws *wsi, const char *text, int secret);

/*
 * Adds a received piece to rx (made with a size limit). Returns 1 when
 * rx now holds a whole message (the caller parses it and resets rx), 0
 * when more is to come, -1 when the message is over rx's limit.
 */
int	ws_rx_add(struct buf *rx, struct lws *wsi, const void *in, size_t len);

#endif
