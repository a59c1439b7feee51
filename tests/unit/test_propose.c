/*
 * test_propose: change requests in the panel core against a real state
 * repository with a remote: a proposal lands on roost/proposals/<id>
 * (pushed, the tracked branch untouched) with its diff and plan; a
 * redelivered request finds it; an invalid one makes no branch;
 * approving merges it as the proposer with the approver named and
 * deletes the branch, also after the tracked branch moved elsewhere in
 * the file; a conflicting or no longer valid proposal is stale and kept;
 * rejecting deletes the branch; a decided proposal cannot be decided
 * again.
 */
#include "unit.h"

#include "buf.h"
#include "gitstore.h"
#include "panel.h"
#include "state.h"
#include "xmalloc.h"

#define EVE	"Eve \xe2\x80\xb9" "3 (discord:444444444444444444) " \
		"<444444444444444444@users.discord.invalid>"
#define DANA	"Dana (discord:111111111111111111) " \
		"<111111111111111111@users.discord.invalid>"
#define BOT	"roost-bot <bot@roost.invalid>"

static struct panel *
open_panel(void)
{
	struct panel_opts	o;

	memset(&o, 0, sizeof(o));
	o.committer = BOT;
	return unit_panel_open(&o, "w");
}

/* A state repository with a remote, one node and a repository egg. */
static int
setup(void **state)
{
	return unit_demo_repo("propose", "apiVersion: roost/v1\nkind: Config\n"
	    "proposals: { enabled: true }\n", NULL, 0);
}

/* Writes servers/<name>.yaml on port and pushes it. */
static void
server(const char *name, int port)
{
	char	*path, *text;

	xasprintf(&path, "w/servers/%s.yaml", name);
	xasprintf(&text, "apiVersion: roost/v1\nkind: Server\nname: %s\n"
	    "owner: \"123456789012345678\"\nnode: node-a\negg: demo/demo\n"
	    "state: running\nlimits:\n  memory: 1024\n  disk: 2048\n"
	    "ports:\n  default: %d\nvariables:\n  GREETING: hello\n", name,
	    port);
	unit_write(path, text);
	assert_int_equal(unit_sh("cd w && git add . && git commit -qm 'add "
	    "%s' && git push -q origin main", name), 0);
	free(path);
	free(text);
}

/* A direct edit of one KEY=VALUE, as someone with edit. */
static void
set_direct(struct panel *p, const char *name, const char *kv)
{
	struct panel_req	 req = { DANA, NULL };
	struct panel_result	 res;
	struct rerr		 err;

	panel_result_init(&res);
	rerr_init(&err);
	assert_rok(panel_server_set(p, &req, name, &kv, 1, &res, &err),
	    &err);
	panel_result_dispose(&res);
}

/* Eve proposes one KEY=VALUE under request reqid; returns the code. */
static int
propose(struct panel *p, const char *name, const char *kv, int vars,
    const char *reqid, struct panel_proposal *pr, struct panel_result *res,
    struct rerr *err)
{
	struct panel_req	req = { EVE, reqid };

	panel_proposal_init(pr);
	panel_result_init(res);
	rerr_init(err);
	return panel_propose_set(p, &req, name, &kv, 1, vars, pr, res, err);
}

/* Dana approves; returns the code. */
static int
approve(struct panel *p, const char *id, const char *name, const char *reqid,
    struct panel_proposal *pr, struct panel_result *res, struct rerr *err)
{
	struct panel_req	req = { DANA, reqid };

	panel_proposal_init(pr);
	panel_result_init(res);
	rerr_init(err);
	return panel_proposal_approve(p, &req, id, name, pr, res, err);
}

/* Whether the remote has branch roost/proposals/<id>. */
static int
remote_has(const char *id)
{
	return unit_sh("git -C r.git rev-parse -q --verify "
	    "refs/heads/roost/proposals/%s", id) == 0;
}

static void
test_propose__proposed_then_approved(void **state)
{
	struct panel		*p = open_panel();
	struct panel_proposal	 pr, ap;
	struct panel_result	 res;
	struct rerr		 err;
	char			*main0, *want, *msg;

	server("pa", 25570);
	main0 = unit_sh_out("git -C r.git rev-parse main");
	assert_rok(propose(p, "pa", "memory=2048", 0, "discord-1001", &pr,
	    &res, &err), &err);
	/* the id is the request id's hash; the tracked branch stays */
	want = unit_sh_out("printf %%s discord-1001 | sha256sum | cut -c1-8");
	assert_string_equal(pr.id, want);
	free(want);
	assert_string_equal(pr.server, "pa");
	assert_string_equal(pr.author, EVE);
	assert_string_equal(pr.proposer, "444444444444444444");
	assert_string_equal(pr.base, main0);
	assert_contains(pr.diff, "-  memory: 1024");
	assert_contains(pr.diff, "+  memory: 2048");
	assert_contains(pr.plan, "update    pa");
	assert_true(remote_has(pr.id));
	unit_assert_sh_eq(main0, "git -C r.git rev-parse main");
	unit_assert_sh_eq(main0, "git -C w rev-parse main");
	msg = unit_sh_out("git -C r.git log -1 --format='%%an|%%cn|%%B' "
	    "roost/proposals/%s", pr.id);
	assert_contains(msg, "Eve \xe2\x80\xb9" "3 (discord:444444444444444444)"
	    "|roost-bot|roost server set pa: limits.memory 1024 -> 2048");
	assert_contains(msg, "Roost-Proposal: ");
	assert_contains(msg, pr.id);
	free(msg);

	/* the same request again: that proposal, no second branch */
	panel_proposal_dispose(&pr);
	panel_result_dispose(&res);
	assert_rok(propose(p, "pa", "memory=4000", 0, "discord-1001", &pr,
	    &res, &err), &err);
	assert_true(res.existing);
	assert_contains(pr.diff, "+  memory: 2048");

	/* approved: on the tracked branch as Eve's, Dana named */
	assert_rok(approve(p, pr.id, "pa", "discord-1002", &ap, &res, &err),
	    &err);
	assert_false(ap.stale);
	assert_false(ap.kept);
	unit_assert_sh_eq(res.commit, "git -C r.git rev-parse main");
	msg = unit_sh_out("git -C r.git log -1 --format='%%an|%%cn|%%B' main");
	assert_contains(msg, "Eve \xe2\x80\xb9" "3 (discord:444444444444444444)"
	    "|roost-bot|roost server set pa: limits.memory 1024 -> 2048\n");
	assert_contains(msg, "Roost-Command: server set\n");
	assert_contains(msg, "Roost-Approved-By: " DANA "\n");
	assert_contains(msg, "Roost-Request: discord-1002\n");
	free(msg);
	unit_assert_sh_eq("  memory: 2048", "git -C r.git show "
	    "main:servers/pa.yaml | grep '  memory:'");
	assert_false(remote_has(pr.id));
	assert_int_equal(unit_sh("git -C w rev-parse -q --verify "
	    "refs/heads/roost/proposals/%s", pr.id), 1);
	panel_proposal_dispose(&ap);
	panel_result_dispose(&res);

	/* decided: neither Approve nor Reject finds it again */
	assert_int_equal(approve(p, pr.id, "pa", "discord-1003", &ap, &res,
	    &err), ROOST_ENOTFOUND);
	assert_contains(err.msg, "is not open");
	panel_proposal_dispose(&ap);
	panel_result_dispose(&res);
	panel_proposal_init(&ap);
	rerr_init(&err);
	assert_int_equal(panel_proposal_reject(p, pr.id, "pa", &ap, &err),
	    ROOST_ENOTFOUND);
	panel_proposal_dispose(&ap);
	panel_proposal_dispose(&pr);
	free(main0);
	panel_close(p);
}

static void
test_propose__rebased_on_a_moved_branch(void **state)
{
	struct panel		*p = open_panel();
	struct panel_proposal	 pr, ap;
	struct panel_result	 res;
	struct rerr		 err;

	server("pb", 25571);
	assert_rok(propose(p, "pb", "GREETING=howdy", 1, "discord-2001", &pr,
	    &res, &err), &err);
	assert_contains(pr.diff, "+  GREETING: \"howdy\"");
	panel_result_dispose(&res);
	/* meanwhile someone with edit changes another line */
	set_direct(p, "pb", "disk=4096");
	assert_rok(approve(p, pr.id, "pb", "discord-2002", &ap, &res, &err),
	    &err);
	unit_assert_sh_eq("  disk: 4096", "git -C r.git show "
	    "main:servers/pb.yaml | grep '  disk:'");
	unit_assert_sh_eq("  GREETING: \"howdy\"", "git -C r.git show "
	    "main:servers/pb.yaml | grep GREETING");
	unit_assert_sh_eq("roost server vars pb: variables.GREETING hello -> "
	    "howdy", "git -C r.git log -1 --format=%s main");
	assert_false(remote_has(pr.id));
	panel_proposal_dispose(&ap);
	panel_proposal_dispose(&pr);
	panel_result_dispose(&res);
	panel_close(p);
}

static void
test_propose__stale_kept_then_rejected(void **state)
{
	struct panel		*p = open_panel();
	struct panel_proposal	 pr, ap;
	struct panel_result	 res;
	struct rerr		 err;
	char			*tip;

	server("pc", 25572);
	assert_rok(propose(p, "pc", "memory=3000", 0, "discord-3001", &pr,
	    &res, &err), &err);
	panel_result_dispose(&res);
	/* the same line changes on the tracked branch */
	set_direct(p, "pc", "memory=1500");
	tip = unit_sh_out("git -C r.git rev-parse main");
	assert_int_equal(approve(p, pr.id, "pc", "discord-3002", &ap, &res,
	    &err), -1);
	assert_true(ap.stale);
	assert_contains(err.msg, "servers/pc.yaml changed on the tracked "
	    "branch in the same lines");
	assert_contains(err.msg, "nothing was committed");
	unit_assert_sh_eq(tip, "git -C r.git rev-parse main");
	assert_true(remote_has(pr.id));
	panel_proposal_dispose(&ap);
	panel_result_dispose(&res);

	/* rejected: the branch goes, here and on the remote */
	panel_proposal_init(&ap);
	rerr_init(&err);
	assert_rok(panel_proposal_reject(p, pr.id, "pc", &ap, &err), &err);
	assert_string_equal(ap.proposer, "444444444444444444");
	assert_false(remote_has(pr.id));
	assert_int_equal(unit_sh("git -C w rev-parse -q --verify "
	    "refs/remotes/origin/roost/proposals/%s", pr.id), 1);
	unit_assert_sh_eq(tip, "git -C r.git rev-parse main");
	panel_proposal_dispose(&ap);
	panel_proposal_dispose(&pr);
	free(tip);
	panel_close(p);
}

static void
test_propose__invalid_and_no_longer_valid(void **state)
{
	struct panel		*p = open_panel();
	struct panel_proposal	 pr, ap;
	struct panel_result	 res;
	struct rerr		 err;
	char			*n0;

	server("pd", 25573);
	/* refused like the edit: no branch */
	n0 = unit_sh_out("git -C r.git for-each-ref refs/heads | wc -l");
	assert_int_equal(propose(p, "pd", "memory=1", 0, "discord-4001", &pr,
	    &res, &err), ROOST_EINVAL);
	assert_contains(err.msg, "nothing was committed");
	unit_assert_sh_eq(n0, "git -C r.git for-each-ref refs/heads | wc -l");
	panel_proposal_dispose(&pr);
	panel_result_dispose(&res);
	/* another server takes the port the proposal wants */
	assert_rok(propose(p, "pd", "port=25590", 0, "discord-4002", &pr,
	    &res, &err), &err);
	panel_result_dispose(&res);
	server("pe", 25590);
	assert_int_equal(approve(p, pr.id, "pd", "discord-4003", &ap, &res,
	    &err), ROOST_EINVAL);
	assert_true(ap.stale);
	assert_contains(err.msg, "25590");
	assert_true(remote_has(pr.id));
	/* a button naming another server does not act on it */
	panel_proposal_dispose(&ap);
	panel_result_dispose(&res);
	assert_int_equal(approve(p, pr.id, "pe", "discord-4004", &ap, &res,
	    &err), ROOST_EINVAL);
	assert_contains(err.msg, "not a change of server 'pe'");
	assert_true(remote_has(pr.id));
	panel_proposal_dispose(&ap);
	panel_result_dispose(&res);
	assert_int_equal(approve(p, "../main", "pd", "discord-4005", &ap,
	    &res, &err), ROOST_EINVAL);
	panel_proposal_dispose(&ap);
	panel_proposal_dispose(&pr);
	panel_result_dispose(&res);
	free(n0);
	panel_close(p);
}

UNIT_GIT_MAIN(setup, unit_root_teardown,
    cmocka_unit_test(test_propose__proposed_then_approved),
    cmocka_unit_test(test_propose__rebased_on_a_moved_branch),
    cmocka_unit_test(test_propose__stale_kept_then_rejected),
    cmocka_unit_test(test_propose__invalid_and_no_longer_valid))
