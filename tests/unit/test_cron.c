/*
 * test_cron: the cron evaluator (lib/cron.c) and the zones under it
 * (lib/tz.c): field sets, names, steps and macros; parse errors with
 * field and column; the day-of-month/day-of-week OR rule; leap days; DST
 * gaps and repeats in Europe/Berlin, America/New_York and
 * Australia/Lord_Howe (a half-hour change), before and after 2037 (the
 * zone files' footer rule); the bounded search; RFC 3339; and zones
 * loaded and used from many threads at once.
 */
#include "unit.h"

#include <pthread.h>

#include "cron.h"
#include "tz.h"

/* The next n fire times of expr after after, space-separated (static). */
static const char *
next_str(const char *expr, const char *zone, const char *after, int n)
{
	static char		 out[1024];
	const struct tz		*z;
	struct cron		 c;
	struct rerr		 err;
	int64_t			 t, times[16];
	char			 s[64];
	int			 i;

	rerr_init(&err);
	z = tz_get(zone, &err);
	if (z == NULL)
		fail_msg("%s", err.msg);
	assert_rok(tz_parse_rfc3339(z, after, &t, &err), &err);
	assert_rok(cron_parse(&c, expr, &err), &err);
	assert_true(n <= 16);
	if (cron_next_n(&c, z, t, times, (size_t)n, &err) != 0) {
		snprintf(out, sizeof(out), "error: %s", err.msg);
		return out;
	}
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		tz_format_rfc3339(z, times[i], s, sizeof(s));
		if (i > 0)
			strlcat(out, " ", sizeof(out));
		strlcat(out, s, sizeof(out));
	}
	return out;
}

#define assert_next(want, expr, zone, after, n)				\
	assert_string_equal(next_str(expr, zone, after, n), want)

/* cron_parse's error message for expr (static), failing if it parses. */
static const char *
parse_err(const char *expr)
{
	static struct rerr	err;
	struct cron		c;

	rerr_init(&err);
	if (cron_parse(&c, expr, &err) == 0)
		fail_msg("'%s' parsed", expr);
	assert_int_equal(err.code, ROOST_EINVAL);
	return err.msg;
}

static uint64_t
bits(const int *v)
{
	uint64_t	b = 0;

	for (; *v >= 0; v++)
		b |= (uint64_t)1 << *v;
	return b;
}

static void
test_parse_fields(void **state)
{
	struct cron	c;
	struct rerr	err;

	rerr_init(&err);
	assert_rok(cron_parse(&c, "*/15 9-17 * * mon-fri", &err), &err);
	assert_int_equal(c.sec, 1);
	assert_int_equal(c.min, bits((int[]){ 0, 15, 30, 45, -1 }));
	assert_int_equal(c.hour, bits((int[]){ 9, 10, 11, 12, 13, 14, 15,
	    16, 17, -1 }));
	assert_int_equal(c.dom, 0xfffffffe);
	assert_int_equal(c.mon, 0x1ffe);
	assert_int_equal(c.dow, bits((int[]){ 1, 2, 3, 4, 5, -1 }));
	assert_int_equal(c.flags, CRON_DOW);

	/* Six fields: seconds first; lists, a-b/n, a/n, names any case. */
	assert_rok(cron_parse(&c, " 5,10  0-30/10\t1/20 1,15 JAN-mar,Dec "
	    "Sun ", &err), &err);
	assert_int_equal(c.flags, CRON_SECONDS | CRON_DOM | CRON_DOW);
	assert_int_equal(c.sec, bits((int[]){ 5, 10, -1 }));
	assert_int_equal(c.min, bits((int[]){ 0, 10, 20, 30, -1 }));
	assert_int_equal(c.hour, bits((int[]){ 1, 21, -1 }));
	assert_int_equal(c.dom, bits((int[]){ 1, 15, -1 }));
	assert_int_equal(c.mon, bits((int[]){ 1, 2, 3, 12, -1 }));
	assert_int_equal(c.dow, 1);

	/* 0 and 7 are Sunday; ranges may end on Sunday as 7. */
	assert_rok(cron_parse(&c, "0 0 * * 7", &err), &err);
	assert_int_equal(c.dow, 1);
	assert_rok(cron_parse(&c, "0 0 * * fri-sun", &err), &err);
	assert_int_equal(c.dow, bits((int[]){ 0, 5, 6, -1 }));
	assert_rok(cron_parse(&c, "0 0 * * 5-0", &err), &err);
	assert_int_equal(c.dow, bits((int[]){ 0, 5, 6, -1 }));
	assert_rok(cron_parse(&c, "0 0 * * sun-sun", &err), &err);
	assert_int_equal(c.dow, 1);
	/* A list covering every day is no restriction. */
	assert_rok(cron_parse(&c, "0 0 * * 0-7", &err), &err);
	assert_int_equal(c.flags, 0);
	assert_rok(cron_parse(&c, "0 0 * * 4/1", &err), &err);
	assert_int_equal(c.dow, bits((int[]){ 0, 4, 5, 6, -1 }));
	assert_rok(cron_parse(&c, "0 0 1-31 * *", &err), &err);
	assert_int_equal(c.flags, 0);
	assert_rok(cron_parse(&c, "0 0 */2 * *", &err), &err);
	assert_int_equal(c.flags, CRON_DOM);
	assert_rok(cron_parse(&c, "0 */7 * * *", &err), &err);
	assert_int_equal(c.hour, bits((int[]){ 0, 7, 14, 21, -1 }));
	assert_rok(cron_parse(&c, "*/60 * * * *", &err), &err);
	assert_int_equal(c.min, 1);
}

static void
test_parse_macros(void **state)
{
	struct cron	c, d;
	struct rerr	err;

	rerr_init(&err);
	assert_rok(cron_parse(&c, "@daily", &err), &err);
	assert_rok(cron_parse(&d, "0 0 * * *", &err), &err);
	assert_memory_equal(&c, &d, sizeof(c));
	assert_rok(cron_parse(&c, " @Weekly ", &err), &err);
	assert_int_equal(c.dow, 1);
	assert_rok(cron_parse(&c, "@hourly", &err), &err);
	assert_int_equal(c.hour, 0xffffff);
	assert_rok(cron_parse(&c, "@yearly", &err), &err);
	assert_int_equal(c.mon, 2);
	assert_rok(cron_parse(&c, "@annually", &err), &err);
	assert_rok(cron_parse(&c, "@monthly", &err), &err);
	assert_rok(cron_parse(&c, "@midnight", &err), &err);
	assert_contains(parse_err("@reboot"), "unknown macro '@reboot'");
	assert_contains(parse_err("@daily 5"), "unknown macro");
}

static void
test_parse_errors(void **state)
{
	assert_string_equal(parse_err("0 0 32 * *"),
	    "cron field 3 (day of month): 32 is above 31 at column 5");
	assert_string_equal(parse_err("0 0 1 1 mon 0"),
	    "cron field 5 (month): 'mon' is not a month (jan, feb, ... dec) "
	    "at column 9");
	assert_string_equal(parse_err("0 12 0 * *"),
	    "cron field 3 (day of month): 0 is below 1 at column 6");
	assert_string_equal(parse_err("60 * * * *"),
	    "cron field 1 (minute): 60 is above 59 at column 1");
	assert_string_equal(parse_err("0 60 * * * *"),
	    "cron field 2 (minute): 60 is above 59 at column 3");
	assert_string_equal(parse_err("* 24 * * *"),
	    "cron field 2 (hour): 24 is above 23 at column 3");
	assert_string_equal(parse_err("* * * 13 *"),
	    "cron field 4 (month): 13 is above 12 at column 7");
	assert_string_equal(parse_err("* * * * 8"),
	    "cron field 5 (day of week): 8 is above 7 at column 9");
	assert_string_equal(parse_err("* * * foo *"),
	    "cron field 4 (month): 'foo' is not a month (jan, feb, ... dec) "
	    "at column 7");
	assert_string_equal(parse_err("* * * * monday"),
	    "cron field 5 (day of week): 'monday' is not a day (sun, mon, "
	    "... sat) at column 9");
	assert_string_equal(parse_err("* * jan * *"),
	    "cron field 3 (day of month): 'jan' is not a number at column 5");
	assert_string_equal(parse_err("5-2 * * * *"),
	    "cron field 1 (minute): the range 5-2 runs backwards at column 1");
	assert_string_equal(parse_err("*/0 * * * *"),
	    "cron field 1 (minute): a step of 0 never fires at column 3");
	assert_string_equal(parse_err("* */25 * * *"),
	    "cron field 2 (hour): step 25 is above 24 at column 5");
	assert_string_equal(parse_err("*/x * * * *"),
	    "cron field 1 (minute): a step must be a number at column 3");
	assert_string_equal(parse_err("1,,2 * * * *"),
	    "cron field 1 (minute): a value is missing at column 3");
	assert_string_equal(parse_err("1, * * * *"),
	    "cron field 1 (minute): a value is missing at column 3");
	assert_string_equal(parse_err("5x * * * *"),
	    "cron field 1 (minute): unexpected 'x' at column 2");
	assert_string_equal(parse_err("0 0 L * *"),
	    "cron field 3 (day of month): 'L' is not supported (use numbers, "
	    "names, ranges, lists and steps) at column 5");
	assert_string_equal(parse_err("0 0 ? * *"),
	    "cron field 3 (day of month): '?' is not supported (use numbers, "
	    "names, ranges, lists and steps) at column 5");
	assert_contains(parse_err("0 0 * * 5#2"),
	    "cron field 5 (day of week): '#' is not supported");
	assert_contains(parse_err("H * * * *"), "'H' is not supported");
	assert_contains(parse_err("0 0 1W * *"), "'W' is not supported");
	assert_string_equal(parse_err("0 0 1-"),
	    "cron: 3 fields, expected five (minute hour day-of-month month "
	    "day-of-week) or six with seconds first");
	assert_string_equal(parse_err("0 0 1- * *"),
	    "cron field 3 (day of month): a value is missing at column 7");
	assert_string_equal(parse_err("99999 * * * *"),
	    "cron field 1 (minute): number 99999... is too long at column 1");
	assert_string_equal(parse_err("0 0 30 2 *"),
	    "cron field 3 (day of month): none of these days occurs in the "
	    "listed months, so the expression never fires, at column 5");
	assert_contains(parse_err("0 0 31 4,6,9,11 *"), "never fires");
	assert_contains(parse_err("* * * *"), "4 fields, expected five");
	assert_contains(parse_err(""), "0 fields");
	assert_contains(parse_err("   "), "0 fields");
	assert_contains(parse_err("* * * * * * *"),
	    "too many fields at column 13");
}

static void
test_next_basic(void **state)
{
	assert_next("2026-01-01T00:15:00+00:00 2026-01-01T00:30:00+00:00 "
	    "2026-01-01T00:45:00+00:00", "*/15 * * * *", "UTC",
	    "2026-01-01T00:00:00Z", 3);
	/* Strictly after: a start on a fire time is not that fire time. */
	assert_next("2026-01-01T00:01:00+00:00", "* * * * *", "UTC",
	    "2026-01-01T00:00:00Z", 1);
	assert_next("2026-01-01T00:01:00+00:00", "* * * * *", "UTC",
	    "2026-01-01T00:00:59.999Z", 1);
	/* Seconds. */
	assert_next("2026-01-01T00:00:10+00:00 2026-01-01T00:00:40+00:00 "
	    "2026-01-01T00:01:10+00:00", "10/30 * * * * *", "UTC",
	    "2026-01-01T00:00:00Z", 3);
	/* Rolling over hours, days, months and years. */
	assert_next("2027-01-01T00:00:00+00:00", "@yearly", "UTC",
	    "2026-06-15T12:00:00Z", 1);
	assert_next("2026-03-31T09:00:00+00:00 2026-05-31T09:00:00+00:00",
	    "0 9 31 * *", "UTC", "2026-01-31T09:00:00Z", 2);
	/* Names and weekday ranges: 2026-01-02 is a Friday. */
	assert_next("2026-01-02T08:30:00+00:00 2026-01-05T08:30:00+00:00",
	    "30 8 * * mon-fri", "UTC", "2026-01-01T09:00:00Z", 2);
	assert_next("2026-02-01T00:00:00+00:00 2026-02-08T00:00:00+00:00",
	    "0 0 * feb sun", "UTC", "2026-01-01T00:00:00Z", 2);
	assert_next("2026-01-04T00:00:00+00:00", "0 0 * * 7", "UTC",
	    "2026-01-01T00:00:00Z", 1);
}

static void
test_next_day_or(void **state)
{
	/*
	 * Both day fields restricted: the 13th or a Friday. 2026-02-13 is
	 * a Friday; 2026-03-06 and -13 are Fridays.
	 */
	assert_next("2026-02-13T00:00:00+00:00 2026-02-20T00:00:00+00:00 "
	    "2026-02-27T00:00:00+00:00 2026-03-06T00:00:00+00:00 "
	    "2026-03-13T00:00:00+00:00", "0 0 13 * fri", "UTC",
	    "2026-02-12T00:00:00Z", 5);
	/* One restricted: only that one counts. */
	assert_next("2026-03-13T00:00:00+00:00", "0 0 13 * *", "UTC",
	    "2026-02-13T00:00:00Z", 1);
	assert_next("2026-02-20T00:00:00+00:00", "0 0 * * fri", "UTC",
	    "2026-02-13T00:00:00Z", 1);
	/* "*" "/2" restricts the day of month (every odd day): OR. */
	assert_next("2026-02-02T00:00:00+00:00 2026-02-03T00:00:00+00:00 "
	    "2026-02-05T00:00:00+00:00", "0 0 */2 * mon", "UTC",
	    "2026-02-01T00:00:00Z", 3);
	/* The OR holds in a month the day of month never fits. */
	assert_next("2026-02-02T00:00:00+00:00", "0 0 30 2 mon", "UTC",
	    "2026-02-01T00:00:00Z", 1);
}

static void
test_next_leap(void **state)
{
	assert_next("2028-02-29T00:00:00+00:00 2032-02-29T00:00:00+00:00",
	    "0 0 29 2 *", "UTC", "2025-03-01T00:00:00Z", 2);
	/* 2100 is no leap year: eight years from 2096 to 2104. */
	assert_next("2096-02-29T00:00:00+00:00 2104-02-29T00:00:00+00:00",
	    "0 0 29 2 *", "UTC", "2095-01-01T00:00:00Z", 2);
	assert_next("2028-02-29T12:00:00+01:00", "0 12 29 feb *",
	    "Europe/Berlin", "2026-01-01T00:00:00Z", 1);
	/* Near the end of the zone tables nothing is found, in bounds. */
	assert_contains(next_str("0 0 29 2 *", "UTC", "2197-01-01T00:00:00Z",
	    1), "error: cron: the expression does not fire within");
}

static void
test_next_dst_berlin(void **state)
{
	const char	*z = "Europe/Berlin";

	/* Spring forward 2026-03-29: 02:00 CET becomes 03:00 CEST. */
	assert_next("2026-03-28T02:30:00+01:00 2026-03-29T03:00:00+02:00 "
	    "2026-03-30T02:30:00+02:00", "30 2 * * *", z,
	    "2026-03-27T12:00:00Z", 3);
	/* Every skipped time and 03:00 itself fire once, at 03:00. */
	assert_next("2026-03-29T01:40:00+01:00 2026-03-29T03:00:00+02:00 "
	    "2026-03-29T03:20:00+02:00", "*/20 * * * *", z,
	    "2026-03-29T01:30:00+01:00", 3);
	assert_next("2026-03-29T03:00:00+02:00 2026-03-29T04:00:00+02:00",
	    "0 * * * *", z, "2026-03-29T01:59:59+01:00", 2);
	assert_next("2026-03-29T03:00:00+02:00 2026-03-29T03:00:01+02:00",
	    "* * * * * *", z, "2026-03-29T01:59:59+01:00", 2);
	/* Fall back 2026-10-25: 03:00 CEST becomes 02:00 CET again. */
	assert_next("2026-10-25T02:30:00+02:00 2026-10-26T02:30:00+01:00",
	    "30 2 * * *", z, "2026-10-24T12:00:00Z", 2);
	assert_next("2026-10-25T01:00:00+02:00 2026-10-25T02:00:00+02:00 "
	    "2026-10-25T03:00:00+01:00", "0 * * * *", z,
	    "2026-10-25T00:30:00+02:00", 3);
	/* From inside the repeated hour: its times already fired. */
	assert_next("2026-10-25T03:00:00+01:00", "*/30 * * * *", z,
	    "2026-10-25T02:10:00+01:00", 1);
	assert_next("2026-10-25T02:40:00+02:00 2026-10-25T03:00:00+01:00",
	    "*/20 * * * *", z, "2026-10-25T02:30:00+02:00", 2);
	/* After 2037 the file's footer rule gives the changes. */
	assert_next("2080-03-31T03:00:00+02:00",
	    "30 2 31 3 *", z, "2080-03-30T00:00:00Z", 1);
	assert_next("2080-10-27T02:30:00+02:00 2080-10-28T02:30:00+01:00",
	    "30 2 27,28 10 *", z, "2080-10-26T00:00:00Z", 2);
}

static void
test_next_dst_new_york(void **state)
{
	const char	*z = "America/New_York";

	/* 2026-03-08: 02:00 EST becomes 03:00 EDT. */
	assert_next("2026-03-08T03:00:00-04:00 2026-03-09T02:30:00-04:00",
	    "30 2 * * *", z, "2026-03-07T12:00:00Z", 2);
	assert_next("2026-03-08T01:45:00-05:00 2026-03-08T03:00:00-04:00 "
	    "2026-03-08T03:15:00-04:00", "*/15 * * * *", z,
	    "2026-03-08T01:40:00-05:00", 3);
	/* 2026-11-01: 02:00 EDT becomes 01:00 EST; 01:30 fires once. */
	assert_next("2026-11-01T01:30:00-04:00 2026-11-02T01:30:00-05:00",
	    "30 1 * * *", z, "2026-10-31T12:00:00Z", 2);
	assert_next("2026-11-01T01:00:00-04:00 2026-11-01T02:00:00-05:00",
	    "0 * * * *", z, "2026-11-01T00:30:00-04:00", 2);
	/* Weekdays count in local time, not UTC. */
	assert_next("2026-11-06T23:00:00-05:00", "0 23 * * fri", z,
	    "2026-11-01T00:00:00Z", 1);
}

static void
test_next_dst_lord_howe(void **state)
{
	/* Half-hour changes: 02:00 -> 02:30 in October, back in April. */
	assert_next("2026-10-04T02:30:00+11:00 2026-10-05T02:15:00+11:00",
	    "15 2 * * *", "Australia/Lord_Howe", "2026-10-03T12:00:00Z", 2);
	assert_next("2026-04-05T01:45:00+11:00 2026-04-06T01:45:00+10:30",
	    "45 1 * * *", "Australia/Lord_Howe", "2026-04-04T12:00:00Z", 2);
	/* No DST at all. */
	assert_next("2026-03-29T02:30:00+05:30", "30 2 * * *",
	    "Asia/Kolkata", "2026-03-28T22:00:00+05:30", 1);
}

static void
test_tz(void **state)
{
	const struct tz	*z;
	struct rerr	 err;
	int64_t		 t, w;
	int		 kind;
	char		 s[64];

	rerr_init(&err);
	assert_null(tz_get("Mars/Olympus", &err));
	assert_int_equal(err.code, ROOST_ENOTFOUND);
	assert_contains(err.msg, "unknown time zone 'Mars/Olympus'");
	rerr_init(&err);
	assert_null(tz_get("../../etc/passwd", &err));
	assert_int_equal(err.code, ROOST_EINVAL);
	rerr_init(&err);
	assert_null(tz_get("zone.tab", &err));
	assert_contains(err.msg, "not a TZif file");
	rerr_init(&err);
	assert_null(tz_get("right/UTC", &err));
	assert_contains(err.msg, "leap seconds");
	rerr_init(&err);
	assert_null(tz_get("", &err));
	assert_non_null(tz_local());

	rerr_init(&err);
	z = tz_get("Europe/Berlin", &err);
	assert_non_null(z);
	assert_ptr_equal(z, tz_get("Europe/Berlin", &err));
	assert_string_equal(tz_name(z), "Europe/Berlin");
	assert_rok(tz_parse_rfc3339(z, "2026-07-01T12:00:00Z", &t, &err),
	    &err);
	assert_int_equal(tz_offset(z, t), 7200);
	assert_rok(tz_parse_rfc3339(z, "2026-01-01T12:00:00Z", &t, &err),
	    &err);
	assert_int_equal(tz_offset(z, t), 3600);

	/* 2026-03-29 02:30 does not exist; 2026-10-25 02:30 twice. */
	w = tz_days_from_civil(2026, 3, 29) * 86400 + 2 * 3600 + 1800;
	t = tz_from_wall(z, w, &kind);
	assert_int_equal(kind, TZ_WALL_SKIPPED);
	tz_format_rfc3339(z, t, s, sizeof(s));
	assert_string_equal(s, "2026-03-29T03:00:00+02:00");
	w = tz_days_from_civil(2026, 10, 25) * 86400 + 2 * 3600 + 1800;
	t = tz_from_wall(z, w, &kind);
	assert_int_equal(kind, TZ_WALL_REPEATED);
	tz_format_rfc3339(z, t, s, sizeof(s));
	assert_string_equal(s, "2026-10-25T02:30:00+02:00");
	w = tz_days_from_civil(2026, 6, 1) * 86400;
	t = tz_from_wall(z, w, &kind);
	assert_int_equal(kind, TZ_WALL_UNIQUE);

	/* RFC 3339: offsets, Z, fractions, local times, errors. */
	assert_rok(tz_parse_rfc3339(z, "2026-03-29T01:30:00+01:00", &t, &err),
	    &err);
	tz_format_rfc3339(z, t, s, sizeof(s));
	assert_string_equal(s, "2026-03-29T01:30:00+01:00");
	assert_rok(tz_parse_rfc3339(z, "2026-03-29t00:30:00.25z", &t, &err),
	    &err);
	tz_format_rfc3339(z, t, s, sizeof(s));
	assert_string_equal(s, "2026-03-29T01:30:00+01:00");
	assert_rok(tz_parse_rfc3339(z, "2026-03-29 02:30", &t, &err), &err);
	tz_format_rfc3339(z, t, s, sizeof(s));
	assert_string_equal(s, "2026-03-29T03:00:00+02:00");
	assert_rok(tz_parse_rfc3339(tz_get("America/New_York", &err),
	    "1969-12-31T19:00:00-05:00", &t, &err), &err);
	assert_int_equal(t, 0);
	assert_int_equal(tz_parse_rfc3339(z, "2026-02-29T00:00:00Z", &t,
	    &err), ROOST_EINVAL);
	assert_contains(err.msg, "is not an RFC 3339 time");
	rerr_init(&err);
	assert_int_equal(tz_parse_rfc3339(z, "2026-01-01T00:00:00+1", &t,
	    &err), ROOST_EINVAL);
	rerr_init(&err);
	assert_int_equal(tz_parse_rfc3339(z, "tomorrow", &t, &err),
	    ROOST_EINVAL);

	/* Civil dates both ways, across the epoch. */
	for (t = -800000; t < 800000; t += 997) {
		int64_t	y;
		int	m, d;

		tz_civil_from_days(t, &y, &m, &d);
		assert_int_equal(tz_days_from_civil(y, m, d), t);
	}
}

struct worker {
	const char	*zone;
	char		 out[1024];
};

static void *
worker_run(void *arg)
{
	struct worker	*wk = arg;
	const struct tz	*z;
	struct cron	 c;
	struct rerr	 err;
	int64_t		 t[8], after = 1774000000;
	char		 s[64];
	int		 i, round;

	rerr_init(&err);
	for (round = 0; round < 200; round++) {
		if ((z = tz_get(wk->zone, &err)) == NULL ||
		    cron_parse(&c, "*/20 1-3 * * *", &err) != 0 ||
		    cron_next_n(&c, z, after, t, 8, &err) != 0)
			return NULL;
		wk->out[0] = '\0';
		for (i = 0; i < 8; i++) {
			tz_format_rfc3339(z, t[i], s, sizeof(s));
			strlcat(wk->out, s, sizeof(wk->out));
		}
	}
	return wk;
}

/* Zones loaded and used by many threads at once agree with one thread. */
static void
test_threads(void **state)
{
	static const char *zones[] = { "America/Sao_Paulo", "Asia/Tokyo",
	    "Europe/Paris", "Australia/Sydney" };
	struct worker	 wk[16], one;
	pthread_t	 th[16];
	void		*res;
	int		 i;

	for (i = 0; i < 16; i++) {
		wk[i].zone = zones[i % 4];
		assert_int_equal(pthread_create(&th[i], NULL, worker_run,
		    &wk[i]), 0);
	}
	for (i = 0; i < 16; i++) {
		assert_int_equal(pthread_join(th[i], &res), 0);
		assert_non_null(res);
	}
	for (i = 0; i < 16; i++) {
		one.zone = wk[i].zone;
		assert_non_null(worker_run(&one));
		assert_string_equal(one.out, wk[i].out);
	}
}

UNIT_MAIN(NULL, NULL,
    cmocka_unit_test(test_parse_fields),
    cmocka_unit_test(test_parse_macros),
    cmocka_unit_test(test_parse_errors),
    cmocka_unit_test(test_next_basic),
    cmocka_unit_test(test_next_day_or),
    cmocka_unit_test(test_next_leap),
    cmocka_unit_test(test_next_dst_berlin),
    cmocka_unit_test(test_next_dst_new_york),
    cmocka_unit_test(test_next_dst_lord_howe),
    cmocka_unit_test(test_tz),
    cmocka_unit_test(test_threads))
