/*
 * tarz: .tar.zst archives of server directories through libarchive (see
 * tarz.h). libarchive's objects live and die inside each call; its error
 * strings are copied into the caller's struct rerr.
 */
#include <sys/stat.h>

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <zstd.h>

#include "fswalk.h"
#include "ignore.h"
#include "log.h"
#include "rerr.h"
#include "sha256.h"
#include "util.h"
#include "xmalloc.h"

#include "dbuf.h"
#include "tarz.h"

#define TARZ_BUF	(256 * 1024)	/* reading files and archives */
#define TARZ_OUT_BUF	(1024 * 1024)	/* each of the two output buffers */

/* The archive's bytes as they come from the descriptor (unpacking). */
struct tz_io {
	int			 fd;
	struct sha256_ctx	*sha;
	uint64_t		 size;
	char			*buf;		/* TARZ_BUF bytes */
};

/*
 * A pack's pipeline has two double-buffered stages (dbuf.h): libarchive's
 * plain tar goes to the first, whose thread compresses it into the
 * second, whose thread hashes the archive and hands it to the writer (a
 * disk or an S3 upload). Reading the files, compressing and writing thus
 * overlap, with memory bounded by the four buffers and zstd's context.
 */

/*
 * The compressing stage's sink: zstd between the two stages, writing
 * straight into the next stage's current buffer.
 */
struct tz_zstd {
	ZSTD_CCtx		*cctx;
	struct dbuf		*next;
};

/* The last stage's sink: the archive hashed, counted and handed on. */
struct tz_sink {
	tarz_write_fn		 write;
	void			*warg;
	struct sha256_ctx	*sha;
	uint64_t		 size;
};

static la_ssize_t
tz_write_cb(struct archive *a, void *arg, const void *p, size_t len)
{
	struct rerr	err;

	rerr_init(&err);
	if (dbuf_put(arg, p, len, &err) != 0) {
		archive_set_error(a, EIO, "%s", err.msg);
		return -1;
	}
	return (la_ssize_t)len;
}

/*
 * Compresses len bytes of tar (or, with p NULL, ends the frame) into the
 * next stage; the sink of the first stage.
 */
static int
tz_zstd_write(void *arg, const void *p, size_t len, struct rerr *err)
{
	struct tz_zstd	*z = arg;
	ZSTD_inBuffer	 in = { p, len, 0 };
	ZSTD_outBuffer	 out;
	size_t		 left;
	int		 end = p == NULL;

	do {
		if ((out.dst = dbuf_room(z->next, &out.size, err)) == NULL)
			return -1;
		out.pos = 0;
		left = ZSTD_compressStream2(z->cctx, &out, &in, end ?
		    ZSTD_e_end : ZSTD_e_continue);
		if (ZSTD_isError(left))
			return rerr_set(err, -1, "compress the archive: %s",
			    ZSTD_getErrorName(left));
		z->next->fill += out.pos;
	} while (end ? left != 0 : in.pos < in.size);
	return 0;
}

static int
tz_sink_write(void *arg, const void *p, size_t len, struct rerr *err)
{
	struct tz_sink	*k = arg;

	sha256_add(k->sha, p, len);
	k->size += len;
	return k->write(k->warg, p, len, err);
}

/* The writer of tarz_pack: every byte to a descriptor. */
struct tz_fd {
	int		 fd;
	uint64_t	 off;
};

static int
tz_write_fd(void *arg, const void *p, size_t len, struct rerr *err)
{
	struct tz_fd	*f = arg;

	if (util_write_stream(f->fd, p, len, &f->off) != 0)
		return rerr_errno(err, -1, "write the archive");
	return 0;
}

static la_ssize_t
tz_read_cb(struct archive *a, void *arg, const void **p)
{
	struct tz_io	*io = arg;
	ssize_t		 n;

	do
		n = read(io->fd, io->buf, TARZ_BUF);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	sha256_add(io->sha, io->buf, (size_t)n);
	io->size += (uint64_t)n;
	*p = io->buf;
	return n;
}

/* What a pack carries from entry to entry. */
struct tz_pack {
	struct archive		*a;
	struct archive_entry	*e;
	const struct ignore	*ig;
	struct tarz_stats	*st;
	char			*buf;
	struct rerr		*err;
};

/* Copies one regular file's bytes (at most its header's size). */
static int
tz_pack_data(struct tz_pack *p, int fd, int64_t size, const char *path)
{
	ssize_t	n;
	int64_t	left = size;

	while (left > 0) {
		n = read(fd, p->buf, left < TARZ_BUF ? (size_t)left :
		    TARZ_BUF);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return rerr_errno(p->err, -1, "read \"%s\"", path);
		if (n == 0)
			break;		/* shrank: libarchive pads it */
		if (archive_write_data(p->a, p->buf, (size_t)n) != n)
			return rerr_set(p->err, -1, "archive \"%s\": %s", path,
			    archive_error_string(p->a));
		left -= n;
		p->st->data += (uint64_t)n;
	}
	return 0;
}

/* The fswalk_path callback: one entry of the tree into the archive. */
static int
tz_pack_one(int dirfd, const char *name, const char *path,
    const struct stat *sb, void *arg)
{
	struct tz_pack	*p = arg;
	struct stat	 fsb;
	char		 target[PATH_MAX + 1];
	ssize_t		 n;
	int		 fd = -1, rc = 0;

	if (ignore_match(p->ig, path, S_ISDIR(sb->st_mode)))
		return 1;
	if (!S_ISREG(sb->st_mode) && !S_ISDIR(sb->st_mode) &&
	    !S_ISLNK(sb->st_mode)) {
		p->st->skipped++;
		return 0;
	}
	fsb = *sb;
	archive_entry_clear(p->e);
	archive_entry_set_pathname(p->e, path);
	if (S_ISLNK(sb->st_mode)) {
		if ((n = readlinkat(dirfd, name, target, PATH_MAX)) == -1) {
			rerr_errno(p->err, -1, "read the link \"%s\"", path);
			return -1;
		}
		target[n] = '\0';
		archive_entry_set_symlink(p->e, target);
	} else if (S_ISREG(sb->st_mode)) {
		fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
		if (fd == -1 && errno == ENOENT)
			return 0;	/* removed meanwhile */
		if (fd == -1 || fstat(fd, &fsb) == -1) {
			rerr_errno(p->err, -1, "open \"%s\"", path);
			if (fd != -1)
				close(fd);
			return -1;
		}
		/* Swapped for something else since it was listed: skip. */
		if (!S_ISREG(fsb.st_mode) || fsb.st_ino != sb->st_ino ||
		    fsb.st_dev != sb->st_dev) {
			close(fd);
			p->st->skipped++;
			return 0;
		}
		archive_entry_set_size(p->e, fsb.st_size);
	}
	archive_entry_set_mode(p->e, fsb.st_mode);
	archive_entry_set_uid(p->e, fsb.st_uid);
	archive_entry_set_gid(p->e, fsb.st_gid);
	archive_entry_set_mtime(p->e, fsb.st_mtim.tv_sec, fsb.st_mtim.tv_nsec);
	if (archive_write_header(p->a, p->e) != ARCHIVE_OK) {
		rerr_set(p->err, -1, "archive \"%s\": %s", path,
		    archive_error_string(p->a));
		rc = -1;
	} else if (fd != -1)
		rc = tz_pack_data(p, fd, fsb.st_size, path);
	if (fd != -1)
		close(fd);
	if (rc == 0)
		p->st->entries++;
	return rc;
}

/* Writes a .tar.zst of a tree to a descriptor; see tarz.h. */
int
tarz_pack(int rootfd, const struct ignore *ig, int level, int outfd,
    struct tarz_stats *st, struct rerr *err)
{
	struct tz_fd	f = { outfd, 0 };

	return tarz_pack_to(rootfd, ig, level, tz_write_fd, &f, st, err);
}

/* Writes a .tar.zst of a tree through fn; see tarz.h. */
int
tarz_pack_to(int rootfd, const struct ignore *ig, int level, tarz_write_fn fn,
    void *arg, struct tarz_stats *st, struct rerr *err)
{
	struct tz_pack		 p;
	struct dbuf		 tar, zst;
	struct tz_zstd		 z;
	struct tz_sink		 k = { fn, arg, NULL, 0 };
	struct rerr		 ferr;
	const struct dbuf	*failed;
	int			 rc = 0, truncated = 0;

	memset(st, 0, sizeof(*st));
	memset(&p, 0, sizeof(p));
	memset(&z, 0, sizeof(z));
	k.sha = sha256_begin();
	z.cctx = ZSTD_createCCtx();
	z.next = &zst;
	if (z.cctx == NULL)
		fatalx("tarz: cannot make a zstd context");
	ZSTD_CCtx_setParameter(z.cctx, ZSTD_c_compressionLevel, level < 1 ? 3 :
	    level > 19 ? 19 : level);
	ZSTD_CCtx_setParameter(z.cctx, ZSTD_c_checksumFlag, 1);
	dbuf_init(&zst, TARZ_OUT_BUF, 0, tz_sink_write, NULL, &k);
	dbuf_init(&tar, TARZ_OUT_BUF, 0, tz_zstd_write, NULL, &z);
	p.a = archive_write_new();
	p.e = archive_entry_new();
	p.ig = ig;
	p.st = st;
	p.err = err;
	p.buf = xmalloc(TARZ_BUF);
	if (archive_write_set_format_pax(p.a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(p.a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(p.a, 0) != ARCHIVE_OK ||
	    archive_write_open2(p.a, &tar, NULL, tz_write_cb, NULL, NULL) !=
	    ARCHIVE_OK)
		rc = rerr_set(err, -1, "cannot start the archive: %s",
		    archive_error_string(p.a));
	if (rc == 0 && fswalk_path(rootfd, TARZ_MAX_ENTRIES, tz_pack_one, &p,
	    &truncated) != 0)
		rc = -1;
	if (rc == 0 && truncated)
		rc = rerr_set(err, -1, "the server directory holds more than "
		    "%llu entries", (unsigned long long)TARZ_MAX_ENTRIES);
	if (archive_write_close(p.a) != ARCHIVE_OK && rc == 0)
		rc = rerr_set(err, -1, "cannot finish the archive: %s",
		    archive_error_string(p.a));
	archive_write_free(p.a);
	archive_entry_free(p.e);
	free(p.buf);
	/* The tar stage drained, the frame ends, then the last bytes go. */
	rerr_init(&ferr);
	if (dbuf_finish(&tar, &ferr) != 0 && rc == 0)
		rc = -1;
	if (rc == 0 && tz_zstd_write(&z, NULL, 0, err) != 0)
		rc = -1;
	if (dbuf_finish(&zst, &ferr) != 0 && rc == 0)
		rc = -1;
	/* The writer's own words (the target's error), not libarchive's. */
	failed = zst.failed ? &zst : tar.failed ? &tar : NULL;
	if (rc != 0 && failed != NULL) {
		rerr_init(err);
		rerr_set(err, failed->werr.code != 0 ? failed->werr.code : -1,
		    "%s", failed->werr.msg);
	}
	sha256_end(k.sha, st->sha256);
	st->size = k.size;
	dbuf_free(&tar);
	dbuf_free(&zst);
	ZSTD_freeCCtx(z.cctx);
	return rc;
}

/* Hashes a whole file; see tarz.h. */
int
tarz_hash(int fd, char sha256[65], uint64_t *size, struct rerr *err)
{
	struct sha256_ctx	*sha;
	char			*buf;
	ssize_t			 n;
	int			 rc = 0;

	*size = 0;
	sha = sha256_begin();
	buf = xmalloc(TARZ_BUF);
	for (;;) {
		n = read(fd, buf, TARZ_BUF);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = rerr_errno(err, -1, "read the archive");
			break;
		}
		if (n == 0)
			break;
		sha256_add(sha, buf, (size_t)n);
		*size += (uint64_t)n;
	}
	free(buf);
	sha256_end(sha, sha256);
	return rc;
}

/*
 * True when an archive path is safe to put below the directory: relative,
 * no "..", no empty name.
 */
static int
tz_path_ok(const char *p)
{
	const char	*c;
	size_t		 n;

	if (p == NULL || *p == '\0' || *p == '/')
		return 0;
	for (c = p; *c != '\0'; c += n) {
		n = strcspn(c, "/");
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return 0;
		if (c[n] == '/')
			n++;
	}
	return 1;
}

/* Extracts an archive; see tarz.h. */
int
tarz_unpack(int infd, const char *dir, const struct tarz_unpack_opts *o,
    struct tarz_stats *st, struct rerr *err)
{
	struct archive		*a, *w;
	struct archive_entry	*e;
	struct tz_io		 io;
	const char		*name, *link;
	char			*drain;
	uint64_t		 total = 0;
	mode_t			 type;
	ssize_t			 n;
	int			 rc = 0, r, cwd;

	memset(st, 0, sizeof(*st));
	/*
	 * Entries are written relative to dir, this thread's own working
	 * directory for the call (CLONE_FS unshared: no other thread's
	 * changes), so libarchive checks only the entries' own components.
	 */
	if (unshare(CLONE_FS) == -1)
		return rerr_errno(err, -1, "unshare the working directory");
	if ((cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return rerr_errno(err, -1, "open the working directory");
	if (chdir(dir) == -1) {
		close(cwd);
		return rerr_errno(err, -1, "enter \"%s\"", dir);
	}
	memset(&io, 0, sizeof(io));
	io.fd = infd;
	io.sha = sha256_begin();
	io.buf = xmalloc(TARZ_BUF);
	a = archive_read_new();
	archive_read_support_filter_zstd(a);
	archive_read_support_format_tar(a);
	w = archive_write_disk_new();
	archive_write_disk_set_options(w, ARCHIVE_EXTRACT_TIME |
	    ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER |
	    ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	if (archive_read_open(a, &io, NULL, tz_read_cb, NULL) != ARCHIVE_OK)
		rc = rerr_set(err, ROOST_EINVAL, "not a .tar.zst archive: %s",
		    archive_error_string(a));
	while (rc == 0) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			rc = rerr_set(err, ROOST_EINVAL, "broken archive: %s",
			    archive_error_string(a));
			break;
		}
		if (st->entries >= TARZ_MAX_ENTRIES) {
			rc = rerr_set(err, ROOST_EINVAL, "the archive holds "
			    "more than %llu entries",
			    (unsigned long long)TARZ_MAX_ENTRIES);
			break;
		}
		name = archive_entry_pathname(e);
		link = archive_entry_hardlink(e);
		type = archive_entry_filetype(e);
		if (!tz_path_ok(name) || (link != NULL && !tz_path_ok(link))) {
			rc = rerr_set(err, ROOST_EINVAL, "the archive names "
			    "\"%.200s\", outside the server directory",
			    link != NULL && tz_path_ok(name) ? link :
			    name != NULL ? name : "");
			break;
		}
		if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
			st->skipped++;
			continue;
		}
		if (type == AE_IFREG) {
			total += (uint64_t)archive_entry_size(e);
			if (o->max_bytes > 0 && total > o->max_bytes) {
				rc = rerr_set(err, ROOST_EINVAL, "the archive "
				    "holds more than %llu bytes, the server's "
				    "disk limit",
				    (unsigned long long)o->max_bytes);
				break;
			}
		}
		archive_entry_set_perm(e, archive_entry_perm(e) & 01777);
		archive_entry_set_uid(e, o->uid);
		archive_entry_set_gid(e, o->gid);
		archive_entry_set_uname(e, NULL);
		archive_entry_set_gname(e, NULL);
		r = archive_write_header(w, e);
		if (r == ARCHIVE_OK && type == AE_IFREG &&
		    archive_entry_size(e) > 0) {
			const void	*blk;
			size_t		 len;
			la_int64_t	 off;

			while ((r = archive_read_data_block(a, &blk, &len,
			    &off)) == ARCHIVE_OK) {
				if (archive_write_data_block(w, blk, len, off) !=
				    ARCHIVE_OK) {
					r = ARCHIVE_FATAL;
					rc = rerr_set(err, -1, "write \"%.200s\": "
					    "%s", name, archive_error_string(w));
					break;
				}
				st->data += len;
			}
			if (rc == 0 && r != ARCHIVE_EOF)
				rc = rerr_set(err, ROOST_EINVAL, "broken archive "
				    "at \"%.200s\": %s", name,
				    archive_error_string(a));
			r = rc == 0 ? ARCHIVE_OK : r;
		} else if (r != ARCHIVE_OK)
			rc = rerr_set(err, ROOST_EINVAL, "cannot extract "
			    "\"%.200s\": %s", name, archive_error_string(w));
		if (rc == 0 && archive_write_finish_entry(w) != ARCHIVE_OK)
			rc = rerr_set(err, -1, "cannot extract \"%.200s\": %s",
			    name, archive_error_string(w));
		if (rc == 0)
			st->entries++;
	}
	/* Directories' modes and times are set here, after their files. */
	if (archive_write_close(w) != ARCHIVE_OK && rc == 0)
		rc = rerr_set(err, -1, "cannot finish the extraction: %s",
		    archive_error_string(w));
	archive_write_free(w);
	archive_read_free(a);
	/* The checksum covers every byte, also those after the tar's end. */
	drain = io.buf;
	while (rc == 0 && (n = read(infd, drain, TARZ_BUF)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = rerr_errno(err, -1, "read the archive");
			break;
		}
		sha256_add(io.sha, drain, (size_t)n);
		io.size += (uint64_t)n;
	}
	sha256_end(io.sha, st->sha256);
	st->size = io.size;
	free(io.buf);
	if (fchdir(cwd) == -1 && rc == 0)
		rc = rerr_errno(err, -1, "leave \"%s\"", dir);
	close(cwd);
	return rc;
}
