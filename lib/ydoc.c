/*
 * ydoc: libyaml events turned into a positioned node tree (see ydoc.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "diag.h"
#include "log.h"
#include "rerr.h"
#include "xmalloc.h"
#include "ydoc.h"

#define YDOC_MAX_DEPTH	64

struct ydoc_parser {
	struct ydoc	*doc;
	yaml_parser_t	 p;
	size_t		*lines;		/* byte offset of each line start */
	size_t		 nlines;
	size_t		 cur_line;	/* the last mark converted... */
	size_t		 cur_col;
	size_t		 cur_off;	/* ...and its byte offset */
	int		 flags;
	int		 toomany;	/* the node cap was reported */
	struct diags	*d;
};

static struct ydoc_node *ydoc_node_new(struct ydoc_parser *, enum ydoc_type,
		    const yaml_event_t *);
static int	ydoc_parse_node(struct ydoc_parser *, yaml_event_t *,
		    struct ydoc_node **, int);

/*
 * Length of the line break at p (libyaml's breaks: CR LF, CR, LF, NEL,
 * LS, PS), or 0.
 */
static size_t
ydoc_break_len(const unsigned char *p, size_t left)
{
	if (left == 0)
		return 0;
	if (p[0] == '\n')
		return 1;
	if (p[0] == '\r')
		return left > 1 && p[1] == '\n' ? 2 : 1;
	if (p[0] == 0xc2 && left > 1 && p[1] == 0x85)
		return 2;
	if (p[0] == 0xe2 && left > 2 && p[1] == 0x80 &&
	    (p[2] == 0xa8 || p[2] == 0xa9))
		return 3;
	return 0;
}

/* Byte length of the UTF-8 character starting with c. */
static size_t
ydoc_char_len(unsigned char c)
{
	if (c < 0xc0)
		return 1;
	if (c < 0xe0)
		return 2;
	if (c < 0xf0)
		return 3;
	return 4;
}

/*
 * Converts a libyaml mark (line, column in characters) to a byte offset.
 * Marks arrive almost in source order, so the walk starts from the last
 * mark converted when it is on the same line: a document costs time in
 * proportion to its length, however many nodes share a line.
 */
static size_t
ydoc_offset(struct ydoc_parser *yp, const yaml_mark_t *m)
{
	struct ydoc		*doc = yp->doc;
	const unsigned char	*s = (const unsigned char *)doc->src;
	size_t			 off, col;

	if (m->line >= yp->nlines)
		return doc->len;
	if (m->line == yp->cur_line && m->column >= yp->cur_col) {
		off = yp->cur_off;
		col = yp->cur_col;
	} else if (m->line == yp->cur_line &&
	    yp->cur_col - m->column < m->column) {
		/* A little back on the same line: walk back. */
		off = yp->cur_off;
		for (col = yp->cur_col; col > m->column && off > 0; col--) {
			off--;
			doc->walked++;
			while (off > yp->lines[m->line] &&
			    (s[off] & 0xc0) == 0x80)
				off--;
		}
	} else {
		off = yp->lines[m->line];
		col = 0;
	}
	for (; col < m->column && off < doc->len; col++) {
		off += ydoc_char_len(s[off]);
		doc->walked++;
	}
	if (off > doc->len)
		off = doc->len;
	yp->cur_line = m->line;
	yp->cur_col = m->column;
	yp->cur_off = off;
	return off;
}

/*
 * A document's nodes, their strings and item arrays come from blocks of
 * YDOC_BLOCK bytes (a larger request gets a block of its own), all freed
 * by ydoc_free: a file's parse is a handful of mallocs, not one or more
 * per value, which keeps a load of 100,000 files out of malloc's way.
 */
#define YDOC_BLOCK	992

struct ydoc_block {
	struct ydoc_block	*next;
	size_t			 used;
	size_t			 size;
	_Alignas(16) unsigned char data[];
};

/* len bytes of doc's blocks, 16-byte aligned, not zeroed. */
static void *
ydoc_alloc(struct ydoc *doc, size_t len)
{
	struct ydoc_block	*b = doc->blocks;
	void			*p;

	if (len > SIZE_MAX / 2)
		fatalx("ydoc: allocation of %zu bytes", len);
	len = (len + 15) & ~(size_t)15;
	if (len > YDOC_BLOCK / 4) {
		/* Its own block, behind the one that serves small ones. */
		b = xmalloc(sizeof(*b) + len);
		b->used = b->size = len;
		if (doc->blocks == NULL) {
			b->next = NULL;
			doc->blocks = b;
		} else {
			b->next = doc->blocks->next;
			doc->blocks->next = b;
		}
		return b->data;
	}
	if (b == NULL || b->size - b->used < len) {
		b = xmalloc(sizeof(*b) + YDOC_BLOCK);
		b->used = 0;
		b->size = YDOC_BLOCK;
		b->next = doc->blocks;
		doc->blocks = b;
	}
	p = b->data + b->used;
	b->used += len;
	return p;
}

static char *
ydoc_strdup(struct ydoc *doc, const char *str)
{
	size_t	 len = strlen(str) + 1;

	return memcpy(ydoc_alloc(doc, len), str, len);
}

static struct ydoc_node *
ydoc_node_new(struct ydoc_parser *yp, enum ydoc_type type,
    const yaml_event_t *ev)
{
	struct ydoc		*doc = yp->doc;
	struct ydoc_node	*n;

	if (doc->nall >= YDOC_MAX_NODES) {
		diags_add(yp->d, doc->path, (int)ev->start_mark.line + 1,
		    (int)ev->start_mark.column + 1, "more than %d yaml "
		    "values in one file", YDOC_MAX_NODES);
		return NULL;
	}
	n = ydoc_alloc(doc, sizeof(*n));
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->line = (int)ev->start_mark.line + 1;
	n->col = (int)ev->start_mark.column + 1;
	if (doc->nall == doc->capall) {
		doc->capall = doc->capall ? doc->capall * 2 : 32;
		doc->all = xreallocarray(doc->all, doc->capall,
		    sizeof(*doc->all));
	}
	doc->all[doc->nall++] = n;
	return n;
}

/*
 * Appends child to a collection. Maps hold keys and values alternately in
 * items; n counts complete pairs, so *nslots tracks the slots in use.
 */
static void
ydoc_push(struct ydoc *doc, struct ydoc_node *coll, struct ydoc_node *child,
    size_t *nslots, size_t *cap)
{
	struct ydoc_node	**items;

	if (*nslots == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		items = ydoc_alloc(doc, *cap * sizeof(*items));
		if (*nslots > 0)
			memcpy(items, coll->items, *nslots * sizeof(*items));
		coll->items = items;
	}
	coll->items[(*nslots)++] = child;
	coll->n = coll->type == YDOC_MAP ? *nslots / 2 : *nslots;
}

/*
 * Writes key for a message into out (size outsz): at most 60 bytes, with
 * control characters and invisible line breaks shown as \uXXXX so a
 * message cannot hide or forge a line.
 */
static void
ydoc_key_text(const struct ydoc_node *k, char *out, size_t outsz)
{
	const unsigned char	*p = (const unsigned char *)k->str;
	size_t			 i, o = 0, cl;

	for (i = 0; i < k->len && o + 8 < outsz; i += cl) {
		cl = ydoc_char_len(p[i]);
		if (i + cl > k->len)
			cl = k->len - i;
		if (o > 60) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (p[i] < 0x20 || p[i] == 0x7f)
			o += (size_t)snprintf(out + o, outsz - o, "\\u%04x",
			    p[i]);
		else if (cl == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)
			o += (size_t)snprintf(out + o, outsz - o, "\\u%04x",
			    p[i + 1]);
		else if (cl == 3 && p[i] == 0xe2 && p[i + 1] == 0x80 &&
		    (p[i + 2] == 0xa8 || p[i + 2] == 0xa9))
			o += (size_t)snprintf(out + o, outsz - o, "\\u%04x",
			    0x2000 + (p[i + 2] - 0x80));
		else if (cl == 3 && p[i] == 0xef && p[i + 1] == 0xbb &&
		    p[i + 2] == 0xbf)
			o += (size_t)snprintf(out + o, outsz - o, "\\ufeff");
		else {
			memcpy(out + o, p + i, cl);
			o += cl;
		}
	}
	out[o] = '\0';
}

static uint64_t
ydoc_hash(const char *s, size_t len)
{
	uint64_t	h = 1469598103934665603ULL;
	size_t		i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/*
 * A key may appear once in a map: a repeated key would let the second
 * value hide below the first in a review. Checked with a hash table, so
 * a map of any size costs time in proportion to its keys.
 */
static int
ydoc_dup_check(const struct ydoc *doc, struct diags *d,
    const struct ydoc_node *map)
{
	const struct ydoc_node	**tab, *k, *o;
	char			  t[96];
	size_t			  sz = 16, i, h;
	int			  rc = 0;

	if (map->n < 2)
		return 0;
	while (sz < map->n * 2)
		sz *= 2;
	tab = xcalloc(sz, sizeof(*tab));
	for (i = 0; i < map->n && rc == 0; i++) {
		k = map->items[i * 2];
		/* As C strings, the way every reader compares keys. */
		for (h = ydoc_hash(k->str, strlen(k->str)) & (sz - 1);
		    (o = tab[h]) != NULL; h = (h + 1) & (sz - 1)) {
			if (strcmp(o->str, k->str) == 0)
				break;
		}
		if (o == NULL) {
			tab[h] = k;
			continue;
		}
		ydoc_key_text(k, t, sizeof(t));
		diags_add(d, doc->path, k->line, k->col,
		    "key '%s' appears twice in one map (first at %s:%d:%d); "
		    "remove one", t, doc->path, o->line, o->col);
		rc = ROOST_EINVAL;
	}
	free(tab);
	return rc;
}

static int
ydoc_error(struct ydoc_parser *yp)
{
	const yaml_parser_t	*p = &yp->p;
	const yaml_mark_t	*m = &p->problem_mark;

	if (p->context != NULL)
		diags_add(yp->d, yp->doc->path, (int)m->line + 1,
		    (int)m->column + 1, "yaml syntax: %s %s",
		    p->problem ? p->problem : "error", p->context);
	else
		diags_add(yp->d, yp->doc->path, (int)m->line + 1,
		    (int)m->column + 1, "yaml syntax: %s",
		    p->problem ? p->problem : "error");
	return ROOST_EINVAL;
}

static int
ydoc_next(struct ydoc_parser *yp, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&yp->p, ev))
		return ydoc_error(yp);
	return 0;
}

static int
ydoc_anchor_check(struct ydoc_parser *yp, const yaml_event_t *ev,
    const yaml_char_t *anchor)
{
	if (anchor == NULL)
		return 0;
	diags_add(yp->d, yp->doc->path, (int)ev->start_mark.line + 1,
	    (int)ev->start_mark.column + 1,
	    "yaml anchors and aliases are not supported; write the value out");
	return ROOST_EINVAL;
}

/*
 * Builds the node that starts with ev (already read; ownership of ev's
 * contents passes here) and reads its children.
 */
static int
ydoc_parse_node(struct ydoc_parser *yp, yaml_event_t *ev,
    struct ydoc_node **out, int depth)
{
	struct ydoc		*doc = yp->doc;
	struct ydoc_node	*n, *child;
	yaml_event_t		 cev;
	size_t			 cap = 0, nslots = 0;
	int			 rc = 0;

	*out = NULL;
	if (depth > YDOC_MAX_DEPTH) {
		diags_add(yp->d, doc->path, (int)ev->start_mark.line + 1,
		    (int)ev->start_mark.column + 1,
		    "yaml nesting deeper than %d levels", YDOC_MAX_DEPTH);
		yaml_event_delete(ev);
		return ROOST_EINVAL;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		rc = ydoc_anchor_check(yp, ev, ev->data.alias.anchor);
		yaml_event_delete(ev);
		return rc;
	case YAML_SCALAR_EVENT:
		if ((rc = ydoc_anchor_check(yp, ev,
		    ev->data.scalar.anchor)) != 0)
			break;
		if ((n = ydoc_node_new(yp, YDOC_SCALAR, ev)) == NULL) {
			rc = ROOST_EINVAL;
			break;
		}
		n->str = ydoc_alloc(doc, ev->data.scalar.length + 1);
		memcpy(n->str, ev->data.scalar.value, ev->data.scalar.length);
		n->str[ev->data.scalar.length] = '\0';
		n->len = ev->data.scalar.length;
		switch (ev->data.scalar.style) {
		case YAML_SINGLE_QUOTED_SCALAR_STYLE:
		case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
			n->style = YDOC_QUOTED;
			break;
		case YAML_LITERAL_SCALAR_STYLE:
		case YAML_FOLDED_SCALAR_STYLE:
			n->style = YDOC_BLOCK;
			break;
		default:
			n->style = YDOC_PLAIN;
		}
		if (ev->data.scalar.tag != NULL)
			n->tag = ydoc_strdup(doc, (char *)ev->data.scalar.tag);
		n->start = ydoc_offset(yp, &ev->start_mark);
		n->end = ydoc_offset(yp, &ev->end_mark);
		*out = n;
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		int	ismap = ev->type == YAML_MAPPING_START_EVENT;
		const yaml_char_t *anchor = ismap ?
		    ev->data.mapping_start.anchor :
		    ev->data.sequence_start.anchor;
		const yaml_char_t *tag = ismap ? ev->data.mapping_start.tag :
		    ev->data.sequence_start.tag;

		if ((rc = ydoc_anchor_check(yp, ev, anchor)) != 0)
			break;
		if ((n = ydoc_node_new(yp, ismap ? YDOC_MAP : YDOC_SEQ,
		    ev)) == NULL) {
			rc = ROOST_EINVAL;
			break;
		}
		n->flow = ismap ?
		    ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE :
		    ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
		if (tag != NULL)
			n->tag = ydoc_strdup(doc, (const char *)tag);
		n->start = ydoc_offset(yp, &ev->start_mark);
		*out = n;
		for (;;) {
			if ((rc = ydoc_next(yp, &cev)) != 0)
				break;
			if (cev.type == YAML_SEQUENCE_END_EVENT ||
			    cev.type == YAML_MAPPING_END_EVENT) {
				n->end = ydoc_offset(yp, &cev.end_mark);
				yaml_event_delete(&cev);
				break;
			}
			if ((rc = ydoc_parse_node(yp, &cev, &child,
			    depth + 1)) != 0)
				break;
			if (ismap && nslots % 2 == 0 &&
			    child->type != YDOC_SCALAR) {
				/* Keys are names everywhere roost reads. */
				diags_add(yp->d, doc->path, child->line,
				    child->col, "a map key must be a plain "
				    "value, not %s", ydoc_type_name(child));
				rc = ROOST_EINVAL;
				break;
			}
			ydoc_push(doc, n, child, &nslots, &cap);
		}
		if (rc == 0 && ismap && !(yp->flags & YDOC_DUPLICATES))
			rc = ydoc_dup_check(doc, yp->d, n);
		/* Trim trailing whitespace a block collection's end mark includes. */
		while (n->end > n->start &&
		    (doc->src[n->end - 1] == '\n' ||
		    doc->src[n->end - 1] == ' ' ||
		    doc->src[n->end - 1] == '\r'))
			n->end--;
		break;
	}
	default:
		diags_add(yp->d, doc->path, (int)ev->start_mark.line + 1,
		    (int)ev->start_mark.column + 1, "unexpected yaml event");
		rc = ROOST_EINVAL;
		break;
	}
	yaml_event_delete(ev);
	return rc;
}

/* Parses YAML text into a positioned tree; see ydoc.h. */
int
ydoc_parse(struct ydoc **out, const char *path, const char *buf, size_t len,
    struct diags *d)
{
	return ydoc_parse_flags(out, path, buf, len, 0, d);
}

/* Parses YAML text with flags (YDOC_DUPLICATES); see ydoc.h. */
int
ydoc_parse_flags(struct ydoc **out, const char *path, const char *buf,
    size_t len, int flags, struct diags *d)
{
	struct ydoc_parser	 yp;
	struct ydoc		*doc;
	yaml_event_t		 ev;
	size_t			 i, cap, bl;
	int			 rc = 0, ndocs = 0;

	*out = NULL;
	if (len > YDOC_MAX_BYTES) {
		diags_add(d, path != NULL ? path : "<input>", 0, 0, "the file "
		    "is larger than %d MiB", YDOC_MAX_BYTES / (1024 * 1024));
		return ROOST_EINVAL;
	}
	doc = xcalloc(1, sizeof(*doc));
	doc->path = xstrdup(path != NULL ? path : "<input>");
	doc->src = xmalloc(len + 1);
	memcpy(doc->src, buf, len);
	doc->src[len] = '\0';
	doc->len = len;

	memset(&yp, 0, sizeof(yp));
	yp.doc = doc;
	yp.d = d;
	yp.flags = flags;
	cap = 64;
	yp.lines = xreallocarray(NULL, cap, sizeof(*yp.lines));
	yp.lines[yp.nlines++] = 0;
	/* Line starts where libyaml counts lines, so marks convert right. */
	for (i = 0; i < len; i += bl ? bl : 1) {
		if ((bl = ydoc_break_len((const unsigned char *)buf + i,
		    len - i)) == 0)
			continue;
		if (yp.nlines == cap) {
			cap *= 2;
			yp.lines = xreallocarray(yp.lines, cap,
			    sizeof(*yp.lines));
		}
		yp.lines[yp.nlines++] = i + bl;
	}

	if (!yaml_parser_initialize(&yp.p))
		fatalx("yaml_parser_initialize");
	yaml_parser_set_input_string(&yp.p, (const unsigned char *)doc->src,
	    len);
	/* UTF-8 always: marks count characters of the bytes held here. */
	yaml_parser_set_encoding(&yp.p, YAML_UTF8_ENCODING);
	for (;;) {
		if ((rc = ydoc_next(&yp, &ev)) != 0)
			break;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			if (++ndocs > 1) {
				diags_add(d, doc->path,
				    (int)ev.start_mark.line + 1,
				    (int)ev.start_mark.column + 1,
				    "only one yaml document is allowed per "
				    "file");
				yaml_event_delete(&ev);
				rc = ROOST_EINVAL;
				break;
			}
			yaml_event_delete(&ev);
			continue;
		}
		if (ev.type == YAML_STREAM_START_EVENT ||
		    ev.type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		if ((rc = ydoc_parse_node(&yp, &ev, &doc->root, 0)) != 0)
			break;
	}
	yaml_parser_delete(&yp.p);
	free(yp.lines);
	if (rc != 0) {
		ydoc_free(doc);
		return rc;
	}
	*out = doc;
	return 0;
}

/* Reports every map of doc that repeats a key; see ydoc.h. */
int
ydoc_check_duplicates(const struct ydoc *doc, struct diags *d)
{
	size_t	i;
	int	rc = 0;

	for (i = 0; i < doc->nall; i++)
		if (doc->all[i]->type == YDOC_MAP &&
		    ydoc_dup_check(doc, d, doc->all[i]) != 0)
			rc = ROOST_EINVAL;
	return rc;
}

/* Frees doc and all its nodes. */
void
ydoc_free(struct ydoc *doc)
{
	struct ydoc_block	*b, *next;

	if (doc == NULL)
		return;
	for (b = doc->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(doc->all);
	free(doc->src);
	free(doc->path);
	free(doc);
}

/* Returns the value of the last pair whose key is key, or NULL. */
struct ydoc_node *
ydoc_get(const struct ydoc_node *map, const char *key)
{
	size_t	i;

	if (map == NULL || map->type != YDOC_MAP)
		return NULL;
	for (i = map->n; i > 0; i--) {
		const struct ydoc_node *k = map->items[(i - 1) * 2];

		if (k->type == YDOC_SCALAR && strcmp(k->str, key) == 0)
			return map->items[(i - 1) * 2 + 1];
	}
	return NULL;
}

/* Returns the key of pair i. */
struct ydoc_node *
ydoc_key(const struct ydoc_node *map, size_t i)
{
	return map->items[i * 2];
}

/* Returns the value of pair i. */
struct ydoc_node *
ydoc_val(const struct ydoc_node *map, size_t i)
{
	return map->items[i * 2 + 1];
}

/* Returns item i of a sequence. */
struct ydoc_node *
ydoc_item(const struct ydoc_node *seq, size_t i)
{
	return seq->items[i];
}

/* True for a missing node or a plain null scalar. */
int
ydoc_is_null(const struct ydoc_node *n)
{
	if (n == NULL)
		return 1;
	if (n->type != YDOC_SCALAR || n->style != YDOC_PLAIN)
		return 0;
	return n->len == 0 || strcmp(n->str, "~") == 0 ||
	    strcmp(n->str, "null") == 0 || strcmp(n->str, "Null") == 0 ||
	    strcmp(n->str, "NULL") == 0;
}

/* True for a scalar node. */
int
ydoc_is_scalar(const struct ydoc_node *n)
{
	return n != NULL && n->type == YDOC_SCALAR;
}

/* Names the type of n for messages. */
const char *
ydoc_type_name(const struct ydoc_node *n)
{
	if (n == NULL)
		return "nothing";
	switch (n->type) {
	case YDOC_MAP:
		return "a map";
	case YDOC_SEQ:
		return "a list";
	default:
		return ydoc_is_null(n) ? "null" : "a scalar";
	}
}
