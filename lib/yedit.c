/*
 * yedit: format-preserving YAML edits (see yedit.h). The file is parsed
 * with ydoc, which remembers every node's byte range; an edit rewrites
 * only the bytes of the value it changes, or inserts one line for a new
 * key, so comments and layout a person wrote survive.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "rerr.h"
#include "xmalloc.h"
#include "ydoc.h"
#include "yedit.h"
#include "ywrite.h"

#define YEDIT_MAXDEPTH	8

static int
is_int(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '\0' || (*s == '0' && s[1] != '\0'))
		return 0;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* Formats value as a scalar in the style of like (may be NULL). */
static void
format_scalar(struct buf *out, const char *value, int mode,
    const struct ydoc_node *like, const char *src, int flow)
{
	const char	*p;

	if (mode == YEDIT_RAW) {
		buf_puts(out, value);
		return;
	}
	if (mode == YEDIT_STRING) {
		ywrite_quoted(out, value);
		return;
	}
	/* Single quotes have no escapes: only for values that need none. */
	if (like != NULL && like->style == YDOC_QUOTED &&
	    src[like->start] == '\'' && ywrite_safe(value)) {
		buf_putc(out, '\'');
		for (p = value; *p != '\0'; p++) {
			if (*p == '\'')
				buf_putc(out, '\'');
			buf_putc(out, *p);
		}
		buf_putc(out, '\'');
		return;
	}
	if (like != NULL && like->style == YDOC_QUOTED) {
		ywrite_quoted(out, value);
		return;
	}
	if (is_int(value) || strcmp(value, "true") == 0 ||
	    strcmp(value, "false") == 0)
		buf_puts(out, value);
	else if (flow)
		ywrite_flow_scalar(out, value);
	else
		ywrite_scalar(out, value);
}

/* Indents every line of text after the first by indent spaces. */
static void
add_indented(struct buf *out, const char *text, int indent)
{
	for (; *text != '\0'; text++) {
		buf_putc(out, *text);
		if (*text == '\n' && text[1] != '\0')
			buf_addf(out, "%*s", indent, "");
	}
}

/* The text of "key: value" for the remaining path parts, as block maps. */
static void
nested_text(struct buf *out, char **parts, size_t n, const char *value,
    int mode, int indent)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addf(out, "\n%*s", indent + 2 * (int)i, "");
		ywrite_scalar(out, parts[i]);
		buf_putc(out, ':');
	}
	if (mode == YEDIT_RAW && strchr(value, '\n') != NULL) {
		buf_addf(out, "\n%*s", indent + 2 * (int)n, "");
		add_indented(out, value, indent + 2 * (int)n);
		/* A raw block ends with its own newline; drop it. */
		while (out->len > 0 && out->data[out->len - 1] == '\n')
			out->data[--out->len] = '\0';
	} else {
		buf_putc(out, ' ');
		format_scalar(out, value, mode, NULL, NULL, 0);
	}
}

/* Frees the n parts split_path made (the array is the caller's). */
static void
parts_free(char **parts, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(parts[i]);
}

static size_t
split_path(const char *path, char **parts)
{
	char	*copy = xstrdup(path), *p, *save = NULL;
	size_t	 n = 0;

	for (p = strtok_r(copy, ".", &save); p != NULL && n < YEDIT_MAXDEPTH;
	    p = strtok_r(NULL, ".", &save))
		parts[n++] = xstrdup(p);
	free(copy);
	return n;
}

static size_t
line_start(const char *src, size_t off)
{
	while (off > 0 && src[off - 1] != '\n')
		off--;
	return off;
}

/* The end of the line holding off (at its '\n' or the end). */
static size_t
line_end(const char *src, size_t len, size_t off)
{
	while (off < len && src[off] != '\n')
		off++;
	return off;
}

static int
parse_src(struct ydoc **doc, const char *src, size_t len, struct rerr *err)
{
	struct diags	d;
	int		rc;

	diags_init(&d);
	/* Files roost does not own (a game's config) may repeat keys. */
	rc = ydoc_parse_flags(doc, "file", src, len, YDOC_DUPLICATES, &d);
	if (rc != 0)
		rerr_set(err, ROOST_EINVAL, "cannot edit: line %d: %s",
		    d.n ? d.v[0].line : 0, d.n ? d.v[0].msg : "bad yaml");
	diags_dispose(&d);
	return rc;
}

/*
 * The start of an edit: splits path into parts and parses src into *doc.
 * Returns the number of parts, or 0 with err set and nothing to free.
 */
static size_t
edit_open(const char *path, char **parts, const char *src, size_t len,
    struct ydoc **doc, struct rerr *err)
{
	size_t	n;

	if ((n = split_path(path, parts)) == 0) {
		rerr_set(err, ROOST_EINVAL, "empty path");
		return 0;
	}
	if (parse_src(doc, src, len, err) != 0) {
		parts_free(parts, n);
		return 0;
	}
	return n;
}

/* The end of an edit: frees what edit_open made. */
static void
edit_close(char **parts, size_t n, struct ydoc *doc)
{
	parts_free(parts, n);
	ydoc_free(doc);
}

/* Sets the value at path; see yedit.h. */
int
yedit_set(struct buf *out, const char *src, size_t len, const char *path,
    const char *value, int mode, struct rerr *err)
{
	struct ydoc		*doc;
	struct ydoc_node	*map, *val = NULL, *key = NULL;
	char			*parts[YEDIT_MAXDEPTH];
	struct buf		 t;
	size_t			 n, i, j, at, from, to;
	int			 indent, rc = 0;

	if ((n = edit_open(path, parts, src, len, &doc, err)) == 0)
		return ROOST_EINVAL;
	buf_init(&t, 0);
	map = doc->root;
	if (map == NULL) {
		/* An empty document: write the keys. */
		buf_add(out, src, len);
		if (len > 0 && src[len - 1] != '\n')
			buf_putc(out, '\n');
		nested_text(out, parts, n, value, mode, 0);
		buf_putc(out, '\n');
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (map->type != YDOC_MAP) {
			rc = rerr_set(err, ROOST_EINVAL, "'%s' is not a map, "
			    "so '%s' cannot be set", i ? parts[i - 1] :
			    "the document", path);
			goto done;
		}
		key = NULL;
		for (j = map->n; j > 0; j--)
			if (strcmp(ydoc_key(map, j - 1)->str, parts[i]) == 0) {
				key = ydoc_key(map, j - 1);
				val = ydoc_val(map, j - 1);
				break;
			}
		if (key == NULL)
			break;
		if (i + 1 < n && ydoc_is_null(val)) {
			/* "parent:" with no value: write the nested keys. */
			from = key->start;
			to = line_end(src, len, key->end);
			indent = key->col - 1;
			nested_text(&t, parts + i, n - i, value, mode, indent);
			buf_add(out, src, from);
			buf_add(out, t.data, t.len);
			buf_add(out, src + to, len - to);
			goto done;
		}
		if (i + 1 < n)
			map = val;
	}
	if (key != NULL) {
		/* Replace the existing value's bytes. */
		if (mode == YEDIT_RAW && strchr(value, '\n') != NULL) {
			/* A block value: it starts on the next line. */
			indent = val->type != YDOC_SCALAR && !val->flow ?
			    val->col - 1 : key->col + 1;
			from = val->type != YDOC_SCALAR && !val->flow ?
			    val->start : key->end + 1;
			if (val->type == YDOC_SCALAR || val->flow) {
				to = val->end > from ? val->end : from;
				buf_add(out, src, key->end + 1);
				buf_addf(out, "\n%*s", indent, "");
			} else {
				to = val->end;
				buf_add(out, src, from);
			}
			add_indented(out, value, indent);
			while (out->len > 0 && out->data[out->len - 1] == '\n')
				out->data[--out->len] = '\0';
			buf_add(out, src + to, len - to);
			goto done;
		}
		if (ydoc_is_null(val) && val->end <= val->start) {
			/* "key:" with nothing after it. */
			at = key->end + 1;
			buf_add(out, src, at);
			buf_putc(out, ' ');
			format_scalar(out, value, mode, NULL, src, map->flow);
			buf_add(out, src + at, len - at);
			goto done;
		}
		buf_add(out, src, val->start);
		format_scalar(out, value, mode, val->type == YDOC_SCALAR ?
		    val : NULL, src, map->flow);
		buf_add(out, src + val->end, len - val->end);
		goto done;
	}
	/* Missing from map: insert parts[i..] as new keys. */
	if (map->flow) {
		/* "{ a: 1 }": before the closing brace. */
		at = map->end;
		while (at > map->start && src[at - 1] != '}')
			at--;
		at--;
		while (at > map->start && src[at - 1] == ' ')
			at--;
		buf_add(out, src, at);
		buf_puts(out, map->n > 0 ? ", " : "");
		for (j = i; j + 1 < n; j++) {
			ywrite_flow_scalar(out, parts[j]);
			buf_puts(out, ": { ");
		}
		ywrite_flow_scalar(out, parts[n - 1]);
		buf_puts(out, ": ");
		format_scalar(out, value, mode, NULL, src, 1);
		for (j = i; j + 1 < n; j++)
			buf_puts(out, " }");
		buf_add(out, src + at, len - at);
		goto done;
	}
	indent = map->n > 0 ? ydoc_key(map, 0)->col - 1 : 0;
	at = map->end;
	/* After the map's last line (its last value may span lines). */
	at = line_end(src, len, at);
	nested_text(&t, parts + i, n - i, value, mode, indent);
	buf_add(out, src, at);
	if (at == len && (len == 0 || src[len - 1] != '\n')) {
		buf_putc(out, '\n');
		buf_addf(out, "%*s", indent, "");
		buf_add(out, t.data, t.len);
		buf_putc(out, '\n');
	} else {
		buf_putc(out, '\n');
		buf_addf(out, "%*s", indent, "");
		buf_add(out, t.data, t.len);
		buf_add(out, src + at, len - at);
	}
	(void)line_start;
done:
	buf_dispose(&t);
	edit_close(parts, n, doc);
	return rc;
}

/* Removes the key at path; see yedit.h. */
int
yedit_delete(struct buf *out, const char *src, size_t len, const char *path,
    struct rerr *err)
{
	struct ydoc		*doc;
	struct ydoc_node	*map, *key = NULL, *val = NULL;
	char			*parts[YEDIT_MAXDEPTH];
	size_t			 n, i, j, from, to;

	if ((n = edit_open(path, parts, src, len, &doc, err)) == 0)
		return ROOST_EINVAL;
	map = doc->root;
	for (i = 0; i < n && map != NULL && map->type == YDOC_MAP; i++) {
		key = NULL;
		for (j = 0; j < map->n; j++)
			if (strcmp(ydoc_key(map, j)->str, parts[i]) == 0) {
				key = ydoc_key(map, j);
				val = ydoc_val(map, j);
			}
		if (key == NULL)
			break;
		if (i + 1 < n)
			map = val;
	}
	if (key == NULL || i < n - 1 || map == NULL || map->flow) {
		/* Absent (or inside a flow map, left alone): unchanged. */
		buf_add(out, src, len);
	} else {
		from = line_start(src, key->start);
		to = line_end(src, len, val->end > key->end ? val->end :
		    key->end);
		if (to < len)
			to++;
		buf_add(out, src, from);
		buf_add(out, src + to, len - to);
	}
	edit_close(parts, n, doc);
	return 0;
}
