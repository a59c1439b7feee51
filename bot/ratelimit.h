/*
 * ratelimit: Discord's HTTP rate limits as pure bookkeeping (no I/O, no
 * clock of its own: callers pass the time in milliseconds). Routes map to
 * buckets learned from X-RateLimit-Bucket; each bucket and top-level
 * resource ("major parameter") has its own remaining count and reset time;
 * a global limit (50 requests per second, and any 429 marked global)
 * applies to every route but the interaction ones.
 *
 * Ownership: a struct ratelimit is not locked; the REST client serialises
 * access with its own mutex.
 */
#ifndef ROOST_BOT_RATELIMIT_H
#define ROOST_BOT_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

struct ratelimit;

#define RL_GLOBAL_PER_SEC	50

/* What one response said about its bucket. */
struct rl_headers {
	const char	*bucket;	/* X-RateLimit-Bucket, or NULL */
	const char	*limit;		/* X-RateLimit-Limit */
	const char	*remaining;	/* X-RateLimit-Remaining */
	const char	*reset_after;	/* X-RateLimit-Reset-After (seconds) */
	const char	*global;	/* X-RateLimit-Global */
	const char	*retry_after;	/* Retry-After header (seconds) */
	double		 body_retry_after; /* 429 body "retry_after", or -1 */
	int		 body_global;	/* 429 body "global" */
};

/* Makes an empty table; cannot fail. */
struct ratelimit *rl_new(void);
/* Frees a table; takes NULL. */
void	rl_free(struct ratelimit *rl);

/*
 * Writes the route key of a request into out (size outlen): the method
 * and the path with ids replaced by ":id" except the major parameter
 * (channel, guild, webhook id and token, interaction id and token), and
 * sets *exempt when the route is not bound by the global limit
 * (interaction callbacks and interaction webhooks).
 */
void	rl_route_key(const char *method, const char *path, char *out,
	    size_t outlen, int *exempt);

/*
 * Asks to send one request on route key at time now_ms. Returns 0 and
 * takes a slot when it may go now, or the number of milliseconds to wait
 * before asking again.
 */
int64_t	rl_acquire(struct ratelimit *rl, const char *key, int exempt,
	    int64_t now_ms);

/*
 * Records a response with status on route key at now_ms. Returns, for a
 * 429, the milliseconds to wait before retrying (at least 1); 0 otherwise.
 */
int64_t	rl_update(struct ratelimit *rl, const char *key, int status,
	    const struct rl_headers *h, int64_t now_ms);

/* For tests: the bucket id a route key was mapped to, or NULL. */
const char *rl_bucket_of(const struct ratelimit *rl, const char *key);

#endif
