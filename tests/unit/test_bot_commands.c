/*
 * test_bot_commands: roost-bot's pure handlers on state-example: what a
 * Discord user gets back for each command, button, select, modal and
 * autocomplete, which job a worker receives, permission refusals, the
 * status embed built from a node's report, and the finished-job messages.
 */
#include "unit.h"

#include <cjson/cJSON.h>

#include "diag.h"
#include "egg.h"
#include "json.h"
#include "panel.h"
#include "state.h"
#include "xmalloc.h"

#include "../../bot/commands.h"

#define ADMIN	"111111111111111111"
#define HOST	"222222222222222222"
#define HELPER	"333333333333333333"
#define ALICE	"444444444444444444"	/* owns demo, db, survival */
#define BOB	"555555555555555555"	/* member of demo */

static struct state		*st;
static struct egg_library	*eggs;
static int			 serial;

static int
setup(void **state)
{
	struct state_src	src;
	struct diags		d;
	struct rerr		err;

	diags_init(&d);
	eggs = egglib_new();
	setenv("ROOST_EGGS", "eggs", 0);
	if (egglib_load_dir(eggs, egglib_builtin_dir(), "eggs/", &d) < 0)
		return -1;
	diags_dispose(&d);
	state_src_dir(&src, "state-example");
	rerr_init(&err);
	return state_load(&st, &src, eggs, NULL, &err);
}

static int
teardown(void **state)
{
	state_free(st);
	egglib_free(eggs);
	return 0;
}

static cJSON *
report(void *arg, const char *name)
{
	if (strcmp(name, "demo") != 0)
		return NULL;
	return cJSON_Parse("{\"name\":\"demo\",\"phase\":\"Running\","
	    "\"ready\":true,\"appliedRevision\":\"0123456789abcdef\","
	    "\"usage\":{\"cpuPercent\":50,\"memoryBytes\":67108864,"
	    "\"memoryLimitBytes\":134217728,\"diskBytes\":0,"
	    "\"diskLimitBytes\":268435456,\"sampledAt\":"
	    "\"2026-11-25T10:00:00Z\"}}");
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
	char	*text;
	cJSON	*o;

	xasprintf(&text, "{\"id\":\"1%017d\",\"application_id\":\"9\","
	    "\"token\":\"tok\",\"type\":%d,\"channel_id\":\"3\",\"member\":"
	    "{\"user\":{\"id\":\"%s\",\"username\":\"u%s\"},\"roles\":[%s%s%s]},"
	    "\"data\":%s}", ++serial, type, user, user + 14,
	    role ? "\"" : "", role ? role : "", role ? "\"" : "", data);
	o = cJSON_Parse(text);
	assert_non_null(o);
	free(text);
	return o;
}

static cJSON *
slash(const char *sub, const char *server, const char *user,
    const char *role)
{
	char	*d;
	cJSON	*o;

	xasprintf(&d, "{\"name\":\"server\",\"type\":1,\"options\":[{\"type\":1,"
	    "\"name\":\"%s\",\"options\":[%s%s%s]}]}", sub,
	    server ? "{\"type\":3,\"name\":\"server\",\"value\":\"" : "",
	    server ? server : "", server ? "\"}" : "");
	o = ix(2, user, role, d);
	free(d);
	return o;
}

/* Runs the handler; returns the reply, the job in *job. */
static cJSON *
run(cJSON *in, struct cmd_job **job)
{
	struct cmd_env	env;
	cJSON		*reply;

	env_init(&env);
	cmd_handle(&env, in, &reply, job);
	cJSON_Delete(in);
	assert_non_null(reply);
	return reply;
}

static void
test_power_owner_and_denied(void **state)
{
	struct cmd_job	*job;
	cJSON		*r;

	r = run(slash("stop", "demo", ALICE, NULL), &job);
	assert_int_equal(json_int64(r, "type", 0), CB_DEFER);
	assert_int_equal(json_int64(r, "data.flags", 0), MSG_EPHEMERAL);
	assert_non_null(job);
	assert_int_equal(job->kind, JOB_POWER);
	assert_int_equal(job->power, PANEL_STOP);
	assert_string_equal(job->server, "demo");
	assert_string_equal(job->author, "u4444 <" ALICE
	    "@users.discord.invalid>");
	assert_contains(job->request_id, "discord-1");
	cmd_job_free(job);
	cJSON_Delete(r);

	/* BOB, without roles, is a member of demo with power and sftp */
	r = run(slash("stop", "demo", BOB, NULL), &job);
	assert_non_null(job);
	cmd_job_free(job);
	cJSON_Delete(r);
	r = run(slash("edit", "demo", BOB, NULL), &job);
	assert_null(job);
	assert_contains(json_str(r, "data.content", ""), "`edit`");
	cJSON_Delete(r);
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
	r = run(slash("delete", "survival", BOB, HELPER), &job);
	assert_null(job);
	assert_contains(json_str(r, "data.content", ""), "`delete`");
	cJSON_Delete(r);

	/* an unknown server is not confirmed to a stranger */
	r = run(slash("stop", "nope", BOB, NULL), &job);
	assert_contains(json_str(r, "data.content", ""), "You may not");
	cJSON_Delete(r);
	r = run(slash("stop", "nope", BOB, HELPER), &job);
	assert_contains(json_str(r, "data.content", ""), "no server `nope`");
	cJSON_Delete(r);
}

static void
test_create_flow(void **state)
{
	struct cmd_job	*job;
	cJSON		*r;
	const char	*t;

	r = run(slash("create", NULL, BOB, NULL), &job);
	assert_contains(json_str(r, "data.content", ""), "You may not create");
	cJSON_Delete(r);

	r = run(slash("create", NULL, BOB, HOST), &job);
	assert_null(job);
	assert_string_equal(json_str(r, "data.components.0.components.0."
	    "custom_id", ""), "c:n:-");
	t = json_print(json_get(r, "data.components"));
	assert_contains(t, "\"value\":\"minecraft\"");
	assert_contains(t, "\"value\":\"roost\"");
	free((char *)t);
	cJSON_Delete(r);

	r = run(ix(3, BOB, HOST, "{\"custom_id\":\"c:n:-\",\"component_type\""
	    ":3,\"values\":[\"minecraft\"]}"), &job);
	assert_int_equal(json_int64(r, "type", 0), CB_UPDATE);
	t = json_print(json_get(r, "data.components"));
	assert_contains(t, "minecraft/paper");
	assert_contains(t, "c:e:-");
	free((char *)t);
	cJSON_Delete(r);

	r = run(ix(3, BOB, HOST, "{\"custom_id\":\"c:e:node-b\","
	    "\"component_type\":3,\"values\":[\"roost/demo\"]}"), &job);
	assert_int_equal(json_int64(r, "type", 0), CB_MODAL);
	assert_string_equal(json_str(r, "data.custom_id", ""),
	    "c:m:node-b:roost/demo");
	assert_int_equal(cJSON_GetArraySize(json_get(r, "data.components")),
	    4);
	/* prefilled from roost.yaml's defaults */
	assert_string_equal(json_str(r, "data.components.1.component.value",
	    ""), "1024");
	cJSON_Delete(r);

	r = run(ix(5, BOB, HOST, "{\"custom_id\":\"c:m:node-b:roost/demo\","
	    "\"components\":[{\"type\":1,\"components\":[{\"type\":4,"
	    "\"custom_id\":\"name\",\"value\":\"mine\"}]},{\"type\":18,"
	    "\"component\":{\"type\":4,\"custom_id\":\"memory\",\"value\":"
	    "\" 256 \"}},{\"type\":18,\"component\":{\"type\":4,\"custom_id\":"
	    "\"disk\",\"value\":\"512\"}},{\"type\":18,\"component\":{\"type\":"
	    "4,\"custom_id\":\"cpu\",\"value\":\"0\"}}]}"), &job);
	assert_int_equal(json_int64(r, "type", 0), CB_DEFER);
	assert_non_null(job);
	assert_int_equal(job->kind, JOB_CREATE);
	assert_string_equal(job->server, "mine");
	assert_string_equal(job->egg, "roost/demo");
	assert_string_equal(job->node, "node-b");
	assert_int_equal(job->memory, 256);
	assert_int_equal(job->disk, 512);
	assert_int_equal(job->cpu, 0);
	cmd_job_free(job);
	cJSON_Delete(r);

	/* a taken name and bad numbers are refused at once */
	r = run(ix(5, BOB, HOST, "{\"custom_id\":\"c:m:-:roost/demo\","
	    "\"components\":[{\"type\":18,\"component\":{\"type\":4,"
	    "\"custom_id\":\"name\",\"value\":\"demo\"}}]}"), &job);
	assert_null(job);
	assert_contains(json_str(r, "data.content", ""), "exists already");
	cJSON_Delete(r);
	r = run(ix(5, BOB, HOST, "{\"custom_id\":\"c:m:-:roost/demo\","
	    "\"components\":[{\"type\":18,\"component\":{\"type\":4,"
	    "\"custom_id\":\"name\",\"value\":\"fresh\"}},{\"type\":18,"
	    "\"component\":{\"type\":4,\"custom_id\":\"memory\",\"value\":"
	    "\"lots\"}}]}"), &job);
	assert_null(job);
	assert_contains(json_str(r, "data.content", ""), "memory must be");
	cJSON_Delete(r);
}

static void
test_vars_rules(void **state)
{
	struct cmd_job	*job;
	cJSON		*in, *r;

	in = ix(2, ALICE, NULL, "{\"name\":\"server\",\"options\":[{\"type\":1,"
	    "\"name\":\"vars\",\"options\":[{\"type\":3,\"name\":\"server\","
	    "\"value\":\"demo\"},{\"type\":3,\"name\":\"set\",\"value\":"
	    "\"MAX_PLAYERS=500\"}]}]}");
	r = run(in, &job);
	assert_null(job);
	assert_contains(json_str(r, "data.content", ""), "MAX_PLAYERS");
	assert_contains(json_str(r, "data.content", ""), "Nothing was changed");
	cJSON_Delete(r);

	in = ix(2, ALICE, NULL, "{\"name\":\"server\",\"options\":[{\"type\":1,"
	    "\"name\":\"vars\",\"options\":[{\"type\":3,\"name\":\"server\","
	    "\"value\":\"demo\"},{\"type\":3,\"name\":\"set\",\"value\":"
	    "\"MAX_PLAYERS=20 MOTD=hi\"}]}]}");
	r = run(in, &job);
	assert_non_null(job);
	assert_int_equal(job->nkv, 2);
	assert_string_equal(job->kv[0], "MAX_PLAYERS=20");
	assert_string_equal(job->kv[1], "MOTD=hi");
	cmd_job_free(job);
	cJSON_Delete(r);
}

static void
test_status_embed(void **state)
{
	struct cmd_job	*job;
	cJSON		*r;
	char		*t;

	r = run(slash("status", "demo", ALICE, NULL), &job);
	assert_null(job);
	t = json_print(r);
	assert_contains(t, "\"title\":\"demo\"");
	assert_contains(t, "Running");
	assert_contains(t, "50%");		/* cpu bar and memory 64 of 128 */
	assert_contains(t, "64 MiB of 128 MiB");
	assert_contains(t, "0123456789ab");
	assert_contains(t, "\"custom_id\":\"p:start:demo\"");
	assert_contains(t, "\"custom_id\":\"r:demo\"");
	free(t);
	cJSON_Delete(r);

	/* a server without a report says so */
	r = run(slash("status", "survival", ALICE, NULL), &job);
	t = json_print(r);
	assert_contains(t, "Unreported");
	free(t);
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
	assert_int_equal(n, 3);
	cJSON_Delete(d);
	cmd_bar(50, 100, 10, bar, sizeof(bar));
	assert_contains(bar, "50%");
	cmd_bar(1, 0, 10, bar, sizeof(bar));
	assert_string_equal(bar, "unlimited");
	cmd_bar(300, 100, 4, bar, sizeof(bar));
	assert_contains(bar, "300%");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_power_owner_and_denied),
		cmocka_unit_test(test_create_flow),
		cmocka_unit_test(test_vars_rules),
		cmocka_unit_test(test_status_embed),
		cmocka_unit_test(test_autocomplete),
		cmocka_unit_test(test_job_messages),
		cmocka_unit_test(test_definitions_and_bar),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
