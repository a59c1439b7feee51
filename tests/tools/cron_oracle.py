#!/usr/bin/python3
# cron_oracle.py: checks roost's cron evaluator against an independent
# oracle, Debian's python3-croniter, on random expressions, zones and
# start times (many near DST changes).
#
#   cron_oracle.py ROOST [CASES] [SEED]
#
# The main oracle ("all cases") asks croniter for the wall-clock times an
# expression matches (croniter on naive datetimes, where it has no DST
# code) and maps each wall time to an instant with Python's own zoneinfo
# by the rule roost documents (docs/schedules.md): a time a
# spring-forward gap skips fires at the end of the gap, a time a
# fall-back repeats fires once, at its first occurrence, and a time whose
# instant is not after the start is passed over. Every case is compared.
#
# The second check runs croniter with the zone itself (a tz-aware start),
# as its users would. croniter 1.3.5's DST handling is wrong whenever an
# offset change lies between the start and the result (a daily 02:30 job
# comes out at 03:30 the day after a change, or an endless repeat of
# 01:30 in dateutil zones; see docs/schedules.md) or just before the
# start (from the second pass of a fall-back it answers a time before
# the start), so exactly those cases, an offset change from a day before
# the start to the result, are excluded from it and counted.
#
# Exits 1 and prints the first mismatches when any case differs.
import datetime
import os
import random
import subprocess
import sys
import zoneinfo

from croniter import croniter, CroniterBadDateError

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
         "Asia/Kolkata", "America/Sao_Paulo", "Europe/London"]
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
          "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
UTC = datetime.timezone.utc
NFIRE = 3


def rcase(rng, s):
    return s.upper() if rng.random() < 0.2 else s


def field(rng, lo, hi, names=None, star=0.3, bias=None, dow7=True,
          slash=True, steps=None):
    """One random field of values lo..hi (names[i] is value lo+i)."""
    span = hi - lo + 1

    def val(lo_=lo, hi_=hi):
        if bias and rng.random() < 0.5:
            v = rng.choice(bias)
        else:
            v = rng.randint(lo_, hi_)
        if names and rng.random() < 0.5 and v - lo < len(names):
            return rcase(rng, names[v - lo]), v
        return str(v), v

    if rng.random() < star:
        return "*"
    items = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        k = rng.random()
        if k < 0.35:
            items.append(val()[0])
        elif k < 0.55:
            items.append("*/%d" % (rng.choice(steps) if steps else
                                   rng.randint(1, span)))
        elif k < 0.8:
            a, b = sorted([rng.randint(lo, hi), rng.randint(lo, hi)])
            sa = names[a - lo] if names and rng.random() < 0.5 else str(a)
            sb = names[b - lo] if names and rng.random() < 0.5 else str(b)
            items.append("%s-%s" % (rcase(rng, sa), rcase(rng, sb)))
        elif k < 0.92:
            a, b = sorted([rng.randint(lo, hi), rng.randint(lo, hi)])
            items.append("%d-%d/%d" % (a, b, rng.randint(1, span)))
        elif slash:
            items.append("%d/%d" % (rng.randint(lo, hi),
                                    rng.randint(1, span)))
        else:
            items.append(val()[0])
    if names is DAYS and dow7 and rng.random() < 0.1:
        items.append(rng.choice(["7", "5-7", "fri-sun", "sat-SUN"]))
    return ",".join(items)


def expression(rng):
    """A random expression in roost's syntax (seconds first when six)."""
    if rng.random() < 0.02:
        return rng.choice(["@hourly", "@daily", "@weekly", "@monthly",
                           "@yearly", "@annually", "@midnight", "@DAILY"])
    six = rng.random() < 0.25
    if rng.random() < 0.15:
        # Daily times in the small hours, where the changes happen.
        e = "%s %s * * *" % (field(rng, 0, 59, star=0.2),
                             rng.choice(["1", "2", "3", "1-3", "0,2",
                                         "2/3", "*"]))
        return ("%d " % rng.randint(0, 59) + e) if six else e
    f = []
    if six:
        f.append(field(rng, 0, 59, star=0.3, bias=[0, 30, 59]))
    f.append(field(rng, 0, 59, star=0.25, bias=[0, 15, 30, 45, 59]))
    f.append(field(rng, 0, 23, star=0.3, bias=[0, 1, 2, 3, 4]))
    f.append(field(rng, 1, 31, star=0.6, bias=[1, 28, 29, 30, 31]))
    f.append(field(rng, 1, 12, MONTHS, star=0.6, bias=[2, 3, 4, 10, 11]))
    # croniter 1.3.5 does not read 7 as Sunday in six-field expressions
    # (its LOWMAP exception), so 7, "a/n" (which runs to 7) and "*/1" or
    # "*/7" (read as 0-7) appear in the day of week of five-field ones
    # only.
    if six:
        f.append(field(rng, 0, 6, DAYS, star=0.6, dow7=False, slash=False,
                       steps=range(2, 7)))
    else:
        f.append(field(rng, 0, 6, DAYS, star=0.6))
    return " ".join(f)


def to_croniter(expr):
    """croniter 1.3.5 puts the seconds field last."""
    f = expr.split()
    return " ".join(f[1:] + f[:1]) if len(f) == 6 else expr


def transitions(z, year):
    """The instants in year at which zone z changes its offset."""
    t0 = int(datetime.datetime(year, 1, 1, tzinfo=UTC).timestamp())
    out = []
    prev = None
    for day in range(0, 367):
        t = t0 + day * 86400
        off = datetime.datetime.fromtimestamp(t, z).utcoffset()
        if prev is not None and off != prev[1]:
            lo, hi = prev[0], t
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if datetime.datetime.fromtimestamp(mid, z).utcoffset() == \
                        prev[1]:
                    lo = mid
                else:
                    hi = mid
            out.append(hi)
        prev = (t, off)
    return out


def start_time(rng, z):
    if rng.random() < 0.65:
        year = rng.randint(1980, 2095)
        tr = transitions(z, year)
        if tr:
            near = 3 * 3600 if rng.random() < 0.5 else 36 * 3600
            return rng.choice(tr) + rng.randint(-near, near)
    lo = int(datetime.datetime(1975, 1, 1, tzinfo=UTC).timestamp())
    hi = int(datetime.datetime(2099, 1, 1, tzinfo=UTC).timestamp())
    return rng.randint(lo, hi)


def wall(t, z):
    return datetime.datetime.fromtimestamp(t, z).replace(tzinfo=None)


NKIND = {"skipped": 0, "repeated": 0}


def offset_change(lo, hi, z):
    """
    The first second in (lo, hi] whose UTC offset in z is not lo's, found
    by bisection (hi when none is), and lo's offset.
    """
    off = datetime.datetime.fromtimestamp(lo, z).utcoffset()
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.datetime.fromtimestamp(mid, z).utcoffset() == off:
            lo = mid
        else:
            hi = mid
    return hi, off


def first_instant(w, z):
    """The documented rule: first occurrence, or the end of a gap."""
    ok = []
    for fold in (0, 1):
        t = int(w.replace(tzinfo=z, fold=fold).timestamp())
        if wall(t, z) == w:
            ok.append(t)
    if ok:
        if len(ok) == 2 and ok[0] != ok[1]:
            NKIND["repeated"] += 1
        return min(ok)
    NKIND["skipped"] += 1
    # In a gap: zoneinfo's two readings straddle the change; find it.
    a = int(w.replace(tzinfo=z, fold=1).timestamp())
    b = int(w.replace(tzinfo=z, fold=0).timestamp())
    return offset_change(min(a, b), max(a, b), z)[0]


def repeat_end(after, z):
    """
    When after lies in the second pass of a fall-back, the wall time at
    which the repeated stretch ends (every wall time before it fired in
    the first pass); else None.
    """
    d = datetime.datetime.fromtimestamp(after, z)
    if d.fold == 0:
        return None
    w = d.replace(tzinfo=None)
    first = int(w.replace(tzinfo=z, fold=0).timestamp())
    hi, off = offset_change(first, after, z)
    return wall(hi, z) + (off - datetime.datetime.fromtimestamp(
        hi, z).utcoffset())


def fmt(t, z):
    return datetime.datetime.fromtimestamp(t, z).isoformat()


MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
          "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
          "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
          "@hourly": "0 * * * *"}
NOVERFLOW = [0]


def croniter_next(cexpr, w):
    """croniter's next wall time after w, or None."""
    try:
        return croniter(cexpr, w, max_years_between_matches=11).get_next(
            datetime.datetime)
    except CroniterBadDateError:
        return None


def month_after(w):
    return datetime.datetime(w.year + (w.month == 12), w.month % 12 + 1, 1)


def naive_next(cexpr, w):
    """
    croniter's next wall time, mended: croniter 1.3.5 skips the first
    days of a month when it steps past the end of the month before to a
    listed day that month lacks ("*/30" from Feb 17 gives Mar 31, not
    Mar 1). A start at each month's beginning finds those days, so the
    earliest answer of the runs from w and from every month start up to
    croniter's answer is the right one.
    """
    r = croniter_next(cexpr, w)
    if r is None:
        return None
    m = month_after(w)
    while m < r:
        r2 = croniter_next(cexpr, m - datetime.timedelta(seconds=1))
        if r2 is not None and r2 < r:
            r = r2
            NOVERFLOW[0] += 1
        m = month_after(m)
    return r


def wall_next(expr, w):
    """
    The next wall time after w that expr matches. When both day fields
    are restricted croniter's own OR gives up when one half never fires
    (it raises instead of taking the other), so the halves run apart.
    """
    expr = MACROS.get(expr.lower(), expr)
    cexpr = to_croniter(expr)
    f = cexpr.split()
    exp, _ = croniter.expand(cexpr)
    if exp[2] == ["*"] or exp[4] == ["*"]:
        return naive_next(cexpr, w)
    a = naive_next(" ".join(f[:4] + ["*"] + f[5:]), w)
    b = naive_next(" ".join(f[:2] + ["*"] + f[3:]), w)
    if a is None or b is None:
        return a or b
    return min(a, b)


def oracle(expr, zone, after, n):
    """n fire times as RFC 3339 strings, or None if it never fires."""
    z = zoneinfo.ZoneInfo(zone)
    out = []
    w = wall(after, z)
    end = repeat_end(after, z)
    if end is not None and end > w:
        w = end - datetime.timedelta(seconds=1)
    while len(out) < n:
        nw = wall_next(expr, w)
        if nw is None:
            return None
        t = first_instant(nw, z)
        w = nw
        if t > after:
            out.append(t)
            after = t
            # Wall times the next start has already passed are done.
            w = max(w, wall(t, z))
    return [fmt(t, z) for t in out]


def croniter_direct(expr, zone, after):
    """croniter's own answer with a zone-aware start, as an instant."""
    z = zoneinfo.ZoneInfo(zone)
    it = croniter(to_croniter(expr), datetime.datetime.fromtimestamp(after, z),
                  max_years_between_matches=11)
    return int(it.get_next(float))


def main():
    roost = sys.argv[1]
    ncases = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 13
    rng = random.Random(seed)
    cases = []
    for _ in range(ncases):
        zone = rng.choice(ZONES)
        z = zoneinfo.ZoneInfo(zone)
        after = start_time(rng, z)
        cases.append((zone, after, expression(rng)))
    lines = "".join("%s %s %d %s\n" % (zone, datetime.datetime.fromtimestamp(
        after, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), NFIRE, expr)
        for zone, after, expr in cases)
    res = subprocess.run([roost, "schedule", "next", "--stdin"],
                         input=lines, capture_output=True, text=True,
                         check=True)
    got = res.stdout.split("\n")
    bad = []
    nerr = ndirect = nexcl = nbug = 0
    for i, (zone, after, expr) in enumerate(cases):
        z = zoneinfo.ZoneInfo(zone)
        want = oracle(expr, zone, after, NFIRE)
        mine = got[i].split(" ") if not got[i].startswith("error:") \
            else None
        start = fmt(after, z)
        if want is None:
            nerr += 1
            if mine is not None or "never fires" not in got[i]:
                bad.append((zone, start, expr, "never fires", got[i]))
            continue
        if mine != want:
            bad.append((zone, start, expr, " ".join(want), got[i]))
            continue
        # The second check: croniter with the zone, where it is right.
        first = int(datetime.datetime.fromisoformat(want[0]).timestamp())
        offs = {datetime.datetime.fromtimestamp(t, z).utcoffset()
                for t in (after - 86400, after, first)}
        if len(offs) > 1 or first - after > 150 * 86400:
            nexcl += 1
            continue
        # ... and where croniter's own day logic is right (not one of the
        # two bugs mended above).
        raw = croniter_next(to_croniter(MACROS.get(expr.lower(), expr)),
                            wall(after, z))
        if raw != wall(first, z):
            nbug += 1
            continue
        ndirect += 1
        d = croniter_direct(expr, zone, after)
        if d != first:
            bad.append((zone, start, expr, fmt(d, z) + " (croniter, zoned)",
                        got[i]))
    print("cron oracle: seed %d, %d cases, %d fire times each; %d never "
          "fire; %d month-start days croniter skipped, mended; croniter "
          "with zones: %d compared, %d excluded (an offset change from a "
          "day before the start to the result), %d excluded (croniter's "
          "day bugs); %d mismatches"
          % (seed, ncases, NFIRE, nerr, NOVERFLOW[0], ndirect, nexcl, nbug,
             len(bad)))
    print("cron oracle: wall times met in a spring-forward gap: %d, in a "
          "repeated hour: %d" % (NKIND["skipped"], NKIND["repeated"]))
    for zone, start, expr, want, mine in bad[:20]:
        print("MISMATCH zone=%s after=%s expr=%r\n  want: %s\n  got:  %s"
              % (zone, start, expr, want, mine))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
