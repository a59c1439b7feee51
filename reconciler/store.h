/*
 * store: where a backup target keeps the servers' archives, behind one
 * interface for every kind of target (store_local.c: a directory;
 * store_s3.c: an S3 bucket through lib/s3.c).
 *
 * Both keep, below their root (the directory, or the bucket's prefix),
 * <server>/<id>.tar.zst and its record <id>.json. A backup is listed
 * only when both exist, and the record is always written last, after
 * the archive is complete (renamed into place, or its multipart upload
 * completed), so an archive cut short by kill -9 is never listed.
 *
 *  - Writing is a stream: store_put_begin, store_put_write as often as
 *    needed, store_put_commit (publishes the archive, then its record) or
 *    store_put_abort. No whole archive is ever held in memory (an S3
 *    target holds two upload parts).
 *  - Reading is a stream too: store_get_open gives a descriptor to read
 *    the archive from (the file itself, or a socket an S3 download fills
 *    from a thread of its own); store_get_close says whether every byte
 *    arrived.
 *
 * A struct store may be used by several threads at once; a put or get
 * belongs to the thread that made it.
 */
#ifndef ROOSTD_STORE_H
#define ROOSTD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct conf_target;
struct rerr;
struct store;
struct store_put;
struct store_get;

/* Longest backup id, NUL included. */
#define STORE_ID_MAX	64
/* Largest record (<id>.json) read or written. */
#define STORE_RECORD_MAX	(64 * 1024)

/*
 * What each kind of store does; see the store_* functions below (list
 * gives the ids in any order, store.c sorts them).
 */
struct store_ops {
	int	(*list)(struct store *, const char *, char ***, size_t *,
		    struct rerr *);
	int	(*remove)(struct store *, const char *, const char *,
		    struct rerr *);
	void	(*tidy)(struct store *, const char *);
	int	(*put_begin)(struct store *, const char *, const char *,
		    struct store_put **, struct rerr *);
	int	(*get_open)(struct store *, const char *, const char *,
		    uint64_t, struct store_get **, struct rerr *);
	void	(*free)(struct store *);
	int	(*note_put)(struct store *, const char *, const char *,
		    const char *, size_t, struct rerr *);
	/*
	 * Reads <server>/<name> (at most STORE_RECORD_MAX bytes) into a
	 * new NUL-terminated *out of *len bytes; what names it in errors.
	 * Returns 0, ROOST_ENOTFOUND or -1 with err set.
	 */
	int	(*read_small)(struct store *, const char *, const char *,
		    const char *, char **, size_t *, struct rerr *);
};

/* The part every kind of store starts with. */
struct store {
	const struct store_ops	*ops;
	char			*name;		/* the target's name */
	int			 remote;	/* over the network: list off-turn */
};

/* A stream being written; every kind starts with this. */
struct store_put {
	int	(*write)(struct store_put *, const void *, size_t,
		    struct rerr *);
	int	(*commit)(struct store_put *, const char *, size_t,
		    struct rerr *);
	void	(*abort)(struct store_put *);
};

/* A stream being read; every kind starts with this. */
struct store_get {
	int	(*close)(struct store_get *, struct rerr *);
	int	 fd;
	uint64_t size;		/* of the whole archive */
};

/*
 * Makes the store of a roostd.yaml target. Nothing is contacted yet: an
 * unreachable target fails its operations, not this. Returns NULL with
 * err set when the target's kind is unknown.
 */
struct store	*store_new(const struct conf_target *t, struct rerr *err);
/* Frees a store; takes NULL. */
void		 store_free(struct store *s);

/*
 * The ids of a server's complete backups (record and archive), newest
 * first, into *ids (free with util_strv_free) and *n. A server without
 * any has none (0). Returns 0, or -1 with err set when the target cannot
 * be read.
 */
int	store_list(struct store *s, const char *server, char ***ids,
	    size_t *n, struct rerr *err);
/* The record of one backup (a new object), or NULL with err set. */
cJSON	*store_record(struct store *s, const char *server, const char *id,
	    struct rerr *err);
/* Removes one backup, record first (it is unlisted at once). */
int	 store_remove(struct store *s, const char *server, const char *id,
	    struct rerr *err);
/* Removes what writes cut short left of a server's backups; no errors. */
void	 store_tidy(struct store *s, const char *server);

/*
 * Starts writing backup id of server (an id store_list does not know:
 * see store_new_id). Returns 0 with *out set, or -1 with err set.
 */
int	store_put_begin(struct store *s, const char *server, const char *id,
	    struct store_put **out, struct rerr *err);
/* Adds len bytes to the archive. Returns 0, or -1 with err set. */
int	store_put_write(struct store_put *p, const void *buf, size_t len,
	    struct rerr *err);
/*
 * Finishes the archive, publishes it, then writes its record (len bytes
 * of JSON); frees p. Returns 0, or -1 with err set and nothing listed.
 */
int	store_put_commit(struct store_put *p, const char *record, size_t len,
	    struct rerr *err);
/* Drops what was written; frees p. Takes NULL. */
void	store_put_abort(struct store_put *p);

/*
 * Opens the archive of backup id of server for reading from byte offset
 * on: store_get_fd is read to its end, then store_get_close. Returns 0,
 * ROOST_ENOTFOUND when there is no such archive, or -1, with err set.
 */
int	store_get_open(struct store *s, const char *server, const char *id,
	    uint64_t offset, struct store_get **out, struct rerr *err);
/* The descriptor to read the archive from (blocking reads). */
int	store_get_fd(const struct store_get *g);
/* The archive's whole size in bytes. */
uint64_t store_get_size(const struct store_get *g);
/*
 * Closes a read stream and frees g (takes NULL), also before its end (a
 * reader that stops early is no error). Returns 0, or -1 with err set
 * (the target's error) when the target cut the stream short: the reader
 * then saw an early end of file.
 */
int	store_get_close(struct store_get *g, struct rerr *err);

/*
 * Writes (replaces) a small note of a server beside its backups: name is
 * a dot file (".move.json"), len at most STORE_RECORD_MAX bytes, never
 * listed as a backup. Returns 0, or -1 with err set.
 */
int	store_note_put(struct store *s, const char *server, const char *name,
	    const char *text, size_t len, struct rerr *err);
/*
 * Reads a server's note into a new string (*out). Returns 0,
 * ROOST_ENOTFOUND when there is none, or -1, with err set.
 */
int	store_note_get(struct store *s, const char *server, const char *name,
	    char **out, struct rerr *err);

/*
 * A fresh backup id: the UTC time, 20261202T100000Z, with "-2", "-3"...
 * when one of taken (n ids, as store_list gives) already has it.
 */
void	store_new_id(char *const *taken, size_t n, char id[STORE_ID_MAX]);

/* Makers of each kind (store.c calls them). */
struct store	*store_local_new(const struct conf_target *t, struct rerr *);
struct store	*store_s3_new(const struct conf_target *t, struct rerr *);

#endif
