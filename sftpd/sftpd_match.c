/*
 * sftpd_match: the egg's file denylist, gitignore-style. A pattern
 * without a slash matches the name of a file or directory at any depth; a
 * pattern with one is anchored at the server root and its segments match
 * with fnmatch, "**" standing for any number of directories; a trailing
 * slash matches directories only; "!" re-allows; the last match wins, and
 * everything beneath a denied directory stays denied. Also which
 * directories an anchored pattern reaches into, so that renaming them or
 * putting a symlink in their place cannot carry a denied file away from
 * its pattern.
 */
#include <fnmatch.h>
#include <string.h>

#include "sftpd.h"

#define MATCH_MAX_SEGS	128

static int	 split(char *, char **, int);
static int	 segs_match(char **, int, char **, int);
static int	 pattern_match(const char *, const char *, int, int *);
static int	 prefix_denied(const char **, size_t, const char *, int);
static int	 segs_covers(char **, int, char **, int, int);

static int
split(char *s, char **v, int max)
{
	int	 n = 0;
	char	*p;

	while ((p = strsep(&s, "/")) != NULL) {
		if (*p == '\0')
			continue;
		if (n == max)
			return -1;
		v[n++] = p;
	}
	return n;
}

static int
segs_match(char **pat, int np, char **path, int nq)
{
	int	 i;

	if (np == 0)
		return nq == 0;
	if (strcmp(pat[0], "**") == 0) {
		for (i = 0; i <= nq; i++)
			if (segs_match(pat + 1, np - 1, path + i, nq - i))
				return 1;
		return 0;
	}
	if (nq == 0)
		return 0;
	if (fnmatch(pat[0], path[0], 0) != 0)
		return 0;
	return segs_match(pat + 1, np - 1, path + 1, nq - 1);
}

/* Returns 1 when pat matches path; *neg says whether it re-allows. */
static int
pattern_match(const char *pat, const char *path, int is_dir, int *neg)
{
	char		 pb[1024], qb[4096];
	char		*ps[MATCH_MAX_SEGS], *qs[MATCH_MAX_SEGS];
	const char	*base;
	size_t		 len;
	int		 np, nq, dir_only = 0;

	*neg = 0;
	if (pat[0] == '\0' || pat[0] == '#')
		return 0;
	if (pat[0] == '!') {
		*neg = 1;
		pat++;
	} else if (pat[0] == '\\')
		pat++;
	len = strlen(pat);
	while (len > 0 && (pat[len - 1] == ' ' || pat[len - 1] == '\r'))
		len--;
	if (len > 0 && pat[len - 1] == '/') {
		dir_only = 1;
		len--;
	}
	if (len == 0 || len >= sizeof(pb) || strlen(path) >= sizeof(qb))
		return 0;
	if (dir_only && !is_dir)
		return 0;
	memcpy(pb, pat, len);
	pb[len] = '\0';
	if (strchr(pb, '/') == NULL) {
		base = strrchr(path, '/');
		base = base ? base + 1 : path;
		return fnmatch(pb, base, 0) == 0;
	}
	strlcpy(qb, path, sizeof(qb));
	if ((np = split(pb, ps, MATCH_MAX_SEGS)) < 0 ||
	    (nq = split(qb, qs, MATCH_MAX_SEGS)) < 0)
		return 0;
	return segs_match(ps, np, qs, nq);
}

/* The verdict of the whole list for one path: the last match wins. */
static int
prefix_denied(const char **patterns, size_t n, const char *path, int is_dir)
{
	size_t	 i;
	int	 neg, denied = 0;

	for (i = 0; i < n; i++)
		if (pattern_match(patterns[i], path, is_dir, &neg))
			denied = !neg;
	return denied;
}

/*
 * Says whether the root-relative path is denied by the patterns: 1 when
 * it or one of its parent directories is, else 0. The root ("") never is.
 */
int
sftpd_match_denied(const char **patterns, size_t n, const char *path,
    int is_dir)
{
	char		 buf[4096];
	const char	*p;
	size_t		 len;

	if (n == 0 || path[0] == '\0')
		return 0;
	if (strlen(path) >= sizeof(buf))
		return 1;
	for (p = path; (p = strchr(p, '/')) != NULL; p++) {
		len = (size_t)(p - path);
		if (len == 0)
			continue;
		memcpy(buf, path, len);
		buf[len] = '\0';
		if (prefix_denied(patterns, n, buf, 1))
			return 1;
	}
	return prefix_denied(patterns, n, path, is_dir);
}

/*
 * Says whether the pattern segments pat could match a path that begins
 * with the segments path and goes on beneath them. A leading "**" that
 * takes all of path would take any other name as well, so only matches
 * that begin inside path count for it; any later "**" counts.
 */
static int
segs_covers(char **pat, int np, char **path, int nq, int lead)
{
	int	 i;

	if (nq == 0)
		return np > 0;
	if (np == 0)
		return 0;
	if (strcmp(pat[0], "**") == 0) {
		if (!lead)
			return 1;
		for (i = 0; i < nq; i++)
			if (segs_covers(pat + 1, np - 1, path + i, nq - i, 0))
				return 1;
		return 0;
	}
	if (fnmatch(pat[0], path[0], 0) != 0)
		return 0;
	return segs_covers(pat + 1, np - 1, path + 1, nq - 1, 0);
}

/*
 * Says whether one of the anchored patterns (a slash before its end;
 * "!" ones re-allow and do not count) could deny something beneath the
 * root-relative directory path, so that a rename of path or a symlink
 * made at path would let that file be reached under a name the pattern
 * does not match. The root ("") is never renamed: 0. Returns 1 or 0.
 */
int
sftpd_match_covers(const char **patterns, size_t n, const char *path)
{
	char		 pb[1024], qb[4096];
	char		*ps[MATCH_MAX_SEGS], *qs[MATCH_MAX_SEGS];
	const char	*pat;
	size_t		 i, len;
	int		 np, nq;

	if (path[0] == '\0')
		return 0;
	if (strlen(path) >= sizeof(qb))
		return 1;
	for (i = 0; i < n; i++) {
		pat = patterns[i];
		if (pat[0] == '\0' || pat[0] == '#' || pat[0] == '!')
			continue;
		if (pat[0] == '\\')
			pat++;
		len = strlen(pat);
		while (len > 0 && (pat[len - 1] == ' ' || pat[len - 1] == '\r'))
			len--;
		if (len > 0 && pat[len - 1] == '/')
			len--;
		if (len == 0 || len >= sizeof(pb))
			continue;
		memcpy(pb, pat, len);
		pb[len] = '\0';
		if (strchr(pb, '/') == NULL)
			continue;
		strlcpy(qb, path, sizeof(qb));
		if ((np = split(pb, ps, MATCH_MAX_SEGS)) < 0 ||
		    (nq = split(qb, qs, MATCH_MAX_SEGS)) < 0)
			return 1;
		if (segs_covers(ps, np, qs, nq, 1))
			return 1;
	}
	return 0;
}
