/*
 * cron: parsing cron expressions into sets of values, and finding fire
 * times. The search walks the zone's wall clock field by field (month,
 * day, hour, minute, second), jumping to the next matching value of the
 * first field that does not match, then maps the wall time to an instant
 * with tz_from_wall: a skipped time becomes the end of its gap, a
 * repeated one its first occurrence, and a wall time whose instant is
 * not after the start (the second pass of a fall-back) is passed over.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cron.h"
#include "rerr.h"
#include "tz.h"

struct fdef {
	const char		*name;
	int			 lo, hi;
	const char *const	*names;	/* names[i] is value lo + i */
};

static const char *const mon_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
	"nov", "dec", NULL
};
static const char *const dow_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

enum { F_SEC, F_MIN, F_HOUR, F_DOM, F_MON, F_DOW };

static const struct fdef fdefs[] = {
	{ "second", 0, 59, NULL },
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day of month", 1, 31, NULL },
	{ "month", 1, 12, mon_names },
	{ "day of week", 0, 7, dow_names },
};

static const struct {
	const char	*name;
	const char	*expr;
} macros[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/* The parser's position: the whole expression, for columns. */
struct pctx {
	const char		*expr;
	const char		*p;
	int			 fieldno;	/* 1-based, as written */
	const struct fdef	*f;
	struct rerr		*err;
};

static int perr(struct pctx *, const char *, const char *, ...)
	    __attribute__((__format__(printf, 3, 4)));

/* Sets err to "cron field N (name): MESSAGE at column C"; ROOST_EINVAL. */
static int
perr(struct pctx *x, const char *at, const char *fmt, ...)
{
	va_list	ap;
	char	msg[200];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return rerr_set(x->err, ROOST_EINVAL, "cron field %d (%s): %s at "
	    "column %d", x->fieldno, x->f->name, msg,
	    (int)(at - x->expr) + 1);
}

static int
is_sep(int ch)
{
	return ch == ' ' || ch == '\t';
}

static int
is_end(int ch)
{
	return ch == '\0' || is_sep(ch);
}

/* The error for a character that cannot come at p. */
static int
unexpected(struct pctx *x, const char *p)
{
	if (strchr("LlWwHh?#", *p) != NULL)
		return perr(x, p, "'%c' is not supported (use numbers, "
		    "names, ranges, lists and steps)", *p);
	return perr(x, p, "unexpected '%c'", *p);
}

/* One value: a number or, in the month and day fields, a name. */
static int
pvalue(struct pctx *x, int *v)
{
	const char	*s = x->p;
	char		 word[16];
	size_t		 n = 0;
	int		 i, val = 0;

	if (isdigit((unsigned char)*x->p)) {
		while (isdigit((unsigned char)*x->p)) {
			if (++n > 4)
				return perr(x, s, "number %.5s... is too long",
				    s);
			val = val * 10 + (*x->p++ - '0');
		}
		if (val < x->f->lo)
			return perr(x, s, "%d is below %d", val,
			    x->f->lo);
		if (val > x->f->hi)
			return perr(x, s, "%d is above %d", val,
			    x->f->hi);
		*v = val;
		return 0;
	}
	while (isalpha((unsigned char)*x->p)) {
		if (n < sizeof(word) - 1)
			word[n] = (char)tolower((unsigned char)*x->p);
		n++;
		x->p++;
	}
	if (n == 0) {
		if (is_end(*x->p) || *x->p == ',')
			return perr(x, s, "a value is missing");
		return unexpected(x, s);
	}
	word[n < sizeof(word) ? n : sizeof(word) - 1] = '\0';
	if (x->f->names == NULL) {
		if (n == 1 && strchr("lwh", word[0]) != NULL)
			return unexpected(x, s);
		return perr(x, s, "'%.*s' is not a number", (int)n, s);
	}
	for (i = 0; x->f->names[i] != NULL; i++)
		if (n == 3 && strcmp(word, x->f->names[i]) == 0) {
			*v = x->f->lo + i;
			return 0;
		}
	if (x->f == &fdefs[F_MON])
		return rerr_set(x->err, ROOST_EINVAL, "cron field %d (%s): "
		    "'%.*s' is not a month (jan, feb, ... dec) at column %d",
		    x->fieldno, x->f->name, (int)n, s,
		    (int)(s - x->expr) + 1);
	return rerr_set(x->err, ROOST_EINVAL, "cron field %d (%s): '%.*s' is "
	    "not a day (sun, mon, ... sat) at column %d", x->fieldno,
	    x->f->name, (int)n, s, (int)(s - x->expr) + 1);
}

/* One field (a list of items) into the set *set. */
static int
pfield(struct pctx *x, uint64_t *set)
{
	const char	*item, *at;
	int		 lo, hi, step, v, single, span;

	*set = 0;
	for (;;) {
		item = x->p;
		single = 0;
		step = 1;
		if (*x->p == '*') {
			x->p++;
			lo = x->f->lo;
			hi = x->f == &fdefs[F_DOW] ? 6 : x->f->hi;
		} else {
			if (pvalue(x, &lo) != 0)
				return ROOST_EINVAL;
			hi = lo;
			single = 1;
			if (*x->p == '-') {
				x->p++;
				if (pvalue(x, &hi) != 0)
					return ROOST_EINVAL;
				/* "fri-sun", "5-0": Sunday ends a range as 7. */
				if (x->f == &fdefs[F_DOW] && hi == 0 && lo > 0)
					hi = 7;
				if (hi < lo)
					return perr(x, item, "the range %d-%d "
					    "runs backwards", lo, hi);
				single = 0;
			}
		}
		if (*x->p == '/') {
			at = ++x->p;
			if (!isdigit((unsigned char)*x->p))
				return perr(x, at, "a step must be a "
				    "number");
			step = 0;
			while (isdigit((unsigned char)*x->p)) {
				if (step > 1000)
					return perr(x, at, "the step is too "
					    "large");
				step = step * 10 + (*x->p++ - '0');
			}
			span = x->f->hi - x->f->lo + 1;
			if (x->f == &fdefs[F_DOW])
				span = 7;
			if (step == 0)
				return perr(x, at, "a step of 0 never "
				    "fires");
			if (step > span)
				return perr(x, at, "step %d is above %d",
				    step, span);
			/* "a/n" runs from a to the end of the field (7). */
			if (single)
				hi = x->f->hi;
		}
		for (v = lo; v <= hi; v += step)
			*set |= (uint64_t)1 << v;
		if (*x->p == ',') {
			x->p++;
			continue;
		}
		if (is_end(*x->p))
			return 0;
		return unexpected(x, x->p);
	}
}

static int
mdays(int64_t y, int m)
{
	static const int ml[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return ml[m - 1];
}

/*
 * Parses expr (five or six fields, or a macro) into *c; ROOST_EINVAL with
 * the field and column on error, also for expressions that never fire.
 */
int
cron_parse(struct cron *c, const char *expr, struct rerr *err)
{
	struct pctx	 x;
	const char	*p, *start[6];
	uint64_t	 sets[6], days;
	size_t		 i, nf = 0, first;
	int		 m;
	const struct fdef *dom;

	memset(c, 0, sizeof(*c));
	for (p = expr; is_sep(*p); p++)
		;
	if (*p == '@') {
		for (i = 0; i < sizeof(macros) / sizeof(macros[0]); i++) {
			size_t l = strlen(macros[i].name);

			if (strncasecmp(p, macros[i].name, l) == 0 &&
			    is_end(p[l])) {
				const char *q = p + l;

				while (is_sep(*q))
					q++;
				if (*q == '\0')
					return cron_parse(c, macros[i].expr,
					    err);
			}
		}
		return rerr_set(err, ROOST_EINVAL, "cron: unknown macro '%s' "
		    "(use @hourly, @daily, @weekly, @monthly or @yearly)",
		    p);
	}
	while (*p != '\0') {
		if (nf == 6)
			return rerr_set(err, ROOST_EINVAL, "cron: too many "
			    "fields at column %d (five: minute hour "
			    "day-of-month month day-of-week, or six with "
			    "seconds first)", (int)(p - expr) + 1);
		start[nf++] = p;
		while (!is_end(*p))
			p++;
		while (is_sep(*p))
			p++;
	}
	if (nf < 5)
		return rerr_set(err, ROOST_EINVAL, "cron: %zu field%s, "
		    "expected five (minute hour day-of-month month "
		    "day-of-week) or six with seconds first", nf,
		    nf == 1 ? "" : "s");
	first = nf == 6 ? F_SEC : F_MIN;
	sets[F_SEC] = 1;	/* five fields fire at second 0 */
	memset(&x, 0, sizeof(x));
	x.expr = expr;
	x.err = err;
	for (i = 0; i < nf; i++) {
		x.p = start[i];
		x.fieldno = (int)i + 1;
		x.f = &fdefs[first + i];
		if (pfield(&x, &sets[first + i]) != 0)
			return ROOST_EINVAL;
	}
	if (sets[F_DOW] & (1 << 7))
		sets[F_DOW] = (sets[F_DOW] | 1) & 0x7f;
	c->sec = sets[F_SEC];
	c->min = sets[F_MIN];
	c->hour = (uint32_t)sets[F_HOUR];
	c->dom = (uint32_t)sets[F_DOM];
	c->mon = (uint16_t)sets[F_MON];
	c->dow = (uint8_t)sets[F_DOW];
	if (nf == 6)
		c->flags |= CRON_SECONDS;
	if (c->dom != 0xfffffffe)
		c->flags |= CRON_DOM;
	if (c->dow != 0x7f)
		c->flags |= CRON_DOW;

	/* Days of month alone that no listed month has never fire. */
	if ((c->flags & (CRON_DOM | CRON_DOW)) == CRON_DOM) {
		for (m = 1; m <= 12; m++) {
			if (!(c->mon & (1 << m)))
				continue;
			days = ((uint64_t)1 << (mdays(2000, m) + 1)) - 2;
			if (c->dom & days)
				return 0;
		}
		dom = &fdefs[F_DOM];
		return rerr_set(err, ROOST_EINVAL, "cron field %d (%s): none "
		    "of these days occurs in the listed months, so the "
		    "expression never fires, at column %d", (int)(F_DOM - first) + 1, dom->name,
		    (int)(start[F_DOM - first] - expr) + 1);
	}
	return 0;
}

/* The smallest member of set at or above v, or -1. */
static int
next_bit(uint64_t set, int v)
{
	if (v >= 64)
		return -1;
	set >>= v;
	if (set == 0)
		return -1;
	return v + __builtin_ctzll(set);
}

static int
day_match(const struct cron *c, int d, int64_t days)
{
	int	wd, dm, wm;

	wd = (int)(((days % 7) + 7 + 4) % 7);	/* 1970-01-01: Thursday */
	dm = (c->dom >> d) & 1;
	wm = (c->dow >> wd) & 1;
	if ((c->flags & (CRON_DOM | CRON_DOW)) == (CRON_DOM | CRON_DOW))
		return dm || wm;
	return dm && wm;
}

/*
 * The first wall time after w0 that c matches, before the day count
 * limit; 0, or -1 when there is none.
 */
static int
wall_next(const struct cron *c, int64_t w0, int64_t limit, int64_t *out)
{
	int64_t	w = w0 + 1, days, sod, y;
	int	m, d, h, mi, s, v;

	days = w / 86400 - (w % 86400 < 0);
	sod = w - days * 86400;
	h = (int)(sod / 3600);
	mi = (int)(sod / 60 % 60);
	s = (int)(sod % 60);
	tz_civil_from_days(days, &y, &m, &d);
	for (;;) {
		if (days >= limit)
			return -1;
		if (!(c->mon & (1 << m))) {
			if (++m > 12) {
				m = 1;
				y++;
			}
			d = 1;
			h = mi = s = 0;
			days = tz_days_from_civil(y, m, d);
			continue;
		}
		if (!day_match(c, d, days) ||
		    (v = next_bit(c->hour, h)) < 0) {
			days++;
			tz_civil_from_days(days, &y, &m, &d);
			h = mi = s = 0;
			continue;
		}
		if (v != h) {
			h = v;
			mi = s = 0;
		}
		if ((v = next_bit(c->min, mi)) < 0) {
			h++;
			mi = s = 0;
			if (h == 24) {
				days++;
				tz_civil_from_days(days, &y, &m, &d);
				h = 0;
			}
			continue;
		}
		if (v != mi) {
			mi = v;
			s = 0;
		}
		if ((v = next_bit(c->sec, s)) < 0) {
			mi++;
			s = 0;
			if (mi == 60) {
				mi = 0;
				h++;
				if (h == 24) {
					days++;
					tz_civil_from_days(days, &y, &m, &d);
					h = 0;
				}
			}
			continue;
		}
		*out = days * 86400 + h * 3600 + mi * 60 + v;
		return 0;
	}
}

/*
 * The first fire time strictly after after on z's wall clock; walks wall
 * times in order and keeps the first whose instant is after the start.
 */
int
cron_next(const struct cron *c, const struct tz *z, int64_t after,
    int64_t *next, struct rerr *err)
{
	int64_t	w0, w, t, y, limit, end;
	int	m, d;

	/* Far outside the zone tables' years: nothing to find. */
	if (after < -((int64_t)1 << 40) || after > ((int64_t)1 << 40))
		return rerr_set(err, ROOST_ENOTFOUND, "cron: %lld is outside "
		    "the years a schedule can fire in", (long long)after);
	w0 = after + tz_offset(z, after);
	tz_civil_from_days(w0 / 86400 - (w0 % 86400 < 0), &y, &m, &d);
	limit = tz_days_from_civil(y + CRON_SEARCH_YEARS, m, 1);
	end = tz_days_from_civil(TZ_YEAR_MAX, 12, 31);
	if (limit > end)
		limit = end;
	for (;;) {
		if (wall_next(c, w0, limit, &w) != 0)
			return rerr_set(err, ROOST_ENOTFOUND, "cron: the "
			    "expression does not fire within %d years",
			    CRON_SEARCH_YEARS);
		t = tz_from_wall(z, w, NULL);
		if (t > after) {
			*next = t;
			return 0;
		}
		/* A time already shown before "after" (a fall-back). */
		w0 = w;
	}
}

/* n fire times in a row, each the next after the one before. */
int
cron_next_n(const struct cron *c, const struct tz *z, int64_t after,
    int64_t *out, size_t n, struct rerr *err)
{
	size_t	i;
	int	rc;

	for (i = 0; i < n; i++) {
		if ((rc = cron_next(c, z, after, &out[i], err)) != 0)
			return rc;
		after = out[i];
	}
	return 0;
}
