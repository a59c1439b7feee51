#!/usr/bin/env bash
# t2100-hub: roostd's outbound websocket to the node hub (a small test hub
# stands in for the bot): bearer token, hello and snapshot on connect, a
# server frame on a change, install output as progress and usage samples
# as changes, fetch requests answered, reconnect after the hub restarts, a
# wrong token refused; a burst of fetch frames makes one fetch at a time
# and every one is answered, a large fragmented frame is read whole; over
# wss:// roostd trusts the CA of hub.caFile and refuses any other.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/hub.sh"

SRV=t2100-a-$TEST_RUN_ID
read -r HUBPORT PORT1 < <(free_ports 2 | xargs)
HUB="/usr/bin/python3 $ROOST_SRC/tests/tools/testhub.py"

start_hub() {
	$HUB $HUBPORT "$1" "$TRASH/frames" ${2:-} >>"$TRASH/hub.log" 2>&1 &
	HUBPID=$!
	wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$HUBPORT" 2>/dev/null
}
free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
frames() {	# frames TYPE: how many frames of that type were received
	grep -c "\"type\":\"$1\"" "$TRASH/frames" 2>/dev/null || true
}
test_cleanup 'kill $ROOSTD $HUBPID $TLSD $TLSHUB 2>/dev/null; docker_cleanup_label roost.node=$NODE'

test_expect_success 'setup: a repository, a hub and roostd' '
	roostd_repo $NODE $SRV $PORT1 &&
	echo "s3cret-token" >token &&
	printf "node: $NODE\nrepo: $TRASH/repo\ndataDir: $TRASH/data\napi: $API\npollInterval: 1h\nhub:\n  url: ws://127.0.0.1:$HUBPORT/v1/hub\n  tokenFile: $TRASH/token\nsftp:\n  enabled: false\n" >roostd.yaml &&
	start_hub s3cret-token --fetch-after-snapshot &&
	{ roostd -d -f roostd.yaml >roostd.log 2>&1 & ROOSTD=$!; } &&
	wait_for 20 test -S "$API"
'

test_expect_success 'hello and a snapshot arrive on connect' '
	wait_for 20 sh -c "grep -q \"\\\"type\\\":\\\"snapshot\\\"\" frames" &&
	head -n 1 frames | grep "\"type\":\"hello\"" &&
	head -n 1 frames | grep "\"node\":\"$NODE\""
'

test_expect_success 'a fetch request is answered with fetched' '
	wait_for 30 sh -c "grep -q \"\\\"type\\\":\\\"fetched\\\"\" frames" &&
	grep "\"type\":\"fetched\"" frames | grep "\"id\":\"f1\"" |
	    grep "$(git -C repo rev-parse HEAD)"
'

test_expect_success 'server status changes are sent as they happen' '
	wait_for 60 sh -c "grep \"\\\"type\\\":\\\"server\\\"\" frames | grep -q \"\\\"phase\\\":\\\"Running\\\"\""
'

test_expect_success 'install output goes out as progress, usage samples as changes' '
	wait_for 30 sh -c "grep \"\\\"type\\\":\\\"progress\\\"\" frames | grep \"\\\"kind\\\":\\\"install\\\"\" | grep -q \"demo install done\"" &&
	wait_for 40 sh -c "grep \"\\\"type\\\":\\\"server\\\"\" frames | grep \"\\\"phase\\\":\\\"Running\\\"\" | grep -q \"\\\"sampledAt\\\":\\\"20\""
'

test_expect_success 'roostd reconnects after the hub restarts' '
	before=$(frames hello) &&
	kill $HUBPID && wait $HUBPID 2>/dev/null;
	sleep 1 &&
	start_hub s3cret-token &&
	wait_for 30 sh -c "test \$(grep -c \"\\\"type\\\":\\\"hello\\\"\" frames) -gt $before" &&
	test "$(tail -n 1 frames | grep -c hello)" -eq 0 || grep -q snapshot frames
'

test_expect_success 'a wrong token is refused by the hub and logged' '
	kill $HUBPID && wait $HUBPID 2>/dev/null;
	start_hub other-token &&
	n=$(frames hello) &&
	sleep 4 &&
	test "$(frames hello)" = "$n" &&
	grep "hub:" roostd.log | grep -iE "cannot connect|closed"
'

test_expect_success 'a burst of fetch frames: one fetch at a time, each answered; a big fragmented frame is read whole' '
	kill $HUBPID && wait $HUBPID 2>/dev/null;
	: >frames &&
	before=$(grep -c "hub: fetching for" roostd.log) &&
	start_hub s3cret-token "--fetch-big --fetch-burst 200" &&
	wait_for 90 sh -c "test \$(grep -c \"\\\"type\\\":\\\"fetched\\\"\" frames) -ge 201" &&
	grep "\"type\":\"fetched\"" frames | grep -q "\"id\":\"big\"" &&
	for i in 1 2 100 199 200; do
		grep "\"type\":\"fetched\"" frames | grep -q "\"id\":\"b$i\"" || return 1
	done &&
	fetches=$(($(grep -c "hub: fetching for" roostd.log) - before)) &&
	echo "201 requests, $fetches fetches" &&
	# requests that come in while a fetch runs share the next one: one
	# fetch each would be 201 (how many share one depends on the load)
	test "$fetches" -ge 1 && test "$fetches" -le 50 &&
	! grep -q "frame that is not json" roostd.log
'

test_expect_success 'setup: a CA, a hub certificate it signed, another CA' '
	hub_cert "t2100 CA" &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key \
	    -out other.pem -days 2 -subj "/CN=other CA" 2>/dev/null &&
	mkdir -p repo2/nodes && git init -q -b main repo2 &&
	printf "name: t2100-tls\naddress: 127.0.0.1\nports: [$PORT1]\n" >repo2/nodes/t2100-tls.yaml &&
	git -C repo2 add -A && git -C repo2 commit -q -m init
'

tls_roostd() {	# tls_roostd CAFILE PORT NAME: roostd of an empty node over wss
	printf "node: t2100-tls\nrepo: $TRASH/repo2\ndataDir: $TRASH/data-$3\napi: $TRASH/api-$3.sock\npollInterval: 1h\nhub:\n  url: wss://localhost:$2/v1/hub\n  tokenFile: $TRASH/token\n  caFile: $1\nsftp:\n  enabled: false\n" >$3.yaml &&
	{ roostd -d -f $3.yaml >$3.log 2>&1 & TLSD=$!; }
}

test_expect_success 'wss: roostd trusts the hub certificate signed by hub.caFile' '
	port=$(free_port) &&
	{ $HUB $port s3cret-token "$TRASH/tlsframes" --tls hub.pem hub.key >>tlshub.log 2>&1 & TLSHUB=$!; } &&
	wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$port" 2>/dev/null &&
	tls_roostd "$TRASH/ca.pem" $port tls-good &&
	wait_for 30 sh -c "grep -q \"\\\"type\\\":\\\"snapshot\\\"\" tlsframes" &&
	grep -q "\"node\":\"t2100-tls\"" tlsframes &&
	wait_for 10 grep -q "hub: connected to wss://" tls-good.log &&
	kill $TLSD && wait $TLSD 2>/dev/null; true
'

test_expect_success 'wss: with another CA roostd refuses the hub and says so' '
	: >tlsframes &&
	tls_roostd "$TRASH/other.pem" $port tls-bad &&
	wait_for 30 grep -q "hub: cannot connect to wss://" tls-bad.log &&
	sleep 2 &&
	test ! -s tlsframes &&
	! grep -q "hub: connected" tls-bad.log &&
	kill $TLSD && wait $TLSD 2>/dev/null; true
'

test_done
