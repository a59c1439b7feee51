/*
 * sftpd_backups: the read-only /.backups/ view of a session (docs/sftp.md,
 * "Backups"). A server's backups on a local target belong to root and are
 * not readable by the server's uid, so the view is made while the session
 * still runs as root: every finished backup (an <id>.tar.zst with its
 * <id>.json record, both regular files) of the server's backups directory
 * is opened read-only then, and the session, once it dropped its
 * privileges, serves those open files and nothing else under /.backups.
 * The view is what was there at login; a backup taken later shows at the
 * next login.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sftpd.h"
#include "xmalloc.h"

#define BK_MAX		64	/* backups shown, the newest */
#define BK_NAME		96

struct bk_file {
	char		name[BK_NAME];
	int		fd;
	struct stat	st;
};

struct sftpd_bkview {
	struct bk_file	*f;
	size_t		 n;
	struct stat	 dir;	/* the directory's, for its stat */
};

/* Whether id could be a backup's (as roostd makes them). */
static int
id_ok(const char *id, size_t n)
{
	size_t	i;

	if (n == 0 || n > 64 || !((id[0] >= '0' && id[0] <= '9') ||
	    (id[0] >= 'A' && id[0] <= 'Z') || (id[0] >= 'a' && id[0] <= 'z')))
		return 0;
	for (i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._-", id[i]) == NULL)
			return 0;
	return 1;
}

/* Opens name in dfd read-only when it is a regular file; fd or -1. */
static int
open_regular(int dfd, const char *name, struct stat *st)
{
	int	fd;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
id_cmp_desc(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

static int
name_cmp_desc(const void *a, const void *b)
{
	return strcmp(((const struct bk_file *)b)->name,
	    ((const struct bk_file *)a)->name);
}

/* Adds the archive of id and its record to v; 0, or -1 when not both. */
static int
add_backup(struct sftpd_bkview *v, int dfd, const char *id, size_t n)
{
	struct bk_file	*a = &v->f[v->n], *r = &v->f[v->n + 1];

	snprintf(a->name, sizeof(a->name), "%.*s.tar.zst", (int)n, id);
	snprintf(r->name, sizeof(r->name), "%.*s.json", (int)n, id);
	if ((r->fd = open_regular(dfd, r->name, &r->st)) == -1)
		return -1;
	if ((a->fd = open_regular(dfd, a->name, &a->st)) == -1) {
		close(r->fd);
		return -1;
	}
	v->n += 2;
	return 0;
}

/* See sftpd.h. */
struct sftpd_bkview *
sftpd_bk_open(const char *dir)
{
	struct sftpd_bkview	*v;
	struct dirent		*de;
	DIR			*d;
	char			**ids = NULL;
	size_t			 nids = 0, cap = 0, i, n;
	int			 dfd;

	v = xcalloc(1, sizeof(*v));
	if (dir == NULL)
		return v;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd == -1 || fstat(dfd, &v->dir) == -1 ||
	    (d = fdopendir(dfd)) == NULL) {
		if (dfd != -1)
			close(dfd);
		if (errno != ENOENT)
			log_warn("backups of '%s' not shown", dir);
		return v;
	}
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n <= 8 || strcmp(de->d_name + n - 8, ".tar.zst") != 0 ||
		    !id_ok(de->d_name, n - 8))
			continue;
		if (nids == cap) {
			cap = cap ? cap * 2 : 16;
			ids = xreallocarray(ids, cap, sizeof(*ids));
		}
		ids[nids++] = xstrndup(de->d_name, n - 8);
	}
	/* the newest BK_MAX: ids sort by their time */
	v->f = xcalloc(2 * BK_MAX, sizeof(*v->f));
	qsort(ids, nids, sizeof(*ids), id_cmp_desc);
	for (i = 0; i < nids && v->n < 2 * BK_MAX; i++)
		(void)add_backup(v, dirfd(d), ids[i], strlen(ids[i]));
	strv_free(ids, nids);
	closedir(d);
	qsort(v->f, v->n, sizeof(*v->f), name_cmp_desc);
	return v;
}

/* See sftpd.h. */
void
sftpd_bk_free(struct sftpd_bkview *v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++)
		close(v->f[i].fd);
	free(v->f);
	free(v);
}

/* See sftpd.h. */
size_t
sftpd_bk_count(const struct sftpd_bkview *v)
{
	return v != NULL ? v->n : 0;
}

/* See sftpd.h. */
const char *
sftpd_bk_entry(const struct sftpd_bkview *v, size_t i, struct stat *st)
{
	if (v == NULL || i >= v->n)
		return NULL;
	*st = v->f[i].st;
	st->st_mode = S_IFREG | 0444;
	st->st_nlink = 1;
	return v->f[i].name;
}

/* See sftpd.h. */
void
sftpd_bk_dirstat(const struct sftpd_bkview *v, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	if (v != NULL)
		*st = v->dir;
	st->st_mode = S_IFDIR | 0555;
	st->st_nlink = 2;
	if (st->st_mtime == 0)
		st->st_mtime = time(NULL);
}

/* See sftpd.h. */
int
sftpd_bk_find(const struct sftpd_bkview *v, const char *name,
    struct stat *st)
{
	size_t	i;

	for (i = 0; v != NULL && i < v->n; i++)
		if (strcmp(v->f[i].name, name) == 0) {
			(void)sftpd_bk_entry(v, i, st);
			return (int)i;
		}
	errno = ENOENT;
	return -1;
}

/* See sftpd.h. */
int
sftpd_bk_dup(const struct sftpd_bkview *v, const char *name)
{
	struct stat	st;
	int		i;

	if ((i = sftpd_bk_find(v, name, &st)) == -1)
		return -1;
	/* reads are preads: sharing the file offset does no harm */
	return fcntl(v->f[i].fd, F_DUPFD_CLOEXEC, 0);
}
