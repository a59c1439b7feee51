/*
 * sftpd_auth: credential checks for roost-sftpd (crypt(3) password hashes
 * through libcrypt, listed OpenSSH public keys) and the failed-login
 * throttle the listener keeps per source address and per login.
 */
#include <crypt.h>
#include <stdint.h>
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
