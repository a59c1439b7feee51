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
	char	hex[65];

	sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hubproto__frames),
		cmocka_unit_test(test_ws__queue),
		cmocka_unit_test(test_sha256__fips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
