/*
 * cfgfile: rewriting a server's configuration files before it starts
 * (see cfgfile.h).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
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
#include "rerr.h"
#include "xmalloc.h"
#include "ydoc.h"
#include "yedit.h"

#include "cfgfile.h"

#define CFG_MAX_FILE	(8 << 20)

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

/* The value of one placeholder key, or NULL to leave it as written. */
static void
resolve(const char *key, const struct cfgfile_env *env, struct buf *out)
{
	static const char	*env_prefixes[] = { "server.build.env.",
	    "server.build.environment.", "server.environment.", "env.",
	    NULL };
	const char		*v;
	size_t			 i;

	if (strcmp(key, "server.build.default.port") == 0 ||
	    strcmp(key, "server.allocations.default.port") == 0 ||
	    strcmp(key, "server.build.env.SERVER_PORT") == 0 ||
	    strcmp(key, "server.environment.SERVER_PORT") == 0 ||
	    strcmp(key, "env.SERVER_PORT") == 0) {
		buf_addf(out, "%d", env->port);
		return;
	}
	if (strcmp(key, "server.build.default.ip") == 0 ||
	    strcmp(key, "server.allocations.default.ip") == 0 ||
	    strcmp(key, "server.build.env.SERVER_IP") == 0 ||
	    strcmp(key, "server.environment.SERVER_IP") == 0 ||
	    strcmp(key, "env.SERVER_IP") == 0) {
		buf_puts(out, env->ip ? env->ip : "0.0.0.0");
		return;
	}
	if (strcmp(key, "server.build.memory") == 0 ||
	    strcmp(key, "server.build.memory_limit") == 0 ||
	    strcmp(key, "server.build.env.SERVER_MEMORY") == 0 ||
	    strcmp(key, "server.environment.SERVER_MEMORY") == 0 ||
	    strcmp(key, "env.SERVER_MEMORY") == 0) {
		buf_addf(out, "%lld", (long long)env->memory);
		return;
	}
	if (strcmp(key, "config.docker.interface") == 0 ||
	    strcmp(key, "config.docker.network.interface") == 0) {
		buf_puts(out, env->interface ? env->interface : "172.18.0.1");
		return;
	}
	for (i = 0; env_prefixes[i] != NULL; i++)
		if (strncmp(key, env_prefixes[i], strlen(env_prefixes[i])) ==
		    0) {
			v = env_lookup(env, key + strlen(env_prefixes[i]));
			buf_puts(out, v != NULL ? v : "");
			return;
		}
	/* Other server.* and config.* keys the panels resolve to "". */
}

/* Expands {{...}} placeholders. */
void
cfgfile_expand(const char *s, const struct cfgfile_env *env, struct buf *out)
{
	const char	*open, *close, *k;
	char		*key;
	int		 ok;

	while ((open = strstr(s, "{{")) != NULL) {
		buf_add(out, s, (size_t)(open - s));
		close = strstr(open + 2, "}}");
		if (close == NULL)
			break;
		ok = close > open + 2;
		for (k = open + 2; k < close && ok; k++)
			if (!isalnum((unsigned char)*k) && *k != '_' &&
			    *k != '.' && *k != '-')
				ok = 0;
		key = xstrndup(open + 2, (size_t)(close - open - 2));
		if (ok && (strncmp(key, "server.", 7) == 0 ||
		    strncmp(key, "env.", 4) == 0 ||
		    strncmp(key, "config.", 7) == 0))
			resolve(key, env, out);
		else
			buf_add(out, open, (size_t)(close + 2 - open));
		free(key);
		s = close + 2;
	}
	buf_puts(out, s);
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
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
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

static void
rewrite_properties(struct lines *l, const char *match, const char *ifv,
    const char *value)
{
	const char	*val;
	size_t		 i, klen;
	int		 off;
	char		*nl;

	for (i = 0; i < l->n; i++) {
		if ((off = prop_split(l->v[i], &klen, &val)) == 0)
			continue;
		if (klen != strlen(match) || strncmp(l->v[i] + off - 1, match,
		    klen) != 0)
			continue;
		if (ifv != NULL && strcmp(val, ifv) != 0)
			return;
		xasprintf(&nl, "%s=%s", match, value);
		free(l->v[i]);
		l->v[i] = nl;
		return;
	}
	if (ifv != NULL)
		return;
	xasprintf(&nl, "%s=%s", match, value);
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

static void
rewrite_ini(struct lines *l, const char *match, const char *ifv,
    const char *value)
{
	char		*sect, *key, *nl;
	const char	*name, *p, *v;
	size_t		 i, nlen, last = 0, klen;
	int		 in = 0, found_sect = 0;

	ini_split(match, &sect, &key);
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
		v = v != NULL ? skip_ws(v + 1) : "";
		if (ifv != NULL && strcmp(v, ifv) != 0)
			goto done;
		xasprintf(&nl, "%.*s=%s", (int)(p - l->v[i] + klen), l->v[i],
		    value);
		free(l->v[i]);
		l->v[i] = nl;
		goto done;
	}
	if (ifv != NULL)
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
	xasprintf(&nl, "%s=%s", key, value);
	lines_insert(l, last, nl);
done:
	free(sect);
	free(key);
}

/* ---- structured formats ---- */

static cJSON *
json_value(const char *value, int type)
{
	char	*end;
	long long v;

	if (type == EGG_VAL_BOOL || strcmp(value, "true") == 0 ||
	    strcmp(value, "false") == 0)
		return cJSON_CreateBool(strcmp(value, "true") == 0);
	errno = 0;
	v = strtoll(value, &end, 10);
	if (*value != '\0' && *end == '\0' && errno == 0)
		return cJSON_CreateNumber((double)v);
	return cJSON_CreateString(value);
}

/* Sets the value at a dotted path with [n] indexes and one '*'. */
static void
json_set(cJSON *obj, const char *path, const char *ifv, const char *value,
    int type)
{
	char	 seg[256];
	const char *dot, *br;
	size_t	 n;
	cJSON	*next, *child;
	long	 idx = -1;

	if (obj == NULL)
		return;
	dot = strchr(path, '.');
	n = dot ? (size_t)(dot - path) : strlen(path);
	if (n >= sizeof(seg))
		return;
	memcpy(seg, path, n);
	seg[n] = '\0';
	if ((br = strchr(seg, '[')) != NULL) {
		idx = strtol(br + 1, NULL, 10);
		seg[br - seg] = '\0';
	}
	if (strcmp(seg, "*") == 0) {
		if (dot == NULL)
			return;
		cJSON_ArrayForEach(child, obj)
			json_set(child, dot + 1, ifv, value, type);
		return;
	}
	if (!cJSON_IsObject(obj))
		return;
	next = cJSON_GetObjectItemCaseSensitive(obj, seg);
	if (idx >= 0) {
		if (next == NULL || !cJSON_IsArray(next)) {
			if (next != NULL)
				return;
			next = cJSON_AddArrayToObject(obj, seg);
		}
		while (cJSON_GetArraySize(next) <= idx)
			cJSON_AddItemToArray(next, dot ? cJSON_CreateObject() :
			    cJSON_CreateNull());
		child = cJSON_GetArrayItem(next, (int)idx);
		if (dot != NULL) {
			json_set(child, dot + 1, ifv, value, type);
			return;
		}
		if (ifv != NULL && (!cJSON_IsString(child) ||
		    strcmp(child->valuestring, ifv) != 0))
			return;
		cJSON_ReplaceItemInArray(next, (int)idx,
		    json_value(value, type));
		return;
	}
	if (dot != NULL) {
		if (next == NULL)
			next = cJSON_AddObjectToObject(obj, seg);
		json_set(next, dot + 1, ifv, value, type);
		return;
	}
	if (ifv != NULL) {
		char *cur = next ? (cJSON_IsString(next) ?
		    xstrdup(next->valuestring) : cJSON_PrintUnformatted(next)) :
		    NULL;
		int same = cur != NULL && strcmp(cur, ifv) == 0;

		free(cur);
		if (!same)
			return;
	}
	if (next != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(obj, seg,
		    json_value(value, type));
	else
		cJSON_AddItemToObject(obj, seg, json_value(value, type));
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
	if (ydoc_parse(&doc, "f", in, len, &d) != 0) {
		diags_dispose(&d);
		return NULL;
	}
	diags_dispose(&d);
	n = doc->root;
	copy = xstrdup(path);
	for (p = strtok_r(copy, ".", &save); p != NULL && n != NULL;
	    p = strtok_r(NULL, ".", &save))
		n = ydoc_get(n, p);
	if (ydoc_is_scalar(n))
		res = xstrdup(n->str);
	free(copy);
	ydoc_free(doc);
	return res;
}

/* Sets text between <tag> and </tag> at a dotted element path. */
static int
xml_set(struct buf *doc, const char *path, const char *value)
{
	char		 open[300], close[300];
	const char	*s = buf_str(doc), *p, *seg, *dot, *from, *to;
	size_t		 lo = 0, hi = doc->len, n;
	struct buf	 out;

	seg = path;
	for (;;) {
		dot = strchr(seg, '.');
		n = dot ? (size_t)(dot - seg) : strlen(seg);
		if (n == 0 || n > 256)
			return -1;
		snprintf(open, sizeof(open), "<%.*s", (int)n, seg);
		snprintf(close, sizeof(close), "</%.*s>", (int)n, seg);
		/* The first <seg> or <seg ...> inside [lo, hi). */
		for (p = s + lo; (p = strstr(p, open)) != NULL &&
		    p < s + hi; p++)
			if (p[n + 1] == '>' || p[n + 1] == ' ' ||
			    p[n + 1] == '/')
				break;
		if (p == NULL || p >= s + hi)
			return -1;	/* missing elements are not created */
		from = strchr(p, '>');
		if (from == NULL)
			return -1;
		if (from[-1] == '/')
			return -1;	/* <seg/>: leave it */
		from++;
		to = strstr(from, close);
		if (to == NULL || to > s + hi)
			return -1;
		if (dot == NULL) {
			buf_init(&out, 0);
			buf_add(&out, s, (size_t)(from - s));
			buf_puts(&out, value);
			buf_add(&out, to, doc->len - (size_t)(to - s));
			buf_reset(doc);
			buf_add(doc, out.data, out.len);
			buf_dispose(&out);
			return 0;
		}
		lo = (size_t)(from - s);
		hi = (size_t)(to - s);
		seg = dot + 1;
	}
}

/* Applies the edits of file fileidx to a text; see cfgfile.h. */
int
cfgfile_rewrite(const struct egg *egg, size_t fileidx, const char *in,
    size_t len, const struct cfgfile_env *env, struct buf *out,
    struct diags *d)
{
	const struct egg_file	*f = &egg->files[fileidx];
	struct lines		 l;
	struct buf		 val, cur, next;
	struct rerr		 err;
	cJSON			*root;
	char			*s, *ifv;
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

			buf_reset(&val);
			cfgfile_expand(r->value, env, &val);
			if (f->parser == EGG_PARSER_FILE)
				rewrite_file(&l, r->match, buf_str(&val));
			else if (f->parser == EGG_PARSER_PROPERTIES)
				rewrite_properties(&l, r->match, r->if_value,
				    buf_str(&val));
			else
				rewrite_ini(&l, r->match, r->if_value,
				    buf_str(&val));
		}
		lines_join(&l, out);
		lines_free(&l);
		break;
	case EGG_PARSER_JSON:
		root = len > 0 ? cJSON_ParseWithLength(in, len) :
		    cJSON_CreateObject();
		if (root == NULL) {
			diags_add(d, f->path, 0, 0, "not valid json; left "
			    "unchanged");
			rc = -1;
			break;
		}
		for (i = 0; i < f->nreplace; i++) {
			buf_reset(&val);
			cfgfile_expand(f->replace[i].value, env, &val);
			json_set(root, f->replace[i].match,
			    f->replace[i].if_value, buf_str(&val),
			    f->replace[i].value_type);
		}
		s = cJSON_Print(root);
		buf_puts(out, s);
		buf_putc(out, '\n');
		free(s);
		cJSON_Delete(root);
		break;
	case EGG_PARSER_YAML:
		buf_init(&cur, 0);
		buf_add(&cur, in, len);
		for (i = 0; i < f->nreplace; i++) {
			const struct egg_replace *r = &f->replace[i];

			if (strchr(r->match, '*') != NULL ||
			    strchr(r->match, '[') != NULL) {
				diags_warn(d, f->path, 0, 0, "'%s': wildcards "
				    "and list indexes are not applied to yaml "
				    "files", r->match);
				continue;
			}
			if (r->if_value != NULL) {
				ifv = yaml_get(buf_str(&cur), cur.len,
				    r->match);
				if (ifv == NULL || strcmp(ifv, r->if_value) !=
				    0) {
					free(ifv);
					continue;
				}
				free(ifv);
			}
			buf_reset(&val);
			cfgfile_expand(r->value, env, &val);
			buf_init(&next, 0);
			rerr_init(&err);
			if (yedit_set(&next, buf_str(&cur), cur.len, r->match,
			    buf_str(&val), YEDIT_AUTO, &err) != 0) {
				diags_add(d, f->path, 0, 0, "'%s': %s",
				    r->match, err.msg);
				buf_dispose(&next);
				rc = -1;
				continue;
			}
			buf_dispose(&cur);
			cur = next;
		}
		buf_add(out, buf_str(&cur), cur.len);
		buf_dispose(&cur);
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
				    "found; left unchanged",
				    f->replace[i].match);
		}
		buf_add(out, buf_str(&cur), cur.len);
		buf_dispose(&cur);
		break;
	}
	buf_dispose(&val);
	return rc;
}

/* Opens (creating parents) the directory holding rel beneath dirfd. */
static int
open_parent(int dirfd, const char *rel, const char **base)
{
	char	*copy = xstrdup(rel), *p, *slash;
	int	 fd, nfd;

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
		if (mkdirat(fd, p, 0755) == -1 && errno != EEXIST)
			goto fail;
		nfd = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (nfd == -1)
			goto fail;
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

/* Applies every config-file edit; see cfgfile.h. */
int
cfgfile_apply(const struct egg *egg, int dirfd, const struct cfgfile_env *env,
    struct diags *d)
{
	struct buf	 in, out;
	struct stat	 st;
	const char	*base;
	char		 tmp[NAME_MAX + 1], chunk[65536];
	size_t		 i;
	ssize_t		 n;
	int		 pfd, fd, tfd, rc = 0, exists;

	for (i = 0; i < egg->nfiles; i++) {
		const char *path = egg->files[i].path;

		if (path[0] == '/' || (pfd = open_parent(dirfd, path,
		    &base)) == -1) {
			diags_add(d, path, 0, 0, "cannot open its directory "
			    "inside the server's: %s", strerror(errno));
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
		snprintf(tmp, sizeof(tmp), ".%.200s.roost-tmp", base);
		tfd = openat(pfd, tmp, O_WRONLY | O_CREAT | O_TRUNC |
		    O_NOFOLLOW | O_CLOEXEC, exists ? (st.st_mode & 07777) :
		    0644);
		if (tfd == -1 || write(tfd, buf_str(&out), out.len) !=
		    (ssize_t)out.len || fsync(tfd) == -1) {
			diags_add(d, path, 0, 0, "cannot write: %s",
			    strerror(errno));
			if (tfd != -1) {
				close(tfd);
				unlinkat(pfd, tmp, 0);
			}
			rc = -1;
			goto next;
		}
		if (getuid() == 0 && env->uid != (uid_t)-1)
			(void)fchown(tfd, exists ? st.st_uid : env->uid,
			    exists ? st.st_gid : env->gid);
		close(tfd);
		if (renameat(pfd, tmp, pfd, base) == -1) {
			diags_add(d, path, 0, 0, "cannot replace: %s",
			    strerror(errno));
			unlinkat(pfd, tmp, 0);
			rc = -1;
		}
next:
		close(pfd);
		buf_dispose(&in);
		buf_dispose(&out);
	}
	return rc;
}
