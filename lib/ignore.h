/*
 * ignore: the patterns that keep files out of a backup (a server file's
 * backups.ignore, a server directory's .pteroignore), with the semantics
 * of .gitignore that Wings' .pteroignore uses:
 *
 *   - blank lines and lines starting with '#' are skipped ("\#" is a '#');
 *   - '!' in front re-includes what an earlier pattern excluded ("\!" is a
 *     '!'); the last pattern that matches a path decides;
 *   - a trailing '/' matches directories only;
 *   - a pattern with a '/' at its start or in its middle is matched
 *     against the whole path from the server's root; one without is
 *     matched against the last component at any depth;
 *   - '*' matches any run of characters but '/', '?' one character but
 *     '/', "[a-z]" and "[!a-z]" a class; "**" as a whole component matches
 *     any number of directories ("**" + "/logs", "logs/" + "**",
 *     "a/" + "**" + "/b");
 *   - an excluded directory is not entered: nothing below it can be
 *     re-included (as in git).
 *
 * Paths given to ignore_match are relative to the root, without a leading
 * '/', components separated by one '/'.
 */
#ifndef ROOST_IGNORE_H
#define ROOST_IGNORE_H

#include <stddef.h>

#define IGNORE_MAX_LEN		512	/* bytes of one pattern */
#define IGNORE_MAX_STARS	16	/* '*' in one pattern */

struct ignore;
struct rerr;

/*
 * Compiles n pattern lines into *out (owned; ignore_free). Returns 0, or
 * ROOST_EINVAL with err naming the first line that is too long or has
 * too many '*' (nothing returned then).
 */
int	ignore_compile(struct ignore **out, const char *const *lines,
	    size_t n, struct rerr *err);
/*
 * Adds the lines of text (len bytes, '\n'-separated, a .pteroignore) to
 * ig; lines over the bounds are skipped. Never fails.
 */
void	ignore_add_text(struct ignore *ig, const char *text, size_t len);
/* True when path (a directory when isdir) is excluded. */
int	ignore_match(const struct ignore *ig, const char *path, int isdir);
/* The number of patterns compiled (blank lines and comments not counted). */
size_t	ignore_count(const struct ignore *ig);
/* Frees ig; takes NULL. */
void	ignore_free(struct ignore *ig);
/*
 * Checks one pattern line: 0, or ROOST_EINVAL with err saying what is
 * wrong (validation of server files).
 */
int	ignore_check(const char *line, struct rerr *err);

#endif
