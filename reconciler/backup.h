/*
 * backup: backups and restores of game servers on this node, asked for by
 * one-shot requests committed to server files (backupRequestedAt,
 * restore: { backup, requestedAt }) and kept on the targets of
 * roostd.yaml. docs/roostd.md ("Backups") has the long version.
 *
 *  - A backup runs on a thread of its own, never on the reconcile loop or
 *    a worker: it types the policy's `before` lines on the console (when
 *    the server runs), streams the archive from tarz into the target
 *    (store.h: a directory, or an S3 bucket), types the `after` lines,
 *    and has the target publish <id>.tar.zst, then <id>.json (SHA-256,
 *    size, entries, revision, note, time); a backup is listed only once
 *    both exist, so an archive cut short by kill -9 never is. Retention
 *    then keeps the newest `keep` of the server on that target.
 *  - A restore checks the archive's SHA-256 against its record while the
 *    server still runs and changes nothing when it differs. Then it holds
 *    the server stopped (backup_step answers BACKUP_HOLD_STOP, then
 *    BACKUP_HOLD_BUSY), extracts into <dataDir>/restore/<server>.part,
 *    syncs it, renames it to <server>.new, swaps it for
 *    <dataDir>/volumes/<server> by two renames, moves the replaced data
 *    to the trash and lets the server start. backup_new finishes a swap
 *    that kill -9 interrupted (rolling forward from <server>.new), so the
 *    server directory holds the old data or the restored data, never a
 *    mix.
 *  - Handled requests are remembered in <dataDir>/backups/<server>.json
 *    (with the last result of each kind), so a restarted roostd does not
 *    repeat them; a request cut short by a restart is done again.
 *
 * Threading: every function may be called from any thread; one mutex
 * guards the module and is never held while calling out (console,
 * on_change). Callers may hold their own lock around backup_status_json
 * (it does no I/O) but not around the other functions.
 */
#ifndef ROOSTD_BACKUP_H
#define ROOSTD_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct conf_target;
struct console;
struct rerr;
struct state_backups;
struct state_server;

/* Called when a server's backup state changed (re-plan it, new status). */
typedef void	(*backup_change_cb)(void *arg, const char *server);

struct backup_conf {
	const char			*data_dir;
	const struct conf_target	*targets;	/* copied */
	size_t				 ntargets;
	int				 level;		/* zstd, [3] */
	int				 uid;		/* owner of restored data */
	int				 gid;
	struct console			*console;	/* NULL: no lines typed */
	backup_change_cb		 on_change;
	void				*cb_arg;
};

struct backups;

/*
 * Makes the module and finishes restores a kill -9 interrupted (their
 * swap rolled forward, the request recorded). Returns NULL with err set
 * when dataDir cannot be used.
 */
struct backups	*backup_new(const struct backup_conf *conf, struct rerr *err);
/*
 * Starts no more jobs, lets a restore waiting for its server to stop give
 * up (it is done again by the next roostd) and waits for the jobs under
 * way, which may still call on_change meanwhile. Takes NULL.
 */
void		 backup_stop(struct backups *b);
/* backup_stop, then frees b; takes NULL. */
void		 backup_free(struct backups *b);

/* What the reconciler must do with a server while a job needs it. */
enum backup_hold {
	BACKUP_HOLD_NONE,
	BACKUP_HOLD_STOP,	/* a restore waits for it to stop */
	BACKUP_HOLD_BUSY	/* its data is being replaced: touch nothing */
};

/* One server as a reconcile turn sees it (borrowed for the call). */
struct backup_req {
	const char			*server;
	const char			*volume;	/* its data directory */
	const struct state_backups	*policy;	/* defaults applied */
	const char			*backup_at;	/* or NULL */
	const char			*note;		/* or NULL */
	const char			*restore_id;	/* or NULL */
	const char			*restore_at;
	const char			*revision;	/* or NULL */
	uint64_t			 max_bytes;	/* disk limit; 0 none */
	int				 running;	/* its container runs */
};

/*
 * Sets q to srv's request with volume as its data directory: its name,
 * its backups policy and its disk limit; everything else zero.
 */
void	backup_req_init(struct backup_req *q, const struct state_server *srv,
	    const char *volume);

/*
 * Called on every reconcile turn of a server: starts a job for a request
 * not handled yet (the older first when both are pending), lets a
 * restore go on once the server stopped, and refreshes the server's list
 * of backups when its target changed. Returns what the turn must do.
 */
enum backup_hold backup_step(struct backups *b, const struct backup_req *rq);

/* The hold backup_step would answer now, without starting anything. */
enum backup_hold backup_hold(struct backups *b, const char *server);

/*
 * The server's backups for its status (a new object the caller owns):
 * { "target", "targetError", "running": "backup"|"restore"|null,
 *   "lastBackup", "lastRestore", "list": [ { id, time, size, sha256,
 *   entries, revision, note } the newest 50, newest first ], "count" };
 * NULL when the module knows nothing of the server, or the node has no
 * targets and the server never asked for a backup or restore.
 */
cJSON		*backup_status_json(struct backups *b, const char *server);

/*
 * Takes a backup of rq->server now, on the calling thread (a schedule's
 * backup task): rq's backup_at and restore fields are not used and no
 * request is remembered as handled, since this is not a commit. The
 * result becomes the server's lastBackup and the archive is listed like
 * any other. Returns 0 with the backup's id in id (idlen bytes; id may
 * be NULL), ROOST_ECONFLICT when a backup or restore of the server is
 * under way or roostd stops, or another error with err set.
 */
int		 backup_run_now(struct backups *b, const struct backup_req *rq,
		    char *id, size_t idlen, struct rerr *err);

/* Forgets a server that left this node (its archives stay). */
void		 backup_forget(struct backups *b, const char *server);

/* ---- moves between nodes (transfer.c) ---- */

/*
 * The name of the target policy resolves to on this node (its own, else
 * the node's only target; NULL when none: caller frees); *configured says
 * whether this node has a target of that name.
 */
char		*backup_target_of(struct backups *b,
		    const struct state_backups *policy, int *configured);
/*
 * Takes a move's final backup of rq's server on the caller's thread (its
 * backup_at is recorded as requestedAt, its note as note), its record
 * carrying "transfer": transfer (copied). Waits for nothing: a job of the
 * server under way gives ROOST_ECONFLICT. Returns 0 with *id (caller
 * frees) or an error with err set.
 */
int		 backup_transfer_take(struct backups *b,
		    const struct backup_req *rq, const cJSON *transfer,
		    char **id, struct rerr *err);
/*
 * The id of the newest complete backup of server on target whose
 * record's transfer has want's from, to and requestedAt; NULL when none
 * (caller frees).
 */
char		*backup_transfer_find(struct backups *b, const char *target,
		    const char *server, const cJSON *want);
/*
 * The server's move note on target (<target>/<server>/.move.json, never
 * listed as a backup): written atomically when text is set, else read
 * into *out (caller frees). Returns 0, ROOST_ENOTFOUND when there is
 * none (or no such target), or an error with err set.
 */
int		 backup_transfer_note(struct backups *b, const char *target,
		    const char *server, const char *text, char **out,
		    struct rerr *err);

#endif
