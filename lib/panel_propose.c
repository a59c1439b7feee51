/*
 * panel_propose: change requests. Someone who may not make an edit
 * proposes it: the edit is made on the tracked branch's tip and
 * validated like any other, but committed to a branch of its own,
 * roost/proposals/<id> (pushed when there is a remote), where `/plan`
 * and any git client see it. Approving applies the proposal's change of
 * the server's file to the tracked branch's current tip (as it is when
 * the branch has not moved, else a three-way merge), revalidates, and
 * commits it as the proposer with the approver named in a trailer; a
 * change that no longer applies is stale and its branch is kept.
 * Rejecting deletes the branch.
 */
#include <sys/random.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "gitstore.h"
#include "panel.h"
#include "panel_int.h"
#include "rerr.h"
#include "sha256.h"
#include "state.h"
#include "xmalloc.h"

#define PROPOSAL_PREFIX	"roost/proposals/"

/* Prepares a proposal. */
void
panel_proposal_init(struct panel_proposal *pr)
{
	memset(pr, 0, sizeof(*pr));
}

/* Frees what a proposal holds. */
void
panel_proposal_dispose(struct panel_proposal *pr)
{
	free(pr->branch);
	free(pr->server);
	free(pr->author);
	free(pr->proposer);
	free(pr->summary);
	free(pr->diff);
	free(pr->plan);
	memset(pr, 0, sizeof(*pr));
}

/* True when id is 8 lowercase hex digits. */
int
panel_proposal_id_valid(const char *id)
{
	return id != NULL && strlen(id) == PANEL_PROPOSAL_IDLEN - 1 &&
	    strspn(id, "0123456789abcdef") == PANEL_PROPOSAL_IDLEN - 1;
}

/* The id of a request's proposal: from its request id, else random. */
static void
proposal_id_make(const char *request_id, char id[PANEL_PROPOSAL_IDLEN])
{
	char		hex[65];
	unsigned int	r;

	if (request_id != NULL && *request_id != '\0') {
		sha256_hex(request_id, strlen(request_id), hex);
		snprintf(id, PANEL_PROPOSAL_IDLEN, "%.8s", hex);
		return;
	}
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (unsigned int)rand();
	snprintf(id, PANEL_PROPOSAL_IDLEN, "%08x", r);
}

/*
 * The tip of branch: fetched when there is a remote, else the local
 * branch's. Returns 0, ROOST_ENOTFOUND or -1.
 */
static int
tip_of(struct panel *p, const char *branch, char tip[GITSTORE_IDLEN],
    struct rerr *err)
{
	char	*ref;
	int	 rc;

	if (p->remote != NULL)
		return gitstore_fetch(p->gs, p->remote, branch, tip, err);
	xasprintf(&ref, "refs/heads/%s", branch);
	rc = gitstore_resolve(p->gs, ref, tip, err);
	free(ref);
	return rc;
}

/*
 * The server of a commit subject "roost server set NAME: what" (the word
 * before the first ": "), or NULL; *what points after it.
 */
static char *
subject_server(const char *s, const char **what)
{
	const char	*colon, *w;
	char		*name;

	if (s == NULL || (colon = strstr(s, ": ")) == NULL)
		return NULL;
	for (w = colon; w > s && w[-1] != ' '; w--)
		;
	name = xstrndup(w, colon - w);
	if (!state_name_valid(name)) {
		free(name);
		return NULL;
	}
	if (what != NULL)
		*what = colon + 2;
	return name;
}

/* The Discord id of an author "... <ID@users.discord.invalid>", or NULL. */
static char *
discord_id(const char *email)
{
	const char	*at = strchr(email, '@');
	char		*id;

	if (at == NULL || strcmp(at, "@users.discord.invalid") != 0)
		return NULL;
	id = xstrndup(email, (size_t)(at - email));
	if (!state_snowflake_valid(id)) {
		free(id);
		return NULL;
	}
	return id;
}

/* Reads servers/<name>.yaml at rev into out; *has says if it is there. */
static int
file_at(struct panel *p, const char *rev, const char *name, struct buf *out,
    int *has, struct rerr *err)
{
	char	*path;
	int	 rc;

	xasprintf(&path, "servers/%s.yaml", name);
	rc = panel_read_at(p, rev, path, out, has, err);
	free(path);
	return rc;
}

/* The author, server, proposer and diff of a proposal whose tip is read. */
static int
proposal_read(struct panel *p, const char *server, struct panel_proposal *out,
    struct rerr *err)
{
	struct gitstore_logent	 e;
	struct buf		 a, b, d;
	char			*path;
	int			 rc, has_a, has_b;

	if ((rc = gitstore_commit_info(p->gs, out->commit, &e, err)) != 0)
		return rc;
	xasprintf(&out->author, "%s <%s>", e.author_name, e.author_email);
	out->proposer = discord_id(e.author_email);
	out->summary = xstrdup(e.summary);
	out->server = subject_server(e.summary, NULL);
	gitstore_logent_dispose(&e);
	if (out->server == NULL || (server != NULL &&
	    strcmp(out->server, server) != 0))
		return rerr_set(err, ROOST_EINVAL, "proposal #%s is not a "
		    "change of server '%s'", out->id, server ? server : "?");
	buf_init(&a, 0);
	buf_init(&b, 0);
	buf_init(&d, 0);
	xasprintf(&path, "servers/%s.yaml", out->server);
	if ((rc = file_at(p, out->base, out->server, &a, &has_a, err)) == 0 &&
	    (rc = file_at(p, out->commit, out->server, &b, &has_b,
	    err)) == 0 && (rc = gitstore_diff_text(has_a ? buf_str(&a) : NULL,
	    a.len, has_b ? buf_str(&b) : NULL, b.len, path, &d, err)) == 0)
		out->diff = buf_detach(&d);
	free(path);
	buf_dispose(&a);
	buf_dispose(&b);
	buf_dispose(&d);
	return rc;
}

/* Reads a proposal; see panel.h. */
int
panel_proposal_load(struct panel *p, const char *id, const char *server,
    int plan, struct panel_proposal *out, struct rerr *err)
{
	struct rerr	 e2;
	struct buf	 b;
	char		 tracked[GITSTORE_IDLEN], local[GITSTORE_IDLEN];
	char		 x[GITSTORE_IDLEN], y[GITSTORE_IDLEN];
	int		 rc;

	if (!panel_proposal_id_valid(id))
		return rerr_set(err, ROOST_EINVAL, "'%.20s' is not a proposal "
		    "id", id != NULL ? id : "");
	snprintf(out->id, sizeof(out->id), "%s", id);
	xasprintf(&out->branch, PROPOSAL_PREFIX "%s", id);
	if ((rc = gitstore_lock(p->gs, err)) != 0)
		return rc;
	rerr_init(&e2);
	if ((rc = panel_base(p, tracked, local, err)) == 0)
		rc = tip_of(p, out->branch, out->commit, &e2);
	gitstore_unlock(p->gs);
	if (rc == ROOST_ENOTFOUND)
		return rerr_set(err, rc, "proposal #%s is not open: there is "
		    "no branch '%s' (it was approved or rejected already)", id,
		    out->branch);
	if (rc != 0)
		return rerr_set(err, rc, "%s", e2.msg);
	if ((rc = gitstore_merge_base(p->gs, tracked, out->commit, out->base,
	    err)) != 0 || (rc = proposal_read(p, server, out, err)) != 0)
		return rc;
	if (!plan)
		return 0;
	buf_init(&b, 0);
	if ((rc = panel_plan_branch(p, out->branch, &b, x, y, err)) == 0)
		out->plan = buf_detach(&b);
	buf_dispose(&b);
	return rc;
}

/* Proposes a set or vars edit; see panel.h. */
int
panel_propose_set(struct panel *p, const struct panel_req *req,
    const char *name, const char *const *kv, size_t nkv, int vars,
    struct panel_proposal *out, struct panel_result *res, struct rerr *err)
{
	struct rerr	 e2;
	char		 id[PANEL_PROPOSAL_IDLEN], tip[GITSTORE_IDLEN];
	char		 found[GITSTORE_IDLEN], *branch, *trailer;
	int		 rc;

	if (!state_name_valid(name))
		return rerr_set(err, ROOST_EINVAL, "'%s' is not a valid server "
		    "name", name != NULL ? name : "");
	proposal_id_make(req != NULL ? req->request_id : NULL, id);
	xasprintf(&branch, PROPOSAL_PREFIX "%s", id);
	if ((rc = gitstore_lock(p->gs, err)) != 0) {
		free(branch);
		return rc;
	}
	rerr_init(&e2);
	rc = tip_of(p, branch, tip, &e2);
	gitstore_unlock(p->gs);
	if (rc == 0) {
		/* the same request again finds its proposal */
		if (req->request_id == NULL || gitstore_find_trailer(p->gs,
		    tip, "Roost-Request", req->request_id, 1, found,
		    NULL) != 0)
			rc = rerr_set(err, ROOST_EEXISTS, "branch '%s' exists "
			    "already", branch);
		else {
			res->existing = 1;
			memcpy(res->commit, tip, GITSTORE_IDLEN);
			rc = panel_proposal_load(p, id, name, 1, out, err);
		}
		free(branch);
		return rc;
	}
	if (rc != ROOST_ENOTFOUND) {
		free(branch);
		return rerr_set(err, rc, "%s", e2.msg);
	}
	xasprintf(&trailer, "Roost-Proposal: %s", id);
	rc = panel_set_apply(p, req, name, kv, nkv, vars, branch, trailer,
	    res, err);
	if (rc == 0 && !res->unchanged && !res->existing)
		rc = panel_proposal_load(p, id, name, 1, out, err);
	free(trailer);
	free(branch);
	return rc;
}

/* What an approval applies. */
struct approve_arg {
	struct panel_proposal	*pr;
	struct buf		 anc;		/* the file at the base */
	struct buf		 theirs;	/* at the proposal's tip */
	int			 has_anc, has_theirs;
	const char		*what;
	int			 stale;
};

/* The proposal's change applied to the tip's file. */
static int
edit_approve(struct panel_ctx *c, void *arg, struct rerr *err)
{
	struct approve_arg	*a = arg;
	struct rerr		 e2;
	char			 tip[GITSTORE_IDLEN], found[GITSTORE_IDLEN];
	int			 rc, conflicts;

	if (gitstore_find_trailer(c->p->gs, c->st->revision,
	    "Roost-Proposal", a->pr->id, c->p->depth, found, NULL) == 0)
		return rerr_set(err, ROOST_EEXISTS, "proposal #%s was approved "
		    "already (commit %.7s)", a->pr->id, found);
	/* rejected or pushed to since it was read: the reviewer saw another */
	rerr_init(&e2);
	if ((rc = tip_of(c->p, a->pr->branch, tip, &e2)) == ROOST_ENOTFOUND)
		return rerr_set(err, rc, "proposal #%s was rejected meanwhile; "
		    "nothing was committed", a->pr->id);
	if (rc != 0)
		return rerr_set(err, rc, "%s", e2.msg);
	if (strcmp(tip, a->pr->commit) != 0)
		return rerr_set(err, -1, "branch '%s' moved to %.7s since it "
		    "was read; nothing was committed", a->pr->branch, tip);
	buf_puts(c->what, a->what);
	if (!a->has_theirs) {
		c->remove = c->old != NULL;
		return 0;
	}
	if (c->old == NULL) {
		a->stale = 1;
		return rerr_set(err, -1, "server '%s' was deleted after "
		    "proposal #%s was made; it no longer applies and nothing "
		    "was committed", c->name, a->pr->id);
	}
	if (a->has_anc && a->anc.len == c->oldlen && memcmp(buf_str(&a->anc),
	    c->old, c->oldlen) == 0) {
		buf_add(c->out, buf_str(&a->theirs), a->theirs.len);
		return 0;
	}
	if (gitstore_merge_text(a->has_anc ? buf_str(&a->anc) : "",
	    a->anc.len, c->old, c->oldlen, buf_str(&a->theirs),
	    a->theirs.len, c->out, &conflicts, err) != 0)
		return -1;
	if (conflicts > 0) {
		a->stale = 1;
		return rerr_set(err, -1, "%s changed on the tracked branch in "
		    "the same lines as proposal #%s (%d place%s) since it was "
		    "made; it no longer applies and nothing was committed",
		    c->path, a->pr->id, conflicts, conflicts == 1 ? "" : "s");
	}
	return 0;
}

/* Deletes a decided proposal's branch; 0 or an error. */
static int
branch_drop(struct panel *p, const struct panel_proposal *pr,
    struct rerr *err)
{
	int	rc;

	if ((rc = gitstore_lock(p->gs, err)) != 0)
		return rc;
	rc = gitstore_branch_delete(p->gs, p->remote, pr->branch, pr->commit,
	    err);
	gitstore_unlock(p->gs);
	return rc;
}

/* The command of a subject "roost server set NAME: ..." ("server set"). */
static char *
subject_command(const char *s, const char *name)
{
	const char	*end;
	char		*pat;

	xasprintf(&pat, " %s: ", name);
	end = strncmp(s, "roost ", 6) == 0 ? strstr(s, pat) : NULL;
	free(pat);
	if (end == NULL || end <= s + 6)
		return xstrdup("proposal approve");
	return xstrndup(s + 6, end - (s + 6));
}

/* Approves a proposal; see panel.h. */
int
panel_proposal_approve(struct panel *p, const struct panel_req *req,
    const char *id, const char *server, struct panel_proposal *out,
    struct panel_result *res, struct rerr *err)
{
	struct approve_arg	 a;
	struct panel_edit	 e;
	struct panel_req	 as;
	struct rerr		 e2;
	char			*trailer, *command;
	int			 rc;

	if (req == NULL || req->author == NULL)
		return rerr_set(err, ROOST_EINVAL, "an approval needs an "
		    "approver");
	if ((rc = panel_proposal_load(p, id, server, 0, out, err)) != 0)
		return rc;
	memset(&a, 0, sizeof(a));
	a.pr = out;
	buf_init(&a.anc, 0);
	buf_init(&a.theirs, 0);
	if ((rc = file_at(p, out->base, out->server, &a.anc, &a.has_anc,
	    err)) != 0 || (rc = file_at(p, out->commit, out->server,
	    &a.theirs, &a.has_theirs, err)) != 0)
		goto done;
	if ((command = subject_server(out->summary, &a.what)) == NULL)
		a.what = "";
	free(command);
	command = subject_command(out->summary, out->server);
	xasprintf(&trailer, "Roost-Proposal: %s\nRoost-Approved-By: %s", id,
	    req->author);
	memset(&e, 0, sizeof(e));
	e.command = command;
	e.name = out->server;
	e.must_exist = PANEL_EITHER;
	e.fn = edit_approve;
	e.arg = &a;
	e.trailer = trailer;
	/* the proposer's change, so the proposer's commit */
	as.author = out->author;
	as.request_id = req->request_id;
	rc = panel_apply(p, &as, &e, res, err);
	free(trailer);
	free(command);
	out->stale = a.stale || rc == ROOST_EINVAL;
	if (rc == 0 || rc == ROOST_EEXISTS) {
		rerr_init(&e2);
		out->kept = branch_drop(p, out, &e2) != 0;
	}
done:
	buf_dispose(&a.anc);
	buf_dispose(&a.theirs);
	return rc;
}

/* Rejects a proposal; see panel.h. */
int
panel_proposal_reject(struct panel *p, const char *id, const char *server,
    struct panel_proposal *out, struct rerr *err)
{
	char	base[GITSTORE_IDLEN], local[GITSTORE_IDLEN];
	char	found[GITSTORE_IDLEN];
	int	rc;

	if ((rc = panel_proposal_load(p, id, server, 0, out, err)) != 0)
		return rc;
	if ((rc = gitstore_lock(p->gs, err)) != 0)
		return rc;
	if ((rc = panel_base(p, base, local, err)) == 0 &&
	    gitstore_find_trailer(p->gs, base, "Roost-Proposal", id,
	    p->depth, found, NULL) == 0) {
		/* approved, its branch left behind: only the branch goes */
		(void)gitstore_branch_delete(p->gs, p->remote, out->branch,
		    out->commit, NULL);
		rc = rerr_set(err, ROOST_EEXISTS, "proposal #%s was approved "
		    "already (commit %.7s)", id, found);
	} else if (rc == 0)
		rc = gitstore_branch_delete(p->gs, p->remote, out->branch,
		    out->commit, err);
	gitstore_unlock(p->gs);
	return rc;
}
