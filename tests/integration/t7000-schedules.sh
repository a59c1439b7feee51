#!/usr/bin/env bash
# t7000-schedules: schedules run by roostd on a real Docker engine, with
# six-field (seconds) cron expressions aimed a few seconds ahead. A
# command reaches the console in the second it is due and the next one
# its offset later; onlyWhenRunning skips a stopped server; a restart task
# restarts the server without a crash; a backup task makes a listed
# backup; roostd killed with -9 between two tasks runs neither twice and
# goes on after its restart; a run now through the API is audited with
# the socket's user; a schedule removed by a commit never fires again;
# the status says the next run, the last run and its tasks' results, and
# roost server schedules / schedule-run and roost status NAME show them.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/docker.sh"
. "$ROOST_SRC/tests/lib/roostd.sh"

A=t7000-a-$TEST_RUN_ID
B=t7000-b-$TEST_RUN_ID
read -r PA PB < <(free_ports 2 | xargs)

sched() {	# sched SERVER EXPR: on the server's schedules status as "d"
	curl -sf --unix-socket "$API" "http://x/v1/servers/$1" |
	    json "(lambda d: $2)(d.get('schedules') or [])"
}
last() {	# last SERVER SCHEDULE EXPR: on the schedule's lastRun as "d"
	curl -sf --unix-socket "$API" "http://x/v1/servers/$1" |
	    json "(lambda d: $3)(next((s.get('lastRun') or {} for s in (d.get('schedules') or []) if s['name'] == '$2'), {}))"
}
cron_at() {	# cron_at EPOCH: a six-field UTC cron expression for then
	date -u -d "@$1" +"%-S %-M %-H %-d %-m *"
}
at() {		# at SECS: the same SECS from now
	cron_at $(( $(date +%s) + $1 ))
}
last_is() {	# last_is SERVER SCHEDULE RESULT: the last run ended so
	test "$(last "$1" "$2" "d.get(\"result\")")" = "$3"
}
said_n() {	# said_n SERVER LINE N: the server printed LINE N times
	test "$(said "$1" "$2")" = "$3"
}
said_ge() {	# said_ge SERVER LINE N: ... at least N times
	test "$(said "$1" "$2")" -ge "$3"
}
last_by() {	# last_by SERVER SCHEDULE WHO: the last run was started by WHO
	test "$(last "$1" "$2" "d.get(\"by\")")" = "$3"
}
next_is() {	# next_is SERVER TIME: the first schedule's next run
	test "$(sched "$1" "d[0][\"nextRun\"]")" = "$2"
}
said() {	# said SERVER LINE: how many times the server printed LINE
	docker logs "roost-$1" 2>&1 | grep -cx "$2"
}
said_at() {	# said_at SERVER LINE: the epoch second the server printed it
	docker logs -t "roost-$1" 2>&1 | awk -v l="$2" \
	    '{ ts = $1; $1 = ""; sub(/^ /, ""); if ($0 == l) print ts }' |
	    head -n 1 | xargs -r -I{} date -u -d {} +%s.%N
}
files() {	# files SCHEDULES-YAML-FOR-A: the two server files
	server_yaml $A $PA running 100 >repo/servers/$A.yaml
	cat >>repo/servers/$A.yaml
	server_yaml $B $PB stopped 100 >repo/servers/$B.yaml
	cat >>repo/servers/$B.yaml <<-EOF
	schedules:
	  - name: only-running
	    cron: "$B_CRON"
	    timezone: UTC
	    onlyWhenRunning: true
	    tasks: [ { command: "say never" } ]
	EOF
}
reconcile() {
	curl -sf -X POST --unix-socket "$API" http://x/v1/reconcile >/dev/null
}

test_cleanup 'kill -9 $ROOSTD 2>/dev/null; wait $ROOSTD 2>/dev/null; docker_cleanup_label roost.node=$NODE'

test_expect_success 'setup: a running and a stopped demo server' '
	docker_ensure && demo_image_ensure &&
	mkdir -p repo/nodes repo/servers && git init -q -b main repo &&
	B_CRON=$(at 12) &&
	printf "name: $NODE\naddress: 127.0.0.1\nports: [$PA, $PB]\n" >repo/nodes/$NODE.yaml &&
	files </dev/null && commit servers &&
	roostd_yaml $TRASH/repo &&
	cat >>roostd.yaml <<-EOF &&
	scheduleGrace: 1m
	backups:
	  targets:
	    local: { type: local, path: $TRASH/backups }
	EOF
	roostd -n -f roostd.yaml && start_roostd &&
	wait_phase $A Running 60 && wait_phase $B Stopped 60
'

test_expect_success 'a command reaches the console in its second, the next one its offset later' '
	fire=$(( $(date +%s) + 6 )) && cron=$(cron_at $fire) &&
	files <<-EOF &&
	schedules:
	  - name: warn
	    cron: "$cron"
	    timezone: UTC
	    tasks:
	      - command: "say warn-one"
	      - after: 2s
	        command: "say warn-two"
	EOF
	commit warn && reconcile &&
	wait_for 5 next_is $A "$(date -u -d @$fire +%Y-%m-%dT%H:%M:%S+00:00)" &&
	wait_for 20 last_is $A warn succeeded &&
	t1=$(said_at $A warn-one) && t2=$(said_at $A warn-two) &&
	echo "fire $fire, warn-one $t1, warn-two $t2" &&
	# The log times are the engine ones: each line carries the delay of
	# the container in reading and printing, so the 2 s gap has a margin.
	python3 -c "import sys; f,a,b=$fire,$t1,$t2; sys.exit(not (f <= a < f + 1 and 1.8 <= b - a < 2.8))" &&
	test "$(said $A warn-one)" = 1 && test "$(said $A warn-two)" = 1 &&
	test "$(last $A warn "\",\".join(t[\"result\"] for t in d[\"tasks\"])")" = succeeded,succeeded &&
	last $A warn "d[\"tasks\"][0][\"output\"]" | grep -x warn-one &&
	grep "\"who\":\"schedule:warn\",\"line\":\"say warn-one\"" data/audit.log
'

test_expect_success 'onlyWhenRunning skips the run of a stopped server' '
	wait_for 20 last_is $B only-running skipped &&
	last $B only-running "d[\"message\"]" | grep "not running" &&
	! grep -q "say never" data/audit.log
'

test_expect_success 'a restart task restarts the server; no crash is counted' '
	before=$(started $A) &&
	files <<-EOF &&
	schedules:
	  - name: nightly
	    cron: "$(at 5)"
	    timezone: UTC
	    tasks:
	      - command: "say restarting-now"
	      - restart: true
	EOF
	commit nightly && reconcile &&
	wait_for 60 last_is $A nightly succeeded &&
	test "$(started $A)" != "$before" &&
	wait_phase $A Running 30 &&
	curl -sf --unix-socket "$API" http://x/v1/servers/$A >st.json &&
	test "$(json "d[\"container\"][\"restarts\"]" <st.json)" = 0 &&
	test "$(json "d[\"crashes\"][\"recent\"]" <st.json)" = 0
'

test_expect_success 'a backup task makes a backup that is listed' '
	files <<-EOF &&
	schedules:
	  - name: backup
	    cron: "$(at 5)"
	    timezone: UTC
	    tasks: [ { backup: { note: scheduled-nightly } } ]
	EOF
	commit backup && reconcile &&
	wait_for 60 last_is $A backup succeeded &&
	id=$(last $A backup "d[\"tasks\"][0][\"message\"]" | sed "s/^backup //") &&
	curl -sf --unix-socket "$API" http://x/v1/servers/$A |
	    json "[b[\"note\"] for b in d[\"backups\"][\"list\"] if b[\"id\"] == \"$id\"]" |
	    grep scheduled-nightly &&
	test -f "$TRASH/backups/$A/$id.tar.zst"
'

test_expect_success 'kill -9 between two tasks: neither runs twice, the run goes on' '
	files <<-EOF &&
	schedules:
	  - name: long
	    cron: "$(at 5)"
	    timezone: UTC
	    tasks:
	      - command: "say long-one"
	      - after: 5s
	        command: "say long-two"
	EOF
	commit long && reconcile &&
	wait_for 20 said_n $A long-one 1 &&
	{ kill -9 $ROOSTD; wait $ROOSTD 2>/dev/null; true; } &&
	start_roostd &&
	wait_for 30 said_n $A long-two 1 &&
	wait_for 20 last_is $A long succeeded &&
	sleep 2 &&
	test "$(said $A long-one)" = 1 && test "$(said $A long-two)" = 1 &&
	grep "going on with task 2" roostd.log
'

test_expect_success 'a run now through the API is audited with the socket user' '
	code=$(curl -s -o run.out -w "%{http_code}" -X POST --unix-socket "$API" \
	    http://x/v1/servers/$A/schedules/long/run) &&
	test "$code" = 202 &&
	grep "\"who\":\"unix:root\",\"line\":\"\[run schedule long\]\"" data/audit.log &&
	wait_for 20 said_n $A long-two 2 &&
	wait_for 20 last_by $A long unix:root &&
	code=$(curl -s -o run.out -w "%{http_code}" -X POST --unix-socket "$API" \
	    http://x/v1/servers/$A/schedules/nope/run) &&
	test "$code" = 404
'

test_expect_success 'roost server schedule-run and schedules, and roost status NAME' '
	roost server schedule-run $A long --api "$API" >out &&
	grep "started schedule long of $A" out &&
	wait_for 20 said_n $A long-two 3 && sleep 2 &&
	wait_for 20 last_is $A long succeeded &&
	roost server schedules $A --api "$API" >list &&
	grep -E "^long +.*succeeded" list && grep "| long-two" list &&
	roost status $A --api "$API" | grep -E "^long " &&
	! roost server schedule-run $A nope --api "$API" 2>err &&
	grep "no schedule .nope." err
'

test_expect_success 'a schedule removed by a commit never fires again' '
	files <<-EOF &&
	schedules:
	  - name: every
	    cron: "* * * * * *"
	    tasks: [ { command: "say every-second" } ]
	EOF
	commit every && reconcile &&
	wait_for 20 said_ge $A every-second 2 &&
	files </dev/null && commit "no schedules" && reconcile &&
	n=$(said $A every-second) && sleep 3 &&
	test "$(said $A every-second)" = "$n" &&
	test "$(sched $A "len(d)")" = 0 &&
	grep "schedule every removed" roostd.log
'

test_done
