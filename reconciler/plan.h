/*
 * plan: the pure planner of the reconciler. It compares the desired
 * servers of one node with the containers observed on it and returns the
 * ordered actions that converge them. No I/O: everything it needs comes in
 * the two tables, so it is unit-tested as tables of desired x observed ->
 * actions (tests/unit/test_plan.c).
 *
 * Safety rules it enforces:
 *  - a server whose file is invalid is planned from its last good spec
 *    (desired.invalid), or, when there is none, left as it is (spec_hash
 *    NULL): never pruned;
 *  - nothing is pruned unless the tree is valid (input.tree_valid);
 *  - a tree that would prune every container of the node while keeping no
 *    server is refused unless input.allow_empty (result.refused_empty);
 *  - a server moving to another node (desired.move_out) is stopped and
 *    nothing else; it is pruned (container removed, data to the trash)
 *    only once its data was sent (desired.move_sent); one moving here
 *    (hold PLAN_HOLD_TRANSFER) is not installed, created or started
 *    before its data arrived;
 *  - one-shot requests (restartedAt, reinstallAt) are done when their value
 *    differs from the one recorded in the container's labels (and, for
 *    installs, in the install marker), so they happen once.
 */
#ifndef ROOST_PLAN_H
#define ROOST_PLAN_H

#include <stddef.h>
#include <stdint.h>

/* Limits as the engine applies them (bytes, quota µs); 0: not set. */
struct plan_limits {
	int64_t	memory;
	int64_t	memory_swap;
	int64_t	cpu_quota;	/* 0: unlimited */
	int64_t	pids;
	int	io_weight;	/* 0: not managed */
};

/* Why a server must not be started right now (desired.hold). */
enum plan_hold {
	PLAN_HOLD_NONE,
	PLAN_HOLD_BACKOFF,	/* crash backoff delay not over */
	PLAN_HOLD_CRASHLOOP,	/* too many crashes; needs a new spec/restart */
	PLAN_HOLD_INSTALL_FAILED,
	PLAN_HOLD_DISK,		/* over its disk limit */
	PLAN_HOLD_BUSY,		/* an operation (install, stop) is under way */
	PLAN_HOLD_TRANSFER	/* waits for its data from the node it moves
				   from: nothing installed, created or started;
				   a container found is stopped */
};

struct plan_desired {
	const char		*name;
	const char		*spec_hash;	/* NULL: unknown, leave alone */
	struct plan_limits	 limits;
	int			 running;	/* desired state */
	const char		*restarted_at;	/* NULL: none */
	const char		*reinstall_at;	/* NULL: none */
	int			 has_install;	/* the egg has a script */
	int			 installed;	/* install marker present */
	const char		*installed_for;	/* reinstallAt the marker
						   satisfied ("" first) */
	int			 invalid;	/* file invalid: last good spec */
	enum plan_hold		 hold;
	int			 move_out;	/* moves to another node: stop it,
						   send its data, then prune */
	int			 move_sent;	/* its data was sent (or there
						   was none to send) */
};

struct plan_observed {
	const char		*server;	/* roost.server label */
	const char		*id;
	const char		*name;		/* container name */
	const char		*spec_hash;	/* roost.spec-hash label */
	const char		*restarted_at;	/* roost.restarted-at ("") */
	const char		*reinstall_at;	/* roost.reinstall-at ("") */
	struct plan_limits	 limits;
	int			 running;
	int			 stopping;	/* roost is stopping it */
	int			 adopted;	/* recon already follows it */
};

struct plan_input {
	const struct plan_desired	*desired;	/* sorted by name */
	size_t				 ndesired;
	const struct plan_observed	*observed;
	size_t				 nobserved;
	int				 tree_valid;
	int				 allow_empty;
};

enum plan_kind {
	PLAN_PRUNE,	/* remove the container, data to trash */
	PLAN_REMOVE,	/* remove a duplicate container (keep the data) */
	PLAN_STOP,	/* stop (egg stop, then SIGKILL after the timeout) */
	PLAN_INSTALL,	/* run the installer (first create or reinstall) */
	PLAN_CREATE,	/* create the container (pull the image if needed) */
	PLAN_RECREATE,	/* spec changed: stop, remove, create */
	PLAN_RESTART,	/* a new restartedAt: stop, remove, create */
	PLAN_UPDATE,	/* limits only: live update, no restart */
	PLAN_START,
	PLAN_ADOPT	/* take over a container found running or stopped */
};

struct plan_action {
	enum plan_kind	 kind;
	const char	*server;	/* borrowed from the input */
	const char	*container;	/* id, or NULL (borrowed) */
	const char	*reason;	/* static text */
};

struct plan_result {
	struct plan_action	*v;
	size_t			 n;
	size_t			 cap;
	int			 refused_empty;	/* see the safety rules */
};

/*
 * Plans in into res (initialised here; plan_result_dispose frees it).
 * Actions are ordered: prunes first (they free ports), then per server in
 * name order its steps in the order they must run (a duplicate container's
 * removal comes first among them).
 */
void		 plan_make(const struct plan_input *in, struct plan_result *res);
void		 plan_result_dispose(struct plan_result *res);
/* Short lowercase name of an action kind ("create"). */
const char	*plan_kind_str(enum plan_kind k);
/*
 * How strongly a container with spec hash have (NULL: none), running or
 * not, represents a server wanting spec hash want: the desired spec
 * counts most, then running. Of a server's containers the first with the
 * highest score is kept and the others are duplicates; the worker's view
 * of the container cache makes the same choice.
 */
int		 plan_container_score(const char *want, const char *have,
		    int running);
/* True when the limits differ in a way a live update must apply. */
int		 plan_limits_differ(const struct plan_limits *want,
		    const struct plan_limits *have);

#endif
