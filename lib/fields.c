/*
 * fields: typed field tables filling structs from YAML maps, for every
 * configuration roost reads (see fields.h).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "fields.h"
#include "rerr.h"
#include "util.h"
#include "xmalloc.h"
#include "ydoc.h"

/* Unknown keys in one file that get a "did you mean"; later ones do not. */
#define FIELDS_MAX_SUGGEST	50

/* Adds an error at n; see fields.h. */
void
fields_err(struct fields_ctx *c, const struct ydoc_node *n, const char *fmt,
    ...)
{
	va_list	ap;

	va_start(ap, fmt);
	diags_vadd(c->d, DIAG_ERROR, c->path, n ? n->line : 0, n ? n->col : 0,
	    fmt, ap);
	va_end(ap);
}

/* Levenshtein distance, case-insensitive; 99 for long names. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), i, j, prev, cur, tmp;
	size_t	row[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = row[j];
			tmp = prev + (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));
			if (row[j] + 1 < tmp)
				tmp = row[j] + 1;
			if (row[j - 1] + 1 < tmp)
				tmp = row[j - 1] + 1;
			row[j] = tmp;
			prev = cur;
		}
	}
	return row[lb];
}

/* Reports an unknown key with the closest known name; see fields.h. */
void
fields_unknown(struct fields_ctx *c, const struct ydoc_node *key,
    const char *where, const struct field *fields, size_t nf,
    const char *const *known)
{
	const char	*best = NULL, *name;
	size_t		 bd = 3, dd, i;

	/* A suggestion costs; a file of nothing but typos gets only some. */
	if (c->nunknown++ < FIELDS_MAX_SUGGEST)
		for (i = 0; ; i++) {
			if (fields != NULL) {
				if (i >= nf || fields[i].name == NULL)
					break;
				name = fields[i].name;
			} else if ((name = known[i]) == NULL)
				break;
			if ((dd = edit_distance(key->str, name)) < bd) {
				bd = dd;
				best = name;
			}
		}
	if (best != NULL)
		fields_err(c, key, "unknown key '%s'%s%s; did you mean '%s'?",
		    key->str, where ? " in " : "", where ? where : "", best);
	else
		fields_err(c, key, "unknown key '%s'%s%s", key->str,
		    where ? " in " : "", where ? where : "");
}

/* Parses a whole number; see fields.h. */
int
fields_parse_int(const struct ydoc_node *n, int64_t *out)
{
	char		*end;
	long long	 v;

	if (n == NULL || n->type != YDOC_SCALAR || n->len == 0)
		return -1;
	errno = 0;
	v = strtoll(n->str, &end, 10);
	if (*end != '\0' || end == n->str || (errno != 0 && errno != ERANGE))
		return -1;
	*out = v;
	return errno == ERANGE ? 1 : 0;
}

/* Parses a boolean; see fields.h. */
int
fields_parse_bool(const struct ydoc_node *n, int *out)
{
	static const char	*yes[] = { "true", "True", "TRUE", "yes", "Yes",
	    "YES", "on", "On", "ON", NULL };
	static const char	*no[] = { "false", "False", "FALSE", "no", "No",
	    "NO", "off", "Off", "OFF", NULL };
	size_t			 i;

	if (n == NULL || n->type != YDOC_SCALAR)
		return -1;
	for (i = 0; yes[i] != NULL; i++) {
		if (strcmp(n->str, yes[i]) == 0)
			return *out = 1, 0;
		if (strcmp(n->str, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

/* Parses a duration; see fields.h. */
int
fields_parse_duration(const struct ydoc_node *n, uint64_t *ms)
{
	if (n == NULL || n->type != YDOC_SCALAR)
		return -1;
	return util_parse_duration(n->str, ms);
}

/* Writes ms the way a person would: 500ms, 15s, 5m, 2h, 7d. */
static void
duration_text(uint64_t ms, char *out, size_t len)
{
	if (ms % 86400000ULL == 0 && ms > 0)
		snprintf(out, len, "%llud", (unsigned long long)(ms / 86400000));
	else if (ms % 3600000ULL == 0 && ms > 0)
		snprintf(out, len, "%lluh", (unsigned long long)(ms / 3600000));
	else if (ms % 60000ULL == 0 && ms > 0)
		snprintf(out, len, "%llum", (unsigned long long)(ms / 60000));
	else if (ms % 1000ULL == 0)
		snprintf(out, len, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(out, len, "%llums", (unsigned long long)ms);
}

/* True when f has bounds. */
static int
bounded(const struct field *f)
{
	return f->min != 0 || f->max != 0;
}

/* Reads a number of f's type into its place; messages name name. */
static void
fill_int(struct fields_ctx *c, const struct field *f, const char *name,
    const struct ydoc_node *v, void *slot)
{
	int64_t	val;
	int	rc;

	if ((rc = fields_parse_int(v, &val)) < 0) {
		fields_err(c, v, "'%s' must be a whole number%s", name,
		    v->type == YDOC_SCALAR ? "" : ", not a list or map");
		return;
	}
	if (!bounded(f) && (rc > 0 || (f->type == FIELD_INT &&
	    (val < INT_MIN || val > INT_MAX)))) {
		fields_err(c, v, "'%s' is too large", name);
		return;
	}
	/* A number past int64_t's range is reported as written. */
	if (bounded(f) && val < f->min) {
		fields_err(c, v, "'%s' must be at least %lld, not %.40s", name,
		    (long long)f->min, v->str);
		return;
	}
	if (bounded(f) && (val > f->max || (rc > 0 && val >= f->max))) {
		fields_err(c, v, "'%s' must be at most %lld, not %.40s", name,
		    (long long)f->max, v->str);
		return;
	}
	if (f->type == FIELD_INT)
		*(int *)slot = (int)val;
	else
		*(int64_t *)slot = val;
}

/* Reads a duration into its place (milliseconds or whole seconds). */
static void
fill_duration(struct fields_ctx *c, const struct field *f, const char *name,
    const struct ydoc_node *v, void *slot)
{
	uint64_t	ms, lo, hi;
	char		t[32];
	int		secs = f->type == FIELD_SECONDS;

	if (fields_parse_duration(v, &ms) != 0) {
		fields_err(c, v, "'%s' must be a duration such as 500ms, 15s, "
		    "5m, 2h or 7d, not '%s'", name, ydoc_is_scalar(v) ?
		    v->str : ydoc_type_name(v));
		return;
	}
	lo = (uint64_t)f->min * (secs ? 1000 : 1);
	hi = (uint64_t)f->max * (secs ? 1000 : 1);
	if (secs && (ms % 1000 != 0 || ms / 1000 > INT_MAX)) {
		fields_err(c, v, "'%s' must be whole seconds, not '%s'", name,
		    v->str);
		return;
	}
	if (bounded(f) && ms < lo) {
		duration_text(lo, t, sizeof(t));
		fields_err(c, v, "'%s' must be at least %s, not '%s'", name, t,
		    v->str);
		return;
	}
	if (bounded(f) && ms > hi) {
		duration_text(hi, t, sizeof(t));
		fields_err(c, v, "'%s' must be at most %s, not '%s'", name, t,
		    v->str);
		return;
	}
	if (secs)
		*(int *)slot = (int)(ms / 1000);
	else
		*(uint64_t *)slot = ms;
}

/* Reads value v of the table entry f into obj. */
static void
fill_one(struct fields_ctx *c, const struct field *f, const char *name,
    const struct ydoc_node *v, void *obj)
{
	void	*slot = (char *)obj + f->off;
	char	**sp;

	switch (f->type) {
	case FIELD_SKIP:
		return;
	case FIELD_FUNC:
		f->fn(c, f, name, v, obj);
		return;
	case FIELD_MAP:
		if (ydoc_is_null(v))
			return;
		if (v->type != YDOC_MAP) {
			fields_err(c, v, "'%s' must be a map, not %s", name,
			    ydoc_type_name(v));
			return;
		}
		fields_fill_prefix(c, v, f->sub, SIZE_MAX, obj, name);
		return;
	default:
		break;
	}
	switch (f->type) {
	case FIELD_STR:
		if (ydoc_is_null(v) || (v->type == YDOC_SCALAR &&
		    v->len == 0)) {
			if (f->flags & FIELD_NONEMPTY)
				fields_err(c, v, "'%s' must not be empty",
				    name);
			if (ydoc_is_null(v))
				return;
		}
		if (v->type != YDOC_SCALAR) {
			fields_err(c, v, "'%s' must be a string, not %s", name,
			    ydoc_type_name(v));
			return;
		}
		if ((f->flags & FIELD_NONEMPTY) && v->len == 0)
			return;
		sp = slot;
		free(*sp);
		*sp = xstrdup(v->str);
		break;
	case FIELD_INT64:
	case FIELD_INT:
		fill_int(c, f, name, v, slot);
		break;
	case FIELD_BOOL:
		if (fields_parse_bool(v, slot) != 0)
			fields_err(c, v, "'%s' must be true or false, not '%s'",
			    name, ydoc_is_scalar(v) ? v->str :
			    ydoc_type_name(v));
		break;
	case FIELD_DURATION:
	case FIELD_SECONDS:
		fill_duration(c, f, name, v, slot);
		break;
	default:
		break;
	}
}

/*
 * Fills obj from map: unknown keys are reported "in where" (when not NULL),
 * known ones named prefix.key (key alone when prefix is NULL).
 */
static void
fill_map(struct fields_ctx *c, const struct ydoc_node *map,
    const struct field *fields, size_t nf, void *obj, const char *where,
    const char *prefix)
{
	char	*name;
	size_t	 i, j;

	for (i = 0; i < map->n; i++) {
		const struct ydoc_node *k = ydoc_key(map, i);
		const struct field *f = NULL;

		for (j = 0; j < nf && fields[j].name != NULL; j++)
			if (strcmp(fields[j].name, k->str) == 0) {
				f = &fields[j];
				break;
			}
		if (f == NULL) {
			fields_unknown(c, k, where, fields, nf, NULL);
			continue;
		}
		if (prefix != NULL)
			xasprintf(&name, "%s.%s", prefix, f->name);
		else
			name = xstrdup(f->name);
		fill_one(c, f, name, ydoc_val(map, i), obj);
		free(name);
	}
}

/* Fills obj from map, naming keys prefix.key; see fields.h. */
void
fields_fill_prefix(struct fields_ctx *c, const struct ydoc_node *map,
    const struct field *fields, size_t nf, void *obj, const char *prefix)
{
	char	*where = NULL;

	if (prefix != NULL)
		xasprintf(&where, "'%s'", prefix);
	fill_map(c, map, fields, nf, obj, where, prefix);
	free(where);
}

/* Fills obj from map; see fields.h. */
void
fields_fill(struct fields_ctx *c, const struct ydoc_node *map,
    const struct field *fields, size_t nf, void *obj, const char *where)
{
	fill_map(c, map, fields, nf, obj, where, NULL);
}

/* Frees the strings the table read; see fields.h. */
void
fields_free(const struct field *fields, void *obj)
{
	const struct field	*f;

	for (f = fields; f->name != NULL; f++)
		if (f->type == FIELD_STR || (f->flags & FIELD_FREE))
			free(*(char **)((char *)obj + f->off));
		else if (f->type == FIELD_MAP)
			fields_free(f->sub, obj);
}

/* Reads a configuration file into obj; see fields.h. */
int
fields_load(const char *path, const struct field *fields, void *obj,
    struct diags *d, struct rerr *err)
{
	struct buf	 b;
	struct ydoc	*doc = NULL;
	int		 rc;

	buf_init(&b, 1 << 20);
	if ((rc = util_read_file(path, &b, err)) != 0) {
		buf_dispose(&b);
		return rc;
	}
	rc = ydoc_parse(&doc, path, buf_str(&b), b.len, d);
	buf_dispose(&b);
	if (rc != 0)
		return ROOST_EINVAL;
	if (doc->root == NULL || doc->root->type != YDOC_MAP)
		diags_add(d, path, doc->root ? doc->root->line : 1,
		    doc->root ? doc->root->col : 1,
		    "the configuration must be a map of keys");
	else {
		struct fields_ctx fc = { path, d, 0 };

		fields_fill(&fc, doc->root, fields, SIZE_MAX, obj, NULL);
	}
	ydoc_free(doc);
	return 0;
}
