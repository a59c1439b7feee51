/*
 * test_bot_commands: roost-bot's pure handlers on state-example: what a
 * Discord user gets back for each command, button, select, modal and
 * autocomplete, which job a worker receives, permission refusals, the
 * status embed built from a node's report, the finished-job messages, and
 * the live messages of a followed job and of a status view.
 */
#include "unit.h"

#include <cjson/cJSON.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"
#include "json.h"
#include "limit.h"
#include "panel.h"
#include "state.h"
#include "xmalloc.h"

#include "../../bot/alerts.h"
#include "../../bot/commands.h"

#include "unit_bot.h"

#define ADMIN	"111111111111111111"
#define HOST	"222222222222222222"
#define HELPER	"333333333333333333"
#define ALICE	"444444444444444444"	/* owns demo, db, survival */
#define BOB	"555555555555555555"	/* member of demo */
#define VOWNER	"666666666666666666"	/* owns vanilla */

static struct state		*st;

static int
setup(void **state)
{
	return unit_example_load(&st);
}

/* vanilla's schedules as its node reports them (docs/status.md). */
static const char vanilla_report[] = "{\"name\":\"vanilla\","
    "\"phase\":\"Running\",\"schedules\":[{\"name\":\"nightly-restart\","
    "\"cron\":\"0 5 * * *\",\"timezone\":\"Europe/Berlin\",\"nextRun\":"
    "\"2026-12-03T05:00:00+01:00\",\"running\":false,\"failures\":1,"
    "\"lastRun\":{\"fire\":\"2026-12-02T05:00:00+01:00\",\"by\":"
    "\"schedule\",\"startedAt\":\"2026-12-02T05:00:00+01:00\","
    "\"finishedAt\":\"2026-12-02T05:05:01+01:00\",\"result\":\"failed\","
    "\"tasks\":[{\"task\":\"command\",\"result\":\"succeeded\"},"
    "{\"task\":\"command\",\"result\":\"succeeded\"},{\"task\":"
    "\"restart\",\"result\":\"failed\",\"message\":\"engine said "
    "```no``` <@everyone>\\nagain\"}]}},{\"name\":\"backup\",\"cron\":"
    "\"30 4 * * *\",\"timezone\":\"UTC\",\"nextRun\":"
    "\"2026-12-03T04:30:00Z\",\"running\":true,\"failures\":0,"
    "\"lastRun\":null}]}";

/* Fails unless j, rendered, holds each string given before NULL. */
static void
holds(const cJSON *j, ...)
{
	va_list		 ap;
	const char	*needle;
	char		*t = json_print(j);

	va_start(ap, j);
	while ((needle = va_arg(ap, const char *)) != NULL)
		assert_contains(t, needle);
	va_end(ap);
	free(t);
}

static cJSON *
report(void *arg, const char *name)
{
	if (strcmp(name, "vanilla") == 0)
		return cJSON_Parse(vanilla_report);
	if (strcmp(name, "demo") != 0)
		return NULL;
	return cJSON_Parse("{\"name\":\"demo\",\"phase\":\"Running\","
	    "\"ready\":true,\"appliedRevision\":\"0123456789abcdef\","
	    "\"usage\":{\"cpuPercent\":50,\"memoryBytes\":67108864,"
	    "\"memoryLimitBytes\":134217728,\"diskBytes\":0,"
	    "\"diskLimitBytes\":268435456,\"sampledAt\":"
	    "\"2026-11-25T10:00:00Z\"},\"backups\":{\"target\":\"local\","
	    "\"running\":null,\"count\":2,\"list\":[{\"id\":"
	    "\"20261201T100000Z\",\"time\":\"2026-12-01T10:00:00Z\","
	    "\"size\":1048576,\"entries\":12,\"note\":\"before <@everyone>"
	    " `update`\"},{\"id\":\"20261130T100000Z\",\"time\":"
	    "\"2026-11-30T10:00:00Z\",\"size\":2048,\"entries\":3}]}}");
}

static void
env_init(struct cmd_env *env)
{
	memset(env, 0, sizeof(*env));
	env->st = st;
	env->server_status = report;
}

/* Builds an interaction: type, user, one role (or NULL), data JSON. */
static cJSON *
ix(int type, const char *user, const char *role, const char *data)
{
	return ix_in("3", NULL, type, user, role, data);
}

/* A select menu choice by user with role (or NULL): value on custom_id. */
static cJSON *
pick(const char *user, const char *role, const char *custom_id,
    const char *value)
{
	return ixf(3, user, role, "{\"custom_id\":\"%s\",\"component_type\":"
	    "3,\"values\":[\"%s\"]}", custom_id, value);
}

static cJSON *
slash(const char *sub, const char *server, const char *user,
    const char *role)
{
	return ixf(2, user, role, "{\"name\":\"server\",\"type\":1,\"options\":"
	    "[{\"type\":1,\"name\":\"%s\",\"options\":[%s%s%s]}]}", sub,
	    server ? "{\"type\":3,\"name\":\"server\",\"value\":\"" : "",
	    server ? server : "", server ? "\"}" : "");
}

/* A /server SUB on server with more options (JSON objects, comma-led). */
static cJSON *
slash_more(const char *sub, const char *server, const char *user,
    const char *role, const char *more)
{
	return ixf(2, user, role, "{\"name\":\"server\",\"type\":1,\"options\":"
	    "[{\"type\":1,\"name\":\"%s\",\"options\":[{\"type\":3,\"name\":"
	    "\"server\",\"value\":\"%s\"}%s]}]}", sub, server, more);
}

/* A /server SUB on server with one more string option name: value. */
static cJSON *
slash_str(const char *sub, const char *server, const char *user,
    const char *name, const char *value)
{
	char	*more;
	cJSON	*o;

	xasprintf(&more, ",{\"type\":3,\"name\":\"%s\",\"value\":\"%s\"}",
	    name, value);
	o = slash_more(sub, server, user, NULL, more);
	free(more);
	return o;
}

/*
 * A modal submit by user with role (or NULL): custom_id and its text
 * inputs, given as id, value pairs ending in NULL.
 */
static cJSON *
modal(const char *user, const char *role, const char *custom_id, ...)
{
	struct buf	 b;
	va_list		 ap;
	const char	*id, *sep = "";
	cJSON		*o;

	buf_init(&b, 0);
	buf_addf(&b, "{\"custom_id\":\"%s\",\"components\":[", custom_id);
	va_start(ap, custom_id);
	while ((id = va_arg(ap, const char *)) != NULL) {
		buf_addf(&b, "%s{\"type\":18,\"component\":{\"type\":4,"
		    "\"custom_id\":\"%s\",\"value\":\"%s\"}}", sep, id,
		    va_arg(ap, const char *));
		sep = ",";
	}
	va_end(ap);
	buf_puts(&b, "]}");
	o = ix(5, user, role, buf_str(&b));
	buf_dispose(&b);
	return o;
}

static void
test_power_owner_and_denied(void **state)
{
	struct cmd_job	*job;
	cJSON		*r;

	job = started(slash("stop", "demo", ALICE, NULL), CB_DEFER,
	    MSG_EPHEMERAL, JOB_POWER);
	assert_int_equal(job->power, PANEL_STOP);
	assert_string_equal(job->server, "demo");
	/* the author as docs/gitops.md documents it */
	assert_string_equal(job->author, "u4444 (discord:" ALICE ") <" ALICE
	    "@users.discord.invalid>");
	assert_true(strncmp(job->request_id, "discord-1", 9) == 0);
	assert_string_equal(job->request_id + 8, job->interaction_id);
	cmd_job_free(job);

	/* BOB, without roles, is a member of demo with power and sftp */
	r = run(slash("stop", "demo", BOB, NULL), &job);
	assert_non_null(job);
	cmd_job_free(job);
	cJSON_Delete(r);
	refused(slash("edit", "demo", BOB, NULL), "`edit`");
	r = run(slash("stop", "survival", BOB, NULL), &job);
	assert_null(job);
	assert_int_equal(json_int64(r, "type", 0), CB_MESSAGE);
	assert_int_equal(json_int64(r, "data.flags", 0), MSG_EPHEMERAL);
	assert_contains(json_str(r, "data.content", ""), "You may not");
	assert_contains(json_str(r, "data.content", ""), "`power`");
	cJSON_Delete(r);

	/* a helper may power but not delete */
	r = run(slash("restart", "survival", BOB, HELPER), &job);
	assert_non_null(job);
	assert_int_equal(job->power, PANEL_RESTART);
	cmd_job_free(job);
	cJSON_Delete(r);
	refused(slash("delete", "survival", BOB, HELPER), "`delete`");

	/* an unknown server is not confirmed to a stranger */
	r = run(slash("stop", "nope", BOB, NULL), &job);
	assert_contains(json_str(r, "data.content", ""), "You may not");
	cJSON_Delete(r);
	r = run(slash("stop", "nope", BOB, HELPER), &job);
	assert_contains(json_str(r, "data.content", ""), "no server `nope`");
	cJSON_Delete(r);
	/* a name no server can have is "no such server", not a refusal */
	r = run(slash("stop", "../x", BOB, NULL), &job);
	assert_null(job);
	assert_contains(json_str(r, "data.content", ""), "no server `../x`");
	assert_null(strstr(json_str(r, "data.content", ""), "You may not"));
	cJSON_Delete(r);
}

/* A display name holding what a git signature cannot hold still commits. */
static void
test_author_names(void **state)
{
	static const struct {
		const char	*name;
		const char	*want;
	} cases[] = {
		{ "Eve <3", "Eve \xe2\x80\xb9" "3" },
		{ "<b>bold</b>", "\xe2\x80\xb9" "b\xe2\x80\xba" "bold"
		    "\xe2\x80\xb9/b\xe2\x80\xba" },
		{ "two\nlines\r\nhere", "two lines here" },
		{ "tab\tbell\a", "tab bell" },
		{ "para\xe2\x80\xa8sep \xf0\x9f\xa6\x9c", "para\xe2\x80\xa8sep "
		    "\xf0\x9f\xa6\x9c" },
		{ "...", "discord user" },
		{ "", "discord user" },
	};
	struct cmd_job	*job;
	cJSON		*in, *r;
	char		*want;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		in = slash("stop", "demo", ALICE, NULL);
		cJSON_AddStringToObject((cJSON *)json_get(in, "member.user"),
		    "global_name", cases[i].name);
		r = run(in, &job);
		assert_non_null(job);
		xasprintf(&want, "%s (discord:" ALICE ") <" ALICE
		    "@users.discord.invalid>", cases[i].want);
		assert_string_equal(job->author, want);
		free(want);
		cmd_job_free(job);
		cJSON_Delete(r);
	}
}

static void
test_create_flow(void **state)
{
	struct cmd_job	*job;
	cJSON		*r;

	r = run(slash("create", NULL, BOB, NULL), &job);
	assert_contains(json_str(r, "data.content", ""), "You may not create");
	cJSON_Delete(r);

	r = run(slash("create", NULL, BOB, HOST), &job);
	assert_null(job);
	assert_string_equal(json_str(r, "data.components.0.components.0."
	    "custom_id", ""), "c:n:-");
	holds(json_get(r, "data.components"), "\"value\":\"minecraft\"",
	    "\"value\":\"roost\"", NULL);
	cJSON_Delete(r);

	r = run(pick(BOB, HOST, "c:n:-", "minecraft"), &job);
	assert_int_equal(json_int64(r, "type", 0), CB_UPDATE);
	holds(json_get(r, "data.components"), "minecraft/paper", "c:e:-", NULL);
	cJSON_Delete(r);

	r = run(pick(BOB, HOST, "c:e:node-b", "roost/demo"), &job);
	assert_int_equal(json_int64(r, "type", 0), CB_MODAL);
	assert_string_equal(json_str(r, "data.custom_id", ""),
	    "c:m:node-b:roost/demo");
	assert_int_equal(cJSON_GetArraySize(json_get(r, "data.components")),
	    4);
	/* prefilled from roost.yaml's defaults */
	assert_string_equal(json_str(r, "data.components.1.component.value",
	    ""), "1024");
	cJSON_Delete(r);

	job = started(ix(5, BOB, HOST, "{\"custom_id\":"
	    "\"c:m:node-b:roost/demo\",\"components\":[{\"type\":1,"
	    "\"components\":[{\"type\":4,"
	    "\"custom_id\":\"name\",\"value\":\"mine\"}]},{\"type\":18,"
	    "\"component\":{\"type\":4,\"custom_id\":\"memory\",\"value\":"
	    "\" 256 \"}},{\"type\":18,\"component\":{\"type\":4,\"custom_id\":"
	    "\"disk\",\"value\":\"512\"}},{\"type\":18,\"component\":{\"type\":"
	    "4,\"custom_id\":\"cpu\",\"value\":\"0\"}}]}"), CB_DEFER,
	    MSG_EPHEMERAL, JOB_CREATE);
	assert_string_equal(job->server, "mine");
	assert_string_equal(job->egg, "roost/demo");
	assert_string_equal(job->node, "node-b");
	assert_int_equal(job->memory, 256);
	assert_int_equal(job->disk, 512);
	assert_int_equal(job->cpu, 0);
	cmd_job_free(job);

	/* a taken name and bad numbers are refused at once */
	refused(modal(BOB, HOST, "c:m:-:roost/demo", "name", "demo", NULL),
	    "exists already");
	refused(modal(BOB, HOST, "c:m:-:roost/demo", "name", "fresh",
	    "memory", "lots", NULL), "memory must be");

	/* 10^23 MiB is too much, not too little (no overflow) */
	r = run(modal(BOB, HOST, "c:m:-:roost/demo", "name", "fresh",
	    "memory", "100000000000000000000000", "disk", "1",
	    "cpu", "-99999999999999999999", NULL), &job);
	assert_null(job);
	assert_contains(json_str(r, "data.content", ""),
	    "memory must be at most 16777216 MiB");
	assert_null(strstr(json_str(r, "data.content", ""), "at least 64"));
	assert_contains(json_str(r, "data.content", ""),
	    "cpu must be at least 0");
	cJSON_Delete(r);
	refused(modal(ALICE, NULL, "e:demo", "memory",
	    "100000000000000000000000", NULL), "memory must be at most 16777216");
}

static void
test_vars_rules(void **state)
{
	struct cmd_job	*job;
	cJSON		*r;

	r = run(slash_str("vars", "demo", ALICE, "set", "MAX_PLAYERS=500"),
	    &job);
	assert_null(job);
	assert_contains(json_str(r, "data.content", ""), "MAX_PLAYERS");
	assert_contains(json_str(r, "data.content", ""), "Nothing was changed");
	cJSON_Delete(r);

	r = run(slash_str("vars", "demo", ALICE, "set",
	    "MAX_PLAYERS=20 MOTD=hi"), &job);
	assert_non_null(job);
	assert_int_equal(job->nkv, 2);
	assert_string_equal(job->kv[0], "MAX_PLAYERS=20");
	assert_string_equal(job->kv[1], "MOTD=hi");
	/* variables go to the panel's variable entry point only */
	assert_true(job->vars);
	cmd_job_free(job);
	cJSON_Delete(r);

	/* a server field as a variable name is refused, command and modal */
	refused(slash_str("vars", "demo", ALICE, "set", "owner=" BOB),
	    "not a variable name");
	refused(modal(ALICE, NULL, "v:demo", "node", "node-b", NULL),
	    "not a variable name");
	r = run(modal(ALICE, NULL, "v:demo", "MOTD", "hey", NULL), &job);
	assert_non_null(job);
	assert_true(job->vars);
	cmd_job_free(job);
	cJSON_Delete(r);

	/* the egg in a create modal's custom_id is input like any other */
	refused(modal(BOB, HOST, "c:m:-:../../etc/passwd", "name", "fresh",
	    NULL), "This form is broken");
	refused(modal(BOB, HOST, "c:m:nonode:roost/demo", "name", "fresh",
	    NULL), "This form is broken");
}

static void
test_status_embed(void **state)
{
	struct cmd_job	*job;
	cJSON		*r;

	r = run(slash("status", "demo", ALICE, NULL), &job);
	assert_null(job);
	/* 50%: the cpu bar, and memory 64 of 128 */
	holds(r, "\"title\":\"demo\"", "Running", "50%", "64 MiB of 128 MiB",
	    "0123456789ab", "\"custom_id\":\"p:start:demo\"",
	    "\"custom_id\":\"r:demo\"", NULL);
	cJSON_Delete(r);

	/* a server without a report says so */
	r = run(slash("status", "survival", ALICE, NULL), &job);
	holds(r, "Unreported", NULL);
	cJSON_Delete(r);
}

static void
test_autocomplete(void **state)
{
	struct cmd_job	*job;
	cJSON		*r;
	char		*t;

	r = run(ix(4, "666666666666666666", NULL, "{\"name\":\"server\","
	    "\"options\":[{\"type\":1,\"name\":\"status\",\"options\":[{"
	    "\"type\":3,\"name\":\"server\",\"value\":\"r\",\"focused\":true}]}"
	    "]}"), &job);
	assert_int_equal(json_int64(r, "type", 0), CB_AUTOCOMPLETE);
	t = json_print(r);
	/* only the servers that user may see */
	assert_contains(t, "\"rust\"");
	assert_contains(t, "\"terraria\"");
	assert_null(strstr(t, "survival"));
	free(t);
	cJSON_Delete(r);
}

static void
test_job_messages(void **state)
{
	struct cmd_env		 env;
	struct cmd_job		*job;
	struct cmd_result	 res;
	cJSON			*r, *m;
	const char		*text;

	env_init(&env);
	r = run(slash("sftp", "demo", ALICE, NULL), &job);
	assert_non_null(job);
	assert_string_equal(job->sftp_user, "u4444");
	memset(&res, 0, sizeof(res));
	strcpy(res.commit, "abcdef0123456789");
	res.password = xstrdup("s3cret-password-1234567");
	res.dm_closed = 1;
	m = cmd_job_message(&env, job, &res);
	assert_contains(json_str(m, "content", ""), "s3cret-password-1234567");
	cJSON_Delete(m);
	res.dm_closed = 0;
	res.dm_sent = 1;
	m = cmd_job_message(&env, job, &res);
	text = json_str(m, "content", "");
	assert_null(strstr(text, "s3cret"));
	assert_contains(text, "direct message");
	cJSON_Delete(m);
	cmd_result_dispose(&res);

	memset(&res, 0, sizeof(res));
	res.rc = ROOST_EINVAL;
	snprintf(res.msg, sizeof(res.msg), "refused");
	res.problems = xstrdup("servers/demo.yaml:9:3: error: bad");
	m = cmd_job_message(&env, job, &res);
	assert_contains(json_str(m, "content", ""), "servers/demo.yaml:9:3");
	cJSON_Delete(m);
	cmd_result_dispose(&res);
	cmd_job_free(job);
	cJSON_Delete(r);
}

#define COMMIT	"abcdef0123456789abcdef0123456789abcdef01"
/* A report's revisions: COMMIT observed and applied. */
#define OBS	"\"observedRevision\":\"" COMMIT "\",\"appliedRevision\":\"" \
		COMMIT "\""

/* The follow message of job for a report (JSON text or NULL). */
static cJSON *
follow(const struct cmd_job *job, const struct cmd_result *res,
    const char *report, const struct cmd_progress *lines, size_t n,
    int connected, int timed_out, int *settled)
{
	struct cmd_env		 env;
	struct cmd_follow	 f;
	cJSON			*rj = report ? cJSON_Parse(report) : NULL, *m;

	assert_true(report == NULL || rj != NULL);
	env_init(&env);
	memset(&f, 0, sizeof(f));
	f.job = job;
	f.res = res;
	f.status = rj;
	f.lines = lines;
	f.nlines = n;
	f.connected = connected;
	f.timed_out = timed_out;
	m = cmd_follow_message(&env, &f);
	*settled = cmd_job_settled(job, res, rj);
	cJSON_Delete(rj);
	return m;
}

/*
 * Fails unless the message of a connected follow of report contains want
 * and settled is want_settled.
 */
static void
follow_says(const struct cmd_job *job, const struct cmd_result *res,
    const char *report, const struct cmd_progress *lines, size_t n,
    int want_settled, const char *want)
{
	cJSON	*m;
	int	 settled;

	m = follow(job, res, report, lines, n, 1, 0, &settled);
	if (settled != want_settled)
		fail_msg("'%s': settled %d, want %d", want, settled,
		    want_settled);
	assert_contains(json_str(m, "content", ""), want);
	cJSON_Delete(m);
}

/* res, committed as COMMIT for node, is one job follows. */
static void
followed(const struct cmd_job *job, struct cmd_result *res,
    const char *node)
{
	memset(res, 0, sizeof(*res));
	strcpy(res->commit, COMMIT);
	res->node = xstrdup(node);
	assert_true(cmd_job_follows(job, res));
}

static void
test_follow_message(void **state)
{
	static const struct cmd_progress pull[] = {
		{ "pull", "layer1: Downloading 1/10" },
		{ "start", "Demo server ready" },
		{ "pull", "layer1: Downloading 5/10" },
		{ "pull", "layer2: Pulling fs layer" },
		{ "pull", "layer1: Download `complete`" },
	};
	struct cmd_job		*job;
	struct cmd_result	 res;
	struct buf		 log;
	cJSON			*r, *m;
	char			*t, *rep;
	int			 settled, i;

	r = run(slash("start", "demo", ALICE, NULL), &job);
	assert_non_null(job);
	followed(job, &res, "node-a");

	/* nothing reported for the commit yet */
	m = follow(job, &res, NULL, NULL, 0, 1, 0, &settled);
	assert_false(settled);
	assert_contains(json_str(m, "content", ""), "committed `abcdef0`");
	assert_contains(json_str(m, "content", ""),
	    "Waiting for node `node-a` to apply commit `abcdef0`");
	cJSON_Delete(m);
	m = follow(job, &res, NULL, NULL, 0, 0, 0, &settled);
	assert_contains(json_str(m, "content", ""), "is not connected");
	cJSON_Delete(m);
	follow_says(job, &res, "{\"phase\":\"Running\",\"ready\":true,"
	    "\"observedRevision\":\"0000000000\",\"appliedRevision\":"
	    "\"0000000000\"}", NULL, 0, 0, "Waiting for node");

	/* pulling: the latest line in the headline, the last three below */
	m = follow(job, &res, "{\"phase\":\"Pulling\",\"observedRevision\":"
	    "\"abcdef0\"}", pull, 5, 1, 0, &settled);
	assert_false(settled);
	t = json_print(m);
	assert_contains(json_str(m, "content", ""),
	    "Pulling image\xe2\x80\xa6 `layer1: Download 'complete'`");
	assert_contains(t, "\"name\":\"Image pull\"");
	assert_contains(t, "layer1: Downloading 5/10");
	assert_null(strstr(t, "Downloading 1/10"));
	assert_null(strstr(t, "Demo server ready"));
	assert_contains(t, "\"custom_id\":\"r:demo\"");
	free(t);
	cJSON_Delete(m);

	/* installing: the last ten lines of the log */
	buf_init(&log, 0);
	buf_addf(&log, "{\"phase\":\"Installing\",\"observedRevision\":\"%s\","
	    "\"install\":{\"logTail\":\"", COMMIT);
	for (i = 1; i <= 15; i++)
		buf_addf(&log, "install line %02d\\n", i);
	buf_addf(&log, "\"}}");
	m = follow(job, &res, buf_str(&log), NULL, 0, 1, 0, &settled);
	buf_dispose(&log);
	t = json_print(m);
	assert_contains(json_str(m, "content", ""), "Installing\xe2\x80\xa6");
	assert_contains(t, "\"name\":\"Install log\"");
	assert_contains(t, "install line 15");
	assert_contains(t, "install line 06");
	assert_null(strstr(t, "install line 05"));
	free(t);
	cJSON_Delete(m);

	follow_says(job, &res, "{\"phase\":\"Starting\",\"observedRevision\":"
	    "\"" COMMIT "\"}", NULL, 0, 0, "**Starting\xe2\x80\xa6**");

	/* running at the commit: settled, with its usage */
	xasprintf(&rep, "{\"phase\":\"Running\",\"ready\":true,"
	    "\"observedRevision\":\"%s\",\"appliedRevision\":\"%s\",\"usage\":"
	    "{\"cpuPercent\":12.5,\"memoryBytes\":50331648,"
	    "\"memoryLimitBytes\":134217728,\"sampledAt\":"
	    "\"2026-11-25T10:00:00Z\"}}", COMMIT, COMMIT);
	m = follow(job, &res, rep, NULL, 0, 1, 0, &settled);
	free(rep);
	assert_true(settled);
	t = json_print(m);
	assert_contains(json_str(m, "content", ""), "Running \xc2\xb7 CPU 12% "
	    "\xc2\xb7 memory 48 MiB of 128 MiB");
	assert_contains(t, "48 MiB of 128 MiB");
	assert_contains(t, "\"name\":\"CPU\"");
	free(t);
	cJSON_Delete(m);

	/* running before the first usage sample says so */
	follow_says(job, &res, "{\"phase\":\"Running\",\"ready\":true,"
	    "\"appliedRevision\":\"" COMMIT "\",\"usage\":{\"cpuPercent\":0,"
	    "\"sampledAt\":null}}", NULL, 0, 1, "no usage sample yet");

	/* failures say what went wrong */
	follow_says(job, &res, "{\"phase\":\"Failed\",\"ready\":false,"
	    "\"message\":\"port 25600 is in use\",\"observedRevision\":\""
	    COMMIT "\"}", NULL, 0, 1, "**Failed: port 25600 is in use**");

	/* given up while still pulling */
	m = follow(job, &res, "{\"phase\":\"Pulling\",\"observedRevision\":\""
	    COMMIT "\"}", pull, 5, 1, 1, &settled);
	assert_contains(json_str(m, "content", ""), "Still Pulling");
	cJSON_Delete(m);
	m = follow(job, &res, NULL, NULL, 0, 1, 1, &settled);
	assert_contains(json_str(m, "content", ""), "has not reported");
	cJSON_Delete(m);

	res.unchanged = 1;
	assert_false(cmd_job_follows(job, &res));
	res.unchanged = 0;
	res.rc = ROOST_EINVAL;
	assert_false(cmd_job_follows(job, &res));
	cmd_result_dispose(&res);
	cmd_job_free(job);
	cJSON_Delete(r);
}

static void
test_follow_settled(void **state)
{
	static const struct {
		const char	*report;
		int		 settled;
	} cases[] = {
		{ "{\"phase\":\"Running\",\"appliedRevision\":\"" COMMIT "\","
		    "\"usage\":{\"sampledAt\":\"2026-11-25T10:00:00Z\"}}", 1 },
		{ "{\"phase\":\"Running\",\"appliedRevision\":\"" COMMIT "\","
		    "\"usage\":{\"sampledAt\":null}}", 1 },
		{ "{\"phase\":\"Running\",\"observedRevision\":\"" COMMIT "\","
		    "\"appliedRevision\":\"0123456789\"}", 0 },
		{ "{\"phase\":\"Stopped\",\"reason\":\"Succeeded\","
		    "\"appliedRevision\":\"abcdef01234\"}", 1 },
		{ "{\"phase\":\"Stopped\",\"reason\":\"Progressing\","
		    "\"appliedRevision\":\"" COMMIT "\"}", 0 },
		{ "{\"phase\":\"Stopped\",\"reason\":\"DiskLimitExceeded\","
		    "\"observedRevision\":\"" COMMIT "\"}", 1 },
		{ "{\"phase\":\"Crashed\",\"observedRevision\":\"" COMMIT "\"}",
		    0 },
		{ "{\"phase\":\"CrashLoop\",\"observedRevision\":\"" COMMIT
		    "\"}", 1 },
		{ "{\"phase\":\"InstallFailed\",\"observedRevision\":\"" COMMIT
		    "\"}", 1 },
		{ "{\"phase\":\"Invalid\",\"observedRevision\":\"" COMMIT
		    "\"}", 1 },
		{ "{\"phase\":\"Installing\",\"observedRevision\":\"" COMMIT
		    "\"}", 0 },
		{ "{\"phase\":\"Failed\",\"observedRevision\":\"abc\"}", 0 },
	};
	cJSON	*rj;
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rj = cJSON_Parse(cases[i].report);
		assert_non_null(rj);
		if (cmd_follow_settled(rj, COMMIT) != cases[i].settled)
			fail_msg("%s: settled should be %d", cases[i].report,
			    cases[i].settled);
		cJSON_Delete(rj);
	}
	assert_false(cmd_follow_settled(NULL, COMMIT));
}

static void
test_status_view(void **state)
{
	static const struct cmd_progress pull[] = {
		{ "pull", "abc: Extracting 3/9" },
	};
	struct cmd_env	 env;
	struct cmd_job	*job;
	cJSON		*r, *rj, *m;
	char		 server[64];

	/* /server status and Refresh are status views, others are not */
	r = run(slash("status", "demo", ALICE, NULL), &job);
	assert_true(cmd_reply_view(r, server, sizeof(server)));
	assert_string_equal(server, "demo");
	cJSON_Delete(r);
	r = run(press(ALICE, NULL, "r:demo"), &job);
	assert_true(cmd_reply_view(r, server, sizeof(server)));
	cJSON_Delete(r);
	r = run(slash("history", "demo", ALICE, NULL), &job);
	assert_false(cmd_reply_view(r, server, sizeof(server)));
	cmd_job_free(job);
	cJSON_Delete(r);
	r = run(slash("delete", "demo", ALICE, NULL), &job);
	assert_false(cmd_reply_view(r, server, sizeof(server)));
	cJSON_Delete(r);

	/* the view renders the report it is given */
	env_init(&env);
	rj = cJSON_Parse("{\"phase\":\"Pulling\",\"reason\":\"Pulling\"}");
	m = cmd_status_view(&env, "demo", rj, pull, 1);
	holds(m, "Pulling \xc2\xb7 Pulling", "abc: Extracting 3/9",
	    "\"custom_id\":\"p:stop:demo\"", NULL);
	cJSON_Delete(m);
	cJSON_Delete(rj);
	m = cmd_status_view(&env, "nosuch", NULL, NULL, 0);
	assert_contains(json_str(m, "content", ""), "no longer exists");
	cJSON_Delete(m);
}

static void
test_definitions_and_bar(void **state)
{
	cJSON		*d = cmd_definitions(), *c;
	char		 bar[128];
	int		 n = 0;

	cJSON_ArrayForEach(c, d) {
		assert_true(strlen(json_str(c, "description", "")) <= 100);
		n++;
	}
	/* server, node, egg, and plan with its option and no subcommand */
	assert_int_equal(n, 4);
	c = cJSON_GetArrayItem(d, 3);
	assert_string_equal(json_str(c, "name", ""), "plan");
	assert_string_equal(json_str(c, "options.0.name", ""), "branch");
	assert_int_equal(json_int64(c, "options.0.type", 0), 3);
	assert_true(json_bool(c, "options.0.required", 0));
	cJSON_Delete(d);
	cmd_bar(50, 100, 10, bar, sizeof(bar));
	assert_contains(bar, "50%");
	cmd_bar(1, 0, 10, bar, sizeof(bar));
	assert_string_equal(bar, "unlimited");
	cmd_bar(300, 100, 4, bar, sizeof(bar));
	assert_contains(bar, "300%");
}

/* A create modal with one cpu value; returns the reply and the job. */
static cJSON *
create_with_cpu(const char *cpu, struct cmd_job **job)
{
	return run(modal(BOB, HOST, "c:m:-:roost/demo", "name", "fresh",
	    "memory", "256", "disk", "512", "cpu", cpu, NULL), job);
}

/*
 * The modals take their bounds from the limits table: a cpu above what the
 * state loader accepts is refused at once, not after a git round trip.
 */
static void
test_modal_bounds_from_table(void **state)
{
	const struct limit_def	*cpu = limit_get(LIMIT_CPU);
	struct cmd_job		*job;
	cJSON			*r;
	char			 v[32];

	assert_int_equal(cpu->max, 6400);
	snprintf(v, sizeof(v), "%lld", (long long)cpu->max + 1);
	r = create_with_cpu("100000", &job);
	assert_null(job);
	assert_contains(json_str(r, "data.content", ""), "cpu must be");
	cJSON_Delete(r);
	r = create_with_cpu(v, &job);
	assert_null(job);
	cJSON_Delete(r);
	snprintf(v, sizeof(v), "%lld", (long long)cpu->max);
	r = create_with_cpu(v, &job);
	assert_non_null(job);
	assert_int_equal(job->cpu, cpu->max);
	cmd_job_free(job);
	cJSON_Delete(r);

	/* The edit modal likewise. */
	snprintf(v, sizeof(v), "%lld", (long long)cpu->max + 1);
	refused(modal(ALICE, NULL, "e:demo", "cpu", v, NULL),
	    "cpu must be at most 6400, not `6401`");
	snprintf(v, sizeof(v), "%lld", (long long)cpu->max);
	r = run(modal(ALICE, NULL, "e:demo", "cpu", v, NULL), &job);
	assert_non_null(job);
	cmd_job_free(job);
	cJSON_Delete(r);
}


/* /server console and /server logs: permission, input rules, options. */
static void
test_console_commands(void **state)
{
	struct cmd_job	*job;
	cJSON		*r;

	job = started(slash_str("console", "demo", ALICE, "command",
	    "whitelist add Steve"), CB_DEFER, MSG_EPHEMERAL, JOB_CONSOLE);
	assert_string_equal(job->line, "whitelist add Steve");
	assert_string_equal(job->node, "node-a");
	assert_true(CMD_JOB_CONSOLE(job->kind));
	cmd_job_free(job);

	/* public on request, as a boolean or as typed text */
	r = run(slash_more("console", "demo", ALICE, NULL, ",{\"type\":3,"
	    "\"name\":\"command\",\"value\":\"op Alex\"},{\"type\":5,"
	    "\"name\":\"public\",\"value\":true}"), &job);
	assert_int_equal(json_int64(r, "data.flags", 0), 0);
	assert_int_equal(job->ephemeral, 0);
	cmd_job_free(job);
	cJSON_Delete(r);

	/* BOB is a member of demo without console */
	r = run(slash_str("console", "demo", BOB, "command", "op Bob"), &job);
	assert_null(job);
	assert_int_equal(json_int64(r, "data.flags", 0), MSG_EPHEMERAL);
	assert_contains(json_str(r, "data.content", ""), "`console`");
	cJSON_Delete(r);
	r = run(slash_more("logs", "demo", BOB, NULL, ""), &job);
	assert_null(job);
	assert_contains(json_str(r, "data.content", ""), "read the console");
	cJSON_Delete(r);

	/* a second command smuggled after a line break never leaves */
	r = run(slash_str("console", "demo", ALICE, "command",
	    "say hi\\nop Mallory"), &job);
	assert_null(job);
	assert_contains(json_str(r, "data.content", ""), "line break");
	cJSON_Delete(r);
	r = run(slash_str("console", "demo", ALICE, "command",
	    "say \\u001b[2J"), &job);
	assert_null(job);
	assert_contains(json_str(r, "data.content", ""), "U+001B");
	cJSON_Delete(r);

	/* logs: 20 lines unless asked, at most 100 */
	r = run(slash_more("logs", "demo", ALICE, NULL, ""), &job);
	assert_int_equal(job->kind, JOB_LOGS);
	assert_int_equal(job->nlines, 20);
	cmd_job_free(job);
	cJSON_Delete(r);
	r = run(slash_more("logs", "demo", ALICE, NULL, ",{\"type\":4,"
	    "\"name\":\"lines\",\"value\":5}"), &job);
	assert_int_equal(job->nlines, 5);
	cmd_job_free(job);
	cJSON_Delete(r);
	r = run(slash_str("logs", "demo", ALICE, "lines", "100000"), &job);
	assert_int_equal(job->nlines, 100);
	cmd_job_free(job);
	cJSON_Delete(r);

	/* Follow, Send command and its modal */
	r = run(press(ALICE, NULL, "lf:demo"), &job);
	assert_int_equal(json_int64(r, "type", 0), CB_DEFER_UPDATE);
	assert_int_equal(job->kind, JOB_FOLLOW);
	cmd_job_free(job);
	cJSON_Delete(r);
	r = run(press(BOB, NULL, "lf:demo"), &job);
	assert_null(job);
	cJSON_Delete(r);
	r = run(press(ALICE, NULL, "ls:demo"), &job);
	assert_int_equal(json_int64(r, "type", 0), CB_MODAL);
	assert_string_equal(json_str(r, "data.custom_id", ""), "lc:demo");
	cJSON_Delete(r);
	r = run(modal(ALICE, NULL, "lc:demo", "line", "kick Griefer", NULL),
	    &job);
	assert_int_equal(job->kind, JOB_CONSOLE);
	assert_string_equal(job->line, "kick Griefer");
	assert_int_equal(json_int64(r, "data.flags", 0), MSG_EPHEMERAL);
	cmd_job_free(job);
	cJSON_Delete(r);
}

/* Counts the occurrences of needle in s. */
static int
count_of(const char *s, const char *needle)
{
	int	n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* The console messages fit Discord and cannot be broken out of. */
static void
test_console_messages(void **state)
{
	struct cmd_console_view	 v;
	struct cmd_job		 job;
	const char		*lines[600];
	char			*store[600], big[1000];
	const char		*c;
	cJSON			*m, *e;
	size_t			 i;

	memset(&job, 0, sizeof(job));
	job.kind = JOB_CONSOLE;
	job.server = xstrdup("demo");
	job.line = xstrdup("say ```@everyone");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < 600; i++) {
		xasprintf(&store[i], "line %zu ```%s", i, i == 599 ? big : "");
		lines[i] = store[i];
	}
	memset(&v, 0, sizeof(v));
	v.lines = lines;
	v.nlines = 600;
	m = cmd_console_message(&job, &v);
	c = json_str(m, "content", "");
	assert_true(strlen(c) <= 2000);
	assert_contains(c, "earlier lines not shown");
	assert_contains(c, "line 598");		/* the newest are kept */
	assert_contains(c, "line 599");
	/* exactly the block's two fences: no line ends it early */
	assert_int_equal(count_of(c, "```"), 2);
	assert_true(cJSON_IsArray(cJSON_GetObjectItem(json_get(m,
	    "allowed_mentions"), "parse")));
	cJSON_Delete(m);

	v.nlines = 0;
	m = cmd_console_message(&job, &v);
	assert_contains(json_str(m, "content", ""), "no output");
	cJSON_Delete(m);
	v.error = "node a is not connected to the bot right now";
	m = cmd_console_message(&job, &v);
	assert_contains(json_str(m, "content", ""), "Not sent");
	assert_contains(json_str(m, "content", ""), "not connected");
	cJSON_Delete(m);

	/* logs: the buttons; Follow disabled while following */
	job.kind = JOB_LOGS;
	memset(&v, 0, sizeof(v));
	v.lines = lines;
	v.nlines = 3;
	v.following = 1;
	v.until = "12:34 UTC";
	m = cmd_console_message(&job, &v);
	assert_contains(json_str(m, "content", ""), "following until 12:34");
	assert_string_equal(json_str(m, "components.0.components.0.custom_id",
	    ""), "lf:demo");
	assert_true(json_bool(m, "components.0.components.0.disabled", 0));
	assert_string_equal(json_str(m, "components.0.components.1.custom_id",
	    ""), "ls:demo");
	cJSON_Delete(m);
	for (i = 0; i < 600; i++)
		free(store[i]);
	free(job.server);
	free(job.line);

	/* the audit channel: the user by mention, pinging nobody */
	e = cJSON_Parse("{\"time\":\"2026-12-02T10:00:00.000Z\",\"server\":"
	    "\"demo\",\"who\":\"discord:" ALICE "\",\"line\":\"op ```Alex\"}");
	m = cmd_audit_message("node-a", e);
	assert_contains(json_str(m, "content", ""), "<@" ALICE ">");
	assert_int_equal(count_of(json_str(m, "content", ""), "```"), 2);
	assert_int_equal(cJSON_GetArraySize(json_get(m,
	    "allowed_mentions.parse")), 0);
	cJSON_Delete(m);
	cJSON_Delete(e);
	e = cJSON_Parse("{\"server\":\"demo\",\"who\":\"unix:a`b\","
	    "\"line\":\"say x\"}");
	m = cmd_audit_message("node-a", e);
	assert_contains(json_str(m, "content", ""), "`unix:a'b`");
	cJSON_Delete(m);
	cJSON_Delete(e);
}

/* What a sequence of reports means for the alerts channel. */
static void
test_alert_steps(void **state)
{
	static const struct {
		const char	*report;
		enum alert_event want;
	} seq[] = {
		{ "{\"phase\":\"Running\",\"container\":{\"restarts\":0}}",
		    AE_NONE },		/* the first report: a baseline */
		{ "{\"phase\":\"Crashed\",\"container\":{\"restarts\":0}}",
		    AE_CRASH },
		{ "{\"phase\":\"Running\",\"container\":{\"restarts\":1}}",
		    AE_NONE },		/* the restart of that crash */
		{ "{\"phase\":\"Running\",\"container\":{\"restarts\":2}}",
		    AE_CRASH },		/* a crash between two reports */
		{ "{\"phase\":\"Crashed\",\"container\":{\"restarts\":2}}",
		    AE_CRASH },
		{ "{\"phase\":\"CrashLoop\",\"container\":{\"restarts\":4}}",
		    AE_CRASHLOOP },
		{ "{\"phase\":\"CrashLoop\",\"container\":{\"restarts\":4}}",
		    AE_NONE },		/* still: nothing new */
		{ "{\"phase\":\"Installing\"}", AE_NONE },
		{ "{\"phase\":\"InstallFailed\"}", AE_INSTALL },
		{ "{\"phase\":\"Failed\"}", AE_START },
		{ "{\"phase\":\"Stopped\"}", AE_NONE },
		{ "{\"phase\":\"Running\",\"schedules\":[{\"failures\":0}]}",
		    AE_NONE },
		{ "{\"phase\":\"Running\",\"schedules\":[{\"failures\":0},"
		    "{\"failures\":1}]}", AE_SCHEDULE },	/* a failed run */
		{ "{\"phase\":\"Running\",\"schedules\":[{\"failures\":1}]}",
		    AE_NONE },		/* the same failure */
		{ "{\"phase\":\"Running\",\"backups\":{\"lastBackup\":"
		    "{\"result\":\"succeeded\",\"finishedAt\":\"T1\"}}}",
		    AE_NONE },
		{ "{\"phase\":\"Running\",\"backups\":{\"lastBackup\":"
		    "{\"result\":\"failed\",\"finishedAt\":\"T2\"}}}",
		    AE_BACKUP },	/* a backup failed */
		{ "{\"phase\":\"Running\",\"backups\":{\"lastBackup\":"
		    "{\"result\":\"failed\",\"finishedAt\":\"T2\"}}}",
		    AE_NONE },		/* the same one */
	};
	struct alert_track	 t;
	cJSON			*o;
	size_t			 i;

	memset(&t, 0, sizeof(t));
	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		o = cJSON_Parse(seq[i].report);
		assert_int_equal(alert_step(&t, o, NULL), seq[i].want);
		cJSON_Delete(o);
	}
	/*
	 * A first report with a failed backup or a failing phase: old news
	 * from before the watcher started, news at or after that.
	 */
	for (i = 0; i < 3; i++) {
		static const char *const since = "2026-12-03T14:56:59Z";
		static const char *const end[] = { "2026-12-03T14:56:58Z",
		    "2026-12-03T14:56:59Z", "2026-12-03T14:57:00Z" };
		char	rep[256];

		memset(&t, 0, sizeof(t));
		snprintf(rep, sizeof(rep), "{\"phase\":\"Stopped\",\"backups\":"
		    "{\"lastBackup\":{\"result\":\"failed\",\"finishedAt\":"
		    "\"%s\"}}}", end[i]);
		o = cJSON_Parse(rep);
		assert_int_equal(alert_step(&t, o, since), i == 0 ? AE_NONE :
		    AE_BACKUP);
		assert_int_equal(alert_step(&t, o, since), AE_NONE);	/* once */
		cJSON_Delete(o);
		/* the same for a failing phase entered then */
		memset(&t, 0, sizeof(t));
		snprintf(rep, sizeof(rep), "{\"phase\":\"Failed\","
		    "\"lastTransitionTime\":\"%s\"}", end[i]);
		o = cJSON_Parse(rep);
		assert_int_equal(alert_step(&t, o, since), i == 0 ? AE_NONE :
		    AE_START);
		assert_int_equal(alert_step(&t, o, since), AE_NONE);
		cJSON_Delete(o);
	}
	assert_int_equal(alert_event_bit(AE_CRASHLOOP), ALERT_CRASHLOOP);
	assert_int_equal(alert_event_bit(AE_NONE), 0);
	assert_int_equal(alert_event_bit(AE_SCHEDULE), ALERT_SCHEDULE);
	assert_int_equal(alert_event_bit(AE_BACKUP), ALERT_BACKUP);
}

/* /server backup and /server restore: permissions, select, confirm, jobs. */
static void
test_backup_commands(void **state)
{
	struct cmd_job	*job;
	cJSON		*r;

	job = started(slash_str("backup", "demo", ALICE, "note",
	    "before <the> update"), CB_DEFER, MSG_EPHEMERAL, JOB_BACKUP);
	assert_string_equal(job->note, "before <the> update");
	cmd_job_free(job);
	/* a member with power and sftp only may not */
	refused(slash("backup", "demo", BOB, NULL), "`backup`");
	refused(slash("restore", "demo", BOB, NULL), "`backup`");
	refused(slash_str("backup", "demo", ALICE, "note", "two\\nlines"),
	    "one line");

	/* the select lists the node's backups, newest first */
	r = run(slash("restore", "demo", ALICE, NULL), &job);
	assert_null(job);
	assert_int_equal(json_int64(r, "data.flags", 0), MSG_EPHEMERAL);
	assert_string_equal(json_str(r, "data.components.0.components.0."
	    "custom_id", ""), "rs:demo");
	assert_string_equal(json_str(r, "data.components.0.components.0."
	    "options.0.value", ""), "20261201T100000Z");
	assert_string_equal(json_str(r, "data.components.0.components.0."
	    "options.1.value", ""), "20261130T100000Z");
	assert_contains(json_str(r, "data.components.0.components.0."
	    "options.0.description", ""), "1 MiB \xc2\xb7 12 files");
	cJSON_Delete(r);
	/* a server its node has not reported */
	refused(slash("restore", "survival", ALICE, NULL), "has not reported");
	/* a named backup goes straight to the confirmation */
	r = run(slash_str("restore", "demo", ALICE, "backup",
	    "20261130T100000Z"), &job);
	assert_string_equal(json_str(r, "data.components.0.components.0."
	    "custom_id", ""), "ro:demo:20261130T100000Z");
	cJSON_Delete(r);
	refused(slash_str("restore", "demo", ALICE, "backup", "nope"),
	    "has no backup");

	/* the pick asks to confirm, naming the backup; mentions nobody */
	r = run(pick(ALICE, NULL, "rs:demo", "20261201T100000Z"), &job);
	assert_null(job);
	assert_int_equal(json_int64(r, "type", 0), CB_UPDATE);
	holds(r, "ro:demo:20261201T100000Z", "before <@everyone>",
	    "\"parse\":[]", NULL);
	cJSON_Delete(r);
	refused(pick(BOB, NULL, "rs:demo", "20261201T100000Z"), "`backup`");
	refused(pick(ALICE, NULL, "rs:demo", "20200101T000000Z"),
	    "no longer listed");

	/* the Restore button: a restore job on the message */
	job = started(press(ALICE, NULL, "ro:demo:20261201T100000Z"),
	    CB_DEFER_UPDATE, 0, JOB_RESTORE);
	assert_string_equal(job->backup_id, "20261201T100000Z");
	assert_true(job->on_message);
	cmd_job_free(job);
	refused(press(ALICE, NULL, "ro:demo:../x"), "broken");
	refused(press(BOB, NULL, "ro:demo:20261201T100000Z"), "`backup`");
}

/* A followed backup and restore: waiting, running, done or failed. */
static void
test_backup_follow(void **state)
{
	static const struct cmd_progress prog[] = {
		{ "backup", "1200 files, 300 MiB" },
	};
	struct cmd_job		*job;
	struct cmd_result	 res;
	cJSON			*r;

	r = run(slash("backup", "demo", ALICE, NULL), &job);
	cJSON_Delete(r);
	followed(job, &res, "node-a");
	strcpy(res.at, "2026-12-02T10:00:01Z");

	/* the last backup is an older request's */
	follow_says(job, &res, "{\"phase\":\"Running\"," OBS ",\"backups\":"
	    "{\"running\":null,\"lastBackup\":{\"requestedAt\":"
	    "\"2026-12-02T10:00:00Z\",\"result\":\"succeeded\",\"id\":"
	    "\"old\"}}}", NULL, 0, 0,
	    "Waiting for node `node-a` to start the backup");
	follow_says(job, &res, "{\"phase\":\"Running\"," OBS ",\"backups\":"
	    "{\"running\":\"backup\"}}", prog, 1, 0,
	    "Backing up\xe2\x80\xa6 `1200 files, 300 MiB`");
	follow_says(job, &res, "{\"phase\":\"Running\"," OBS ",\"backups\":"
	    "{\"running\":null,\"lastBackup\":{\"requestedAt\":"
	    "\"2026-12-02T10:00:01Z\",\"result\":\"succeeded\",\"id\":"
	    "\"20261202T100002Z\",\"size\":3145728,\"entries\":40}}}", NULL,
	    0, 1, "Backup `20261202T100002Z` taken \xc2\xb7 3 MiB \xc2\xb7 "
	    "40 files");
	/* the node went on to a later commit: the result still counts */
	follow_says(job, &res, "{\"phase\":\"Running\",\"appliedRevision\":"
	    "\"0123456789\",\"observedRevision\":\"0123456789\",\"backups\":"
	    "{\"running\":null,\"lastBackup\":{\"requestedAt\":"
	    "\"2026-12-02T10:00:02Z\",\"result\":\"succeeded\",\"id\":"
	    "\"later\",\"size\":1000,\"entries\":4}}}", NULL, 0, 1,
	    "Backup `later` taken \xc2\xb7 1 KiB");
	follow_says(job, &res, "{\"phase\":\"Running\"," OBS ",\"backups\":"
	    "{\"running\":null,\"lastBackup\":{\"requestedAt\":"
	    "\"2026-12-02T10:00:01Z\",\"result\":\"failed\",\"message\":"
	    "\"no space left on `device`\"}}}", NULL, 0, 1,
	    "Backup failed: no space left on 'device'");
	cmd_job_free(job);

	/* a restore is done once the server is back */
	r = run(press(ALICE, NULL, "ro:demo:20261201T100000Z"), &job);
	cJSON_Delete(r);
	follow_says(job, &res, "{\"phase\":\"Stopped\",\"reason\":"
	    "\"Progressing\"," OBS ",\"backups\":{\"running\":\"restore\"}}",
	    NULL, 0, 0, "Restoring");
	follow_says(job, &res, "{\"phase\":\"Starting\"," OBS ",\"backups\":"
	    "{\"running\":null,\"lastRestore\":{\"requestedAt\":"
	    "\"2026-12-02T10:00:01Z\",\"result\":\"succeeded\"}}}", NULL, 0, 0,
	    "Restored from `20261201T100000Z`; Starting");
	follow_says(job, &res, "{\"phase\":\"Running\"," OBS ",\"backups\":"
	    "{\"running\":null,\"lastRestore\":{\"requestedAt\":"
	    "\"2026-12-02T10:00:01Z\",\"result\":\"succeeded\"}}}", NULL, 0, 1,
	    "");
	cmd_job_free(job);
	cmd_result_dispose(&res);
}

/* needle stands exactly once in the printed reply r. */
static void
json_print_assert_once(const cJSON *r, const char *needle)
{
	char		*s = json_print(r);
	const char	*p;
	int		 n = 0;

	for (p = s; (p = strstr(p, needle)) != NULL; p++)
		n++;
	if (n != 1)
		print_error("%s stands %d times in %s\n", needle, n, s);
	free(s);
	assert_int_equal(n, 1);
}

/* /server move: the confirmation, refusals, the job. */
static void
test_move_commands(void **state)
{
	struct cmd_job	*job;
	cJSON		*r;

	r = run(slash_str("move", "demo", ALICE, "node", "node-b"), &job);
	assert_null(job);
	assert_int_equal(json_int64(r, "data.flags", 0), MSG_EPHEMERAL);
	assert_contains(json_str(r, "data.content", ""), "Move `demo` from "
	    "node `node-a` to node `node-b`?");
	assert_string_equal(json_str(r, "data.components.0.components.0."
	    "custom_id", ""), "mv:demo:node-b");
	/* one allowed_mentions, naming nobody: a repeated key is ambiguous */
	json_print_assert_once(r, "\"allowed_mentions\"");
	cJSON_Delete(r);
	refused(slash_str("move", "demo", ALICE, "node", "node-a"), "already");
	refused(slash_str("move", "demo", ALICE, "node", "<@everyone>"),
	    "no node");
	refused(slash_str("move", "demo", BOB, "node", "node-b"), "`edit`");

	job = started(press(ALICE, NULL, "mv:demo:node-b"), CB_DEFER_UPDATE,
	    0, JOB_MOVE);
	assert_string_equal(job->node, "node-b");
	cmd_job_free(job);
	refused(press(BOB, NULL, "mv:demo:node-b"), "`edit`");
	refused(press(ALICE, NULL, "mv:demo:nowhere"), "no node");
	refused(press(ALICE, NULL, "mv:demo"), "broken");

	/* the move's job follows the server on its new node */
	{
		struct cmd_result	res;
		int			settled;
		cJSON			*m;

		r = run(press(ALICE, NULL, "mv:demo:node-b"), &job);
		cJSON_Delete(r);
		followed(job, &res, "node-b");
		m = follow(job, &res, "{\"phase\":\"Transferring\","
		    "\"observedRevision\":\"" COMMIT "\",\"transfer\":"
		    "{\"from\":\"node-a\",\"message\":\"waiting for the "
		    "final backup\"}}", NULL, 0, 1, 0, &settled);
		assert_false(settled);
		assert_contains(json_str(m, "content", ""), "Moved `demo` to "
		    "node `node-b`");
		assert_contains(json_str(m, "content", ""), "Transferring: the "
		    "files come from node `node-a`");
		assert_contains(json_str(m, "content", ""), "(waiting for the "
		    "final backup)");
		cJSON_Delete(m);
		cmd_job_free(job);
		cmd_result_dispose(&res);
	}
}

/* The custom_ids of a message's buttons, space-separated, in order. */
static void
button_ids(const cJSON *m, struct buf *out)
{
	const cJSON	*row, *b;

	cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(m,
	    "components"))
		cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(row,
		    "components"))
			buf_addf(out, "%s ", json_str(b, "custom_id", ""));
}

static void
test_schedules_list(void **state)
{
	struct cmd_job	*job;
	struct buf	 ids;
	const char	*text;
	cJSON		*r;

	/* a helper (view) sees vanilla's schedules with the node's report */
	r = run(slash("schedules", "vanilla", BOB, HELPER), &job);
	assert_null(job);
	assert_int_equal(json_int64(r, "type", 0), CB_MESSAGE);
	assert_int_equal(json_int64(r, "data.flags", 0), MSG_EPHEMERAL);
	text = json_str(r, "data.content", "");
	assert_contains(text, "Schedules of `vanilla` on `node-b`");
	assert_contains(text, "**nightly-restart** \xc2\xb7 `0 5 * * *` "
	    "Europe/Berlin \xc2\xb7 only when running");
	assert_contains(text, "Tasks: command `say Restart in 5 minutes`, "
	    "+4m command `say Restart in 1 minute`, +1m restart");
	assert_contains(text, "Next run: 2026-12-03T05:00:00+01:00 \xc2\xb7 "
	    "1 failed run\n");
	assert_contains(text, "Last run: 2026-12-02T05:00:00+01:00 **failed**"
	    " \xc2\xb7 command succeeded, command succeeded, restart failed "
	    "(engine said '''no''' <@everyone>'again)");
	assert_contains(text, "**backup** \xc2\xb7 `30 4 * * *` (node's "
	    "zone)\nTasks: backup\nNext run: 2026-12-03T04:30:00Z \xc2\xb7 "
	    "running now\nLast run: never");
	/* nobody is mentioned, whatever the node wrote */
	assert_int_equal(cJSON_GetArraySize(json_get(r,
	    "data.allowed_mentions.parse")), 0);
	assert_non_null(json_get(r, "data.allowed_mentions.parse"));
	buf_init(&ids, 0);
	button_ids(json_get(r, "data"), &ids);
	assert_string_equal(buf_str(&ids), "sr:vanilla:nightly-restart "
	    "sr:vanilla:backup se:vanilla ");
	buf_dispose(&ids);
	cJSON_Delete(r);

	/* a server without schedules */
	r = run(slash("schedules", "demo", ALICE, NULL), &job);
	assert_contains(json_str(r, "data.content", ""), "`demo` has no "
	    "schedules.");
	buf_init(&ids, 0);
	button_ids(json_get(r, "data"), &ids);
	assert_string_equal(buf_str(&ids), "se:demo ");
	buf_dispose(&ids);
	cJSON_Delete(r);

	/* BOB may not view vanilla */
	r = run(slash("schedules", "vanilla", BOB, NULL), &job);
	assert_null(job);
	assert_true(strstr(json_str(r, "data.content", ""), "nightly") ==
	    NULL);
	cJSON_Delete(r);
}

/* Ten schedules of twenty long tasks: cut to Discord's limits. */
static void
test_schedules_cut(void **state)
{
	struct state_server	 srv;
	struct state_schedule	 sc[STATE_MAX_SCHEDULES];
	struct state_task	 t[STATE_MAX_TASKS];
	struct cmd_env		 env;
	struct buf		 ids;
	char			 names[STATE_MAX_SCHEDULES][70], line[200];
	char			 cron[] = "*/5 * * * *", srvname[] = "big";
	char			 zone[] = "America/Argentina/ComodRivadavia";
	char			 node[] = "node-a";
	const cJSON		*rows;
	cJSON			*m;
	size_t			 i;

	memset(&srv, 0, sizeof(srv));
	memset(sc, 0, sizeof(sc));
	memset(t, 0, sizeof(t));
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	for (i = 0; i < STATE_MAX_TASKS; i++) {
		t[i].kind = STATE_TASK_COMMAND;
		t[i].arg = line;
	}
	for (i = 0; i < STATE_MAX_SCHEDULES; i++) {
		snprintf(names[i], sizeof(names[i]), "s%zu-%.55s", i,
		    "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn");
		sc[i].name = names[i];
		sc[i].cron = cron;
		sc[i].timezone = zone;
		sc[i].tasks = t;
		sc[i].ntasks = STATE_MAX_TASKS;
	}
	srv.name = srvname;
	srv.node = node;
	srv.schedules.v = sc;
	srv.schedules.n = STATE_MAX_SCHEDULES;
	env_init(&env);
	m = cmd_schedules_message(&env, &srv);
	assert_true(strlen(json_str(m, "content", "")) <= 2000);
	assert_contains(json_str(m, "content", ""), "Tasks: command `xxxx");
	assert_contains(json_str(m, "content", ""), "\xe2\x80\xa6` and 18 more "
	    "tasks\n");
	assert_contains(json_str(m, "content", ""), "more not shown");
	/* the buttons: one per schedule shown, at most five a row */
	rows = cJSON_GetObjectItemCaseSensitive(m, "components");
	assert_true(cJSON_GetArraySize(rows) >= 1);
	assert_true(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetArrayItem(rows, 0), "components")) <= 5);
	buf_init(&ids, 0);
	button_ids(m, &ids);
	assert_contains(buf_str(&ids), "sr:big:s0-");
	assert_true(strstr(buf_str(&ids), "sr:big:s9-") == NULL);
	buf_dispose(&ids);
	cJSON_Delete(m);
}

static void
test_schedule_run_button(void **state)
{
	struct cmd_job	*job;
	cJSON		*r, *m;

	/* the owner: a schedule run job for the console workers */
	job = started(press(VOWNER, NULL, "sr:vanilla:nightly-restart"),
	    CB_DEFER, MSG_EPHEMERAL, JOB_SCHEDULE_RUN);
	assert_true(CMD_JOB_CONSOLE(job->kind));
	assert_string_equal(job->server, "vanilla");
	assert_string_equal(job->node, "node-b");
	assert_string_equal(job->schedule, "nightly-restart");
	assert_string_equal(job->user_id, VOWNER);

	/* what the answer says for each of the node's answers */
	m = cmd_schedule_run_message(job, "ok", NULL);
	assert_contains(json_str(m, "content", ""), "Started schedule "
	    "`nightly-restart` of `vanilla` on `node-b`");
	cJSON_Delete(m);
	m = cmd_schedule_run_message(job, "busy", "schedule 'nightly-restart'"
	    " of \"vanilla\" is running");
	assert_contains(json_str(m, "content", ""), "already running");
	cJSON_Delete(m);
	m = cmd_schedule_run_message(job, "offline", "node node-b is not "
	    "connected");
	assert_contains(json_str(m, "content", ""), "node `node-b` is not "
	    "connected");
	cJSON_Delete(m);
	m = cmd_schedule_run_message(job, "not_found", "server \"vanilla\" "
	    "has no schedule 'nightly-restart' on this node");
	assert_contains(json_str(m, "content", ""), "not started: server "
	    "\"vanilla\" has no schedule");
	cJSON_Delete(m);
	cmd_job_free(job);

	/* an admin may too */
	r = run(press(ADMIN, ADMIN, "sr:vanilla:backup"), &job);
	assert_non_null(job);
	assert_string_equal(job->schedule, "backup");
	cmd_job_free(job);
	cJSON_Delete(r);

	/* a helper sees the list but may not run a schedule */
	refused(press(BOB, HELPER, "sr:vanilla:backup"), "`schedule`");
	/* a schedule no longer in the state, a malformed id */
	refused(press(VOWNER, NULL, "sr:vanilla:weekly"), "no schedule "
	    "`weekly`");
	refused(press(VOWNER, NULL, "sr:vanilla"), "malformed");
}

static void
test_schedules_modal(void **state)
{
	struct cmd_job	*job;
	const char	*v;
	const cJSON	*in;
	cJSON		*r;

	/* the owner opens the modal, prefilled with the schedules as YAML */
	r = run(press(VOWNER, NULL, "se:vanilla"), &job);
	assert_null(job);
	assert_int_equal(json_int64(r, "type", 0), CB_MODAL);
	assert_string_equal(json_str(r, "data.custom_id", ""), "sm:vanilla");
	in = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(json_get(r,
	    "data.components"), 0), "component");
	assert_int_equal(json_int64(in, "style", 0), 2);	/* paragraph */
	assert_int_equal(json_int64(in, "max_length", 0), 4000);
	assert_true(strlen(json_str(in, "placeholder", "")) <= 100);
	v = json_str(in, "value", "");
	assert_string_equal(v, "- name: nightly-restart\n"
	    "  cron: \"0 5 * * *\"\n  timezone: \"Europe/Berlin\"\n"
	    "  onlyWhenRunning: true\n  tasks:\n"
	    "    - command: \"say Restart in 5 minutes\"\n"
	    "    - after: 4m\n      command: \"say Restart in 1 minute\"\n"
	    "    - after: 1m\n      restart: true\n"
	    "- name: backup\n  cron: \"30 4 * * *\"\n  tasks:\n"
	    "    - backup: { note: \"nightly\" }\n");
	cJSON_Delete(r);

	/* a helper (view, power) may neither open nor submit it */
	refused(press(BOB, HELPER, "se:vanilla"), "`edit`");
	refused(modal(BOB, HELPER, "sm:vanilla", "yaml", "[]", NULL),
	    "`edit`");

	/* the submit: a git job with the typed text, answered later */
	job = started(modal(VOWNER, NULL, "sm:vanilla", "yaml", "- name: x\\n"
	    "  cron: \\\"* * * * *\\\"\\n  tasks: [ { command: \\\"say <hi>\\\" } ]",
	    NULL), CB_DEFER, MSG_EPHEMERAL, JOB_SCHEDULES);
	assert_false(CMD_JOB_CONSOLE(job->kind));
	assert_string_equal(job->server, "vanilla");
	assert_string_equal(job->yaml, "- name: x\n  cron: \"* * * * *\"\n"
	    "  tasks: [ { command: \"say <hi>\" } ]");
	{
		struct cmd_env		env;
		struct cmd_result	res;
		cJSON			*m;

		env_init(&env);
		memset(&res, 0, sizeof(res));
		snprintf(res.commit, sizeof(res.commit), "abcdef0123456789");
		m = cmd_job_message(&env, job, &res);
		assert_contains(json_str(m, "content", ""), "Schedules of "
		    "`vanilla` committed \xc2\xb7 commit `abcdef0`");
		cJSON_Delete(m);
		res.rc = ROOST_EINVAL;
		res.problems = xstrdup("servers/vanilla.yaml:14:11: "
		    "schedules[0].cron: minute 61 is out of range");
		m = cmd_job_message(&env, job, &res);
		assert_contains(json_str(m, "content", ""), "was refused; "
		    "nothing was committed");
		assert_contains(json_str(m, "content", ""), "minute 61");
		cJSON_Delete(m);
		free(res.problems);
	}
	cmd_job_free(job);
}

UNIT_MAIN(setup, unit_example_teardown,
    cmocka_unit_test(test_power_owner_and_denied),
    cmocka_unit_test(test_create_flow),
    cmocka_unit_test(test_vars_rules),
    cmocka_unit_test(test_author_names),
    cmocka_unit_test(test_status_embed),
    cmocka_unit_test(test_autocomplete),
    cmocka_unit_test(test_job_messages),
    cmocka_unit_test(test_definitions_and_bar),
    cmocka_unit_test(test_follow_message),
    cmocka_unit_test(test_follow_settled),
    cmocka_unit_test(test_status_view),
    cmocka_unit_test(test_modal_bounds_from_table),
    cmocka_unit_test(test_console_commands),
    cmocka_unit_test(test_console_messages),
    cmocka_unit_test(test_alert_steps),
    cmocka_unit_test(test_backup_commands),
    cmocka_unit_test(test_backup_follow),
    cmocka_unit_test(test_move_commands),
    cmocka_unit_test(test_schedules_list),
    cmocka_unit_test(test_schedules_cut),
    cmocka_unit_test(test_schedule_run_button),
    cmocka_unit_test(test_schedules_modal))
