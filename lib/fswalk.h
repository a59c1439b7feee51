/*
 * fswalk: an iterative walk of a directory tree that never follows a
 * symbolic link and holds a bounded number of descriptors however deep
 * the tree is. Used where roost looks at files a game server or an egg
 * script controls (disk usage, the installer's clean-up).
 */
#ifndef ROOST_FSWALK_H
#define ROOST_FSWALK_H

#include <stdint.h>
#include <sys/stat.h>

/* Directory descriptors kept open at most (plus two in passing). */
#define FSWALK_MAX_FDS	16

/*
 * Called for every entry below the root (not the root itself), with the
 * descriptor of its directory, its name there and its lstat. Returns 0
 * to go on (and descend into a directory), 1 not to descend into this
 * directory, -1 to stop the walk. The callback may unlink or change the
 * entry; it must not close dirfd.
 */
typedef int	(*fswalk_fn)(int dirfd, const char *name,
		    const struct stat *sb, int depth, void *arg);

/*
 * Walks the tree below the directory rootfd (not closed), visiting at most
 * max_entries entries; directories are entered with O_NOFOLLOW beneath
 * their parent's descriptor, so a link swapped in is never followed.
 * *truncated (may be NULL) tells whether the bound cut the walk short.
 * Returns 0, or -1 when the callback stopped it.
 */
int	fswalk(int rootfd, uint64_t max_entries, fswalk_fn fn, void *arg,
	    int *truncated);

/*
 * The callback of fswalk_path: the same as fswalk_fn, with path the
 * entry's path relative to the root ("world/region/r.0.0.mca"; borrowed
 * for the call).
 */
typedef int	(*fswalk_path_fn)(int dirfd, const char *name,
		    const char *path, const struct stat *sb, void *arg);

/*
 * fswalk, telling the callback each entry's path below the root (backups
 * name their entries by it). A directory's entries are listed before any
 * entry of its subdirectories. Returns as fswalk.
 */
int	fswalk_path(int rootfd, uint64_t max_entries, fswalk_path_fn fn,
	    void *arg, int *truncated);

#endif
