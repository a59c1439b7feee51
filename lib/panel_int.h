/*
 * panel_int: what the files of the panel core share (private to
 * lib/panel.c and lib/panel_revert.c): the panel, an edit and what it
 * sees, and panel_apply, which runs an edit. The public face is panel.h.
 */
#ifndef ROOST_PANEL_INT_H
#define ROOST_PANEL_INT_H

#include <stddef.h>

#include "buf.h"
#include "panel.h"

struct panel {
	struct gitstore			*gs;
	char				*branch;
	char				*remote;	/* NULL: no remote */
	char				*committer;
	int				 attempts;
	size_t				 depth;
	struct egg_library		*own_eggs;
	const struct egg_library	*eggs;
	struct state_cache		*cache;
	struct state			*last;		/* the state of the last
							   commit made, to
							   build the next edit
							   on without a load */
};

/* What an edit sees: the old state and text, and where to write. */
struct panel_ctx {
	struct panel		*p;
	struct state		*st;		/* state at the base commit */
	const char		*name;		/* server name */
	const char		*path;		/* servers/<name>.yaml */
	const char		*old;		/* old text, NULL when absent */
	size_t			 oldlen;
	struct buf		*out;		/* new text */
	int			 remove;	/* set: delete the file */
	struct buf		*what;		/* summary of the change */
	struct panel_result	*res;
};

/* Whether an edit's server file must exist before it. */
#define PANEL_NEW	0	/* must not: a create */
#define PANEL_EXISTS	1	/* must */
#define PANEL_EITHER	2	/* may or may not (a revert) */

struct panel_edit {
	const char	*command;	/* "server set" */
	const char	*name;
	int		 must_exist;	/* PANEL_NEW, PANEL_EXISTS, ... */
	int		 (*fn)(struct panel_ctx *, void *, struct rerr *);
	void		*arg;
	const char	*trailer;	/* more "Key: value" lines, or NULL */
	const char	*branch;	/* NULL: the tracked branch; else a new
					   branch made (and pushed) for the
					   commit, which stays off the
					   tracked one (a proposal) */
};

/*
 * Finds the commit an edit builds on (fetching first when there is a
 * remote): the remote's tip when the local branch is behind or equal, the
 * local tip when it is ahead. *local is the local tip ("" when the branch
 * does not exist yet). Returns 0 or an error.
 */
int	panel_base(struct panel *p, char base[GITSTORE_IDLEN],
	    char local[GITSTORE_IDLEN], struct rerr *err);

/*
 * Reads path at rev into out; *has says whether it is there (a missing
 * file is no error). Returns 0 or an error.
 */
int	panel_read_at(struct panel *p, const char *rev, const char *path,
	    struct buf *out, int *has, struct rerr *err);

/*
 * Runs edit e on the branch tip under the writer lock, validates,
 * commits as req->author, pushes, moves the branch; retries on a moved
 * branch. Returns 0 or an error (ROOST_EINVAL: see res->diags).
 */
int	panel_apply(struct panel *p, const struct panel_req *req,
	    const struct panel_edit *e, struct panel_result *res,
	    struct rerr *err);

/*
 * Runs the edit of panel_server_set (vars: panel_server_set_vars) with
 * e->branch = branch and e->trailer = trailer (see struct panel_edit).
 */
int	panel_set_apply(struct panel *p, const struct panel_req *req,
	    const char *name, const char *const *kv, size_t nkv, int vars,
	    const char *branch, const char *trailer,
	    struct panel_result *res, struct rerr *err);

#endif
