/*
 * rest: roost-bot's Discord REST client over lib/http.c: the bot token,
 * a proper User-Agent, JSON bodies, per-bucket and global rate limits
 * learned from the response headers, and 429 retries after retry_after.
 *
 * Threading: one struct rest is shared by every thread of the bot; each
 * call borrows an HTTP connection from an internal pool and the rate-limit
 * table is locked. Interaction callbacks (POST /interactions/ID/TOKEN/
 * callback, the first responses) borrow from a pool of their own, and
 * while first responses are pending (rest_acks_pending) every other call
 * waits for them, at most 200 ms: Discord exempts callbacks from the
 * global rate limit, and their 3-second deadline is the one that counts.
 */
#ifndef ROOST_BOT_REST_H
#define ROOST_BOT_REST_H

#include <cjson/cJSON.h>

struct rerr;
struct rest;

struct rest_reply {
	long	 status;	/* HTTP status; 0 when nothing came */
	cJSON	*json;		/* parsed body, or NULL */
	int	 code;		/* Discord error "code", or 0 */
	int	 retries;	/* 429s waited out */
};

/*
 * Makes a client for base ("https://discord.com/api/v10", borrowed and
 * copied) with the bot token (copied). Cannot fail.
 */
struct rest	*rest_new(const char *base, const char *token);
/* Frees a client; takes NULL. */
void		 rest_free(struct rest *r);

/*
 * Sends method path (relative to the base, "/gateway/bot") with an
 * optional JSON body, waiting as the rate limits say and retrying 429s
 * (at most a few times). Fills out (the caller disposes it with
 * rest_reply_dispose). Returns 0 when a 2xx came, ROOST_ENOTFOUND for a
 * 404, ROOST_EDENIED for 401/403, -1 otherwise; err holds Discord's
 * message with the route.
 */
int		 rest_call(struct rest *r, const char *method,
		    const char *path, const cJSON *body,
		    struct rest_reply *out, struct rerr *err);
/*
 * Adds delta (1 when an interaction arrives, -1 once its first response
 * is answered) to the count of first responses on their way; calls other
 * than interaction callbacks wait while it is above 0 (see above).
 */
void		 rest_acks_pending(struct rest *r, int delta);
/* Frees what a reply holds. */
void		 rest_reply_dispose(struct rest_reply *rep);

/*
 * Sends msg to channel with the bot token: a new message when
 * *message_id is NULL (whose id is then stored there, owned by the
 * caller), else an edit of that message. Returns as rest_call.
 */
int		 rest_channel_message(struct rest *r, const char *channel,
		    char **message_id, const cJSON *msg, struct rerr *err);

#endif
