/*
 * cfgfile: rewriting a server's configuration files before it starts
 * (see cfgfile.h).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"
#include "json.h"
#include "rerr.h"
#include "util.h"
#include "xmalloc.h"
#include "ydoc.h"
#include "yedit.h"
#include "ywrite.h"

#include "cfgfile.h"

#define CFG_MAX_FILE	(8 << 20)
#define CFG_NMATCH	10	/* $0 .. $9 */

/*
 * Makes fd's file the game's (roostd runs as root). Root's fchown fails
 * only where the filesystem has no owners; the file then stays root's
 * and readable, as the game needs it.
 */
static void
give_to(int fd, uid_t uid, gid_t gid)
{
	if (fchown(fd, uid, gid) == -1)
		return;
}

static const char *
env_lookup(const struct cfgfile_env *env, const char *key)
{
	size_t	i;

	for (i = 0; i < env->nvars; i++)
		if (strcmp(env->keys[i], key) == 0)
			return env->values[i];
	for (i = 0; i < env->nvars; i++)
		if (strcasecmp(env->keys[i], key) == 0)
			return env->values[i];
	return NULL;
}

/* The keys of the port, IP, memory and interface, in every spelling. */
static const char *const port_keys[] = {
	"server.build.default.port", "server.allocations.default.port",
	"server.build.env.SERVER_PORT", "server.environment.SERVER_PORT",
	"env.SERVER_PORT", NULL
};
static const char *const ip_keys[] = {
	"server.build.default.ip", "server.allocations.default.ip",
	"server.build.env.SERVER_IP", "server.environment.SERVER_IP",
	"env.SERVER_IP", NULL
};
static const char *const memory_keys[] = {
	"server.build.memory", "server.build.memory_limit",
	"server.build.env.SERVER_MEMORY", "server.environment.SERVER_MEMORY",
	"env.SERVER_MEMORY", NULL
};
static const char *const interface_keys[] = {
	"config.docker.interface", "config.docker.network.interface", NULL
};

/* True when key is one of keys (NULL-terminated). */
static int
key_in(const char *key, const char *const *keys)
{
	for (; *keys != NULL; keys++)
		if (strcmp(key, *keys) == 0)
			return 1;
	return 0;
}

/* The variable an environment key names ("env.X": X), or NULL. */
static const char *
env_var_of(const char *key)
{
	static const char	*prefixes[] = { "server.build.env.",
	    "server.build.environment.", "server.environment.", "env.",
	    NULL };
	size_t			 i, n;

	for (i = 0; prefixes[i] != NULL; i++) {
		n = strlen(prefixes[i]);
		if (strncmp(key, prefixes[i], n) == 0)
			return key + n;
	}
	return NULL;
}

/* The value of one placeholder key, or NULL to leave it as written. */
static void
resolve(const char *key, const struct cfgfile_env *env, struct buf *out)
{
	const char	*name, *v;

	if (key_in(key, port_keys))
		buf_addf(out, "%d", env->port);
	else if (key_in(key, ip_keys))
		buf_puts(out, env->ip ? env->ip : "0.0.0.0");
	else if (key_in(key, memory_keys))
		buf_addf(out, "%lld", (long long)env->memory);
	else if (key_in(key, interface_keys))
		buf_puts(out, env->interface ? env->interface : "172.18.0.1");
	else if ((name = env_var_of(key)) != NULL) {
		v = env_lookup(env, name);
		buf_puts(out, v != NULL ? v : "");
	}
	/* Other server.* and config.* keys the panels resolve to "". */
}

/*
 * Expands the {{...}} placeholders of s into out. With a regex match
 * (subj, m), "$N" and "${N}" insert capturing group N of subj (groups
 * maps the pattern's group numbers to POSIX ones; $0 is the whole match).
 */
static void
expand(const char *s, const struct cfgfile_env *env, const char *subj,
    const regmatch_t *m, const size_t *groups, size_t ngroups,
    struct buf *out)
{
	const char	*close, *k;
	char		*key;
	size_t		 g, len;
	int		 ok;

	while (*s != '\0') {
		if (s[0] == '{' && s[1] == '{' &&
		    (close = strstr(s + 2, "}}")) != NULL) {
			ok = close > s + 2;
			for (k = s + 2; k < close && ok; k++)
				if (!isalnum((unsigned char)*k) && *k != '_' &&
				    *k != '.' && *k != '-')
					ok = 0;
			key = xstrndup(s + 2, (size_t)(close - s - 2));
			if (ok && (strncmp(key, "server.", 7) == 0 ||
			    strncmp(key, "env.", 4) == 0 ||
			    strncmp(key, "config.", 7) == 0))
				resolve(key, env, out);
			else
				buf_add(out, s, (size_t)(close + 2 - s));
			free(key);
			s = close + 2;
			continue;
		}
		if (subj != NULL && s[0] == '$' && (isdigit((unsigned char)s[1]) ||
		    (s[1] == '{' && isdigit((unsigned char)s[2]) &&
		    strchr(s + 2, '}') != NULL))) {
			const char *p = s[1] == '{' ? s + 2 : s + 1;

			for (g = 0, len = 0; isdigit((unsigned char)p[len]) &&
			    len < 3; len++)
				g = g * 10 + (size_t)(p[len] - '0');
			if (s[1] == '{' && p[len] != '}') {
				buf_putc(out, *s++);
				continue;
			}
			s = p + len + (s[1] == '{');
			if (g > 0)
				g = g <= ngroups ? groups[g - 1] : 0;
			else
				g = 0;
			if ((g > 0 || p[0] == '0') && g < CFG_NMATCH &&
			    m[g].rm_so != -1)
				buf_add(out, subj + m[g].rm_so,
				    (size_t)(m[g].rm_eo - m[g].rm_so));
			continue;
		}
		buf_putc(out, *s++);
	}
}

/* Expands {{...}} placeholders; see cfgfile.h. */
void
cfgfile_expand(const char *s, const struct cfgfile_env *env, struct buf *out)
{
	expand(s, env, NULL, NULL, NULL, 0, out);
}

/*
 * Decides the new value of an entry given the key's current value (NULL
 * when the key is absent). Without if_value the value is always set. A
 * literal if_value sets it only when the current value equals it; a
 * "regex:" if_value only when the current value matches, and then the
 * matched part is replaced by the value with $N back-references filled
 * in. Returns 1 with the expanded value in out, or 0 to leave the key.
 */
static int
cond_value(const struct egg_replace *r, const char *cur,
    const struct cfgfile_env *env, struct buf *out, struct diags *d,
    const char *path)
{
	regex_t		re;
	regmatch_t	m[CFG_NMATCH];
	size_t		groups[CFG_NMATCH - 1];

	buf_reset(out);
	if (r->if_value == NULL) {
		expand(r->value, env, NULL, NULL, NULL, 0, out);
		return 1;
	}
	if (cur == NULL)
		return 0;	/* a condition never creates a key */
	if (strncmp(r->if_value, "regex:", 6) != 0) {
		if (strcmp(cur, r->if_value) != 0)
			return 0;
		expand(r->value, env, NULL, NULL, NULL, 0, out);
		return 1;
	}
	if (egg_regex_compile(&re, r->if_value + 6, 0, groups,
	    CFG_NMATCH - 1) != 0) {
		diags_warn(d, path, 0, 0, "'%s': the condition '%s' is not a "
		    "pattern roost can run; left unchanged", r->match,
		    r->if_value);
		return 0;
	}
	if (regexec(&re, cur, CFG_NMATCH, m, 0) != 0) {
		regfree(&re);
		return 0;
	}
	buf_add(out, cur, (size_t)m[0].rm_so);
	expand(r->value, env, cur, m, groups, CFG_NMATCH - 1, out);
	buf_puts(out, cur + m[0].rm_eo);
	regfree(&re);
	return 1;
}

/* ---- line-based formats ---- */

struct lines {
	char	**v;
	size_t	  n;
	int	  trailing_nl;
};

static void
lines_split(struct lines *l, const char *in, size_t len)
{
	const char	*p = in, *e = in + len, *nl;

	memset(l, 0, sizeof(*l));
	l->trailing_nl = len == 0 || in[len - 1] == '\n';
	while (p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == NULL)
			nl = e;
		l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
		l->v[l->n++] = xstrndup(p, (size_t)(nl - p));
		p = nl + 1;
	}
}

static void
lines_join(struct lines *l, struct buf *out)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		buf_puts(out, l->v[i]);
		if (i + 1 < l->n || l->trailing_nl)
			buf_putc(out, '\n');
	}
}

static void
lines_insert(struct lines *l, size_t at, char *line)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	memmove(&l->v[at + 1], &l->v[at], (l->n - at) * sizeof(*l->v));
	l->v[at] = line;
	l->n++;
	if (l->n == 1)
		l->trailing_nl = 1;
}

static void
lines_free(struct lines *l)
{

	strv_free(l->v, l->n);
}

static const char *
skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* "file": a line starting with match is replaced by the value. */
static void
rewrite_file(struct lines *l, const char *match, const char *value)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (strncmp(l->v[i], match, strlen(match)) == 0) {
			free(l->v[i]);
			l->v[i] = xstrdup(value);
		}
}

/* Splits a properties line into key and value; 0 for comments. */
static int
prop_split(const char *line, size_t *klen, const char **val)
{
	const char	*p = skip_ws(line), *k = p;

	if (*p == '\0' || *p == '#' || *p == '!')
		return 0;
	while (*p != '\0' && *p != '=' && *p != ':' && *p != ' ' &&
	    *p != '\t') {
		if (*p == '\\' && p[1] != '\0')
			p++;
		p++;
	}
	*klen = (size_t)(p - k);
	p = skip_ws(p);
	if (*p == '=' || *p == ':')
		p = skip_ws(p + 1);
	*val = p;
	return (int)(k - line) + 1;
}

/* Sets one property: the first line with that key, else a new line. */
static void
rewrite_properties(struct lines *l, const struct egg_replace *r,
    const struct cfgfile_env *env, struct buf *val, struct diags *d,
    const char *path)
{
	const char	*v;
	size_t		 i, klen;
	int		 off;
	char		*nl, *cur;

	for (i = 0; i < l->n; i++) {
		if ((off = prop_split(l->v[i], &klen, &v)) == 0)
			continue;
		if (klen != strlen(r->match) || strncmp(l->v[i] + off - 1,
		    r->match, klen) != 0)
			continue;
		cur = xstrdup(v);
		if (cond_value(r, cur, env, val, d, path)) {
			xasprintf(&nl, "%s=%s", r->match, buf_str(val));
			free(l->v[i]);
			l->v[i] = nl;
		}
		free(cur);
		return;
	}
	if (!cond_value(r, NULL, env, val, d, path))
		return;
	xasprintf(&nl, "%s=%s", r->match, buf_str(val));
	lines_insert(l, l->n, nl);
}

/* "section.key" with the first '.' outside [...] splitting them. */
static void
ini_split(const char *match, char **sect, char **key)
{
	const char	*p;
	int		 depth = 0;

	for (p = match; *p != '\0'; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']')
			depth--;
		else if (*p == '.' && depth == 0)
			break;
	}
	if (*p == '\0') {
		*sect = xstrdup("");
		*key = xstrdup(match);
	} else {
		*sect = xstrndup(match, (size_t)(p - match));
		*key = xstrdup(p + 1);
	}
}

static int
ini_section(const char *line, const char **name, size_t *len)
{
	const char	*p = skip_ws(line), *e;

	if (*p != '[' || (e = strrchr(p, ']')) == NULL)
		return 0;
	*name = p + 1;
	*len = (size_t)(e - p - 1);
	return 1;
}

/* Sets section.key, creating the key and the section when missing. */
static void
rewrite_ini(struct lines *l, const struct egg_replace *r,
    const struct cfgfile_env *env, struct buf *val, struct diags *d,
    const char *path)
{
	char		*sect, *key, *nl, *cur;
	const char	*name, *p, *v;
	size_t		 i, nlen, last = 0, klen;
	int		 in = 0, found_sect = 0;

	ini_split(r->match, &sect, &key);
	in = sect[0] == '\0';
	found_sect = in;
	last = 0;
	for (i = 0; i < l->n; i++) {
		if (ini_section(l->v[i], &name, &nlen)) {
			if (in && found_sect)
				break;
			in = nlen == strlen(sect) &&
			    strncmp(name, sect, nlen) == 0;
			if (in) {
				found_sect = 1;
				last = i + 1;
			}
			continue;
		}
		if (!in)
			continue;
		p = skip_ws(l->v[i]);
		if (*p == ';' || *p == '#' || *p == '\0')
			continue;
		last = i + 1;
		for (klen = 0; p[klen] != '\0' && p[klen] != '=' &&
		    p[klen] != ':'; klen++)
			;
		while (klen > 0 && (p[klen - 1] == ' ' || p[klen - 1] == '\t'))
			klen--;
		if (klen != strlen(key) || strncmp(p, key, klen) != 0)
			continue;
		v = strpbrk(p, "=:");
		cur = xstrdup(v != NULL ? skip_ws(v + 1) : "");
		if (cond_value(r, cur, env, val, d, path)) {
			xasprintf(&nl, "%.*s=%s", (int)(p - l->v[i] + klen),
			    l->v[i], buf_str(val));
			free(l->v[i]);
			l->v[i] = nl;
		}
		free(cur);
		goto done;
	}
	if (!cond_value(r, NULL, env, val, d, path))
		goto done;
	if (!found_sect) {
		if (l->n > 0 && l->v[l->n - 1][0] != '\0')
			lines_insert(l, l->n, xstrdup(""));
		xasprintf(&nl, "[%s]", sect);
		lines_insert(l, l->n, nl);
		last = l->n;
	} else if (sect[0] == '\0' && last == 0) {
		/* Keys of the default section go before the first section. */
		for (last = 0; last < l->n && !ini_section(l->v[last], &name,
		    &nlen); last++)
			;
	}
	xasprintf(&nl, "%s=%s", key, buf_str(val));
	lines_insert(l, last, nl);
done:
	free(sect);
	free(key);
}

/* ---- structured formats ---- */

/* The JSON value for a set: true/false and integers typed, as Wings. */
static cJSON *
json_value(const char *value, int type)
{
	char		*end;
	long long	 v;

	if (type == EGG_VAL_BOOL || strcmp(value, "true") == 0 ||
	    strcmp(value, "false") == 0)
		return json_new_bool(strcmp(value, "true") == 0);
	errno = 0;
	v = strtoll(value, &end, 10);
	if (*value != '\0' && *end == '\0' && errno == 0 &&
	    v > -(1LL << 53) && v < (1LL << 53))
		return json_new_num((double)v);
	return json_new_str(value);
}

/* The current value of a JSON node as text, for conditions; NULL if none. */
static char *
json_text(const cJSON *n)
{
	if (n == NULL || cJSON_IsNull(n))
		return NULL;
	if (cJSON_IsString(n))
		return xstrdup(n->valuestring);
	if (cJSON_IsObject(n) || cJSON_IsArray(n))
		return NULL;
	return json_print(n);
}

struct jset {
	const struct egg_replace	*r;
	const struct cfgfile_env	*env;
	struct buf			*val;
	struct diags			*d;
	const char			*path;
};

/*
 * Sets the value at a dotted path: missing objects are created, "[n]"
 * indexes a list (growing it), and a "*" segment applies the rest of the
 * path to every child.
 */
static void
json_set(cJSON *obj, const char *path, const struct jset *js)
{
	char		 seg[256];
	const char	*dot, *br;
	size_t		 n;
	cJSON		*next, *child;
	long		 idx = -1;
	char		*cur;

	if (obj == NULL)
		return;
	dot = strchr(path, '.');
	n = dot ? (size_t)(dot - path) : strlen(path);
	if (n == 0 || n >= sizeof(seg))
		return;
	memcpy(seg, path, n);
	seg[n] = '\0';
	if ((br = strchr(seg, '[')) != NULL) {
		idx = strtol(br + 1, NULL, 10);
		if (idx < 0 || idx > 4096)
			return;
		seg[br - seg] = '\0';
	}
	if (strcmp(seg, "*") == 0) {
		if (dot == NULL)
			return;
		cJSON_ArrayForEach(child, obj)
			json_set(child, dot + 1, js);
		return;
	}
	if (!cJSON_IsObject(obj))
		return;
	next = cJSON_GetObjectItemCaseSensitive(obj, seg);
	if (idx >= 0) {
		if (next == NULL || !cJSON_IsArray(next)) {
			if (next != NULL || js->r->if_value != NULL)
				return;
			next = cJSON_AddArrayToObject(obj, seg);
		}
		if (cJSON_GetArraySize(next) <= idx &&
		    js->r->if_value != NULL)
			return;
		while (cJSON_GetArraySize(next) <= idx)
			cJSON_AddItemToArray(next, dot ? json_new_object() :
			    json_new_null());
		child = cJSON_GetArrayItem(next, (int)idx);
		if (dot != NULL) {
			json_set(child, dot + 1, js);
			return;
		}
		cur = json_text(child);
		if (cond_value(js->r, cur, js->env, js->val, js->d, js->path))
			cJSON_ReplaceItemInArray(next, (int)idx,
			    json_value(buf_str(js->val), js->r->value_type));
		free(cur);
		return;
	}
	if (dot != NULL) {
		if (next == NULL) {
			if (js->r->if_value != NULL)
				return;
			next = cJSON_AddObjectToObject(obj, seg);
		}
		json_set(next, dot + 1, js);
		return;
	}
	cur = json_text(next);
	if (cond_value(js->r, cur, js->env, js->val, js->d, js->path)) {
		if (next != NULL)
			cJSON_ReplaceItemInObjectCaseSensitive(obj, seg,
			    json_value(buf_str(js->val), js->r->value_type));
		else
			cJSON_AddItemToObject(obj, seg,
			    json_value(buf_str(js->val), js->r->value_type));
	}
	free(cur);
}

/* Prints JSON with 4-space indents, as Wings writes it. */
static void
json_print_wings(const cJSON *root, struct buf *out)
{
	char	*s = json_print_pretty(root), *p;

	/* cJSON indents with tabs and writes tabs only as formatting. */
	for (p = s; *p != '\0'; p++) {
		if (*p != '\t')
			buf_putc(out, *p);
		else if (p > s && p[-1] == ':')
			buf_putc(out, ' ');
		else
			buf_puts(out, "    ");
	}
	buf_putc(out, '\n');
	free(s);
}

/* A YAML node as JSON: plain scalars become numbers, booleans, null. */
static cJSON *
yaml_to_json(const struct ydoc_node *n)
{
	cJSON		*o;
	char		*end;
	double		 v;
	size_t		 i;
	const char	*s;

	if (n == NULL)
		return json_new_null();
	switch (n->type) {
	case YDOC_MAP:
		o = json_new_object();
		for (i = 0; i < n->n; i++) {
			const struct ydoc_node *k = ydoc_key(n, i);

			cJSON_DeleteItemFromObjectCaseSensitive(o, k->str);
			cJSON_AddItemToObject(o, k->str,
			    yaml_to_json(ydoc_val(n, i)));
		}
		return o;
	case YDOC_SEQ:
		o = json_new_array();
		for (i = 0; i < n->n; i++)
			cJSON_AddItemToArray(o, yaml_to_json(ydoc_item(n, i)));
		return o;
	default:
		break;
	}
	if (n->style != YDOC_PLAIN)
		return json_new_str(n->str);
	s = n->str;
	if (ydoc_is_null(n))
		return json_new_null();
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
	    strcmp(s, "TRUE") == 0)
		return json_new_bool(1);
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 ||
	    strcmp(s, "FALSE") == 0)
		return json_new_bool(0);
	if ((isdigit((unsigned char)s[0]) || ((s[0] == '-' || s[0] == '+') &&
	    isdigit((unsigned char)s[1]))) && strspn(s, "+-0123456789.eE") ==
	    strlen(s)) {
		errno = 0;
		v = strtod(s, &end);
		if (*end == '\0' && errno == 0)
			return json_new_num(v);
	}
	return json_new_str(s);
}

static void
json_to_yaml_scalar(const cJSON *n, struct buf *out)
{
	char	*s;

	if (cJSON_IsString(n))
		ywrite_scalar(out, n->valuestring);
	else if (cJSON_IsBool(n))
		buf_puts(out, cJSON_IsTrue(n) ? "true" : "false");
	else if (cJSON_IsNumber(n)) {
		s = json_print(n);
		buf_puts(out, s);
		free(s);
	} else if (cJSON_IsObject(n))
		buf_puts(out, "{}");
	else if (cJSON_IsArray(n))
		buf_puts(out, "[]");
	else
		buf_puts(out, "null");
}

/* Writes a JSON tree as block-style YAML at indent. */
static void
json_to_yaml(const cJSON *n, int indent, struct buf *out)
{
	const cJSON	*c;
	struct buf	 item;
	size_t		 at;

	cJSON_ArrayForEach(c, n) {
		int nested = (cJSON_IsObject(c) || cJSON_IsArray(c)) &&
		    c->child != NULL;

		if (cJSON_IsObject(n)) {
			buf_addf(out, "%*s", indent, "");
			ywrite_scalar(out, c->string);
			buf_putc(out, ':');
			if (nested) {
				buf_putc(out, '\n');
				json_to_yaml(c, indent + 2, out);
			} else {
				buf_putc(out, ' ');
				json_to_yaml_scalar(c, out);
				buf_putc(out, '\n');
			}
			continue;
		}
		/* A list item: "- " replaces the item's own indent. */
		if (!nested) {
			buf_addf(out, "%*s- ", indent, "");
			json_to_yaml_scalar(c, out);
			buf_putc(out, '\n');
			continue;
		}
		buf_init(&item, 0);
		json_to_yaml(c, indent + 2, &item);
		at = (size_t)indent;
		if (item.len > at + 1) {
			item.data[at] = '-';
			item.data[at + 1] = ' ';
		}
		buf_add(out, item.data, item.len);
		buf_dispose(&item);
	}
}

/* Reads the scalar at a dotted path of a YAML text, or NULL. */
static char *
yaml_get(const char *in, size_t len, const char *path)
{
	struct ydoc		*doc;
	struct diags		 d;
	const struct ydoc_node	*n;
	char			*copy, *p, *save = NULL, *res = NULL;

	diags_init(&d);
	if (ydoc_parse_flags(&doc, "f", in, len, YDOC_DUPLICATES, &d) != 0) {
		diags_dispose(&d);
		return NULL;
	}
	diags_dispose(&d);
	n = doc->root;
	copy = xstrdup(path);
	for (p = strtok_r(copy, ".", &save); p != NULL && n != NULL;
	    p = strtok_r(NULL, ".", &save))
		n = n->type == YDOC_MAP ? ydoc_get(n, p) : NULL;
	if (ydoc_is_scalar(n) && !ydoc_is_null(n))
		res = xstrdup(n->str);
	free(copy);
	ydoc_free(doc);
	return res;
}

/*
 * yaml/yml: plain dotted paths are set in place, keeping comments and
 * layout; when any path has a "*" or an "[n]" index, the file goes
 * through the JSON tree instead and is written back as block YAML (as
 * Wings does for every yaml file).
 */
static int
rewrite_yaml(const struct egg_file *f, const char *in, size_t len,
    const struct cfgfile_env *env, struct buf *val, struct buf *out,
    struct diags *d)
{
	struct buf		 cur, next;
	struct rerr		 err;
	struct ydoc		*doc;
	struct diags		 pd;
	struct jset		 js;
	cJSON			*root;
	char			*v;
	size_t			 i;
	int			 tree = 0, rc = 0;

	for (i = 0; i < f->nreplace; i++)
		if (strpbrk(f->replace[i].match, "*[") != NULL)
			tree = 1;
	if (tree) {
		diags_init(&pd);
		if (ydoc_parse_flags(&doc, f->path, in, len, YDOC_DUPLICATES,
		    &pd) != 0) {
			diags_add(d, f->path, pd.n ? pd.v[0].line : 0,
			    pd.n ? pd.v[0].col : 0, "not valid yaml (%s); left "
			    "unchanged", pd.n ? pd.v[0].msg : "?");
			diags_dispose(&pd);
			return -1;
		}
		diags_dispose(&pd);
		root = doc->root != NULL && doc->root->type == YDOC_MAP ?
		    yaml_to_json(doc->root) : json_new_object();
		ydoc_free(doc);
		memset(&js, 0, sizeof(js));
		js.env = env;
		js.val = val;
		js.d = d;
		js.path = f->path;
		for (i = 0; i < f->nreplace; i++) {
			js.r = &f->replace[i];
			json_set(root, f->replace[i].match, &js);
		}
		json_to_yaml(root, 0, out);
		cJSON_Delete(root);
		return 0;
	}
	buf_init(&cur, 0);
	buf_add(&cur, in, len);
	for (i = 0; i < f->nreplace; i++) {
		const struct egg_replace *r = &f->replace[i];

		v = r->if_value != NULL ? yaml_get(buf_str(&cur), cur.len,
		    r->match) : NULL;
		if (!cond_value(r, v, env, val, d, f->path)) {
			free(v);
			continue;
		}
		free(v);
		buf_init(&next, 0);
		rerr_init(&err);
		if (yedit_set(&next, buf_str(&cur), cur.len, r->match,
		    buf_str(val), YEDIT_AUTO, &err) != 0) {
			diags_add(d, f->path, 0, 0, "'%s': %s", r->match,
			    err.msg);
			buf_dispose(&next);
			rc = -1;
			continue;
		}
		buf_dispose(&cur);
		cur = next;
	}
	buf_add(out, buf_str(&cur), cur.len);
	buf_dispose(&cur);
	return rc;
}

/* ---- xml: a small scanner that edits elements in place ---- */

struct xel {
	size_t	start;		/* '<' of the start tag */
	size_t	tag_end;	/* just past the start tag */
	size_t	close;		/* '<' of the end tag (tag_end when empty) */
	size_t	end;		/* just past the element */
	int	empty;		/* <x/> */
};

#define XML_START	1
#define XML_END		2
#define XML_EMPTY	3
#define XML_OTHER	4

/*
 * Reads the markup at s[p] == '<': comments, CDATA, declarations and
 * processing instructions are XML_OTHER. Returns the kind and sets *next
 * past it and the tag name; -1 when the markup does not end.
 */
static int
xml_tag(const char *s, size_t p, size_t hi, size_t *next,
    const char **name, size_t *nlen)
{
	const char	*e;
	char		 q = 0;
	size_t		 i;

	if (hi - p >= 4 && strncmp(s + p, "<!--", 4) == 0) {
		e = memmem(s + p + 4, hi - p - 4, "-->", 3);
		*next = e ? (size_t)(e - s) + 3 : 0;
		return e ? XML_OTHER : -1;
	}
	if (hi - p >= 9 && strncmp(s + p, "<![CDATA[", 9) == 0) {
		e = memmem(s + p + 9, hi - p - 9, "]]>", 3);
		*next = e ? (size_t)(e - s) + 3 : 0;
		return e ? XML_OTHER : -1;
	}
	for (i = p + 1; i < hi; i++) {
		if (q != 0) {
			if (s[i] == q)
				q = 0;
			continue;
		}
		if (s[i] == '"' || s[i] == '\'')
			q = s[i];
		else if (s[i] == '[' && s[p + 1] == '!') {
			e = memchr(s + i, ']', hi - i);
			if (e == NULL)
				return -1;
			i = (size_t)(e - s);
		} else if (s[i] == '>')
			break;
	}
	if (i >= hi)
		return -1;
	*next = i + 1;
	if (s[p + 1] == '!' || s[p + 1] == '?')
		return XML_OTHER;
	if (s[p + 1] == '/') {
		*name = s + p + 2;
		*nlen = strcspn(*name, " \t\r\n>");
		return XML_END;
	}
	*name = s + p + 1;
	*nlen = strcspn(*name, " \t\r\n/>");
	return s[i - 1] == '/' ? XML_EMPTY : XML_START;
}

/* The child elements named name ("*": any) of the content [lo, hi). */
static int
xml_children(const char *s, size_t lo, size_t hi, const char *name,
    size_t len, struct xel **v, size_t *n)
{
	struct xel	 cur;
	const char	*tn, *lt;
	size_t		 p = lo, tl, next;
	int		 depth = 0, kind, match = 0;

	memset(&cur, 0, sizeof(cur));
	while (p < hi && (lt = memchr(s + p, '<', hi - p)) != NULL) {
		p = (size_t)(lt - s);
		if ((kind = xml_tag(s, p, hi, &next, &tn, &tl)) == -1)
			return -1;
		if (kind == XML_START || kind == XML_EMPTY) {
			if (depth == 0) {
				cur.start = p;
				cur.tag_end = next;
				match = (len == 1 && name[0] == '*') ||
				    (tl == len && strncmp(tn, name, len) == 0);
			}
			if (kind == XML_START)
				depth++;
			else if (depth == 0 && match) {
				cur.close = cur.end = next;
				cur.empty = 1;
				*v = xreallocarray(*v, *n + 1, sizeof(**v));
				(*v)[(*n)++] = cur;
			}
		} else if (kind == XML_END) {
			if (--depth < 0)
				return -1;
			if (depth == 0 && match) {
				cur.close = p;
				cur.end = next;
				cur.empty = 0;
				*v = xreallocarray(*v, *n + 1, sizeof(**v));
				(*v)[(*n)++] = cur;
			}
		}
		p = next;
	}
	return depth == 0 ? 0 : -1;
}

static void
xml_escape(struct buf *out, const char *s, int attr)
{
	for (; *s != '\0'; s++) {
		if (*s == '&')
			buf_puts(out, "&amp;");
		else if (*s == '<')
			buf_puts(out, "&lt;");
		else if (*s == '>')
			buf_puts(out, "&gt;");
		else if (*s == '"' && attr)
			buf_puts(out, "&quot;");
		else
			buf_putc(out, *s);
	}
}

/* Replaces doc[from, to) with the text of rep. */
static void
xml_splice(struct buf *doc, size_t from, size_t to, const char *rep,
    size_t rlen)
{
	struct buf	out;

	buf_init(&out, 0);
	buf_add(&out, doc->data, from);
	buf_add(&out, rep, rlen);
	buf_add(&out, doc->data + to, doc->len - to);
	buf_dispose(doc);
	*doc = out;
}

/* The start tag of el without its closing "/>" or ">". */
static size_t
xml_tag_body(const char *s, const struct xel *el)
{
	size_t	e = el->tag_end - 1;		/* at '>' */

	if (el->empty)
		e--;				/* at '/' */
	while (e > el->start && isspace((unsigned char)s[e - 1]))
		e--;
	return e;
}

/* Sets an element's text, or an attribute for "[name='value']". */
static void
xml_set_el(struct buf *doc, const struct xel *el, const char *value)
{
	struct buf	 rep;
	const char	*s = doc->data, *a, *tn;
	char		 attr[128];
	size_t		 body = xml_tag_body(s, el), alen, tl, q;

	buf_init(&rep, 0);
	if (value[0] == '[' && (a = strstr(value, "='")) != NULL &&
	    (size_t)(a - value - 1) < sizeof(attr) && strlen(a) >= 4 &&
	    strcmp(a + strlen(a) - 2, "']") == 0) {
		alen = (size_t)(a - value - 1);
		memcpy(attr, value + 1, alen);
		attr[alen] = '\0';
		/* An existing attr="..." is replaced, else one is added. */
		for (q = el->start + 1; q + alen < body; q++)
			if (isspace((unsigned char)s[q - 1]) &&
			    strncmp(s + q, attr, alen) == 0 &&
			    s[q + alen] == '=' && (s[q + alen + 1] == '"' ||
			    s[q + alen + 1] == '\'')) {
				const char *e = memchr(s + q + alen + 2,
				    s[q + alen + 1], body - q - alen - 2);

				if (e == NULL)
					break;
				buf_add(&rep, s + el->start, q - el->start);
				buf_puts(&rep, attr);
				buf_puts(&rep, "=\"");
				xml_escape(&rep, a + 2, 1);
				rep.len -= 2;		/* the "']" */
				rep.data[rep.len] = '\0';
				buf_putc(&rep, '"');
				xml_splice(doc, el->start,
				    (size_t)(e - s) + 1, rep.data, rep.len);
				buf_dispose(&rep);
				return;
			}
		buf_add(&rep, s + el->start, body - el->start);
		buf_addf(&rep, " %s=\"", attr);
		xml_escape(&rep, a + 2, 1);
		rep.len -= 2;
		rep.data[rep.len] = '\0';
		buf_putc(&rep, '"');
		xml_splice(doc, el->start, body, rep.data, rep.len);
		buf_dispose(&rep);
		return;
	}
	if (el->empty) {
		tn = s + el->start + 1;
		tl = strcspn(tn, " \t\r\n/>");
		buf_add(&rep, s + el->start, body - el->start);
		buf_putc(&rep, '>');
		xml_escape(&rep, value, 0);
		buf_addf(&rep, "</%.*s>", (int)tl, tn);
		xml_splice(doc, el->start, el->end, rep.data, rep.len);
	} else {
		xml_escape(&rep, value, 0);
		xml_splice(doc, el->tag_end, el->close, rep.data, rep.len);
	}
	buf_dispose(&rep);
}

/* Adds an empty child element named seg at the end of parent. */
static void
xml_create(struct buf *doc, const struct xel *p, const char *seg, size_t n)
{
	struct buf	 rep;
	const char	*s = doc->data, *tn;
	size_t		 ind = 0, tl, at;

	buf_init(&rep, 0);
	if (p->empty) {
		tn = s + p->start + 1;
		tl = strcspn(tn, " \t\r\n/>");
		buf_add(&rep, s + p->start, xml_tag_body(s, p) - p->start);
		buf_addf(&rep, "><%.*s></%.*s></%.*s>", (int)n, seg, (int)n,
		    seg, (int)tl, tn);
		xml_splice(doc, p->start, p->end, rep.data, rep.len);
		buf_dispose(&rep);
		return;
	}
	/* With the end tag on its own line, the child gets its own line. */
	while (ind < p->close - p->tag_end && s[p->close - ind - 1] == ' ')
		ind++;
	at = p->close - ind;
	if (at > p->tag_end && s[at - 1] == '\n') {
		buf_addf(&rep, "%*s<%.*s></%.*s>\n", (int)ind + 2, "", (int)n,
		    seg, (int)n, seg);
		xml_splice(doc, at, at, rep.data, rep.len);
	} else {
		buf_addf(&rep, "<%.*s></%.*s>", (int)n, seg, (int)n, seg);
		xml_splice(doc, p->close, p->close, rep.data, rep.len);
	}
	buf_dispose(&rep);
}

/*
 * Sets the element at a dotted path (the first part names the root
 * element; "*" matches any element). Missing elements are created when
 * the path has no "*". Returns 0, or -1 when nothing was found or the
 * text is not well-formed enough to edit.
 */
static int
xml_set(struct buf *doc, const char *path, const char *value)
{
	struct xel	*cur = NULL, *next = NULL;
	size_t		 ncur, nnext, i, len, tries;
	const char	*seg, *dot;
	int		 wild = strchr(path, '*') != NULL, created;

	for (tries = 0; tries < 64; tries++) {
		/* The root element(s) of the document. */
		ncur = 0;
		seg = path;
		dot = strchr(seg, '.');
		len = dot ? (size_t)(dot - seg) : strlen(seg);
		if (len == 0 || xml_children(buf_str(doc), 0, doc->len, seg,
		    len, &cur, &ncur) != 0 || ncur == 0)
			goto fail;
		created = 0;
		while (dot != NULL) {
			seg = dot + 1;
			dot = strchr(seg, '.');
			len = dot ? (size_t)(dot - seg) : strlen(seg);
			if (len == 0)
				goto fail;
			nnext = 0;
			for (i = 0; i < ncur; i++)
				if (!cur[i].empty &&
				    xml_children(buf_str(doc), cur[i].tag_end,
				    cur[i].close, seg, len, &next, &nnext) != 0)
					goto fail;
			if (nnext == 0) {
				if (wild || ncur != 1)
					goto fail;
				xml_create(doc, &cur[0], seg, len);
				created = 1;
				break;
			}
			free(cur);
			cur = next;
			ncur = nnext;
			next = NULL;
		}
		if (created) {
			free(cur);
			free(next);
			cur = next = NULL;
			continue;	/* scan the changed text again */
		}
		/* Later elements first, so earlier offsets stay valid. */
		for (i = ncur; i > 0; i--)
			xml_set_el(doc, &cur[i - 1], value);
		free(cur);
		return 0;
	}
fail:
	free(cur);
	free(next);
	return -1;
}

/* Applies the edits of file fileidx to a text; see cfgfile.h. */
int
cfgfile_rewrite(const struct egg *egg, size_t fileidx, const char *in,
    size_t len, const struct cfgfile_env *env, struct buf *out,
    struct diags *d)
{
	const struct egg_file	*f = &egg->files[fileidx];
	struct lines		 l;
	struct buf		 val, cur;
	struct jset		 js;
	cJSON			*root;
	size_t			 i;
	int			 rc = 0;

	buf_init(&val, 0);
	switch (f->parser) {
	case EGG_PARSER_FILE:
	case EGG_PARSER_PROPERTIES:
	case EGG_PARSER_INI:
		lines_split(&l, in, len);
		for (i = 0; i < f->nreplace; i++) {
			const struct egg_replace *r = &f->replace[i];

			if (f->parser == EGG_PARSER_FILE) {
				/* As Wings: if_value does not apply here. */
				buf_reset(&val);
				cfgfile_expand(r->value, env, &val);
				rewrite_file(&l, r->match, buf_str(&val));
			} else if (f->parser == EGG_PARSER_PROPERTIES)
				rewrite_properties(&l, r, env, &val, d,
				    f->path);
			else
				rewrite_ini(&l, r, env, &val, d, f->path);
		}
		lines_join(&l, out);
		lines_free(&l);
		break;
	case EGG_PARSER_JSON:
		root = len > 0 ? json_parse_len(in, len) :
		    json_new_object();
		if (root == NULL || !cJSON_IsObject(root)) {
			diags_add(d, f->path, 0, 0, "not a json object; left "
			    "unchanged (fix or delete the file)");
			cJSON_Delete(root);
			rc = -1;
			break;
		}
		memset(&js, 0, sizeof(js));
		js.env = env;
		js.val = &val;
		js.d = d;
		js.path = f->path;
		for (i = 0; i < f->nreplace; i++) {
			js.r = &f->replace[i];
			json_set(root, f->replace[i].match, &js);
		}
		json_print_wings(root, out);
		cJSON_Delete(root);
		break;
	case EGG_PARSER_YAML:
		rc = rewrite_yaml(f, in, len, env, &val, out, d);
		break;
	case EGG_PARSER_XML:
		buf_init(&cur, 0);
		buf_add(&cur, in, len);
		for (i = 0; i < f->nreplace; i++) {
			buf_reset(&val);
			cfgfile_expand(f->replace[i].value, env, &val);
			if (xml_set(&cur, f->replace[i].match,
			    buf_str(&val)) != 0)
				diags_warn(d, f->path, 0, 0, "element '%s' not "
				    "found and not created (is the file well "
				    "formed, with that root element?); left "
				    "unchanged", f->replace[i].match);
		}
		buf_add(out, buf_str(&cur), cur.len);
		buf_dispose(&cur);
		break;
	}
	buf_dispose(&val);
	return rc;
}

/*
 * Opens (creating parents) the directory holding rel beneath dirfd. A
 * directory it creates is given to the server's user (env). Every
 * component is opened with O_NOFOLLOW, so a link is refused.
 */
static int
open_parent(int dirfd, const char *rel, const struct cfgfile_env *env,
    const char **base)
{
	char	*copy = xstrdup(rel), *p, *slash;
	int	 fd, nfd, made;

	if ((fd = dup(dirfd)) == -1) {
		free(copy);
		return -1;
	}
	p = copy;
	while ((slash = strchr(p, '/')) != NULL) {
		*slash = '\0';
		if (*p == '\0' || strcmp(p, ".") == 0) {
			p = slash + 1;
			continue;
		}
		if (strcmp(p, "..") == 0) {
			errno = EPERM;
			goto fail;
		}
		made = mkdirat(fd, p, 0755) == 0;
		if (!made && errno != EEXIST)
			goto fail;
		nfd = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC);
		if (nfd == -1)
			goto fail;
		if (made && geteuid() == 0 && env->uid != (uid_t)-1)
			give_to(nfd, env->uid, env->gid);
		close(fd);
		fd = nfd;
		p = slash + 1;
	}
	*base = rel + (p - copy);
	free(copy);
	if (**base == '\0' || strcmp(*base, "..") == 0 ||
	    strcmp(*base, ".") == 0) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
fail:
	free(copy);
	close(fd);
	return -1;
}

/* Writes all of out to fd; -1 with errno set (EIO for a short write). */
static int
write_all(int fd, const struct buf *out)
{
	const char	*p = buf_str(out);
	size_t		 left = out->len;
	ssize_t		 n;

	while (left > 0) {
		if ((n = write(fd, p, left)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		left -= (size_t)n;
	}
	return 0;
}

/* Applies every config-file edit; see cfgfile.h. */
int
cfgfile_apply(const struct egg *egg, int dirfd, const struct cfgfile_env *env,
    struct diags *d)
{
	struct buf	 in, out;
	struct stat	 st;
	const char	*base;
	char		 tmp[NAME_MAX + 1], chunk[65536], *rel;
	size_t		 i;
	ssize_t		 n;
	int		 pfd, fd, tfd, rc = 0, exists;

	for (i = 0; i < egg->nfiles; i++) {
		const char *path = egg->files[i].path;

		if ((rel = egg_file_relpath(path)) == NULL) {
			diags_add(d, path, 0, 0, "the path leaves the server's "
			    "directory (or names it); not applied");
			rc = -1;
			continue;
		}
		if ((pfd = open_parent(dirfd, rel, env, &base)) == -1) {
			diags_add(d, path, 0, 0, "cannot open its directory "
			    "inside the server's: %s%s", strerror(errno),
			    errno == ELOOP || errno == ENOTDIR ? " (symbolic "
			    "links are not followed)" : "");
			free(rel);
			rc = -1;
			continue;
		}
		buf_init(&in, CFG_MAX_FILE);
		buf_init(&out, 0);
		exists = 0;
		fd = openat(pfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
		    O_NONBLOCK);
		if (fd == -1 && errno != ENOENT) {
			diags_add(d, path, 0, 0, "cannot read: %s%s",
			    strerror(errno), errno == ELOOP ?
			    " (symbolic links are not followed)" : "");
			rc = -1;
			goto next;
		}
		if (fd != -1) {
			if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
				diags_add(d, path, 0, 0, "is not a regular "
				    "file; left unchanged");
				close(fd);
				rc = -1;
				goto next;
			}
			exists = 1;
			while ((n = read(fd, chunk, sizeof(chunk))) > 0)
				if (buf_add(&in, chunk, (size_t)n) == -1)
					break;
			close(fd);
			if (n != 0) {
				diags_add(d, path, 0, 0, "cannot read it "
				    "whole (larger than 8 MiB?)");
				rc = -1;
				goto next;
			}
		}
		if (cfgfile_rewrite(egg, i, buf_str(&in), in.len, env, &out,
		    d) != 0) {
			rc = -1;
			goto next;
		}
		if (exists && out.len == in.len &&
		    memcmp(buf_str(&out), buf_str(&in), in.len) == 0)
			goto next;	/* nothing to change */
		/*
		 * The temporary file is created, never opened: whatever has
		 * its name (a stale one, a link, a FIFO) is removed first.
		 */
		snprintf(tmp, sizeof(tmp), ".%.200s.roost-tmp", base);
		tfd = util_create_excl_at(pfd, tmp, exists ?
		    (st.st_mode & 0777) : 0644);
		if (tfd == -1) {
			diags_add(d, path, 0, 0, "cannot create '%s': %s", tmp,
			    strerror(errno));
			rc = -1;
			goto next;
		}
		if (write_all(tfd, &out) == -1 || fsync(tfd) == -1) {
			diags_add(d, path, 0, 0, "cannot write: %s",
			    strerror(errno));
			close(tfd);
			unlinkat(pfd, tmp, 0);
			rc = -1;
			goto next;
		}
		if (geteuid() == 0 && env->uid != (uid_t)-1)
			give_to(tfd, exists ? st.st_uid : env->uid,
			    exists ? st.st_gid : env->gid);
		if (exists)
			(void)fchmod(tfd, st.st_mode & 0777);
		close(tfd);
		if (renameat(pfd, tmp, pfd, base) == -1) {
			diags_add(d, path, 0, 0, "cannot replace: %s",
			    strerror(errno));
			unlinkat(pfd, tmp, 0);
			rc = -1;
		}
next:
		close(pfd);
		free(rel);
		buf_dispose(&in);
		buf_dispose(&out);
	}
	return rc;
}
