/*
 * sync: keeping roostd's view of the state repository current. For a
 * local repository it reads the branch straight from that repository's
 * objects and watches its refs with inotify; for a URL (file://, ssh://,
 * https://) it keeps a bare mirror under dataDir and fetches into it.
 * Either way desired state is read from commit objects, never from a
 * work tree, and a parsed-file cache keeps unchanged blobs from being
 * parsed again.
 */
#ifndef ROOSTD_SYNC_H
#define ROOSTD_SYNC_H

struct conf;
struct egg_library;
struct rerr;
struct state;

struct sync;

/* Prepares syncing for c (borrowed for the call). Returns 0 or -1. */
int	sync_open(struct sync **out, const struct conf *c,
	    const struct egg_library *builtin, struct rerr *err);
void	sync_free(struct sync *);

/*
 * Fetches (for a URL) and resolves the branch tip. When the tip differs
 * from the last one returned, loads the state at the tip into *st (owned
 * by the caller) and returns 1; returns 0 when nothing changed. A tip that
 * does not descend from the last applied one is refused with
 * ROOST_ECONFLICT unless allow_rewrite; errors return -1. In every
 * failure case the caller keeps serving the last good revision.
 */
int	sync_fetch(struct sync *, int allow_rewrite, struct state **st,
	    struct rerr *err);
/* The revision last returned by sync_fetch (or NULL); borrowed. */
const char *sync_revision(const struct sync *);
/* Marks rev as applied, the base of the next fast-forward check. */
void	sync_applied(struct sync *, const char *rev);
/*
 * An inotify fd that becomes readable when the local repository's refs
 * change, or -1 for remote repositories. sync_watch_drain consumes the
 * events (re-adding watches after an overflow) and returns 1 when they
 * may have moved the branch, 0 when they cannot have.
 */
int	sync_watch_fd(const struct sync *);
int	sync_watch_drain(struct sync *);

#endif
