/*
 * ratelimit: Discord's HTTP rate-limit buckets and the global limit, as
 * pure bookkeeping over a caller-supplied clock (see ratelimit.h).
 */
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#include "ratelimit.h"

struct rl_route {
	char		*key;		/* method + path template (+ major) */
	char		*bucket;	/* learned bucket id, or NULL */
	char		*major;
	int64_t		 remaining;	/* -1: unknown */
	int64_t		 reset_ms;	/* when remaining refills */
	int		 inflight;	/* slots taken, not yet answered */
};

struct ratelimit {
	struct rl_route	*routes;
	size_t		 n, cap;
	int64_t		 global_until;	/* a global 429 blocks until then */
	int64_t		 window[RL_GLOBAL_PER_SEC]; /* last sends, ring */
	size_t		 wpos;
};

/* Makes an empty table. */
struct ratelimit *
rl_new(void)
{
	return xcalloc(1, sizeof(struct ratelimit));
}

/* Frees a table. */
void
rl_free(struct ratelimit *rl)
{
	size_t	i;

	if (rl == NULL)
		return;
	for (i = 0; i < rl->n; i++) {
		free(rl->routes[i].key);
		free(rl->routes[i].bucket);
		free(rl->routes[i].major);
	}
	free(rl->routes);
	free(rl);
}

static int
is_id(const char *s, size_t n)
{
	size_t	i;

	if (n < 5)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Builds the route key; see ratelimit.h. */
void
rl_route_key(const char *method, const char *path, char *out, size_t outlen,
    int *exempt)
{
	const char	*seg, *q, *stop;
	size_t		 o, n, idx = 0, keep = 0;
	int		 w;

	*exempt = strncmp(path, "/interactions/", 14) == 0 ||
	    strncmp(path, "/webhooks/", 10) == 0;
	if (strncmp(path, "/channels/", 10) == 0 ||
	    strncmp(path, "/guilds/", 8) == 0)
		keep = 1;
	else if (*exempt)
		keep = 2;
	if ((stop = strchr(path, '?')) == NULL)
		stop = path + strlen(path);
	w = snprintf(out, outlen, "%s ", method);
	o = w < 0 ? 0 : (size_t)w;
	for (seg = path; seg < stop && o + 1 < outlen; seg = q) {
		if (*seg == '/')
			seg++;
		if ((q = memchr(seg, '/', (size_t)(stop - seg))) == NULL)
			q = stop;
		n = (size_t)(q - seg);
		idx++;
		if ((idx < 2 || idx > keep + 1) && is_id(seg, n))
			w = snprintf(out + o, outlen - o, "/:id");
		else
			w = snprintf(out + o, outlen - o, "/%.*s", (int)n, seg);
		o += w < 0 ? 0 : (size_t)w;
		if (o >= outlen)
			o = outlen - 1;
	}
}

static struct rl_route *
rl_route(struct ratelimit *rl, const char *key)
{
	size_t	i;

	for (i = 0; i < rl->n; i++)
		if (strcmp(rl->routes[i].key, key) == 0)
			return &rl->routes[i];
	if (rl->n == rl->cap) {
		rl->cap = rl->cap ? rl->cap * 2 : 16;
		rl->routes = xreallocarray(rl->routes, rl->cap,
		    sizeof(*rl->routes));
	}
	memset(&rl->routes[rl->n], 0, sizeof(rl->routes[0]));
	rl->routes[rl->n].key = xstrdup(key);
	rl->routes[rl->n].remaining = -1;
	return &rl->routes[rl->n++];
}

/*
 * Routes sharing a learned bucket share their counts: the first route
 * with the bucket holds them.
 */
static struct rl_route *
rl_owner(struct ratelimit *rl, struct rl_route *r)
{
	size_t	i;

	if (r->bucket == NULL)
		return r;
	for (i = 0; i < rl->n; i++)
		if (rl->routes[i].bucket != NULL &&
		    strcmp(rl->routes[i].bucket, r->bucket) == 0)
			return &rl->routes[i];
	return r;
}

/* Takes a slot or says how long to wait; see ratelimit.h. */
int64_t
rl_acquire(struct ratelimit *rl, const char *key, int exempt, int64_t now_ms)
{
	struct rl_route	*r;
	int64_t		 oldest;

	if (!exempt && rl->global_until > now_ms)
		return rl->global_until - now_ms;
	if (!exempt) {
		oldest = rl->window[rl->wpos];
		if (oldest != 0 && now_ms - oldest < 1000)
			return 1000 - (now_ms - oldest);
	}
	r = rl_owner(rl, rl_route(rl, key));
	if (r->remaining >= 0 && now_ms >= r->reset_ms) {
		r->remaining = -1;
		r->inflight = 0;
	}
	if (r->remaining >= 0 && r->remaining - r->inflight <= 0)
		return r->reset_ms - now_ms > 0 ? r->reset_ms - now_ms : 1;
	r->inflight++;
	if (!exempt) {
		rl->window[rl->wpos] = now_ms ? now_ms : 1;
		rl->wpos = (rl->wpos + 1) % RL_GLOBAL_PER_SEC;
	}
	return 0;
}

static double
num(const char *s, double def)
{
	char	*end;
	double	 v;

	if (s == NULL)
		return def;
	v = strtod(s, &end);
	return end == s ? def : v;
}

/* Records a response; see ratelimit.h. */
int64_t
rl_update(struct ratelimit *rl, const char *key, int status,
    const struct rl_headers *h, int64_t now_ms)
{
	struct rl_route	*r, *o;
	double		 ra;
	int64_t		 wait;
	int		 global;

	r = rl_route(rl, key);
	if (h->bucket != NULL && (r->bucket == NULL ||
	    strcmp(r->bucket, h->bucket) != 0)) {
		free(r->bucket);
		r->bucket = xstrdup(h->bucket);
	}
	o = rl_owner(rl, r);
	if (o->inflight > 0)
		o->inflight--;
	if (h->remaining != NULL && h->reset_after != NULL) {
		o->remaining = (int64_t)num(h->remaining, 0);
		o->reset_ms = now_ms + (int64_t)(num(h->reset_after, 0) *
		    1000.0 + 0.999);
	}
	if (status != 429)
		return 0;
	ra = h->body_retry_after >= 0 ? h->body_retry_after :
	    num(h->retry_after, 1.0);
	wait = (int64_t)(ra * 1000.0 + 0.999);
	if (wait < 1)
		wait = 1;
	global = h->body_global || (h->global != NULL &&
	    strcmp(h->global, "true") == 0);
	if (global)
		rl->global_until = now_ms + wait;
	else {
		o->remaining = 0;
		if (o->reset_ms < now_ms + wait)
			o->reset_ms = now_ms + wait;
	}
	return wait;
}

/* The bucket a route was mapped to. */
const char *
rl_bucket_of(const struct ratelimit *rl, const char *key)
{
	size_t	i;

	for (i = 0; i < rl->n; i++)
		if (strcmp(rl->routes[i].key, key) == 0)
			return rl->routes[i].bucket;
	return NULL;
}
