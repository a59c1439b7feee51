/*
 * tarz: the one module over libarchive and libzstd. It writes a server
 * directory as a .tar.zst (pax format, mtimes to the nanosecond, empty
 * directories and symbolic links kept), streamed through fixed buffers so
 * no file is ever held in memory whole: the calling thread reads the files
 * into libarchive's tar, a second thread compresses it with zstd, a third
 * computes the archive's SHA-256 and calls the writer. It hashes an
 * archive; and it extracts one into a fresh directory, refusing what a
 * hostile archive could do (absolute paths, "..", writing through a
 * symbolic link, devices and FIFOs, set-id bits, more bytes than
 * allowed).
 *
 * The directory read is a game server's, so hostile too: it is walked by
 * fswalk_path (directory descriptors, O_NOFOLLOW, never a symbolic link
 * followed); FIFOs, sockets and devices are skipped, not opened.
 *
 * Every function is safe to call from any thread (nothing shared).
 */
#ifndef ROOSTD_TARZ_H
#define ROOSTD_TARZ_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct ignore;
struct rerr;

/* What an archive holds and what it is. */
struct tarz_stats {
	uint64_t	size;		/* bytes of the archive */
	uint64_t	entries;	/* files, directories and links */
	uint64_t	data;		/* bytes of file content */
	uint64_t	skipped;	/* special files left out */
	char		sha256[65];	/* of the archive's bytes */
};

/* Most entries one archive may hold (packing or extracting). */
#define TARZ_MAX_ENTRIES	10000000ULL

/*
 * Writes a .tar.zst of the tree below directory rootfd (not closed) to
 * outfd at zstd level (1..19), leaving out what ig excludes (ig may be
 * NULL). Fills *st. Returns 0, or -1 with err set (outfd then holds a
 * partial archive the caller removes).
 */
int	tarz_pack(int rootfd, const struct ignore *ig, int level, int outfd,
	    struct tarz_stats *st, struct rerr *err);

/*
 * Where tarz_pack_to sends the archive's bytes: returns 0, or -1 with err
 * set, which ends the pack with that error.
 */
typedef int	(*tarz_write_fn)(void *arg, const void *p, size_t len,
		    struct rerr *err);

/* tarz_pack with every byte of the archive handed to fn(arg, ...). */
int	tarz_pack_to(int rootfd, const struct ignore *ig, int level,
	    tarz_write_fn fn, void *arg, struct tarz_stats *st,
	    struct rerr *err);

/*
 * Reads fd to its end: its SHA-256 in hex into sha256 and its length into
 * *size. Returns 0, or -1 with err set.
 */
int	tarz_hash(int fd, char sha256[65], uint64_t *size, struct rerr *err);

/* How tarz_unpack writes. */
struct tarz_unpack_opts {
	uid_t		uid;		/* owner of everything written */
	gid_t		gid;
	uint64_t	max_bytes;	/* file content allowed; 0: no bound */
};

/*
 * Extracts the .tar.zst read from infd into dir, an empty directory the
 * caller just made. The calling thread gets a working directory of its
 * own (unshare CLONE_FS) and is in dir during the call, so no other
 * thread sees a change; it is back where it was on return. Modes (less
 * set-id bits) and mtimes are kept; every entry is owned by o->uid:gid.
 * Fills *st (sha256 is of every byte of infd, read to its end). Returns
 * 0, or ROOST_EINVAL for a hostile or broken archive, or -1, with err
 * set; dir may then hold part of the archive.
 */
int	tarz_unpack(int infd, const char *dir, const struct tarz_unpack_opts *o,
	    struct tarz_stats *st, struct rerr *err);

#endif
