/*
 * buf: growable, NUL-terminated, optionally bounded byte buffers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xmalloc.h"

/* Prepares b with a size limit (0 for none). */
void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

static int
buf_grow(struct buf *b, size_t n)
{
	size_t	need = b->len + n + 1;

	if (b->max != 0 && b->len + n > b->max)
		return -1;
	if (need > b->cap) {
		size_t ncap = b->cap ? b->cap : 64;

		while (ncap < need)
			ncap *= 2;
		b->data = xreallocarray(b->data, ncap, 1);
		b->cap = ncap;
	}
	return 0;
}

/* Adds n bytes; returns 0, or -1 when the limit would be passed. */
int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_grow(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

/* Adds a C string. */
int
buf_puts(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

/* Adds one byte. */
int
buf_putc(struct buf *b, int c)
{
	char	ch = (char)c;

	return buf_add(b, &ch, 1);
}

/* Adds formatted text from a va_list. */
int
buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list	 ap2;
	int	 n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || buf_grow(b, (size_t)n) == -1)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

/* Adds formatted text. */
int
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

/* Empties b, keeping its memory. */
void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* Returns the contents ("" when empty). */
const char *
buf_str(const struct buf *b)
{
	return b->data != NULL ? b->data : "";
}

/* Hands the contents to the caller and empties b. */
char *
buf_detach(struct buf *b)
{
	char	*p = b->data != NULL ? b->data : xstrdup("");

	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

/* Frees the contents. */
void
buf_dispose(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
