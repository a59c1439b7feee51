/*
 * util: small helpers shared by the programs: durations, directories,
 * atomic file writes, whole-file reads and UTC timestamps.
 */
#ifndef ROOST_UTIL_H
#define ROOST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>

struct buf;
struct rerr;

/*
 * Parses a duration such as "500ms", "15s", "5m", "2h", "7d" or a bare
 * number of seconds into milliseconds. Returns 0, or -1 when s is not one.
 */
int	util_parse_duration(const char *s, uint64_t *ms);
/* Creates dir and its missing parents with mode; returns 0 or -1 (errno). */
int	util_mkdir_p(const char *dir, mode_t mode);
/*
 * Writes len bytes to path atomically (a temporary file in the same
 * directory, fsync, rename) with mode. The temporary file is created
 * through a descriptor of the directory with O_EXCL|O_NOFOLLOW, so a
 * symbolic link, FIFO or file planted at its name is removed, never
 * followed or written through. Returns 0 or -1 with err set.
 */
int	util_write_atomic(const char *path, const void *p, size_t len,
	    mode_t mode, struct rerr *err);
/* util_write_atomic of the file name (no '/') beneath directory dirfd. */
int	util_write_atomic_at(int dirfd, const char *name, const void *p,
	    size_t len, mode_t mode, struct rerr *err);
/*
 * Creates the file name beneath dirfd for writing with
 * O_CREAT|O_EXCL|O_NOFOLLOW|O_NONBLOCK: whatever already has that name (a
 * stale temporary file, a symbolic link, a FIFO; not a directory) is
 * unlinked first, never opened. Returns the descriptor of the new regular
 * file, or -1 with errno set.
 */
int	util_create_excl_at(int dirfd, const char *name, mode_t mode);
/*
 * Writes all of p to fd (a file being written from start to end; *off
 * counts its bytes so far) and asks the kernel to start writing back each
 * UTIL_WRITEBACK bytes as they are completed, so that the fsync which ends
 * a large file waits for its tail, not for all of it. 0, or -1 with errno.
 */
#define UTIL_WRITEBACK	(8u << 20)
int	util_write_stream(int fd, const void *p, size_t len, uint64_t *off);

/* Reads a whole file into out (appending). Returns 0, ROOST_ENOTFOUND or -1. */
int	util_read_file(const char *path, struct buf *out, struct rerr *err);
/* A copy of the n strings of v, NULL-terminated; the caller frees it. */
char	**util_strv_dup(char *const *v, size_t n);
/* Frees the n strings of v and v; takes NULL. */
void	util_strv_free(char **v, size_t n);
/* Writes the current UTC time as RFC 3339 ("2026-11-25T10:00:00Z"). */
void	util_now_rfc3339(char *out, size_t len);
/*
 * Sets *ts to ms milliseconds from now on clock (CLOCK_REALTIME for
 * pthread_cond_timedwait), for a wait's deadline.
 */
void	util_deadline(struct timespec *ts, clockid_t clock, int64_t ms);

#endif
