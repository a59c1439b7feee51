#!/usr/bin/env bash
# t5003-bot-console: the console from Discord, end to end. The fake
# Discord sends /server console, /server logs, Follow, Send command and
# its modal to roost-bot; the bot asks the node that runs the server over
# the node hub, a real roostd types the line into a demo server on the real
# Docker engine, and the output comes back into the reply. Every command
# gives exactly one line in the node's audit.log and one message in the
# audit channel with the right user (the Discord user, or the Unix user of
# the CLI). A user without the console permission, a line with a control
# character or over 512 bytes, a stopped server, a rate-limited user and a
# node that is not connected get clear answers, and nothing reaches the
# server. A followed logs message is edited at most once a second and ends
# when statusFollowMinutes is up.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/hub.sh"

read -r P GW RESUME HUB PORT1 PORT2 < <(free_ports 6 | xargs)
CONROLE=222222222222222222
CAROL=666666666666666666
AUDIT=700000000000000007 DEPLOY=700000000000000008 ALERTS=700000000000000009
S1=c1-$TEST_RUN_ID S2=c2-$TEST_RUN_ID
test_cleanup hub_stop

py() {	# py EXPR: evaluates EXPR on the JSON on stdin as "d"
	/usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}
server_file() {	# server_file NAME PORT STATE: owned by $ALICE
	{
		server_yaml "$1" "$2" "$3" 100
		printf 'members:\n  - { id: "%s", permissions: [view, power] }\n' \
		    "$BOB"
		echo "alerts: { mentionOwner: true }"
	} >"repo/servers/$1.yaml"
}
audit_lines() {	# the node's audit entries of a line
	grep -c -F "\"line\":\"$1\"" data/audit.log || true
}
audit_posts() {	# the audit channel's messages showing TEXT
	$C get /messages | py "sum(1 for m in d if m['channel_id']=='$AUDIT' and '''$1''' in (m.get('content') or ''))"
}
engine_log() {
	docker logs "roost-$1" 2>&1
}
follow_ended() {	# the followed logs message says it no longer follows
	$C show "$fid" | grep -q "no longer followed"
}
posted_once() {	# posted_once TEXT: one audit channel message shows TEXT
	[ "$(audit_posts "$1")" = 1 ]
}
ephemeral() {	# ephemeral ID: the first response's flags
	$C show "$1" | py "(d['acked'].get('data') or {}).get('flags', 0) & 64"
}

test_expect_success 'setup: a state repository, the fake Discord, the bot with an audit channel, roostd, two demo servers' '
	hub_setup $PORT1 $PORT2 &&
	cat >>repo/roost.yaml <<-EOF &&
	  - role: "$CONROLE"
	    permissions: [view, console]
	alerts: { channel: "$ALERTS", nodeDownAfter: 3s }
	EOF
	server_file $S1 $PORT1 running &&
	server_file $S2 $PORT2 stopped &&
	hub_configs "node and servers" t5003-node-secret &&
	cat >>bot.yaml <<-EOF &&
	statusFollowMinutes: 1
	refreshInterval: 1s
	auditChannel: "$AUDIT"
	deployChannel: "$DEPLOY"
	EOF
	hub_start &&
	wait_for 120 sh -c "roost status --api $API --format json 2>/dev/null | grep -q \"\\\"phase\\\": *\\\"Running\\\"\"" &&
	test "$(phase $S1)" = Running && test "$(phase $S2)" = Stopped
'

test_expect_success '/server console: the line reaches the server, its output comes back, only to the user' '
	id=$($C slash $ALICE "" "server console $S1" "command=say hello-from-discord") &&
	$C wait $id "hello-from-discord" 15 >out &&
	grep -q "^> say hello-from-discord" out &&
	grep -qx "hello-from-discord" out &&
	test "$(ephemeral $id)" = 64 &&
	engine_log $S1 | grep -qx "hello-from-discord"
'

test_expect_success 'the node audits it once with the Discord user; the audit channel gets one message' '
	test "$(audit_lines "say hello-from-discord")" = 1 &&
	grep -F "say hello-from-discord" data/audit.log | grep -q "\"who\":\"discord:$ALICE\"" &&
	wait_for 10 posted_once "say hello-from-discord" &&
	$C get /messages | py "[m for m in d if m[\"channel_id\"]==\"$AUDIT\" and \"hello-from-discord\" in m[\"content\"]][0]" >post &&
	grep -q "<@$ALICE>" post && grep -q "$S1" post &&
	$C get /calls | py "[c[\"body\"].get(\"allowed_mentions\") for c in d if c[\"method\"]==\"POST\" and c[\"path\"]==\"/channels/$AUDIT/messages\"]" >mentions &&
	cat mentions && grep -q "parse" mentions && ! grep -q "users\|roles" mentions
'

test_expect_success 'a role with console may use it, in public when asked' '
	id=$($C slash $CAROL $CONROLE "server console $S1" "command=motd Built by <Carol>" public=true) &&
	$C wait $id "MOTD set to" 15 >out && cat out &&
	grep -q "MOTD set to: Built by <Carol>" out && ephemeral $id &&
	test "$(ephemeral $id)" = 0 &&
	grep -F "motd Built by <Carol>" data/audit.log | grep -q "\"who\":\"discord:$CAROL\""
'

test_expect_success 'a member without console is refused ephemerally; nothing is typed or audited' '
	n=$(wc -l <data/audit.log) &&
	id=$($C slash $BOB "" "server console $S1" "command=say bob-was-here") &&
	$C wait $id "console" 10 >out &&
	grep -q "You may not type into the console of server .$S1." out &&
	grep -q "the .console. permission" out &&
	test "$(ephemeral $id)" = 64 &&
	id=$($C slash $BOB "" "server logs $S1") &&
	$C wait $id "console" 10 | grep -q "You may not read the console of" &&
	sleep 1 && test "$(wc -l <data/audit.log)" = "$n" &&
	! engine_log $S1 | grep -q bob-was-here
'

test_expect_success 'control characters and 513 bytes are refused with the reason; nothing reaches the server' '
	n=$(wc -l <data/audit.log) &&
	id=$($C slash $ALICE "" "server console $S1" "command=say esc$(printf "\033")[31mred") &&
	$C wait $id "Not sent" 10 >out && grep -q "control character U+001B" out &&
	long=$(head -c 509 /dev/zero | tr "\0" x) &&
	id=$($C slash $ALICE "" "server console $S1" "command=say $long") &&
	$C wait $id "Not sent" 10 >out && grep -q "513 bytes; at most 512" out &&
	test "$(wc -l <data/audit.log)" = "$n" &&
	! engine_log $S1 | grep -q "red$"
'

test_expect_success 'a stopped server is refused clearly' '
	id=$($C slash $ALICE "" "server console $S2" "command=say to-a-stopped-server") &&
	$C wait $id "Not sent" 15 >out &&
	grep -qi "not running" out &&
	! grep -q to-a-stopped-server data/audit.log
'

test_expect_success 'the per-user rate limit holds (5 per 10 s), and refused commands are not audited' '
	sleep 10 &&
	for i in 1 2 3 4 5 6 7; do
		$C slash $ALICE "" "server console $S1" "command=say burst-$i" >>ids || return 1
	done &&
	for id in $(cat ids); do $C wait $id "$S1" 20 >>burst.out || return 1; done &&
	test "$(grep -c "rate limited" burst.out)" = 2 &&
	test "$(grep -c "\"line\":\"say burst-" data/audit.log)" = 5 &&
	test "$(engine_log $S1 | grep -c "^burst-")" = 5
'

test_expect_success 'a command of the CLI is audited with the Unix user and posted too' '
	sleep 10 &&
	roost console $S1 --api "$API" -c "say from-the-cli" >cli.out &&
	grep -qx "from-the-cli" cli.out &&
	grep -F "say from-the-cli" data/audit.log | grep -q "\"who\":\"unix:root\"" &&
	wait_for 10 posted_once "say from-the-cli" &&
	$C get /messages | py "[m for m in d if m[\"channel_id\"]==\"$AUDIT\" and \"from-the-cli\" in m[\"content\"]][0]" | grep -q "unix:root"
'

test_expect_success '/server logs shows the latest lines with Follow and Send command' '
	id=$($C slash $ALICE "" "server logs $S1" lines=3) &&
	$C wait $id "Console of" 15 >out && cat out &&
	grep -qx "from-the-cli" out &&
	/usr/bin/python3 -c "
t = open(\"out\").read().split(chr(96) * 3)
l = t[1].strip().splitlines() if len(t) == 3 else []
assert len(l) == 3 and l[2] == \"from-the-cli\" and all(x.startswith(\"burst-\") for x in l[:2]), t" &&
	grep -q "\[Follow lf:$S1\]" out &&
	grep -q "\[Send command ls:$S1\]" out
'

test_expect_success 'Follow keeps the message up to date, at most one edit a second' '
	fid=$($C component $ALICE "" lf:$S1) &&
	$C wait $fid "following until" 15 >out &&
	docker exec roost-$S1 sh -c "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo tick-\$i >/proc/1/fd/1; sleep 0.3; done" &&
	$C wait $fid "tick-12" 5 >/dev/null &&
	$C show $fid | py "[e[\"time\"] for e in d[\"edits\"]]" >times &&
	/usr/bin/python3 -c "
import ast; t = ast.literal_eval(open(\"times\").read())
assert len(t) >= 3, t
gaps = [b - a for a, b in zip(t, t[1:])]
assert min(gaps) >= 0.9, gaps"
'

test_expect_success 'Send command opens a one-line modal; its line is typed and answered' '
	id=$($C component $ALICE "" ls:$S1) &&
	$C wait $id "MODAL lc:$S1" 10 | grep -q "(line)" &&
	id=$($C modal $ALICE "" lc:$S1 "line=say via-the-modal") &&
	$C wait $id "via-the-modal" 15 >out &&
	grep -qx "via-the-modal" out &&
	test "$(audit_lines "say via-the-modal")" = 1
'

test_expect_success 'the follow ends when statusFollowMinutes is up; no edit after' '
	wait_for 75 follow_ended &&
	n=$($C show $fid | py "len(d[\"edits\"])") &&
	docker exec roost-$S1 sh -c "echo after-the-end >/proc/1/fd/1" &&
	sleep 2.5 &&
	test "$($C show $fid | py "len(d[\"edits\"])")" = "$n" &&
	grep -q "/server logs $S1: follow ended" bot.log
'

deploy_msg() {	# the deploy channel's messages about TEXT, as JSON
	$C get /messages | py "json.dumps([m for m in d if m['channel_id']=='$DEPLOY' and '''$1''' in (m.get('content') or '')])"
}
deploy_applied() {
	deploy_msg "$1" | grep -q "applied"
}

test_expect_success 'a plain git commit gets one deploy message, edited until its server applied it' '
	git clone -q remote.git clone &&
	sed -i "s/^state: running/state: running\nvariables: { MOTD: deployed by git }/" clone/servers/$S1.yaml &&
	GIT_AUTHOR_NAME="Dana Git" GIT_AUTHOR_EMAIL=dana@example.com git -C clone commit -qam "motd for $S1 by hand" &&
	git -C clone push -q origin main &&
	rev=$(git -C clone rev-parse HEAD) &&
	wait_for 60 deploy_applied "motd for $S1 by hand" &&
	deploy_msg "motd for $S1 by hand" >dep.json && cat dep.json &&
	/usr/bin/python3 -c "
import json; v=json.load(open(\"dep.json\")); assert len(v)==1, v; m=v[0]
c=m[\"content\"]
assert \"${rev:0:7}\" in c and \"Dana Git <dana@example.com>\" in c, c
assert \"$NODE\" in c and \"$S1\" in c and \"applied\" in c, c
assert \"$S2\" not in c, c
assert len(m[\"edits\"]) >= 1, m" &&
	wait_for 30 sh -c "docker inspect roost-$S1 --format \"{{.Config.Env}}\" | grep -q \"deployed by git\""
'

alert_msgs() {	# the alerts channel's messages whose embeds show TEXT, as JSON
	$C get /messages | py "json.dumps([m for m in d if m['channel_id']=='$ALERTS' and '''$1''' in json.dumps(m.get('embeds'))])"
}
alert_count() {
	alert_msgs "$1" | py "len(d)"
}
alert_edits() {
	alert_msgs "$1" | py "sum(len(m['edits']) for m in d)"
}
alerts_are() {	# alerts_are TEXT N: N messages show TEXT
	[ "$(alert_count "$1")" = "$2" ]
}
alert_edited() {	# alert_edited TEXT: a message showing TEXT was edited
	[ "$(alert_edits "$1")" -ge 1 ]
}
wait_running() {
	[ "$(phase $S1)" = Running ]
}

test_expect_success 'a crash is one alert mentioning the owner; the next crash edits it' '
	docker kill roost-$S1 >/dev/null &&
	wait_for 30 alerts_are "$S1 crashed" 1 &&
	alert_msgs "$S1 crashed" >a.json && cat a.json &&
	/usr/bin/python3 -c "
import json; m=json.load(open(\"a.json\"))[0]
assert m[\"content\"]==\"<@$ALICE>\", m
assert \"$NODE\" in m[\"embeds\"][0][\"description\"], m" &&
	$C get /calls | py "[c[\"body\"].get(\"allowed_mentions\") for c in d if c[\"method\"]==\"POST\" and c[\"path\"]==\"/channels/$ALERTS/messages\"]" | grep -q "users.*$ALICE" &&
	wait_for 60 wait_running &&
	docker kill roost-$S1 >/dev/null &&
	wait_for 30 alert_edited "$S1 crashed" &&
	test "$(alert_count "$S1")" = 1 &&
	alert_msgs "$S1" | grep -q "crashed 2 times" &&
	wait_for 60 wait_running
'

test_expect_success 'a server whose node is not connected gets a clear message at once' '
	kill $ROOSTD && wait $ROOSTD 2>/dev/null; ROOSTD= &&
	wait_for 20 grep -q "node $NODE disconnected" bot.log &&
	id=$($C slash $ALICE "" "server console $S1" "command=say nobody-home") &&
	$C wait $id "Not sent" 5 >out &&
	grep -q "node $NODE is not connected" out &&
	id=$($C slash $ALICE "" "server logs $S1") &&
	$C wait $id "Cannot show" 5 | grep -q "not connected"
'

test_expect_success 'a node away longer than nodeDownAfter is an alert, and so is its return' '
	wait_for 20 alerts_are "node $NODE is not connected" 1 &&
	{ roostd -d -f roostd.yaml >>roostd.log 2>&1 & ROOSTD=$!; } &&
	wait_for 30 alerts_are "node $NODE is back" 1 &&
	test "$(alert_count "node $NODE is not connected")" = 1
'

test_expect_success 'no Discord rule was broken' '
	$C get /violations >v.json &&
	/usr/bin/python3 -c "
import json; v=json.load(open(\"v.json\"))
assert not v, v"
'

test_done
