/*
 * fuzz_cron: libFuzzer target for the cron parser (lib/cron.c), whose
 * input comes from server files and Discord modals. The bytes are an
 * expression; one that parses must give in-range sets and fire times
 * that follow each other, strictly after the start, and in UTC match
 * every field (with the day-of-month/day-of-week OR rule). The bytes are
 * also read as an RFC 3339 time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "rerr.h"
#include "tz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The UTC fields of t match c. */
static int
matches(const struct cron *c, int64_t t)
{
	int64_t	days = t / 86400 - (t % 86400 < 0), sod, y;
	int	m, d, wd, dm, wm;

	sod = t - days * 86400;
	tz_civil_from_days(days, &y, &m, &d);
	wd = (int)(((days % 7) + 7 + 4) % 7);
	if (!(c->sec >> (sod % 60) & 1) || !(c->min >> (sod / 60 % 60) & 1) ||
	    !(c->hour >> (sod / 3600) & 1) || !(c->mon >> m & 1))
		return 0;
	dm = c->dom >> d & 1;
	wm = c->dow >> wd & 1;
	if ((c->flags & (CRON_DOM | CRON_DOW)) == (CRON_DOM | CRON_DOW))
		return dm || wm;
	return dm && wm;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct tz	*utc, *berlin;
	struct cron		 c;
	struct rerr		 err;
	int64_t			 after, t[4];
	uint32_t		 h = 2166136261u;
	char			*s;
	size_t			 i;

	if (utc == NULL) {
		utc = tz_get("UTC", NULL);
		berlin = tz_get("Europe/Berlin", NULL);
		if (utc == NULL || berlin == NULL)
			abort();
	}
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	rerr_init(&err);
	(void)tz_parse_rfc3339(berlin, s, &after, &err);
	rerr_init(&err);
	if (cron_parse(&c, s, &err) != 0) {
		if (err.msg[0] == '\0' || strncmp(err.msg, "cron", 4) != 0)
			abort();
		free(s);
		return 0;
	}
	if (c.sec >> 60 || c.min >> 60 || c.hour >> 24 || (c.dom & 1) ||
	    c.dom == 0 || (c.mon & 1) || c.mon >> 13 || c.mon == 0 ||
	    c.dow >> 7 || c.dow == 0 || c.sec == 0 || c.min == 0 ||
	    c.hour == 0)
		abort();
	/* A start between 1970 and about 2106, from the bytes. */
	for (i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	after = h;
	if (cron_next_n(&c, utc, after, t, 4, &err) == 0) {
		if (t[0] <= after)
			abort();
		for (i = 0; i < 4; i++)
			if (!matches(&c, t[i]) || (i > 0 && t[i] <= t[i - 1]))
				abort();
	}
	rerr_init(&err);
	if (cron_next_n(&c, berlin, after, t, 4, &err) == 0) {
		if (t[0] <= after)
			abort();
		for (i = 1; i < 4; i++)
			if (t[i] <= t[i - 1])
				abort();
	}
	free(s);
	return 0;
}
