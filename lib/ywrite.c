/*
 * ywrite: YAML scalars that round-trip exactly (see ywrite.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "ywrite.h"

/*
 * Decodes the UTF-8 character at p into *cp and its length into *len.
 * Returns 1 when YAML cannot carry it as it is, outside a double-quoted
 * escape: C0 and C1 controls and DEL, the line breaks a reader sees where
 * a reviewer sees none (NEL U+0085, LS U+2028, PS U+2029), the byte order
 * mark U+FEFF, the non-characters U+FFFE and U+FFFF, and bytes that are
 * not UTF-8 (then *cp is the byte, *len 1, *bad set).
 */
static int
ywrite_char(const unsigned char *p, unsigned *cp, size_t *len, int *bad)
{
	unsigned	c = p[0], v, min;
	size_t		n, i;

	*bad = 0;
	*len = 1;
	*cp = c;
	if (c < 0x80)
		return c < 0x20 || c == 0x7f;
	if (c >= 0xc2 && c < 0xe0) {
		n = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c < 0xf0) {
		n = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c < 0xf5) {
		n = 4;
		v = c & 0x07;
		min = 0x10000;
	} else
		goto invalid;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			goto invalid;
		v = v << 6 | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		goto invalid;
	*cp = v;
	*len = n;
	return (v >= 0x80 && v <= 0x9f) || v == 0x2028 || v == 0x2029 ||
	    v == 0xfeff || v == 0xfffe || v == 0xffff;
invalid:
	*bad = 1;
	return 1;
}

/* True when s holds no character that needs a double-quoted escape. */
int
ywrite_safe(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	unsigned		 cp;
	size_t			 len;
	int			 bad;

	for (; *p != '\0'; p += len)
		if (ywrite_char(p, &cp, &len, &bad))
			return 0;
	return 1;
}

/*
 * True when s can be written plain and reads back as the same string; in
 * a flow collection ({..} or [..]) also without ':' or '?', which libyaml
 * may take there as the start of a key.
 */
static int
ywrite_plain_ok(const char *s, int flow)
{
	static const char	*special[] = { "null", "Null", "NULL", "~",
	    "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes",
	    "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
	    "y", "Y", "n", "N", NULL };
	const char		*p;
	size_t			 i;

	if (*s == '\0' || isspace((unsigned char)*s) ||
	    isspace((unsigned char)s[strlen(s) - 1]))
		return 0;
	if (strchr("-?:,[]{}#&*!|>'\"%@`", *s) != NULL)
		return 0;
	for (i = 0; special[i] != NULL; i++)
		if (strcmp(s, special[i]) == 0)
			return 0;
	/* Anything that could read as a number stays quoted. */
	if (isdigit((unsigned char)*s) || *s == '.' || *s == '+')
		return 0;
	if (!ywrite_safe(s))
		return 0;
	if (flow && strpbrk(s, ":?") != NULL)
		return 0;
	for (p = s; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '#' && p > s && isspace((unsigned char)p[-1]))
			return 0;
		if (c == ':' && (p[1] == '\0' || isspace((unsigned char)p[1])))
			return 0;
		if (strchr("{}[],", c) != NULL)
			return 0;
	}
	return 1;
}

/*
 * Appends s double-quoted. Every character YAML could read as something
 * else is escaped; a byte that is not UTF-8 is written as \xNN, which
 * reads back as the character U+00NN (YAML text is UTF-8 only).
 */
void
ywrite_quoted(struct buf *out, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	unsigned		 cp;
	size_t			 len;
	int			 bad;

	buf_putc(out, '"');
	for (; *p != '\0'; p += len) {
		if (!ywrite_char(p, &cp, &len, &bad)) {
			if (*p == '"' || *p == '\\')
				buf_putc(out, '\\');
			buf_add(out, (const char *)p, len);
			continue;
		}
		switch (cp) {
		case '\n':
			buf_puts(out, "\\n");
			break;
		case '\t':
			buf_puts(out, "\\t");
			break;
		case '\r':
			buf_puts(out, "\\r");
			break;
		case 0x85:
			buf_puts(out, bad ? "\\x85" : "\\N");
			break;
		case 0x2028:
			buf_puts(out, "\\L");
			break;
		case 0x2029:
			buf_puts(out, "\\P");
			break;
		default:
			if (cp <= 0xff)
				buf_addf(out, "\\x%02x", cp);
			else
				buf_addf(out, "\\u%04x", cp);
		}
	}
	buf_putc(out, '"');
}

/* Appends s plain when safe, else double-quoted. */
void
ywrite_scalar(struct buf *out, const char *s)
{
	if (ywrite_plain_ok(s, 0))
		buf_puts(out, s);
	else
		ywrite_quoted(out, s);
}

/* Appends s plain when safe inside a flow collection, else quoted. */
void
ywrite_flow_scalar(struct buf *out, const char *s)
{
	if (ywrite_plain_ok(s, 1))
		buf_puts(out, s);
	else
		ywrite_quoted(out, s);
}

/* True when a literal block holds s exactly. */
static int
ywrite_block_ok(const char *s)
{
	const unsigned char	*p;
	unsigned		 cp;
	size_t			 len;
	int			 bad;

	if (strchr(s, '\n') == NULL)
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p += len) {
		if (ywrite_char(p, &cp, &len, &bad) && cp != '\n' &&
		    cp != '\t')
			return 0;
		/* Trailing blanks on a line would survive, but a line of
		 * only blanks before text is ambiguous; keep it simple. */
		if ((*p == ' ' || *p == '\t') && (p[1] == '\n' ||
		    p[1] == '\0'))
			return 0;
	}
	/* The first line must not start with a blank or a tab. */
	return s[0] != ' ' && s[0] != '\t' && s[0] != '\n';
}

/* Appends s as a key's value. */
void
ywrite_value(struct buf *out, const char *s, int indent)
{
	const char	*p, *line;
	size_t		 n = strlen(s), trail = 0;

	if (!ywrite_block_ok(s)) {
		buf_putc(out, ' ');
		ywrite_scalar(out, s);
		buf_putc(out, '\n');
		return;
	}
	while (trail < n && s[n - 1 - trail] == '\n')
		trail++;
	buf_puts(out, trail == 0 ? " |-\n" : trail == 1 ? " |\n" : " |+\n");
	/* The body without its trailing newlines, one line each... */
	for (line = s; line <= s + n - trail; line = p + 1) {
		p = memchr(line, '\n', (size_t)(s + n - trail - line));
		if (p == NULL)
			p = s + n - trail;
		if (p > line)
			buf_addf(out, "%*s%.*s", indent, "", (int)(p - line),
			    line);
		buf_putc(out, '\n');
		if (p == s + n - trail)
			break;
	}
	/* ...and the extra trailing newlines that "|+" keeps. */
	for (; trail > 1; trail--)
		buf_putc(out, '\n');
}
