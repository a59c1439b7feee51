/*
 * panel_plan: the plan of another branch of the state repository, for a
 * pull request's preview: the branch is fetched (when there is a remote),
 * both it and the tracked branch are loaded and validated, and the plan
 * from the tracked branch's tip to the branch's is written as text, node
 * by node, with the branch's problems first (what `roost plan --rev
 * BRANCH --base MAIN` prints).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "gitstore.h"
#include "panel.h"
#include "panel_int.h"
#include "rerr.h"
#include "state.h"
#include "stateplan.h"
#include "xmalloc.h"

/* A branch name roost passes to git; see panel.h. */
int
panel_branch_valid(const char *b)
{
	return b != NULL && *b != '\0' && *b != '-' && *b != '/' &&
	    strlen(b) <= 100 && strstr(b, "..") == NULL &&
	    strstr(b, "//") == NULL && b[strlen(b) - 1] != '/' &&
	    strspn(b, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._/-") == strlen(b);
}

/* The plan of branch against the tracked branch; see panel.h. */
int
panel_plan_branch(struct panel *p, const char *branch, struct buf *out,
    char base_id[GITSTORE_IDLEN], char tip_id[GITSTORE_IDLEN],
    struct rerr *err)
{
	struct state	*os = NULL, *ns = NULL;
	struct buf	 d;
	char		 local[GITSTORE_IDLEN], *ref;
	size_t		 i;
	int		 rc;

	if (!panel_branch_valid(branch))
		return rerr_set(err, ROOST_EINVAL, "'%.100s' is not a branch "
		    "name", branch != NULL ? branch : "");
	if ((rc = gitstore_lock(p->gs, err)) != 0)
		return rc;
	rc = panel_base(p, base_id, local, err);
	if (rc == 0 && p->remote != NULL)
		rc = gitstore_fetch(p->gs, p->remote, branch, tip_id, err);
	else if (rc == 0) {
		xasprintf(&ref, "refs/heads/%s", branch);
		rc = gitstore_resolve(p->gs, ref, tip_id, err);
		free(ref);
	}
	gitstore_unlock(p->gs);
	if (rc == ROOST_ENOTFOUND)
		return rerr_set(err, rc, "there is no branch '%s' in the state "
		    "repository", branch);
	if (rc != 0)
		return rc;
	if ((rc = panel_state(p, base_id, 0, &os, err)) != 0 ||
	    (rc = panel_state(p, tip_id, 0, &ns, err)) != 0)
		goto done;
	if (ns->diags->nerrors > 0) {
		buf_puts(out, "problems on the branch (affected servers keep "
		    "their last good spec):\n");
		buf_init(&d, 0);
		diags_format(ns->diags, &d);
		buf_add(out, buf_str(&d), d.len);
		buf_dispose(&d);
	}
	for (i = 0; i < ns->nnodes; i++)
		state_plan_node(os, ns, ns->nodes[i].name, out);
	for (i = 0; i < os->nnodes; i++)
		if (state_node_find(ns, os->nodes[i].name) == NULL)
			state_plan_node(os, ns, os->nodes[i].name, out);
done:
	state_free(os);
	state_free(ns);
	return rc;
}
