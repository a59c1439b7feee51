/*
 * recon_int.h: what the reconciler's files (recon.c, recon_pass.c,
 * recon_work.c, recon_usage.c, recon_status.c) share and nobody else
 * uses: the server table and its snapshots, the worker context, the
 * change notes and the functions each file offers the others. Locking
 * follows recon.h: everything in struct recon and struct rsrv is guarded
 * by recon.mtx unless said otherwise.
 */
#ifndef ROOST_RECON_INT_H
#define ROOST_RECON_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apply.h"
#include "buf.h"
#include "docker.h"
#include "ev.h"
#include "plan.h"
#include "recon.h"
#include "xmalloc.h"

struct cspec;
struct rerr;
struct egg;
struct state_server;

#define CRASH_KEEP	32
#define DISK_MAX_ENTRIES	2000000

enum rop {
	OP_NONE,
	OP_PULL,
	OP_INSTALL,
	OP_STOP
};

/* What a server should be, frozen from one revision; refcounted. */
struct rsnap {
	int			 refs;
	struct state_server	*srv;
	struct cspec		*cs;
	char			*blob_id;
	char			*egg_fp;	/* fingerprint of the egg */
	char			*node_fp;
	char			*revision;
	char			**done;
	size_t			 ndone;
	int			 stop_kind;
	char			*stop_signal;	/* "SIGINT" */
	char			*stop_command;
	char			*install_image;
	char			*install_entry;
	char			*install_script;
	struct egg		*egg;		/* a copy, when it edits files */
};

/* One server known to this node. */
struct rsrv {
	char		*name;
	struct rsnap	*snap;		/* last good spec; NULL: none */
	int		 in_tree;
	int		 invalid;
	char		*invalid_msg;
	int		 prune;

	int		 queued;
	int		 busy;

	enum rop	 op;
	uint64_t	 op_deadline;
	int		 op_escalated;
	char		*op_reason;	/* why it stops */
	char		*install_for;	/* reinstallAt being installed */
	int		 stopping;
	int		 expect_exit;	/* a typed stop command: not a crash */
	int		 restart_wanted; /* recon_restart: stop, then start */

	int		 installed;
	char		*installed_for;
	int		 install_failed;
	int		 install_exit;
	char		*install_result;
	char		*install_log;
	char		*install_cid;	/* installer whose output is followed */
	struct buf	 install_out;	/* its last lines, as they came */
	int		 install_eof;	/* its output has ended */
	char		 install_at[32];

	uint64_t	 crash_t[CRASH_KEEP];
	int		 ncrash;
	int		 restarts;
	uint64_t	 backoff_until;
	int		 crashloop;
	char		*last_finished;

	int		 bk_hold;	/* enum backup_hold: a restore's */
	int		 move_out;	/* moving away: stop, send, prune */
	int		 move_sent;	/* ... its data was sent */
	int		 tr_hold;	/* moving here: waits for its data */
	int		 tr_poll;	/* recon_tick queues it every 2 s */
	uint64_t	 tr_poll_at;
	char		*tr_restore_id;	/* the restore of its final backup */
	char		*tr_restore_at;
	int		 disk_over;
	int64_t		 disk_bytes;
	uint64_t	 disk_at;

	int		 have_usage;
	struct docker_stats usage;

	char		*adopted_cid;
	char		*done_cid;	/* container whose done string we saw */
	char		*apply_error;
	uint64_t	 retry_at;
	int		 nfail;

	/* observed container, for the status */
	int		 have_c;
	char		*cid;
	char		 cstate[16];
	int		 crunning;
	int		 exit_code;
	int		 oom;
	char		*started_at;
	char		*c_hash;

	/* status */
	char		 phase[16];
	int		 ready;
	const char	*reason;
	char		*message;
	char		 ltt[32];
	char		*observed_rev;
	char		*applied_rev;
	char		*sig;		/* last status signature notified */
};

struct recon {
	struct recon_conf	 conf;
	char			*label;		/* roost.node=<node> */
	char			*tz;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;		/* queue and idle */

	struct rsrv		**v;
	size_t			 n;

	char			**queue;
	size_t			 qhead, qlen, qcap;
	int			 nbusy;
	int			 quit;

	pthread_t		*workers;
	int			 nworkers;
	pthread_t		 sampler;
	int			 sampler_on;

	struct dcache		*dc;
	int			 dc_started;
	struct docker		*d;		/* caller thread's connection */
	struct runtime		*rt;
	int			 io_weight_ok;
	int			 swap_ok;
	int			 engine_ok;
	uint64_t		 writes;

	char			*revision;
	char			*refused;	/* node status message */
	char			 node_time[32];
	int64_t			 cap_memory, cap_disk, cap_cpu;
	uint64_t		 trash_at;
	struct seal_key		*keys;		/* copies of conf.keys */
	size_t			 nkeys;
};

/* Notifications, always without the lock. */

struct notes {
	char	**names;
	int	 *removed;
	size_t	  n;
};

/* Engine helpers for the worker. */

struct wctx {
	struct recon		*r;
	struct apply_ctx	 a;
	const char		*server;
};

/* Replaces *dst with a copy of src (NULL allowed) unless equal. */
static inline void
set_str(char **dst, const char *src)
{
	if (*dst != NULL && src != NULL && strcmp(*dst, src) == 0)
		return;
	free(*dst);
	*dst = src != NULL ? xstrdup(src) : NULL;
}

/* Equal strings, NULL being "". */
static inline int
str_eq(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* recon.c */
void	snap_unref(struct rsnap *s);
struct rsrv *recon_find(struct recon *r, const char *name);
struct rsrv *recon_get(struct recon *r, const char *name);
void	recon_drop(struct recon *r, struct rsrv *rs);
void	recon_enqueue_locked(struct recon *r, const char *name);
struct rsrv *recon_dequeue_locked(struct recon *r);
int	recon_engine_setup(struct recon *r, struct rerr *err);
void	recon_crash_clear(struct rsrv *rs);
void	recon_crash_record(struct recon *r, struct rsrv *rs);

/* recon_work.c */
void *recon_worker(void *arg);

/* recon_move.c: moves between nodes (transfer.h) */
int	move_pass_out(struct recon *r, const struct state_server *srv,
	    const char *revision);
void	move_turn_before(struct recon *r, struct rsrv *rs,
	    const struct rsnap *s);
void	move_turn_after(struct recon *r, struct rsrv *rs,
	    const struct rsnap *s, int running);

/* recon_usage.c */
void *recon_sampler(void *arg);

/* recon_pass.c: the planner's inputs, for the pass and the workers */
void	recon_plan_desired(const struct rsrv *rs, const struct rsnap *s,
	    uint64_t now, int in_worker, struct plan_desired *d);
void	recon_plan_observed(struct recon *r, const struct rsrv *rs,
	    const struct rsnap *s, const struct docker_container *c,
	    const char *server, struct plan_observed *o);

/* recon_status.c */
void	notes_add(struct notes *nt, const char *name, int removed);
void	notes_fire(struct recon *r, struct notes *nt);
void	recon_observe(struct rsrv *rs, const struct docker_container *c);
void	recon_derive_notes(struct recon *r, struct rsrv *rs, struct notes *nt);
void	recon_derive(struct recon *r, struct rsrv *rs);

#endif
