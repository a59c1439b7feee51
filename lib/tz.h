/*
 * tz: IANA time zones read from the system's TZif files
 * (/usr/share/zoneinfo), without the TZ environment variable or libc's
 * global zone state, so any thread may use any zone at any time. A zone
 * is loaded once, expanded into one sorted table of offset changes from
 * its first transition to the end of TZ_YEAR_MAX (the file's POSIX
 * footer rule supplies the years after its last explicit transition),
 * and never changes or goes away afterwards.
 *
 * Times are int64_t seconds since the epoch (UTC); "wall" times are the
 * same count read as a local clock (the instant plus the zone's offset).
 */
#ifndef ROOST_TZ_H
#define ROOST_TZ_H

#include <stddef.h>
#include <stdint.h>

struct rerr;
struct tz;

#define TZ_YEAR_MAX	2200	/* zone tables end with this year */

/* How a wall-clock time maps onto instants (tz_from_wall). */
#define TZ_WALL_UNIQUE		0	/* exactly one instant shows it */
#define TZ_WALL_REPEATED	1	/* a fall-back shows it twice */
#define TZ_WALL_SKIPPED		2	/* a spring-forward gap skips it */

/*
 * Returns the zone called name ("UTC", "Europe/Berlin"), loading it on
 * first use; the zone is shared and lives until the process ends. An
 * unknown or malformed zone is NULL with ROOST_ENOTFOUND or ROOST_EINVAL
 * in err. Thread-safe.
 */
const struct tz	*tz_get(const char *name, struct rerr *err);

/*
 * Returns the node's own zone: the file $TZ names if set (read, never
 * written), else /etc/localtime, else UTC. Never NULL. Thread-safe.
 */
const struct tz	*tz_local(void);

/* The zone's name as given to tz_get ("localtime" when not known). */
const char	*tz_name(const struct tz *z);

/* The zone's offset east of UTC, in seconds, at instant t. */
int32_t		 tz_offset(const struct tz *z, int64_t t);

/*
 * Returns the first instant whose local wall-clock reading is wall, and
 * stores TZ_WALL_UNIQUE or TZ_WALL_REPEATED in *kind (kind may be NULL).
 * A wall time inside a spring-forward gap has no instant: then it
 * returns the instant the gap ends (the first valid instant after it)
 * with TZ_WALL_SKIPPED.
 */
int64_t		 tz_from_wall(const struct tz *z, int64_t wall, int *kind);

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
int64_t		 tz_days_from_civil(int64_t y, int m, int d);
/* The date of a day count from tz_days_from_civil. */
void		 tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/*
 * Writes t as RFC 3339 in zone z with its offset
 * ("2026-03-29T03:00:00+02:00") into out (at least 32 bytes).
 */
void		 tz_format_rfc3339(const struct tz *z, int64_t t, char *out,
		    size_t len);

/*
 * Parses an RFC 3339 date-time ("2026-03-29T01:30:00+01:00", "...Z",
 * fractions of a second dropped) into *t. Without an offset the time is
 * read as a wall-clock time in z (a skipped time means the end of its
 * gap, a repeated one its first occurrence). 0, or ROOST_EINVAL.
 */
int		 tz_parse_rfc3339(const struct tz *z, const char *s, int64_t *t,
		    struct rerr *err);

#endif
