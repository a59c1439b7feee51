#!/usr/bin/env bash
# t5002-bot-e2e: the whole path from Discord to a running container. The
# fake Discord sends /server create through its nest select, egg select
# and modal; roost-bot commits to a real state repository and its node hub
# asks a real roostd on the real Docker engine to fetch; the demo server
# reaches Running and the bot's last message for that interaction shows
# Running with its usage. The Stop button on that message is followed to
# Stopped the same way. The node hub is served over wss:// with a
# certificate from a CA made here, which roostd trusts through hub.caFile.
# Once the created server runs, the message gives its connection address
# (the node's publicAddress and its port) and mentions the user who asked
# it, and only that user; /server status and /server list show the address.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/hub.sh"

E2E=e2e-$TEST_RUN_ID
read -r P GW RESUME HUB PORT1 PORT2 PORT3 < <(free_ports 7 | xargs)
test_cleanup hub_stop

edits() {	# edits ID: the contents of an interaction's edits, one a line
	$C show "$1" | /usr/bin/python3 -c "
import json,sys; r=json.load(sys.stdin)
for e in r['edits']: print((e['body'].get('content') or '').replace('\n', ' | '))"
}

test_expect_success 'setup: docker, a state repository, the fake Discord, the bot and roostd' '
	hub_setup $PORT1 $PORT2 $PORT3 &&
	echo "publicAddress: play.t5002.test" >>repo/nodes/$NODE.yaml &&
	git -C repo add -A && git -C repo commit -q -m "node $NODE" &&
	git clone -q --bare repo remote.git &&
	hub_cert "t5002 CA" &&
	sha=$(node_token t5002-node-secret) &&
	hub_bot_yaml $sha "tls: { cert: $TRASH/hub.pem, key: $TRASH/hub.key }" &&
	hub_roostd_yaml wss://localhost:$HUB/v1/hub "caFile: $TRASH/ca.pem" &&
	hub_start &&
	grep -q "hub: listening on 127.0.0.1:$HUB (wss)" bot.log &&
	wait_for 10 grep -q "hub: connected to wss://" roostd.log
'

test_expect_success '/server create through nest, egg and modal commits the server' '
	id=$($C slash $ALICE $ADMIN "server create" node=$NODE) &&
	$C wait $id "c:n:$NODE" | grep -q "<roost>" &&
	id=$($C component $ALICE $ADMIN c:n:$NODE roost) &&
	$C wait $id "c:e:$NODE" | grep -q "<roost/demo>" &&
	id=$($C component $ALICE $ADMIN c:e:$NODE roost/demo) &&
	$C wait $id "MODAL c:m:$NODE:roost/demo" | grep -q "(memory)" &&
	cid=$($C modal $ALICE $ADMIN c:m:$NODE:roost/demo name=$E2E memory=128 disk=256 cpu=50) &&
	$C wait $cid "Created server" >out &&
	grep -q "on node .$NODE." out &&
	rev=$(git -C remote.git rev-parse main) &&
	git -C remote.git show main:servers/$E2E.yaml >e2e.yaml &&
	grep -q "node: $NODE" e2e.yaml && grep -q "egg: roost/demo" e2e.yaml
'

test_expect_success 'the hub makes roostd fetch at once; the container runs' '
	wait_for 30 grep -q "fetched ${rev:0:12}" bot.log &&
	wait_for 120 sh -c "docker ps --filter label=roost.node=$NODE --format \"{{.Names}}\" | grep -q $E2E"
'

test_expect_success 'the last message of the create shows Running with usage' '
	wait_for 120 grep -q "live: /server create $E2E: settled" bot.log &&
	$C wait $cid "Phase: Running" 5 >out &&
	grep -q "Created server .$E2E." out &&
	grep -q "^\*\*Running " out &&
	grep -q "^CPU: " out && grep -Eq "^[0-9]+% of 50%$" out &&
	grep -q "^Memory: " out && grep -Eq "^[0-9.]+ [MG]iB of [0-9]+ MiB$" out &&
	grep -q "Applied revision: ${rev:0:12}" out &&
	edits $cid >edits &&
	test "$(wc -l <edits)" -ge 2 &&
	head -n 1 edits | grep -vq "Running" &&
	tail -n 1 edits | grep -q "Running"
'

test_expect_success 'the ready message gives the address and mentions only the user who asked' '
	$C wait $cid "is ready" 5 >out &&
	grep -q "<@$ALICE> .$E2E. is ready: connect to .play.t5002.test:$PORT1." out &&
	$C show $cid | /usr/bin/python3 -c "
import json,sys; r=json.load(sys.stdin); b=r[\"edits\"][-1][\"body\"]
am=b[\"allowed_mentions\"]
assert am.get(\"parse\")==[] and am.get(\"users\")==[\"$ALICE\"], am
assert \"is ready\" in b[\"content\"]
assert not any(\"is ready\" in (e[\"body\"].get(\"content\") or \"\") and \"Running\" not in e[\"body\"][\"content\"] for e in r[\"edits\"])
" &&
	id=$($C slash $ALICE "" "server status $E2E") &&
	$C wait $id "Phase" >out &&
	grep -q "play.t5002.test:$PORT1" out &&
	id=$($C slash $ALICE "" "server list") &&
	$C wait $id "$E2E" >out &&
	grep -q "$E2E.*play.t5002.test:$PORT1" out
'

test_expect_success 'the Stop button is followed to Stopped; the container stops' '
	sid=$($C component $ALICE $ADMIN p:stop:$E2E) &&
	$C wait $sid "Phase: Stopped" 90 >out &&
	grep -q "Done: stop $E2E" out && grep -q "\*\*Stopped\*\*" out &&
	test -z "$(docker ps --filter label=roost.node=$NODE --filter status=running -q)"
'

test_expect_success 'no Discord rule was broken' '
	$C get /violations >v.json &&
	/usr/bin/python3 -c "
import json; v=json.load(open(\"v.json\"))
assert not v, v"
'

test_done
