/*
 * fuzz_ywrite: libFuzzer target for roost's YAML writers. The bytes are a
 * value (up to the first NUL); it is written by ywrite_scalar,
 * ywrite_quoted and ywrite_value, and set by yedit_set into server files
 * where the old value was plain, single-quoted, double-quoted, absent, in
 * a flow map or a bare "key:". Every result must parse, hold no other
 * key than before, and read back as the same value; bytes that are not
 * UTF-8 (which YAML cannot hold) must still give a file that parses.
 * The bytes after the NUL, when any, are also edited as a whole file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "rerr.h"
#include "ydoc.h"
#include "yedit.h"
#include "ywrite.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* True when s is UTF-8 (what a YAML file can carry exactly). */
static int
utf8_ok(const unsigned char *s)
{
	unsigned	v, min;
	size_t		n, i;

	while (*s != '\0') {
		if (*s < 0x80) {
			s++;
			continue;
		}
		if (*s >= 0xc2 && *s < 0xe0) {
			n = 2;
			v = *s & 0x1f;
			min = 0x80;
		} else if (*s >= 0xe0 && *s < 0xf0) {
			n = 3;
			v = *s & 0x0f;
			min = 0x800;
		} else if (*s >= 0xf0 && *s < 0xf5) {
			n = 4;
			v = *s & 0x07;
			min = 0x10000;
		} else
			return 0;
		for (i = 1; i < n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			v = v << 6 | (s[i] & 0x3f);
		}
		if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
			return 0;
		s += n;
	}
	return 1;
}

/* Parses text; the value at "variables.A" (or "k") must be want. */
static void
check(const struct buf *text, const char *want, int exact, int nested)
{
	struct diags		 d;
	struct ydoc		*doc;
	const struct ydoc_node	*n;

	diags_init(&d);
	if (ydoc_parse(&doc, "w.yaml", text->data, text->len, &d) != 0)
		abort();	/* a writer produced a file that does not parse */
	n = doc->root;
	if (nested) {
		if (ydoc_get(n, "owner") != NULL)
			abort();	/* a value added a key */
		n = ydoc_get(n, "variables");
		if (n == NULL || n->type != YDOC_MAP)
			abort();
		n = ydoc_get(n, "A");
	} else
		n = ydoc_get(n, "k");
	if (n == NULL || n->type != YDOC_SCALAR)
		abort();
	if (exact && (n->len != strlen(want) || strcmp(n->str, want) != 0))
		abort();	/* the value did not come back as it went */
	ydoc_free(doc);
	diags_dispose(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	*srcs[] = { "variables:\n  A: x\n",
	    "variables:\n  A: 'x'\n", "variables:\n  A: \"x\"\n",
	    "variables:\n  B: x\n", "variables: { B: 1 }\n",
	    "variables: { A: 'x' }\n", "a: 1\n", "variables:\n",
	    "variables:\n  A:\n", "", NULL };
	static const int	 modes[] = { YEDIT_AUTO, YEDIT_STRING };
	struct buf		 out;
	struct rerr		 err;
	char			*v;
	const char		*rest;
	size_t			 vlen, i, j;
	int			 exact;

	vlen = strnlen((const char *)data, size);
	v = malloc(vlen + 1);
	if (v == NULL)
		return 0;
	memcpy(v, data, vlen);
	v[vlen] = '\0';
	exact = utf8_ok((const unsigned char *)v);

	buf_init(&out, 0);
	buf_puts(&out, "k: ");
	ywrite_scalar(&out, v);
	buf_putc(&out, '\n');
	check(&out, v, exact, 0);
	buf_reset(&out);
	buf_puts(&out, "k: ");
	ywrite_quoted(&out, v);
	buf_putc(&out, '\n');
	check(&out, v, exact, 0);
	buf_reset(&out);
	buf_puts(&out, "k:");
	ywrite_value(&out, v, 2);
	check(&out, v, exact, 0);

	for (i = 0; srcs[i] != NULL; i++)
		for (j = 0; j < sizeof(modes) / sizeof(modes[0]); j++) {
			buf_reset(&out);
			rerr_init(&err);
			if (yedit_set(&out, srcs[i], strlen(srcs[i]),
			    "variables.A", v, modes[j], &err) != 0)
				abort();
			check(&out, v, exact, 1);
		}

	/* The rest of the bytes as a file to edit: never a crash. */
	if (vlen < size) {
		rest = (const char *)data + vlen + 1;
		buf_reset(&out);
		rerr_init(&err);
		(void)yedit_set(&out, rest, size - vlen - 1, "limits.memory",
		    v, YEDIT_AUTO, &err);
		buf_reset(&out);
		(void)yedit_delete(&out, rest, size - vlen - 1, "variables.A",
		    &err);
	}
	buf_dispose(&out);
	free(v);
	return 0;
}
