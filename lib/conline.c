/*
 * conline: the text rules of a console, shared by roostd (which enforces
 * them) and the bot (which refuses early what the node would refuse): a
 * command is one line of valid UTF-8 without control characters, and
 * console output shown to people loses its ANSI escapes and invalid bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rerr.h"
#include "xmalloc.h"

#include "conline.h"

/*
 * Length of the valid UTF-8 sequence at p (at most n bytes), or 0 when it
 * is not one (overlong forms, surrogates and code points above U+10FFFF
 * are not). *cp gets the code point.
 */
static size_t
cl_utf8_len(const unsigned char *p, size_t n, unsigned int *cp)
{
	unsigned int	c = p[0], min;
	size_t		len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* The input rules; see conline.h. */
int
conline_check(const char *line, size_t len, struct rerr *err)
{
	const unsigned char	*p = (const unsigned char *)line;
	unsigned int		 cp;
	size_t			 i, l;

	if (len == 0)
		return rerr_set(err, ROOST_EINVAL, "the command is empty");
	if (len > CONLINE_MAX)
		return rerr_set(err, ROOST_EINVAL, "the command is %zu bytes; "
		    "at most %d are allowed", len, CONLINE_MAX);
	for (i = 0; i < len; i += l) {
		if ((l = cl_utf8_len(p + i, len - i, &cp)) == 0)
			return rerr_set(err, ROOST_EINVAL, "byte %zu of the "
			    "command is not valid UTF-8", i + 1);
		if (cp == '\n' || cp == '\r')
			return rerr_set(err, ROOST_EINVAL, "the command has a "
			    "line break at byte %zu: send one line at a "
			    "time", i + 1);
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			return rerr_set(err, ROOST_EINVAL, "the command has "
			    "the control character U+%04X at byte %zu", cp,
			    i + 1);
	}
	return 0;
}

/* Strips ANSI; see conline.h. */
char *
conline_strip_ansi(const char *text, size_t len)
{
	const unsigned char	*p = (const unsigned char *)text;
	char			*out = xmalloc(len + 1), *o = out;
	size_t			 i = 0;

	while (i < len) {
		if (p[i] == 0x1b) {
			i++;
			if (i < len && p[i] == '[') {
				/* CSI: parameters, then a final byte. */
				for (i++; i < len && !(p[i] >= 0x40 &&
				    p[i] <= 0x7e); i++)
					;
				if (i < len)
					i++;
			} else if (i < len && (p[i] == ']' || p[i] == 'P' ||
			    p[i] == '_' || p[i] == '^' || p[i] == 'X')) {
				/* OSC and friends: up to BEL or ESC \. */
				for (i++; i < len; i++) {
					if (p[i] == 0x07) {
						i++;
						break;
					}
					if (p[i] == 0x1b && i + 1 < len &&
					    p[i + 1] == '\\') {
						i += 2;
						break;
					}
				}
			} else if (i < len) {
				/* ESC ( B and the like: intermediates. */
				while (i < len && p[i] >= 0x20 && p[i] <= 0x2f)
					i++;
				if (i < len)
					i++;
			}
			continue;
		}
		if (p[i] == 0x9b) {	/* a lone C1 CSI byte */
			i++;
			continue;
		}
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f) {
			i++;
			continue;
		}
		*o++ = (char)p[i++];
	}
	*o = '\0';
	return out;
}

/* Makes text valid UTF-8; see conline.h. */
char *
conline_utf8(const char *text, size_t len)
{
	const unsigned char	*p = (const unsigned char *)text;
	struct buf		 b;
	unsigned int		 cp;
	size_t			 i, l;

	buf_init(&b, 0);
	for (i = 0; i < len; i += l) {
		if (p[i] == 0) {
			l = 1;
			continue;
		}
		if ((l = cl_utf8_len(p + i, len - i, &cp)) == 0) {
			buf_puts(&b, "\xef\xbf\xbd");
			l = 1;
		} else
			buf_add(&b, text + i, l);
	}
	return buf_detach(&b);
}
