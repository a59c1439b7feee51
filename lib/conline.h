/*
 * conline: the input rules of a console command and the cleaning of
 * console output for people (see conline.c).
 */
#ifndef ROOST_CONLINE_H
#define ROOST_CONLINE_H

#include <stddef.h>

struct rerr;

#define CONLINE_MAX	512	/* bytes of one command */

/*
 * The input rules: returns 0 when line (len bytes) is one non-empty line
 * of at most CONLINE_MAX bytes of valid UTF-8 without control characters
 * (C0, DEL, C1); else ROOST_EINVAL with err naming the byte.
 */
int	 conline_check(const char *line, size_t len, struct rerr *err);

/*
 * Copies text without ANSI escape sequences (CSI, OSC, two-byte ESC
 * sequences) and other control characters except tab; the caller frees.
 */
char	*conline_strip_ansi(const char *text, size_t len);

/*
 * Copies text with every byte that is not part of valid UTF-8 replaced by
 * U+FFFD (NUL bytes dropped), so it can go into JSON; the caller frees.
 */
char	*conline_utf8(const char *text, size_t len);

#endif
