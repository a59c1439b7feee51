#!/usr/bin/env bash
# t5007-bot-alerts: each kind of server alert fired by a real event on a
# real roostd and Docker engine, seen in the fake Discord's alerts
# channel. A server killed three times within crashLoopWindow is one
# alert, opened as a crash and edited into a crash loop (coalesced, not
# three messages). An egg whose install script exits 3 is a "failed to
# install" alert with the exit code. A server whose port another process
# holds on the host is a "failed to start" alert with the engine's
# reason. A schedule whose command finds its server stopped is a "a
# scheduled run failed" alert naming the schedule and the task. A backup
# to a target whose path is a plain file is "a backup failed". A server
# with alerts.enabled false crashes without an alert. Alerts mention the
# owner only when the server file asks for it.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/hub.sh"

read -r P GW RESUME HUB P1 P2 P3 P4 P5 P6 < <(free_ports 10 | xargs)
OWNER=444444444444444444
ALERTS=700000000000000009
S1=loop-$TEST_RUN_ID S2=inst-$TEST_RUN_ID S3=port-$TEST_RUN_ID
S4=sched-$TEST_RUN_ID S5=quiet-$TEST_RUN_ID S6=bk-$TEST_RUN_ID
test_cleanup 'kill $HOLDER 2>/dev/null; hub_stop'

py() {	# py EXPR: evaluates EXPR on the JSON on stdin as "d"
	/usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}
server_file() {	# server_file NAME PORT STATE [EXTRA-YAML]: on $NODE
	{
		server_yaml "$1" "$2" "$3" 50
		[ -z "${4:-}" ] || printf '%s\n' "$4"
	} >"repo/servers/$1.yaml"
}
push() {	# push MESSAGE: commits repo and hands it to roostd
	git -C repo add -A && git -C repo commit -q -m "$1" &&
	git -C repo push -q "$TRASH/remote.git" main &&
	curl -sf -X POST --unix-socket "$API" http://x/v1/reconcile >/dev/null
}
alert_msgs() {	# the alerts channel's messages whose embeds show TEXT, as JSON
	$C get /messages | py "json.dumps([m for m in d if m['channel_id']=='$ALERTS' and '''$1''' in json.dumps(m.get('embeds'))])"
}
alert_count() {
	alert_msgs "$1" | py "len(d)"
}
alerts_are() {	# alerts_are TEXT N: N messages show TEXT
	[ "$(alert_count "$1")" = "$2" ]
}
field() {	# field TEXT EXPR: EXPR on the one message showing TEXT as "m"
	alert_msgs "$1" | py "(lambda m: $2)(d[0])"
}
phase_is() {	# phase_is NAME PHASE
	[ "$(phase "$1")" = "$2" ]
}
running() {
	phase_is "$1" Running
}
cron_at() {	# cron_at SECS: a six-field UTC cron expression SECS from now
	date -u -d "@$(( $(date +%s) + $1 ))" +"%-S %-M %-H %-d %-m *"
}

test_expect_success 'setup: the fake Discord, the bot with an alerts channel, roostd with short crash rules' '
	hub_setup $P1 $P2 $P3 $P4 $P5 $P6 &&
	echo "alerts: { channel: \"$ALERTS\" }" >>repo/roost.yaml &&
	mkdir -p repo/eggs/test &&
	sed -e "s/^name: roost demo server/name: broken demo/" \
	    -e "s/^    echo \"demo install done\"/    echo \"the download failed\"; exit 3/" \
	    $ROOST_SRC/eggs/roost/demo.yaml >repo/eggs/test/broken.yaml &&
	grep -q "exit 3" repo/eggs/test/broken.yaml &&
	server_file $S1 $P1 running "alerts: { mentionOwner: true }" &&
	server_file $S5 $P5 running "alerts: { enabled: false }" &&
	hub_configs "two servers" t5007-node-secret &&
	echo "refreshInterval: 1s" >>bot.yaml &&
	cat >>roostd.yaml <<-EOF &&
	backoffMin: 1s
	backoffMax: 2s
	crashLoopMax: 3
	crashLoopWindow: 5m
	backups:
	  targets:
	    broken: { type: local, path: $TRASH/not-a-directory }
	EOF
	echo "a file where the target directory should be" >not-a-directory &&
	hub_start &&
	wait_for 120 running $S1 && wait_for 60 running $S5
'

test_expect_success 'three crashes within the window: one alert, a crash edited into a crash loop' '
	docker kill roost-$S1 >/dev/null &&
	wait_for 30 alerts_are "$S1 crashed" 1 &&
	test "$(field "$S1 crashed" "m[\"content\"]")" = "<@$OWNER>" &&
	wait_for 30 running $S1 &&
	docker kill roost-$S1 >/dev/null &&
	wait_for 30 running $S1 &&
	docker kill roost-$S1 >/dev/null &&
	wait_for 30 phase_is $S1 CrashLoop &&
	wait_for 30 alerts_are "$S1 is in a crash loop" 1 &&
	alert_msgs "$S1" >a.json && cat a.json &&
	test "$(alert_count "$S1")" = 1 &&
	/usr/bin/python3 -c "
import json; m=json.load(open(\"a.json\"))[0]
e=m[\"embeds\"][0]
assert e[\"title\"]==\"$S1 is in a crash loop\", e
assert \"phase **CrashLoop**\" in e[\"description\"], e
assert \"crashed 3 times\" in e[\"description\"], e
assert \"not restarting until the spec changes\" in e[\"description\"], e
assert len(m[\"edits\"]) >= 1, m
assert m[\"content\"]==\"<@$OWNER>\", m"
'

test_expect_success 'an install script that exits 3 is a "failed to install" alert with the exit code' '
	server_file $S2 $P2 running "egg: test/broken" &&
	sed -i "0,/^egg: roost\/demo$/{/^egg: roost\/demo$/d}" repo/servers/$S2.yaml &&
	grep -qx "egg: test/broken" repo/servers/$S2.yaml &&
	push "a server of a broken egg" &&
	wait_for 90 alerts_are "$S2 failed to install" 1 &&
	alert_msgs "$S2" >i.json && cat i.json &&
	test "$(alert_count "$S2")" = 1 &&
	/usr/bin/python3 -c "
import json; m=json.load(open(\"i.json\"))[0]
d=m[\"embeds\"][0][\"description\"]
assert \"phase **InstallFailed**\" in d, d
assert \"exit code 3\" in d, d
assert \"$NODE\" in d, d
assert m[\"content\"]==\"\", m"
'

test_expect_success 'a port another process holds is a "failed to start" alert with the reason' '
	{ /usr/bin/python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((\"0.0.0.0\", $P3)); s.listen(); time.sleep(600)" & HOLDER=$!; } &&
	wait_for 10 bash -c "echo >/dev/tcp/127.0.0.1/$P3" &&
	server_file $S3 $P3 running &&
	push "a server on a port that is taken" &&
	wait_for 90 alerts_are "$S3 failed to start" 1 &&
	alert_msgs "$S3" >s.json && cat s.json &&
	/usr/bin/python3 -c "
import json; m=json.load(open(\"s.json\"))[0]
d=m[\"embeds\"][0][\"description\"]
assert \"phase **Failed**\" in d, d
assert \"$P3\" in d or \"in use\" in d or \"allocated\" in d, d" &&
	kill $HOLDER && wait $HOLDER 2>/dev/null; HOLDER= &&
	test "$(alert_count "$S3")" = 1
'

test_expect_success 'a scheduled command that finds its server stopped is a "scheduled run failed" alert' '
	server_file $S4 $P4 stopped "schedules:
  - name: announce
    cron: \"$(cron_at 8)\"
    timezone: UTC
    tasks: [ { command: \"say hello\" } ]" &&
	push "a stopped server with a schedule" &&
	wait_for 60 alerts_are "$S4: a scheduled run failed" 1 &&
	alert_msgs "$S4" >c.json && cat c.json &&
	/usr/bin/python3 -c "
import json; m=json.load(open(\"c.json\"))[0]
d=m[\"embeds\"][0][\"description\"]
assert \"Schedule \`announce\`: run failed\" in d, d
assert \"command task:\" in d, d"
'

test_expect_success 'a backup to a target that cannot hold it is a "backup failed" alert' '
	server_file $S6 $P6 stopped "backups: { target: broken }" &&
	push "a server backed up to a broken target" &&
	roost server backup $S6 --note doomed --repo repo --remote "" >edits.log 2>&1 &&
	git -C repo push -q "$TRASH/remote.git" main &&
	curl -sf -X POST --unix-socket "$API" http://x/v1/reconcile >/dev/null &&
	wait_for 60 alerts_are "$S6: a backup failed" 1 &&
	alert_msgs "$S6" >b.json && cat b.json &&
	/usr/bin/python3 -c "
import json; m=json.load(open(\"b.json\"))[0]
d=m[\"embeds\"][0][\"description\"]
assert \"phase **Stopped**\" in d, d
assert \"not-a-directory\" in d or \"directory\" in d, d"
'

test_expect_success 'a server with alerts.enabled false crashes without an alert' '
	before=$(started $S5) &&
	docker kill roost-$S5 >/dev/null &&
	wait_for 30 sh -c "test \"\$(docker inspect -f {{.State.StartedAt}} roost-$S5)\" != $before" &&
	wait_for 30 running $S5 &&
	sleep 3 && test "$(alert_count "$S5")" = 0 &&
	test "$(alert_count "$S1")" = 1
'

test_expect_success 'no Discord rule was broken' '
	$C get /violations >v.json &&
	/usr/bin/python3 -c "
import json; v=json.load(open(\"v.json\"))
assert not v, v"
'

test_done
