/*
 * test_bot_propose: the bot's side of change requests as pure handlers on
 * state-example: who gets a proposal instead of a refusal (proposals
 * enabled, a review channel, view on the server, proposals.roles), the
 * jobs the modals and buttons make, Approve and Reject refused without
 * edit, and the review, decision and follow-up messages.
 */
#include "unit.h"

#include <cjson/cJSON.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"
#include "json.h"
#include "state.h"
#include "xmalloc.h"

#include "../../bot/commands.h"

#include "unit_bot.h"

#define HELPER	"333333333333333333"	/* role: view, power */
#define ALICE	"444444444444444444"	/* owns demo */
#define CAROL	"666666666666666666"	/* nothing of her own */
#define REVIEW	"310000000000000001"

static struct state		*st;
static const char		*review;

static int
setup(void **state)
{
	return unit_example_load(&st);
}

/* An interaction of type by user with role (or NULL) and data JSON. */
static cJSON *
ix(int type, const char *user, const char *role, const char *data)
{
	return ix_in(REVIEW, "7", type, user, role, data);
}

static cJSON *
slash_edit(const char *user, const char *role)
{
	return ix(2, user, role, "{\"name\":\"server\",\"type\":1,"
	    "\"options\":[{\"type\":1,\"name\":\"edit\",\"options\":[{"
	    "\"type\":3,\"name\":\"server\",\"value\":\"demo\"}]}]}");
}

static cJSON *
limits_modal(const char *user, const char *role)
{
	return ix(5, user, role, "{\"custom_id\":\"e:demo\",\"components\":"
	    "[{\"type\":18,\"component\":{\"type\":4,\"custom_id\":\"memory\","
	    "\"value\":\"256\"}}]}");
}

static cJSON *
vars_set(const char *user, const char *role)
{
	return ix(2, user, role, "{\"name\":\"server\",\"type\":1,"
	    "\"options\":[{\"type\":1,\"name\":\"vars\",\"options\":[{"
	    "\"type\":3,\"name\":\"server\",\"value\":\"demo\"},{\"type\":3,"
	    "\"name\":\"set\",\"value\":\"MOTD=hi\"}]}]}");
}

/* The handlers' environment: state-example, the review channel. */
static void
env_init(struct cmd_env *env)
{
	memset(env, 0, sizeof(*env));
	env->st = st;
	env->review_channel = review;
}

/* in must make a JOB_SET job with propose as given. */
static void
set_job(cJSON *in, int propose)
{
	struct cmd_job	*job;

	job = started(in, CB_DEFER, MSG_EPHEMERAL, JOB_SET);
	assert_int_equal(job->propose, propose);
	cmd_job_free(job);
}

static void
test_who_may_propose(void **state)
{
	struct cmd_job	*job;
	cJSON		*r;
	char		 other[] = "999999999999999999", helper[] = HELPER;
	char		*roles[1];

	/* proposals off, or no review channel: the usual refusal */
	review = REVIEW;
	st->conf.proposals.enabled = 0;
	refused(slash_edit(CAROL, HELPER), "the `edit` permission");
	refused(limits_modal(CAROL, HELPER), "the `edit` permission");
	st->conf.proposals.enabled = 1;
	review = NULL;
	refused(slash_edit(CAROL, HELPER), "the `edit` permission");
	review = REVIEW;

	/* a viewer gets the modal; what she submits is a proposal */
	r = run(slash_edit(CAROL, HELPER), &job);
	assert_null(job);
	assert_int_equal(json_int64(r, "type", 0), CB_MODAL);
	assert_string_equal(json_str(r, "data.custom_id", ""), "e:demo");
	cJSON_Delete(r);
	set_job(limits_modal(CAROL, HELPER), 1);
	set_job(vars_set(CAROL, HELPER), 1);
	/* whoever may edit edits */
	set_job(limits_modal(ALICE, NULL), 0);
	/* no view, no proposal; nor for a server that is not there */
	refused(limits_modal(CAROL, NULL), "You may not");
	refused(ix(5, CAROL, HELPER, "{\"custom_id\":\"e:nope\","
	    "\"components\":[]}"), "no server `nope`");

	/* proposals.roles: only their holders */
	roles[0] = other;
	st->conf.proposals.roles = roles;
	st->conf.proposals.nroles = 1;
	refused(limits_modal(CAROL, HELPER), "the `edit` permission");
	roles[0] = helper;
	set_job(limits_modal(CAROL, HELPER), 1);
	st->conf.proposals.roles = NULL;
	st->conf.proposals.nroles = 0;
	st->conf.proposals.enabled = 0;
}

static void
test_approve_reject_buttons(void **state)
{
	struct cmd_job	*job;
	cJSON		*r;
	unsigned	 was;
	size_t		 i;

	review = REVIEW;
	refused(press(CAROL, HELPER, "pa:demo:21a7b62c"),
	    "You may not approve proposals for server `demo`: that needs "
	    "the `edit` permission");
	refused(press(CAROL, HELPER, "pj:demo:21a7b62c"),
	    "You may not reject proposals for server `demo`");
	refused(press(ALICE, NULL, "pa:demo:../main"), "broken");
	refused(press(ALICE, NULL, "pa:demo"), "broken");

	job = started(press(ALICE, NULL, "pa:demo:21a7b62c"), CB_DEFER,
	    MSG_EPHEMERAL, JOB_APPROVE);
	assert_string_equal(job->server, "demo");
	assert_string_equal(job->revision, "21a7b62c");
	assert_string_equal(job->message_id, "7");
	assert_string_equal(job->channel_id, REVIEW);
	cmd_job_free(job);
	r = run(press(ALICE, NULL, "pj:demo:21a7b62c"), &job);
	assert_int_equal(job->kind, JOB_REJECT);
	cJSON_Delete(r);
	cmd_job_free(job);

	/* a variables proposal: approving it needs vars as well as edit */
	refused(press(ALICE, NULL, "pa:demo:21a7b62c:x"), "broken");
	for (i = 0; i < st->conf.naccess; i++)
		if (strcmp(st->conf.access[i].role, HELPER) == 0)
			break;
	assert_true(i < st->conf.naccess);
	was = st->conf.access[i].perms;
	st->conf.access[i].perms = PERM_VIEW | PERM_EDIT;
	r = run(press(CAROL, HELPER, "pa:demo:21a7b62c"), &job);
	assert_non_null(job);
	assert_false(job->vars);
	cJSON_Delete(r);
	cmd_job_free(job);
	refused(press(CAROL, HELPER, "pa:demo:21a7b62c:v"),
	    "the `vars` permission");
	r = run(press(CAROL, HELPER, "pj:demo:21a7b62c:v"), &job);
	assert_non_null(job);
	assert_true(job->vars);
	cJSON_Delete(r);
	cmd_job_free(job);
	st->conf.access[i].perms = was;
	r = run(press(ALICE, NULL, "pa:demo:21a7b62c:v"), &job);
	assert_int_equal(job->kind, JOB_APPROVE);
	assert_string_equal(job->revision, "21a7b62c");
	assert_true(job->vars);
	cJSON_Delete(r);
	cmd_job_free(job);
}

/* A job as the handlers make it, for the messages. */
static struct cmd_job *
job_of(enum cmd_kind kind, const char *user)
{
	struct cmd_job	*j = xcalloc(1, sizeof(*j));

	j->kind = kind;
	j->server = xstrdup("demo");
	j->user_id = xstrdup(user);
	j->channel_id = xstrdup(REVIEW);
	j->what = xstrdup("/server edit");
	if (kind != JOB_SET)
		j->revision = xstrdup("21a7b62c");
	else
		j->propose = 1;
	return j;
}

/* The custom_ids of a message's buttons, space-separated. */
static char *
buttons(const cJSON *m)
{
	const cJSON	*row, *c;
	struct buf	 b;

	buf_init(&b, 0);
	cJSON_ArrayForEach(row, cJSON_GetObjectItem(m, "components"))
		cJSON_ArrayForEach(c, cJSON_GetObjectItem(row, "components"))
			buf_addf(&b, "%s ", json_str(c, "custom_id", ""));
	return buf_detach(&b);
}

static void
test_review_messages(void **state)
{
	struct cmd_job		*pj = job_of(JOB_SET, CAROL);
	struct cmd_job		*aj = job_of(JOB_APPROVE, ALICE);
	struct cmd_result	 res;
	struct cmd_env		 env;
	cJSON			*m;
	char			*s;

	memset(&env, 0, sizeof(env));
	memset(&res, 0, sizeof(res));
	snprintf(res.proposal, sizeof(res.proposal), "21a7b62c");
	snprintf(res.commit, sizeof(res.commit), "9c41d2e0");
	res.diff = xstrdup("-limits: { memory: 128 }\n+limits: { memory: "
	    "256 }\n```\n");
	res.plan = xstrdup("node node-a:\n  update    demo\n");
	res.proposer = xstrdup(CAROL);

	/* the proposer's note; a proposal is not followed */
	m = cmd_job_message(&env, pj, &res);
	assert_contains(json_str(m, "content", ""), "Proposal #21a7b62c sent "
	    "for review");
	cJSON_Delete(m);
	assert_false(cmd_job_follows(pj, &res));

	/* the review message: diff, plan, buttons, nobody mentioned */
	m = cmd_review_message(pj, &res);
	assert_contains(json_str(m, "content", ""), "<@" CAROL "> proposes");
	s = (char *)json_str(m, "embeds.0.description", "");
	assert_contains(s, "+limits: { memory: 256 }");
	assert_contains(s, "update    demo");
	/* a "```" in the diff cannot end its block */
	assert_null(strstr(s, "}\n```\n```"));
	s = buttons(m);
	assert_string_equal(s, "pa:demo:21a7b62c pj:demo:21a7b62c ");
	free(s);
	assert_int_equal(cJSON_GetArraySize(json_get(m,
	    "allowed_mentions.parse")), 0);
	assert_null(json_get(m, "allowed_mentions.users"));
	cJSON_Delete(m);

	/* approved: buttons gone, the proposer told and only them */
	m = cmd_review_decided(aj, &res);
	assert_contains(json_str(m, "content", ""), "**approved** by <@" ALICE
	    "> \xc2\xb7 merged as `9c41d2e`");
	s = buttons(m);
	assert_string_equal(s, "");
	free(s);
	assert_non_null(cJSON_GetObjectItem(m, "components"));
	assert_null(cJSON_GetObjectItem(m, "embeds"));
	cJSON_Delete(m);
	m = cmd_review_followup(aj, &res);
	assert_contains(json_str(m, "content", ""), "<@" CAROL "> your "
	    "proposal #21a7b62c for `demo` was approved by <@" ALICE ">");
	assert_string_equal(json_str(m, "allowed_mentions.users.0", ""),
	    CAROL);
	assert_null(json_get(m, "allowed_mentions.users.1"));
	cJSON_Delete(m);

	/* stale: said so, Reject alone; a failure leaves the message */
	res.rc = -1;
	res.stale = 1;
	snprintf(res.msg, sizeof(res.msg), "servers/demo.yaml changed");
	m = cmd_review_decided(aj, &res);
	assert_contains(json_str(m, "content", ""), "**stale**: servers/demo"
	    ".yaml changed");
	s = buttons(m);
	assert_string_equal(s, "pj:demo:21a7b62c ");
	free(s);
	cJSON_Delete(m);
	m = cmd_job_message(&env, aj, &res);
	assert_contains(json_str(m, "content", ""), "Proposal #21a7b62c is "
	    "stale");
	cJSON_Delete(m);
	res.stale = 0;
	snprintf(res.msg, sizeof(res.msg), "proposal #21a7b62c is not open");
	assert_null(cmd_review_decided(aj, &res));
	assert_null(cmd_review_followup(aj, &res));
	m = cmd_job_message(&env, aj, &res);
	assert_contains(json_str(m, "content", ""), "is not open");
	cJSON_Delete(m);

	/* a variables proposal's buttons say so */
	res.rc = 0;
	pj->vars = 1;
	m = cmd_review_message(pj, &res);
	s = buttons(m);
	assert_string_equal(s, "pa:demo:21a7b62c:v pj:demo:21a7b62c:v ");
	free(s);
	cJSON_Delete(m);

	cmd_result_dispose(&res);
	cmd_job_free(pj);
	cmd_job_free(aj);
}

UNIT_MAIN(setup, unit_example_teardown,
    cmocka_unit_test(test_who_may_propose),
    cmocka_unit_test(test_approve_reject_buttons),
    cmocka_unit_test(test_review_messages))
