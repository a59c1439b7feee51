/*
 * sftpd_proto: SFTP version 3 (draft-ietf-secsh-filexfer-02 with the
 * OpenSSH extensions posix-rename, fsync, limits and statvfs) over one
 * SSH channel.
 * Packets are parsed here rather than through libssh's server message
 * API so that names are checked byte for byte (a NUL inside a name is
 * refused, not cut short), pipelined requests are answered in batches and
 * read data goes straight into the reply. Shaped like OpenSSH's
 * sftp-server.c: a handle table, one process_<op>() per request, each
 * sending one reply; every operation is checked against the user's
 * permissions, the egg's denylist and the disk limit, and works through
 * the beneath-resolved paths of sftpd_fs.c.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "log.h"
#include "xmalloc.h"

#include "sftpd.h"

#define FXP_INIT		1
#define FXP_VERSION		2
#define FXP_OPEN		3
#define FXP_CLOSE		4
#define FXP_READ		5
#define FXP_WRITE		6
#define FXP_LSTAT		7
#define FXP_FSTAT		8
#define FXP_SETSTAT		9
#define FXP_FSETSTAT		10
#define FXP_OPENDIR		11
#define FXP_READDIR		12
#define FXP_REMOVE		13
#define FXP_MKDIR		14
#define FXP_RMDIR		15
#define FXP_REALPATH		16
#define FXP_STAT		17
#define FXP_RENAME		18
#define FXP_READLINK		19
#define FXP_SYMLINK		20
#define FXP_STATUS		101
#define FXP_HANDLE		102
#define FXP_DATA		103
#define FXP_NAME		104
#define FXP_ATTRS		105
#define FXP_EXTENDED		200
#define FXP_EXTENDED_REPLY	201

#define FX_OK			0
#define FX_EOF			1
#define FX_NO_SUCH_FILE		2
#define FX_PERMISSION_DENIED	3
#define FX_FAILURE		4
#define FX_BAD_MESSAGE		5
#define FX_OP_UNSUPPORTED	8

#define ATTR_SIZE		0x00000001
#define ATTR_UIDGID		0x00000002
#define ATTR_PERMISSIONS	0x00000004
#define ATTR_ACMODTIME		0x00000008
#define ATTR_EXTENDED		0x80000000

#define FXF_READ		0x01
#define FXF_WRITE		0x02
#define FXF_APPEND		0x04
#define FXF_CREAT		0x08
#define FXF_TRUNC		0x10
#define FXF_EXCL		0x20

#define MAX_PACKET		(256 * 1024)
#define MAX_READ		(MAX_PACKET - 1024)
#define MAX_HANDLES		256
#define INBUF_SIZE		(4 * 1024 * 1024)
#define OUT_FLUSH		(512 * 1024)
#define READDIR_BATCH		128
#define PATH_BUF		4096

#define H_FILE			1
#define H_DIR			2
#define H_BKDIR			3	/* the /.backups view */

#define BK_DIRNAME		".backups"

struct handle {
	int		 kind;		/* 0: free, H_FILE, H_DIR */
	uint32_t	 gen;
	int		 fd;
	DIR		*dir;
	int		 writable;
	int		 append;
	uint64_t	 written;
	size_t		 bkpos;		/* H_BKDIR: next entry */
	int		 bk;		/* a file of /.backups; H_DIR:
					   /.backups listed */
	char		*path;		/* root-relative, for logs */
};

struct pkt {
	const unsigned char	*p;
	size_t			 len;
	size_t			 off;
	int			 bad;
};

struct attrs {
	uint32_t	 flags;
	uint64_t	 size;
	uint32_t	 uid, gid, perm, atime, mtime;
};

struct proto {
	struct sftpd_sess	*s;
	ssh_channel		 chan;
	unsigned char		*out;
	size_t			 outlen;
	size_t			 outcap;
	struct handle		 h[MAX_HANDLES];
	uint32_t		 id;
	int			 version;
	/* the reply status of the request being processed */
	uint32_t		 status;
	char			 msg[256];
};

static void	 out_reserve(struct proto *, size_t);
static void	 out_u8(struct proto *, uint8_t);
static void	 out_u32(struct proto *, uint32_t);
static void	 out_u64(struct proto *, uint64_t);
static void	 out_str(struct proto *, const void *, size_t);
static size_t	 out_begin(struct proto *, uint8_t);
static void	 out_end(struct proto *, size_t);
static int	 out_flush(struct proto *);
static uint8_t	 get_u8(struct pkt *);
static uint32_t	 get_u32(struct pkt *);
static uint64_t	 get_u64(struct pkt *);
static const char *get_str(struct pkt *, size_t *);
static int	 get_attrs(struct proto *, struct pkt *, struct attrs *);
static void	 attrs_from_stat(struct attrs *, const struct stat *);
static void	 out_attrs(struct proto *, const struct attrs *);
static void	 send_status(struct proto *, uint32_t, const char *);
static void	 send_handle(struct proto *, int);
static void	 send_attrs_stat(struct proto *, const struct stat *);
static void	 send_name1(struct proto *, const char *);
static int	 fail_errno(struct proto *, const char *, const char *);
static int	 refuse(struct proto *, const char *, const char *,
		    const char *, ...)
		    __attribute__((__format__(printf, 4, 5)));
static int	 need(struct proto *, int, const char *, const char *);
static int	 denied(struct proto *, const char *, const char *, int);
static int	 denied_at(struct proto *, const char *, const char *, int,
		    const char *, int);
static int	 covers_at(struct proto *, const char *, const char *, int,
		    const char *, const char *);
static int	 get_path(struct proto *, struct pkt *, char *, const char *);
static int	 handle_new(struct proto *, int, int, DIR *, const char *);
static struct handle *handle_get(struct proto *, struct pkt *, int);
static void	 handle_close(struct proto *, struct handle *);
static void	 longname(char *, size_t, const char *, const struct stat *);
static void	 process_init(struct proto *, struct pkt *);
static void	 process_open(struct proto *, struct pkt *);
static void	 process_close(struct proto *, struct pkt *);
static void	 process_read(struct proto *, struct pkt *);
static void	 process_write(struct proto *, struct pkt *);
static void	 process_stat(struct proto *, struct pkt *, int);
static void	 process_fstat(struct proto *, struct pkt *);
static void	 process_setstat(struct proto *, struct pkt *);
static void	 process_fsetstat(struct proto *, struct pkt *);
static void	 process_opendir(struct proto *, struct pkt *);
static void	 process_readdir(struct proto *, struct pkt *);
static void	 process_remove(struct proto *, struct pkt *);
static void	 process_mkdir(struct proto *, struct pkt *);
static void	 process_rmdir(struct proto *, struct pkt *);
static void	 process_realpath(struct proto *, struct pkt *);
static void	 process_rename(struct proto *, struct pkt *, int);
static void	 process_readlink(struct proto *, struct pkt *);
static void	 process_symlink(struct proto *, struct pkt *);
static void	 process_statvfs(struct proto *, struct pkt *);
static void	 process_extended(struct proto *, struct pkt *);
static int	 process_packet(struct proto *, const unsigned char *, size_t);

/* ---- output ---- */

static void
out_reserve(struct proto *p, size_t n)
{
	if (p->outcap - p->outlen >= n)
		return;
	while (p->outcap - p->outlen < n)
		p->outcap = p->outcap ? p->outcap * 2 : 65536;
	p->out = xreallocarray(p->out, 1, p->outcap);
}

static void
out_u8(struct proto *p, uint8_t v)
{
	out_reserve(p, 1);
	p->out[p->outlen++] = v;
}

/* Writes v big-endian over the four bytes at offset at of the output. */
static void
out_u32_at(struct proto *p, size_t at, uint32_t v)
{
	p->out[at] = (unsigned char)(v >> 24);
	p->out[at + 1] = (unsigned char)(v >> 16);
	p->out[at + 2] = (unsigned char)(v >> 8);
	p->out[at + 3] = (unsigned char)v;
}

static void
out_u32(struct proto *p, uint32_t v)
{
	out_reserve(p, 4);
	out_u32_at(p, p->outlen, v);
	p->outlen += 4;
}

static void
out_u64(struct proto *p, uint64_t v)
{
	out_u32(p, (uint32_t)(v >> 32));
	out_u32(p, (uint32_t)v);
}

static void
out_str(struct proto *p, const void *s, size_t n)
{
	out_u32(p, (uint32_t)n);
	out_reserve(p, n);
	memcpy(p->out + p->outlen, s, n);
	p->outlen += n;
}

/* Starts a reply of type to the current request; returns its offset. */
static size_t
out_begin(struct proto *p, uint8_t type)
{
	size_t	 at = p->outlen;

	out_u32(p, 0);
	out_u8(p, type);
	if (type != FXP_VERSION)
		out_u32(p, p->id);
	return at;
}

static void
out_end(struct proto *p, size_t at)
{
	out_u32_at(p, at, (uint32_t)(p->outlen - at - 4));
}

static int
out_flush(struct proto *p)
{
	size_t	 off = 0;
	int	 n;

	while (off < p->outlen) {
		n = ssh_channel_write(p->chan, p->out + off,
		    (uint32_t)(p->outlen - off));
		if (n == SSH_ERROR)
			return -1;
		off += (size_t)n;
	}
	p->outlen = 0;
	return 0;
}

/* ---- input ---- */

static uint8_t
get_u8(struct pkt *k)
{
	if (k->len - k->off < 1) {
		k->bad = 1;
		return 0;
	}
	return k->p[k->off++];
}

static uint32_t
get_u32(struct pkt *k)
{
	uint32_t	 v;

	if (k->len - k->off < 4) {
		k->bad = 1;
		return 0;
	}
	v = (uint32_t)k->p[k->off] << 24 | (uint32_t)k->p[k->off + 1] << 16 |
	    (uint32_t)k->p[k->off + 2] << 8 | (uint32_t)k->p[k->off + 3];
	k->off += 4;
	return v;
}

static uint64_t
get_u64(struct pkt *k)
{
	uint64_t	 hi = get_u32(k);

	return hi << 32 | get_u32(k);
}

/* Returns a pointer into the packet (not NUL-terminated) and its length. */
static const char *
get_str(struct pkt *k, size_t *n)
{
	uint32_t	 len = get_u32(k);
	const char	*s;

	if (k->bad || k->len - k->off < len) {
		k->bad = 1;
		*n = 0;
		return "";
	}
	s = (const char *)k->p + k->off;
	k->off += len;
	*n = len;
	return s;
}

/* Reads a request's attributes; -1 (a bad message) when they are cut. */
static int
get_attrs(struct proto *p, struct pkt *k, struct attrs *a)
{
	uint32_t	 i, n;
	size_t		 len;

	memset(a, 0, sizeof(*a));
	a->flags = get_u32(k);
	if (a->flags & ATTR_SIZE)
		a->size = get_u64(k);
	if (a->flags & ATTR_UIDGID) {
		a->uid = get_u32(k);
		a->gid = get_u32(k);
	}
	if (a->flags & ATTR_PERMISSIONS)
		a->perm = get_u32(k);
	if (a->flags & ATTR_ACMODTIME) {
		a->atime = get_u32(k);
		a->mtime = get_u32(k);
	}
	if (a->flags & ATTR_EXTENDED) {
		n = get_u32(k);
		for (i = 0; i < n && !k->bad; i++) {
			get_str(k, &len);
			get_str(k, &len);
		}
	}
	if (k->bad) {
		p->status = FX_BAD_MESSAGE;
		return -1;
	}
	return 0;
}

/* ---- replies ---- */

static void
attrs_from_stat(struct attrs *a, const struct stat *st)
{
	a->flags = ATTR_SIZE | ATTR_UIDGID | ATTR_PERMISSIONS | ATTR_ACMODTIME;
	a->size = (uint64_t)st->st_size;
	a->uid = (uint32_t)st->st_uid;
	a->gid = (uint32_t)st->st_gid;
	a->perm = (uint32_t)st->st_mode;
	a->atime = (uint32_t)st->st_atime;
	a->mtime = (uint32_t)st->st_mtime;
}

static void
out_attrs(struct proto *p, const struct attrs *a)
{
	out_u32(p, a->flags & ~ATTR_EXTENDED);
	if (a->flags & ATTR_SIZE)
		out_u64(p, a->size);
	if (a->flags & ATTR_UIDGID) {
		out_u32(p, a->uid);
		out_u32(p, a->gid);
	}
	if (a->flags & ATTR_PERMISSIONS)
		out_u32(p, a->perm);
	if (a->flags & ATTR_ACMODTIME) {
		out_u32(p, a->atime);
		out_u32(p, a->mtime);
	}
}

static void
send_status(struct proto *p, uint32_t code, const char *msg)
{
	static const char *const text[] = { "Success", "End of file",
	    "No such file", "Permission denied", "Failure", "Bad message",
	    "No connection", "Connection lost", "Operation unsupported" };
	size_t	 at;

	if (msg == NULL || msg[0] == '\0')
		msg = code < sizeof(text) / sizeof(text[0]) ? text[code] :
		    "Unknown error";
	at = out_begin(p, FXP_STATUS);
	out_u32(p, code);
	out_str(p, msg, strlen(msg));
	out_str(p, "", 0);
	out_end(p, at);
}

static void
send_handle(struct proto *p, int idx)
{
	size_t	 at;
	unsigned char hb[8];
	uint32_t gen = p->h[idx].gen;

	hb[0] = (unsigned char)(idx >> 24);
	hb[1] = (unsigned char)(idx >> 16);
	hb[2] = (unsigned char)(idx >> 8);
	hb[3] = (unsigned char)idx;
	hb[4] = (unsigned char)(gen >> 24);
	hb[5] = (unsigned char)(gen >> 16);
	hb[6] = (unsigned char)(gen >> 8);
	hb[7] = (unsigned char)gen;
	at = out_begin(p, FXP_HANDLE);
	out_str(p, hb, sizeof(hb));
	out_end(p, at);
}

static void
send_attrs_stat(struct proto *p, const struct stat *st)
{
	struct attrs	 a;
	size_t		 at;

	attrs_from_stat(&a, st);
	at = out_begin(p, FXP_ATTRS);
	out_attrs(p, &a);
	out_end(p, at);
}

static void
send_name1(struct proto *p, const char *name)
{
	struct attrs	 a;
	size_t		 at;

	memset(&a, 0, sizeof(a));
	at = out_begin(p, FXP_NAME);
	out_u32(p, 1);
	out_str(p, name, strlen(name));
	out_str(p, name, strlen(name));
	out_attrs(p, &a);
	out_end(p, at);
}

/* ---- checks ---- */

/* Sets the status of the current request from errno. */
static int
fail_errno(struct proto *p, const char *op, const char *rel)
{
	int	 e = errno;

	switch (e) {
	case ENOENT:
	case ENOTDIR:
		p->status = FX_NO_SUCH_FILE;
		break;
	case EXDEV:
		return refuse(p, op, rel, "path leads outside the server "
		    "directory");
	case ELOOP:
		return refuse(p, op, rel, "too many symbolic links or a link "
		    "that leads outside");
	case EACCES:
	case EPERM:
		p->status = FX_PERMISSION_DENIED;
		break;
	default:
		p->status = FX_FAILURE;
		snprintf(p->msg, sizeof(p->msg), "%s", strerror(e));
		break;
	}
	return -1;
}

/*
 * Logs a refused operation with the user, server and reason, and makes
 * the current reply "permission denied" with the reason.
 */
static int
refuse(struct proto *p, const char *op, const char *rel, const char *fmt,
    ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
	va_end(ap);
	p->status = FX_PERMISSION_DENIED;
	log_info("refused: user '%s' server '%s' from %s: %s '/%s': %s",
	    p->s->user->name, p->s->srv->name, p->s->addr, op,
	    rel ? rel : "", p->msg);
	return -1;
}

static int
need(struct proto *p, int perm, const char *op, const char *rel)
{
	if ((p->s->user->perms & perm) == perm)
		return 0;
	return refuse(p, op, rel, "user has no %s permission",
	    perm == SFTPD_PERM_READ ? "read" : perm == SFTPD_PERM_WRITE ?
	    "write" : perm == SFTPD_PERM_DELETE ? "delete" :
	    "write and delete");
}

/*
 * Where rel is in the /.backups view: BK_NONE outside it (or without a
 * view), BK_DIR for the directory, BK_FILE for a name in it (*name),
 * BK_DEEP beneath a name (nothing is there).
 */
#define BK_NONE	0
#define BK_DIR	1
#define BK_FILE	2
#define BK_DEEP	3
static int
bk_rel(const struct proto *p, const char *rel, const char **name)
{
	size_t	n = sizeof(BK_DIRNAME) - 1;

	if (p->s->bk == NULL || strncmp(rel, BK_DIRNAME, n) != 0)
		return BK_NONE;
	if (rel[n] == '\0')
		return BK_DIR;
	if (rel[n] != '/')
		return BK_NONE;
	if (name != NULL)
		*name = rel + n + 1;
	return strchr(rel + n + 1, '/') != NULL ? BK_DEEP : BK_FILE;
}

static int
denied(struct proto *p, const char *op, const char *rel, int is_dir)
{
	if (!sftpd_match_denied(p->s->srv->denylist, p->s->srv->ndenylist,
	    rel, is_dir))
		return 0;
	return refuse(p, op, rel, "the file is on the server's denylist");
}

/*
 * Reads the path (into rel) and, when a is not NULL, the attributes of a
 * request to do op, which the user's perm and the denylist (is_dir: as a
 * directory) must allow. Returns 0, or -1 with the status set.
 */
static int
get_target(struct proto *p, struct pkt *k, char *rel, struct attrs *a,
    const char *op, int perm, int is_dir)
{
	if (get_path(p, k, rel, op) == -1 ||
	    (a != NULL && get_attrs(p, k, a) == -1) ||
	    need(p, perm, op, rel) == -1 ||
	    denied(p, op, rel, is_dir) == -1)
		return -1;
	return 0;
}

/*
 * Refuses op on rel when the file open as fd (or the name base in the
 * directory fd, when base is not NULL) is denied where the kernel has it:
 * a symlink or a renamed directory can give a denied file another name.
 */
static int
denied_at(struct proto *p, const char *op, const char *rel, int fd,
    const char *base, int is_dir)
{
	char	 where[PATH_BUF];

	if (p->s->srv->ndenylist == 0)
		return 0;
	if (sftpd_fs_where(p->s, fd, base, where, sizeof(where)) == -1)
		return fail_errno(p, op, rel);
	if (!sftpd_match_denied(p->s->srv->denylist, p->s->srv->ndenylist,
	    where, is_dir))
		return 0;
	return refuse(p, op, rel, "the file is on the server's denylist as "
	    "'/%s'", where);
}

/*
 * Refuses op on rel when the name base in the directory fd is one an
 * anchored denylist pattern reaches beneath (sftpd_match_covers): why
 * says what renaming it or putting a symlink there would do.
 */
static int
covers_at(struct proto *p, const char *op, const char *rel, int fd,
    const char *base, const char *why)
{
	char	 where[PATH_BUF];

	if (p->s->srv->ndenylist == 0)
		return 0;
	if (sftpd_fs_where(p->s, fd, base, where, sizeof(where)) == -1)
		return fail_errno(p, op, rel);
	if (!sftpd_match_covers(p->s->srv->denylist, p->s->srv->ndenylist,
	    where))
		return 0;
	return refuse(p, op, rel, "%s '/%s' would take files of the server's "
	    "denylist out of its reach", why, where);
}

/* Reads and cleans a path argument into rel (PATH_BUF bytes). */
static int
get_path(struct proto *p, struct pkt *k, char *rel, const char *op)
{
	const char	*s;
	size_t		 n;

	s = get_str(k, &n);
	if (k->bad) {
		p->status = FX_BAD_MESSAGE;
		return -1;
	}
	if (sftpd_fs_clean(s, n, rel, PATH_BUF) == -1) {
		if (errno == ENAMETOOLONG) {
			p->status = FX_FAILURE;
			snprintf(p->msg, sizeof(p->msg), "path too long");
			return -1;
		}
		rel[0] = '\0';
		return refuse(p, op, NULL, "file name holds a NUL byte or a "
		    "control character");
	}
	/* Only reads reach the backups view. */
	if (bk_rel(p, rel, NULL) != BK_NONE && strcmp(op, "open") != 0 &&
	    strcmp(op, "stat") != 0 && strcmp(op, "opendir") != 0 &&
	    strcmp(op, "realpath") != 0 && strcmp(op, "readlink") != 0 &&
	    strcmp(op, "statvfs") != 0)
		return refuse(p, op, rel, "/" BK_DIRNAME " is read-only");
	return 0;
}

/* ---- handles ---- */

static int
handle_new(struct proto *p, int kind, int fd, DIR *dir, const char *rel)
{
	int	 i;

	for (i = 0; i < MAX_HANDLES; i++)
		if (p->h[i].kind == 0)
			break;
	if (i == MAX_HANDLES)
		return -1;
	p->h[i].kind = kind;
	p->h[i].gen++;
	p->h[i].fd = fd;
	p->h[i].dir = dir;
	p->h[i].writable = 0;
	p->h[i].append = 0;
	p->h[i].written = 0;
	p->h[i].bkpos = 0;
	p->h[i].bk = 0;
	p->h[i].path = xstrdup(rel);
	return i;
}

static struct handle *
handle_get(struct proto *p, struct pkt *k, int kind)
{
	const unsigned char	*hb;
	size_t			 n;
	uint32_t		 idx, gen;

	hb = (const unsigned char *)get_str(k, &n);
	if (k->bad || n != 8)
		goto bad;
	idx = (uint32_t)hb[0] << 24 | (uint32_t)hb[1] << 16 |
	    (uint32_t)hb[2] << 8 | hb[3];
	gen = (uint32_t)hb[4] << 24 | (uint32_t)hb[5] << 16 |
	    (uint32_t)hb[6] << 8 | hb[7];
	if (idx >= MAX_HANDLES || p->h[idx].kind == 0 || p->h[idx].gen != gen ||
	    (kind != 0 && p->h[idx].kind != kind))
		goto bad;
	return &p->h[idx];
bad:
	p->status = FX_FAILURE;
	snprintf(p->msg, sizeof(p->msg), "invalid handle");
	return NULL;
}

static void
handle_close(struct proto *p, struct handle *h)
{
	if (h->kind == H_DIR)
		closedir(h->dir);
	else if (h->kind == H_FILE && h->bk) {
		close(h->fd);
		log_info("user '%s' server '%s': read backup '/%s'",
		    p->s->user->name, p->s->srv->name, h->path);
	} else if (h->kind == H_FILE) {
		close(h->fd);
		if (h->writable && h->written > 0)
			log_info("user '%s' server '%s': wrote %llu bytes to "
			    "'/%s'", p->s->user->name, p->s->srv->name,
			    (unsigned long long)h->written, h->path);
	}
	free(h->path);
	h->path = NULL;
	h->kind = 0;
}

static void
longname(char *out, size_t len, const char *name, const struct stat *st)
{
	char		 mode[11], date[32];
	struct tm	 tm;
	time_t		 now = time(NULL), t = st->st_mtime;
	mode_t		 m = st->st_mode;

	mode[0] = S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISREG(m) ? '-' :
	    S_ISFIFO(m) ? 'p' : S_ISSOCK(m) ? 's' : S_ISCHR(m) ? 'c' :
	    S_ISBLK(m) ? 'b' : '?';
	mode[1] = m & S_IRUSR ? 'r' : '-';
	mode[2] = m & S_IWUSR ? 'w' : '-';
	mode[3] = m & S_ISUID ? (m & S_IXUSR ? 's' : 'S') :
	    (m & S_IXUSR ? 'x' : '-');
	mode[4] = m & S_IRGRP ? 'r' : '-';
	mode[5] = m & S_IWGRP ? 'w' : '-';
	mode[6] = m & S_ISGID ? (m & S_IXGRP ? 's' : 'S') :
	    (m & S_IXGRP ? 'x' : '-');
	mode[7] = m & S_IROTH ? 'r' : '-';
	mode[8] = m & S_IWOTH ? 'w' : '-';
	mode[9] = m & S_ISVTX ? (m & S_IXOTH ? 't' : 'T') :
	    (m & S_IXOTH ? 'x' : '-');
	mode[10] = '\0';
	gmtime_r(&t, &tm);
	if (t > now - 182 * 86400 && t < now + 86400)
		strftime(date, sizeof(date), "%b %e %H:%M", &tm);
	else
		strftime(date, sizeof(date), "%b %e  %Y", &tm);
	snprintf(out, len, "%s %4lu %-8u %-8u %8lld %s %s", mode,
	    (unsigned long)st->st_nlink, (unsigned)st->st_uid,
	    (unsigned)st->st_gid, (long long)st->st_size, date, name);
}

/* ---- requests ---- */

static void
process_init(struct proto *p, struct pkt *k)
{
	size_t	 at;

	p->version = (int)get_u32(k);
	at = out_begin(p, FXP_VERSION);
	out_u32(p, 3);
	out_str(p, "posix-rename@openssh.com", 24);
	out_str(p, "1", 1);
	out_str(p, "fsync@openssh.com", 17);
	out_str(p, "1", 1);
	out_str(p, "limits@openssh.com", 18);
	out_str(p, "1", 1);
	out_str(p, "statvfs@openssh.com", 19);
	out_str(p, "2", 1);
	out_end(p, at);
}

/* One entry of a FXP_NAME reply: name, its long name and attributes. */
static void
bk_name(struct proto *p, const char *name, const struct stat *st)
{
	struct attrs	 a;
	char		 ln[PATH_BUF + 128];

	out_str(p, name, strlen(name));
	longname(ln, sizeof(ln), name, st);
	out_str(p, ln, strlen(ln));
	attrs_from_stat(&a, st);
	out_attrs(p, &a);
}

/* stat and lstat of rel in the /.backups view. */
static void
bk_stat(struct proto *p, const char *rel)
{
	struct stat	 st;
	const char	*name;

	switch (bk_rel(p, rel, &name)) {
	case BK_DIR:
		sftpd_bk_dirstat(p->s->bk, &st);
		send_attrs_stat(p, &st);
		return;
	case BK_FILE:
		if (sftpd_bk_find(p->s->bk, name, &st) != -1) {
			send_attrs_stat(p, &st);
			return;
		}
		break;
	}
	p->status = FX_NO_SUCH_FILE;
	snprintf(p->msg, sizeof(p->msg), "no such file");
}

/* open of rel in the /.backups view: reading only. */
static void
bk_open(struct proto *p, const char *rel, int wr)
{
	const char	*name;
	int		 kind, fd, idx;

	kind = bk_rel(p, rel, &name);
	if (wr) {
		refuse(p, "open for writing", rel, "/" BK_DIRNAME " is "
		    "read-only");
		return;
	}
	if (kind == BK_DIR) {
		p->status = FX_FAILURE;
		snprintf(p->msg, sizeof(p->msg), "is a directory");
		return;
	}
	if (kind != BK_FILE || (fd = sftpd_bk_dup(p->s->bk, name)) == -1) {
		p->status = FX_NO_SUCH_FILE;
		snprintf(p->msg, sizeof(p->msg), "no such file");
		return;
	}
	if ((idx = handle_new(p, H_FILE, fd, NULL, rel)) == -1) {
		close(fd);
		p->status = FX_FAILURE;
		snprintf(p->msg, sizeof(p->msg), "too many open files");
		return;
	}
	p->h[idx].bk = 1;
	send_handle(p, idx);
}

static void
process_open(struct proto *p, struct pkt *k)
{
	char		 rel[PATH_BUF];
	const char	*base, *op;
	struct attrs	 a;
	struct stat	 st;
	uint32_t	 pf;
	mode_t		 mode;
	int		 flags, fd = -1, pfd, idx, wr;

	if (get_path(p, k, rel, "open") == -1)
		return;
	pf = get_u32(k);
	if (get_attrs(p, k, &a) == -1)
		return;
	wr = (pf & (FXF_WRITE | FXF_APPEND | FXF_CREAT | FXF_TRUNC)) != 0;
	if (((pf & FXF_READ) || !wr) &&
	    need(p, SFTPD_PERM_READ, "open", rel) == -1)
		return;
	if (bk_rel(p, rel, NULL) != BK_NONE) {
		bk_open(p, rel, wr);
		return;
	}
	if (wr && need(p, SFTPD_PERM_WRITE, "open for writing", rel) == -1)
		return;
	op = wr ? "open for writing" : "open";
	if (denied(p, op, rel, 0) == -1)
		return;
	if ((pf & FXF_READ) && (pf & FXF_WRITE))
		flags = O_RDWR;
	else if (pf & (FXF_WRITE | FXF_APPEND))
		flags = O_WRONLY;
	else
		flags = O_RDONLY;
	if (pf & FXF_CREAT)
		flags |= O_CREAT;
	if ((pf & FXF_CREAT) && (pf & FXF_EXCL))
		flags |= O_EXCL;
	if (pf & FXF_APPEND)
		flags |= O_APPEND;
	if (flags == O_RDONLY && wr)
		flags = O_WRONLY;
	mode = (a.flags & ATTR_PERMISSIONS) ? (mode_t)(a.perm & 0777) : 0644;
	if (flags & O_CREAT) {
		/*
		 * A new file is judged by the directory it lands in, as the
		 * kernel has it, and made there without following a symlink.
		 */
		if ((pfd = sftpd_fs_parent(p->s, rel, &base)) == -1) {
			fail_errno(p, op, rel);
			return;
		}
		if (denied_at(p, op, rel, pfd, base, 0) == -1) {
			close(pfd);
			return;
		}
		fd = openat(pfd, base, flags | O_NOFOLLOW | O_NONBLOCK |
		    O_NOCTTY | O_CLOEXEC, mode);
		close(pfd);
		/* A symlink: only an existing target beneath the root. */
		if (fd == -1 && errno == ELOOP)
			fd = sftpd_fs_open(p->s, rel, (flags & ~O_CREAT) |
			    O_NONBLOCK | O_NOCTTY, 0);
	} else
		fd = sftpd_fs_open(p->s, rel, flags | O_NONBLOCK | O_NOCTTY,
		    mode);
	if (fd == -1) {
		fail_errno(p, "open", rel);
		return;
	}
	if (fstat(fd, &st) == -1) {
		fail_errno(p, "open", rel);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		p->status = FX_FAILURE;
		snprintf(p->msg, sizeof(p->msg), S_ISDIR(st.st_mode) ?
		    "is a directory" : "not a regular file");
		goto fail;
	}
	if (st.st_nlink > 1) {
		refuse(p, "open", rel, "the file has other hard links");
		goto fail;
	}
	if (denied_at(p, op, rel, fd, NULL, 0) == -1)
		goto fail;
	if ((pf & FXF_TRUNC) && st.st_size > 0) {
		if (ftruncate(fd, 0) == -1) {
			fail_errno(p, "truncate", rel);
			goto fail;
		}
		sftpd_fs_usage_release(p->s, st.st_size);
	}
	if (fcntl(fd, F_SETFL, flags & O_APPEND) == -1) {
		fail_errno(p, "open", rel);
		goto fail;
	}
	if ((idx = handle_new(p, H_FILE, fd, NULL, rel)) == -1) {
		p->status = FX_FAILURE;
		snprintf(p->msg, sizeof(p->msg), "too many open files");
		goto fail;
	}
	p->h[idx].writable = (flags & O_ACCMODE) != O_RDONLY;
	p->h[idx].append = (flags & O_APPEND) != 0;
	send_handle(p, idx);
	return;
fail:
	close(fd);
}

static void
process_close(struct proto *p, struct pkt *k)
{
	struct handle	*h;

	if ((h = handle_get(p, k, 0)) == NULL)
		return;
	handle_close(p, h);
	p->status = FX_OK;
}

static void
process_read(struct proto *p, struct pkt *k)
{
	struct handle	*h;
	uint64_t	 off;
	uint32_t	 len;
	size_t		 at, dlen;
	ssize_t		 n;

	if ((h = handle_get(p, k, H_FILE)) == NULL)
		return;
	off = get_u64(k);
	len = get_u32(k);
	if (k->bad) {
		p->status = FX_BAD_MESSAGE;
		return;
	}
	if (len > MAX_READ)
		len = MAX_READ;
	at = out_begin(p, FXP_DATA);
	dlen = p->outlen;
	out_u32(p, 0);
	out_reserve(p, len);
	do {
		n = pread(h->fd, p->out + p->outlen, len, (off_t)off);
	} while (n == -1 && errno == EINTR);
	if (n <= 0) {
		p->outlen = at;
		if (n == 0)
			p->status = FX_EOF;
		else
			fail_errno(p, "read", h->path);
		return;
	}
	p->outlen += (size_t)n;
	out_u32_at(p, dlen, (uint32_t)n);
	out_end(p, at);
}

static void
process_write(struct proto *p, struct pkt *k)
{
	struct handle	*h;
	struct stat	 st;
	const char	*data;
	uint64_t	 off;
	size_t		 len, done = 0;
	int64_t		 end, grow = 0, used;
	ssize_t		 n;

	if ((h = handle_get(p, k, H_FILE)) == NULL)
		return;
	off = get_u64(k);
	data = get_str(k, &len);
	if (k->bad) {
		p->status = FX_BAD_MESSAGE;
		return;
	}
	if (!h->writable) {
		p->status = FX_PERMISSION_DENIED;
		snprintf(p->msg, sizeof(p->msg), "file not open for writing");
		return;
	}
	if (off > INT64_MAX / 2) {
		p->status = FX_FAILURE;
		snprintf(p->msg, sizeof(p->msg), "offset too large");
		return;
	}
	if (p->s->usage != NULL) {
		if (fstat(h->fd, &st) == -1) {
			fail_errno(p, "write", h->path);
			return;
		}
		end = h->append ? st.st_size + (int64_t)len :
		    (int64_t)off + (int64_t)len;
		grow = end > st.st_size ? end - st.st_size : 0;
		if (sftpd_fs_usage_reserve(p->s, grow) == -1) {
			refuse(p, "write", h->path, "disk limit of %llu MiB "
			    "reached", (unsigned long long)
			    p->s->srv->disk_limit_mib);
			p->status = FX_FAILURE;
			return;
		}
	}
	while (done < len) {
		if (h->append)
			n = write(h->fd, data + done, len - done);
		else
			n = pwrite(h->fd, data + done, len - done,
			    (off_t)(off + done));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	h->written += done;
	if (done < len) {
		/* Give back what the short write did not grow. */
		if (p->s->usage != NULL) {
			end = h->append ? st.st_size + (int64_t)done :
			    (int64_t)(off + done);
			used = end > st.st_size ? end - st.st_size : 0;
			sftpd_fs_usage_release(p->s, grow - used);
		}
		fail_errno(p, "write", h->path);
		return;
	}
	p->status = FX_OK;
}

static void
process_stat(struct proto *p, struct pkt *k, int follow)
{
	char		 rel[PATH_BUF];
	const char	*base;
	struct stat	 st;
	int		 fd, rc;

	if (get_path(p, k, rel, "stat") == -1)
		return;
	if (bk_rel(p, rel, NULL) != BK_NONE) {
		bk_stat(p, rel);
		return;
	}
	if (follow || rel[0] == '\0') {
		if ((fd = sftpd_fs_open(p->s, rel, O_PATH, 0)) == -1) {
			fail_errno(p, "stat", rel);
			return;
		}
		rc = fstat(fd, &st);
	} else {
		if ((fd = sftpd_fs_parent(p->s, rel, &base)) == -1) {
			fail_errno(p, "lstat", rel);
			return;
		}
		rc = fstatat(fd, base, &st, AT_SYMLINK_NOFOLLOW);
	}
	if (rc == -1)
		fail_errno(p, "stat", rel);
	else
		send_attrs_stat(p, &st);
	close(fd);
}

static void
process_fstat(struct proto *p, struct pkt *k)
{
	struct handle	*h;
	struct stat	 st;

	if ((h = handle_get(p, k, 0)) == NULL)
		return;
	if (h->kind == H_BKDIR) {
		sftpd_bk_dirstat(p->s->bk, &st);
		send_attrs_stat(p, &st);
		return;
	}
	if (h->bk) {
		bk_stat(p, h->path);
		return;
	}
	if (fstat(h->kind == H_DIR ? dirfd(h->dir) : h->fd, &st) == -1)
		fail_errno(p, "fstat", h->path);
	else
		send_attrs_stat(p, &st);
}

/* Applies size, permissions and times of a to fd (size needs write). */
static int
apply_attrs(struct proto *p, int fd, int writable, const struct attrs *a,
    const char *rel)
{
	struct timespec	 ts[2];
	struct stat	 st;
	char		 proc[64];

	if (a->flags & ATTR_UIDGID)
		return refuse(p, "setstat", rel, "changing the owner is not "
		    "allowed");
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (a->flags & ATTR_SIZE) {
		if (!writable || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
			p->status = FX_FAILURE;
			snprintf(p->msg, sizeof(p->msg), "cannot change the "
			    "size of this file");
			return -1;
		}
		if ((int64_t)a->size > st.st_size &&
		    sftpd_fs_usage_reserve(p->s,
		    (int64_t)a->size - st.st_size) == -1) {
			refuse(p, "setstat", rel, "disk limit of %llu MiB "
			    "reached", (unsigned long long)
			    p->s->srv->disk_limit_mib);
			p->status = FX_FAILURE;
			return -1;
		}
		if (ftruncate(fd, (off_t)a->size) == -1)
			return fail_errno(p, "setstat", rel);
		if ((int64_t)a->size < st.st_size)
			sftpd_fs_usage_release(p->s,
			    st.st_size - (int64_t)a->size);
	}
	if ((a->flags & ATTR_PERMISSIONS) &&
	    chmod(proc, (mode_t)(a->perm & 01777)) == -1)
		return fail_errno(p, "setstat", rel);
	if (a->flags & ATTR_ACMODTIME) {
		ts[0].tv_sec = a->atime;
		ts[0].tv_nsec = 0;
		ts[1].tv_sec = a->mtime;
		ts[1].tv_nsec = 0;
		if (utimensat(AT_FDCWD, proc, ts, 0) == -1)
			return fail_errno(p, "setstat", rel);
	}
	p->status = FX_OK;
	return 0;
}

static void
process_setstat(struct proto *p, struct pkt *k)
{
	char		 rel[PATH_BUF];
	struct attrs	 a;
	struct stat	 st;
	int		 fd;

	if (get_target(p, k, rel, &a, "setstat", SFTPD_PERM_WRITE, 0) == -1)
		return;
	if (a.flags & ATTR_SIZE)
		fd = sftpd_fs_open(p->s, rel, O_WRONLY | O_NONBLOCK |
		    O_NOCTTY, 0);
	else
		fd = sftpd_fs_open(p->s, rel, O_PATH, 0);
	if (fd == -1) {
		fail_errno(p, "setstat", rel);
		return;
	}
	if (fstat(fd, &st) == -1) {
		fail_errno(p, "setstat", rel);
		close(fd);
		return;
	}
	if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
		refuse(p, "setstat", rel, "the file has other hard links");
		close(fd);
		return;
	}
	if (denied_at(p, "setstat", rel, fd, NULL, S_ISDIR(st.st_mode)) ==
	    -1) {
		close(fd);
		return;
	}
	apply_attrs(p, fd, (a.flags & ATTR_SIZE) != 0, &a, rel);
	close(fd);
}

static void
process_fsetstat(struct proto *p, struct pkt *k)
{
	struct handle	*h;
	struct attrs	 a;

	if ((h = handle_get(p, k, 0)) == NULL)
		return;
	if (get_attrs(p, k, &a) == -1)
		return;
	if (need(p, SFTPD_PERM_WRITE, "setstat", h->path) == -1)
		return;
	if (h->kind == H_BKDIR || h->bk) {
		refuse(p, "setstat", h->path, "/" BK_DIRNAME " is read-only");
		return;
	}
	/* A directory handle's path was not judged when it was opened. */
	if (h->kind == H_DIR && (denied(p, "setstat", h->path, 1) == -1 ||
	    denied_at(p, "setstat", h->path, dirfd(h->dir), NULL, 1) == -1))
		return;
	apply_attrs(p, h->kind == H_DIR ? dirfd(h->dir) : h->fd, h->writable,
	    &a, h->path);
}

static void
process_opendir(struct proto *p, struct pkt *k)
{
	char	 rel[PATH_BUF];
	DIR	*d;
	int	 fd, idx;

	if (get_path(p, k, rel, "opendir") == -1 ||
	    need(p, SFTPD_PERM_READ, "opendir", rel) == -1)
		return;
	switch (bk_rel(p, rel, NULL)) {
	case BK_DIR:
		if ((idx = handle_new(p, H_BKDIR, -1, NULL, rel)) == -1) {
			p->status = FX_FAILURE;
			snprintf(p->msg, sizeof(p->msg), "too many open "
			    "directories");
			return;
		}
		send_handle(p, idx);
		return;
	case BK_FILE:
	case BK_DEEP:
		p->status = FX_NO_SUCH_FILE;
		snprintf(p->msg, sizeof(p->msg), "no such directory");
		return;
	}
	if ((fd = sftpd_fs_open(p->s, rel, O_RDONLY | O_DIRECTORY, 0)) == -1) {
		fail_errno(p, "opendir", rel);
		return;
	}
	if ((d = fdopendir(fd)) == NULL) {
		fail_errno(p, "opendir", rel);
		close(fd);
		return;
	}
	if ((idx = handle_new(p, H_DIR, -1, d, rel)) == -1) {
		closedir(d);
		p->status = FX_FAILURE;
		snprintf(p->msg, sizeof(p->msg), "too many open directories");
		return;
	}
	send_handle(p, idx);
}

static void
process_readdir(struct proto *p, struct pkt *k)
{
	struct handle	*h;
	struct dirent	*de;
	struct attrs	 a;
	struct stat	 st;
	char		 ln[PATH_BUF + 128];
	size_t		 at, cnt_at, nlen;
	uint32_t	 cnt = 0;

	if ((h = handle_get(p, k, 0)) == NULL)
		return;
	if (h->kind == H_FILE) {
		p->status = FX_FAILURE;
		snprintf(p->msg, sizeof(p->msg), "invalid handle");
		return;
	}
	at = out_begin(p, FXP_NAME);
	cnt_at = p->outlen;
	out_u32(p, 0);
	/* The root lists /.backups first; the view lists its files. */
	if (h->kind == H_DIR && h->path[0] == '\0' && p->s->bk != NULL &&
	    !h->bk) {
		h->bk = 1;
		sftpd_bk_dirstat(p->s->bk, &st);
		bk_name(p, BK_DIRNAME, &st);
		cnt++;
	}
	while (h->kind == H_BKDIR && cnt < READDIR_BATCH) {
		const char *name = sftpd_bk_entry(p->s->bk, h->bkpos, &st);

		if (name == NULL)
			break;
		h->bkpos++;
		bk_name(p, name, &st);
		cnt++;
	}
	while (h->kind == H_DIR && cnt < READDIR_BATCH) {
		errno = 0;
		if ((de = readdir(h->dir)) == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		/* a real /.backups is hidden by the view */
		if (h->bk && strcmp(de->d_name, BK_DIRNAME) == 0)
			continue;
		if (fstatat(dirfd(h->dir), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		nlen = strlen(de->d_name);
		out_str(p, de->d_name, nlen);
		longname(ln, sizeof(ln), de->d_name, &st);
		out_str(p, ln, strlen(ln));
		attrs_from_stat(&a, &st);
		out_attrs(p, &a);
		cnt++;
	}
	if (cnt == 0) {
		p->outlen = at;
		p->status = FX_EOF;
		return;
	}
	out_u32_at(p, cnt_at, cnt);
	out_end(p, at);
}

static void
process_remove(struct proto *p, struct pkt *k)
{
	char		 rel[PATH_BUF];
	const char	*base;
	struct stat	 st;
	int		 fd;

	if (get_target(p, k, rel, NULL, "remove", SFTPD_PERM_DELETE, 0) == -1)
		return;
	if ((fd = sftpd_fs_parent(p->s, rel, &base)) == -1) {
		fail_errno(p, "remove", rel);
		return;
	}
	if (fstatat(fd, base, &st, AT_SYMLINK_NOFOLLOW) == -1)
		fail_errno(p, "remove", rel);
	else if (denied_at(p, "remove", rel, fd, base, 0) == -1)
		;
	else if (S_ISDIR(st.st_mode)) {
		p->status = FX_FAILURE;
		snprintf(p->msg, sizeof(p->msg), "is a directory");
	} else if (unlinkat(fd, base, 0) == -1)
		fail_errno(p, "remove", rel);
	else {
		if (S_ISREG(st.st_mode) && st.st_nlink == 1)
			sftpd_fs_usage_release(p->s, st.st_size);
		log_info("user '%s' server '%s': removed '/%s'",
		    p->s->user->name, p->s->srv->name, rel);
		p->status = FX_OK;
	}
	close(fd);
}

static void
process_mkdir(struct proto *p, struct pkt *k)
{
	char		 rel[PATH_BUF];
	const char	*base;
	struct attrs	 a;
	mode_t		 mode;
	int		 fd;

	if (get_target(p, k, rel, &a, "mkdir", SFTPD_PERM_WRITE, 1) == -1)
		return;
	mode = (a.flags & ATTR_PERMISSIONS) ? (mode_t)(a.perm & 0777) : 0755;
	if ((fd = sftpd_fs_parent(p->s, rel, &base)) == -1) {
		if (errno == EPERM)
			errno = EEXIST;
		fail_errno(p, "mkdir", rel);
		return;
	}
	if (denied_at(p, "mkdir", rel, fd, base, 1) == -1)
		;
	else if (mkdirat(fd, base, mode) == -1)
		fail_errno(p, "mkdir", rel);
	else
		p->status = FX_OK;
	close(fd);
}

static void
process_rmdir(struct proto *p, struct pkt *k)
{
	char		 rel[PATH_BUF];
	const char	*base;
	int		 fd;

	if (get_target(p, k, rel, NULL, "rmdir", SFTPD_PERM_DELETE, 1) == -1)
		return;
	if ((fd = sftpd_fs_parent(p->s, rel, &base)) == -1) {
		if (errno == EPERM)
			refuse(p, "rmdir", rel, "the server directory itself "
			    "cannot be removed");
		else
			fail_errno(p, "rmdir", rel);
		return;
	}
	if (denied_at(p, "rmdir", rel, fd, base, 1) == -1)
		;
	else if (unlinkat(fd, base, AT_REMOVEDIR) == -1)
		fail_errno(p, "rmdir", rel);
	else
		p->status = FX_OK;
	close(fd);
}

static void
process_realpath(struct proto *p, struct pkt *k)
{
	char	 rel[PATH_BUF], out[PATH_BUF + 1];

	if (get_path(p, k, rel, "realpath") == -1)
		return;
	snprintf(out, sizeof(out), "/%s", rel);
	send_name1(p, out);
}

/* posix: overwrite an existing target (posix-rename@openssh.com). */
static void
process_rename(struct proto *p, struct pkt *k, int posix)
{
	char		 from[PATH_BUF], to[PATH_BUF];
	const char	*fb, *tb;
	struct stat	 fst, tst;
	int		 ffd = -1, tfd = -1, have_to;

	if (get_path(p, k, from, "rename") == -1 ||
	    get_path(p, k, to, "rename") == -1)
		return;
	if (need(p, SFTPD_PERM_WRITE, "rename", from) == -1)
		return;
	if (from[0] == '\0' || to[0] == '\0') {
		refuse(p, "rename", from, "the server directory itself cannot "
		    "be renamed");
		return;
	}
	if ((ffd = sftpd_fs_parent(p->s, from, &fb)) == -1) {
		fail_errno(p, "rename", from);
		return;
	}
	if ((tfd = sftpd_fs_parent(p->s, to, &tb)) == -1) {
		fail_errno(p, "rename", to);
		goto done;
	}
	if (fstatat(ffd, fb, &fst, AT_SYMLINK_NOFOLLOW) == -1) {
		fail_errno(p, "rename", from);
		goto done;
	}
	if (denied(p, "rename", from, S_ISDIR(fst.st_mode)) == -1 ||
	    denied(p, "rename to", to, S_ISDIR(fst.st_mode)) == -1 ||
	    denied_at(p, "rename", from, ffd, fb, S_ISDIR(fst.st_mode)) == -1 ||
	    denied_at(p, "rename to", to, tfd, tb, S_ISDIR(fst.st_mode)) == -1)
		goto done;
	/* Moving a directory, or a symlink into place, can hide a file. */
	if (S_ISDIR(fst.st_mode) &&
	    covers_at(p, "rename", from, ffd, fb, "renaming") == -1)
		goto done;
	if (S_ISLNK(fst.st_mode) &&
	    covers_at(p, "rename", from, tfd, tb, "a symlink at") == -1)
		goto done;
	have_to = fstatat(tfd, tb, &tst, AT_SYMLINK_NOFOLLOW) == 0;
	if (have_to && !posix) {
		p->status = FX_FAILURE;
		snprintf(p->msg, sizeof(p->msg), "file exists");
		goto done;
	}
	if (have_to && need(p, SFTPD_PERM_DELETE, "rename over", to) == -1)
		goto done;
	if (renameat2(ffd, fb, tfd, tb, posix ? 0 : RENAME_NOREPLACE) == -1) {
		fail_errno(p, "rename", from);
		goto done;
	}
	if (have_to && S_ISREG(tst.st_mode) && tst.st_nlink == 1 &&
	    (tst.st_ino != fst.st_ino || tst.st_dev != fst.st_dev))
		sftpd_fs_usage_release(p->s, tst.st_size);
	log_info("user '%s' server '%s': renamed '/%s' to '/%s'",
	    p->s->user->name, p->s->srv->name, from, to);
	p->status = FX_OK;
done:
	if (ffd != -1)
		close(ffd);
	if (tfd != -1)
		close(tfd);
}

static void
process_readlink(struct proto *p, struct pkt *k)
{
	char		 rel[PATH_BUF], target[PATH_BUF];
	const char	*base;
	ssize_t		 n;
	int		 fd;

	if (get_path(p, k, rel, "readlink") == -1 ||
	    need(p, SFTPD_PERM_READ, "readlink", rel) == -1)
		return;
	if ((fd = sftpd_fs_parent(p->s, rel, &base)) == -1) {
		fail_errno(p, "readlink", rel);
		return;
	}
	if ((n = readlinkat(fd, base, target, sizeof(target) - 1)) == -1)
		fail_errno(p, "readlink", rel);
	else {
		target[n] = '\0';
		send_name1(p, target);
	}
	close(fd);
}

/*
 * SSH_FXP_SYMLINK in OpenSSH's order: target first, then the link. The
 * target must be relative and stay beneath the root when read from the
 * link's directory as the kernel has it, must not be denied, and the
 * link must not stand where an anchored denylist pattern reaches beneath.
 */
static void
process_symlink(struct proto *p, struct pkt *k)
{
	char		 target[PATH_BUF], rel[PATH_BUF], joined[2 * PATH_BUF];
	char		 clean[PATH_BUF], dir[PATH_BUF];
	const char	*t, *base, *seg;
	size_t		 tlen, dlen, i, slen;
	int		 fd, depth;

	t = get_str(k, &tlen);
	if (get_path(p, k, rel, "symlink") == -1)
		return;
	if (k->bad) {
		p->status = FX_BAD_MESSAGE;
		return;
	}
	if (need(p, SFTPD_PERM_WRITE, "symlink", rel) == -1 ||
	    denied(p, "symlink", rel, 0) == -1)
		return;
	for (i = 0; i < tlen; i++)
		if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f)
			break;
	if (tlen == 0 || tlen >= sizeof(target) || i < tlen) {
		refuse(p, "symlink", rel, "bad link target");
		return;
	}
	memcpy(target, t, tlen);
	target[tlen] = '\0';
	if (target[0] == '/') {
		refuse(p, "symlink", rel, "link target '%s' is absolute",
		    target);
		return;
	}
	if ((fd = sftpd_fs_parent(p->s, rel, &base)) == -1) {
		fail_errno(p, "symlink", rel);
		return;
	}
	if (sftpd_fs_where(p->s, fd, NULL, dir, sizeof(dir)) == -1) {
		fail_errno(p, "symlink", rel);
		goto done;
	}
	/* Walk the target from the link's directory; it must not climb out. */
	dlen = strlen(dir);
	depth = 0;
	for (i = 0; i < dlen; i++)
		if (i == 0 || dir[i - 1] == '/')
			depth++;
	for (seg = target; *seg != '\0'; seg += slen) {
		while (*seg == '/')
			seg++;
		slen = strcspn(seg, "/");
		if (slen == 2 && seg[0] == '.' && seg[1] == '.') {
			if (--depth < 0) {
				refuse(p, "symlink", rel, "link target '%s' "
				    "leads outside the server directory",
				    target);
				goto done;
			}
		} else if (slen > 0 && !(slen == 1 && seg[0] == '.'))
			depth++;
	}
	snprintf(joined, sizeof(joined), "%s/%s", dir, target);
	if (sftpd_fs_clean(joined, strlen(joined), clean,
	    sizeof(clean)) == -1) {
		refuse(p, "symlink", rel, "bad link target");
		goto done;
	}
	if (denied(p, "symlink to", clean, 0) == -1 ||
	    denied_at(p, "symlink", rel, fd, base, 0) == -1 ||
	    covers_at(p, "symlink", rel, fd, base, "a symlink at") == -1)
		goto done;
	if (symlinkat(target, fd, base) == -1)
		fail_errno(p, "symlink", rel);
	else
		p->status = FX_OK;
done:
	close(fd);
}

/*
 * statvfs@openssh.com: with a disk limit, the limit is the file system's
 * size and what is left of it the free space, so "df" in sftp shows it.
 */
static void
process_statvfs(struct proto *p, struct pkt *k)
{
	char		 rel[PATH_BUF];
	struct statvfs	 sv;
	uint64_t	 blocks, avail, used;
	size_t		 at;
	int		 fd;

	if (get_path(p, k, rel, "statvfs") == -1)
		return;
	if ((fd = sftpd_fs_open(p->s, rel, O_PATH, 0)) == -1) {
		fail_errno(p, "statvfs", rel);
		return;
	}
	if (fstatvfs(fd, &sv) == -1) {
		fail_errno(p, "statvfs", rel);
		close(fd);
		return;
	}
	close(fd);
	blocks = sv.f_blocks;
	avail = sv.f_bavail;
	if (p->s->usage != NULL && p->s->limit > 0 && sv.f_frsize > 0) {
		used = (uint64_t)__atomic_load_n(&p->s->usage->used,
		    __ATOMIC_ACQUIRE);
		blocks = (uint64_t)p->s->limit / sv.f_frsize;
		avail = used >= (uint64_t)p->s->limit ? 0 :
		    ((uint64_t)p->s->limit - used) / sv.f_frsize;
		if (avail > sv.f_bavail)
			avail = sv.f_bavail;
	}
	at = out_begin(p, FXP_EXTENDED_REPLY);
	out_u64(p, sv.f_bsize);
	out_u64(p, sv.f_frsize);
	out_u64(p, blocks);
	out_u64(p, avail);
	out_u64(p, avail);
	out_u64(p, sv.f_files);
	out_u64(p, sv.f_ffree);
	out_u64(p, sv.f_favail);
	out_u64(p, 0);
	out_u64(p, (sv.f_flag & ST_RDONLY ? 1 : 0) | 2);
	out_u64(p, sv.f_namemax);
	out_end(p, at);
}

static void
process_extended(struct proto *p, struct pkt *k)
{
	struct handle	*h;
	const char	*name;
	size_t		 n, at;

	name = get_str(k, &n);
	if (k->bad) {
		p->status = FX_BAD_MESSAGE;
		return;
	}
	if (n == 24 && memcmp(name, "posix-rename@openssh.com", n) == 0)
		process_rename(p, k, 1);
	else if (n == 17 && memcmp(name, "fsync@openssh.com", n) == 0) {
		if ((h = handle_get(p, k, H_FILE)) == NULL)
			return;
		if (fsync(h->fd) == -1)
			fail_errno(p, "fsync", h->path);
		else
			p->status = FX_OK;
	} else if (n == 18 && memcmp(name, "limits@openssh.com", n) == 0) {
		at = out_begin(p, FXP_EXTENDED_REPLY);
		out_u64(p, MAX_PACKET);
		out_u64(p, MAX_READ);
		out_u64(p, MAX_READ);
		out_u64(p, MAX_HANDLES - 8);
		out_end(p, at);
	} else if (n == 19 && memcmp(name, "statvfs@openssh.com", n) == 0)
		process_statvfs(p, k);
	else
		p->status = FX_OP_UNSUPPORTED;
}

/*
 * Handles one packet (type byte onwards). Sends its reply into the output
 * buffer. Returns 0, or -1 when the client must be dropped.
 */
static int
process_packet(struct proto *p, const unsigned char *data, size_t len)
{
	struct pkt	 k = { data, len, 0, 0 };
	uint8_t		 type;
	size_t		 before = p->outlen;

	type = get_u8(&k);
	p->status = UINT32_MAX;
	p->msg[0] = '\0';
	if (type == FXP_INIT) {
		process_init(p, &k);
		return 0;
	}
	p->id = get_u32(&k);
	if (k.bad)
		return -1;
	if (p->version == 0) {
		log_warnx("user '%s' server '%s': request before init",
		    p->s->user->name, p->s->srv->name);
		return -1;
	}
	switch (type) {
	case FXP_OPEN:		process_open(p, &k); break;
	case FXP_CLOSE:		process_close(p, &k); break;
	case FXP_READ:		process_read(p, &k); break;
	case FXP_WRITE:		process_write(p, &k); break;
	case FXP_LSTAT:		process_stat(p, &k, 0); break;
	case FXP_FSTAT:		process_fstat(p, &k); break;
	case FXP_SETSTAT:	process_setstat(p, &k); break;
	case FXP_FSETSTAT:	process_fsetstat(p, &k); break;
	case FXP_OPENDIR:	process_opendir(p, &k); break;
	case FXP_READDIR:	process_readdir(p, &k); break;
	case FXP_REMOVE:	process_remove(p, &k); break;
	case FXP_MKDIR:		process_mkdir(p, &k); break;
	case FXP_RMDIR:		process_rmdir(p, &k); break;
	case FXP_REALPATH:	process_realpath(p, &k); break;
	case FXP_STAT:		process_stat(p, &k, 1); break;
	case FXP_RENAME:	process_rename(p, &k, 0); break;
	case FXP_READLINK:	process_readlink(p, &k); break;
	case FXP_SYMLINK:	process_symlink(p, &k); break;
	case FXP_EXTENDED:	process_extended(p, &k); break;
	default:
		p->status = FX_OP_UNSUPPORTED;
		break;
	}
	if (p->outlen == before) {
		if (p->status == UINT32_MAX)
			p->status = FX_FAILURE;
		send_status(p, p->status, p->msg);
	}
	return 0;
}

/*
 * Serves SFTP on the channel chan for session s until the client closes
 * it, stays idle for s->idle_ms or breaks the protocol. Closes every
 * handle before it returns. Returns 0, or -1 after an error.
 */
int
sftpd_proto_serve(struct sftpd_sess *s, void *chan)
{
	struct proto	*p;
	unsigned char	*in;
	size_t		 start = 0, end = 0;
	uint32_t	 plen;
	uint64_t	 idle = 0;
	int		 n, rc = -1, i;

	p = xcalloc(1, sizeof(*p));
	p->s = s;
	p->chan = chan;
	in = xmalloc(INBUF_SIZE);
	for (;;) {
		if (end - start >= 4) {
			plen = (uint32_t)in[start] << 24 |
			    (uint32_t)in[start + 1] << 16 |
			    (uint32_t)in[start + 2] << 8 | in[start + 3];
			if (plen < 1 || plen > MAX_PACKET + 1024) {
				log_warnx("user '%s' server '%s': bad packet "
				    "length %u", s->user->name, s->srv->name,
				    plen);
				goto done;
			}
			if (end - start >= 4 + (size_t)plen) {
				if (process_packet(p, in + start + 4,
				    plen) == -1)
					goto done;
				start += 4 + plen;
				if (p->outlen >= OUT_FLUSH &&
				    out_flush(p) == -1)
					goto done;
				continue;
			}
		}
		if (out_flush(p) == -1)
			goto done;
		if (start > 0) {
			memmove(in, in + start, end - start);
			end -= start;
			start = 0;
		}
		n = ssh_channel_read_timeout(chan, in + end,
		    (uint32_t)(INBUF_SIZE - end), 0, 1000);
		if (n == SSH_ERROR)
			goto done;
		if (n > 0) {
			end += (size_t)n;
			idle = 0;
			continue;
		}
		if (ssh_channel_is_eof(chan) || !ssh_channel_is_open(chan)) {
			rc = 0;
			goto done;
		}
		idle += 1000;
		if (s->idle_ms > 0 && idle >= (uint64_t)s->idle_ms) {
			log_info("user '%s' server '%s' from %s: idle for "
			    "%d s, closing", s->user->name, s->srv->name,
			    s->addr, s->idle_ms / 1000);
			rc = 0;
			goto done;
		}
	}
done:
	for (i = 0; i < MAX_HANDLES; i++)
		if (p->h[i].kind != 0)
			handle_close(p, &p->h[i]);
	free(p->out);
	free(p);
	free(in);
	return rc;
}
