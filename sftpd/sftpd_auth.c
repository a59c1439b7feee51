/*
 * sftpd_auth: credential checks for roost-sftpd (crypt(3) password hashes
 * through libcrypt, listed OpenSSH public keys), the failed-login
 * throttle the listener keeps per source address and per login, and the
 * listener's admission of connections not logged in yet (MaxStartups
 * random early drop, per-source keys).
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <crypt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#include "sftpd.h"

#define THROTTLE_FREE_TRIES	3	/* failures before any delay */
#define THROTTLE_LOCK_AFTER	10	/* failures that lock the key */
#define THROTTLE_MAX_DELAY_MS	30000
#define THROTTLE_MAX_ENTRIES	8192

struct throttle_entry {
	char		*key;
	unsigned int	 fails;
	uint64_t	 last_ms;
};

struct sftpd_throttle {
	struct throttle_entry	*v;
	size_t			 n;
	size_t			 cap;
	uint64_t		 base_ms;
	uint64_t		 lock_ms;
};

static struct throttle_entry *throttle_find(struct sftpd_throttle *,
		    const char *, uint64_t, int);
static void	 throttle_expire(struct sftpd_throttle *, uint64_t);

/*
 * Hashes password with the setting of hash and compares the result with
 * hash without an early exit. Returns 1 on a match, 0 otherwise (also for
 * a hash libcrypt cannot use).
 */
int
sftpd_auth_password(const char *hash, const char *password)
{
	struct crypt_data	*cd;
	const char		*out;
	size_t			 i, len;
	unsigned char		 diff = 0;
	int			 ok = 0;

	if (hash == NULL || password == NULL || hash[0] != '$')
		return 0;
	cd = xcalloc(1, sizeof(*cd));
	out = crypt_rn(password, hash, cd, (int)sizeof(*cd));
	if (out != NULL && out[0] != '*') {
		len = strlen(hash);
		if (strlen(out) == len) {
			for (i = 0; i < len; i++)
				diff |= (unsigned char)(out[i] ^ hash[i]);
			ok = diff == 0;
		}
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

/*
 * Returns 1 when one of the lines in keys ("type base64 [comment]") has
 * the given type and base64 blob, else 0.
 */
int
sftpd_auth_key_listed(const char **keys, size_t nkeys, const char *type,
    const char *b64)
{
	const char	*p, *q;
	size_t		 i, tlen = strlen(type), blen = strlen(b64);

	for (i = 0; i < nkeys; i++) {
		p = keys[i];
		p += strspn(p, " \t");
		if (strncmp(p, type, tlen) != 0 || (p[tlen] != ' ' &&
		    p[tlen] != '\t'))
			continue;
		p += tlen;
		p += strspn(p, " \t");
		q = p + strcspn(p, " \t\r\n");
		if ((size_t)(q - p) == blen && memcmp(p, b64, blen) == 0)
			return 1;
	}
	return 0;
}

/*
 * Makes a throttle: from the fourth failure on, a check waits base_ms
 * doubled per further failure (at most 30 s); the tenth locks the key
 * for lock_ms. A key forgets its failures lock_ms after the last one.
 */
struct sftpd_throttle *
sftpd_throttle_new(uint64_t base_ms, uint64_t lock_ms)
{
	struct sftpd_throttle	*t;

	t = xcalloc(1, sizeof(*t));
	t->base_ms = base_ms;
	t->lock_ms = lock_ms;
	return t;
}

/* Frees a throttle; takes NULL. */
void
sftpd_throttle_free(struct sftpd_throttle *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->v[i].key);
	free(t->v);
	free(t);
}

static void
throttle_expire(struct sftpd_throttle *t, uint64_t now)
{
	size_t	 i = 0;

	while (i < t->n) {
		if (now - t->v[i].last_ms >= t->lock_ms) {
			free(t->v[i].key);
			t->v[i] = t->v[--t->n];
		} else
			i++;
	}
}

static struct throttle_entry *
throttle_find(struct sftpd_throttle *t, const char *key, uint64_t now,
    int create)
{
	size_t	 i, oldest = 0;

	throttle_expire(t, now);
	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].key, key) == 0)
			return &t->v[i];
	if (!create)
		return NULL;
	if (t->n == THROTTLE_MAX_ENTRIES) {
		for (i = 1; i < t->n; i++)
			if (t->v[i].last_ms < t->v[oldest].last_ms)
				oldest = i;
		free(t->v[oldest].key);
		t->v[oldest] = t->v[--t->n];
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->v = xreallocarray(t->v, t->cap, sizeof(*t->v));
	}
	t->v[t->n].key = xstrdup(key);
	t->v[t->n].fails = 0;
	t->v[t->n].last_ms = now;
	return &t->v[t->n++];
}

/*
 * Returns how long to wait before checking a credential for key: 0, a
 * delay in milliseconds, or -1 while the key is locked.
 */
int64_t
sftpd_throttle_check(struct sftpd_throttle *t, const char *key,
    uint64_t now)
{
	struct throttle_entry	*e;
	uint64_t		 d;
	unsigned int		 i;

	if ((e = throttle_find(t, key, now, 0)) == NULL)
		return 0;
	if (e->fails >= THROTTLE_LOCK_AFTER)
		return -1;
	if (e->fails < THROTTLE_FREE_TRIES)
		return 0;
	d = t->base_ms;
	for (i = THROTTLE_FREE_TRIES; i < e->fails && d < THROTTLE_MAX_DELAY_MS;
	    i++)
		d *= 2;
	return (int64_t)(d < THROTTLE_MAX_DELAY_MS ? d : THROTTLE_MAX_DELAY_MS);
}

/* Counts a failure of key, or forgets its failures after a success. */
void
sftpd_throttle_note(struct sftpd_throttle *t, const char *key, int ok,
    uint64_t now)
{
	struct throttle_entry	*e;

	if (ok) {
		if ((e = throttle_find(t, key, now, 0)) != NULL &&
		    e->fails < THROTTLE_LOCK_AFTER)
			e->fails = 0;
		return;
	}
	e = throttle_find(t, key, now, 1);
	e->fails++;
	e->last_ms = now;
}

/*
 * Parses "begin:rate:full", or "full" alone, into out. Returns 0, or -1
 * when the numbers are malformed or out of range.
 */
int
sftpd_startups_parse(const char *s, struct sftpd_startups *out)
{
	int	 b, r, f, n = -1;

	if (sscanf(s, "%d:%d:%d%n", &b, &r, &f, &n) == 3 &&
	    n == (int)strlen(s)) {
		if (b < 1 || f < b || f > 100000 || r < 0 || r > 100)
			return -1;
	} else if (n = -1, sscanf(s, "%d%n", &f, &n) == 1 &&
	    n == (int)strlen(s)) {
		if (f < 1 || f > 100000)
			return -1;
		b = f;
		r = 100;
	} else
		return -1;
	out->begin = b;
	out->rate = r;
	out->full = f;
	return 0;
}

/*
 * Decides, as OpenSSH's drop_connection() does, whether a new connection
 * is dropped while npre are not logged in: never below begin, always
 * from full, in between when r (uniform below 100) falls under a chance
 * rising linearly from rate % at begin to 100 % at full.
 */
int
sftpd_startups_drop(const struct sftpd_startups *m, int npre, unsigned int r)
{
	int	 p;

	if (npre >= m->full)
		return 1;
	if (npre < m->begin)
		return 0;
	p = 100 - m->rate;
	p *= npre - m->begin;
	p /= m->full - m->begin;
	p += m->rate;
	return (int)r < p;
}

/*
 * Writes the source key of the address sa (salen bytes) into out: the
 * dotted IPv4 address (also for an IPv4-mapped IPv6 one), the /64 of an
 * IPv6 address as "a:b:c:d::/64", or "?" for anything else.
 */
void
sftpd_source_key(const void *sa, size_t salen, char *out, size_t outlen)
{
	const struct sockaddr		*s = sa;
	const struct sockaddr_in	*s4;
	const struct sockaddr_in6	*s6;
	struct in6_addr			 a;

	if (s->sa_family == AF_INET && salen >= sizeof(*s4)) {
		s4 = sa;
		if (inet_ntop(AF_INET, &s4->sin_addr, out, (socklen_t)outlen)
		    != NULL)
			return;
	} else if (s->sa_family == AF_INET6 && salen >= sizeof(*s6)) {
		s6 = sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			if (inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], out,
			    (socklen_t)outlen) != NULL)
				return;
		} else {
			a = s6->sin6_addr;
			memset(&a.s6_addr[8], 0, 8);
			if (inet_ntop(AF_INET6, &a, out, (socklen_t)outlen) !=
			    NULL && strlen(out) + 4 <= outlen) {
				strlcat(out, "/64", outlen);
				return;
			}
		}
	}
	strlcpy(out, "?", outlen);
}
