/*
 * gateway: roost-bot's Discord gateway v10 client on libwebsockets (JSON
 * text frames, no compression). It heartbeats with the first-beat jitter,
 * reconnects when an ACK is missed, IDENTIFYs with intents 0, RESUMEs on
 * resume_gateway_url after drops, op 7 and resumable op 9 (and receives
 * the replayed dispatches), starts a new session after op 9 false, 4007
 * and 4009, never reconnects after 4004 or 4010..4014, and keeps under 120
 * sends per 60 s.
 *
 * Threading: the gateway runs its own thread; on_dispatch is called from
 * it for every dispatch in sequence order and must return quickly.
 * Its arrived_ms is when the first bytes of the dispatch's frame were
 * read (CLOCK_MONOTONIC, in milliseconds), before parsing.
 */
#ifndef ROOST_BOT_GATEWAY_H
#define ROOST_BOT_GATEWAY_H

#include <stdint.h>

#include <cjson/cJSON.h>

struct gw;
struct rerr;

#define GW_SEND_LIMIT	120	/* sends per GW_SEND_WINDOW */
#define GW_SEND_WINDOW	60	/* seconds */

struct gw_conf {
	const char	*url;		/* ws:// or wss:// base (copied) */
	const char	*token;		/* bare token (copied) */
	int		 intents;
	/* t is the event name; d is borrowed for the call. */
	void		(*on_dispatch)(void *arg, const char *t, int64_t s,
			    const cJSON *d, double arrived_ms);
	/* A close code the gateway will not reconnect after. */
	void		(*on_fatal)(void *arg, int code, const char *why);
	void		*arg;
};

/*
 * Starts the gateway thread, which connects at once. Returns 0 with *out
 * owned by the caller (gw_stop), or -1.
 */
int	gw_start(struct gw **out, const struct gw_conf *conf,
	    struct rerr *err);
/* Closes the connection (code 1000), stops the thread and frees gw. */
void	gw_stop(struct gw *gw);

/* Counters for tests and logs (read without locking; approximate). */
struct gw_stats {
	int	connects;
	int	identifies;
	int	resumes;
	int	heartbeats;
	int64_t	seq;
};
void	gw_get_stats(struct gw *gw, struct gw_stats *out);

/*
 * The pure send limiter: given the times (ms) of the sends in the ring
 * times[GW_SEND_LIMIT] (0: unused) with the next slot at *pos, returns 0
 * and records now when a send may go, or the ms to wait.
 */
int64_t	gw_send_slot(int64_t *times, int *pos, int64_t now);

#endif
