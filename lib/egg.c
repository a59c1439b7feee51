/*
 * egg: loading eggs in every published form — Pterodactyl PTDL_v1 and
 * PTDL_v2, Pelican PLCN_v1..v3, as JSON or YAML, and roost's own readable
 * YAML form — into one normalised struct egg. JSON is read through ydoc
 * too (YAML is a superset of the JSON eggs use), so every egg problem has
 * a line and column. The JSON strings nested inside JSON eggs
 * (config.files, config.startup, config.logs) are parsed a second time.
 */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"
#include "rerr.h"
#include "util.h"
#include "xmalloc.h"
#include "ydoc.h"

struct egg_ctx {
	const char	*path;
	struct diags	*d;
	struct egg	*egg;
	struct ydoc	**docs;		/* inner documents to free */
	size_t		 ndocs;
};

/* Stop forms: "^" plus a signal name, or the Ctrl-key forms. */
static const struct {
	const char	*name;
	int		 signo;
} egg_signals[] = {
	{ "C", SIGINT }, { "INT", SIGINT }, { "SIGINT", SIGINT },
	{ "TERM", SIGTERM }, { "SIGTERM", SIGTERM },
	{ "KILL", SIGKILL }, { "SIGKILL", SIGKILL },
	{ "HUP", SIGHUP }, { "SIGHUP", SIGHUP },
	{ "QUIT", SIGQUIT }, { "SIGQUIT", SIGQUIT }, { "\\", SIGQUIT },
	{ "ABRT", SIGABRT }, { "SIGABRT", SIGABRT },
	{ "USR1", SIGUSR1 }, { "SIGUSR1", SIGUSR1 },
	{ "USR2", SIGUSR2 }, { "SIGUSR2", SIGUSR2 },
};

static void
egg_err(struct egg_ctx *c, const struct ydoc_node *n, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));

static void
egg_err(struct egg_ctx *c, const struct ydoc_node *n, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	diags_vadd(c->d, DIAG_ERROR, c->path, n ? n->line : 0, n ? n->col : 0,
	    fmt, ap);
	va_end(ap);
}

static int
egg_hex4(const char *p, const char *end, unsigned *out)
{
	unsigned	v = 0;
	int		i;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		int c = (unsigned char)p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/*
 * JSON writes characters beyond U+FFFF as UTF-16 surrogate pairs
 * ("\ud83d\ude00", as PHP's json_encode does for emoji), which YAML's
 * double-quoted strings refuse. Rewrites each pair as the equivalent
 * "\U0001F600" and a lone surrogate as U+FFFD. Returns 1 and fills out
 * when anything changed, else 0.
 */
static int
egg_fix_surrogates(const char *buf, size_t len, struct buf *out)
{
	const char	*p = buf, *end = buf + len, *last = buf;
	unsigned	 hi, lo;
	int		 changed = 0;

	while (p < end) {
		p = memchr(p, '\\', (size_t)(end - p));
		if (p == NULL || p + 1 >= end)
			break;
		if (p[1] != 'u' || egg_hex4(p + 2, end, &hi) != 0 ||
		    hi < 0xd800 || hi > 0xdfff) {
			p += 2;		/* any escape, "\\" included */
			continue;
		}
		if (!changed)
			buf_init(out, 0);
		changed = 1;
		buf_add(out, last, (size_t)(p - last));
		if (hi < 0xdc00 && end - p >= 12 && p[6] == '\\' &&
		    p[7] == 'u' && egg_hex4(p + 8, end, &lo) == 0 &&
		    lo >= 0xdc00 && lo <= 0xdfff) {
			buf_addf(out, "\\U%08X", 0x10000 +
			    ((hi - 0xd800) << 10) + (lo - 0xdc00));
			p += 12;
		} else {
			buf_puts(out, "\\uFFFD");
			p += 6;
		}
		last = p;
	}
	if (changed)
		buf_add(out, last, (size_t)(end - last));
	return changed;
}

/*
 * Parses YAML or JSON text, surrogate pairs and all; see ydoc_parse. A
 * repeated key is kept (the last wins) for egg_load to judge.
 */
static int
egg_parse_text(struct ydoc **doc, const char *path, const char *buf,
    size_t len, struct diags *d)
{
	struct buf	fixed;
	int		rc;

	if (!egg_fix_surrogates(buf, len, &fixed))
		return ydoc_parse_flags(doc, path, buf, len, YDOC_DUPLICATES,
		    d);
	rc = ydoc_parse_flags(doc, path, fixed.data, fixed.len,
	    YDOC_DUPLICATES, d);
	buf_dispose(&fixed);
	return rc;
}

/* True when text is a JSON object (its first non-blank byte is '{'). */
static int
egg_is_json(const char *buf, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' &&
		    buf[i] != '\r')
			return buf[i] == '{';
	return 0;
}

/* Replaces every CRLF (and lone CR) with LF. */
static char *
egg_lf(const char *s)
{
	char	*out = xstrdup(s), *w = out;

	for (; *s != '\0'; s++) {
		if (*s == '\r') {
			if (s[1] != '\n')
				*w++ = '\n';
			continue;
		}
		*w++ = *s;
	}
	*w = '\0';
	return out;
}

static char *
egg_strdup_scalar(const struct ydoc_node *n)
{
	if (n == NULL || ydoc_is_null(n) || n->type != YDOC_SCALAR)
		return xstrdup("");
	return xstrdup(n->str);
}

/* A string field; NULL when absent or null. Errors when not a scalar. */
static char *
egg_str(struct egg_ctx *c, const struct ydoc_node *map, const char *key)
{
	const struct ydoc_node	*n = ydoc_get(map, key);

	if (n == NULL || ydoc_is_null(n))
		return NULL;
	if (n->type != YDOC_SCALAR) {
		egg_err(c, n, "'%s' must be a string, not %s", key,
		    ydoc_type_name(n));
		return NULL;
	}
	return xstrdup(n->str);
}

/* Booleans as eggs write them: true/false, 1/0, "1"/"0". */
static int
egg_bool(const struct ydoc_node *n, int dflt)
{
	if (n == NULL || ydoc_is_null(n) || n->type != YDOC_SCALAR)
		return dflt;
	if (strcmp(n->str, "1") == 0 || strcasecmp(n->str, "true") == 0 ||
	    strcasecmp(n->str, "yes") == 0 || strcasecmp(n->str, "on") == 0)
		return 1;
	if (strcmp(n->str, "0") == 0 || strcasecmp(n->str, "false") == 0 ||
	    strcasecmp(n->str, "no") == 0 || strcasecmp(n->str, "off") == 0)
		return 0;
	return dflt;
}

static void
egg_push_str(char ***v, size_t *n, const char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
}

/* A list of strings; tolerates null, "" and {} (all meaning empty). */
static void
egg_strlist(struct egg_ctx *c, const struct ydoc_node *n, const char *key,
    char ***v, size_t *nv)
{
	size_t	i;

	if (n == NULL || ydoc_is_null(n))
		return;
	if (n->type == YDOC_MAP && n->n == 0)
		return;
	if (n->type == YDOC_SCALAR) {
		if (n->len > 0)
			egg_push_str(v, nv, n->str);
		return;
	}
	if (n->type != YDOC_SEQ) {
		egg_err(c, n, "'%s' must be a list of strings", key);
		return;
	}
	for (i = 0; i < n->n; i++) {
		const struct ydoc_node *it = ydoc_item(n, i);

		if (it->type != YDOC_SCALAR) {
			egg_err(c, it, "'%s' entries must be strings", key);
			continue;
		}
		egg_push_str(v, nv, it->str);
	}
}

/*
 * A value that may be a JSON string holding an object (upstream JSON
 * eggs) or the object itself (YAML eggs). Returns the object, or NULL.
 */
static const struct ydoc_node *
egg_nested(struct egg_ctx *c, const struct ydoc_node *n, const char *what)
{
	struct ydoc	*doc;
	struct diags	 d;
	char		*p;

	if (n == NULL || ydoc_is_null(n))
		return NULL;
	if (n->type != YDOC_SCALAR)
		return n;
	if (n->len == 0)
		return NULL;
	diags_init(&d);
	xasprintf(&p, "%s (%s)", c->path, what);
	if (egg_parse_text(&doc, p, n->str, n->len, &d) != 0) {
		egg_err(c, n, "'%s' is not valid json: %s", what,
		    d.n > 0 ? d.v[0].msg : "syntax error");
		diags_dispose(&d);
		free(p);
		return NULL;
	}
	free(p);
	diags_dispose(&d);
	c->docs = xreallocarray(c->docs, c->ndocs + 1, sizeof(*c->docs));
	c->docs[c->ndocs++] = doc;
	return doc->root;
}

/* Parses a stop string into the struct; see docs/eggs.md. */
static void
egg_stop_parse(struct egg_stop *st, const char *raw)
{
	size_t	i;

	free(st->raw);
	free(st->command);
	st->raw = xstrdup(raw);
	st->command = NULL;
	if (raw[0] != '^' || raw[1] == '\0') {
		st->kind = EGG_STOP_COMMAND;
		st->command = xstrdup(raw);
		st->signal = 0;
		return;
	}
	st->kind = EGG_STOP_SIGNAL;
	if (raw[1] == '^') {
		/* "^^C": a hard kill. */
		st->signal = SIGKILL;
		return;
	}
	for (i = 0; i < sizeof(egg_signals) / sizeof(egg_signals[0]); i++)
		if (strcasecmp(raw + 1, egg_signals[i].name) == 0) {
			st->signal = egg_signals[i].signo;
			return;
		}
	/* Any other "^X": a polite SIGTERM; the stop timeout escalates. */
	st->signal = SIGTERM;
}

static enum egg_parser
egg_parser_parse(const char *s, int *ok)
{
	*ok = 1;
	if (strcmp(s, "file") == 0)
		return EGG_PARSER_FILE;
	if (strcmp(s, "properties") == 0)
		return EGG_PARSER_PROPERTIES;
	if (strcmp(s, "yaml") == 0 || strcmp(s, "yml") == 0)
		return EGG_PARSER_YAML;
	if (strcmp(s, "json") == 0)
		return EGG_PARSER_JSON;
	if (strcmp(s, "ini") == 0)
		return EGG_PARSER_INI;
	if (strcmp(s, "xml") == 0)
		return EGG_PARSER_XML;
	*ok = 0;
	return EGG_PARSER_FILE;
}

/* The type a find value is written as: JSON true/false, integers. */
static int
egg_value_type(const struct ydoc_node *v)
{
	const char	*s = v->str;

	if (v->style != YDOC_PLAIN)
		return EGG_VAL_STRING;
	if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)
		return EGG_VAL_BOOL;
	if (*s == '-')
		s++;
	if (*s == '\0')
		return EGG_VAL_STRING;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return EGG_VAL_STRING;
	return EGG_VAL_INT;
}

/* Resolves a config file path beneath the server root; see egg.h. */
char *
egg_file_relpath(const char *path)
{
	struct buf	 b;
	const char	*p = path, *e;
	size_t		*ends = NULL, n = 0, cap = 0, len;
	int		 rooted = path[0] == '/';

	buf_init(&b, 0);
	while (*p != '\0') {
		if ((e = strchr(p, '/')) == NULL)
			e = p + strlen(p);
		len = (size_t)(e - p);
		if (len == 0 || (len == 1 && p[0] == '.'))
			;
		else if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (n > 0) {
				b.len = --n > 0 ? ends[n - 1] : 0;
				if (b.data != NULL)
					b.data[b.len] = '\0';
			} else if (!rooted) {
				free(ends);
				buf_dispose(&b);
				return NULL;	/* climbs out */
			}
		} else {
			if (n > 0)
				buf_putc(&b, '/');
			buf_add(&b, p, len);
			if (n == cap) {
				cap = cap ? cap * 2 : 8;
				ends = xreallocarray(ends, cap, sizeof(*ends));
			}
			ends[n++] = b.len;
		}
		p = *e == '/' ? e + 1 : e;
	}
	free(ends);
	if (n == 0) {
		buf_dispose(&b);
		return NULL;	/* the directory itself */
	}
	return buf_detach(&b);
}

/* Warns about a config file path roost cannot apply. */
static void
egg_file_path_check(struct egg_ctx *c, const struct ydoc_node *at,
    const char *path)
{
	char	*rel;

	if ((rel = egg_file_relpath(path)) != NULL) {
		free(rel);
		return;
	}
	diags_warn(c->d, c->path, at ? at->line : 0, at ? at->col : 0,
	    "config file '%s': the path leaves the server directory (or "
	    "names it); roost cannot apply it and skips it", path);
}

static void
egg_add_replace(struct egg_file *f, const char *match, const char *ifv,
    const struct ydoc_node *v)
{
	struct egg_replace	*r;

	f->replace = xreallocarray(f->replace, f->nreplace + 1,
	    sizeof(*f->replace));
	r = &f->replace[f->nreplace++];
	memset(r, 0, sizeof(*r));
	r->match = xstrdup(match);
	r->if_value = ifv != NULL ? xstrdup(ifv) : NULL;
	r->value = ydoc_is_null(v) ? xstrdup("") : xstrdup(v->str);
	r->value_type = ydoc_is_null(v) ? EGG_VAL_STRING : egg_value_type(v);
}

/*
 * Upstream config.files: {path: {parser, find: {key: value|{if: v}}}}.
 * outer is the config.files node of the egg itself (a JSON string in
 * JSON eggs), whose position problems of the nested text are given at.
 */
static void
egg_files_upstream(struct egg_ctx *c, const struct ydoc_node *files,
    const struct ydoc_node *outer)
{
	struct egg	*egg = c->egg;
	size_t		 i, j, k;
	int		 ok;

	if (files == NULL)
		return;
	if (files->type == YDOC_SEQ && files->n == 0)
		return;		/* "[]": an empty PHP array */
	if (files->type != YDOC_MAP) {
		egg_err(c, files, "'config.files' must be a map of file paths");
		return;
	}
	for (i = 0; i < files->n; i++) {
		const struct ydoc_node *fk = ydoc_key(files, i);
		const struct ydoc_node *fv = ydoc_val(files, i);
		const struct ydoc_node *parser, *find;
		struct egg_file *f;

		if (fv->type != YDOC_MAP)
			continue;	/* the panel skips these too */
		parser = ydoc_get(fv, "parser");
		find = ydoc_get(fv, "find");
		if (find == NULL || find->type != YDOC_MAP)
			continue;
		egg->files = xreallocarray(egg->files, egg->nfiles + 1,
		    sizeof(*egg->files));
		f = &egg->files[egg->nfiles++];
		memset(f, 0, sizeof(*f));
		f->path = xstrdup(fk->str);
		egg_file_path_check(c, outer != NULL && outer->type ==
		    YDOC_SCALAR ? outer : fk, fk->str);
		f->parser = egg_parser_parse(ydoc_is_scalar(parser) ?
		    parser->str : "", &ok);
		if (!ok)
			egg_err(c, parser ? parser : fv, "config file '%s': "
			    "unknown parser '%s' (use file, properties, yaml, "
			    "yml, json, ini or xml)", fk->str,
			    ydoc_is_scalar(parser) ? parser->str : "");
		for (j = 0; j < find->n; j++) {
			const struct ydoc_node *key = ydoc_key(find, j);
			const struct ydoc_node *val = ydoc_val(find, j);

			if (val->type == YDOC_MAP) {
				for (k = 0; k < val->n; k++)
					egg_add_replace(f, key->str,
					    ydoc_key(val, k)->str,
					    ydoc_val(val, k));
			} else if (val->type == YDOC_SCALAR)
				egg_add_replace(f, key->str, NULL, val);
			else
				egg_err(c, val, "config file '%s': value of "
				    "'%s' must be a scalar or a map", fk->str,
				    key->str);
		}
	}
}

static void
egg_done(struct egg_ctx *c, const struct ydoc_node *startup)
{
	const struct ydoc_node	*done = ydoc_get(startup, "done");

	if (done == NULL || ydoc_is_null(done))
		return;
	if (done->type == YDOC_SCALAR)
		egg_push_str(&c->egg->done, &c->egg->ndone, done->str);
	else
		egg_strlist(c, done, "config.startup.done", &c->egg->done,
		    &c->egg->ndone);
}

/* Fills var->rules from a rules node: "a|b:c", ["a", "b:c"] or {}. */
static void
egg_rules_node(struct egg_ctx *c, struct egg_var *var,
    const struct ydoc_node *n)
{
	struct buf	b;
	size_t		i;

	buf_init(&b, 0);
	if (n != NULL && n->type == YDOC_SCALAR && !ydoc_is_null(n))
		buf_puts(&b, n->str);
	else if (n != NULL && n->type == YDOC_SEQ) {
		for (i = 0; i < n->n; i++) {
			const struct ydoc_node *it = ydoc_item(n, i);

			if (it->type != YDOC_SCALAR || it->len == 0)
				continue;
			if (b.len > 0)
				buf_putc(&b, '|');
			buf_puts(&b, it->str);
		}
	}
	egg_rules_parse(buf_str(&b), &var->rules, &var->nrules);
	for (i = 0; i < var->nrules; i++)
		if ((strcmp(var->rules[i].name, "regex") == 0 ||
		    strcmp(var->rules[i].name, "not_regex") == 0) &&
		    (var->rules[i].nargs != 1 ||
		    !egg_regex_usable(var->rules[i].args[0])))
			diags_warn(c->d, c->path, n ? n->line : 0,
			    n ? n->col : 0, "variable '%s': the pattern of "
			    "'%s:%s' uses PCRE features roost cannot run; "
			    "values are not checked against it", var->env,
			    var->rules[i].name, var->rules[i].nargs ?
			    var->rules[i].args[0] : "");
	/* Keep the normalised form, so every spelling reads back equal. */
	buf_reset(&b);
	for (i = 0; i < var->nrules; i++) {
		size_t	k;

		buf_addf(&b, "%s%s", i ? "|" : "", var->rules[i].name);
		for (k = 0; k < var->rules[i].nargs; k++)
			buf_addf(&b, "%c%s", k ? ',' : ':',
			    var->rules[i].args[k]);
	}
	var->rules_raw = buf_detach(&b);
}

/* An environment variable name: [A-Z_][A-Z0-9_]*. */
int
egg_env_name_valid(const char *s)
{
	if (!(*s >= 'A' && *s <= 'Z') && *s != '_')
		return 0;
	for (; *s != '\0'; s++)
		if (!(*s >= 'A' && *s <= 'Z') && !(*s >= '0' && *s <= '9') &&
		    *s != '_')
			return 0;
	return 1;
}

/*
 * The name a variable that is not [A-Z_][A-Z0-9_]* is read as: letters
 * upper-cased, '-', '.' and ' ' made '_'. NULL when that is still not a
 * valid name (a leading digit, other characters).
 */
static char *
egg_env_map(const char *s)
{
	char	*m = xstrdup(s), *p;

	for (p = m; *p != '\0'; p++) {
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
		else if (*p == '-' || *p == '.' || *p == ' ')
			*p = '_';
	}
	if (!egg_env_name_valid(m)) {
		free(m);
		return NULL;
	}
	return m;
}

static int
egg_word(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_';
}

/*
 * Renames the references to variable old in one text: "{{old}}",
 * "{{env.old}}", "{{server.environment.old}}", "${old}" and "$old".
 */
static void
egg_rename_in(char **text, const char *old, const char *new)
{
	struct buf	 b;
	const char	*s, *hit;
	size_t		 n = strlen(old);
	int		 changed = 0;

	if (*text == NULL || strstr(*text, old) == NULL)
		return;
	buf_init(&b, 0);
	for (s = *text; (hit = strstr(s, old)) != NULL; s = hit + n) {
		buf_add(&b, s, hit - s);
		if (hit > *text && (hit[-1] == '{' || hit[-1] == '$' ||
		    hit[-1] == '.') && !egg_word(hit[n]) &&
		    (hit[-1] != '$' || hit == *text + 1 ||
		    !egg_word(hit[-2]))) {
			buf_puts(&b, new);
			changed = 1;
		} else
			buf_add(&b, hit, n);
	}
	buf_puts(&b, s);
	if (changed) {
		free(*text);
		*text = buf_detach(&b);
	} else
		buf_dispose(&b);
}

/* Renames a variable's references across the egg loaded so far. */
static void
egg_rename_refs(struct egg *egg, const char *old, const char *new)
{
	size_t	i, j;

	for (i = 0; i < egg->nstartups; i++)
		egg_rename_in(&egg->startups[i], old, new);
	for (i = 0; i < egg->nfiles; i++)
		for (j = 0; j < egg->files[i].nreplace; j++) {
			egg_rename_in(&egg->files[i].replace[j].value, old,
			    new);
			egg_rename_in(&egg->files[i].replace[j].if_value,
			    old, new);
		}
	egg_rename_in(&egg->install_script, old, new);
}

struct egg_var_pos {
	const char	*env;
	int		 line, col;
	size_t		 idx;
};

static int
egg_var_pos_cmp(const void *a, const void *b)
{
	const struct egg_var_pos *x = a, *y = b;
	int c = strcmp(x->env, y->env);

	if (c != 0)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * A variable defined twice is an error naming both places (sorted, so
 * any number of variables is checked in n log n).
 */
static void
egg_vars_dups(struct egg_ctx *c, struct egg_var_pos *pos, size_t n)
{
	size_t	i;

	qsort(pos, n, sizeof(*pos), egg_var_pos_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(pos[i].env, pos[i - 1].env) == 0)
			diags_add(c->d, c->path, pos[i].line, pos[i].col,
			    "variable '%s' is defined twice (first at "
			    "%d:%d)", pos[i].env, pos[i - 1].line,
			    pos[i - 1].col);
}

static void
egg_vars_load(struct egg_ctx *c, const struct ydoc_node *vars)
{
	struct egg		*egg = c->egg;
	struct egg_var_pos	*pos;
	size_t			 i, npos = 0;

	if (vars == NULL || ydoc_is_null(vars))
		return;
	if (vars->type != YDOC_SEQ) {
		egg_err(c, vars, "'variables' must be a list");
		return;
	}
	if (vars->n > EGG_MAX_VARS) {
		egg_err(c, ydoc_item(vars, EGG_MAX_VARS), "more than %d "
		    "variables; an egg has at most %d", EGG_MAX_VARS,
		    EGG_MAX_VARS);
		return;
	}
	pos = xcalloc(vars->n + 1, sizeof(*pos));
	for (i = 0; i < vars->n; i++) {
		const struct ydoc_node *v = ydoc_item(vars, i), *en;
		struct egg_var *var;
		char *env, *mapped;

		if (v->type != YDOC_MAP) {
			egg_err(c, v, "each variable must be a map");
			continue;
		}
		if ((en = ydoc_get(v, "env_variable")) == NULL)
			en = ydoc_get(v, "env");
		if ((env = egg_str(c, v, "env_variable")) == NULL &&
		    (env = egg_str(c, v, "env")) == NULL) {
			egg_err(c, v, "variable without 'env_variable' (or "
			    "'env')");
			continue;
		}
		if (en == NULL)
			en = v;
		if (!egg_env_name_valid(env)) {
			if ((mapped = egg_env_map(env)) == NULL) {
				egg_err(c, en, "variable '%s': a name must "
				    "match [A-Z_][A-Z0-9_]*", env);
				free(env);
				continue;
			}
			diags_warn(c->d, c->path, en->line, en->col,
			    "variable '%s' is read as '%s' (names match "
			    "[A-Z_][A-Z0-9_]*); its references are renamed",
			    env, mapped);
			egg_rename_refs(egg, env, mapped);
			free(env);
			env = mapped;
		}
		egg->vars = xreallocarray(egg->vars, egg->nvars + 1,
		    sizeof(*egg->vars));
		var = &egg->vars[egg->nvars++];
		memset(var, 0, sizeof(*var));
		var->env = env;
		pos[npos].env = env;
		pos[npos].line = en->line;
		pos[npos].col = en->col;
		pos[npos].idx = egg->nvars - 1;
		npos++;
		var->name = egg_str(c, v, "name");
		if (var->name == NULL)
			var->name = xstrdup(env);
		var->description = egg_str(c, v, "description");
		if (var->description == NULL)
			var->description = xstrdup("");
		var->def = egg_strdup_scalar(ydoc_get(v, "default_value") ?
		    ydoc_get(v, "default_value") : ydoc_get(v, "default"));
		var->viewable = egg_bool(ydoc_get(v, "user_viewable") ?
		    ydoc_get(v, "user_viewable") : ydoc_get(v, "viewable"), 1);
		var->editable = egg_bool(ydoc_get(v, "user_editable") ?
		    ydoc_get(v, "user_editable") : ydoc_get(v, "editable"), 1);
		egg_rules_node(c, var, ydoc_get(v, "rules"));
	}
	/* pos[].env points into egg->vars, which does not move any more */
	for (i = 0; i < npos; i++)
		pos[i].env = egg->vars[pos[i].idx].env;
	egg_vars_dups(c, pos, npos);
	free(pos);
}

static void
egg_add_image(struct egg *egg, const char *label, const char *ref)
{
	egg->images = xreallocarray(egg->images, egg->nimages + 1,
	    sizeof(*egg->images));
	egg->images[egg->nimages].label = xstrdup(label);
	egg->images[egg->nimages].ref = xstrdup(ref);
	egg->nimages++;
}

/* Adds each scalar of list n as an image labelled with its own ref. */
static void
egg_add_images(struct egg *egg, const struct ydoc_node *n)
{
	size_t	i;

	for (i = 0; i < n->n; i++)
		if (ydoc_is_scalar(ydoc_item(n, i)))
			egg_add_image(egg, ydoc_item(n, i)->str,
			    ydoc_item(n, i)->str);
}

static void
egg_add_startup(struct egg *egg, const char *label, const char *cmd)
{
	egg->startups = xreallocarray(egg->startups, egg->nstartups + 1,
	    sizeof(*egg->startups));
	egg->startup_labels = xreallocarray(egg->startup_labels,
	    egg->nstartups + 1, sizeof(*egg->startup_labels));
	egg->startups[egg->nstartups] = xstrdup(cmd);
	egg->startup_labels[egg->nstartups] = xstrdup(label);
	egg->nstartups++;
}

/* Pterodactyl and Pelican eggs, JSON or YAML. */
static void
egg_load_upstream(struct egg_ctx *c, const struct ydoc_node *root)
{
	struct egg		*egg = c->egg;
	const struct ydoc_node	*n, *cfg, *inst, *meta;
	size_t			 i;

	meta = ydoc_get(root, "meta");
	egg->source_version = egg_str(c, meta, "version");
	egg->update_url = egg_str(c, meta, "update_url");
	egg->name = egg_str(c, root, "name");
	egg->author = egg_str(c, root, "author");
	egg->description = egg_str(c, root, "description");

	/* Runtime images: docker_images (map or list), images, image. */
	if ((n = ydoc_get(root, "docker_images")) != NULL &&
	    !ydoc_is_null(n)) {
		if (n->type == YDOC_MAP) {
			for (i = 0; i < n->n; i++)
				if (ydoc_is_scalar(ydoc_val(n, i)) &&
				    ydoc_val(n, i)->len > 0)
					egg_add_image(egg, ydoc_key(n, i)->str,
					    ydoc_val(n, i)->str);
		} else if (n->type == YDOC_SEQ)
			egg_add_images(egg, n);
	} else if ((n = ydoc_get(root, "images")) != NULL &&
	    n->type == YDOC_SEQ)
		egg_add_images(egg, n);
	else if ((n = ydoc_get(root, "image")) != NULL &&
	    ydoc_is_scalar(n) && n->len > 0 &&
	    strncmp(n->str, "data:", 5) != 0)
		egg_add_image(egg, n->str, n->str);
	if (egg->nimages == 0)
		egg_err(c, root, "the egg has no docker images");

	/* Startup: one command, or PLCN_v3's labelled commands. */
	if ((n = ydoc_get(root, "startup_commands")) != NULL &&
	    n->type == YDOC_MAP) {
		for (i = 0; i < n->n; i++)
			if (ydoc_is_scalar(ydoc_val(n, i)))
				egg_add_startup(egg, ydoc_key(n, i)->str,
				    ydoc_val(n, i)->str);
	} else if ((n = ydoc_get(root, "startup")) != NULL &&
	    ydoc_is_scalar(n))
		egg_add_startup(egg, "Default", n->str);
	if (egg->nstartups == 0)
		egg_err(c, root, "the egg has no startup command");

	cfg = ydoc_get(root, "config");
	if (cfg != NULL && cfg->type == YDOC_MAP) {
		egg_files_upstream(c, egg_nested(c, ydoc_get(cfg, "files"),
		    "config.files"), ydoc_get(cfg, "files"));
		egg_done(c, egg_nested(c, ydoc_get(cfg, "startup"),
		    "config.startup"));
		(void)egg_nested(c, ydoc_get(cfg, "logs"), "config.logs");
		if ((n = ydoc_get(cfg, "stop")) != NULL && ydoc_is_scalar(n) &&
		    n->len > 0)
			egg_stop_parse(&egg->stop, n->str);
	}
	if (egg->stop.raw == NULL)
		egg_stop_parse(&egg->stop, "^C");

	inst = ydoc_get(ydoc_get(root, "scripts"), "installation");
	if (inst != NULL && inst->type == YDOC_MAP) {
		char	*script = egg_str(c, inst, "script");

		if (script != NULL && script[0] != '\0') {
			egg->install_script = egg_lf(script);
			egg->install_image = egg_str(c, inst, "container");
			egg->install_entrypoint = egg_str(c, inst,
			    "entrypoint");
			if (egg->install_entrypoint == NULL)
				egg->install_entrypoint = xstrdup("bash");
			if (egg->install_image == NULL)
				egg_err(c, inst, "the install script has no "
				    "'container' image");
		}
		free(script);
	}
	egg_vars_load(c, ydoc_get(root, "variables"));
	egg_strlist(c, ydoc_get(root, "file_denylist"), "file_denylist",
	    &egg->denylist, &egg->ndenylist);
	egg_strlist(c, ydoc_get(root, "features"), "features",
	    &egg->features, &egg->nfeatures);
}

/* roost's own YAML egg form (egg_write_yaml writes it). */
static void
egg_load_roost(struct egg_ctx *c, const struct ydoc_node *root)
{
	struct egg		*egg = c->egg;
	const struct ydoc_node	*n, *inst;
	size_t			 i, j;
	int			 ok;

	egg->name = egg_str(c, root, "name");
	egg->author = egg_str(c, root, "author");
	egg->description = egg_str(c, root, "description");
	egg->source_version = egg_str(c, root, "source");
	if (egg->source_version == NULL)
		egg->source_version = xstrdup("roost/v1");
	egg->update_url = egg_str(c, root, "updateUrl");
	n = ydoc_get(root, "images");
	if (n == NULL || n->type != YDOC_SEQ || n->n == 0)
		egg_err(c, n ? n : root, "'images' must be a list of at least "
		    "one {label, ref}");
	else
		for (i = 0; i < n->n; i++) {
			const struct ydoc_node *it = ydoc_item(n, i);
			char *ref = egg_str(c, it, "ref"), *lab;

			if (ref == NULL) {
				egg_err(c, it, "image entry without 'ref'");
				continue;
			}
			lab = egg_str(c, it, "label");
			egg_add_image(egg, lab ? lab : ref, ref);
			free(ref);
			free(lab);
		}
	if ((n = ydoc_get(root, "startupCommands")) != NULL &&
	    n->type == YDOC_SEQ) {
		for (i = 0; i < n->n; i++) {
			char *lab = egg_str(c, ydoc_item(n, i), "label");
			char *cmd = egg_str(c, ydoc_item(n, i), "command");

			if (cmd != NULL)
				egg_add_startup(egg, lab ? lab : "Default",
				    cmd);
			free(lab);
			free(cmd);
		}
	} else if ((n = ydoc_get(root, "startup")) != NULL &&
	    ydoc_is_scalar(n))
		egg_add_startup(egg, "Default", n->str);
	if (egg->nstartups == 0)
		egg_err(c, root, "'startup' is required");
	if ((n = ydoc_get(root, "stop")) != NULL && ydoc_is_scalar(n) &&
	    n->len > 0)
		egg_stop_parse(&egg->stop, n->str);
	else
		egg_stop_parse(&egg->stop, "^C");
	egg_strlist(c, ydoc_get(root, "done"), "done", &egg->done,
	    &egg->ndone);
	if ((n = ydoc_get(root, "configFiles")) != NULL &&
	    n->type == YDOC_SEQ)
		for (i = 0; i < n->n; i++) {
			const struct ydoc_node *fe = ydoc_item(n, i), *set;
			struct egg_file *f;
			char *path = egg_str(c, fe, "path");
			char *parser = egg_str(c, fe, "parser");

			if (path == NULL) {
				egg_err(c, fe, "config file without 'path'");
				free(parser);
				continue;
			}
			egg->files = xreallocarray(egg->files, egg->nfiles + 1,
			    sizeof(*egg->files));
			f = &egg->files[egg->nfiles++];
			memset(f, 0, sizeof(*f));
			f->path = path;
			egg_file_path_check(c, ydoc_get(fe, "path"), path);
			f->parser = egg_parser_parse(parser ? parser : "",
			    &ok);
			if (!ok)
				egg_err(c, fe, "config file '%s': unknown "
				    "parser '%s'", path, parser ? parser : "");
			free(parser);
			set = ydoc_get(fe, "set");
			for (j = 0; set != NULL && set->type == YDOC_SEQ &&
			    j < set->n; j++) {
				const struct ydoc_node *e = ydoc_item(set, j);
				const struct ydoc_node *v = ydoc_get(e,
				    "value");
				const struct ydoc_node *t = ydoc_get(e, "type");
				char *m = egg_str(c, e, "match");
				char *iv = egg_str(c, e, "ifValue");

				if (m == NULL || v == NULL ||
				    v->type != YDOC_SCALAR) {
					egg_err(c, e, "config file '%s': each "
					    "entry needs 'match' and a scalar "
					    "'value'", path);
					free(m);
					free(iv);
					continue;
				}
				egg_add_replace(f, m, iv, v);
				f->replace[f->nreplace - 1].value_type =
				    t && ydoc_is_scalar(t) ?
				    (strcmp(t->str, "int") == 0 ? EGG_VAL_INT :
				    strcmp(t->str, "bool") == 0 ?
				    EGG_VAL_BOOL : EGG_VAL_STRING) :
				    EGG_VAL_STRING;
				free(m);
				free(iv);
			}
		}
	inst = ydoc_get(root, "install");
	if (inst != NULL && inst->type == YDOC_MAP) {
		char *script = egg_str(c, inst, "script");

		egg->install_image = egg_str(c, inst, "image");
		egg->install_entrypoint = egg_str(c, inst, "entrypoint");
		egg->install_script = script ? egg_lf(script) : NULL;
		free(script);
		if (egg->install_image == NULL || egg->install_script == NULL)
			egg_err(c, inst, "'install' needs 'image' and "
			    "'script'");
		if (egg->install_entrypoint == NULL)
			egg->install_entrypoint = xstrdup("sh");
	}
	egg_vars_load(c, ydoc_get(root, "variables"));
	egg_strlist(c, ydoc_get(root, "denylist"), "denylist",
	    &egg->denylist, &egg->ndenylist);
	egg_strlist(c, ydoc_get(root, "features"), "features",
	    &egg->features, &egg->nfeatures);
}

/* Loads an egg from a buffer; see egg.h. */
int
egg_load(struct egg **out, const char *path, const char *buf, size_t len,
    struct diags *d)
{
	struct egg_ctx		 c;
	struct ydoc		*doc;
	const struct ydoc_node	*root, *api;
	size_t			 before = d->nerrors, i;

	*out = NULL;
	/* A UTF-8 byte order mark is not part of the document. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		buf += 3;
		len -= 3;
	}
	if (egg_parse_text(&doc, path, buf, len, d) != 0)
		return ROOST_EINVAL;
	memset(&c, 0, sizeof(c));
	c.path = path;
	c.d = d;
	c.egg = xcalloc(1, sizeof(*c.egg));
	root = doc->root;
	if (root == NULL || root->type != YDOC_MAP) {
		egg_err(&c, root, "an egg must be a map of keys");
	} else {
		api = ydoc_get(root, "apiVersion");
		/*
		 * An upstream egg in JSON is read as PHP's json_decode reads
		 * it, the last of a repeated key winning (real eggs repeat
		 * keys); any other egg may not repeat a key.
		 */
		if (!egg_is_json(buf, len) || (api != NULL &&
		    ydoc_is_scalar(api) && strcmp(api->str, "roost/v1") == 0))
			(void)ydoc_check_duplicates(doc, d);
		if (api != NULL && ydoc_is_scalar(api) &&
		    strcmp(api->str, "roost/v1") == 0)
			egg_load_roost(&c, root);
		else if (ydoc_get(root, "meta") != NULL ||
		    ydoc_get(root, "docker_images") != NULL ||
		    ydoc_get(root, "startup") != NULL)
			egg_load_upstream(&c, root);
		else
			egg_err(&c, root, "not an egg: no 'meta.version' "
			    "(Pterodactyl or Pelican) and no 'apiVersion: "
			    "roost/v1'");
		if (c.egg->name == NULL) {
			egg_err(&c, root, "the egg has no 'name'");
		}
	}
	c.egg->startup = c.egg->nstartups > 0 ?
	    xstrdup(c.egg->startups[0]) : xstrdup("");
	if (c.egg->author == NULL)
		c.egg->author = xstrdup("");
	if (c.egg->description == NULL)
		c.egg->description = xstrdup("");
	for (i = 0; i < c.ndocs; i++)
		ydoc_free(c.docs[i]);
	free(c.docs);
	ydoc_free(doc);
	if (d->nerrors > before) {
		egg_free(c.egg);
		return ROOST_EINVAL;
	}
	*out = c.egg;
	return 0;
}

/* Reads and loads an egg file. */
int
egg_load_file(struct egg **out, const char *path, struct diags *d)
{
	struct buf	b;
	struct rerr	err;
	int		rc;

	*out = NULL;
	buf_init(&b, 16 << 20);
	rerr_init(&err);
	if (util_read_file(path, &b, &err) != 0) {
		diags_add(d, path, 0, 0, "%s", err.msg);
		buf_dispose(&b);
		return -1;
	}
	rc = egg_load(out, path, buf_str(&b), b.len, d);
	buf_dispose(&b);
	return rc;
}

/* Frees an egg. */
void
egg_free(struct egg *egg)
{
	size_t	i, j;

	if (egg == NULL)
		return;
	free(egg->id);
	free(egg->name);
	free(egg->author);
	free(egg->description);
	free(egg->source_version);
	free(egg->update_url);
	for (i = 0; i < egg->nimages; i++) {
		free(egg->images[i].label);
		free(egg->images[i].ref);
	}
	free(egg->images);
	free(egg->startup);
	strv_free(egg->startups, egg->nstartups);
	strv_free(egg->startup_labels, egg->nstartups);
	free(egg->stop.command);
	free(egg->stop.raw);
	strv_free(egg->done, egg->ndone);
	for (i = 0; i < egg->nfiles; i++) {
		for (j = 0; j < egg->files[i].nreplace; j++) {
			free(egg->files[i].replace[j].match);
			free(egg->files[i].replace[j].if_value);
			free(egg->files[i].replace[j].value);
		}
		free(egg->files[i].replace);
		free(egg->files[i].path);
	}
	free(egg->files);
	free(egg->install_image);
	free(egg->install_entrypoint);
	free(egg->install_script);
	for (i = 0; i < egg->nvars; i++) {
		struct egg_var *v = &egg->vars[i];

		free(v->name);
		free(v->description);
		free(v->env);
		free(v->def);
		free(v->rules_raw);
		egg_rules_free(v->rules, v->nrules);
	}
	free(egg->vars);
	strv_free(egg->denylist, egg->ndenylist);
	strv_free(egg->features, egg->nfeatures);
	free(egg);
}

/* The variable with env name env, or NULL. */
const struct egg_var *
egg_var_find(const struct egg *egg, const char *env)
{
	size_t	i;

	for (i = 0; i < egg->nvars; i++)
		if (strcmp(egg->vars[i].env, env) == 0)
			return &egg->vars[i];
	return NULL;
}

/* True when ref is one of the egg's images. */
int
egg_has_image(const struct egg *egg, const char *ref)
{
	size_t	i;

	for (i = 0; i < egg->nimages; i++)
		if (strcmp(egg->images[i].ref, ref) == 0)
			return 1;
	return 0;
}
