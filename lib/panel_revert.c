/*
 * panel_revert: undoing history, one server at a time. A revert applies
 * the inverse of one commit's change to a server's file onto the branch
 * tip (git's three-way merge of that file: the file as the commit left it
 * is the ancestor, the tip's is ours, the file before the commit is
 * theirs), so later changes to other lines stay; a conflict is explained
 * and nothing is committed. A rollback sets the file to its content at a
 * revision. Both are edits like any other (panel_apply: validated, the
 * author's, pushed, compare-and-swap), with a trailer naming the commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "gitstore.h"
#include "panel.h"
#include "panel_int.h"
#include "rerr.h"
#include "state.h"
#include "xmalloc.h"

/* A server's file at a commit and around it. */
struct rev_file {
	char		 id[GITSTORE_IDLEN];	/* the commit, resolved */
	char		*subject;		/* its first line */
	struct buf	 at;			/* the file as it left it */
	int		 has_at;
	struct buf	 before;		/* the file in its parent */
	int		 has_before;
};

static void
rev_file_dispose(struct rev_file *f)
{
	free(f->subject);
	buf_dispose(&f->at);
	buf_dispose(&f->before);
}

/*
 * Resolves rev and reads the server's file there and in its parent; with
 * must_touch, rev must be a commit that changed the file.
 */
static int
rev_file_load(struct panel *p, const char *name, const char *rev,
    int must_touch, struct rev_file *f, struct rerr *err)
{
	struct gitstore_logent	*v = NULL;
	struct rerr		 e2;
	char			*path, *parent, pid[GITSTORE_IDLEN];
	size_t			 n = 0;
	int			 rc;

	memset(f, 0, sizeof(*f));
	buf_init(&f->at, 0);
	buf_init(&f->before, 0);
	if (!state_name_valid(name))
		return rerr_set(err, ROOST_EINVAL, "'%s' is not a valid server "
		    "name", name);
	if (rev == NULL || *rev == '\0' || *rev == '-' || strlen(rev) > 100 ||
	    strspn(rev, "0123456789abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ_./^~-") != strlen(rev))
		return rerr_set(err, ROOST_EINVAL, "'%.100s' is not a "
		    "revision: give a commit id (7 or more hex digits)",
		    rev != NULL ? rev : "");
	rerr_init(&e2);
	if (gitstore_resolve(panel_gitstore(p), rev, f->id, &e2) != 0)
		return rerr_set(err, ROOST_ENOTFOUND, "no commit '%s' in the "
		    "state repository", rev);
	xasprintf(&path, "servers/%s.yaml", name);
	if ((rc = panel_read_at(p, f->id, path, &f->at, &f->has_at, err)) != 0)
		goto out;
	/* a root commit has no parent: nothing before it */
	xasprintf(&parent, "%s^", f->id);
	rerr_init(&e2);
	rc = gitstore_resolve(panel_gitstore(p), parent, pid, &e2);
	free(parent);
	if (rc == 0)
		rc = panel_read_at(p, pid, path, &f->before, &f->has_before,
		    err);
	else if (rc == ROOST_ENOTFOUND)
		rc = 0;
	else
		rc = rerr_set(err, rc, "%s", e2.msg);
	if (rc != 0)
		goto out;
	if (gitstore_file_log(panel_gitstore(p), f->id, path, 1, &v, &n,
	    NULL) == 0 && n > 0)
		f->subject = xstrdup(v[0].summary);
	if (must_touch && (n == 0 || strcmp(v[0].id, f->id) != 0 ||
	    (f->has_at == f->has_before && f->at.len == f->before.len &&
	    memcmp(buf_str(&f->at), buf_str(&f->before), f->at.len) == 0)))
		rc = rerr_set(err, ROOST_EINVAL, "commit %.7s did not change "
		    "server '%s'; \"/server history\" lists the commits that "
		    "did", f->id, name);
	if (!must_touch && !f->has_at)
		rc = rerr_set(err, ROOST_ENOTFOUND, "server '%s' does not "
		    "exist at %.7s", name, f->id);
	gitstore_log_free(v, n);
out:
	free(path);
	return rc;
}

/* The inverse of a commit's change, merged onto the tip's file. */
static int
edit_revert(struct panel_ctx *c, void *arg, struct rerr *err)
{
	struct rev_file	*f = arg;
	int		 conflicts;

	buf_addf(c->what, "revert %.7s", f->id);
	if (f->subject != NULL)
		buf_addf(c->what, " (%s)", f->subject);
	if (!f->has_before) {
		/* the commit created the server: its revert deletes it */
		if (c->old == NULL)
			return rerr_set(err, ROOST_ENOTFOUND, "server '%s' is "
			    "already gone; nothing to revert", c->name);
		c->remove = 1;
		return 0;
	}
	if (!f->has_at) {
		/* the commit deleted the server: its revert brings it back */
		if (c->old != NULL)
			return rerr_set(err, -1, "server '%s' exists again "
			    "since %.7s deleted it; nothing was committed",
			    c->name, f->id);
		buf_add(c->out, buf_str(&f->before), f->before.len);
		return 0;
	}
	if (c->old == NULL)
		return rerr_set(err, ROOST_ENOTFOUND, "server '%s' was deleted "
		    "after %.7s; revert the deletion first", c->name, f->id);
	if (gitstore_merge_text(buf_str(&f->at), f->at.len, c->old, c->oldlen,
	    buf_str(&f->before), f->before.len, c->out, &conflicts, err) != 0)
		return -1;
	if (conflicts > 0)
		return rerr_set(err, -1, "the revert of %.7s conflicts with "
		    "later changes to %s (%d place%s changed since touch the "
		    "same lines); nothing was committed. Roll back to a "
		    "revision instead, or edit the file", f->id, c->path,
		    conflicts, conflicts == 1 ? "" : "s");
	return 0;
}

/*
 * Loads name's file at rev (with its parent's when parent is set) and
 * applies the edit fn to it as command, with the trailer "KEY: id".
 */
static int
rev_apply(struct panel *p, const struct panel_req *req, const char *command,
    const char *name, const char *rev, int parent,
    int (*fn)(struct panel_ctx *, void *, struct rerr *), const char *key,
    struct panel_result *res, struct rerr *err)
{
	struct panel_edit	 e = { command, name, PANEL_EITHER, fn, NULL,
				    NULL };
	struct rev_file		 f;
	char			*trailer;
	int			 rc;

	if ((rc = rev_file_load(p, name, rev, parent, &f, err)) == 0) {
		xasprintf(&trailer, "%s: %s", key, f.id);
		e.arg = &f;
		e.trailer = trailer;
		rc = panel_apply(p, req, &e, res, err);
		free(trailer);
	}
	rev_file_dispose(&f);
	return rc;
}

/* Reverts one commit's change to a server; see panel.h. */
int
panel_server_revert(struct panel *p, const struct panel_req *req,
    const char *name, const char *commit, struct panel_result *res,
    struct rerr *err)
{
	return rev_apply(p, req, "server revert", name, commit, 1,
	    edit_revert, "Roost-Reverts", res, err);
}

/* The file as it was at the revision. */
static int
edit_rollback(struct panel_ctx *c, void *arg, struct rerr *err)
{
	struct rev_file	*f = arg;

	(void)err;
	buf_addf(c->what, "roll back to %.7s", f->id);
	buf_add(c->out, buf_str(&f->at), f->at.len);
	return 0;
}

/* Sets a server's file to its content at a revision; see panel.h. */
int
panel_server_rollback(struct panel *p, const struct panel_req *req,
    const char *name, const char *revision, struct panel_result *res,
    struct rerr *err)
{
	return rev_apply(p, req, "server rollback", name, revision, 0,
	    edit_rollback, "Roost-Rollback-To", res, err);
}

/* What a rollback would change; see panel.h. */
int
panel_server_rollback_diff(struct panel *p, const char *name,
    const char *revision, struct buf *out, char resolved[GITSTORE_IDLEN],
    struct rerr *err)
{
	struct rev_file	 f;
	struct buf	 cur;
	char		 base[GITSTORE_IDLEN], local[GITSTORE_IDLEN], *path;
	int		 rc, has;

	buf_init(&cur, 0);
	if ((rc = rev_file_load(p, name, revision, 0, &f, err)) != 0)
		goto out;
	memcpy(resolved, f.id, GITSTORE_IDLEN);
	if ((rc = gitstore_lock(panel_gitstore(p), err)) != 0)
		goto out;
	rc = panel_base(p, base, local, err);
	gitstore_unlock(panel_gitstore(p));
	if (rc != 0)
		goto out;
	xasprintf(&path, "servers/%s.yaml", name);
	if ((rc = panel_read_at(p, base, path, &cur, &has, err)) == 0)
		rc = gitstore_diff_text(has ? buf_str(&cur) : NULL, cur.len,
		    buf_str(&f.at), f.at.len, path, out, err);
	free(path);
out:
	buf_dispose(&cur);
	rev_file_dispose(&f);
	return rc;
}
