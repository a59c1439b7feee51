/*
 * sftpd_fs: the sandbox of one SFTP session. Client paths are cleaned
 * lexically (".." stops at the server root, which the client sees as
 * "/"), then resolved by the kernel with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS) relative to a directory fd of the root held open
 * for the whole session, so neither ".." nor a symlink, however raced,
 * leads outside. Operations on a last component use the *at calls on a
 * beneath-resolved parent. sftpd_fs_where tells where an open file
 * really is, for the denylist. Also the shared disk-usage accounting.
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "log.h"

#include "sftpd.h"

#define WALK_MAX_DEPTH	256

static int	 fs_openat2(int, const char *, int, mode_t, uint64_t);
static int64_t	 fs_walk(int, int);

static int
fs_openat2(int dirfd, const char *path, int flags, mode_t mode,
    uint64_t resolve)
{
	struct open_how	 how;
	long		 fd;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	if (flags & (O_CREAT | O_TMPFILE))
		how.mode = mode;
	how.resolve = resolve;
	do {
		fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	} while (fd == -1 && errno == EAGAIN);
	return (int)fd;
}

/*
 * Cleans the client path in (len bytes, not NUL-terminated) into out: no
 * leading slash, no "." or empty segments, ".." removing the segment
 * before it and stopping at the root; "" is the root. A NUL byte or a
 * control character anywhere is refused with EINVAL, a result longer than
 * outlen with ENAMETOOLONG. Returns 0 or -1 with errno set.
 */
int
sftpd_fs_clean(const char *in, size_t len, char *out, size_t outlen)
{
	size_t	 i, o = 0, seg, slen;

	if (len >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)in[i] < 0x20 || in[i] == 0x7f) {
			errno = EINVAL;
			return -1;
		}
	i = 0;
	while (i < len) {
		while (i < len && in[i] == '/')
			i++;
		seg = i;
		while (i < len && in[i] != '/')
			i++;
		slen = i - seg;
		if (slen == 0 || (slen == 1 && in[seg] == '.'))
			continue;
		if (slen == 2 && in[seg] == '.' && in[seg + 1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			continue;
		}
		if (o > 0)
			out[o++] = '/';
		memcpy(out + o, in + seg, slen);
		o += slen;
	}
	out[o] = '\0';
	return 0;
}

/*
 * Opens the root-relative path rel ("" is the root) beneath s->rootfd
 * with open(2) flags and mode. Symlinks are followed only while they stay
 * beneath the root. Returns the fd or -1 with errno set (EXDEV or ELOOP
 * for a way out).
 */
int
sftpd_fs_open(struct sftpd_sess *s, const char *rel, int flags, mode_t mode)
{
	return fs_openat2(s->rootfd, rel[0] ? rel : ".", flags, mode,
	    RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
}

/*
 * Opens the directory holding the last component of rel (an O_PATH fd)
 * and points *base at that component inside rel. The root itself has no
 * parent here: EPERM. Returns the fd or -1 with errno set.
 */
int
sftpd_fs_parent(struct sftpd_sess *s, const char *rel, const char **base)
{
	char		 dir[4096];
	const char	*slash;
	size_t		 len;

	if (rel[0] == '\0') {
		errno = EPERM;
		return -1;
	}
	if ((slash = strrchr(rel, '/')) == NULL) {
		*base = rel;
		return fs_openat2(s->rootfd, ".", O_PATH | O_DIRECTORY, 0,
		    RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
	}
	len = (size_t)(slash - rel);
	if (len >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, rel, len);
	dir[len] = '\0';
	*base = slash + 1;
	return fs_openat2(s->rootfd, dir, O_PATH | O_DIRECTORY, 0,
	    RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
}

/*
 * Writes into out the root-relative path ("" for the root) that the file
 * open as fd has now, as the kernel resolved it (/proc/self/fd), and
 * "/base" after it when base is not NULL, so that a path reached through
 * symlinks or renamed directories is judged where it really is. Returns
 * 0, or -1 with errno set: ENOENT for a file no longer linked, EXDEV for
 * one not beneath the root, ENAMETOOLONG.
 */
int
sftpd_fs_where(struct sftpd_sess *s, int fd, const char *base, char *out,
    size_t outlen)
{
	char		 proc[64], root[PATH_MAX], path[PATH_MAX];
	const char	*rel;
	struct stat	 st;
	ssize_t		 rn, pn;
	size_t		 rlen;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", s->rootfd);
	if ((rn = readlink(proc, root, sizeof(root) - 1)) <= 0)
		return -1;
	root[rn] = '\0';
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if ((pn = readlink(proc, path, sizeof(path) - 1)) <= 0)
		return -1;
	path[pn] = '\0';
	/* Read after the name: a file unlinked meanwhile is refused. */
	if (fstat(fd, &st) == -1)
		return -1;
	if (st.st_nlink == 0) {
		errno = ENOENT;
		return -1;
	}
	rlen = strcmp(root, "/") == 0 ? 0 : (size_t)rn;
	if (strcmp(path, root) == 0)
		rel = "";
	else if (strncmp(path, root, rlen) == 0 && path[rlen] == '/')
		rel = path + rlen + 1;
	else {
		errno = EXDEV;
		return -1;
	}
	if ((size_t)snprintf(out, outlen, "%s%s%s", rel,
	    base != NULL && rel[0] != '\0' ? "/" : "",
	    base != NULL ? base : "") >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * Checks that the kernel has openat2 and opens the server root as an
 * O_PATH directory fd. Returns the fd, or -1 with errno set.
 */
int
sftpd_fs_open_root(const char *root)
{
	int	 fd, probe;

	if ((fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((probe = fs_openat2(fd, ".", O_PATH | O_DIRECTORY, 0,
	    RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)) == -1) {
		close(fd);
		return -1;
	}
	close(probe);
	return fd;
}

/* Sums the apparent size of regular files beneath dirfd (taken). */
static int64_t
fs_walk(int dirfd, int depth)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	int64_t		 sum = 0;
	int		 fd;

	if ((d = fdopendir(dirfd)) == NULL) {
		close(dirfd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (S_ISREG(st.st_mode))
			sum += st.st_size;
		else if (S_ISDIR(st.st_mode) && depth < WALK_MAX_DEPTH) {
			fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (fd != -1)
				sum += fs_walk(fd, depth + 1);
		}
	}
	closedir(d);
	return sum;
}

/*
 * Makes sure the shared usage of s's server is known: the first session
 * walks the tree, others wait for it. Returns 0, or -1 when the root
 * cannot be read.
 */
int
sftpd_fs_usage_init(struct sftpd_sess *s)
{
	struct sftpd_usage	*u = s->usage;
	struct timespec		 ts = { 0, 10 * 1000 * 1000 };
	int			 expect = SFTPD_USAGE_UNKNOWN, fd;
	int64_t			 sum;

	if (u == NULL)
		return 0;
	if (__atomic_compare_exchange_n(&u->state, &expect,
	    SFTPD_USAGE_WALKING, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		fd = fs_openat2(s->rootfd, ".", O_RDONLY | O_DIRECTORY, 0,
		    RESOLVE_BENEATH);
		if (fd == -1) {
			__atomic_store_n(&u->state, SFTPD_USAGE_UNKNOWN,
			    __ATOMIC_RELEASE);
			return -1;
		}
		sum = fs_walk(fd, 0);
		__atomic_add_fetch(&u->used, sum, __ATOMIC_ACQ_REL);
		__atomic_store_n(&u->state, SFTPD_USAGE_VALID,
		    __ATOMIC_RELEASE);
		log_debug("server '%s': %lld bytes in use", s->srv->name,
		    (long long)sum);
		return 0;
	}
	while (__atomic_load_n(&u->state, __ATOMIC_ACQUIRE) !=
	    SFTPD_USAGE_VALID) {
		if (__atomic_load_n(&u->state, __ATOMIC_ACQUIRE) ==
		    SFTPD_USAGE_UNKNOWN)
			return sftpd_fs_usage_init(s);
		nanosleep(&ts, NULL);
	}
	return 0;
}

/*
 * Reserves grow bytes of the server's disk limit. Returns 0, or -1 when
 * the limit would be passed (nothing is reserved then).
 */
int
sftpd_fs_usage_reserve(struct sftpd_sess *s, int64_t grow)
{
	int64_t	 now;

	if (s->usage == NULL || grow <= 0)
		return 0;
	now = __atomic_add_fetch(&s->usage->used, grow, __ATOMIC_ACQ_REL);
	if (s->limit > 0 && now > s->limit) {
		__atomic_sub_fetch(&s->usage->used, grow, __ATOMIC_ACQ_REL);
		return -1;
	}
	return 0;
}

/* Gives back bytes freed by a removal, truncation or failed write. */
void
sftpd_fs_usage_release(struct sftpd_sess *s, int64_t bytes)
{
	if (s->usage == NULL || bytes <= 0)
		return;
	if (__atomic_sub_fetch(&s->usage->used, bytes, __ATOMIC_ACQ_REL) < 0)
		__atomic_store_n(&s->usage->used, 0, __ATOMIC_RELEASE);
}
