/*
 * state_load: reading the files of a state repository (through a struct
 * state_src: the work tree's is here, a commit's is gitstore's) into a
 * struct state: roost.yaml, the eggs, nodes/, then servers/. Each file is
 * parsed by state_parse.c; the server files go through state_cache.c.
 * The loader's files form a stack: state_parse.c, then state_cache.c,
 * then this file.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"
#include "rerr.h"
#include "state.h"
#include "state_int.h"
#include "util.h"
#include "xmalloc.h"

/* ---- helpers for sources ---- */

/* A content id: FNV-1a over the bytes, and the length. */
void
state_content_id(const char *p, size_t len, char *id, size_t idlen)
{
	uint64_t	h = 1469598103934665603ULL;
	size_t		i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	snprintf(id, idlen, "f%016llx%08zx", (unsigned long long)h, len);
}

/* ---- the work-tree source ---- */

/*
 * Files of a work tree are opened one path component at a time through
 * directory fds with O_NOFOLLOW, so a symlink anywhere under the root
 * (servers/x.yaml -> /etc/shadow, or servers -> /etc) is refused rather
 * than followed out of the repository: git stores a symlink as a link,
 * never as the file it names, and roost reads a work tree the same way.
 * Only regular files are read (a FIFO would block, a device leak).
 */
static int
dirsrc_open(const char *root, const char *rel, int wantdir, int *fdp,
    struct rerr *err)
{
	struct stat	 sb;
	char		*copy, *comp, *next;
	int		 fd, nfd, last, rc = 0;

	*fdp = -1;
	if ((fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return rerr_set(err, ROOST_ENOTFOUND, "'%s' does not "
			    "exist", root);
		return rerr_errno(err, -1, "cannot open '%s'", root);
	}
	copy = xstrdup(rel);
	for (comp = copy; comp != NULL; comp = next) {
		if ((next = strchr(comp, '/')) != NULL)
			*next++ = '\0';
		last = next == NULL;
		if (*comp == '\0' || strcmp(comp, ".") == 0) {
			if (last && !wantdir) {
				rc = rerr_set(err, ROOST_EINVAL, "'%s' is not "
				    "a file", rel);
				break;
			}
			continue;
		}
		if (strcmp(comp, "..") == 0) {
			rc = rerr_set(err, ROOST_EINVAL, "'%s' leaves the "
			    "repository", rel);
			break;
		}
		nfd = openat(fd, comp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
		    O_NOCTTY | O_NONBLOCK | (last && !wantdir ? 0 :
		    O_DIRECTORY));
		if (nfd == -1 && fstatat(fd, comp, &sb,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(sb.st_mode)) {
			rc = rerr_set(err, ROOST_EINVAL, "'%s' is a symlink; "
			    "symlinks are not allowed in a state repository",
			    rel);
			break;
		}
		if (nfd == -1) {
			if (errno == ENOENT || errno == ENOTDIR)
				rc = rerr_set(err, ROOST_ENOTFOUND, "'%s' does "
				    "not exist", rel);
			else
				rc = rerr_errno(err, -1, "cannot open '%s'",
				    rel);
			break;
		}
		close(fd);
		fd = nfd;
	}
	free(copy);
	if (rc == 0 && !wantdir && (fstat(fd, &sb) == -1 ||
	    !S_ISREG(sb.st_mode)))
		rc = rerr_set(err, ROOST_EINVAL, "'%s' is not a regular file",
		    rel);
	if (rc != 0) {
		close(fd);
		return rc;
	}
	*fdp = fd;
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
dirsrc_list(void *arg, const char *dir, char ***names, size_t *n,
    struct rerr *err)
{
	DIR		*d;
	struct dirent	*e;
	size_t		 cap = 0;
	int		 fd, rc;

	*names = NULL;
	*n = 0;
	if ((rc = dirsrc_open(arg, dir, 1, &fd, err)) != 0)
		return rc;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return rerr_errno(err, -1, "cannot read '%s'", dir);
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*names = xreallocarray(*names, cap, sizeof(**names));
		}
		(*names)[(*n)++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (*n > 0)
		qsort(*names, *n, sizeof(**names), name_cmp);
	return 0;
}

static int
dirsrc_read(void *arg, const char *rel, struct buf *out, char *id,
    size_t idlen, struct rerr *err)
{
	char		 chunk[65536];
	size_t		 before = out->len;
	ssize_t		 r;
	int		 fd, rc;

	if ((rc = dirsrc_open(arg, rel, 0, &fd, err)) != 0)
		return rc;
	for (;;) {
		if ((r = read(fd, chunk, sizeof(chunk))) == -1) {
			if (errno == EINTR)
				continue;
			rc = rerr_errno(err, -1, "cannot read '%s'", rel);
			break;
		}
		if (r == 0)
			break;
		if (buf_add(out, chunk, (size_t)r) == -1) {
			rc = rerr_set(err, -1, "'%s' is too large", rel);
			break;
		}
	}
	close(fd);
	if (rc != 0)
		return rc;
	state_content_id(out->data + before, out->len - before, id, idlen);
	return 0;
}

static int
dirsrc_isdir(void *arg, const char *rel)
{
	struct rerr	err;
	int		fd;

	rerr_init(&err);
	if (dirsrc_open(arg, rel, 1, &fd, &err) != 0)
		return 0;
	close(fd);
	return 1;
}

/* A source reading the work tree at dir. */
void
state_src_dir(struct state_src *out, const char *dir)
{
	memset(out, 0, sizeof(*out));
	out->arg = (void *)dir;
	out->list = dirsrc_list;
	out->read = dirsrc_read;
	out->isdir = dirsrc_isdir;
}

/* ---- the whole state ---- */

/* Appends "path\nid\n" to a load's context (see struct cache_last). */
static void
ctx_add(struct buf *ctx, const char *path, const char *id)
{
	buf_puts(ctx, path);
	buf_putc(ctx, '\n');
	buf_puts(ctx, id);
	buf_putc(ctx, '\n');
}

/* Lists dir of src into names; a missing dir lists nothing. */
static int
list_names(const struct state_src *src, const char *dir, char ***names,
    size_t *n, struct rerr *err)
{
	struct rerr	e2;
	int		rc;

	rerr_init(&e2);
	rc = src->list(src->arg, dir, names, n, &e2);
	if (rc != 0 && rc != ROOST_ENOTFOUND)
		return rerr_set(err, -1, "%s", e2.msg);
	return 0;
}

/*
 * Reads path of src into b and notes it in ctx. A file that cannot be read
 * is noted as "-" and becomes a diagnostic with its own reason.
 * Returns 0 when it was read.
 */
static int
read_noted(struct state *st, const struct state_src *src, const char *path,
    struct buf *ctx, struct buf *b)
{
	struct rerr	err;
	char		id[96];

	rerr_init(&err);
	buf_reset(b);
	if (src->read(src->arg, path, b, id, sizeof(id), &err) != 0) {
		ctx_add(ctx, path, "-");
		diags_add(st->diags, path, 0, 0, "%s", err.msg);
		return -1;
	}
	ctx_add(ctx, path, id);
	return 0;
}

/* The built-in eggs, copied into the state's own library. */
static void
load_builtin_eggs(struct state *st, const struct egg_library *builtin)
{
	size_t	i;

	for (i = 0; i < egglib_count(builtin); i++) {
		const struct egg *be = egglib_at(builtin, i);
		struct buf w;
		struct egg *copy;
		struct diags dd;

		/* Eggs are immutable; a round trip makes a copy. */
		buf_init(&w, 0);
		egg_write_yaml(be, &w);
		diags_init(&dd);
		if (egg_load(&copy, be->id, buf_str(&w), w.len, &dd) == 0)
			egglib_put(st->eggs, be->id, copy);
		diags_dispose(&dd);
		buf_dispose(&w);
	}
}

/* The repository's eggs/<group>/<egg>.yaml, each into st->eggs. */
static int
load_eggs(struct state *st, const struct state_src *src, struct buf *ctx,
    struct buf *b, struct rerr *err)
{
	char		**names = NULL, **eggn, path[PATH_MAX];
	char		  egg_id[PATH_MAX];
	size_t		  n = 0, ne, i, j, stem;
	struct rerr	  e2;

	if (list_names(src, "eggs", &names, &n, err) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "eggs/%s", names[i]);
		if (src->isdir != NULL && !src->isdir(src->arg, path))
			continue;
		eggn = NULL;
		ne = 0;
		rerr_init(&e2);
		if (src->list(src->arg, path, &eggn, &ne, &e2) != 0)
			continue;
		for (j = 0; j < ne; j++) {
			if (!egglib_egg_name(eggn[j], &stem))
				continue;
			snprintf(path, sizeof(path), "eggs/%s/%s", names[i],
			    eggn[j]);
			snprintf(egg_id, sizeof(egg_id), "%s/%.*s", names[i],
			    (int)stem, eggn[j]);
			if (read_noted(st, src, path, ctx, b) != 0)
				continue;
			(void)egglib_add_buf(st->eggs, egg_id, path,
			    buf_str(b), b->len, st->diags);
		}
		strv_free(eggn, ne);
	}
	strv_free(names, n);
	return 0;
}

/* The repository's nodes/<node>.yaml. */
static int
load_nodes(struct state *st, const struct state_src *src, struct buf *ctx,
    struct buf *b, struct rerr *err)
{
	char		**names = NULL, path[PATH_MAX], *stem;
	size_t		  n = 0, i;

	if (list_names(src, "nodes", &names, &n, err) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!state_ends_with(names[i], ".yaml") &&
		    !state_ends_with(names[i], ".yml"))
			continue;
		snprintf(path, sizeof(path), "nodes/%s", names[i]);
		if (read_noted(st, src, path, ctx, b) != 0)
			continue;
		stem = xstrndup(names[i], strrchr(names[i], '.') - names[i]);
		state_load_node(st, path, stem, buf_str(b), b->len);
		free(stem);
	}
	strv_free(names, n);
	return 0;
}

/* Loads and validates the state from src; see state.h. */
int
state_load(struct state **out, const struct state_src *src,
    const struct egg_library *builtin, struct state_cache *cache,
    struct rerr *err)
{
	struct state	*st;
	struct buf	 b, ctx;
	char		**names = NULL, id[96];
	size_t		 n = 0;
	int		 rc;
	struct rerr	 e2;

	*out = NULL;
	st = xcalloc(1, sizeof(*st));
	st->diags = xcalloc(1, sizeof(*st->diags));
	diags_init(st->diags);
	state_limits_unset(&st->conf.defaults);
	st->conf.backups.keep = STATE_UNSET;
	st->conf.path = xstrdup("roost.yaml");
	buf_init(&b, 8 << 20);
	buf_init(&ctx, 0);

	/* roost.yaml is optional: without it, nobody has role rights. */
	rerr_init(&e2);
	rc = src->read(src->arg, "roost.yaml", &b, id, sizeof(id), &e2);
	ctx_add(&ctx, "roost.yaml", rc == 0 ? id : "-");
	if (rc == 0)
		state_load_conf(st, "roost.yaml", buf_str(&b), b.len);
	else if (rc != ROOST_ENOTFOUND) {
		rerr_set(err, -1, "%s", e2.msg);
		goto fail;
	}

	/* Eggs: a new library holding the built-in ones under the repo's. */
	st->eggs = egglib_new();
	st->own_eggs = 1;
	if (builtin != NULL)
		load_builtin_eggs(st, builtin);
	if (load_eggs(st, src, &ctx, &b, err) != 0 ||
	    load_nodes(st, src, &ctx, &b, err) != 0)
		goto fail;

	/* Servers. */
	rc = src->list_block != NULL ? src->list_block(src->arg, "servers",
	    &names, &n, &e2) : src->list(src->arg, "servers", &names, &n, &e2);
	if (rc != 0 && rc != ROOST_ENOTFOUND) {
		rerr_set(err, -1, "%s", e2.msg);
		goto fail;
	}
	buf_addf(&ctx, "%p\n", (const void *)builtin);
	state_load_servers(st, src, cache, names, n, buf_detach(&ctx), &b);
	if (src->list_block != NULL)
		free(names);	/* one block: the names point into it */
	else
		strv_free(names, n);
	buf_dispose(&b);
	*out = st;
	return 0;
fail:
	strv_free(names, n);
	buf_dispose(&b);
	buf_dispose(&ctx);
	state_free(st);
	return -1;
}
