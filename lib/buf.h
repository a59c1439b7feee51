/*
 * buf: a growable byte buffer with an optional size limit (curl's dynbuf).
 * The contents are always NUL-terminated. buf_init cannot fail; adding past
 * the limit returns -1 and leaves the buffer unchanged.
 */
#ifndef ROOST_BUF_H
#define ROOST_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;		/* NUL-terminated; NULL until the first add */
	size_t	 len;
	size_t	 cap;
	size_t	 max;		/* 0: unlimited */
};

/* Prepares b with a size limit (0 for none). */
void	 buf_init(struct buf *b, size_t max);
/* Adds n bytes; returns 0, or -1 when the limit would be passed. */
int	 buf_add(struct buf *b, const void *p, size_t n);
/* Adds a C string; returns as buf_add. */
int	 buf_puts(struct buf *b, const char *s);
/* Adds one byte; returns as buf_add. */
int	 buf_putc(struct buf *b, int c);
/* Adds formatted text; returns as buf_add. */
int	 buf_addf(struct buf *b, const char *fmt, ...)
	    __attribute__((__format__(printf, 2, 3)));
int	 buf_vaddf(struct buf *b, const char *fmt, va_list ap)
	    __attribute__((__format__(printf, 2, 0)));
/* Empties b, keeping its memory. */
void	 buf_reset(struct buf *b);
/* Returns the contents ("" when empty); borrowed. */
const char *buf_str(const struct buf *b);
/* Hands the contents to the caller (never NULL) and empties b. */
char	*buf_detach(struct buf *b);
/* Frees the contents; b can be used again. */
void	 buf_dispose(struct buf *b);

#endif
