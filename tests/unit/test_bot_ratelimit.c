/*
 * test_bot_ratelimit: the bot's Discord rate-limit bookkeeping (route
 * keys, buckets from headers, 429 retry_after, the global limit) and the
 * gateway's 120-sends-per-60-s limiter, on a fake clock.
 */
#include "unit.h"

#include "../../bot/gateway.h"
#include "../../bot/ratelimit.h"

static void
test_route_keys(void **state)
{
	char	k[256];
	int	ex;

	rl_route_key("POST", "/channels/123456789012345678/messages", k,
	    sizeof(k), &ex);
	assert_string_equal(k, "POST /channels/123456789012345678/messages");
	assert_false(ex);
	rl_route_key("PATCH",
	    "/channels/123456789012345678/messages/223456789012345678", k,
	    sizeof(k), &ex);
	assert_string_equal(k,
	    "PATCH /channels/123456789012345678/messages/:id");
	rl_route_key("PATCH", "/webhooks/900000000000000001/tok/messages/"
	    "@original", k, sizeof(k), &ex);
	assert_string_equal(k, "PATCH /webhooks/900000000000000001/tok/"
	    "messages/@original");
	assert_true(ex);
	rl_route_key("POST", "/interactions/123456789012345678/tok/callback",
	    k, sizeof(k), &ex);
	assert_true(ex);
	rl_route_key("PUT", "/applications/900000000000000001/guilds/"
	    "800000000000000001/commands?x=1", k, sizeof(k), &ex);
	assert_string_equal(k, "PUT /applications/:id/guilds/:id/commands");
	assert_false(ex);
}

static void
test_bucket_from_headers(void **state)
{
	struct ratelimit	*rl = rl_new();
	struct rl_headers	 h = { .bucket = "abc", .limit = "2",
				    .remaining = "0", .reset_after = "1.5",
				    .body_retry_after = -1 };
	const char		*key = "POST /channels/1/messages";

	assert_int_equal(rl_acquire(rl, key, 0, 1000), 0);
	assert_int_equal(rl_update(rl, key, 200, &h, 1000), 0);
	assert_string_equal(rl_bucket_of(rl, key), "abc");
	/* remaining 0: wait until the reset 1.5 s later */
	assert_int_equal(rl_acquire(rl, key, 0, 1100), 1400);
	assert_int_equal(rl_acquire(rl, key, 0, 2499), 1);
	assert_int_equal(rl_acquire(rl, key, 0, 2500), 0);
	/* a second route mapped to the same bucket shares its counts */
	h.remaining = "0";
	h.reset_after = "2";
	assert_int_equal(rl_update(rl, "PATCH /channels/1/messages/:id", 200,
	    &h, 3000), 0);
	assert_true(rl_acquire(rl, key, 0, 3100) > 0);
	rl_free(rl);
}

static void
test_inflight_counts(void **state)
{
	struct ratelimit	*rl = rl_new();
	struct rl_headers	 h = { .bucket = "b", .remaining = "2",
				    .reset_after = "5", .body_retry_after = -1 };
	const char		*key = "POST /channels/1/messages";

	rl_acquire(rl, key, 0, 10);
	rl_update(rl, key, 200, &h, 10);
	/* two slots left: two requests go, the third waits */
	assert_int_equal(rl_acquire(rl, key, 0, 20), 0);
	assert_int_equal(rl_acquire(rl, key, 0, 20), 0);
	assert_true(rl_acquire(rl, key, 0, 20) > 0);
	rl_free(rl);
}

static void
test_429_retry_after(void **state)
{
	struct ratelimit	*rl = rl_new();
	struct rl_headers	 h = { .retry_after = "2",
				    .body_retry_after = 0.25 };
	const char		*key = "POST /channels/1/messages";

	assert_int_equal(rl_acquire(rl, key, 0, 0), 0);
	/* the body's float wins over the integer header */
	assert_int_equal(rl_update(rl, key, 429, &h, 100), 250);
	assert_int_equal(rl_acquire(rl, key, 0, 200), 150);
	assert_int_equal(rl_acquire(rl, key, 0, 350), 0);
	/* other routes are not blocked by a bucket 429 */
	assert_int_equal(rl_acquire(rl, "GET /gateway/bot", 0, 200), 0);
	rl_free(rl);
}

static void
test_global(void **state)
{
	struct ratelimit	*rl = rl_new();
	struct rl_headers	 h = { .global = "true", .body_retry_after = 1,
				    .body_global = 1 };
	int			 i;

	assert_int_equal(rl_acquire(rl, "GET /a", 0, 1), 0);
	assert_int_equal(rl_update(rl, "GET /a", 429, &h, 1), 1000);
	assert_int_equal(rl_acquire(rl, "GET /b", 0, 500), 501);
	/* interaction routes are not bound by the global limit */
	assert_int_equal(rl_acquire(rl, "POST /interactions/1/t/callback", 1,
	    500), 0);
	assert_int_equal(rl_acquire(rl, "GET /b", 0, 1001), 0);
	rl_free(rl);

	/* at most 50 requests per second */
	rl = rl_new();
	for (i = 0; i < RL_GLOBAL_PER_SEC; i++)
		assert_int_equal(rl_acquire(rl, "GET /x", 0, 10000 + i), 0);
	assert_int_equal(rl_acquire(rl, "GET /y", 0, 10100), 900);
	assert_int_equal(rl_acquire(rl, "GET /y", 0, 11000), 0);
	rl_free(rl);
}

static void
test_gateway_send_limit(void **state)
{
	int64_t	times[GW_SEND_LIMIT] = { 0 };
	int	pos = 0, i;

	for (i = 0; i < GW_SEND_LIMIT; i++)
		assert_int_equal(gw_send_slot(times, &pos, 1000 + i * 10), 0);
	/* the 121st send within 60 s waits for the oldest to age out */
	assert_int_equal(gw_send_slot(times, &pos, 5000), 56000);
	assert_int_equal(gw_send_slot(times, &pos, 61000), 0);
	assert_true(gw_send_slot(times, &pos, 61001) > 0);
}

UNIT_MAIN(NULL, NULL,
    cmocka_unit_test(test_route_keys),
    cmocka_unit_test(test_bucket_from_headers),
    cmocka_unit_test(test_inflight_counts),
    cmocka_unit_test(test_429_retry_after),
    cmocka_unit_test(test_global),
    cmocka_unit_test(test_gateway_send_limit))
