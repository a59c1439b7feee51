/*
 * ydoc: libyaml events turned into a positioned node tree (see ydoc.h).
 */
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
	struct diags	*d;
};

static struct ydoc_node *ydoc_node_new(struct ydoc *, enum ydoc_type,
		    const yaml_event_t *);
static int	ydoc_parse_node(struct ydoc_parser *, yaml_event_t *,
		    struct ydoc_node **, int);

/* Converts a libyaml mark (line, column in characters) to a byte offset. */
static size_t
ydoc_offset(const struct ydoc *doc, const size_t *lines, size_t nlines,
    const yaml_mark_t *m)
{
	size_t	off, col;

	if (m->line >= nlines)
		return doc->len;
	off = lines[m->line];
	for (col = 0; col < m->column && off < doc->len; col++) {
		unsigned char c = (unsigned char)doc->src[off];

		off++;
		if (c >= 0xc0)
			while (off < doc->len &&
			    ((unsigned char)doc->src[off] & 0xc0) == 0x80)
				off++;
	}
	return off;
}

static struct ydoc_node *
ydoc_node_new(struct ydoc *doc, enum ydoc_type type, const yaml_event_t *ev)
{
	struct ydoc_node	*n;

	n = xcalloc(1, sizeof(*n));
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
ydoc_push(struct ydoc_node *coll, struct ydoc_node *child, size_t *nslots,
    size_t *cap)
{
	if (*nslots == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		coll->items = xreallocarray(coll->items, *cap,
		    sizeof(*coll->items));
	}
	coll->items[(*nslots)++] = child;
	coll->n = coll->type == YDOC_MAP ? *nslots / 2 : *nslots;
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
		n = ydoc_node_new(doc, YDOC_SCALAR, ev);
		n->str = xmalloc(ev->data.scalar.length + 1);
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
			n->tag = xstrdup((char *)ev->data.scalar.tag);
		n->start = ydoc_offset(doc, yp->lines, yp->nlines,
		    &ev->start_mark);
		n->end = ydoc_offset(doc, yp->lines, yp->nlines,
		    &ev->end_mark);
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
		n = ydoc_node_new(doc, ismap ? YDOC_MAP : YDOC_SEQ, ev);
		n->flow = ismap ?
		    ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE :
		    ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
		if (tag != NULL)
			n->tag = xstrdup((const char *)tag);
		n->start = ydoc_offset(doc, yp->lines, yp->nlines,
		    &ev->start_mark);
		*out = n;
		for (;;) {
			if ((rc = ydoc_next(yp, &cev)) != 0)
				break;
			if (cev.type == YAML_SEQUENCE_END_EVENT ||
			    cev.type == YAML_MAPPING_END_EVENT) {
				n->end = ydoc_offset(doc, yp->lines,
				    yp->nlines, &cev.end_mark);
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
			ydoc_push(n, child, &nslots, &cap);
		}
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
	struct ydoc_parser	 yp;
	struct ydoc		*doc;
	yaml_event_t		 ev;
	size_t			 i, cap;
	int			 rc = 0, ndocs = 0;

	*out = NULL;
	doc = xcalloc(1, sizeof(*doc));
	doc->path = xstrdup(path != NULL ? path : "<input>");
	doc->src = xmalloc(len + 1);
	memcpy(doc->src, buf, len);
	doc->src[len] = '\0';
	doc->len = len;

	memset(&yp, 0, sizeof(yp));
	yp.doc = doc;
	yp.d = d;
	cap = 64;
	yp.lines = xreallocarray(NULL, cap, sizeof(*yp.lines));
	yp.lines[yp.nlines++] = 0;
	for (i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			if (yp.nlines == cap) {
				cap *= 2;
				yp.lines = xreallocarray(yp.lines, cap,
				    sizeof(*yp.lines));
			}
			yp.lines[yp.nlines++] = i + 1;
		}
	}

	if (!yaml_parser_initialize(&yp.p))
		fatalx("yaml_parser_initialize");
	yaml_parser_set_input_string(&yp.p, (const unsigned char *)doc->src,
	    len);
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

/* Frees doc and all its nodes. */
void
ydoc_free(struct ydoc *doc)
{
	size_t	i;

	if (doc == NULL)
		return;
	for (i = 0; i < doc->nall; i++) {
		free(doc->all[i]->tag);
		free(doc->all[i]->str);
		free(doc->all[i]->items);
		free(doc->all[i]);
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
