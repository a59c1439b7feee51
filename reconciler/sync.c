/*
 * sync: following the state repository's branch for roostd (see sync.h).
 */
#include <sys/inotify.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "gitstore.h"
#include "rerr.h"
#include "state.h"
#include "util.h"
#include "xmalloc.h"

#include "conf.h"
#include "sync.h"

struct sync {
	struct gitstore			*gs;
	const struct egg_library	*eggs;
	struct state_cache		*cache;
	char				*branch;
	char				*applied_file;
	int				 local;
	int				 ifd;		/* inotify, or -1 */
	char				 tip[GITSTORE_IDLEN];
	char				 applied[GITSTORE_IDLEN];
};

static int
sync_is_url(const char *repo)
{
	return strstr(repo, "://") != NULL || strncmp(repo, "git@", 4) == 0;
}

/* (Re)adds the inotify watches on the refs of a local repository. */
static void
sync_watch_add(struct sync *s)
{
	char		 path[PATH_MAX];
	const char	*gitdir = gitstore_gitdir(s->gs);
	char		*slash;

	/* packed-refs and HEAD live in the git directory itself. */
	inotify_add_watch(s->ifd, gitdir, IN_CREATE | IN_MOVED_TO |
	    IN_CLOSE_WRITE | IN_DELETE);
	snprintf(path, sizeof(path), "%srefs/heads/%s", gitdir, s->branch);
	if ((slash = strrchr(path, '/')) != NULL)
		*slash = '\0';
	inotify_add_watch(s->ifd, path, IN_CREATE | IN_MOVED_TO |
	    IN_CLOSE_WRITE | IN_DELETE);
}

/* Prepares syncing for c. */
int
sync_open(struct sync **out, const struct conf *c,
    const struct egg_library *builtin, struct rerr *err)
{
	struct sync		*s;
	struct gitstore_auth	 auth;
	struct buf		 b;
	char			*mirror;
	int			 rc;

	*out = NULL;
	s = xcalloc(1, sizeof(*s));
	s->ifd = -1;
	s->eggs = builtin;
	s->branch = xstrdup(c->branch);
	s->cache = state_cache_new();
	xasprintf(&s->applied_file, "%s/applied-revision", c->data_dir);
	if (sync_is_url(c->repo)) {
		xasprintf(&mirror, "%s/mirror.git", c->data_dir);
		(void)util_mkdir_p(c->data_dir, 0755);
		rc = gitstore_mirror_open(&s->gs, mirror, c->repo, c->branch,
		    err);
		free(mirror);
		if (rc != 0)
			goto fail;
		memset(&auth, 0, sizeof(auth));
		auth.ssh_key = c->ssh_key;
		auth.token_file = c->token_file;
		gitstore_set_auth(s->gs, &auth);
	} else {
		s->local = 1;
		if ((rc = gitstore_open(&s->gs, c->repo, err)) != 0)
			goto fail;
		if ((s->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) != -1)
			sync_watch_add(s);
	}
	buf_init(&b, 64);
	if (util_read_file(s->applied_file, &b, NULL) == 0 && b.len >= 40)
		snprintf(s->applied, sizeof(s->applied), "%.40s",
		    buf_str(&b));
	buf_dispose(&b);
	*out = s;
	return 0;
fail:
	sync_free(s);
	return -1;
}

/* Frees s. */
void
sync_free(struct sync *s)
{
	if (s == NULL)
		return;
	if (s->ifd != -1)
		close(s->ifd);
	gitstore_close(s->gs);
	state_cache_free(s->cache);
	free(s->branch);
	free(s->applied_file);
	free(s);
}

/* Fetches and loads the state at a new tip; see sync.h. */
int
sync_fetch(struct sync *s, int allow_rewrite, struct state **st,
    struct rerr *err)
{
	struct state_src	src;
	char			tip[GITSTORE_IDLEN], ref[PATH_MAX];
	int			rc;

	*st = NULL;
	if (s->local) {
		snprintf(ref, sizeof(ref), "refs/heads/%s", s->branch);
		rc = gitstore_resolve(s->gs, ref, tip, err);
	} else
		rc = gitstore_fetch(s->gs, NULL, s->branch, tip, err);
	if (rc == ROOST_ENOTFOUND)
		return rerr_set(err, -1, "branch '%s' not found in the state "
		    "repository", s->branch);
	if (rc != 0)
		return -1;
	if (strcmp(tip, s->tip) == 0)
		return 0;
	if (s->applied[0] != '\0' && strcmp(tip, s->applied) != 0 &&
	    !allow_rewrite) {
		rc = gitstore_descends(s->gs, tip, s->applied, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return rerr_set(err, ROOST_ECONFLICT, "history "
			    "rewritten: branch '%s' moved to %.12s, which "
			    "does not contain the applied revision %.12s; "
			    "refusing it (set allowHistoryRewrite to accept "
			    "force pushes)", s->branch, tip, s->applied);
	}
	if (gitstore_state_src(s->gs, tip, NULL, 0, &src, err) != 0)
		return -1;
	rc = state_load(st, &src, s->eggs, s->cache, err);
	gitstore_state_src_release(&src);
	if (rc != 0)
		return -1;
	if ((*st)->revision == NULL)
		(*st)->revision = xstrdup(tip);
	memcpy(s->tip, tip, sizeof(s->tip));
	return 1;
}

/* The revision last loaded. */
const char *
sync_revision(const struct sync *s)
{
	return s->tip[0] != '\0' ? s->tip : NULL;
}

/* Remembers rev as applied, also across restarts. */
void
sync_applied(struct sync *s, const char *rev)
{
	char	line[GITSTORE_IDLEN + 1];

	if (rev == NULL || strcmp(rev, s->applied) == 0)
		return;
	snprintf(s->applied, sizeof(s->applied), "%s", rev);
	snprintf(line, sizeof(line), "%s\n", rev);
	(void)util_write_atomic(s->applied_file, line, strlen(line), 0644,
	    NULL);
}

/* The inotify fd of a local repository, or -1. */
int
sync_watch_fd(const struct sync *s)
{
	return s->ifd;
}

/*
 * Consumes inotify events; after an overflow the watches are renewed.
 * Returns 1 when one of them may have moved the branch: the branch's ref
 * file itself (git writes "<branch>.lock" and renames it, so the rename
 * is the moment the new commit is complete), packed-refs, or an overflow
 * that may have hidden either; 0 for the rest (index, lock files, other
 * branches, the reflog).
 */
int
sync_watch_drain(struct sync *s)
{
	char			 evbuf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ie;
	const char		*base;
	ssize_t			 n;
	char			*p;
	int			 overflow = 0, moved = 0;

	base = strrchr(s->branch, '/');
	base = base != NULL ? base + 1 : s->branch;
	while ((n = read(s->ifd, evbuf, sizeof(evbuf))) > 0)
		for (p = evbuf; p < evbuf + n; p += sizeof(*ie) + ie->len) {
			ie = (const struct inotify_event *)p;
			if (ie->mask & (IN_Q_OVERFLOW | IN_IGNORED))
				overflow = 1;
			else if (ie->len > 0 && (strcmp(ie->name, base) == 0 ||
			    strcmp(ie->name, "packed-refs") == 0))
				moved = 1;
		}
	if (overflow)
		sync_watch_add(s);
	return moved || overflow;
}
