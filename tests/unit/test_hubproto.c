/*
 * test_hubproto: the hub protocol's frames as both sides build and read
 * them, lib/ws.c's send queue, and lib/sha256.c against FIPS 180-4's
 * examples.
 */
#include "unit.h"

#include <cjson/cJSON.h>

#include "hubproto.h"
#include "json.h"
#include "sha256.h"
#include "ws.h"

/* text (freed) parsed, a frame of the given type. */
static cJSON *
frame(char *text, enum hubp_type type)
{
	cJSON	*o = cJSON_Parse(text);

	assert_non_null(o);
	free(text);
	assert_int_equal(hubp_type(o), type);
	return o;
}

/* Frames read back: each one's type and the strings it carries. */
static void
test_hubproto__frame_strings(void **state)
{
	struct {
		char		*text;
		enum hubp_type	 type;
		const char	*str[4];	/* path, value, path, value */
	} f[] = {
		{ hubp_server("{\"name\":\"a\",\"phase\":\"Running\"}"),
		    HUBP_SERVER, { "server.phase", "Running" } },
		{ hubp_server_removed("a\"b"), HUBP_SERVER_REMOVED,
		    { "name", "a\"b" } },
		{ hubp_fetched("f2", NULL), HUBP_FETCHED,
		    { "error", "no result" } },
		{ hubp_resync(), HUBP_RESYNC, { NULL } },
		/* the console's frames */
		{ hubp_command("cmd-1", "mc", "discord:42", "say \"hi\""),
		    HUBP_COMMAND, { "line", "say \"hi\"", "user", "discord:42" } },
		{ hubp_schedule_run("run-1", "mc", "nightly-restart",
		    "discord:42"), HUBP_SCHEDULE_RUN,
		    { "schedule", "nightly-restart", "user", "discord:42" } },
		{ hubp_audit("{\"server\":\"mc\",\"who\":\"unix:root\","
		    "\"line\":\"op Alex\"}"), HUBP_AUDIT,
		    { "entry.who", "unix:root" } },
		{ hubp_unsubscribe("mc"), HUBP_UNSUBSCRIBE, { "server", "mc" } },
		{ strdup("{\"type\":\"later\"}"), HUBP_UNKNOWN, { NULL } },
	};
	cJSON	*o;
	size_t	 i, k;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		o = frame(f[i].text, f[i].type);
		for (k = 0; k < 4 && f[i].str[k] != NULL; k += 2)
			assert_string_equal(json_str(o, f[i].str[k], ""),
			    f[i].str[k + 1]);
		cJSON_Delete(o);
	}
}

/* Frames read back: nulls, absent members, numbers and arrays. */
static void
test_hubproto__frames(void **state)
{
	cJSON	*o, *lines, *l;

	o = frame(hubp_hello("node-a", "roost/0.1", NULL), HUBP_HELLO);
	assert_string_equal(json_str(o, "node", ""), "node-a");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "revision")));
	cJSON_Delete(o);
	o = frame(hubp_snapshot(NULL, "[{\"name\":\"a\"}]"), HUBP_SNAPSHOT);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o,
	    "servers")), 1);
	cJSON_Delete(o);
	o = frame(hubp_fetched("f1", "{\"revision\":\"abc\",\"error\":null}"),
	    HUBP_FETCHED);
	assert_string_equal(json_str(o, "revision", ""), "abc");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "error")));
	cJSON_Delete(o);
	o = frame(hubp_fetch("bot-1", NULL), HUBP_FETCH);
	assert_null(cJSON_GetObjectItem(o, "revision"));
	cJSON_Delete(o);
	/* the console's frames */
	o = frame(hubp_command_result("cmd-1", HUBP_CODE_RATE_LIMITED,
	    "rate limited", 7, 1500), HUBP_COMMAND_RESULT);
	assert_string_equal(json_str(o, "code", ""), "rate_limited");
	assert_int_equal(json_int64(o, "seq", 0), 7);
	assert_int_equal(json_int64(o, "retryMs", 0), 1500);
	cJSON_Delete(o);
	o = frame(hubp_command_result("cmd-2", HUBP_CODE_OK, NULL, 9, 0),
	    HUBP_COMMAND_RESULT);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "error")));
	assert_null(cJSON_GetObjectItem(o, "retryMs"));
	cJSON_Delete(o);
	lines = cJSON_CreateArray();
	l = cJSON_CreateObject();
	cJSON_AddNumberToObject(l, "seq", 3);
	cJSON_AddStringToObject(l, "text", "line\u2028two");
	cJSON_AddItemToArray(lines, l);
	o = frame(hubp_console("mc", lines, 12, 1), HUBP_CONSOLE);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "lines")),
	    1);
	assert_int_equal(json_int64(o, "dropped", 0), 12);
	assert_true(json_bool(o, "tail", 0));
	cJSON_Delete(o);
	o = frame(hubp_subscribe("mc", 20), HUBP_SUBSCRIBE);
	assert_int_equal(json_int64(o, "lines", 0), 20);
	cJSON_Delete(o);
}

static void
test_ws__queue(void **state)
{
	struct ws_queue	 q = { 0 };
	char		*t;

	ws_queue_push(&q, strdup("b"), 0);
	ws_queue_push(&q, strdup("c"), 0);
	ws_queue_push(&q, strdup("a"), 1);
	assert_int_equal(q.n, 3);
	assert_string_equal(t = ws_queue_pop(&q), "a");
	free(t);
	assert_string_equal(t = ws_queue_pop(&q), "b");
	free(t);
	ws_queue_clear(&q);
	assert_int_equal(q.n, 0);
	assert_null(ws_queue_pop(&q));
}

static void
test_sha256__fips(void **state)
{
	unit_assert_sha256(sha256_hex);
}

UNIT_MAIN(NULL, NULL,
    cmocka_unit_test(test_hubproto__frame_strings),
    cmocka_unit_test(test_hubproto__frames),
    cmocka_unit_test(test_ws__queue),
    cmocka_unit_test(test_sha256__fips))
