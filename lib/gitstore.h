/*
 * gitstore: roost's access to git repositories, and the only user of
 * libgit2. The CLI, the bot and roostd read desired state straight from
 * commit objects (no checkout), commit edits built in memory on a base
 * commit, move branches with compare-and-swap, push with non-fast-forward
 * detection, and keep bare mirrors of a remote up to date.
 *
 * Commit ids travel as 40-character lowercase hex strings in buffers of
 * GITSTORE_IDLEN bytes. Every function returns 0, -1 or a ROOST_E* code
 * with the message in err; nothing here logs.
 *
 * Ownership: a struct gitstore is owned by whoever opened it and is used
 * by one thread at a time; open one per thread. State sources made from it
 * borrow it and must be released before it is closed.
 */
#ifndef ROOST_GITSTORE_H
#define ROOST_GITSTORE_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct rerr;
struct state_src;

#define GITSTORE_IDLEN	41	/* hex commit id plus NUL */

struct gitstore;

/*
 * How to authenticate to a remote. Every field may be NULL. ssh_key is a
 * private key file (ssh_pubkey its public half, else libssh2 derives it);
 * token_file holds an HTTPS token (first line), sent as the password of
 * token_user (default "x-access-token"). host_key_sha256 pins an SSH host
 * key (the base64 SHA256 fingerprint as ssh-keygen -l prints it, with or
 * without the "SHA256:" prefix); without it $HOME/.ssh/known_hosts decides.
 * ca_file replaces the HTTPS certificate bundle.
 */
struct gitstore_auth {
	const char	*ssh_user;	/* default: the URL's, else "git" */
	const char	*ssh_key;
	const char	*ssh_pubkey;
	const char	*ssh_passphrase;
	const char	*token_file;
	const char	*token_user;
	const char	*host_key_sha256;
	const char	*ca_file;
};

/* One file changed by a commit: new content, or data == NULL to remove. */
struct gitstore_change {
	const char	*path;		/* repository-relative, '/' separated */
	const char	*data;
	size_t		 len;
};

/* One entry of a file's history (gitstore_file_log). */
struct gitstore_logent {
	char	 id[GITSTORE_IDLEN];
	char	*author_name;
	char	*author_email;
	int64_t	 time;		/* author time, seconds since the epoch */
	int	 tz_offset;	/* author time zone, minutes east of UTC */
	char	*summary;	/* first line of the message */
	char	*message;	/* the whole message */
};

/* What gitstore_commit needs besides the changed files. */
struct gitstore_commit_opts {
	const char	*branch;	/* short name ("main") or NULL for HEAD's */
	const char	*parent;	/* base commit id; NULL: the branch tip */
	const char	*expect;	/* id the branch must hold now, NULL:
					   parent; "" the branch must not exist */
	const char	*author;	/* "Name <email>" */
	const char	*committer;	/* "Name <email>", NULL: the author */
	const char	*message;
	int64_t		 time;		/* 0: now */
};

/*
 * Opens the repository at path: a work tree (its .git is found) or a bare
 * repository. Returns 0 with *out owned by the caller, ROOST_ENOTFOUND when
 * path is not a git repository, or -1.
 */
int	gitstore_open(struct gitstore **out, const char *path,
	    struct rerr *err);
/*
 * Opens the bare mirror at path, creating it (and the remote "origin" with
 * url, fetching only branch) when missing; when it exists with another
 * url, the url is updated. Returns 0 with *out owned by the caller, or -1.
 */
int	gitstore_mirror_open(struct gitstore **out, const char *path,
	    const char *url, const char *branch, struct rerr *err);
/* Closes a repository; takes NULL. */
void	gitstore_close(struct gitstore *gs);
/* Sets the credentials used by fetch and push (copied). */
void	gitstore_set_auth(struct gitstore *gs, const struct gitstore_auth *a);

/* The work tree directory (with a trailing '/'), or NULL when bare. */
const char *gitstore_workdir(const struct gitstore *gs);
/* The git directory (with a trailing '/'). */
const char *gitstore_gitdir(const struct gitstore *gs);
/*
 * Writes the short name of the branch HEAD points at ("main") into out
 * (even when it has no commit yet). Returns 0, or ROOST_ENOTFOUND when
 * HEAD is detached.
 */
int	gitstore_head_branch(struct gitstore *gs, struct buf *out,
	    struct rerr *err);
/* True when the repository has a remote with that name. */
int	gitstore_has_remote(struct gitstore *gs, const char *remote);
/*
 * Writes "Name <email>" from the repository's git configuration
 * (user.name, user.email) into out. Returns 0 or ROOST_ENOTFOUND.
 */
int	gitstore_config_identity(struct gitstore *gs, struct buf *out,
	    struct rerr *err);

/*
 * Resolves a revision ("HEAD", "main", "origin/main", a full or short
 * commit id, anything git rev-parse takes) to a commit id in id. Returns
 * 0, ROOST_ENOTFOUND (also for an unborn branch) or -1.
 */
int	gitstore_resolve(struct gitstore *gs, const char *rev,
	    char id[GITSTORE_IDLEN], struct rerr *err);
/*
 * Tells whether commit id descends from (or equals) ancestor: returns 1
 * when it does, 0 when it does not (a rewritten history), or an error.
 */
int	gitstore_descends(struct gitstore *gs, const char *id,
	    const char *ancestor, struct rerr *err);

/*
 * Fills out with a state source reading the tree of commit id straight
 * from the object database, with blob ids as content ids. changes (may be
 * NULL) are laid over the tree: their content replaces or adds files and a
 * NULL data hides one; they are borrowed and must outlive the source. The
 * source borrows gs; release it with gitstore_state_src_release. Returns
 * 0, ROOST_ENOTFOUND or -1.
 */
int	gitstore_state_src(struct gitstore *gs, const char *id,
	    const struct gitstore_change *changes, size_t nchanges,
	    struct state_src *out, struct rerr *err);
/* Releases what gitstore_state_src allocated; takes a zeroed source. */
void	gitstore_state_src_release(struct state_src *src);
/*
 * Reads path in commit id into out, and its blob id into blob (may be
 * NULL; GITSTORE_IDLEN bytes). Returns 0, ROOST_ENOTFOUND or -1.
 */
int	gitstore_read_file(struct gitstore *gs, const char *id,
	    const char *path, struct buf *out, char *blob, struct rerr *err);

/*
 * Fetches branch (NULL: the one given to gitstore_mirror_open, else
 * HEAD's) from remote (NULL: "origin") into refs/remotes/<remote>/<branch>,
 * force-updating it so a rewritten history is seen, and writes the new tip
 * into tip. Credentials come from gitstore_set_auth. Returns 0,
 * ROOST_ENOTFOUND when the remote has no such branch, or -1.
 */
int	gitstore_fetch(struct gitstore *gs, const char *remote,
	    const char *branch, char tip[GITSTORE_IDLEN], struct rerr *err);

/*
 * Creates a commit of the parent's tree with changes applied (the tree is
 * built in memory; no work tree or index is touched) without moving any
 * ref, and writes its id into out. parent may be NULL for a root commit.
 * author and committer are "Name <email>"; committer NULL means the
 * author; time 0 means now. Returns 0, ROOST_EINVAL for a bad identity or
 * path, or -1.
 */
int	gitstore_commit_create(struct gitstore *gs, const char *parent,
	    const struct gitstore_change *changes, size_t nchanges,
	    const char *author, const char *committer, const char *message,
	    int64_t time, char out[GITSTORE_IDLEN], struct rerr *err);
/*
 * Moves branch from old (NULL or "" when it must not exist yet) to new
 * with compare-and-swap. When the branch is checked out in a work tree,
 * every file that differs between old and new must be unmodified in the
 * work tree and index (ROOST_EDIRTY otherwise, nothing changed), and after
 * the move the index and the files are updated as "git commit" or "git
 * merge --ff-only" would leave them. Returns 0, ROOST_ECONFLICT when the
 * branch no longer holds old, ROOST_EDIRTY, or -1.
 */
int	gitstore_branch_update(struct gitstore *gs, const char *branch,
	    const char *old, const char *new, const char *reflog,
	    struct rerr *err);
/*
 * Refuses (ROOST_EDIRTY) when branch is checked out in a work tree and a
 * file that differs between commits old and new has uncommitted changes;
 * returns 0 otherwise (always for a bare repository).
 */
int	gitstore_check_clean(struct gitstore *gs, const char *branch,
	    const char *old, const char *new, struct rerr *err);
/*
 * gitstore_commit_create then gitstore_branch_update: commits changes on
 * opts->parent (default: the branch tip) and moves the branch from
 * opts->expect (default: the parent). Writes the new id into out. Returns
 * 0, ROOST_ECONFLICT, ROOST_EDIRTY, ROOST_EINVAL or -1.
 */
int	gitstore_commit(struct gitstore *gs,
	    const struct gitstore_commit_opts *opts,
	    const struct gitstore_change *changes, size_t nchanges,
	    char out[GITSTORE_IDLEN], struct rerr *err);

/*
 * Pushes commit id to refs/heads/<branch> of remote (NULL: "origin")
 * without forcing. Returns 0, ROOST_ECONFLICT when the remote branch moved
 * to a commit that id does not descend from (non-fast-forward, rejected
 * either here or by the server), or -1.
 */
int	gitstore_push(struct gitstore *gs, const char *remote,
	    const char *id, const char *branch, struct rerr *err);
/* True when remote's url is a local path or file:// url. */
int	gitstore_remote_is_local(struct gitstore *gs, const char *remote);

/*
 * Lists the commits reachable from rev that changed path (added, modified
 * or removed it), newest first, at most max (0: all). *out is an array of
 * *n entries owned by the caller (gitstore_log_free). Returns 0,
 * ROOST_ENOTFOUND when rev does not resolve, or -1.
 */
int	gitstore_file_log(struct gitstore *gs, const char *rev,
	    const char *path, size_t max, struct gitstore_logent **out,
	    size_t *n, struct rerr *err);
/* Frees n entries returned by gitstore_file_log; takes NULL. */
void	gitstore_log_free(struct gitstore_logent *v, size_t n);
/*
 * Looks through the last depth commits reachable from rev (first parents)
 * for a message trailer "key: value" and writes the first such commit's id
 * into out. Returns 0, or ROOST_ENOTFOUND when none has it.
 */
int	gitstore_find_trailer(struct gitstore *gs, const char *rev,
	    const char *key, const char *value, size_t depth,
	    char out[GITSTORE_IDLEN], struct rerr *err);

/*
 * Takes the repository's writer lock (a flock on <gitdir>/roost.lock),
 * waiting for it; every writer of one repository (the panel, in any
 * process or thread) holds it from reading the tip to moving the branch.
 * Returns 0 or -1. gitstore_unlock releases it.
 */
int	gitstore_lock(struct gitstore *gs, struct rerr *err);
void	gitstore_unlock(struct gitstore *gs);

/*
 * Reads commit rev's id, author and first line into out (dispose of it
 * with gitstore_logent_dispose). Returns 0, ROOST_ENOTFOUND or -1.
 */
int	gitstore_commit_info(struct gitstore *gs, const char *rev,
	    struct gitstore_logent *out, struct rerr *err);
/* Frees the strings of one entry (not the entry). */
void	gitstore_logent_dispose(struct gitstore_logent *e);

/*
 * Merges two changes of one text three ways (git's merge of a file):
 * ours and theirs both descend from ancestor. The result goes into out;
 * *conflicts gets the number of conflicting regions (0: a clean merge;
 * out then holds conflict markers and must not be used). Returns 0 or -1.
 */
int	gitstore_merge_text(const char *ancestor, size_t alen,
	    const char *ours, size_t olen, const char *theirs, size_t tlen,
	    struct buf *out, int *conflicts, struct rerr *err);
/*
 * Appends to out the unified diff (3 lines of context) from old to new
 * (either may be NULL: the file is absent), both named path. Returns 0 or
 * -1.
 */
int	gitstore_diff_text(const char *old, size_t olen, const char *new,
	    size_t nlen, const char *path, struct buf *out, struct rerr *err);

/*
 * Parses "Name <email>" into its parts (owned by the caller). Returns 0 or
 * ROOST_EINVAL with a message naming the text.
 */
int	gitstore_ident_parse(const char *ident, char **name, char **email,
	    struct rerr *err);

/*
 * Writes the best common ancestor of commits a and b (git merge-base)
 * into out. Returns 0, ROOST_ENOTFOUND when they share no history, or -1.
 */
int	gitstore_merge_base(struct gitstore *gs, const char *a, const char *b,
	    char out[GITSTORE_IDLEN], struct rerr *err);
/*
 * Deletes branch: on remote first when remote is not NULL (a push that
 * deletes refs/heads/<branch>; on a local remote the ref is deleted in
 * place), then its remote-tracking ref and the local branch. With expect,
 * the branch (the remote's, else the local one) must still be at that
 * commit (ROOST_ECONFLICT otherwise, nothing deleted there). Returns 0,
 * ROOST_ENOTFOUND when the branch was nowhere, ROOST_EINVAL for a bad
 * name, or -1.
 */
int	gitstore_branch_delete(struct gitstore *gs, const char *remote,
	    const char *branch, const char *expect, struct rerr *err);

#endif
