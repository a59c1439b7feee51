/*
 * test_sched: the scheduler's rule for fire times missed while roostd was
 * down (sched_first_fire), on the days the clocks change in Europe/Berlin
 * and America/New_York: a missed run is made up only within the grace,
 * a time skipped by a spring-forward gap counts at the gap's end, and a
 * time repeated by a fall-back is not run a second time.
 */
#include "unit.h"

#include "cron.h"
#include "rerr.h"
#include "../../reconciler/sched.h"
#include "tz.h"

/*
 * The first fire time of expr in zone when roostd comes back at back,
 * having handled last (RFC 3339, or NULL), with grace_ms; as RFC 3339.
 */
static const char *
first(const char *expr, const char *zone, const char *last, const char *back,
    uint64_t grace_ms)
{
	static char	 out[64];
	const struct tz	*z;
	struct cron	 c;
	struct rerr	 err;
	int64_t		 l = 0, b, t;

	rerr_init(&err);
	assert_non_null(z = tz_get(zone, &err));
	assert_rok(cron_parse(&c, expr, &err), &err);
	if (last != NULL)
		assert_rok(tz_parse_rfc3339(z, last, &l, &err), &err);
	assert_rok(tz_parse_rfc3339(z, back, &b, &err), &err);
	t = sched_first_fire(&c, z, l, b, grace_ms);
	tz_format_rfc3339(z, t, out, sizeof(out));
	return out;
}

/* A case of first(): its arguments and the fire time it gives. */
struct fire_case {
	const char	*expr, *zone, *last, *back;
	uint64_t	 grace_ms;
	const char	*want;
};

/* Fails unless each of the n cases c gives its fire time. */
static void
check(const struct fire_case *c, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		assert_string_equal(first(c[i].expr, c[i].zone, c[i].last,
		    c[i].back, c[i].grace_ms), c[i].want);
}

/* Berlin springs forward on 2026-03-29 from 02:00 to 03:00. */
static void
test_sched__berlin_spring_forward(void **state)
{
	static const struct fire_case c[] = {
		/* 02:30 is skipped: its run is at 03:00, made up 30 s late. */
		{ "30 2 * * *", "Europe/Berlin", "2026-03-28T02:30:00+01:00",
		    "2026-03-29T03:00:30+02:00", 60000,
		    "2026-03-29T03:00:00+02:00" },
		/* Without a grace (cron's rule) it is not made up. */
		{ "30 2 * * *", "Europe/Berlin", "2026-03-28T02:30:00+01:00",
		    "2026-03-29T03:00:30+02:00", 0,
		    "2026-03-30T02:30:00+02:00" },
		/* Back before the gap ends: the gap's run is still ahead. */
		{ "30 2 * * *", "Europe/Berlin", "2026-03-28T02:30:00+01:00",
		    "2026-03-29T01:59:00+01:00", 60000,
		    "2026-03-29T03:00:00+02:00" },
		/* Down two hours across the gap, a grace of one: too old. */
		{ "30 2 * * *", "Europe/Berlin", "2026-03-28T02:30:00+01:00",
		    "2026-03-29T05:00:00+02:00", 3600000,
		    "2026-03-30T02:30:00+02:00" },
	};

	check(c, sizeof(c) / sizeof(c[0]));
}

/* Berlin falls back on 2026-10-25 from 03:00 to 02:00. */
static void
test_sched__berlin_fall_back(void **state)
{
	static const struct fire_case c[] = {
		/* Ran at its first occurrence; the repeat is not a new run. */
		{ "30 2 * * *", "Europe/Berlin", "2026-10-25T02:30:00+02:00",
		    "2026-10-25T02:30:30+01:00", 7200000,
		    "2026-10-26T02:30:00+01:00" },
		/* Missed at its first occurrence, back in the repeated hour. */
		{ "30 2 * * *", "Europe/Berlin", "2026-10-24T02:30:00+02:00",
		    "2026-10-25T02:10:00+01:00", 3600000,
		    "2026-10-25T02:30:00+02:00" },
		/* The same, a grace shorter than the outage: not made up. */
		{ "30 2 * * *", "Europe/Berlin", "2026-10-24T02:30:00+02:00",
		    "2026-10-25T02:10:00+01:00", 60000,
		    "2026-10-26T02:30:00+01:00" },
	};

	check(c, sizeof(c) / sizeof(c[0]));
}

/* New York falls back on 2026-11-01 from 02:00 EDT to 01:00 EST. */
static void
test_sched__new_york_fall_back(void **state)
{
	static const struct fire_case c[] = {
		/* Hourly: 01:00 EDT ran; 02:00 EST is two hours later. */
		{ "0 * * * *", "America/New_York", "2026-11-01T01:00:00-04:00",
		    "2026-11-01T01:30:00-05:00", 60000,
		    "2026-11-01T02:00:00-05:00" },
		/* Down over it, back 20 s after 02:00 EST: made up in 1m. */
		{ "0 * * * *", "America/New_York", "2026-11-01T01:00:00-04:00",
		    "2026-11-01T02:00:20-05:00", 60000,
		    "2026-11-01T02:00:00-05:00" },
		/* 01:30 ran in EDT; back at 01:30:30 EST: not run again. */
		{ "30 1 * * *", "America/New_York", "2026-11-01T01:30:00-04:00",
		    "2026-11-01T01:30:30-05:00", 7200000,
		    "2026-11-02T01:30:00-05:00" },
	};

	check(c, sizeof(c) / sizeof(c[0]));
}

/* New York springs forward on 2026-03-08 from 02:00 EST to 03:00 EDT. */
static void
test_sched__new_york_spring_forward(void **state)
{
	static const struct fire_case c[] = {
		{ "30 2 * * *", "America/New_York", "2026-03-07T02:30:00-05:00",
		    "2026-03-08T03:00:10-04:00", 60000,
		    "2026-03-08T03:00:00-04:00" },
		/* Seconds field, every 20 s; back 50 s after the last run. */
		{ "*/20 * * * * *", "America/New_York",
		    "2026-03-08T01:59:40-05:00", "2026-03-08T03:00:30-04:00", 0,
		    "2026-03-08T03:00:40-04:00" },
		{ "*/20 * * * * *", "America/New_York",
		    "2026-03-08T01:59:40-05:00", "2026-03-08T03:00:30-04:00",
		    60000, "2026-03-08T03:00:00-04:00" },
	};

	check(c, sizeof(c) / sizeof(c[0]));
}

/* A schedule never run waits for its next time, whatever the grace. */
static void
test_sched__new_schedule(void **state)
{
	static const struct fire_case c[] = {
		{ "0 5 * * *", "Europe/Berlin", NULL,
		    "2026-12-02T05:00:10+01:00", 3600000,
		    "2026-12-03T05:00:00+01:00" },
		{ "0 5 * * *", "UTC", NULL,
		    "2026-12-02T04:59:59Z", 0,
		    "2026-12-02T05:00:00+00:00" },
	};

	check(c, sizeof(c) / sizeof(c[0]));
}

UNIT_MAIN(NULL, NULL,
    cmocka_unit_test(test_sched__berlin_spring_forward),
    cmocka_unit_test(test_sched__berlin_fall_back),
    cmocka_unit_test(test_sched__new_york_fall_back),
    cmocka_unit_test(test_sched__new_york_spring_forward),
    cmocka_unit_test(test_sched__new_schedule))
