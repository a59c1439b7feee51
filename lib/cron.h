/*
 * cron: cron expressions and their fire times in an IANA time zone.
 *
 * Five fields "minute hour day-of-month month day-of-week", or six with a
 * leading seconds field; "*", "*" "/n", "a", "a-b", "a-b/n", "a/n", lists
 * joined by ",", month names jan-dec, day names sun-sat (0 and 7 are
 * both Sunday), and the macros @hourly @daily @midnight @weekly @monthly
 * @yearly @annually. When both day fields are restricted (neither covers
 * every value) a day matches if either does. Fire times follow the wall
 * clock of the zone: a time a spring-forward gap skips fires at the end
 * of the gap, a time a fall-back repeats fires once, at its first
 * occurrence. docs/schedules.md has the whole syntax and the rules.
 *
 * Pure computation: no I/O apart from loading a zone (lib/tz.c), no
 * global state; a parsed struct cron may be shared between threads.
 */
#ifndef ROOST_CRON_H
#define ROOST_CRON_H

#include <stddef.h>
#include <stdint.h>

struct rerr;
struct tz;

#define CRON_SECONDS	0x01	/* six fields: a seconds field first */
#define CRON_DOM	0x02	/* the day of month is restricted */
#define CRON_DOW	0x04	/* the day of week is restricted */

/* Sets of matching values: bit v is set when v matches. */
struct cron {
	uint64_t	sec;	/* 0-59 */
	uint64_t	min;	/* 0-59 */
	uint32_t	hour;	/* 0-23 */
	uint32_t	dom;	/* 1-31 */
	uint16_t	mon;	/* 1-12 */
	uint8_t		dow;	/* 0-6, Sunday 0 */
	uint8_t		flags;	/* CRON_* */
};

/* How far ahead cron_next looks before it gives up, in years. */
#define CRON_SEARCH_YEARS	10

/*
 * Parses expr into *c. Returns 0, or ROOST_EINVAL with a message naming
 * the field and the column ("cron field 3 (day of month): 32 is above 31
 * at column 9"). An expression that can never fire ("0 0 30 2 *") is
 * refused here too.
 */
int	cron_parse(struct cron *c, const char *expr, struct rerr *err);

/*
 * Stores in *next the first fire time of c strictly after the instant
 * after, on the wall clock of zone z. Returns 0, or ROOST_ENOTFOUND when
 * nothing fires within CRON_SEARCH_YEARS years (or before the end of the
 * zone tables, TZ_YEAR_MAX).
 */
int	cron_next(const struct cron *c, const struct tz *z, int64_t after,
	    int64_t *next, struct rerr *err);

/*
 * Stores the next n fire times after the instant after in out[0..n).
 * Returns 0 or cron_next's error.
 */
int	cron_next_n(const struct cron *c, const struct tz *z, int64_t after,
	    int64_t *out, size_t n, struct rerr *err);

#endif
