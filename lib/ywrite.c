/*
 * ywrite: YAML scalars that round-trip exactly (see ywrite.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "ywrite.h"

/* True when s can be written plain and reads back as the same string. */
static int
ywrite_plain_ok(const char *s)
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
	for (p = s; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f)
			return 0;
		if (c == '#' && p > s && isspace((unsigned char)p[-1]))
			return 0;
		if (c == ':' && (p[1] == '\0' || isspace((unsigned char)p[1])))
			return 0;
		if (strchr("{}[],", c) != NULL)
			return 0;
	}
	return 1;
}

/* Appends s double-quoted. */
void
ywrite_quoted(struct buf *out, const char *s)
{
	buf_putc(out, '"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"':
			buf_puts(out, "\\\"");
			break;
		case '\\':
			buf_puts(out, "\\\\");
			break;
		case '\n':
			buf_puts(out, "\\n");
			break;
		case '\t':
			buf_puts(out, "\\t");
			break;
		case '\r':
			buf_puts(out, "\\r");
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				buf_addf(out, "\\x%02x", c);
			else
				buf_putc(out, c);
		}
	}
	buf_putc(out, '"');
}

/* Appends s plain when safe, else double-quoted. */
void
ywrite_scalar(struct buf *out, const char *s)
{
	if (ywrite_plain_ok(s))
		buf_puts(out, s);
	else
		ywrite_quoted(out, s);
}

/* True when a literal block holds s exactly. */
static int
ywrite_block_ok(const char *s)
{
	const char	*p;

	if (strchr(s, '\n') == NULL)
		return 0;
	for (p = s; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			return 0;
		/* Trailing blanks on a line would survive, but a line of
		 * only blanks before text is ambiguous; keep it simple. */
		if ((c == ' ' || c == '\t') && (p[1] == '\n' || p[1] == '\0'))
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
