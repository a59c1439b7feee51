/*
 * apply: the engine and file-system writes of the reconciler, each made
 * idempotent so that a roostd killed at any point converges after a
 * restart: create (a name conflict adopts a container of the same spec or
 * replaces a stale one), remove, image pull when missing, server data
 * directories owned by the container user, and the trash of pruned
 * servers with its expiry.
 *
 * Every engine write made through an apply_ctx is counted, so a test can
 * check that a pass over a converged node writes nothing.
 */
#ifndef ROOST_APPLY_H
#define ROOST_APPLY_H

#include <stdint.h>

#include "docker.h"

struct cspec;
struct rerr;

struct apply_ctx {
	struct docker	*d;		/* this thread's engine connection */
	uint64_t	*writes;	/* counter of engine writes (atomic) */
	long		 pull_timeout_ms;
	void		(*progress)(void *arg, const char *text);
	void		*progress_arg;
};

/* Counts one engine write on ctx. */
void	apply_count(struct apply_ctx *ctx);

/*
 * Makes sure cs's image is local, pulling it when it is not (unless the
 * image is marked local-only), with progress lines to ctx->progress.
 * Sets *pulled when it pulled. Returns 0, ROOST_ENOTFOUND or -1.
 */
int	apply_image_ensure(struct apply_ctx *ctx, const char *image,
	    int local_only, int *pulled, struct rerr *err);

/*
 * Creates cs's container under its name and stores its id in *id (caller
 * frees). A container already holding the name is adopted when it carries
 * cs's spec hash and node, removed and replaced when it is another spec
 * of this node, and left alone when it is not this node's (another node
 * on the same engine, or a container roost does not manage): that is
 * ROOST_EEXISTS with a message saying whose it is. *adopted tells an
 * adopted container from a new one. Returns 0, that, or an engine error
 * (ROOST_ECONFLICT when the name stays taken; ROOST_ENOTFOUND when, for
 * one, the image is not on this node: see apply_image_ensure).
 */
int	apply_create(struct apply_ctx *ctx, const struct cspec *cs,
	    const char *node, char **id, int *adopted, struct rerr *err);

/* Removes a container (forced); a missing one is not an error. */
int	apply_remove(struct apply_ctx *ctx, const char *ref, struct rerr *err);

/*
 * Creates dir (and parents) owned by uid:gid, mode 0750, when missing.
 * Returns 0 or -1.
 */
int	apply_dir_ensure(const char *dir, int uid, int gid, struct rerr *err);

/*
 * Moves <data_dir>/volumes/<server> to <data_dir>/trash/<server>-<UTC
 * time> and stores that path in *moved (caller frees; NULL when there was
 * no data). Returns 0 or -1.
 */
int	apply_trash_move(const char *data_dir, const char *server,
	    char **moved, struct rerr *err);

/*
 * Moves src (a directory of data_dir's file system) to
 * <data_dir>/trash/<label>-<UTC stamp>, where trash expiry finds it; *moved
 * gets the new path (owned), or NULL when src did not exist. Returns 0 or
 * -1 with err set.
 */
int	apply_trash_put(const char *data_dir, const char *src,
	    const char *label, char **moved, struct rerr *err);
/*
 * Deletes trash entries older than retention_ms (by the time in their
 * name). Returns how many were deleted, or -1 with err set.
 */
int	apply_trash_expire(const char *data_dir, uint64_t retention_ms,
	    struct rerr *err);

/* Removes a directory tree (no symlinks followed). Returns 0 or -1. */
int	apply_rmtree(const char *path, struct rerr *err);

#endif
