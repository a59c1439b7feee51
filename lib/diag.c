/*
 * diag: collecting and printing problems found in user files.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "json.h"
#include "xmalloc.h"

/* Prepares an empty list. */
void
diags_init(struct diags *d)
{
	memset(d, 0, sizeof(*d));
}

/* Frees every entry. */
void
diags_dispose(struct diags *d)
{
	size_t	i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].path);
		free(d->v[i].msg);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* Appends g, which the list now owns, growing the array as needed. */
static void
diags_push(struct diags *d, const struct diag *g)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->v = xreallocarray(d->v, d->cap, sizeof(*d->v));
	}
	d->v[d->n++] = *g;
	if (g->level == DIAG_ERROR)
		d->nerrors++;
}

/* Appends an entry of the given level. */
void
diags_vadd(struct diags *d, enum diag_level level, const char *path,
    int line, int col, const char *fmt, va_list ap)
{
	struct diag	g;

	g.level = level;
	g.path = path != NULL ? xstrdup(path) : NULL;
	g.line = line;
	g.col = col;
	if (vasprintf(&g.msg, fmt, ap) < 0)
		g.msg = xstrdup("(message lost)");
	diags_push(d, &g);
}

/* Appends an error. */
void
diags_add(struct diags *d, const char *path, int line, int col,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	diags_vadd(d, DIAG_ERROR, path, line, col, fmt, ap);
	va_end(ap);
}

/* Appends a warning. */
void
diags_warn(struct diags *d, const char *path, int line, int col,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	diags_vadd(d, DIAG_WARNING, path, line, col, fmt, ap);
	va_end(ap);
}

/* Moves the entries of src to dst. */
void
diags_move(struct diags *dst, struct diags *src)
{
	size_t	i;

	for (i = 0; i < src->n; i++)
		diags_push(dst, &src->v[i]);
	free(src->v);
	memset(src, 0, sizeof(*src));
}

static int
diag_cmp(const struct diag *a, const struct diag *b)
{
	int	c;

	c = strcmp(a->path ? a->path : "", b->path ? b->path : "");
	if (c != 0)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return 0;
}

/* Sorts by position, keeping the order of equal positions. */
void
diags_sort(struct diags *d)
{
	struct diag	*tmp, *src, *dst, *t;
	size_t		 w, i, l, m, r, a, b;

	if (d->n < 2)
		return;
	/* A bottom-up merge sort: stable, and n log n however long. */
	tmp = xreallocarray(NULL, d->n, sizeof(*tmp));
	src = d->v;
	dst = tmp;
	for (w = 1; w < d->n; w *= 2) {
		for (l = 0; l < d->n; l += 2 * w) {
			m = l + w < d->n ? l + w : d->n;
			r = l + 2 * w < d->n ? l + 2 * w : d->n;
			for (a = l, b = m, i = l; i < r; i++)
				if (a < m && (b >= r ||
				    diag_cmp(&src[a], &src[b]) <= 0))
					dst[i] = src[a++];
				else
					dst[i] = src[b++];
		}
		t = src;
		src = dst;
		dst = t;
	}
	if (src != d->v)
		memcpy(d->v, src, d->n * sizeof(*d->v));
	free(tmp);
}

static void
diag_line(const struct diag *g, struct buf *out)
{
	const char	*lvl = g->level == DIAG_ERROR ? "error" : "warning";

	if (g->path != NULL && g->line > 0)
		buf_addf(out, "%s:%d:%d: %s: %s\n", g->path, g->line,
		    g->col > 0 ? g->col : 1, lvl, g->msg);
	else if (g->path != NULL)
		buf_addf(out, "%s: %s: %s\n", g->path, lvl, g->msg);
	else
		buf_addf(out, "%s: %s\n", lvl, g->msg);
}

/* Appends every entry as text lines. */
void
diags_format(const struct diags *d, struct buf *out)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		diag_line(&d->v[i], out);
}

/* Writes every entry to fp. */
void
diags_print(const struct diags *d, FILE *fp)
{
	struct buf	b;

	buf_init(&b, 0);
	diags_format(d, &b);
	fputs(buf_str(&b), fp);
	buf_dispose(&b);
}

/* Appends the entries as a JSON array. */
void
diags_json(const struct diags *d, struct buf *out)
{
	size_t	i;

	buf_putc(out, '[');
	for (i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];

		if (i > 0)
			buf_putc(out, ',');
		buf_puts(out, "{\"path\":");
		if (g->path != NULL)
			json_escape(out, g->path);
		else
			buf_puts(out, "null");
		buf_addf(out, ",\"line\":%d,\"column\":%d,\"level\":\"%s\","
		    "\"message\":", g->line, g->col,
		    g->level == DIAG_ERROR ? "error" : "warning");
		json_escape(out, g->msg);
		buf_putc(out, '}');
	}
	buf_putc(out, ']');
}
