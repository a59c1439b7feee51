/*
 * apply: idempotent engine and file-system writes of the reconciler (see
 * apply.h): image pull when missing, create with name-conflict adoption,
 * remove, server data directories, and the trash of pruned servers.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "rerr.h"
#include "util.h"
#include "xmalloc.h"

#include "apply.h"
#include "cspec.h"

/* Tries of a create whose name is held by a container being removed. */
#define APPLY_CONFLICT_TRIES	25

/* Counts one engine write. */
void
apply_count(struct apply_ctx *ctx)
{
	if (ctx->writes != NULL)
		__atomic_add_fetch(ctx->writes, 1, __ATOMIC_RELAXED);
}

static void
apply_pull_progress(const char *status, const char *id, int64_t current,
    int64_t total, void *arg)
{
	struct apply_ctx	*ctx = arg;
	char			 line[256];

	if (ctx->progress == NULL || status == NULL)
		return;
	if (total > 0)
		snprintf(line, sizeof(line), "%s%s%s %lld/%lld", id ? id : "",
		    id ? ": " : "", status, (long long)current,
		    (long long)total);
	else
		snprintf(line, sizeof(line), "%s%s%s", id ? id : "",
		    id ? ": " : "", status);
	ctx->progress(ctx->progress_arg, line);
}

/* Makes sure an image is local; see apply.h. */
int
apply_image_ensure(struct apply_ctx *ctx, const char *image, int local_only,
    int *pulled, struct rerr *err)
{
	struct docker_image	img;
	struct rerr		e2;
	int			rc;

	*pulled = 0;
	memset(&img, 0, sizeof(img));
	rerr_init(&e2);
	rc = docker_image_inspect(ctx->d, image, &img, &e2);
	if (rc == 0) {
		docker_image_dispose(&img);
		return 0;
	}
	if (rc != ROOST_ENOTFOUND)
		return rerr_set(err, rc, "%s", e2.msg);
	if (local_only)
		return rerr_set(err, ROOST_ENOTFOUND, "image \"%s\" is marked "
		    "local (~) and is not on this node", image);
	apply_count(ctx);
	*pulled = 1;
	rerr_init(&e2);
	rc = docker_image_pull(ctx->d, image, NULL, apply_pull_progress, ctx,
	    ctx->pull_timeout_ms, &e2);
	if (rc != 0)
		return rerr_set(err, rc, "pull \"%s\": %s", image, e2.msg);
	return 0;
}

/* Creates cs's container, adopting or replacing a namesake; see apply.h. */
int
apply_create(struct apply_ctx *ctx, const struct cspec *cs, const char *node,
    char **id, int *adopted, struct rerr *err)
{
	struct docker_container	 c;
	struct rerr		 e2;
	const char		*h, *n;
	char			*body;
	int			 rc, tries;

	*id = NULL;
	*adopted = 0;
	body = docker_create_body(&cs->spec);
	for (tries = 0; tries < APPLY_CONFLICT_TRIES; tries++) {
		if (tries > 0)
			usleep(200000);
		rerr_init(&e2);
		apply_count(ctx);
		rc = docker_container_create(ctx->d, cs->name, body, id, &e2);
		if (rc != ROOST_ECONFLICT)
			break;
		/* The name is taken: ours from before a crash, or stale. */
		memset(&c, 0, sizeof(c));
		rerr_init(&e2);
		rc = docker_container_inspect(ctx->d, cs->name, &c, &e2);
		if (rc == ROOST_ENOTFOUND) {
			/* Being removed: the name frees up shortly. */
			rc = ROOST_ECONFLICT;
			rerr_set(&e2, rc, "the name is still taken by a "
			    "container being removed");
			continue;
		}
		if (rc != 0)
			break;
		h = docker_container_label(&c, CSPEC_LABEL_HASH);
		n = docker_container_label(&c, CSPEC_LABEL_NODE);
		if (h != NULL && n != NULL && strcmp(h, cs->hash) == 0 &&
		    strcmp(n, node) == 0) {
			*id = xstrdup(c.id);
			*adopted = 1;
			docker_container_dispose(&c);
			free(body);
			return 0;
		}
		/* Never remove what is not this node's own. */
		if (n == NULL || strcmp(n, node) != 0) {
			rc = ROOST_EEXISTS;
			rerr_init(&e2);
			rerr_set(&e2, rc, "the name is taken by container %.12s, "
			    "which %s%s%s; remove or rename it", c.id,
			    n != NULL ? "belongs to roost node '" :
			    "roost does not manage", n != NULL ? n : "",
			    n != NULL ? "'" : "");
			docker_container_dispose(&c);
			break;
		}
		rc = apply_remove(ctx, c.id, &e2);
		docker_container_dispose(&c);
		if (rc != 0)
			break;
		/* Removed; the next try creates, or the tries run out. */
		rc = ROOST_ECONFLICT;
		rerr_init(&e2);
		rerr_set(&e2, rc, "the name is taken by a container of "
		    "another spec, removed but not yet released");
	}
	free(body);
	if (rc != 0)
		return rerr_set(err, rc, "create \"%s\": %s", cs->name, e2.msg);
	if (*id == NULL)
		return rerr_set(err, ROOST_EGENERIC, "create \"%s\": the engine "
		    "returned no container id", cs->name);
	return 0;
}

/* Removes a container; see apply.h. */
int
apply_remove(struct apply_ctx *ctx, const char *ref, struct rerr *err)
{
	struct rerr	e2;
	int		rc;

	rerr_init(&e2);
	apply_count(ctx);
	rc = docker_container_remove(ctx->d, ref, 1, 1, &e2);
	if (rc == ROOST_ENOTFOUND)
		return 0;
	/* "removal already in progress" is as good as done. */
	if (rc == ROOST_ECONFLICT && strstr(e2.msg, "in progress") != NULL)
		return 0;
	if (rc != 0)
		return rerr_set(err, rc, "remove \"%s\": %s", ref, e2.msg);
	return 0;
}

/* Creates a data directory owned by uid:gid; see apply.h. */
int
apply_dir_ensure(const char *dir, int uid, int gid, struct rerr *err)
{
	struct stat	sb;

	if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
		return 0;
	if (util_mkdir_p(dir, 0750) == -1)
		return rerr_errno(err, -1, "create \"%s\"", dir);
	if (chown(dir, (uid_t)uid, (gid_t)gid) == -1 &&
	    !(errno == EPERM && geteuid() != 0))
		return rerr_errno(err, -1, "chown \"%s\"", dir);
	return 0;
}

static void
apply_stamp(time_t t, char *out, size_t len)
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y%m%dT%H%M%SZ", &tm);
}

/* Moves a pruned server's data to the trash; see apply.h. */
int
apply_trash_move(const char *data_dir, const char *server, char **moved,
    struct rerr *err)
{
	char	*src;
	int	 rc;

	xasprintf(&src, "%s/volumes/%s", data_dir, server);
	rc = apply_trash_put(data_dir, src, server, moved, err);
	free(src);
	return rc;
}

/* Moves src into the trash as <label>-<stamp>; see apply.h. */
int
apply_trash_put(const char *data_dir, const char *src, const char *label,
    char **moved, struct rerr *err)
{
	char		*dst, *tdir, stamp[32];
	struct stat	 sb;
	int		 n;

	*moved = NULL;
	if (lstat(src, &sb) == -1)
		return 0;
	xasprintf(&tdir, "%s/trash", data_dir);
	if (util_mkdir_p(tdir, 0700) == -1) {
		rerr_errno(err, -1, "create \"%s\"", tdir);
		free(tdir);
		return -1;
	}
	apply_stamp(time(NULL), stamp, sizeof(stamp));
	xasprintf(&dst, "%s/%s-%s", tdir, label, stamp);
	for (n = 1; lstat(dst, &sb) == 0 && n < 100; n++) {
		free(dst);
		xasprintf(&dst, "%s/%s-%s.%d", tdir, label, stamp, n);
	}
	free(tdir);
	if (rename(src, dst) == -1) {
		rerr_errno(err, -1, "move \"%s\" to the trash", src);
		free(dst);
		return -1;
	}
	*moved = dst;
	return 0;
}

/* Parses the "YYYYmmddTHHMMSSZ" stamp inside a trash entry's name. */
static int
apply_stamp_parse(const char *name, time_t *t)
{
	const char	*p;
	struct tm	 tm;

	for (p = name + strlen(name); p > name; p--) {
		if (p[-1] != '-')
			continue;
		memset(&tm, 0, sizeof(tm));
		if (strptime(p, "%Y%m%dT%H%M%SZ", &tm) != NULL) {
			*t = timegm(&tm);
			return 0;
		}
	}
	return -1;
}

/* Removes a tree below dirfd without following symlinks. */
static int
apply_rmtree_at(int dirfd, const char *name)
{
	DIR		*dir;
	struct dirent	*de;
	int		 fd, rc = 0;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return -1;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (apply_rmtree_at(fd, de->d_name) == -1)
			rc = -1;
	}
	closedir(dir);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
		rc = -1;
	return rc;
}

/* Removes a directory tree; see apply.h. */
int
apply_rmtree(const char *path, struct rerr *err)
{
	if (apply_rmtree_at(AT_FDCWD, path) == -1)
		return rerr_errno(err, -1, "remove \"%s\"", path);
	return 0;
}

/* Deletes expired trash; see apply.h. */
int
apply_trash_expire(const char *data_dir, uint64_t retention_ms,
    struct rerr *err)
{
	DIR		*dir;
	struct dirent	*de;
	char		*tdir, *path;
	time_t		 t, now = time(NULL);
	int		 n = 0;

	xasprintf(&tdir, "%s/trash", data_dir);
	if ((dir = opendir(tdir)) == NULL) {
		free(tdir);
		return 0;
	}
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (apply_stamp_parse(de->d_name, &t) == -1)
			continue;
		if ((uint64_t)(now - t) * 1000 < retention_ms || now < t)
			continue;
		xasprintf(&path, "%s/%s", tdir, de->d_name);
		if (apply_rmtree(path, err) == 0)
			n++;
		free(path);
	}
	closedir(dir);
	free(tdir);
	return n;
}
