/*
 * store_local: a backup target that is a directory (see store.h). Each
 * server has <path>/<server>/; an archive is written as
 * .tmp-<id>.tar.zst, fsynced and renamed to <id>.tar.zst, then the
 * record <id>.json is written the same way and the directory fsynced.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "rerr.h"
#include "util.h"
#include "xmalloc.h"

#include "conf.h"
#include "store.h"

struct st_local {
	struct store	 s;
	char		*path;
};

struct st_local_put {
	struct store_put p;
	int		 dfd;
	int		 fd;
	uint64_t	 off;		/* bytes written */
	char		 tmp[STORE_ID_MAX + 16];
	char		 id[STORE_ID_MAX];
};

struct st_local_get {
	struct store_get g;
};

/* Opens <path>/<server> (made when create); -1 with err set. */
static int
sl_dir(struct st_local *l, const char *server, int create, struct rerr *err)
{
	char	*dir;
	int	 fd;

	xasprintf(&dir, "%s/%s", l->path, server);
	if (create && util_mkdir_p(dir, 0700) == -1) {
		rerr_errno(err, -1, "create \"%s\"", dir);
		free(dir);
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		rerr_errno(err, errno == ENOENT ? ROOST_ENOTFOUND : -1,
		    "open \"%s\"", dir);
	free(dir);
	return fd;
}

/* The ids with a record beside a regular archive. */
static int
sl_list(struct store *s, const char *server, char ***out, size_t *np,
    struct rerr *err)
{
	struct st_local	*l = (struct st_local *)s;
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		**v = NULL, arch[NAME_MAX + 1];
	size_t		 n = 0, len;
	int		 dfd;
	struct rerr	 e2;

	rerr_init(&e2);
	if ((dfd = sl_dir(l, server, 0, &e2)) == -1) {
		if (e2.code == ROOST_ENOTFOUND)
			return 0;
		return rerr_set(err, -1, "%s", e2.msg);
	}
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return rerr_errno(err, -1, "read \"%s/%s\"", l->path, server);
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 5 || len >= STORE_ID_MAX + 5 ||
		    de->d_name[0] == '.' ||
		    strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		snprintf(arch, sizeof(arch), "%.*s.tar.zst", (int)(len - 5),
		    de->d_name);
		if (fstatat(dirfd(d), arch, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(sb.st_mode))
			continue;
		v = xreallocarray(v, n + 1, sizeof(char *));
		v[n++] = xstrndup(de->d_name, len - 5);
	}
	closedir(d);
	*out = v;
	*np = n;
	return 0;
}

/* Removes the record, then the archive. */
static int
sl_remove(struct store *s, const char *server, const char *id,
    struct rerr *err)
{
	struct st_local	*l = (struct st_local *)s;
	char		 name[NAME_MAX + 1];
	int		 dfd, rc = 0;

	if ((dfd = sl_dir(l, server, 0, err)) == -1)
		return -1;
	snprintf(name, sizeof(name), "%s.json", id);
	if (unlinkat(dfd, name, 0) == -1 && errno != ENOENT)
		rc = rerr_errno(err, -1, "remove %s", name);
	snprintf(name, sizeof(name), "%s.tar.zst", id);
	if (rc == 0 && unlinkat(dfd, name, 0) == -1 && errno != ENOENT)
		rc = rerr_errno(err, -1, "remove %s", name);
	(void)fsync(dfd);
	close(dfd);
	return rc;
}

/* Removes the .tmp- archives killed backups left. */
static void
sl_tidy(struct store *s, const char *server)
{
	struct st_local	*l = (struct st_local *)s;
	struct rerr	 err;
	DIR		*d;
	struct dirent	*de;
	int		 dfd;

	rerr_init(&err);
	if ((dfd = sl_dir(l, server, 0, &err)) == -1)
		return;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, ".tmp-", 5) == 0)
			(void)unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

static int
sl_put_write(struct store_put *p, const void *buf, size_t len,
    struct rerr *err)
{
	struct st_local_put	*w = (struct st_local_put *)p;

	if (util_write_stream(w->fd, buf, len, &w->off) != 0)
		return rerr_errno(err, -1, "write the archive");
	return 0;
}

static void
sl_put_abort(struct store_put *p)
{
	struct st_local_put	*w = (struct st_local_put *)p;

	if (w->fd != -1)
		close(w->fd);
	(void)unlinkat(w->dfd, w->tmp, 0);
	close(w->dfd);
	free(w);
}

/* fsync, rename into place, then the record, then the directory. */
static int
sl_put_commit(struct store_put *p, const char *record, size_t len,
    struct rerr *err)
{
	struct st_local_put	*w = (struct st_local_put *)p;
	char			 name[NAME_MAX + 1];
	int			 rc = 0;

	if (fsync(w->fd) == -1)
		rc = rerr_errno(err, -1, "fsync the archive");
	if (close(w->fd) == -1 && rc == 0)
		rc = rerr_errno(err, -1, "close the archive");
	w->fd = -1;
	snprintf(name, sizeof(name), "%s.tar.zst", w->id);
	if (rc == 0 && renameat(w->dfd, w->tmp, w->dfd, name) == -1)
		rc = rerr_errno(err, -1, "rename the archive");
	if (rc != 0) {
		sl_put_abort(p);
		return rc;
	}
	snprintf(name, sizeof(name), "%s.json", w->id);
	rc = util_write_atomic_at(w->dfd, name, record, len, 0600, err);
	if (rc == 0 && fsync(w->dfd) == -1)
		rc = rerr_errno(err, -1, "fsync the target directory");
	close(w->dfd);
	free(w);
	return rc;
}

static int
sl_put_begin(struct store *s, const char *server, const char *id,
    struct store_put **out, struct rerr *err)
{
	struct st_local		*l = (struct st_local *)s;
	struct st_local_put	*w;
	int			 dfd;

	if ((dfd = sl_dir(l, server, 1, err)) == -1)
		return -1;
	w = xcalloc(1, sizeof(*w));
	w->p.write = sl_put_write;
	w->p.commit = sl_put_commit;
	w->p.abort = sl_put_abort;
	w->dfd = dfd;
	snprintf(w->id, sizeof(w->id), "%s", id);
	snprintf(w->tmp, sizeof(w->tmp), ".tmp-%s.tar.zst", id);
	if ((w->fd = util_create_excl_at(dfd, w->tmp, 0600)) == -1) {
		rerr_errno(err, -1, "create the archive %s", w->tmp);
		close(dfd);
		free(w);
		return -1;
	}
	*out = &w->p;
	return 0;
}

static int
sl_get_close(struct store_get *g, struct rerr *err)
{
	close(g->fd);
	free(g);
	return 0;
}

static int
sl_get_open(struct store *s, const char *server, const char *id,
    uint64_t offset, struct store_get **out, struct rerr *err)
{
	struct st_local	*l = (struct st_local *)s;
	struct store_get *g;
	struct stat	 sb;
	char		 name[NAME_MAX + 1];
	int		 dfd, fd;
	struct rerr	 e2;

	rerr_init(&e2);
	if ((dfd = sl_dir(l, server, 0, &e2)) == -1)
		return e2.code == ROOST_ENOTFOUND ? rerr_set(err,
		    ROOST_ENOTFOUND, "the archive of backup %s is missing",
		    id) : rerr_set(err, -1, "%s", e2.msg);
	snprintf(name, sizeof(name), "%s.tar.zst", id);
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dfd);
	if (fd == -1 || fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		if (fd != -1)
			close(fd);
		return rerr_set(err, ROOST_ENOTFOUND, "the archive of backup "
		    "%s is missing", id);
	}
	/* A regular file: reads block, O_NONBLOCK only kept FIFOs out. */
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (offset > 0 && lseek(fd, (off_t)offset, SEEK_SET) == -1) {
		close(fd);
		return rerr_errno(err, -1, "seek in backup %s", id);
	}
	g = xcalloc(1, sizeof(*g));
	g->close = sl_get_close;
	g->fd = fd;
	g->size = (uint64_t)sb.st_size;
	*out = g;
	return 0;
}

static void
sl_free(struct store *s)
{
	struct st_local	*l = (struct st_local *)s;

	free(l->s.name);
	free(l->path);
	free(l);
}

/* Writes <path>/<server>/<name> atomically. */
static int
sl_note_put(struct store *s, const char *server, const char *name,
    const char *text, size_t len, struct rerr *err)
{
	struct st_local	*l = (struct st_local *)s;
	int		 dfd, rc;

	if ((dfd = sl_dir(l, server, 1, err)) == -1)
		return -1;
	rc = util_write_atomic_at(dfd, name, text, len, 0600, err);
	if (rc == 0 && fsync(dfd) == -1)
		rc = rerr_errno(err, -1, "fsync the target directory");
	close(dfd);
	return rc;
}

/* Reads <path>/<server>/<name>, a regular file. */
static int
sl_read_small(struct store *s, const char *server, const char *name,
    const char *what, char **out, size_t *len, struct rerr *err)
{
	struct st_local	*l = (struct st_local *)s;
	struct stat	 sb;
	ssize_t		 n;
	int		 dfd, fd;

	if ((dfd = sl_dir(l, server, 0, err)) == -1)
		return err->code == ROOST_ENOTFOUND ? ROOST_ENOTFOUND : -1;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dfd);
	if (fd == -1)
		return rerr_errno(err, errno == ENOENT ? ROOST_ENOTFOUND : -1,
		    "open %s", what);
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > STORE_RECORD_MAX) {
		close(fd);
		return rerr_set(err, ROOST_EINVAL, "%s is not a file of at "
		    "most %d bytes", what, STORE_RECORD_MAX);
	}
	*out = xmalloc((size_t)sb.st_size + 1);
	n = read(fd, *out, (size_t)sb.st_size);
	close(fd);
	if (n != sb.st_size) {
		free(*out);
		*out = NULL;
		return rerr_set(err, -1, "read %s", what);
	}
	(*out)[n] = '\0';
	*len = (size_t)n;
	return 0;
}

static const struct store_ops sl_ops = {
	sl_list, sl_remove, sl_tidy, sl_put_begin, sl_get_open, sl_free,
	sl_note_put, sl_read_small
};

/* A directory target; see store.h. */
struct store *
store_local_new(const struct conf_target *t, struct rerr *err)
{
	struct st_local	*l;

	l = xcalloc(1, sizeof(*l));
	l->s.ops = &sl_ops;
	l->s.name = xstrdup(t->name);
	l->path = xstrdup(t->path);
	return &l->s;
}
