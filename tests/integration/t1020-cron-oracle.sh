#!/usr/bin/env bash
# t1020-cron-oracle: roost's cron evaluator against an independent
# oracle, Debian's python3-croniter (tests/tools/cron_oracle.py), on
# 10,000 random expressions, zones and start times, many near DST
# changes; and the roost schedule next command itself: output, zones,
# errors and exit codes.
. "$(dirname "$0")/../lib/tap.sh"
ORACLE="/usr/bin/python3 $ROOST_SRC/tests/tools/cron_oracle.py"

test_expect_success 'croniter is installed' '
	/usr/bin/python3 -c "import croniter, zoneinfo"
'

test_expect_success '10,000 random cases agree with croniter' '
	$ORACLE "$ROOST_BUILD/roost" 10000 >out; rc=$?
	cat out; test $rc -eq 0 &&
	grep -q "10000 cases" out && grep -q " 0 mismatches" out
'

test_expect_success 'a second seed agrees too' '
	$ORACLE "$ROOST_BUILD/roost" 2000 ${CRON_ORACLE_SEED:-$$} >out; rc=$?
	cat out; test $rc -eq 0
'

test_expect_success 'next fire times in a zone, with its offset' '
	roost schedule next "0 5 * * *" --tz Europe/Berlin \
	    --after 2026-03-28T12:00:00Z -n 3 >out &&
	printf "%s\n" 2026-03-29T05:00:00+02:00 2026-03-30T05:00:00+02:00 \
	    2026-03-31T05:00:00+02:00 >want &&
	diff -u want out
'

test_expect_success 'a time in the spring-forward gap fires when it ends' '
	roost schedule next "30 2 * * *" --tz Europe/Berlin \
	    --after 2026-03-28T12:00:00Z -n 2 >out &&
	printf "%s\n" 2026-03-29T03:00:00+02:00 2026-03-30T02:30:00+02:00 >want &&
	diff -u want out
'

test_expect_success 'a repeated time fires once' '
	roost schedule next "30 1 * * *" --tz America/New_York \
	    --after 2026-10-31T12:00:00Z -n 2 >out &&
	printf "%s\n" 2026-11-01T01:30:00-04:00 2026-11-02T01:30:00-05:00 >want &&
	diff -u want out
'

test_expect_success 'the default count is five; a time without offset is local' '
	roost schedule next "@hourly" --tz Asia/Kolkata \
	    --after 2026-01-01T00:10:00 >out &&
	test $(wc -l <out) -eq 5 &&
	head -n 1 out | grep -x "2026-01-01T01:00:00+05:30"
'

test_expect_success 'a bad field is named with its column, exit 1' '
	test_expect_code() { want=$1; shift; "$@"; test $? -eq $want; } &&
	test_expect_code 1 roost schedule next "0 0 32 * *" 2>err &&
	grep "cron field 3 (day of month): 32 is above 31 at column 5" err &&
	test_expect_code 1 roost schedule next "0 0 30 2 *" 2>err &&
	grep "never fires" err
'

test_expect_success 'usage errors exit 2' '
	test_expect_code() { want=$1; shift; "$@"; test $? -eq $want; } &&
	test_expect_code 2 roost schedule next &&
	test_expect_code 2 roost schedule next "* * * * *" --tz Mars/Olympus 2>err &&
	grep "unknown time zone .Mars/Olympus." err &&
	test_expect_code 2 roost schedule next "* * * * *" -n 0 &&
	test_expect_code 2 roost schedule next "* * * * *" --after yesterday &&
	test_expect_code 2 roost schedule list
'

test_done
