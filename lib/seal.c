/*
 * seal: sealed secrets with libsodium's sealed boxes (X25519, XSalsa20-
 * Poly1305); the only file that includes sodium.h. See seal.h for the
 * format of sealed values and keys.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "log.h"
#include "rerr.h"
#include "seal.h"
#include "util.h"
#include "xmalloc.h"

#define B64	sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define KEYFILE_TAG	"roost-seal-key-v1 "
#define KEYFILE_MAX	256

static void
seal_init(void)
{
	if (sodium_init() < 0)
		fatalx("libsodium cannot be initialised");
}

/* True when s starts with the sealed prefix. */
int
seal_is_sealed(const char *s)
{
	return s != NULL && strncmp(s, SEAL_PREFIX,
	    sizeof(SEAL_PREFIX) - 1) == 0;
}

/* The key id: 4 bytes of BLAKE2b of the public key, in hex. */
void
seal_kid(const unsigned char pk[SEAL_KEYLEN], char out[SEAL_KIDLEN])
{
	unsigned char	h[16];

	seal_init();
	crypto_generichash(h, sizeof(h), pk, SEAL_KEYLEN,
	    (const unsigned char *)"roost-kid", 9);
	snprintf(out, SEAL_KIDLEN, "%02x%02x%02x%02x", h[0], h[1], h[2], h[3]);
}

/* Computes pk and kid from sk. */
void
seal_key_complete(struct seal_key *key)
{
	seal_init();
	crypto_scalarmult_base(key->pk, key->sk);
	seal_kid(key->pk, key->kid);
}

/* A new key pair. */
void
seal_key_generate(struct seal_key *key)
{
	seal_init();
	crypto_box_keypair(key->pk, key->sk);
	randombytes_buf(key->hk, sizeof(key->hk));
	seal_kid(key->pk, key->kid);
}

/* Clears the secret half of a key. */
void
seal_key_wipe(struct seal_key *key)
{
	sodium_memzero(key, sizeof(*key));
}

/* Wipes and frees a string. */
void
seal_free(char *p, size_t len)
{
	if (p == NULL)
		return;
	sodium_memzero(p, len);
	free(p);
}

/* Decodes exactly n bytes of URL-safe base64 s (slen chars) into out. */
static int
b64_decode(const char *s, size_t slen, unsigned char *out, size_t max,
    size_t *n)
{
	size_t	i;

	for (i = 0; i < slen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return -1;
	}
	seal_init();
	if (sodium_base642bin(out, max, s, slen, NULL, n, NULL, B64) != 0)
		return -1;
	return 0;
}

/* Writes a public key in base64. */
void
seal_pub_encode(const unsigned char pk[SEAL_KEYLEN], char out[SEAL_PUBSTRLEN])
{
	seal_init();
	sodium_bin2base64(out, SEAL_PUBSTRLEN, pk, SEAL_KEYLEN, B64);
}

/* Reads a public key. */
int
seal_pub_decode(const char *s, unsigned char pk[SEAL_KEYLEN],
    struct rerr *err)
{
	size_t	n = 0;

	if (s == NULL || strlen(s) != SEAL_PUBSTRLEN - 1 ||
	    b64_decode(s, strlen(s), pk, SEAL_KEYLEN, &n) != 0 ||
	    n != SEAL_KEYLEN)
		return rerr_set(err, ROOST_EINVAL, "a seal key is 43 "
		    "characters of URL-safe base64 (as \"roost node pubkey\" "
		    "prints it)");
	return 0;
}

/* Reads a key file's text ("TAG sk hk") into key. */
static int
key_parse(const char *text, size_t len, struct seal_key *key,
    const char *name, struct rerr *err)
{
	size_t		 tl = sizeof(KEYFILE_TAG) - 1, n = 0, m = 0, end;
	const char	*sp;

	end = len;
	while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r'))
		end--;
	sp = end > tl ? memchr(text + tl, ' ', end - tl) : NULL;
	if (len < tl || memcmp(text, KEYFILE_TAG, tl) != 0 || sp == NULL ||
	    b64_decode(text + tl, (size_t)(sp - text) - tl, key->sk,
	    SEAL_KEYLEN, &n) != 0 || n != SEAL_KEYLEN ||
	    b64_decode(sp + 1, end - (size_t)(sp + 1 - text), key->hk,
	    SEAL_KEYLEN, &m) != 0 || m != SEAL_KEYLEN) {
		seal_key_wipe(key);
		return rerr_set(err, ROOST_EGENERIC, "key file \"%s\" is "
		    "damaged; restore it from a backup, or move it away and "
		    "reseal every value for this node", name);
	}
	seal_key_complete(key);
	return 0;
}

/* Writes a key file. */
int
seal_key_save_at(int dirfd, const char *name, const struct seal_key *key,
    struct rerr *err)
{
	char	text[KEYFILE_MAX];
	size_t	tl = sizeof(KEYFILE_TAG) - 1;
	int	rc;

	seal_init();
	memcpy(text, KEYFILE_TAG, tl);
	sodium_bin2base64(text + tl, sizeof(text) - tl - 1, key->sk,
	    SEAL_KEYLEN, B64);
	strlcat(text, " ", sizeof(text));
	sodium_bin2base64(text + strlen(text), sizeof(text) - strlen(text) - 1,
	    key->hk, SEAL_KEYLEN, B64);
	strlcat(text, "\n", sizeof(text));
	rc = util_write_atomic_at(dirfd, name, text, strlen(text), 0600, err);
	sodium_memzero(text, sizeof(text));
	return rc;
}

/* Reads (or makes) the key file name beneath dirfd. */
int
seal_key_load_at(int dirfd, const char *name, int create,
    struct seal_key *key, int *created, struct rerr *err)
{
	struct stat	sb;
	char		text[KEYFILE_MAX];
	ssize_t		n;
	int		fd, rc;

	if (created != NULL)
		*created = 0;
	memset(key, 0, sizeof(*key));
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		if (!create)
			return rerr_set(err, ROOST_ENOTFOUND, "no key file "
			    "\"%s\"", name);
		seal_key_generate(key);
		if (seal_key_save_at(dirfd, name, key, err) != 0) {
			seal_key_wipe(key);
			return -1;
		}
		if (created != NULL)
			*created = 1;
		return 0;
	}
	if (fd == -1)
		return rerr_errno(err, -1, "key file \"%s\" cannot be opened "
		    "(a link or not readable?)", name);
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return rerr_set(err, -1, "key file \"%s\" is not a regular "
		    "file", name);
	}
	if ((sb.st_mode & 077) != 0) {
		close(fd);
		return rerr_set(err, -1, "key file \"%s\" may be read by "
		    "others (mode %03o); chmod 600 it", name,
		    (unsigned)(sb.st_mode & 0777));
	}
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n < 0 || (size_t)n >= sizeof(text)) {
		sodium_memzero(text, sizeof(text));
		return rerr_set(err, -1, "key file \"%s\" cannot be read",
		    name);
	}
	rc = key_parse(text, (size_t)n, key, name, err);
	sodium_memzero(text, sizeof(text));
	return rc;
}

/* True when a node name can be a recipient. */
static int
node_ok(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || n > SEAL_MAX_NODE)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.'))
			return 0;
	}
	return 1;
}

/* Seals plain to every key of to. */
int
seal_seal(const void *plain, size_t len, const struct seal_pub *to,
    size_t n, struct buf *out, struct rerr *err)
{
	unsigned char	*box;
	char		*b64, kid[SEAL_KIDLEN];
	size_t		 i, j, b64len;

	if (len == 0)
		return rerr_set(err, ROOST_EINVAL, "an empty value is not "
		    "sealed (an empty value removes the variable)");
	if (len > SEAL_MAX_PLAIN)
		return rerr_set(err, ROOST_EINVAL, "a secret is at most %d "
		    "bytes, not %zu", SEAL_MAX_PLAIN, len);
	if (memchr(plain, '\0', len) != NULL)
		return rerr_set(err, ROOST_EINVAL, "a secret cannot hold a "
		    "NUL byte");
	if (n == 0)
		return rerr_set(err, ROOST_EINVAL, "no node to seal to: no "
		    "node has a sealKey in nodes/<node>.yaml");
	if (n > SEAL_MAX_RECIPIENTS)
		return rerr_set(err, ROOST_EINVAL, "a value is sealed to at "
		    "most %d nodes, not %zu", SEAL_MAX_RECIPIENTS, n);
	for (i = 0; i < n; i++) {
		if (to[i].node == NULL || !node_ok(to[i].node,
		    strlen(to[i].node)))
			return rerr_set(err, ROOST_EINVAL, "node name \"%.80s\" "
			    "cannot be a recipient (use a-z, 0-9, '-', '_' "
			    "and '.')", to[i].node ? to[i].node : "");
		for (j = 0; j < i; j++)
			if (strcmp(to[i].node, to[j].node) == 0)
				return rerr_set(err, ROOST_EINVAL, "node \"%s\" "
				    "is given twice", to[i].node);
	}
	seal_init();
	box = xmalloc(len + crypto_box_SEALBYTES);
	b64len = sodium_base64_ENCODED_LEN(len + crypto_box_SEALBYTES, B64);
	b64 = xmalloc(b64len);
	buf_puts(out, SEAL_PREFIX);
	for (i = 0; i < n; i++) {
		if (crypto_box_seal(box, plain, len, to[i].pk) != 0)
			fatalx("crypto_box_seal failed");
		sodium_bin2base64(b64, b64len, box, len + crypto_box_SEALBYTES,
		    B64);
		seal_kid(to[i].pk, kid);
		buf_addf(out, "%s%s:%s:%s", i ? "," : "", to[i].node, kid,
		    b64);
	}
	free(b64);
	free(box);
	return 0;
}

/* Frees a parsed value. */
void
seal_value_dispose(struct seal_value *v)
{
	size_t	i;

	for (i = 0; i < v->n; i++)
		free(v->v[i].box);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

/* Parses one "node:kid:box" of length n starting at offset off. */
static int
parse_rcpt(const char *s, size_t n, size_t off, struct seal_rcpt *r,
    struct rerr *err)
{
	const char	*c1, *c2;
	size_t		 i, max;
	int		 short_box;

	if ((c1 = memchr(s, ':', n)) == NULL)
		return rerr_set(err, ROOST_EINVAL, "sealed value, byte %zu: "
		    "a recipient is node:key-id:box", off + 1);
	if (!node_ok(s, (size_t)(c1 - s)))
		return rerr_set(err, ROOST_EINVAL, "sealed value, byte %zu: "
		    "not a node name", off + 1);
	memcpy(r->node, s, (size_t)(c1 - s));
	r->node[c1 - s] = '\0';
	c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - s));
	if (c2 == NULL || c2 - c1 - 1 != SEAL_KIDLEN - 1)
		return rerr_set(err, ROOST_EINVAL, "sealed value, byte %zu: "
		    "the key id is 8 hex digits", off + (size_t)(c1 - s) + 2);
	for (i = 0; i < SEAL_KIDLEN - 1; i++) {
		char c = c1[1 + i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return rerr_set(err, ROOST_EINVAL, "sealed value, "
			    "byte %zu: the key id is 8 hex digits",
			    off + (size_t)(c1 - s) + 2 + i);
		r->kid[i] = c;
	}
	r->kid[SEAL_KIDLEN - 1] = '\0';
	n -= (size_t)(c2 + 1 - s);
	max = n * 3 / 4 + 3;
	short_box = n < sodium_base64_ENCODED_LEN(crypto_box_SEALBYTES + 1,
	    B64) - 1;
	if (short_box || n > sodium_base64_ENCODED_LEN(crypto_box_SEALBYTES +
	    SEAL_MAX_PLAIN, B64) - 1)
		return rerr_set(err, ROOST_EINVAL, "sealed value, byte %zu: "
		    "the box for node \"%s\" is %s", off + (size_t)(c2 + 1 - s)
		    + 1, r->node, short_box ? "truncated" : "too long");
	r->box = xmalloc(max);
	if (b64_decode(c2 + 1, n, r->box, max, &r->boxlen) != 0)
		return rerr_set(err, ROOST_EINVAL, "sealed value, byte %zu: "
		    "the box for node \"%s\" is not URL-safe base64 (damaged "
		    "or truncated)", off + (size_t)(c2 + 1 - s) + 1, r->node);
	return 0;
}

/* Parses a sealed value. */
int
seal_value_parse(const char *s, struct seal_value *out, struct rerr *err)
{
	size_t		 pl = sizeof(SEAL_PREFIX) - 1, off, n, i;
	const char	*p, *comma;

	memset(out, 0, sizeof(*out));
	if (!seal_is_sealed(s))
		return rerr_set(err, ROOST_EINVAL, "a sealed value starts "
		    "with \"%s\"", SEAL_PREFIX);
	off = pl;
	p = s + pl;
	for (;;) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (out->n == SEAL_MAX_RECIPIENTS) {
			rerr_set(err, ROOST_EINVAL, "sealed value, byte %zu: "
			    "more than %d recipients", off + 1,
			    SEAL_MAX_RECIPIENTS);
			goto fail;
		}
		out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
		memset(&out->v[out->n], 0, sizeof(out->v[0]));
		out->n++;
		if (parse_rcpt(p, n, off, &out->v[out->n - 1], err) != 0)
			goto fail;
		for (i = 0; i + 1 < out->n; i++)
			if (strcmp(out->v[i].node, out->v[out->n - 1].node) ==
			    0) {
				rerr_set(err, ROOST_EINVAL, "sealed value, byte "
				    "%zu: node \"%s\" is a recipient twice",
				    off + 1, out->v[i].node);
				goto fail;
			}
		if (comma == NULL)
			break;
		off += n + 1;
		p = comma + 1;
	}
	return 0;
fail:
	seal_value_dispose(out);
	return ROOST_EINVAL;
}

/* Appends the names of v's nodes. */
static void
nodes_of(const struct seal_value *v, struct buf *out)
{
	size_t	i;

	for (i = 0; i < v->n; i++)
		buf_addf(out, "%s%s", i ? ", " : "", v->v[i].node);
}

/* The nodes a value opens on. */
void
seal_nodes(const char *s, struct buf *out)
{
	struct seal_value	v;

	if (seal_value_parse(s, &v, NULL) != 0) {
		buf_puts(out, "(malformed)");
		return;
	}
	nodes_of(&v, out);
	seal_value_dispose(&v);
}

/* Opens r with the key whose id it names. */
static int
open_rcpt(const struct seal_rcpt *r, const char *node,
    const struct seal_key *keys, size_t nkeys, char **plain, size_t *len,
    struct rerr *err)
{
	const struct seal_key	*k = NULL;
	unsigned char		*m;
	size_t			 i, mlen;

	for (i = 0; i < nkeys; i++)
		if (strcmp(keys[i].kid, r->kid) == 0)
			k = &keys[i];
	if (k == NULL)
		return rerr_set(err, ROOST_EDENIED, "sealed to key %s of "
		    "node \"%s\", which this node no longer has (its key is "
		    "%s): reseal it for the node's current sealKey", r->kid,
		    node, nkeys > 0 ? keys[0].kid : "none");
	if (r->boxlen <= crypto_box_SEALBYTES)
		return rerr_set(err, ROOST_EINVAL, "the box for node \"%s\" "
		    "is truncated", node);
	mlen = r->boxlen - crypto_box_SEALBYTES;
	m = xmalloc(mlen + 1);
	if (crypto_box_seal_open(m, r->box, r->boxlen, k->pk, k->sk) != 0) {
		free(m);
		return rerr_set(err, ROOST_EINVAL, "the box for node \"%s\" "
		    "does not open: it is damaged or truncated; seal the "
		    "value again", node);
	}
	m[mlen] = '\0';
	if (memchr(m, '\0', mlen) != NULL) {
		seal_free((char *)m, mlen);
		return rerr_set(err, ROOST_EINVAL, "the value sealed for "
		    "node \"%s\" holds a NUL byte", node);
	}
	*plain = (char *)m;
	*len = mlen;
	return 0;
}

/* Opens a sealed value as node. */
int
seal_open(const char *s, const char *node, const struct seal_key *keys,
    size_t nkeys, char **plain, size_t *len, struct rerr *err)
{
	struct seal_value	 v;
	struct buf		 who;
	size_t			 i;
	int			 rc;

	*plain = NULL;
	*len = 0;
	if ((rc = seal_value_parse(s, &v, err)) != 0)
		return rc;
	for (i = 0; i < v.n; i++)
		if (strcmp(v.v[i].node, node) == 0)
			break;
	if (i == v.n) {
		buf_init(&who, 0);
		nodes_of(&v, &who);
		rc = rerr_set(err, ROOST_ENOTFOUND, "sealed for %s, not for "
		    "this node \"%s\": seal it again with this node among the "
		    "recipients", buf_str(&who), node);
		buf_dispose(&who);
	} else
		rc = open_rcpt(&v.v[i], node, keys, nkeys, plain, len, err);
	seal_value_dispose(&v);
	return rc;
}

/* A keyed hash of a plaintext. */
void
seal_mac(const struct seal_key *key, const void *p, size_t len, char out[33])
{
	unsigned char	h[16];
	size_t		i;

	seal_init();
	crypto_generichash(h, sizeof(h), p, len, key->hk, SEAL_KEYLEN);
	for (i = 0; i < sizeof(h); i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}
