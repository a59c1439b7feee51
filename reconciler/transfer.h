/*
 * transfer: moving a server between nodes through a backup target both
 * nodes have (docs/roostd.md, "Moving a server"). The server file says
 * node: NEW and move: { from: OLD, requestedAt: T }.
 *
 *  - The old node stops the server, takes a final backup whose record
 *    carries "transfer": { from, to, requestedAt, revision } (a thread of
 *    this module, through backup_transfer_take), then lets the reconciler
 *    prune it (container removed, data to the trash). Its progress is
 *    written to the target as the server's move note (working, sent,
 *    nothing when it never had the server's data, failed with a message;
 *    rewritten every TRANSFER_BEAT_S while it works).
 *  - The new node holds the server (status Transferring) while it waits
 *    for that archive, restores it through backup.c's restore (checksum
 *    first, staging, atomic swap), records the install as done and lets
 *    the server start. It installs fresh instead when it has no target of
 *    the server's target name, when the old node's note says it had no
 *    data, when the restore fails, or when nothing was heard of the old
 *    node for TRANSFER_WAIT_S.
 *  - Both sides keep their progress in <dataDir>/transfers/<server>.json,
 *    so a restarted roostd goes on where it was (a backup cut short is
 *    taken again; a restore cut short is finished by backup_new).
 *
 * Threading: every function may be called from any thread; the module's
 * mutex is never held while calling out.
 */
#ifndef ROOSTD_TRANSFER_H
#define ROOSTD_TRANSFER_H

#include <cjson/cJSON.h>

#define TRANSFER_WAIT_S	1800	/* silence of the old node before giving up */
#define TRANSFER_BEAT_S	20	/* the old node's note while it works */

struct backups;
struct backup_req;
struct rerr;
struct state_backups;

/* Called when a transfer moved on (re-plan the server). */
typedef void	(*transfer_change_cb)(void *arg, const char *server);

struct transfer_conf {
	const char		*data_dir;
	const char		*node;		/* this node */
	struct backups		*backups;	/* borrowed */
	transfer_change_cb	 on_change;
	void			*cb_arg;
};

struct transfers;

/* Makes the module; NULL with err set when dataDir cannot be used. */
struct transfers *transfer_new(const struct transfer_conf *conf,
		    struct rerr *err);
/* Waits for the old-node threads under way, then frees; takes NULL. */
void		 transfer_free(struct transfers *t);

/* One move as the server file states it (borrowed). */
struct transfer_move {
	const char			*server;
	const char			*from;
	const char			*to;
	const char			*at;		/* move.requestedAt */
	const char			*revision;	/* or NULL */
	const struct state_backups	*policy;
};

/* ---- the old node ---- */

enum transfer_out {
	TRANSFER_OUT_NONE,	/* not started (or cut short: again) */
	TRANSFER_OUT_RUNNING,	/* the final backup is being taken */
	TRANSFER_OUT_FAILED,	/* failed; tried again after a delay */
	TRANSFER_OUT_SENT	/* sent, or nothing to send: prune */
};

/*
 * Where the move stands on the old node; *retry is set when a failed
 * attempt may be made again now.
 */
enum transfer_out transfer_out_state(struct transfers *t,
		    const struct transfer_move *m, int *retry);
/*
 * Starts the old node's side on a thread of its own: with rq (the server
 * stopped, rq->volume its data) the final backup, without (NULL) a note
 * that this node never had the server's data. Does nothing when it is
 * under way or done.
 */
void		 transfer_out_start(struct transfers *t,
		    const struct transfer_move *m, const struct backup_req *rq);

/* ---- the new node ---- */

enum transfer_in {
	TRANSFER_IN_NONE,	/* nothing to wait for: run as usual */
	TRANSFER_IN_WAIT,	/* hold: the archive has not arrived */
	TRANSFER_IN_RESTORE	/* hold: restore *id, asked for as *at */
};

/*
 * The new node's side of move m, called on each reconcile turn of the
 * server (it reads the target): decides, finds the archive, follows the
 * restore and, once it succeeded, writes the install marker for
 * reinstall_at (NULL: "") so the egg's installer does not run over the
 * data. For TRANSFER_IN_RESTORE *id and *at are set (caller frees) for
 * backup_step's restore request.
 */
enum transfer_in transfer_in_step(struct transfers *t,
		    const struct transfer_move *m, const char *reinstall_at,
		    char **id, char **at);

/* ---- status ---- */

/*
 * The server's transfer for its status (a new object), or NULL: { "from",
 * "to", "requestedAt", "direction": "in"|"out", "state", "backup",
 * "target", "message" }.
 */
cJSON		*transfer_status_json(struct transfers *t, const char *server);
/* One line for the status message while it transfers, or NULL. */
char		*transfer_message(struct transfers *t, const char *server);

#endif
