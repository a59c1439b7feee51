/*
 * ignore: .gitignore-style patterns for backups (see ignore.h). Patterns
 * are kept as written, minus their markers; matching is a small glob
 * matcher that recurses only at '*' (bounded by IGNORE_MAX_STARS).
 */
#include <stdlib.h>
#include <string.h>

#include "ignore.h"
#include "rerr.h"
#include "xmalloc.h"

struct rule {
	char	*pat;
	int	 neg;		/* '!': re-include */
	int	 dironly;	/* trailing '/' */
	int	 anchored;	/* matched against the whole path */
};

struct ignore {
	struct rule	*v;
	size_t		 n;
};

/* Matches a class "[...]" at *pp against c; advances *pp past it. */
static int
class_match(const char **pp, char c)
{
	const char	*p = *pp + 1;
	int		 neg = 0, hit = 0;

	if (*p == '!' || *p == '^') {
		neg = 1;
		p++;
	}
	if (*p == ']') {		/* a ']' first is literal */
		hit |= c == ']';
		p++;
	}
	for (; *p != '\0' && *p != ']'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (p[1] == '-' && p[2] != '\0' && p[2] != ']') {
			hit |= c >= p[0] && c <= p[2];
			p += 2;
		} else
			hit |= c == *p;
	}
	if (*p != ']')
		return -1;		/* no end: '[' is literal */
	*pp = p + 1;
	return c != '/' && (hit ^ neg);
}

/*
 * Matches one character of the pattern at p against c (not NUL): 1 and
 * *next past it, or 0.
 */
static int
char_match(const char *p, char c, const char **next)
{
	const char	*q = p;
	int		 m;

	if (*p == '\0')
		return 0;
	if (*p == '?') {
		*next = p + 1;
		return c != '/';
	}
	if (*p == '[' && (m = class_match(&q, c)) != -1) {
		*next = q;
		return m;
	}
	if (*p == '\\' && p[1] != '\0')
		p++;
	*next = p + 1;
	return *p == c;
}

/*
 * Matches glob p (start: the pattern's first byte) against s. A '*' is
 * matched by going back to the last one on a mismatch (it never crosses
 * '/', so only the last of a component matters): linear in practice;
 * only "**" recurses.
 */
static int
glob_match(const char *start, const char *p, const char *s)
{
	const char	*star_p = NULL, *star_s = NULL, *q;

	while (*s != '\0' || *p != '\0') {
		if (*p == '*') {
			if (p[1] == '*' && (p == start || p[-1] == '/') &&
			    (p[2] == '/' || p[2] == '\0')) {
				if (p[2] == '\0')	/* "x/" + "**" */
					return 1;
				/* "**" + "/": any number of directories */
				for (q = p + 3;;) {
					if (glob_match(start, q, s))
						return 1;
					if ((s = strchr(s, '/')) == NULL)
						return 0;
					s++;
				}
			}
			while (*p == '*')
				p++;
			star_p = p;
			star_s = s;
			continue;
		}
		if (*s != '\0' && char_match(p, *s, &q)) {
			p = q;
			s++;
			continue;
		}
		if (star_p == NULL || *star_s == '\0' || *star_s == '/')
			return 0;
		p = star_p;
		s = ++star_s;
	}
	return 1;
}

/* Checks one pattern line; see ignore.h. */
int
ignore_check(const char *line, struct rerr *err)
{
	size_t	stars = 0;
	const char *p;

	if (strlen(line) > IGNORE_MAX_LEN)
		return rerr_set(err, ROOST_EINVAL, "an ignore pattern is at "
		    "most %d bytes", IGNORE_MAX_LEN);
	for (p = line; *p != '\0'; p++) {
		if (*p == '*')
			stars++;
		if (*p == '\n' || *p == '\r')
			return rerr_set(err, ROOST_EINVAL, "an ignore pattern "
			    "is one line");
	}
	if (stars > IGNORE_MAX_STARS)
		return rerr_set(err, ROOST_EINVAL, "an ignore pattern has at "
		    "most %d '*'", IGNORE_MAX_STARS);
	return 0;
}

/* Adds one line (len bytes) as a rule unless blank, a comment or bad. */
static void
ignore_add_line(struct ignore *ig, const char *line, size_t len)
{
	struct rule	 r;
	char		*s;
	size_t		 n;

	if (len > IGNORE_MAX_LEN)
		return;
	s = xstrndup(line, len);
	n = strlen(s);
	if (n > 0 && s[n - 1] == '\r')
		s[--n] = '\0';
	/* Trailing spaces go unless escaped. */
	while (n > 0 && s[n - 1] == ' ' && !(n > 1 && s[n - 2] == '\\'))
		s[--n] = '\0';
	memset(&r, 0, sizeof(r));
	if (n == 0 || s[0] == '#' || ignore_check(s, NULL) != 0) {
		free(s);
		return;
	}
	if (s[0] == '!') {
		r.neg = 1;
		memmove(s, s + 1, n--);
	} else if (s[0] == '\\' && (s[1] == '!' || s[1] == '#'))
		memmove(s, s + 1, n--);
	if (n > 0 && s[n - 1] == '/') {
		r.dironly = 1;
		s[--n] = '\0';
	}
	if (s[0] == '/') {
		r.anchored = 1;
		memmove(s, s + 1, n--);
	} else if (strchr(s, '/') != NULL)
		r.anchored = 1;
	if (n == 0) {
		free(s);
		return;
	}
	r.pat = s;
	ig->v = xreallocarray(ig->v, ig->n + 1, sizeof(*ig->v));
	ig->v[ig->n++] = r;
}

/* Compiles pattern lines; see ignore.h. */
int
ignore_compile(struct ignore **out, const char *const *lines, size_t n,
    struct rerr *err)
{
	struct ignore	*ig;
	size_t		 i;

	*out = NULL;
	for (i = 0; i < n; i++)
		if (ignore_check(lines[i], err) != 0)
			return ROOST_EINVAL;
	ig = xcalloc(1, sizeof(*ig));
	for (i = 0; i < n; i++)
		ignore_add_line(ig, lines[i], strlen(lines[i]));
	*out = ig;
	return 0;
}

/* Adds the lines of a .pteroignore; see ignore.h. */
void
ignore_add_text(struct ignore *ig, const char *text, size_t len)
{
	const char	*p = text, *end = text + len, *nl;

	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (memchr(p, '\0', (size_t)(nl - p)) == NULL)
			ignore_add_line(ig, p, (size_t)(nl - p));
		p = nl + 1;
	}
}

/* True when path is excluded; see ignore.h. */
int
ignore_match(const struct ignore *ig, const char *path, int isdir)
{
	const struct rule	*r;
	const char		*base;
	size_t			 i;
	int			 out = 0;

	if (ig == NULL)
		return 0;
	base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	for (i = 0; i < ig->n; i++) {
		r = &ig->v[i];
		if (r->dironly && !isdir)
			continue;
		if (glob_match(r->pat, r->pat, r->anchored ? path : base))
			out = !r->neg;
	}
	return out;
}

/* The number of patterns. */
size_t
ignore_count(const struct ignore *ig)
{
	return ig != NULL ? ig->n : 0;
}

/* Frees ig. */
void
ignore_free(struct ignore *ig)
{
	size_t	i;

	if (ig == NULL)
		return;
	for (i = 0; i < ig->n; i++)
		free(ig->v[i].pat);
	free(ig->v);
	free(ig);
}
