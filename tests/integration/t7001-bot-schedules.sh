#!/usr/bin/env bash
# t7001-bot-schedules: schedules from Discord, end to end. The fake Discord
# sends /server schedules and presses Run now; roost-bot shows the
# schedules of a demo server with what a real roostd on the real Docker
# engine reports of them, and sends Run now through the node hub: the
# schedule's command reaches the server's console, the node audits it and
# the audit channel shows it, a second press while the run goes on is
# "already running", a member without the schedule permission is refused,
# and a node that is gone is "not connected". Edit schedules commits the
# YAML typed in its modal, or refuses it with the validation message.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/hub.sh"

read -r P GW RESUME HUB PORT1 < <(free_ports 5 | xargs)
AUDIT=700000000000000007
S=sc-$TEST_RUN_ID
test_cleanup hub_stop

py() {	# py EXPR: evaluates EXPR on the JSON on stdin as "d"
	/usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}
listed() {	# listed TEXT: /server schedules by ALICE shows TEXT
	local id
	id=$($C slash $ALICE "" "server schedules $S") &&
	$C wait $id "$1" 3 >list.out 2>/dev/null
}
audit_posts() {	# the audit channel's messages showing TEXT
	$C get /messages | py "sum(1 for m in d if m['channel_id']=='$AUDIT' and '''$1''' in (m.get('content') or ''))"
}
modal_shown() {	# modal_shown ID: the answer to ID is the schedules modal
	$C show "$1" | grep -q "\"sm:$S\""
}
posted_once() {	# posted_once TEXT: one audit channel message shows TEXT
	[ "$(audit_posts "$1")" = 1 ]
}

test_expect_success 'setup: the fake Discord, the bot with an audit channel, roostd, a running demo server with a schedule' '
	hub_setup $PORT1 &&
	{
		server_yaml $S $PORT1 running 100
		printf "members:\n  - { id: \"%s\", permissions: [view, power] }\n" "$BOB"
		cat <<-EOF
		schedules:
		  - name: warn
		    cron: "0 5 1 1 *"
		    timezone: Europe/Berlin
		    tasks:
		      - command: "say sched-hello-$TEST_RUN_ID"
		      - after: 5m
		        command: "say sched-later"
		EOF
	} >repo/servers/$S.yaml &&
	hub_configs "node and server" t7001-node-secret &&
	printf "refreshInterval: 1s\nauditChannel: \"%s\"\n" "$AUDIT" >>bot.yaml &&
	hub_start &&
	wait_phase $S Running 120
'

test_expect_success '/server schedules: the schedule as written, with the next run the node reports' '
	wait_for 30 listed "Next run: 20" && cat list.out &&
	grep -q "\*\*warn\*\* · \`0 5 1 1 \*\` Europe/Berlin" list.out &&
	grep -q "Tasks: command \`say sched-hello-$TEST_RUN_ID\`, +5m command \`say sched-later\`" list.out &&
	grep -q "Next run: 20[0-9][0-9]-01-01T05:00:00+01:00" list.out &&
	grep -q "Last run: never" list.out &&
	id=$($C slash $ALICE "" "server schedules $S") &&
	$C wait $id "Schedules of" 10 && $C show $id >show.json &&
	grep -q "\"sr:$S:warn\"" show.json
'

test_expect_success 'a member without the schedule permission is refused; nothing runs' '
	id=$($C slash $BOB "" "server schedules $S") &&
	$C wait $id "Schedules of" 10 &&
	id=$($C component $BOB "" "sr:$S:warn") &&
	$C wait $id "needs the \`schedule\` permission" 10 &&
	sleep 1 &&
	! docker logs roost-$S 2>&1 | grep -q "sched-hello-$TEST_RUN_ID" &&
	! grep -q "run schedule" data/audit.log
'

test_expect_success 'Run now by the owner: started, the command reaches the console, audited once' '
	id=$($C component $ALICE "" "sr:$S:warn") &&
	$C wait $id "Started schedule \`warn\` of \`$S\`" 10 &&
	wait_for 15 sh -c "docker logs roost-$S 2>&1 | grep -qx sched-hello-$TEST_RUN_ID" &&
	test "$(grep -c "run schedule warn" data/audit.log)" = 1 &&
	grep "run schedule warn" data/audit.log | grep -q "\"who\":\"discord:$ALICE\"" &&
	wait_for 10 posted_once "[run schedule warn]"
'

test_expect_success 'a second press while the run goes on: already running; the list shows it running' '
	id=$($C component $ALICE "" "sr:$S:warn") &&
	$C wait $id "already running" 10 &&
	test "$(grep -c "run schedule warn" data/audit.log)" = 1 &&
	wait_for 20 listed "running now"
'

test_expect_success 'Edit schedules: the modal shows the YAML; a new schedule is committed by the user' '
	id=$($C component $ALICE "" "se:$S") &&
	wait_for 10 modal_shown $id && $C show $id >modal.json &&
	grep -q "sm:$S" modal.json && grep -q "say sched-hello-$TEST_RUN_ID" modal.json &&
	before=$(git -C remote.git rev-list --count main) &&
	id=$($C modal $ALICE "" "sm:$S" "yaml=- name: warn
  cron: \"0 5 1 1 *\"
  timezone: Europe/Berlin
  tasks:
    - command: \"say sched-hello-$TEST_RUN_ID\"
- name: hourly
  cron: \"0 * * * *\"
  tasks: [ { command: \"say <hourly>\" } ]") &&
	$C wait $id "Schedules of \`$S\` committed" 30 &&
	test "$(git -C remote.git rev-list --count main)" = $((before + 1)) &&
	git -C remote.git log -1 --format="%an|%B" main >log &&
	grep -q "(discord:$ALICE)" log &&
	git -C remote.git show main:servers/$S.yaml >file &&
	grep -q "^  - name: hourly" file && grep -q "^name: $S" file &&
	wait_for 30 listed "hourly"
'

test_expect_success 'Edit schedules: a bad cron and a start task are refused; nothing is committed' '
	before=$(git -C remote.git rev-list --count main) &&
	id=$($C modal $ALICE "" "sm:$S" "yaml=- name: bad
  cron: \"61 * * * *\"
  tasks: [ { restart: true } ]") &&
	$C wait $id "nothing was committed" 30 >out && cat out &&
	grep -q "61" out &&
	id=$($C modal $ALICE "" "sm:$S" "yaml=- name: up
  cron: \"0 6 * * *\"
  tasks: [ { start: true } ]") &&
	$C wait $id "desired state" 30 &&
	id=$($C modal $BOB "" "sm:$S" "yaml=[]") &&
	$C wait $id "needs the \`edit\` permission" 10 &&
	test "$(git -C remote.git rev-list --count main)" = "$before"
'

test_expect_success 'the node gone: Run now says it is not connected' '
	kill $ROOSTD && wait $ROOSTD 2>/dev/null; ROOSTD= &&
	wait_for 20 grep -q "node $NODE disconnected" bot.log &&
	id=$($C component $ALICE "" "sr:$S:warn") &&
	$C wait $id "is not connected" 10
'

test_done
