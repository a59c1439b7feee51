/*
 * recon: the reconciler of roostd. It converges the Docker containers of
 * one node toward the desired state committed in the state repository and
 * keeps a Flux-like status per game server (docs/status.md).
 *
 * Threading model (docs/reconcile.md has the long version):
 *
 *  - recon_pass and recon_tick are called from one thread, roostd's main
 *    loop. recon_pass never blocks on long work: it copies what it needs
 *    out of the state (the state is borrowed for the call only), plans
 *    desired x observed with the pure planner (plan.h), records the status
 *    and hands each server that has work to do to a worker pool.
 *  - Workers (conf.workers threads, default 4) take one server key at a
 *    time (no two workers hold the same server), observe that server again,
 *    re-plan it and apply the actions through the engine: pull, install,
 *    create, start, live update, stop, remove, prune. Work that waits
 *    (an install container running, a stop waiting for its timeout, a
 *    crash backoff) is not waited for in a worker: it is recorded as an
 *    operation with a deadline that recon_tick or the next event advances.
 *  - One console thread follows the attach streams of the servers'
 *    containers: it keeps the last lines for recon_logs, moves Starting to
 *    Running when an egg "done" string appears, and writes console stop
 *    commands.
 *  - Status lives behind one mutex; recon_status_json copies it out.
 *  - conf.on_change is called from any of these threads, without recon's
 *    lock held, whenever a server's status changed (name) or the node's
 *    status changed (name NULL), or a server was pruned (removed 1). It
 *    must be quick and thread-safe: roostd copies the name and wakes its
 *    loop (ev_wakeup), then reads recon_status_json there.
 *
 * Safety rules: an invalid server file keeps its last good spec; nothing
 * is pruned when the state did not load or this node's file is invalid; a
 * revision that would remove every server of the node is refused unless
 * allowed; pruned servers' data goes to <dataDir>/trash.
 */
#ifndef ROOST_RECON_H
#define ROOST_RECON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct backups;
struct transfers;
struct buf;
struct console;
struct rerr;
struct state;
struct recon;
struct seal_key;

/*
 * Called when status changed: server is the server's name, or NULL for the
 * node's own status; removed is 1 when the server was pruned. Borrowed
 * strings, valid for the call.
 */
typedef void	(*recon_change_cb)(void *arg, const char *server, int removed);

/* Called for long-work progress: kind is "pull", "install" or "start". */
typedef void	(*recon_progress_cb)(void *arg, const char *server,
		    const char *kind, const char *text);

/*
 * Configuration; strings are copied by recon_new. Zero values take the
 * defaults in brackets.
 */
struct recon_conf {
	const char	*node;		/* this node's name (required) */
	const char	*data_dir;	/* [/var/lib/roost] volumes/, trash/ */
	const char	*docker_sock;	/* [$DOCKER_HOST or /var/run/docker.sock] */
	const char	*network;	/* [roost0] bridge network name */
	const char	*subnet;	/* NULL: the engine picks */
	const char	*gateway;	/* NULL: the engine picks */
	int		 uid;		/* [999] container user; -1: 0 */
	int		 gid;		/* [999] */
	int		 allow_empty;	/* a revision may remove every server */
	uint64_t	 trash_retention_ms;	/* [7 days] */
	uint64_t	 stop_timeout_ms;	/* [30 s] then SIGKILL */
	uint64_t	 install_timeout_ms;	/* [30 min] */
	uint64_t	 pull_timeout_ms;	/* [15 min] */
	uint64_t	 backoff_min_ms;	/* [5 s] first crash restart delay */
	uint64_t	 backoff_max_ms;	/* [5 min] */
	int		 crashloop_max;		/* [5] crashes in the window */
	uint64_t	 crashloop_window_ms;	/* [10 min] */
	uint64_t	 disk_interval_ms;	/* [150 s] */
	uint64_t	 usage_interval_ms;	/* [15 s] */
	int		 workers;	/* [4] worker threads */
	int		 tmpfs_mb;	/* [100] size of /tmp in containers */
	const char	*log_max_size;	/* ["5m"] json-file log size */
	int		 log_max_file;	/* [2] */
	const char	*timezone;	/* NULL: $TZ, /etc/timezone, "UTC" */
	const char	*location;	/* [node name] P_SERVER_LOCATION */
	struct console	*console;	/* NULL: one with default bounds */
	struct backups	*backups;	/* NULL: backups and restores are
					   refused; borrowed, must outlive
					   the reconciler (backup.h) */
	const struct seal_key *keys;	/* the node's keys, current first
					   (copied; none: sealed values do
					   not open) */
	size_t		 nkeys;
	struct transfers *transfers;	/* NULL: moves install fresh;
					   borrowed (transfer.h) */
	recon_change_cb	 on_change;
	recon_progress_cb on_progress;
	void		*cb_arg;
};

/*
 * Makes a reconciler for conf (copied). Connects to the engine lazily, so
 * it fails only on bad configuration (no node name) with err set; returns
 * NULL then. The caller frees it with recon_free.
 */
struct recon	*recon_new(const struct recon_conf *conf, struct rerr *err);

/*
 * Frees r: stops the workers and the console thread (containers keep
 * running; operations in flight are abandoned and converge after the next
 * start). Takes NULL.
 */
void		 recon_free(struct recon *r);

/*
 * One reconcile pass of st (borrowed for the call; NULL means the
 * revision could not be read, which changes nothing) at revision (may be
 * NULL). Returns 0 once the work is planned and queued; ROOST_EDENIED when
 * the revision would remove every server of this node and that is not
 * allowed (nothing is pruned, the node status says so); -1 when the engine
 * cannot be listed (err says why; the pass is retried by the caller).
 */
int		 recon_pass(struct recon *r, const struct state *st,
		    const char *revision, struct rerr *err);

/*
 * Advances timers: crash backoff restarts, stop escalation to SIGKILL,
 * install timeouts, usage sampling, disk checks, trash expiry. Call it
 * every second or so from the main loop; it never blocks on the engine
 * (sampling runs in the workers). Returns the number of milliseconds
 * until it next has something to do (at most 1000).
 */
int		 recon_tick(struct recon *r);

/*
 * Waits until no server has queued or running worker jobs (operations
 * that wait for time or events do not count), at most timeout_ms. Returns
 * 0, or ROOST_ETIMEDOUT. roostd uses it to answer "fetched" after the
 * pass a fetch triggered.
 */
int		 recon_wait_idle(struct recon *r, long timeout_ms);

/*
 * Appends the status as JSON to out: name NULL gives {"node":{...},
 * "servers":[...]}, a name gives that server's status object. Returns 0,
 * or ROOST_ENOTFOUND when no server has that name.
 */
int		 recon_status_json(struct recon *r, const char *name,
		    struct buf *out);

/*
 * The same as a cJSON tree the caller owns (cJSON_Delete), for roostd to
 * add its own node fields (fetchError); NULL when name is unknown.
 */
cJSON		*recon_status_tree(struct recon *r, const char *name);

/*
 * Appends the last tail lines (tail <= 0: all kept, up to 1000) of a
 * server's console output to out: the attach stream when roostd follows
 * it, else the engine's log. Returns 0, ROOST_ENOTFOUND or -1.
 */
int		 recon_logs(struct recon *r, const char *name, int tail,
		    struct buf *out, struct rerr *err);

/*
 * Writes a console command line (without "\n") to a running server's
 * stdin; with line NULL only checks that it could. Returns 0,
 * ROOST_ENOTFOUND, ROOST_ECONFLICT when it is not running, or -1. The
 * egg's stop command typed here is a stop, not a crash. Input rules,
 * rate limits and the audit are console_command's (console.h).
 */
int		 recon_command(struct recon *r, const char *name,
		    const char *line, struct rerr *err);

/*
 * Queues server for a worker's turn and tells on_change its status may
 * have changed (the backup module calls it when a job moves on).
 * Unknown names are ignored.
 */
void		 recon_kick(struct recon *r, const char *name);

/*
 * Restarts a running server without a commit (a schedule's restart
 * task): the next turn stops it the way a stop does (the egg's stop
 * command, then the stop timeout's signal) and, since it should run,
 * starts it again. Neither counts as a crash and the crash history is
 * left alone. Returns 0 once queued, ROOST_ENOTFOUND, or ROOST_ECONFLICT
 * when the server does not run (or is stopping).
 */
int		 recon_restart(struct recon *r, const char *name,
		    struct rerr *err);

/* Number of engine write requests (create, start, stop, ...) so far. */
uint64_t	 recon_engine_writes(struct recon *r);

#endif
