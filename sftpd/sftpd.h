/*
 * sftpd: roost's SFTP service. roostd describes every game server's SFTP
 * users in a JSON users file (docs/sftp.md) and runs roost-sftpd, which
 * serves the "sftp" subsystem only, one process per session, each session
 * sandboxed beneath its server's directory.
 *
 * The first part of this header is the interface roostd uses (the users
 * file types and sftpd_users_write); the rest is shared by the sftpd*.c
 * modules of roost-sftpd and is not for other callers.
 */
#ifndef ROOST_SFTPD_H
#define ROOST_SFTPD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct rerr;

/* Permission bits of one SFTP user. */
#define SFTPD_PERM_READ		0x1	/* list, stat, download */
#define SFTPD_PERM_WRITE	0x2	/* upload, mkdir, rename, chmod, ln */
#define SFTPD_PERM_DELETE	0x4	/* remove, rmdir, rename over a file */

/* One SFTP user of a server; strings are borrowed by the writer. */
struct sftpd_user {
	const char	 *name;		/* the login is name.server */
	const char	 *password;	/* crypt(3) hash, or NULL */
	const char	**keys;		/* OpenSSH public key lines */
	size_t		  nkeys;
	int		  perms;	/* SFTPD_PERM_* */
};

/* One game server served over SFTP; strings are borrowed by the writer. */
struct sftpd_server {
	const char	 *name;		/* the server's name */
	const char	 *root;		/* absolute path of its files */
	uid_t		  uid;		/* sessions run as uid:gid */
	gid_t		  gid;
	uint64_t	  disk_limit_mib;	/* 0: unlimited */
	const char	**denylist;	/* the egg's, gitignore-style */
	size_t		  ndenylist;
	const char	 *backups;	/* its backups on a local target
					   (shown as /.backups), or NULL */
	struct sftpd_user *users;
	size_t		  nusers;
};

/*
 * Writes the users file at path atomically (temporary file, fsync,
 * rename; mode 0600) from n servers. Nothing is taken over or freed.
 * roost-sftpd picks the new file up within a second. Returns 0, or
 * ROOST_EINVAL (a name, root or key that cannot be served) or -1 with
 * the message in err.
 */
int	sftpd_users_write(const char *path, const struct sftpd_server *servers,
	    size_t n, struct rerr *err);

/* ---- roost-sftpd internals below ---- */

/* A parsed users file; owns all of its strings. */
struct sftpd_config {
	struct sftpd_server	*servers;
	size_t			 nservers;
};

/* sftpd_users.c */
/*
 * Reads and checks the users file at path into a new config (*out, freed
 * with sftpd_config_free). Returns 0, ROOST_ENOTFOUND, ROOST_EINVAL or -1.
 */
int	sftpd_config_load(struct sftpd_config **out, const char *path,
	    struct rerr *err);
/* Frees a config from sftpd_config_load; takes NULL. */
void	sftpd_config_free(struct sftpd_config *);
/*
 * Splits login "user.server" (at the last dot) and finds both in cfg.
 * Returns 0 with the borrowed entries in *srv and *user, or -1.
 */
int	sftpd_config_find(const struct sftpd_config *cfg, const char *login,
	    const struct sftpd_server **srv, const struct sftpd_user **user);
/*
 * Says whether a session of login, authorised under old, may go on under
 * cfg: the user and server still exist with the same root, ids,
 * permissions, limit and denylist. Returns 1 or 0.
 */
int	sftpd_config_still_valid(const struct sftpd_config *cfg,
	    const struct sftpd_config *old, const char *login);

/* sftpd_auth.c */
/* Checks password against a crypt(3) hash in constant time; 1 or 0. */
int	sftpd_auth_password(const char *hash, const char *password);
/*
 * Says whether one of the OpenSSH public key lines in keys is the key
 * given as its type name and base64 blob; returns 1 or 0.
 */
int	sftpd_auth_key_listed(const char **keys, size_t nkeys,
	    const char *type, const char *b64);

/* Failed-login throttling, kept by the listening process. */
struct sftpd_throttle;
struct sftpd_throttle *sftpd_throttle_new(uint64_t base_delay_ms,
	    uint64_t lock_ms);
void	sftpd_throttle_free(struct sftpd_throttle *);
/*
 * Returns the delay in milliseconds to wait before checking a login of
 * key (an address or a login name), or -1 while key is locked.
 */
int64_t	sftpd_throttle_check(struct sftpd_throttle *, const char *key,
	    uint64_t now_ms);
/* Records a failure (ok == 0) or a success (ok == 1) of key. */
void	sftpd_throttle_note(struct sftpd_throttle *, const char *key, int ok,
	    uint64_t now_ms);

/*
 * OpenSSH's MaxStartups "begin:rate:full" for connections not logged in:
 * below begin none is dropped, from full every one is, in between each
 * new one with a probability rising linearly from rate % to 100 %.
 */
struct sftpd_startups {
	int	 begin;
	int	 rate;
	int	 full;
};
/*
 * Parses "begin:rate:full" (or "full" alone: no early drop) into out;
 * 1 <= begin <= full <= 100000, 0 <= rate <= 100. Returns 0 or -1.
 */
int	sftpd_startups_parse(const char *s, struct sftpd_startups *out);
/*
 * Says whether a new connection is dropped while npre connections are
 * not logged in; r is a uniform random number below 100. Returns 1 or 0.
 */
int	sftpd_startups_drop(const struct sftpd_startups *m, int npre,
	    unsigned int r);
/*
 * Writes the source a per-source cap counts a connection against into
 * out: the IPv4 address (IPv4-mapped IPv6 included) or the /64 prefix of
 * an IPv6 address, which one host usually holds whole.
 */
void	sftpd_source_key(const void *sa, size_t salen, char *out,
	    size_t outlen);

/* sftpd_match.c */
/*
 * Says whether the root-relative path (no leading slash; "" is the root)
 * is denied by the gitignore-style patterns; a path beneath a denied
 * directory is denied too, "!" re-allows. Returns 1 or 0.
 */
int	sftpd_match_denied(const char **patterns, size_t n, const char *path,
	    int is_dir);
/*
 * Says whether an anchored pattern (one with a slash inside) could deny
 * a path beneath the directory path that a rename of path, or a symlink
 * made at path, would move out of its reach. Returns 1 or 0.
 */
int	sftpd_match_covers(const char **patterns, size_t n, const char *path);

/* Disk usage of one server, shared by all of its sessions. */
struct sftpd_usage {
	char		 server[64];
	int64_t		 used;		/* bytes, apparent size */
	int		 state;		/* SFTPD_USAGE_* */
	int		 refs;		/* sessions (listener only) */
};
#define SFTPD_USAGE_UNKNOWN	0
#define SFTPD_USAGE_WALKING	1
#define SFTPD_USAGE_VALID	2
#define SFTPD_USAGE_SLOTS	512

/* What a session child knows about its session. */
struct sftpd_sess {
	const struct sftpd_server *srv;
	const struct sftpd_user	*user;
	char			 login[160];
	char			 addr[64];
	int			 rootfd;	/* O_PATH fd of the root */
	struct sftpd_usage	*usage;		/* shared; NULL: no limit */
	int64_t			 limit;		/* bytes; 0: unlimited */
	int			 idle_ms;	/* 0: none */
	struct sftpd_bkview	*bk;		/* /.backups, or NULL */
};

/* sftpd_backups.c: the read-only /.backups view of a session */
struct stat;
struct sftpd_bkview;
/*
 * Opens every finished backup (<id>.tar.zst and <id>.json) in dir, the
 * newest 64, while the session may still read them; a missing dir (or
 * NULL) is an empty view. Never NULL.
 */
struct sftpd_bkview *sftpd_bk_open(const char *dir);
/* Closes the view's files and frees it; takes NULL. */
void	sftpd_bk_free(struct sftpd_bkview *v);
/* The number of files in the view. */
size_t	sftpd_bk_count(const struct sftpd_bkview *v);
/* The name of file i (newest first) and its stat (mode 0444); or NULL. */
const char *sftpd_bk_entry(const struct sftpd_bkview *v, size_t i,
	    struct stat *st);
/* The stat of the /.backups directory itself (mode 0555). */
void	sftpd_bk_dirstat(const struct sftpd_bkview *v, struct stat *st);
/* The index of name in the view with its stat, or -1 (ENOENT). */
int	sftpd_bk_find(const struct sftpd_bkview *v, const char *name,
	    struct stat *st);
/* A new read-only fd of name, or -1 (errno). */
int	sftpd_bk_dup(const struct sftpd_bkview *v, const char *name);

/* sftpd_fs.c */
/* Cleans a client path into a root-relative one; 0 or -1 (errno). */
int	sftpd_fs_clean(const char *in, size_t len, char *out, size_t outlen);
/* Opens rel beneath the root (openat2); the fd or -1 (errno). */
int	sftpd_fs_open(struct sftpd_sess *s, const char *rel, int flags,
	    mode_t mode);
/* Opens the parent directory of rel beneath the root; fd or -1 (errno). */
int	sftpd_fs_parent(struct sftpd_sess *s, const char *rel,
	    const char **base);
/*
 * Writes the root-relative path the kernel has for the open fd (with
 * "/base" appended unless base is NULL) into out; 0 or -1 (errno).
 */
int	sftpd_fs_where(struct sftpd_sess *s, int fd, const char *base,
	    char *out, size_t outlen);
/* Opens a server root after checking for openat2; fd or -1 (errno). */
int	sftpd_fs_open_root(const char *root);
/*
 * Counts the apparent size of the regular files beneath rootfd into the
 * shared usage of s unless another session has done it. Returns 0 or -1.
 */
int	sftpd_fs_usage_init(struct sftpd_sess *s);
/* Reserves bytes of the disk limit; 0, or -1 when it would be passed. */
int	sftpd_fs_usage_reserve(struct sftpd_sess *s, int64_t grow);
/* Gives bytes back to the disk limit. */
void	sftpd_fs_usage_release(struct sftpd_sess *s, int64_t bytes);

/* sftpd_proto.c */
/*
 * Serves SFTP version 3 on chan (an ssh_channel) for s until the client
 * closes it, the session is idle too long or it fails. Returns 0 or -1.
 */
int	sftpd_proto_serve(struct sftpd_sess *s, void *chan);

/* sftpd_session.c */
struct sftpd_listener;
/*
 * Runs one session on the accepted socket fd in a forked child: key
 * exchange, authentication (asking the listener on ipc about throttling
 * and the session cap), the sftp subsystem, SFTP. bind is the ssh_bind
 * with the host key; a connection not logged in after grace_secs is
 * closed. Never returns.
 */
void	sftpd_session_run(void *bind, int fd, int ipc,
	    const struct sftpd_config *cfg, const char *addr, int grace_secs,
	    int idle_ms, struct sftpd_usage *usage)
	    __attribute__((__noreturn__));

/* Messages between a session child and the listener (SOCK_SEQPACKET). */
#define SFTPD_MSG_AUTH_ASK	1	/* child: may login/addr try now? */
#define SFTPD_MSG_AUTH_FAIL	2	/* child: login/addr failed */
#define SFTPD_MSG_AUTH_OK	3	/* child: login authenticated */
#define SFTPD_MSG_DELAY		4	/* listener: value = ms, -1 locked */
#define SFTPD_MSG_GRANT		5	/* listener: slot, -1 none, -2 full */
struct sftpd_msg {
	int		 type;
	int		 value;
	char		 login[160];
	char		 addr[64];
};

#endif
