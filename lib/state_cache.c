/*
 * state_cache: loading the server files (servers/) of a state: the cache
 * of parsed server files (struct state_cache), the incremental load that
 * builds a state from the cache's last one when only server files
 * changed, the parallel load that parses many files on several threads,
 * and state_load_servers, which takes the first when it can, else the
 * second, and validates the state.
 */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "rerr.h"
#include "state.h"
#include "state_int.h"
#include "xmalloc.h"

/* ---- the cache of parsed server files ---- */

struct cache_ent {
	char			*key;	/* path NUL id */
	struct state_server	*srv;	/* NULL: the YAML did not parse */
	struct diags		 d;
	int			 used;
};

/*
 * The state the cache's last load made, to build the next one from: the
 * ids of every file but the servers' (ctx), its validated servers in the
 * order their files were listed (shared with that state, see refs) and
 * the problems found at their paths.
 */
struct last_ent {
	struct state_server	*srv;
	const char		*file;	/* in names */
	uint32_t		 nodeh;	/* node_hash(srv->node) */
	char			 id[44];	/* srv->blob_id */
};

struct cache_last {
	char			 *ctx;		/* NULL: nothing kept */
	struct last_ent		 *e;		/* kept apart from the
						   servers, so that finding
						   what changed does not
						   touch 100,000 of them */
	size_t			  n;
	char			 *names;	/* the file names */
	struct diags		  d;
};

struct state_cache {
	struct cache_ent	*v;
	size_t			 cap;	/* power of two */
	size_t			 n;
	size_t			 parses;
	struct cache_last	 last;
};

/* Makes an empty cache. */
struct state_cache *
state_cache_new(void)
{
	struct state_cache	*c = xcalloc(1, sizeof(*c));

	c->cap = 64;
	c->v = xcalloc(c->cap, sizeof(*c->v));
	diags_init(&c->last.d);
	return c;
}

/* Forgets the last state's snapshot. */
static void
cache_last_clear(struct cache_last *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		state_server_free(l->e[i].srv);
	free(l->e);
	free(l->names);
	free(l->ctx);
	diags_dispose(&l->d);
	memset(l, 0, sizeof(*l));
	diags_init(&l->d);
}

static void
cache_ent_dispose(struct cache_ent *e)
{
	free(e->key);
	state_server_free(e->srv);
	diags_dispose(&e->d);
	memset(e, 0, sizeof(*e));
}

/* Frees a cache. */
void
state_cache_free(struct state_cache *c)
{
	size_t	i;

	if (c == NULL)
		return;
	for (i = 0; i < c->cap; i++)
		if (c->v[i].key != NULL)
			cache_ent_dispose(&c->v[i]);
	free(c->v);
	cache_last_clear(&c->last);
	diags_dispose(&c->last.d);
	free(c);
}

/* Number of parses done through the cache. */
size_t
state_cache_parses(const struct state_cache *c)
{
	return c->parses;
}

static uint64_t
str_hash(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct cache_ent *
cache_slot(struct state_cache *c, const char *key)
{
	size_t	i = (size_t)str_hash(key) & (c->cap - 1);

	while (c->v[i].key != NULL && strcmp(c->v[i].key, key) != 0)
		i = (i + 1) & (c->cap - 1);
	return &c->v[i];
}

static void
cache_grow(struct state_cache *c)
{
	struct cache_ent	*old = c->v;
	size_t			 oldcap = c->cap, i;

	c->cap *= 2;
	c->v = xcalloc(c->cap, sizeof(*c->v));
	for (i = 0; i < oldcap; i++)
		if (old[i].key != NULL)
			*cache_slot(c, old[i].key) = old[i];
	free(old);
}

/*
 * Removes the entry at slot i, moving later entries of its probe run back
 * so that every key stays reachable (deletion for linear probing).
 */
static void
cache_remove(struct state_cache *c, size_t i)
{
	size_t	j = i, k, mask = c->cap - 1;

	cache_ent_dispose(&c->v[i]);
	for (;;) {
		j = (j + 1) & mask;
		if (c->v[j].key == NULL)
			break;
		k = (size_t)str_hash(c->v[j].key) & mask;
		/* Leave j where it is when its home lies in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		c->v[i] = c->v[j];
		memset(&c->v[j], 0, sizeof(c->v[j]));
		i = j;
	}
	c->n--;
}

/*
 * Drops entries no load used since the last sweep, in place: a load that
 * changed a few files removes only their old entries.
 */
static void
cache_sweep(struct state_cache *c)
{
	size_t	i, nstale = 0, k;
	char	**keys;

	for (i = 0; i < c->cap; i++)
		if (c->v[i].key != NULL && !c->v[i].used)
			nstale++;
	if (nstale > 0) {
		/* Removal moves entries, so find each stale one by key. */
		keys = xcalloc(nstale, sizeof(*keys));
		for (i = 0, k = 0; i < c->cap; i++)
			if (c->v[i].key != NULL && !c->v[i].used)
				keys[k++] = xstrdup(c->v[i].key);
		for (k = 0; k < nstale; k++) {
			struct cache_ent *e = cache_slot(c, keys[k]);

			cache_remove(c, (size_t)(e - c->v));
			free(keys[k]);
		}
		free(keys);
	}
	for (i = 0; i < c->cap; i++)
		c->v[i].used = 0;
}

/* Copies the problems of a cached parse into the state's list. */
static void
diags_copy(struct diags *dst, const struct diags *src)
{
	size_t	i;

	for (i = 0; i < src->n; i++) {
		if (src->v[i].level == DIAG_ERROR)
			diags_add(dst, src->v[i].path, src->v[i].line,
			    src->v[i].col, "%s", src->v[i].msg);
		else
			diags_warn(dst, src->v[i].path, src->v[i].line,
			    src->v[i].col, "%s", src->v[i].msg);
	}
}

/* ---- loading servers/ ---- */

/* True when s ends with suffix (and is longer); see state_int.h. */
int
state_ends_with(const char *s, const char *suffix)
{
	size_t	n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

static int
srv_cmp(const void *a, const void *b)
{
	const struct state_server *x = *(struct state_server *const *)a;
	const struct state_server *y = *(struct state_server *const *)b;

	return strcmp(x->name, y->name);
}

/* Makes the cache key of a file: path, a newline, its id. */
static void
cache_key(char *key, size_t keylen, const char *path, const char *id)
{
	size_t	pl = strlen(path), il = strlen(id);

	if (pl + il + 2 > keylen)
		pl = il = 0;
	memcpy(key, path, pl);
	key[pl] = '\n';
	memcpy(key + pl + 1, id, il);
	key[pl + il + 1] = '\0';
}

/*
 * What reading and parsing one server file gave, before it joins the
 * state (load_join). A load of many files parses them on several threads
 * (load_parallel); each file's result waits here until all are parsed,
 * then joins the state in file order, so that the problems, the cache
 * and the servers are what reading the files one by one gives.
 */
struct parsed {
	struct state_server	*srv;	/* blob_id set; NULL: see aux */
	struct parsed_aux	*aux;	/* NULL: srv has no problem */
	int			 done;	/* taken from the cache */
};

/* The rarer outcomes of a file: problems, a cache hit, a read failure. */
struct parsed_aux {
	struct diags	 d;		/* the file's problems */
	char		*readerr;	/* the file was not read: why */
	int		 hit;		/* the cache holds path, id */
	char		 id[96];
};

static struct parsed_aux *
parsed_aux(struct parsed *p, const char *id)
{
	if (p->aux == NULL) {
		p->aux = xcalloc(1, sizeof(*p->aux));
		diags_init(&p->aux->d);
	}
	snprintf(p->aux->id, sizeof(p->aux->id), "%s", id);
	return p->aux;
}

/*
 * Takes the server file at path from the cache into *out (out->done)
 * when the source tells its id without reading it (stat, or known when
 * not NULL) and the cache holds that id; marks the entry used when mark
 * is set. Returns 1 when taken, else 0 (out is empty). Only for the
 * thread that owns the cache, and never while load_parse runs.
 */
static int
load_cached(const struct state_src *src, struct state_cache *cache,
    const char *path, const char *known, struct parsed *out, int mark)
{
	struct cache_ent	*e;
	struct rerr		 err;
	char			 id[96], key[PATH_MAX + sizeof(id)];

	memset(out, 0, sizeof(*out));
	rerr_init(&err);
	if (cache == NULL || (known == NULL && (src->stat == NULL ||
	    src->stat(src->arg, path, id, sizeof(id), &err) != 0)))
		return 0;
	if (known != NULL)
		snprintf(id, sizeof(id), "%s", known);
	cache_key(key, sizeof(key), path, id);
	e = cache_slot(cache, key);
	if (e->key == NULL)
		return 0;
	e->used |= mark;
	out->done = 1;
	if (e->srv != NULL)
		out->srv = state_server_dup(e->srv);
	if (out->srv == NULL || e->d.n > 0)
		diags_copy(&parsed_aux(out, id)->d, &e->d);
	return 1;
}

/*
 * Reads the server file at path into b (emptied first) and its id into
 * id, for load_parse. Returns 0, or -1 when the file cannot be read
 * (*out then says why).
 */
static int
load_read(const struct state_src *src, const char *path, struct parsed *out,
    struct buf *b, char *id, size_t idlen)
{
	struct rerr	err;

	memset(out, 0, sizeof(*out));
	buf_reset(b);
	rerr_init(&err);
	if (src->read(src->arg, path, b, id, idlen, &err) != 0) {
		parsed_aux(out, "")->readerr = xstrdup(err.msg);
		return -1;
	}
	return 0;
}

/*
 * Parses the server file at path, read into b with its id by load_read,
 * into *out, unless the cache holds that id (then out->aux->hit). The
 * cache is only looked into (load_join adds to it), so that several
 * threads can parse at once.
 */
static void
load_parse(struct state_cache *cache, const char *path, struct parsed *out,
    const struct buf *b, const char *id)
{
	struct state_server	*srv = NULL;
	struct diags		 d;
	char			 key[PATH_MAX + 96];

	if (cache != NULL) {
		cache_key(key, sizeof(key), path, id);
		if (cache_slot(cache, key)->key != NULL) {
			parsed_aux(out, id)->hit = 1;
			return;
		}
	}
	diags_init(&d);
	(void)state_parse_server(&srv, path, buf_str(b), b->len, &d);
	if (srv != NULL) {
		free(srv->blob_id);
		srv->blob_id = xstrdup(id);
	}
	if (srv == NULL || d.n > 0)
		parsed_aux(out, id)->d = d;
	out->srv = srv;
}

/*
 * Adds what load_cached, load_read and load_parse gave for path to st
 * (its problems) and to the cache (a new parse; marks a hit used when
 * mark is set). Returns the server (owned by the caller), or NULL when
 * the file could not be read (st->diags says why). p is emptied.
 */
static struct state_server *
load_join(struct state *st, struct state_cache *cache, const char *path,
    struct parsed *p, int mark)
{
	struct state_server	*srv = p->srv;
	struct parsed_aux	*aux = p->aux;
	struct cache_ent	*e;
	struct diags		 d;
	const char		*id;
	char			 key[PATH_MAX + sizeof(aux->id)];
	int			 done = p->done;

	memset(p, 0, sizeof(*p));
	if (aux != NULL && aux->readerr != NULL) {
		diags_add(st->diags, path, 0, 0, "%s", aux->readerr);
		free(aux->readerr);
		diags_dispose(&aux->d);
		free(aux);
		return NULL;
	}
	id = srv != NULL ? srv->blob_id : aux->id;
	if (done) {
		if (aux != NULL)
			diags_move(st->diags, &aux->d);
	} else if (cache != NULL) {
		cache_key(key, sizeof(key), path, id);
		e = cache_slot(cache, key);
		if (aux != NULL && aux->hit) {
			e->used |= mark;
			diags_copy(st->diags, &e->d);
			if (e->srv != NULL)
				srv = state_server_dup(e->srv);
			goto add;
		}
		if ((cache->n + 1) * 2 > cache->cap) {
			cache_grow(cache);
			e = cache_slot(cache, key);
		}
		cache->parses++;
		diags_init(&d);
		if (aux != NULL) {
			d = aux->d;
			diags_init(&aux->d);
		}
		e->key = xstrdup(key);
		e->used = mark;
		e->d = d;
		e->srv = srv != NULL ? state_server_dup(srv) : NULL;
		cache->n++;
		diags_copy(st->diags, &d);
	} else if (aux != NULL)
		diags_move(st->diags, &aux->d);
add:
	if (srv == NULL) {
		/* The YAML did not parse: the server is known, but invalid. */
		const char	*base = strrchr(path, '/') + 1;

		srv = xcalloc(1, sizeof(*srv));
		srv->path = xstrdup(path);
		srv->name = xstrndup(base, strrchr(base, '.') - base);
		state_limits_unset(&srv->limits);
		srv->error = xstrdup("the file is not valid YAML");
	}
	/* A copy from the cache (one block) already has this id. */
	if (aux != NULL && (srv->blob_id == NULL ||
	    strcmp(srv->blob_id, aux->id) != 0)) {
		free(srv->blob_id);
		srv->blob_id = xstrdup(aux->id);
	}
	if (aux != NULL) {
		diags_dispose(&aux->d);
		free(aux);
	}
	return srv;
}

/*
 * Reads and parses (or finds in the cache) the server file at path;
 * known is its id when the source told it (stat), else NULL. Marks the
 * cache entry used when mark is set. Returns the server (owned by the
 * caller), or NULL when the file cannot be read (st->diags says why).
 */
static struct state_server *
load_one(struct state *st, const struct state_src *src,
    struct state_cache *cache, const char *path, const char *known,
    int mark, struct buf *b)
{
	struct parsed	p;
	char		id[96];

	if (!load_cached(src, cache, path, known, &p, mark) &&
	    load_read(src, path, &p, b, id, sizeof(id)) == 0)
		load_parse(cache, path, &p, b, id);
	return load_join(st, cache, path, &p, mark);
}

/* A set of node names (the nodes a change touches). */
struct nameset {
	const char	**v;
	size_t		  cap;	/* power of two */
	size_t		  n;
};

static void
nameset_add(struct nameset *ns, const char *name)
{
	const char	**old = ns->v;
	size_t		  oldcap = ns->cap, i, h;

	if (name == NULL)
		return;
	if ((ns->n + 1) * 2 > ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 16;
		ns->v = xcalloc(ns->cap, sizeof(*ns->v));
		ns->n = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i] != NULL)
				nameset_add(ns, old[i]);
		free(old);
	}
	for (h = str_hash(name) & (ns->cap - 1); ns->v[h] != NULL;
	    h = (h + 1) & (ns->cap - 1))
		if (strcmp(ns->v[h], name) == 0)
			return;
	ns->v[h] = name;
	ns->n++;
}

static int
nameset_has(const struct nameset *ns, const char *name)
{
	size_t	h;

	if (name == NULL || ns->n == 0)
		return 0;
	for (h = str_hash(name) & (ns->cap - 1); ns->v[h] != NULL;
	    h = (h + 1) & (ns->cap - 1))
		if (strcmp(ns->v[h], name) == 0)
			return 1;
	return 0;
}

/* Writes "servers/<name>" into path (size len, at least 9). */
static void
path_in_servers(char *path, size_t len, const char *name)
{
	size_t	nl = strlen(name);

	if (nl > len - 9)
		nl = len - 9;
	memcpy(path, "servers/", 8);
	memcpy(path + 8, name, nl);
	path[8 + nl] = '\0';
}

/* The file name of a server (after "servers/"). */
static const char *
srv_file(const struct state_server *srv)
{
	const char	*slash = strrchr(srv->path, '/');

	return slash != NULL ? slash + 1 : srv->path;
}

/* A node name's hash (0 for none), to tell most nodes apart unread. */
static uint32_t
node_hash(const char *node)
{
	return node == NULL ? 0 : (uint32_t)(str_hash(node) | 1);
}

/*
 * What a load through a cache kept from the last one: per listed file,
 * the last state's entry with the same name (or NULL) and the server of
 * this load.
 */
struct slot {
	struct last_ent		*old;
	struct state_server	*srv;
	int			 same;	/* the file did not change */
};

/* The nodes a change touches: their names, and their hashes. */
struct touched {
	struct nameset	 names;
	uint32_t	*h;
	size_t		 nh;
};

static void
touch(struct touched *t, const char *node)
{
	if (node == NULL || nameset_has(&t->names, node))
		return;
	nameset_add(&t->names, node);
	t->h = xreallocarray(t->h, t->nh + 1, sizeof(*t->h));
	t->h[t->nh++] = node_hash(node);
}

/* True when the node of e (a last state's server) is touched. */
static int
touched_has(const struct touched *t, const struct last_ent *e)
{
	size_t	i;

	if (e->nodeh == 0)
		return 0;
	for (i = 0; i < t->nh; i++)
		if (t->h[i] == e->nodeh)
			return nameset_has(&t->names, e->srv->node);
	return 0;
}

/*
 * The last state's problems at the paths of servers shared with this
 * one (reused[k] for entry k) go to st.
 */
static void
copy_reused_diags(struct state *st, const struct cache_last *l,
    const char *reused)
{
	const struct diag	*x;
	size_t			 i, k = 0;
	int			 c = 1;

	for (i = 0; i < l->d.n; i++) {
		x = &l->d.v[i];
		if (x->path == NULL || strncmp(x->path, "servers/", 8) != 0)
			continue;
		while (k < l->n && (c = strcmp(l->e[k].file, x->path + 8)) < 0)
			k++;
		if (k == l->n || c != 0 || !reused[k])
			continue;
		if (x->level == DIAG_ERROR)
			diags_add(st->diags, x->path, x->line, x->col, "%s",
			    x->msg);
		else
			diags_warn(st->diags, x->path, x->line, x->col, "%s",
			    x->msg);
	}
}

/*
 * Makes the servers of this load (slots; names are their files) the
 * cache's last state: a shared server's entry moves over with the
 * cache's reference (reused), the others get one; the entries of the
 * last state not moved drop theirs. Nothing but the changed servers is
 * read. The problems are kept later (keep_diags).
 */
static void
keep_moved(struct cache_last *l, const struct slot *slot, char **names,
    size_t n, const char *reused)
{
	struct last_ent	*ne, *e;
	size_t		 i, k, nn = 0, len = 0, fl, off = 0;
	char		*block;

	for (i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	block = xmalloc(len + 1);
	ne = xreallocarray(NULL, n + 1, sizeof(*ne));
	for (i = 0; i < n; i++) {
		if (slot[i].srv == NULL)
			continue;
		e = &ne[nn++];
		if (slot[i].same) {
			*e = *slot[i].old;
		} else {
			e->srv = state_server_ref(slot[i].srv);
			e->nodeh = node_hash(slot[i].srv->node);
			snprintf(e->id, sizeof(e->id), "%s",
			    slot[i].srv->blob_id != NULL ?
			    slot[i].srv->blob_id : "");
		}
		fl = strlen(names[i]) + 1;
		memcpy(block + off, names[i], fl);
		e->file = block + off;
		off += fl;
	}
	for (k = 0; k < l->n; k++)
		if (!reused[k])
			state_server_free(l->e[k].srv);
	free(l->e);
	free(l->names);
	l->e = ne;
	l->n = nn;
	l->names = block;
}

/* Keeps the problems at servers' paths of st as the cache's last. */
static void
keep_diags(struct cache_last *l, const struct state *st)
{
	size_t	i;

	diags_dispose(&l->d);
	diags_init(&l->d);
	for (i = 0; i < st->diags->n; i++) {
		const struct diag *x = &st->diags->v[i];

		if (x->path == NULL || strncmp(x->path, "servers/", 8) != 0)
			continue;
		if (x->level == DIAG_ERROR)
			diags_add(&l->d, x->path, x->line, x->col, "%s",
			    x->msg);
		else
			diags_warn(&l->d, x->path, x->line, x->col, "%s",
			    x->msg);
	}
}

/*
 * Builds the servers of st from the cache's last state when only server
 * files changed since (same ctx): a server whose file did not change and
 * whose node no change touches is the last state's, shared and already
 * validated; the others (and every server on a node a change touches:
 * ports and capacity are checked per node) are loaded and validated
 * anew, on their own. names are the listed files (each a .yaml).
 * Fills lst with the servers in listing order.
 */
static void
load_incremental(struct state *st, const struct state_src *src,
    struct state_cache *cache, char **names, size_t n, struct buf *b,
    struct state_server **lst, size_t *nlst)
{
	struct cache_last	*l = &cache->last;
	struct touched		 touched;
	struct slot		*slot;
	struct state		 sub;
	struct diags		 vd;
	struct rerr		 err;
	struct cache_ent	*ce;
	char			 path[PATH_MAX], id[96], key[PATH_MAX + 96];
	size_t			 i, j = 0, k;
	int			 c;
	char			*reused;

	memset(&touched, 0, sizeof(touched));
	slot = xcalloc(n + 1, sizeof(*slot));
	reused = xcalloc(l->n + 1, 1);
	for (i = 0; i < n; i++) {
		path_in_servers(path, sizeof(path), names[i]);
		rerr_init(&err);
		if (src->stat(src->arg, path, id, sizeof(id), &err) != 0)
			id[0] = '\0';
		/* The last state's servers are in the same (file) order. */
		for (c = 1; j < l->n && (c = strcmp(l->e[j].file,
		    names[i])) < 0; j++)
			touch(&touched, l->e[j].srv->node);
		if (c == 0)
			slot[i].old = &l->e[j++];
		if (slot[i].old != NULL && id[0] != '\0' &&
		    strcmp(slot[i].old->id, id) == 0) {
			slot[i].same = 1;
			continue;
		}
		if (slot[i].old != NULL)
			touch(&touched, slot[i].old->srv->node);
		slot[i].srv = load_one(st, src, cache, path, id[0] ? id : NULL,
		    0, b);
		if (slot[i].srv != NULL)
			touch(&touched, slot[i].srv->node);
	}
	for (; j < l->n; j++)
		touch(&touched, l->e[j].srv->node);
	/* Unchanged files: shared, unless their node is touched. */
	for (i = 0; i < n; i++) {
		if (!slot[i].same)
			continue;
		k = (size_t)(slot[i].old - l->e);
		if (!touched_has(&touched, slot[i].old)) {
			slot[i].srv = state_server_ref(slot[i].old->srv);
			reused[k] = 1;
			continue;
		}
		path_in_servers(path, sizeof(path), names[i]);
		slot[i].srv = load_one(st, src, cache, path, slot[i].old->id,
		    0, b);
		slot[i].same = 0;
	}
	/* The old versions of changed and removed files leave the cache. */
	for (i = 0, k = 0; k < l->n; k++) {
		while (i < n && strcmp(names[i], l->e[k].file) < 0)
			i++;
		if (reused[k] || (i < n && slot[i].old == &l->e[k] &&
		    (slot[i].same || (slot[i].srv != NULL &&
		    slot[i].srv->blob_id != NULL &&
		    strcmp(slot[i].srv->blob_id, l->e[k].id) == 0))))
			continue;
		path_in_servers(path, sizeof(path), l->e[k].file);
		cache_key(key, sizeof(key), path, l->e[k].id);
		ce = cache_slot(cache, key);
		if (ce->key != NULL)
			cache_remove(cache, (size_t)(ce - cache->v));
	}
	copy_reused_diags(st, l, reused);

	/* Validate the others on their own, in name order. */
	sub = *st;
	sub.servers = xcalloc(n + 1, sizeof(*sub.servers));
	sub.nservers = 0;
	diags_init(&vd);
	sub.diags = &vd;
	*nlst = 0;
	for (i = 0; i < n; i++) {
		if (slot[i].srv == NULL)
			continue;
		lst[(*nlst)++] = slot[i].srv;
		if (!slot[i].same)
			sub.servers[sub.nservers++] = slot[i].srv;
	}
	for (i = 1; i < sub.nservers; i++)
		if (srv_cmp(&sub.servers[i - 1], &sub.servers[i]) > 0)
			break;
	if (i < sub.nservers)
		qsort(sub.servers, sub.nservers, sizeof(*sub.servers), srv_cmp);
	state_validate(&sub);
	diags_copy(st->diags, &vd);
	diags_dispose(&vd);
	free(sub.servers);
	keep_moved(l, slot, names, n, reused);
	free(touched.names.v);
	free(touched.h);
	free(reused);
	free(slot);
}

/* Keeps st (its servers in listing order lst) as the cache's last. */
static void
cache_keep(struct state_cache *cache, const struct state *st, char *ctx,
    struct state_server **lst, size_t n)
{
	struct cache_last	*l = &cache->last;
	const char		*f;
	size_t			 i, len = 0, off, fl;

	cache_last_clear(l);
	l->ctx = ctx;
	l->e = xreallocarray(NULL, n + 1, sizeof(*l->e));
	for (i = 0; i < n; i++)
		len += strlen(srv_file(lst[i])) + 1;
	l->names = xmalloc(len + 1);
	for (i = 0, off = 0; i < n; i++) {
		l->e[i].srv = state_server_ref(lst[i]);
		f = srv_file(lst[i]);
		fl = strlen(f) + 1;
		memcpy(l->names + off, f, fl);
		l->e[i].file = l->names + off;
		off += fl;
		l->e[i].nodeh = node_hash(lst[i]->node);
		snprintf(l->e[i].id, sizeof(l->e[i].id), "%s",
		    lst[i]->blob_id != NULL ? lst[i]->blob_id : "");
	}
	l->n = n;
	keep_diags(l, st);
}

/*
 * Threads that parse the server files of a load (load_parallel): up to
 * one per processor, and only when each gets at least LOAD_PER_THREAD
 * files (a thread costs about as much as parsing a few files). A thread
 * reads LOAD_BATCH files each time it holds the source.
 */
#define LOAD_MAX_THREADS	8
#define LOAD_PER_THREAD		64
#define LOAD_BATCH		8

static int	load_threads_forced;

/* Sets the number of threads a load parses on; see state.h. */
void
state_load_threads(int n)
{
	load_threads_forced = n < 0 ? 0 : n > LOAD_MAX_THREADS ?
	    LOAD_MAX_THREADS : n;
}

/* How many threads parse n files (the caller's included). */
static int
load_nthreads(size_t n)
{
	cpu_set_t	set;
	long		ncpu;
	size_t		t;

	if (load_threads_forced > 0)
		t = (size_t)load_threads_forced;
	else {
		if (sched_getaffinity(0, sizeof(set), &set) == 0)
			ncpu = CPU_COUNT(&set);
		else
			ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		t = ncpu > 0 ? (size_t)ncpu : 1;
		if (t > n / LOAD_PER_THREAD)
			t = n / LOAD_PER_THREAD;
	}
	if (t > LOAD_MAX_THREADS)
		t = LOAD_MAX_THREADS;
	if (t > n)
		t = n;
	return t < 1 ? 1 : (int)t;
}

/*
 * The files of one load, shared by its threads. The lock guards next and
 * the source: a thread takes the next files not done and reads them under
 * the lock (the files are read one at a time, in order, as the source
 * expects), then parses them on its own into out[i]. The cache is only
 * looked into until every thread is done.
 */
struct load_pool {
	pthread_mutex_t		 lock;
	const struct state_src	*src;
	struct state_cache	*cache;		/* only looked into */
	char			**names;
	struct parsed		*out;
	size_t			  n;
	size_t			  next;
};

/* A thread of a load: takes files until none is left. */
static void *
load_worker(void *arg)
{
	struct load_pool	*lp = arg;
	struct buf		 b[LOAD_BATCH];
	char			 path[PATH_MAX], id[LOAD_BATCH][96];
	size_t			 at[LOAD_BATCH];
	int			 k, nk;

	for (k = 0; k < LOAD_BATCH; k++)
		buf_init(&b[k], 8 << 20);
	for (;;) {
		/* A few files at a time: the lock changes hands less. */
		pthread_mutex_lock(&lp->lock);
		for (nk = 0; nk < LOAD_BATCH; ) {
			while (lp->next < lp->n && lp->out[lp->next].done)
				lp->next++;
			if (lp->next == lp->n)
				break;
			at[nk] = lp->next++;
			snprintf(path, sizeof(path), "servers/%s",
			    lp->names[at[nk]]);
			if (load_read(lp->src, path, &lp->out[at[nk]], &b[nk],
			    id[nk], sizeof(id[nk])) == 0)
				nk++;
		}
		pthread_mutex_unlock(&lp->lock);
		if (nk == 0)
			break;
		for (k = 0; k < nk; k++) {
			snprintf(path, sizeof(path), "servers/%s",
			    lp->names[at[k]]);
			load_parse(lp->cache, path, &lp->out[at[k]], &b[k],
			    id[k]);
		}
	}
	for (k = 0; k < LOAD_BATCH; k++)
		buf_dispose(&b[k]);
	return NULL;
}

/*
 * Reads and parses the n server files names (under servers/) into
 * out[0..n-1], but for those already taken from the cache (done), on
 * load_nthreads threads, the calling one included. A thread that cannot
 * be started leaves its share to the others.
 */
static void
load_parallel(const struct state_src *src, struct state_cache *cache,
    char **names, size_t n, struct parsed *out)
{
	struct load_pool	 lp;
	pthread_t		 tid[LOAD_MAX_THREADS];
	sigset_t		 all, old;
	size_t			 j, left = 0;
	int			 nt, i, started = 0;

	memset(&lp, 0, sizeof(lp));
	pthread_mutex_init(&lp.lock, NULL);
	lp.src = src;
	lp.cache = cache;
	lp.names = names;
	lp.out = out;
	lp.n = n;
	for (j = 0; j < n; j++)
		left += !out[j].done;
	nt = load_nthreads(left);
	if (nt > 1) {
		/* Signals stay with the threads that expect them. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		for (i = 0; i < nt - 1; i++)
			if (pthread_create(&tid[started], NULL, load_worker,
			    &lp) == 0)
				started++;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	(void)load_worker(&lp);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	pthread_mutex_destroy(&lp.lock);
}

/*
 * True when the stems of the listed files (the servers' names) are in
 * order too (the listing sorts "a-b.yaml" before "a.yaml", the names
 * "a" before "a-b").
 */
static int
stems_sorted(char **names, size_t n)
{
	size_t	i, la, lb, m;
	int	c;

	for (i = 1; i < n; i++) {
		la = strrchr(names[i - 1], '.') - names[i - 1];
		lb = strrchr(names[i], '.') - names[i];
		m = la < lb ? la : lb;
		c = memcmp(names[i - 1], names[i], m);
		if (c > 0 || (c == 0 && la > lb))
			return 0;
	}
	return 1;
}

/*
 * Loads the server files listed in names into st and validates the
 * state. ctx (owned; see struct cache_last) says what else the state
 * was made of.
 */
void
state_load_servers(struct state *st, const struct state_src *src,
    struct state_cache *cache, char **names, size_t n, char *ctx,
    struct buf *b)
{
	struct state_server	**lst, *srv;
	struct parsed		 *parsed;
	char			  path[PATH_MAX], **yaml;
	size_t			  i, nlst = 0, nyaml = 0;
	int			  incr, yml = 0;

	yaml = xcalloc(n + 1, sizeof(*yaml));
	for (i = 0; i < n; i++) {
		if (state_ends_with(names[i], ".yml"))
			yml = 1;
		if (!state_ends_with(names[i], ".yaml") &&
		    !state_ends_with(names[i], ".yml")) {
			if (names[i][0] != '.')
				diags_warn(st->diags, NULL, 0, 0, "servers/%s "
				    "is ignored: server files end in .yaml",
				    names[i]);
			continue;
		}
		yaml[nyaml++] = names[i];
	}
	names = yaml;
	lst = xcalloc(nyaml + 1, sizeof(*lst));
	/* Only a .yaml file per name can share: one name, one file. */
	incr = cache != NULL && src->stat != NULL && !yml &&
	    cache->last.ctx != NULL && strcmp(cache->last.ctx, ctx) == 0;
	if (incr)
		load_incremental(st, src, cache, names, nyaml, b, lst, &nlst);
	else {
		/* Files the cache has by id first, then the others. */
		parsed = xcalloc(nyaml + 1, sizeof(*parsed));
		for (i = 0; cache != NULL && i < nyaml; i++) {
			snprintf(path, sizeof(path), "servers/%s", names[i]);
			(void)load_cached(src, cache, path, NULL, &parsed[i],
			    1);
		}
		load_parallel(src, cache, names, nyaml, parsed);
		for (i = 0; i < nyaml; i++) {
			snprintf(path, sizeof(path), "servers/%s", names[i]);
			if ((srv = load_join(st, cache, path, &parsed[i],
			    1)) != NULL)
				lst[nlst++] = srv;
		}
		free(parsed);
		if (cache != NULL)
			cache_sweep(cache);
	}
	st->servers = xreallocarray(NULL, nlst + 1, sizeof(*st->servers));
	memcpy(st->servers, lst, nlst * sizeof(*lst));
	st->nservers = nlst;
	/* Files come sorted by name from git and from a directory. */
	i = st->nservers;
	if (!stems_sorted(names, nyaml))
		for (i = 1; i < st->nservers; i++)
			if (srv_cmp(&st->servers[i - 1], &st->servers[i]) > 0)
				break;
	if (i < st->nservers)
		qsort(st->servers, st->nservers, sizeof(*st->servers),
		    srv_cmp);
	if (incr)
		diags_sort(st->diags);
	else {
		for (i = 1; i < st->nservers; i++)
			if (strcmp(st->servers[i - 1]->name,
			    st->servers[i]->name) == 0) {
				diags_add(st->diags, st->servers[i]->path, 0,
				    0, "server '%s' is defined twice (%s and "
				    "%s)", st->servers[i]->name,
				    st->servers[i - 1]->path,
				    st->servers[i]->path);
				st->servers[i]->valid = 0;
			}
		state_validate(st);
	}
	if (incr)
		keep_diags(&cache->last, st);
	else if (cache != NULL && src->stat != NULL && !yml) {
		cache_keep(cache, st, ctx, lst, nlst);
		ctx = NULL;
	} else if (cache != NULL)
		cache_last_clear(&cache->last);
	free(ctx);
	free(lst);
	free(yaml);
}
