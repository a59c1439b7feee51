/*
 * util: durations, directories, atomic writes and whole-file reads.
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

/* Writes a file atomically. */
int
util_write_atomic(const char *path, const void *p, size_t len, mode_t mode,
    struct rerr *err)
{
	char		 tmp[PATH_MAX];
	const char	*c = p;
	ssize_t		 n;
	int		 fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
	    (long)getpid()) >= sizeof(tmp))
		return rerr_set(err, -1, "path '%s' too long", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    mode)) == -1)
		return rerr_errno(err, -1, "cannot create '%s'", tmp);
	while (len > 0) {
		if ((n = write(fd, c, len)) == -1) {
			if (errno == EINTR)
				continue;
			rerr_errno(err, -1, "cannot write '%s'", tmp);
			goto fail;
		}
		c += n;
		len -= (size_t)n;
	}
	if (fchmod(fd, mode) == -1 || fsync(fd) == -1) {
		rerr_errno(err, -1, "cannot sync '%s'", tmp);
		goto fail;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		rerr_errno(err, -1, "cannot rename '%s' to '%s'", tmp, path);
		unlink(tmp);
		return -1;
	}
	return 0;
fail:
	close(fd);
	unlink(tmp);
	return -1;
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

/* Writes the current UTC time in RFC 3339 form. */
void
util_now_rfc3339(char *out, size_t len)
{
	time_t		now = time(NULL);
	struct tm	tm;

	gmtime_r(&now, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
