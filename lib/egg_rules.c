/*
 * egg_rules: the Laravel-style validation rules of egg variables, as
 * they are written in real eggs ("required|string|max:20", lists, "{}",
 * the non-standard "int", empty tokens, regex with /.../ or (...)
 * delimiters), parsed once and checked against a server's values.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "egg.h"
#include "xmalloc.h"

/* True when s at p starts a rule token: [a-z_]+ followed by ':', '|', end. */
static int
rule_starts(const char *p)
{
	const char	*q = p;

	while (*q == '_' || (*q >= 'a' && *q <= 'z'))
		q++;
	return q > p && (*q == ':' || *q == '|' || *q == '\0');
}

static void
rule_add(struct egg_rule **v, size_t *n, const char *tok, size_t len)
{
	struct egg_rule	*r;
	const char	*colon;
	char		*t, *arg, *comma;

	while (len > 0 && isspace((unsigned char)*tok)) {
		tok++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)tok[len - 1]))
		len--;
	if (len == 0)
		return;		/* an empty token, e.g. from a trailing '|' */
	t = xstrndup(tok, len);
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	r = &(*v)[(*n)++];
	memset(r, 0, sizeof(*r));
	if ((colon = strchr(t, ':')) == NULL) {
		r->name = xstrdup(t);
	} else {
		r->name = xstrndup(t, (size_t)(colon - t));
		arg = xstrdup(colon + 1);
		if (strcmp(r->name, "regex") == 0 ||
		    strcmp(r->name, "not_regex") == 0) {
			r->args = xcalloc(1, sizeof(*r->args));
			r->args[0] = arg;
			r->nargs = 1;
		} else {
			char *p = arg;

			for (;;) {
				comma = strchr(p, ',');
				r->args = xreallocarray(r->args, r->nargs + 1,
				    sizeof(*r->args));
				r->args[r->nargs++] = comma ?
				    xstrndup(p, (size_t)(comma - p)) :
				    xstrdup(p);
				if (comma == NULL)
					break;
				p = comma + 1;
			}
			free(arg);
		}
	}
	if (strcmp(r->name, "int") == 0) {
		free(r->name);
		r->name = xstrdup("integer");
	}
	if (strcmp(r->name, "bool") == 0) {
		free(r->name);
		r->name = xstrdup("boolean");
	}
	free(t);
}

/*
 * Splits raw on '|' into rules. A regex keeps its whole pattern: after
 * "regex:" the token runs to the first '|' that follows the pattern's
 * closing delimiter and starts another rule.
 */
void
egg_rules_parse(const char *raw, struct egg_rule **out, size_t *n)
{
	const char	*p = raw, *end, *q;

	*out = NULL;
	*n = 0;
	if (raw == NULL)
		return;
	while (*p != '\0') {
		if (strncmp(p, "regex:", 6) == 0 ||
		    strncmp(p, "not_regex:", 10) == 0) {
			const char *pat = strchr(p, ':') + 1;
			char close = *pat == '(' ? ')' : *pat;
			const char *last = NULL;

			/* The last closing delimiter before a rule start. */
			for (q = *pat != '\0' ? pat + 1 : pat; *q != '\0';
			    q++) {
				if (*q == close)
					last = q;
				if (*q == '|' && last != NULL &&
				    rule_starts(q + 1))
					break;
			}
			end = q;
		} else {
			end = strchr(p, '|');
			if (end == NULL)
				end = p + strlen(p);
		}
		rule_add(out, n, p, (size_t)(end - p));
		p = *end == '|' ? end + 1 : end;
	}
}

/* Frees n parsed rules. */
void
egg_rules_free(struct egg_rule *v, size_t n)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		for (j = 0; j < v[i].nargs; j++)
			free(v[i].args[j]);
		free(v[i].args);
	}
	free(v);
}

static const struct egg_rule *
rule_find(const struct egg_var *var, const char *name)
{
	size_t	i;

	for (i = 0; i < var->nrules; i++)
		if (strcmp(var->rules[i].name, name) == 0)
			return &var->rules[i];
	return NULL;
}

/*
 * PHP's FILTER_VALIDATE_INT, which Laravel's "integer" uses: an optional
 * sign, no leading zeros ("0" alone is fine), within a 64-bit integer.
 * (PHP also trims surrounding whitespace; roost refuses it, as its
 * numeric rules do.)
 */
static int
is_integer(const char *s)
{
	const char	*p = s;

	if (*p == '-' || *p == '+')
		p++;
	if (*p == '\0' || (*p == '0' && p[1] != '\0'))
		return 0;
	for (const char *q = p; *q != '\0'; q++)
		if (!isdigit((unsigned char)*q))
			return 0;
	errno = 0;
	(void)strtoll(s, NULL, 10);
	return errno != ERANGE;
}

/* Laravel's emptiness: a string of only whitespace is empty. */
static int
blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r' &&
		    *s != '\v' && *s != '\0')
			return 0;
	return 1;
}

static int
to_number(const char *s, double *out)
{
	char	*end;

	if (*s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(*out))
		return -1;
	return 0;
}

/* Length in characters (UTF-8 code points), as Laravel counts. */
static size_t
str_chars(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * Translates a PHP (PCRE) pattern to a POSIX extended one: \d \w \s and
 * their negations, non-capturing groups, escaped punctuation. Returns
 * NULL when the pattern uses something POSIX cannot express.
 */
static char *
pcre_to_ere(const char *pat, size_t len, size_t *map, size_t nmap)
{
	struct buf	b;
	size_t		i, orig = 0, ere = 0;
	int		inclass = 0, range_end = 0;

	for (i = 0; i < nmap; i++)
		map[i] = 0;

	buf_init(&b, 0);
	for (i = 0; i < len; i++) {
		char c = pat[i];

		if (c == '\\' && i + 1 < len) {
			char e = pat[++i];

			switch (e) {
			case 'd':
				buf_puts(&b, inclass ? "0-9" : "[0-9]");
				break;
			case 'w':
				buf_puts(&b, inclass ? "A-Za-z0-9_" :
				    "[A-Za-z0-9_]");
				break;
			case 's':
				buf_puts(&b, inclass ? "[:space:]" :
				    "[[:space:]]");
				break;
			case 'D':
			case 'W':
			case 'S':
				if (inclass)
					goto fail;
				buf_puts(&b, e == 'D' ? "[^0-9]" : e == 'W' ?
				    "[^A-Za-z0-9_]" : "[^[:space:]]");
				break;
			case 'b':
			case 'B':
			case 'A':
			case 'z':
			case 'Z':
				goto fail;
			case 'n':
				buf_putc(&b, '\n');
				break;
			case 't':
				buf_putc(&b, '\t');
				break;
			default:
				if (inclass) {
					if (e == ']' || e == '\\' || e == '^')
						goto fail;
					if (e == '-') {
						/* A literal '-' must be last. */
						buf_puts(&b, "\x01");
					} else
						buf_putc(&b, e);
				} else if (isalnum((unsigned char)e))
					goto fail;
				else {
					buf_putc(&b, '\\');
					buf_putc(&b, e);
				}
			}
			/* After \d, \w or \s a '-' cannot make a range. */
			if (inclass)
				range_end = e == 'd' || e == 'w' || e == 's';
			continue;
		}
		if (!inclass && c == '[') {
			inclass = 1;
			range_end = 1;	/* a '-' first in a class is literal */
			buf_putc(&b, c);
			if (i + 1 < len && pat[i + 1] == '^')
				buf_putc(&b, pat[++i]);
			continue;
		}
		if (inclass && c == '-') {
			/*
			 * A range needs a start that is not itself the end of
			 * a range ("a-z-0-9") and an end before ']'; any
			 * other '-' is literal and must go last in POSIX.
			 */
			if (range_end || i + 1 >= len || pat[i + 1] == ']') {
				buf_puts(&b, "\x01");
				continue;
			}
			buf_putc(&b, c);
			if (i + 1 < len && pat[i + 1] != '\\') {
				buf_putc(&b, pat[++i]);
				range_end = 1;
			}
			continue;
		}
		if (inclass)
			range_end = 0;
		if (inclass && c == ']') {
			char	*s;
			size_t	 j, start;

			/* Move escaped '-' markers to the end of the class. */
			s = b.data;
			for (start = b.len; start > 0 && s[start - 1] != '[';
			    start--)
				;
			{
				int dash = 0;
				size_t w = start;

				for (j = start; j < b.len; j++) {
					if (s[j] == '\x01')
						dash = 1;
					else
						s[w++] = s[j];
				}
				b.len = w;
				s[w] = '\0';
				if (dash)
					buf_putc(&b, '-');
			}
			inclass = 0;
			buf_putc(&b, c);
			continue;
		}
		if (!inclass && c == '(' && i + 2 < len && pat[i + 1] == '?' &&
		    pat[i + 2] == ':') {
			/* POSIX has no non-capturing group: one more group. */
			buf_putc(&b, '(');
			ere++;
			i += 2;
			continue;
		}
		if (!inclass && c == '(' && i + 1 < len && pat[i + 1] == '?')
			goto fail;
		if (!inclass && c == '(') {
			ere++;
			if (orig < nmap)
				map[orig] = ere;
			orig++;
		}
		buf_putc(&b, c);
	}
	if (inclass)
		goto fail;
	return buf_detach(&b);
fail:
	buf_dispose(&b);
	return NULL;
}

/*
 * Matches value against a "regex:" argument with its delimiters. Returns
 * 1 on a match, 0 on none, -1 when the pattern cannot be used here.
 */
static int
rule_regex(const char *arg, const char *value)
{
	char		 open, close;
	const char	*end;
	char		*ere;
	regex_t		 re;
	int		 flags = REG_EXTENDED | REG_NOSUB, rc;

	if (arg[0] == '\0')
		return -1;
	open = arg[0];
	close = open == '(' ? ')' : open == '{' ? '}' : open == '[' ? ']' :
	    open;
	if ((end = strrchr(arg + 1, close)) == NULL)
		return -1;
	if (strchr(end + 1, 'i') != NULL)
		flags |= REG_ICASE;
	if (open == '(')
		ere = pcre_to_ere(arg, (size_t)(end - arg) + 1, NULL, 0);
	else
		ere = pcre_to_ere(arg + 1, (size_t)(end - arg) - 1, NULL, 0);
	if (ere == NULL)
		return -1;
	if (regcomp(&re, ere, flags) != 0) {
		free(ere);
		return -1;
	}
	rc = regexec(&re, value, 0, NULL, 0) == 0;
	regfree(&re);
	free(ere);
	return rc;
}

/* Compiles a PCRE pattern as POSIX; see egg.h. */
int
egg_regex_compile(regex_t *re, const char *pat, int cflags, size_t *groups,
    size_t ngroups)
{
	char	*ere;
	int	 rc;

	if ((ere = pcre_to_ere(pat, strlen(pat), groups, ngroups)) == NULL)
		return -1;
	rc = regcomp(re, ere, cflags | REG_EXTENDED);
	free(ere);
	return rc == 0 ? 0 : -1;
}

/* True when roost can run a regex rule's pattern; see egg.h. */
int
egg_regex_usable(const char *arg)
{
	return rule_regex(arg, "") != -1;
}

static int
all_chars(const char *s, const char *extra)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) &&
		    (extra == NULL || strchr(extra, *s) == NULL) &&
		    ((unsigned char)*s < 0x80))
			return 0;
	return 1;
}

static int
is_url(const char *s)
{
	const char	*p = s;

	if (!isalpha((unsigned char)*p))
		return 0;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' ||
	    *p == '.')
		p++;
	if (strncmp(p, "://", 3) != 0)
		return 0;
	p += 3;
	if (*p == '\0' || *p == '/' || *p == '?' || *p == '#')
		return 0;
	for (; *p != '\0'; p++)
		if (isspace((unsigned char)*p))
			return 0;
	return 1;
}

static void
list_args(struct buf *msg, const struct egg_rule *r)
{
	size_t	i;

	for (i = 0; i < r->nargs; i++)
		buf_addf(msg, "%s%s", i ? ", " : "", r->args[i][0] ?
		    r->args[i] : "\"\"");
}

/*
 * The rules about a value's form: integer, numeric, boolean, regex, digits,
 * alpha*, url.  Returns -1 with msg filled if v breaks r, else 0 (also for a
 * rule of another kind, or one whose arguments do not parse).
 */
static int
check_form(const struct egg_rule *r, const char *v, struct buf *msg)
{
	double	num, a, b;
	size_t	k;
	int	m;

	if (strcmp(r->name, "integer") == 0) {
		if (!is_integer(v)) {
			buf_puts(msg, "must be an integer");
			return -1;
		}
	} else if (strcmp(r->name, "numeric") == 0) {
		if (to_number(v, &num) != 0) {
			buf_puts(msg, "must be a number");
			return -1;
		}
	} else if (strcmp(r->name, "boolean") == 0) {
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0 &&
		    strcasecmp(v, "true") != 0 &&
		    strcasecmp(v, "false") != 0) {
			buf_puts(msg, "must be true, false, 1 or 0");
			return -1;
		}
	} else if (strcmp(r->name, "regex") == 0 ||
	    strcmp(r->name, "not_regex") == 0) {
		if (r->nargs < 1 || (m = rule_regex(r->args[0], v)) == -1)
			return 0;	/* a pattern POSIX cannot run */
		if (strcmp(r->name, "regex") == 0 ? !m : m) {
			buf_addf(msg, "must %smatch the pattern %s",
			    m ? "not " : "", r->args[0]);
			return -1;
		}
	} else if (strcmp(r->name, "digits_between") == 0) {
		if (r->nargs < 2 || to_number(r->args[0], &a) != 0 ||
		    to_number(r->args[1], &b) != 0)
			return 0;
		for (k = 0; v[k] != '\0'; k++)
			if (!isdigit((unsigned char)v[k]))
				break;
		if (v[k] != '\0' || (double)k < a || (double)k > b) {
			buf_addf(msg, "must be %s to %s digits",
			    r->args[0], r->args[1]);
			return -1;
		}
	} else if (strcmp(r->name, "digits") == 0) {
		if (r->nargs < 1 || to_number(r->args[0], &a) != 0)
			return 0;
		for (k = 0; isdigit((unsigned char)v[k]); k++)
			;
		if (v[k] != '\0' || (double)k != a) {
			buf_addf(msg, "must be %s digits", r->args[0]);
			return -1;
		}
	} else if (strcmp(r->name, "alpha_dash") == 0) {
		if (!all_chars(v, "-_")) {
			buf_puts(msg, "may contain only letters, "
			    "digits, dashes and underscores");
			return -1;
		}
	} else if (strcmp(r->name, "alpha_num") == 0) {
		if (!all_chars(v, NULL)) {
			buf_puts(msg, "may contain only letters and digits");
			return -1;
		}
	} else if (strcmp(r->name, "alpha") == 0) {
		for (k = 0; v[k] != '\0'; k++)
			if (!isalpha((unsigned char)v[k]) &&
			    (unsigned char)v[k] < 0x80)
				break;
		if (v[k] != '\0') {
			buf_puts(msg, "may contain only letters");
			return -1;
		}
	} else if (strcmp(r->name, "url") == 0) {
		if (!is_url(v)) {
			buf_puts(msg, "must be a url such as "
			    "https://example.com/");
			return -1;
		}
	}
	return 0;
}

/*
 * The rules about a value's size: max, min, size, gt, between.  The size is
 * the number for a numeric variable, else the length len in characters.
 * Returns -1 with msg filled if v breaks r, else 0.
 */
static int
check_size(const struct egg_rule *r, const char *v, int numeric, size_t len,
    struct buf *msg)
{
	const char	*what;
	double		 num, a, b;
	int		 ok;

	if (strcmp(r->name, "between") == 0) {
		if (r->nargs < 2 || to_number(r->args[0], &a) != 0 ||
		    to_number(r->args[1], &b) != 0)
			return 0;
	} else if (strcmp(r->name, "max") == 0 ||
	    strcmp(r->name, "min") == 0 ||
	    strcmp(r->name, "size") == 0 ||
	    strcmp(r->name, "gt") == 0) {
		if (r->nargs < 1 || to_number(r->args[0], &a) != 0)
			return 0;
	} else
		return 0;
	if (numeric) {
		if (to_number(v, &num) != 0)
			return 0;	/* reported by "numeric" */
	} else
		num = (double)len;
	if (strcmp(r->name, "between") == 0) {
		if (num >= a && num <= b)
			return 0;
		buf_addf(msg, "must be between %s and %s%s", r->args[0],
		    r->args[1], numeric ? "" : " characters long");
		return -1;
	}
	if (strcmp(r->name, "max") == 0) {
		ok = num <= a;
		what = "at most";
	} else if (strcmp(r->name, "min") == 0) {
		ok = num >= a;
		what = "at least";
	} else if (strcmp(r->name, "gt") == 0) {
		ok = num > a;
		what = "more than";
	} else {
		ok = num == a;
		what = "exactly";
	}
	if (ok)
		return 0;
	buf_addf(msg, "must be %s %s%s", what, r->args[0],
	    numeric ? "" : " characters long");
	return -1;
}

/*
 * The rules that name a set: in, not_in, starts_with, ends_with.
 * Returns -1 with msg filled if v breaks r, else 0.
 */
static int
check_set(const struct egg_rule *r, const char *v, struct buf *msg)
{
	size_t	j, vl, al;
	int	found = 0;

	if (strcmp(r->name, "in") == 0 || strcmp(r->name, "not_in") == 0) {
		for (j = 0; j < r->nargs; j++)
			if (strcmp(r->args[j], v) == 0)
				found = 1;
		if (strcmp(r->name, "in") == 0 && !found) {
			buf_puts(msg, "must be one of: ");
			list_args(msg, r);
			return -1;
		}
		if (strcmp(r->name, "not_in") == 0 && found) {
			buf_puts(msg, "must not be any of: ");
			list_args(msg, r);
			return -1;
		}
	} else if (strcmp(r->name, "ends_with") == 0 ||
	    strcmp(r->name, "starts_with") == 0) {
		vl = strlen(v);
		for (j = 0; j < r->nargs; j++) {
			al = strlen(r->args[j]);
			if (al <= vl && (r->name[0] == 'e' ?
			    strcmp(v + vl - al, r->args[j]) == 0 :
			    strncmp(v, r->args[j], al) == 0))
				found = 1;
		}
		if (!found) {
			buf_addf(msg, "must %s with one of: ",
			    r->name[0] == 'e' ? "end" : "start");
			list_args(msg, r);
			return -1;
		}
	}
	return 0;
}

/* Checks a value against a variable's rules; see egg.h. */
int
egg_var_check(const struct egg_var *var, const char *value, struct buf *msg)
{
	const struct egg_rule	*r;
	const char		*v = value != NULL ? value : var->def;
	size_t			 i, len;
	int			 numeric;

	if (v == NULL)
		v = "";
	if (blank(v)) {
		if (rule_find(var, "required") != NULL) {
			buf_puts(msg, "is required");
			return -1;
		}
		return 0;	/* other rules do not apply to empty values */
	}
	numeric = rule_find(var, "integer") != NULL ||
	    rule_find(var, "numeric") != NULL;
	len = str_chars(v);
	/* required, nullable, present, string, sometimes: nothing. */
	for (i = 0; i < var->nrules; i++) {
		r = &var->rules[i];
		if (check_form(r, v, msg) == -1 ||
		    check_size(r, v, numeric, len, msg) == -1 ||
		    check_set(r, v, msg) == -1)
			return -1;
	}
	return 0;
}
