/*
 * fuzz_seal: libFuzzer target for the sealed-value parser (lib/seal.c),
 * whose input is any variable value of a server file. The bytes are read
 * as a sealed value: one that parses has one to SEAL_MAX_RECIPIENTS
 * recipients with node names and 8-hex-digit key ids, distinct nodes and
 * boxes no shorter than a sealed box's overhead; opening it with a fixed
 * key never crashes and, for these bytes, never succeeds unless the box
 * really was sealed to that key. The bytes are also read as a public key.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rerr.h"
#include "seal.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seal_value	 v;
	struct seal_key		 key;
	struct rerr		 err;
	struct buf		 who;
	unsigned char		 pk[SEAL_KEYLEN];
	char			*s, *plain;
	size_t			 i, j, len;

	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	rerr_init(&err);
	if (seal_value_parse(s, &v, &err) == 0) {
		if (v.n == 0 || v.n > SEAL_MAX_RECIPIENTS)
			abort();
		for (i = 0; i < v.n; i++) {
			if (v.v[i].node[0] == '\0' ||
			    strlen(v.v[i].kid) != SEAL_KIDLEN - 1 ||
			    strspn(v.v[i].kid, "0123456789abcdef") !=
			    SEAL_KIDLEN - 1 || v.v[i].boxlen < 49)
				abort();
			for (j = 0; j < i; j++)
				if (strcmp(v.v[i].node, v.v[j].node) == 0)
					abort();
		}
		memset(&key, 0, sizeof(key));
		key.sk[0] = 1;
		seal_key_complete(&key);
		/* With the recipient's own key id, so the box is tried. */
		memcpy(key.kid, v.v[0].kid, SEAL_KIDLEN);
		if (seal_open(s, v.v[0].node, &key, 1, &plain, &len,
		    &err) == 0)
			seal_free(plain, len);
		seal_value_dispose(&v);
	} else if (err.msg[0] == '\0')
		abort();
	buf_init(&who, 0);
	seal_nodes(s, &who);
	buf_dispose(&who);
	(void)seal_pub_decode(s, pk, NULL);
	free(s);
	return 0;
}
