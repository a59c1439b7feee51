/*
 * tz: IANA time zones from TZif files (RFC 8536), thread-safe and
 * independent of TZ and of libc's localtime. A zone becomes one sorted
 * table of instants at which the UTC offset changes: the file's explicit
 * transitions, then the footer's POSIX rule ("CET-1CEST,M3.5.0,M10.5.0/3")
 * unrolled year by year to the end of TZ_YEAR_MAX. Lookups are binary
 * searches in that table; zones are cached by name behind a mutex and
 * never freed, so callers may keep the pointers.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "rerr.h"
#include "tz.h"
#include "util.h"
#include "xmalloc.h"

#define TZ_DIR		"/usr/share/zoneinfo"
#define TZ_FILE_MAX	(1024 * 1024)

struct tz {
	char		*name;
	int32_t		 off0;	/* offset before the first change */
	size_t		 n;
	int64_t		*at;	/* instants of the changes, ascending */
	int32_t		*off;	/* offset from at[i] on */
	struct tz	*next;	/* the cache's list */
};

/* One date of a POSIX TZ rule: Jn, n or Mm.w.d, and the local time. */
struct prule {
	int	kind;		/* 'J', 'N' or 'M' */
	int	n, m, w, d;
	int32_t	secs;
};

struct ptz {
	int32_t		std, dst;	/* offsets east of UTC */
	int		has_dst;
	struct prule	start, end;
};

static pthread_mutex_t	 tz_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tz	*tz_cache;
static struct tz	*tz_localzone;

/* Days since 1970-01-01 (H. Hinnant's days_from_civil). */
int64_t
tz_days_from_civil(int64_t y, int m, int d)
{
	int64_t		era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The inverse of tz_days_from_civil. */
void
tz_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t		era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t
floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* ---- the POSIX TZ footer ---- */

static const char *
p_name(const char *p)
{
	const char	*s = p;

	if (*p == '<') {
		while (*p != '\0' && *p != '>')
			p++;
		return *p == '>' ? p + 1 : NULL;
	}
	while (isalpha((unsigned char)*p))
		p++;
	return p - s >= 3 ? p : NULL;
}

/* ":nn" (two digits) into *v: the text after it, or NULL. */
static const char *
p_colon2(const char *p, int *v)
{
	if (p[0] != ':' || !isdigit((unsigned char)p[1]) ||
	    !isdigit((unsigned char)p[2]))
		return NULL;
	*v = (p[1] - '0') * 10 + (p[2] - '0');
	return p + 3;
}

/* [+-]h[h[h]][:mm[:ss]] into seconds; hours up to maxh. */
static const char *
p_hms(const char *p, int32_t *secs, int maxh)
{
	int	sign = 1, h = 0, mi = 0, s = 0, nd;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	for (nd = 0; isdigit((unsigned char)*p) && nd < 3; nd++)
		h = h * 10 + (*p++ - '0');
	if (nd == 0 || h > maxh)
		return NULL;
	if (*p == ':') {
		if ((p = p_colon2(p, &mi)) == NULL)
			return NULL;
		if (*p == ':' && (p = p_colon2(p, &s)) == NULL)
			return NULL;
	}
	if (mi > 59 || s > 59)
		return NULL;
	*secs = sign * (h * 3600 + mi * 60 + s);
	return p;
}

static const char *
p_num(const char *p, int *v, int lo, int hi)
{
	int	n = 0, nd;

	for (nd = 0; isdigit((unsigned char)*p) && nd < 4; nd++)
		n = n * 10 + (*p++ - '0');
	if (nd == 0 || n < lo || n > hi)
		return NULL;
	*v = n;
	return p;
}

static const char *
p_rule(const char *p, struct prule *r)
{
	memset(r, 0, sizeof(*r));
	if (*p == 'J') {
		r->kind = 'J';
		p = p_num(p + 1, &r->n, 1, 365);
	} else if (*p == 'M') {
		r->kind = 'M';
		if ((p = p_num(p + 1, &r->m, 1, 12)) == NULL || *p++ != '.' ||
		    (p = p_num(p, &r->w, 1, 5)) == NULL || *p++ != '.')
			return NULL;
		p = p_num(p, &r->d, 0, 6);
	} else {
		r->kind = 'N';
		p = p_num(p, &r->n, 0, 365);
	}
	if (p == NULL)
		return NULL;
	r->secs = 7200;
	if (*p == '/')
		p = p_hms(p + 1, &r->secs, 167);
	return p;
}

static int
p_parse(const char *s, struct ptz *pt)
{
	const char	*p = s;
	int32_t		 v;

	memset(pt, 0, sizeof(*pt));
	if ((p = p_name(p)) == NULL || (p = p_hms(p, &v, 24)) == NULL)
		return -1;
	pt->std = -v;
	if (*p == '\0')
		return 0;
	if ((p = p_name(p)) == NULL)
		return -1;
	pt->dst = pt->std + 3600;
	if (*p != ',' && *p != '\0') {
		if ((p = p_hms(p, &v, 24)) == NULL)
			return -1;
		pt->dst = -v;
	}
	/* Without a rule POSIX leaves DST undefined; TZif footers have one. */
	if (*p != ',')
		return *p == '\0' ? 0 : -1;
	if ((p = p_rule(p + 1, &pt->start)) == NULL || *p != ',' ||
	    (p = p_rule(p + 1, &pt->end)) == NULL || *p != '\0')
		return -1;
	pt->has_dst = 1;
	return 0;
}

/* The local wall time (seconds) at which rule r falls in year y. */
static int64_t
p_when(const struct prule *r, int64_t y)
{
	int64_t	days, first, next;
	int	wd;

	days = tz_days_from_civil(y, 1, 1);
	switch (r->kind) {
	case 'J':
		days += r->n - 1 + (is_leap(y) && r->n >= 60);
		break;
	case 'N':
		days += r->n;
		break;
	default:
		first = tz_days_from_civil(y, r->m, 1);
		next = r->m == 12 ? tz_days_from_civil(y + 1, 1, 1) :
		    tz_days_from_civil(y, r->m + 1, 1);
		wd = (int)(((first % 7) + 7 + 4) % 7);	/* 1970-01-01: Thu */
		days = first + (r->d - wd + 7) % 7 + (r->w - 1) * 7;
		while (days >= next)
			days -= 7;
		break;
	}
	return days * 86400 + r->secs;
}

/* ---- building the table ---- */

struct chg {
	int64_t	at;
	int32_t	off;
	int	ord;	/* ties: the end of DST before a start */
};

static int
chg_cmp(const void *a, const void *b)
{
	const struct chg	*x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->ord - y->ord;
}

static int64_t
year_of(int64_t t)
{
	int64_t	y;
	int	m, d;

	tz_civil_from_days(floordiv(t, 86400), &y, &m, &d);
	return y;
}

/*
 * Fills z from the explicit changes c[0..nc) (taking c), the footer
 * rule and off0, dropping entries that do not change the offset.
 */
static void
tz_build(struct tz *z, struct chg *c, size_t nc, const struct ptz *pt,
    int has_footer)
{
	int64_t		 last, y, y0, end;
	size_t		 i, cap;
	int32_t		 cur;

	last = nc > 0 ? c[nc - 1].at : INT64_MIN;
	end = tz_days_from_civil(TZ_YEAR_MAX + 1, 1, 1) * 86400;
	cap = nc;
	if (has_footer && pt->has_dst) {
		y0 = nc > 0 ? year_of(last) - 1 : 1800;
		cap += (size_t)(TZ_YEAR_MAX - y0 + 2) * 2;
		c = xreallocarray(c, cap, sizeof(*c));
		for (y = y0; y <= TZ_YEAR_MAX; y++) {
			struct chg	s, e;

			s.at = p_when(&pt->start, y) - pt->std;
			s.off = pt->dst;
			s.ord = 1;
			e.at = p_when(&pt->end, y) - pt->dst;
			e.off = pt->std;
			e.ord = 0;
			if (s.at > last && s.at < end)
				c[nc++] = s;
			if (e.at > last && e.at < end)
				c[nc++] = e;
		}
		qsort(c, nc, sizeof(*c), chg_cmp);
	} else if (has_footer && (nc == 0 || c[nc - 1].off != pt->std)) {
		/* The footer's fixed offset after the last transition. */
		if (nc == 0)
			z->off0 = pt->std;
		else {
			c = xreallocarray(c, nc + 1, sizeof(*c));
			c[nc].at = last + 1;
			c[nc].off = pt->std;
			c[nc].ord = 0;
			nc++;
		}
	}
	z->at = xreallocarray(NULL, nc > 0 ? nc : 1, sizeof(*z->at));
	z->off = xreallocarray(NULL, nc > 0 ? nc : 1, sizeof(*z->off));
	z->n = 0;
	cur = z->off0;
	for (i = 0; i < nc; i++) {
		/* Of several changes at one instant the last holds. */
		if (i + 1 < nc && c[i + 1].at == c[i].at)
			continue;
		if (c[i].off == cur)
			continue;
		z->at[z->n] = c[i].at;
		z->off[z->n] = c[i].off;
		z->n++;
		cur = c[i].off;
	}
	free(c);
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Parses a TZif image into z; 0 or -1 with a reason in *why. */
static int
tzif_parse(struct tz *z, const unsigned char *p, size_t len, const char **why)
{
	const unsigned char	*h = p, *d, *types, *idx, *end = p + len;
	uint32_t		 isut, isstd, leap, timecnt, typecnt, charcnt;
	size_t			 tsz = 4, need, i;
	struct chg		*c;
	struct ptz		 pt;
	char			 foot[256];
	int			 has_footer = 0;
	const unsigned char	*f, *fe;

	*why = "not a TZif file";
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return -1;
	for (;;) {
		isut = be32(h + 20);
		isstd = be32(h + 24);
		leap = be32(h + 28);
		timecnt = be32(h + 32);
		typecnt = be32(h + 36);
		charcnt = be32(h + 40);
		if (timecnt > 100000 || typecnt == 0 || typecnt > 256 ||
		    charcnt > 100000 || leap > 100000 || isut > 256 ||
		    isstd > 256)
			return -1;
		need = timecnt * tsz + timecnt + typecnt * 6 + charcnt +
		    leap * (tsz + 4) + isstd + isut;
		d = h + 44;
		if ((size_t)(end - d) < need)
			return -1;
		/* Version 2 and later repeat the data with 64-bit times. */
		if (tsz == 4 && h[4] >= '2') {
			h = d + need;
			if ((size_t)(end - h) < 44 || memcmp(h, "TZif", 4) != 0)
				return -1;
			tsz = 8;
			continue;
		}
		break;
	}
	if (leap != 0) {
		*why = "zones with leap seconds (right/) are not supported";
		return -1;
	}
	idx = d + timecnt * tsz;
	types = idx + timecnt;
	c = xreallocarray(NULL, timecnt > 0 ? timecnt : 1, sizeof(*c));
	for (i = 0; i < timecnt; i++) {
		if (idx[i] >= typecnt) {
			free(c);
			return -1;
		}
		c[i].at = tsz == 8 ? be64(d + i * 8) :
		    (int32_t)be32(d + i * 4);
		c[i].off = (int32_t)be32(types + idx[i] * 6);
		c[i].ord = 0;
		if (i > 0 && c[i].at <= c[i - 1].at) {
			free(c);
			return -1;
		}
	}
	z->off0 = (int32_t)be32(types);
	if (tsz == 8) {
		f = d + need;
		if (f < end && *f == '\n') {
			f++;
			for (fe = f; fe < end && *fe != '\n'; fe++)
				;
			if (fe < end && (size_t)(fe - f) < sizeof(foot)) {
				memcpy(foot, f, fe - f);
				foot[fe - f] = '\0';
				if (foot[0] != '\0') {
					if (p_parse(foot, &pt) != 0) {
						*why = "bad POSIX TZ footer";
						free(c);
						return -1;
					}
					has_footer = 1;
				}
			}
		}
	}
	tz_build(z, c, timecnt, &pt, has_footer);
	return 0;
}

static struct tz *
tz_utc(const char *name)
{
	struct tz	*z;

	z = xcalloc(1, sizeof(*z));
	z->name = xstrdup(name);
	z->at = xmalloc(sizeof(*z->at));
	z->off = xmalloc(sizeof(*z->off));
	return z;
}

static struct tz *
tz_load_path(const char *name, const char *path, struct rerr *err)
{
	struct buf	 b;
	struct stat	 sb;
	struct tz	*z;
	const char	*why;

	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		rerr_set(err, ROOST_ENOTFOUND, "unknown time zone '%s' (not "
		    "in %s)", name, TZ_DIR);
		return NULL;
	}
	if (sb.st_size > TZ_FILE_MAX) {
		rerr_set(err, ROOST_EINVAL, "time zone '%s': %s is too large",
		    name, path);
		return NULL;
	}
	buf_init(&b, TZ_FILE_MAX);
	if (util_read_file(path, &b, err) != 0) {
		buf_dispose(&b);
		return NULL;
	}
	z = xcalloc(1, sizeof(*z));
	if (tzif_parse(z, (const unsigned char *)b.data, b.len, &why) != 0) {
		rerr_set(err, ROOST_EINVAL, "time zone '%s': %s: %s", name,
		    path, why);
		buf_dispose(&b);
		free(z);
		return NULL;
	}
	buf_dispose(&b);
	z->name = xstrdup(name);
	return z;
}

/* IANA names: letters, digits, "_+-", "/" between parts, no "..". */
static int
tz_name_ok(const char *s)
{
	const char	*p;

	if (*s == '\0' || *s == '/' || strlen(s) > 128)
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("_+-/.", *p) == NULL)
			return 0;
	if (strstr(s, "..") != NULL || strstr(s, "//") != NULL ||
	    s[strlen(s) - 1] == '/' || *s == '.' || strstr(s, "/.") != NULL)
		return 0;
	return 1;
}

/* The cached zone called name, loaded on first use (tz.h). */
const struct tz *
tz_get(const char *name, struct rerr *err)
{
	struct tz	*z;
	char		*path;

	if (name == NULL || !tz_name_ok(name)) {
		rerr_set(err, ROOST_EINVAL, "'%s' is not a time zone name "
		    "(an IANA name such as Europe/Berlin or UTC)",
		    name ? name : "");
		return NULL;
	}
	pthread_mutex_lock(&tz_lock);
	for (z = tz_cache; z != NULL; z = z->next)
		if (strcmp(z->name, name) == 0)
			break;
	if (z == NULL) {
		xasprintf(&path, "%s/%s", TZ_DIR, name);
		z = tz_load_path(name, path, err);
		free(path);
		/* UTC needs no file, e.g. in a minimal container. */
		if (z == NULL && strcmp(name, "UTC") == 0) {
			rerr_init(err);
			z = tz_utc(name);
		}
		if (z != NULL) {
			z->next = tz_cache;
			tz_cache = z;
		}
	}
	pthread_mutex_unlock(&tz_lock);
	return z;
}

/* The node's zone: $TZ, /etc/localtime or UTC, looked up once. */
const struct tz *
tz_local(void)
{
	const char	*env, *p;
	char		 link[PATH_MAX];
	const char	*name;
	struct tz	*z = NULL;
	struct rerr	 err;
	ssize_t		 n;

	pthread_mutex_lock(&tz_lock);
	if (tz_localzone != NULL) {
		pthread_mutex_unlock(&tz_lock);
		return tz_localzone;
	}
	pthread_mutex_unlock(&tz_lock);

	rerr_init(&err);
	if ((env = getenv("TZ")) != NULL && *env != '\0') {
		if (*env == ':')
			env++;
		if (*env == '/')
			z = tz_load_path(env, env, &err);
		else if (tz_name_ok(env))
			z = (struct tz *)tz_get(env, &err);
	}
	if (z == NULL) {
		n = readlink("/etc/localtime", link, sizeof(link) - 1);
		name = NULL;
		if (n > 0) {
			link[n] = '\0';
			if ((p = strstr(link, "zoneinfo/")) != NULL &&
			    tz_name_ok(p + 9))
				name = p + 9;
		}
		rerr_init(&err);
		if (name != NULL)
			z = (struct tz *)tz_get(name, &err);
		if (z == NULL) {
			rerr_init(&err);
			z = tz_load_path("localtime", "/etc/localtime", &err);
		}
	}
	if (z == NULL)
		z = (struct tz *)tz_get("UTC", NULL);

	pthread_mutex_lock(&tz_lock);
	if (tz_localzone == NULL)
		tz_localzone = z;
	z = tz_localzone;
	pthread_mutex_unlock(&tz_lock);
	return z;
}

/* The name the zone was loaded by. */
const char *
tz_name(const struct tz *z)
{
	return z->name;
}

/* Index of the last change at or before t, or -1. */
static ssize_t
tz_index(const struct tz *z, int64_t t)
{
	size_t	lo = 0, hi = z->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (z->at[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (ssize_t)lo - 1;
}

/* The offset east of UTC at instant t: a binary search of the changes. */
int32_t
tz_offset(const struct tz *z, int64_t t)
{
	ssize_t	i = tz_index(z, t);

	return i < 0 ? z->off0 : z->off[i];
}

/*
 * The first instant that reads as wall, or the end of the gap that skips
 * it (tz.h). Offsets are within +-26 hours, so every instant that reads
 * as wall lies within a day and a bit of it; only the changes there
 * matter.
 */
int64_t
tz_from_wall(const struct tz *z, int64_t wall, int *kind)
{
	const int64_t	 win = 27 * 3600;
	ssize_t		 i, j;
	int64_t		 best = 0, t;
	int32_t		 o, before;
	int		 nvalid = 0;

	i = tz_index(z, wall - win);
	for (j = i; j < (ssize_t)z->n && (j < 0 || z->at[j] <= wall + win);
	    j++) {
		o = j < 0 ? z->off0 : z->off[j];
		t = wall - o;
		if (tz_offset(z, t) != o)
			continue;
		if (nvalid == 0) {
			best = t;
			nvalid = 1;
		} else if (t != best) {
			/* A second instant: the first occurrence wins. */
			if (t < best)
				best = t;
			nvalid = 2;
		}
	}
	if (nvalid > 0) {
		if (kind != NULL)
			*kind = nvalid > 1 ? TZ_WALL_REPEATED : TZ_WALL_UNIQUE;
		return best;
	}
	/* In a gap: the change whose jump passes over wall ends it. */
	if (kind != NULL)
		*kind = TZ_WALL_SKIPPED;
	for (j = i + 1; j < (ssize_t)z->n && z->at[j] <= wall + win; j++) {
		before = j == 0 ? z->off0 : z->off[j - 1];
		if (z->at[j] + before <= wall && wall < z->at[j] + z->off[j])
			return z->at[j];
	}
	return wall - tz_offset(z, wall);	/* not reached */
}

/* t as RFC 3339 with the zone's offset at t. */
void
tz_format_rfc3339(const struct tz *z, int64_t t, char *out, size_t len)
{
	int64_t	w, days, sod, y;
	int32_t	off = tz_offset(z, t), a;
	int	m, d;

	w = t + off;
	days = floordiv(w, 86400);
	sod = w - days * 86400;
	tz_civil_from_days(days, &y, &m, &d);
	a = off < 0 ? -off : off;
	snprintf(out, len, "%04lld-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
	    (long long)y, m, d, (int)(sod / 3600), (int)(sod / 60 % 60),
	    (int)(sod % 60), off < 0 ? '-' : '+', (int)(a / 3600),
	    (int)(a / 60 % 60));
}

static const char *
digits(const char *p, int n, int *v)
{
	int	i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return NULL;
		*v = *v * 10 + (p[i] - '0');
	}
	return p + n;
}

/* An RFC 3339 time, or a wall time in z when it has no offset (tz.h). */
int
tz_parse_rfc3339(const struct tz *z, const char *s, int64_t *t,
    struct rerr *err)
{
	const char	*p = s;
	int		 y, mo, d, h, mi, sec = 0, oh, om, sign, mdays;
	int64_t		 wall;
	static const int ml[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if ((p = digits(p, 4, &y)) == NULL || *p++ != '-' ||
	    (p = digits(p, 2, &mo)) == NULL || *p++ != '-' ||
	    (p = digits(p, 2, &d)) == NULL ||
	    (*p != 'T' && *p != 't' && *p != ' ') ||
	    (p = digits(p + 1, 2, &h)) == NULL || *p++ != ':' ||
	    (p = digits(p, 2, &mi)) == NULL)
		goto bad;
	if (*p == ':') {
		if ((p = digits(p + 1, 2, &sec)) == NULL)
			goto bad;
		if (*p == '.' || *p == ',') {
			p++;
			if (!isdigit((unsigned char)*p))
				goto bad;
			while (isdigit((unsigned char)*p))
				p++;
		}
	}
	if (mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 59)
		goto bad;
	mdays = ml[mo - 1] + (mo == 2 && is_leap(y));
	if (d < 1 || d > mdays)
		goto bad;
	wall = tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	if (*p == '\0') {
		*t = tz_from_wall(z, wall, NULL);
		return 0;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		*t = wall;
		return 0;
	}
	if (*p != '+' && *p != '-')
		goto bad;
	sign = *p++ == '-' ? -1 : 1;
	if ((p = digits(p, 2, &oh)) == NULL || *p++ != ':' ||
	    (p = digits(p, 2, &om)) == NULL || *p != '\0' || oh > 23 ||
	    om > 59)
		goto bad;
	*t = wall - sign * (oh * 3600 + om * 60);
	return 0;
bad:
	return rerr_set(err, ROOST_EINVAL, "'%s' is not an RFC 3339 time "
	    "(such as 2026-03-29T01:30:00+01:00)", s);
}
