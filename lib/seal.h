/*
 * seal: sealed secrets, the only user of libsodium. A node has an X25519
 * key pair; anyone holding its public key (committed in nodes/<node>.yaml
 * as sealKey) seals a value to it with a sealed box, and only the node
 * opens it. A sealed value is one line of text that fits in a variable:
 *
 *   sealed:v1:<node>:<kid>:<box>[,<node>:<kid>:<box>]...
 *
 * one recipient per node that may open it: the node's name, the id of the
 * key it was sealed to (8 hex digits of a BLAKE2b hash of the public key,
 * so a value sealed before a key changed is told apart from a damaged
 * one) and the sealed box in unpadded URL-safe base64. Public keys are
 * written the same way (43 characters). The format is described in
 * docs/secrets.md.
 *
 * Ownership: a struct seal_key holds secret bytes; wipe it with
 * seal_key_wipe. Strings returned are owned by the caller.
 */
#ifndef ROOST_SEAL_H
#define ROOST_SEAL_H

#include <stddef.h>

struct buf;
struct rerr;

#define SEAL_PREFIX		"sealed:v1:"
#define SEAL_KEYLEN		32	/* X25519 public and secret keys */
#define SEAL_PUBSTRLEN		44	/* base64 of a public key, with NUL */
#define SEAL_KIDLEN		9	/* 8 hex digits, with NUL */
#define SEAL_MAX_PLAIN		4096	/* bytes of one secret */
#define SEAL_MAX_RECIPIENTS	32
#define SEAL_MAX_NODE		63	/* bytes of a recipient's node name */
#define SEAL_KEYFILE		"seal.key"	/* under roostd's dataDir */
#define SEAL_OLDKEYFILE		"seal.key.old"	/* the key before a rotation */

/*
 * A node's key pair, and the key of seal_mac (kept across rotations, so
 * that a container's spec hash does not change when only the key does).
 */
struct seal_key {
	unsigned char	pk[SEAL_KEYLEN];
	unsigned char	sk[SEAL_KEYLEN];
	unsigned char	hk[SEAL_KEYLEN];
	char		kid[SEAL_KIDLEN];
};

/* A public key to seal to, with the name of its node (borrowed). */
struct seal_pub {
	const char	*node;
	unsigned char	 pk[SEAL_KEYLEN];
};

/* One recipient of a parsed sealed value. */
struct seal_rcpt {
	char		 node[SEAL_MAX_NODE + 1];
	char		 kid[SEAL_KIDLEN];
	unsigned char	*box;
	size_t		 boxlen;
};

/* A parsed sealed value; dispose with seal_value_dispose. */
struct seal_value {
	struct seal_rcpt	*v;
	size_t			 n;
};

/* True when s starts with SEAL_PREFIX (s may be NULL). */
int	seal_is_sealed(const char *s);

/* Makes a new key pair (and hash key) from the system's random source. */
void	seal_key_generate(struct seal_key *key);
/* Computes the public key and key id from the secret key. */
void	seal_key_complete(struct seal_key *key);
/* Clears a key's secret bytes. */
void	seal_key_wipe(struct seal_key *key);

/*
 * Reads the key pair in file name beneath directory dirfd (never following
 * a link; the file must be a regular file of mode 0600 or stricter).
 * When it does not exist and create is set, makes a new one (0600,
 * written atomically) and sets *created. Returns 0, ROOST_ENOTFOUND
 * (absent, create not set) or -1 with err set; the message never holds
 * key bytes.
 */
int	seal_key_load_at(int dirfd, const char *name, int create,
	    struct seal_key *key, int *created, struct rerr *err);
/* Writes key to name beneath dirfd (0600, atomically). Returns 0 or -1. */
int	seal_key_save_at(int dirfd, const char *name,
	    const struct seal_key *key, struct rerr *err);

/* Writes the base64 of a public key into out. */
void	seal_pub_encode(const unsigned char pk[SEAL_KEYLEN],
	    char out[SEAL_PUBSTRLEN]);
/* Reads a public key written by seal_pub_encode. Returns 0 or ROOST_EINVAL. */
int	seal_pub_decode(const char *s, unsigned char pk[SEAL_KEYLEN],
	    struct rerr *err);
/* The key id of a public key. */
void	seal_kid(const unsigned char pk[SEAL_KEYLEN], char out[SEAL_KIDLEN]);

/*
 * Seals len bytes of plain (at most SEAL_MAX_PLAIN, no NUL byte) to each
 * of the n public keys and appends the sealed value to out. Returns 0, or
 * ROOST_EINVAL (empty, too long, a NUL, no recipient, a node name that
 * cannot be written, the same node twice).
 */
int	seal_seal(const void *plain, size_t len, const struct seal_pub *to,
	    size_t n, struct buf *out, struct rerr *err);

/*
 * Parses sealed value s without opening it. Returns 0 with *out filled, or
 * ROOST_EINVAL with err naming the byte where it went wrong.
 */
int	seal_value_parse(const char *s, struct seal_value *out,
	    struct rerr *err);
/* Frees what a parsed value holds. */
void	seal_value_dispose(struct seal_value *v);

/*
 * Opens sealed value s as node, with its keys (keys[0] the current one,
 * the others older ones still kept). On success *plain (NUL-terminated,
 * owned by the caller; wipe it with seal_free) holds *len bytes. Returns 0,
 * ROOST_ENOTFOUND (not sealed for this node), ROOST_EDENIED (sealed to a
 * key of this node it no longer has) or ROOST_EINVAL (malformed, damaged,
 * truncated); the message names the nodes that can open it but never
 * holds plaintext.
 */
int	seal_open(const char *s, const char *node,
	    const struct seal_key *keys, size_t nkeys, char **plain,
	    size_t *len, struct rerr *err);

/*
 * Appends to out the nodes a sealed value can be opened by ("n1, n2"); a
 * value that does not parse gives "(malformed)".
 */
void	seal_nodes(const char *s, struct buf *out);

/*
 * A keyed hash of len bytes of p under key's hash key (32 hex digits):
 * equal plaintexts give equal hashes on one node, and the hash says
 * nothing about the plaintext to whoever lacks the key.
 */
void	seal_mac(const struct seal_key *key, const void *p, size_t len,
	    char out[33]);

/* Wipes and frees a string of len bytes (NUL not counted); takes NULL. */
void	seal_free(char *p, size_t len);

#endif
