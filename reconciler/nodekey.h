/*
 * nodekey: the node's sealing keys in roostd's dataDir and the re-sealing
 * of values only this node can open. The key pair is made at the first
 * start (seal.key, mode 0600, never logged); a rotation keeps the previous
 * key as seal.key.old so that values sealed to it still open until they
 * are resealed (docs/secrets.md).
 */
#ifndef ROOST_NODEKEY_H
#define ROOST_NODEKEY_H

#include <stddef.h>

struct buf;
struct rerr;
struct seal_key;
struct state;

#define NODEKEY_MAX	2	/* the current key and the previous one */

/*
 * Loads the keys of the node from data_dir into keys (NODEKEY_MAX slots;
 * the current key first), making the key pair when there is none (*created
 * set). With rotate, the current key becomes seal.key.old (replacing an
 * older one) and a new key pair is made first. Returns 0 or -1 with err
 * set.
 */
int	nodekey_load(const char *data_dir, int rotate, struct seal_key *keys,
	    size_t *nkeys, int *created, struct rerr *err);

/*
 * POST /v1/secrets/reseal: every sealed variable value of st that node
 * opens with keys is sealed again, to the nodes the JSON body names
 * ({"nodes": ["n1", "n2"]}) or else to the recipients secret.h's rules
 * give, with the sealKeys committed in st. Appends the JSON answer
 * ({"node", "values": [{server, variable, value, nodes}], "failed":
 * [{server, variable, error}]}) to out and returns the HTTP status. No
 * plaintext is ever put in out.
 */
int	nodekey_reseal(const struct state *st, const char *node,
	    const struct seal_key *keys, size_t nkeys, const char *body,
	    size_t len, struct buf *out);

#endif
