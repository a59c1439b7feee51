/*
 * util: durations, directories, atomic and streamed writes and
 * whole-file reads.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "rerr.h"
#include "util.h"
#include "xmalloc.h"

/* Parses "500ms", "15s", "5m", "2h", "7d" or plain seconds. */
int
util_parse_duration(const char *s, uint64_t *ms)
{
	char			*end;
	unsigned long long	 v;
	uint64_t		 mul;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (*end == '\0' || strcmp(end, "s") == 0)
		mul = 1000;
	else if (strcmp(end, "m") == 0)
		mul = 60 * 1000;
	else if (strcmp(end, "h") == 0)
		mul = 3600 * 1000;
	else if (strcmp(end, "d") == 0)
		mul = 86400ULL * 1000;
	else
		return -1;
	if (v > UINT64_MAX / mul)
		return -1;
	*ms = v * mul;
	return 0;
}

/* Creates dir and its parents. */
int
util_mkdir_p(const char *dir, mode_t mode)
{
	char	 path[PATH_MAX], *p;

	if (strlen(dir) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(path, dir);
	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, mode) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, mode) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

/* Creates name beneath dirfd exclusively; see util.h. */
int
util_create_excl_at(int dirfd, const char *name, mode_t mode)
{
	struct stat	sb;
	int		fd, i;

	for (i = 0; i < 3; i++) {
		fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);
		if (fd != -1)
			break;
		if (errno != EEXIST)
			return -1;
		/* A stale temporary file, or something planted there. */
		if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(sb.st_mode)) {
			errno = EISDIR;
			return -1;
		}
		if (unlinkat(dirfd, name, 0) == -1 && errno != ENOENT)
			return -1;
	}
	if (fd == -1)
		return -1;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* Writes all of p to fd. */
static int
util_write_all(int fd, const void *p, size_t len)
{
	const char	*c = p;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, c, len)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Appends a stream's bytes to fd; see util.h. */
int
util_write_stream(int fd, const void *p, size_t len, uint64_t *off)
{
	uint64_t	from, to;

	if (util_write_all(fd, p, len) == -1)
		return -1;
	from = *off & ~(uint64_t)(UTIL_WRITEBACK - 1);
	*off += len;
	to = *off & ~(uint64_t)(UTIL_WRITEBACK - 1);
	/* A hint: a failure here shows up at the fsync. */
	if (to > from)
		(void)sync_file_range(fd, (off_t)from, (off_t)(to - from),
		    SYNC_FILE_RANGE_WRITE);
	return 0;
}

/*
 * Writes name beneath dirfd through a temporary file; dir is the
 * directory's name for messages ("" when unknown).
 */
static int
util_write_in(int dirfd, const char *dir, const char *name, const void *p,
    size_t len, mode_t mode, struct rerr *err)
{
	char		 tmp[NAME_MAX + 1];
	const char	*sep = *dir != '\0' ? "/" : "";
	int		 fd;

	if (*name == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return rerr_set(err, -1, "'%s%s%s' is not a file name", dir,
		    sep, name);
	if ((size_t)snprintf(tmp, sizeof(tmp), ".%s.tmp.%ld", name,
	    (long)getpid()) >= sizeof(tmp))
		return rerr_set(err, -1, "file name '%s%s%s' too long", dir,
		    sep, name);
	if ((fd = util_create_excl_at(dirfd, tmp, mode & 0777)) == -1)
		return rerr_errno(err, -1, "cannot create '%s%s%s'", dir, sep,
		    tmp);
	if (util_write_all(fd, p, len) == -1) {
		rerr_errno(err, -1, "cannot write '%s%s%s'", dir, sep, tmp);
		goto fail;
	}
	if (fchmod(fd, mode) == -1 || fsync(fd) == -1) {
		rerr_errno(err, -1, "cannot sync '%s%s%s'", dir, sep, tmp);
		goto fail;
	}
	close(fd);
	if (renameat(dirfd, tmp, dirfd, name) == -1) {
		rerr_errno(err, -1, "cannot rename '%s%s%s' to '%s'", dir, sep,
		    tmp, name);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	return 0;
fail:
	close(fd);
	unlinkat(dirfd, tmp, 0);
	return -1;
}

/* Writes a file atomically beneath a directory fd; see util.h. */
int
util_write_atomic_at(int dirfd, const char *name, const void *p, size_t len,
    mode_t mode, struct rerr *err)
{
	return util_write_in(dirfd, "", name, p, len, mode, err);
}

/* Writes a file atomically. */
int
util_write_atomic(const char *path, const void *p, size_t len, mode_t mode,
    struct rerr *err)
{
	char		 dir[PATH_MAX];
	const char	*slash, *name;
	int		 dfd, rc;

	if ((slash = strrchr(path, '/')) == NULL) {
		strcpy(dir, ".");
		name = path;
	} else {
		if ((size_t)(slash - path) >= sizeof(dir))
			return rerr_set(err, -1, "path '%s' too long", path);
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		if (slash == path)
			strcpy(dir, "/");
		name = slash + 1;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return rerr_errno(err, -1, "cannot open '%s'", dir);
	rc = util_write_in(dfd, slash == NULL ? "" : dir, name, p, len, mode,
	    err);
	close(dfd);
	return rc;
}

/* Reads a whole file. */
int
util_read_file(const char *path, struct buf *out, struct rerr *err)
{
	char	 chunk[65536];
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return rerr_set(err, ROOST_ENOTFOUND,
			    "'%s' does not exist", path);
		return rerr_errno(err, -1, "cannot open '%s'", path);
	}
	for (;;) {
		if ((n = read(fd, chunk, sizeof(chunk))) == -1) {
			if (errno == EINTR)
				continue;
			rerr_errno(err, -1, "cannot read '%s'", path);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		if (buf_add(out, chunk, (size_t)n) == -1) {
			close(fd);
			return rerr_set(err, -1, "'%s' is too large", path);
		}
	}
	close(fd);
	return 0;
}

/* A deadline ms from now; see util.h. */
void
util_deadline(struct timespec *ts, clockid_t clock, int64_t ms)
{
	clock_gettime(clock, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Writes the current UTC time in RFC 3339 form. */
void
util_now_rfc3339(char *out, size_t len)
{
	time_t		now = time(NULL);
	struct tm	tm;

	gmtime_r(&now, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Copies a list of strings; see util.h. */
char **
util_strv_dup(char *const *v, size_t n)
{
	char	**d;
	size_t	  i;

	d = xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++)
		d[i] = xstrdup(v[i]);
	return d;
}

/* Frees a list of strings; see util.h. */
void
util_strv_free(char **v, size_t n)
{
	if (v != NULL)
		strv_free(v, n);
}
