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

static cJSON *
parsed(char *text)
{
	cJSON	*o = cJSON_Parse(text);

	assert_non_null(o);
	free(text);
	return o;
}

static void
test_hubproto__frames(void **state)
{
	cJSON	*o;

	o = parsed(hubp_hello("node-a", "roost/0.1", NULL));
	assert_int_equal(hubp_type(o), HUBP_HELLO);
	assert_string_equal(json_str(o, "node", ""), "node-a");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "revision")));
	cJSON_Delete(o);
	o = parsed(hubp_snapshot(NULL, "[{\"name\":\"a\"}]"));
	assert_int_equal(hubp_type(o), HUBP_SNAPSHOT);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o,
	    "servers")), 1);
	cJSON_Delete(o);
	o = parsed(hubp_server("{\"name\":\"a\",\"phase\":\"Running\"}"));
	assert_int_equal(hubp_type(o), HUBP_SERVER);
	assert_string_equal(json_str(o, "server.phase", ""), "Running");
	cJSON_Delete(o);
	o = parsed(hubp_server_removed("a\"b"));
	assert_int_equal(hubp_type(o), HUBP_SERVER_REMOVED);
	assert_string_equal(json_str(o, "name", ""), "a\"b");
	cJSON_Delete(o);
	o = parsed(hubp_fetched("f1", "{\"revision\":\"abc\",\"error\":null}"));
	assert_int_equal(hubp_type(o), HUBP_FETCHED);
	assert_string_equal(json_str(o, "revision", ""), "abc");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "error")));
	cJSON_Delete(o);
	o = parsed(hubp_fetched("f2", NULL));
	assert_string_equal(json_str(o, "error", ""), "no result");
	cJSON_Delete(o);
	o = parsed(hubp_fetch("bot-1", NULL));
	assert_int_equal(hubp_type(o), HUBP_FETCH);
	assert_null(cJSON_GetObjectItem(o, "revision"));
	cJSON_Delete(o);
	o = parsed(hubp_resync());
	assert_int_equal(hubp_type(o), HUBP_RESYNC);
	cJSON_Delete(o);
	/* the console's frames */
	o = parsed(hubp_command("cmd-1", "mc", "discord:42", "say \"hi\""));
	assert_int_equal(hubp_type(o), HUBP_COMMAND);
	assert_string_equal(json_str(o, "line", ""), "say \"hi\"");
	assert_string_equal(json_str(o, "user", ""), "discord:42");
	cJSON_Delete(o);
	o = parsed(hubp_command_result("cmd-1", HUBP_CODE_RATE_LIMITED,
	    "rate limited", 7, 1500));
	assert_int_equal(hubp_type(o), HUBP_COMMAND_RESULT);
	assert_string_equal(json_str(o, "code", ""), "rate_limited");
	assert_int_equal(json_int64(o, "seq", 0), 7);
	assert_int_equal(json_int64(o, "retryMs", 0), 1500);
	cJSON_Delete(o);
	o = parsed(hubp_schedule_run("run-1", "mc", "nightly-restart",
	    "discord:42"));
	assert_int_equal(hubp_type(o), HUBP_SCHEDULE_RUN);
	assert_string_equal(json_str(o, "schedule", ""), "nightly-restart");
	assert_string_equal(json_str(o, "user", ""), "discord:42");
	cJSON_Delete(o);
	o = parsed(hubp_command_result("cmd-2", HUBP_CODE_OK, NULL, 9, 0));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "error")));
	assert_null(cJSON_GetObjectItem(o, "retryMs"));
	cJSON_Delete(o);
	{
		cJSON	*lines = cJSON_CreateArray(), *l = cJSON_CreateObject();

		cJSON_AddNumberToObject(l, "seq", 3);
		cJSON_AddStringToObject(l, "text", "line\u2028two");
		cJSON_AddItemToArray(lines, l);
		o = parsed(hubp_console("mc", lines, 12, 1));
	}
	assert_int_equal(hubp_type(o), HUBP_CONSOLE);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "lines")),
	    1);
	assert_int_equal(json_int64(o, "dropped", 0), 12);
	assert_true(json_bool(o, "tail", 0));
	cJSON_Delete(o);
	o = parsed(hubp_audit("{\"server\":\"mc\",\"who\":\"unix:root\","
	    "\"line\":\"op Alex\"}"));
	assert_int_equal(hubp_type(o), HUBP_AUDIT);
	assert_string_equal(json_str(o, "entry.who", ""), "unix:root");
	cJSON_Delete(o);
	o = parsed(hubp_subscribe("mc", 20));
	assert_int_equal(hubp_type(o), HUBP_SUBSCRIBE);
	assert_int_equal(json_int64(o, "lines", 0), 20);
	cJSON_Delete(o);
	o = parsed(hubp_unsubscribe("mc"));
	assert_int_equal(hubp_type(o), HUBP_UNSUBSCRIBE);
	assert_string_equal(json_str(o, "server", ""), "mc");
	cJSON_Delete(o);
	o = parsed(strdup("{\"type\":\"later\"}"));
	assert_int_equal(hubp_type(o), HUBP_UNKNOWN);
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
    cmocka_unit_test(test_hubproto__frames),
    cmocka_unit_test(test_ws__queue),
    cmocka_unit_test(test_sha256__fips))
