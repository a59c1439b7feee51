#!/usr/bin/env bash
# t5001-bot-hub: roost-bot's node hub and bot.yaml checks. A node client
# (a small websocket client standing in for roostd) with the right token
# is accepted, a wrong one gets 401 before the upgrade; the status it
# reports shows in /server status and /node list; a command's commit makes
# the hub send "fetch" with the new revision to that node.
. "$(dirname "$0")/../lib/tap.sh"

P=33510 HUB=33519
FD="/usr/bin/python3 $ROOST_SRC/tests/fakediscord/fakediscord.py"
C="/usr/bin/python3 $ROOST_SRC/tests/fakediscord/fdctl.py $P"
ALICE=444444444444444444
export ROOST_EGGS=$ROOST_SRC/eggs
test_cleanup 'kill $BOTPID $FDPID $NODEPID 2>/dev/null'

cat >node.py <<'EOF'
import asyncio, json, sys, websockets
port, token, out = sys.argv[1], sys.argv[2], sys.argv[3]
async def main():
    try:
        ws = await websockets.connect("ws://127.0.0.1:%s/v1/hub" % port,
            subprotocols=["roost-hub.v1"],
            extra_headers={"Authorization": "Bearer " + token})
    except websockets.InvalidStatusCode as e:
        print("refused", e.status_code, flush=True)
        return
    await ws.send(json.dumps({"type": "hello", "node": "node-a", "version": "t", "revision": None}))
    await ws.send(json.dumps({"type": "snapshot",
        "node": {"name": "node-a", "revision": "feedfacecafe0000", "fetchError": None},
        "servers": [{"name": "demo", "phase": "Running", "ready": True,
            "appliedRevision": "feedfacecafe0000",
            "usage": {"cpuPercent": 25, "memoryBytes": 33554432,
                      "memoryLimitBytes": 134217728}}]}))
    print("connected", flush=True)
    async for m in ws:
        with open(out, "a") as fp:
            fp.write(m + "\n")
asyncio.run(main())
EOF

test_expect_success 'bot.yaml: mistakes are reported with positions' '
	echo tok >token &&
	printf "tokenFile: $TRASH/token\napplicationId: \"12\"\nrepo: x\nhub:\n  listen: 127.0.0.1:1\n  nodes:\n    - { name: a, tokenSha256: abc }\nbogus: 1\n" >bad.yaml &&
	! roost-bot -n -f bad.yaml 2>err &&
	grep -q "bad.yaml:2:16: error: .applicationId. must be a Discord id" err &&
	grep -q "bad.yaml:7:31: error: .tokenSha256. must be 64 hex" err &&
	grep -q "bad.yaml:8:1: error: unknown key .bogus." err &&
	printf "applicationId: \"900000000000000001\"\nrepo: x\n" >bad2.yaml &&
	! roost-bot -n -f bad2.yaml 2>err &&
	grep -q "tokenFile. is required" err
'

cat >schema.py <<'EOF'
import json, sys, yaml, jsonschema
s = json.load(open(sys.argv[1]))
good = """
tokenFile: t
applicationId: "900000000000000001"
repo: {url: "ssh://git@h/r.git", sshKey: k}
workdir: w
hub: {listen: "0.0.0.0:8443", nodes: [{name: node-a, tokenSha256: "%s"}]}
""" % ("0" * 64)
jsonschema.validate(yaml.safe_load(good), s)
for bad in ('tokenFile: t\napplicationId: "12"\nrepo: x\n',
            'tokenFile: t\napplicationId: "900000000000000001"\n',
            'tokenFile: t\napplicationId: "900000000000000001"\nrepo: x\nbogus: 1\n'):
    try:
        jsonschema.validate(yaml.safe_load(bad), s)
    except jsonschema.ValidationError:
        continue
    raise SystemExit("accepted: " + bad)
EOF

test_expect_success 'bot.yaml passes its JSON Schema; bad ones do not' '
	/usr/bin/python3 schema.py "$ROOST_SRC/schema/bot.schema.json"
'

test_expect_success 'setup: repository, fake Discord, bot with a hub' '
	cp -R "$ROOST_SRC/state-example" repo &&
	git init -q -b main repo && git -C repo add -A &&
	git -C repo commit -q -m "initial state" &&
	echo fake-bot-token >token &&
	echo node-a-secret >nodetoken &&
	sha=$(tr -d "\n" <nodetoken | sha256sum | cut -d" " -f1) &&
	cat >bot.yaml <<-EOF &&
	tokenFile: $TRASH/token
	applicationId: "900000000000000001"
	apiBase: http://127.0.0.1:$P/api/v10
	repo: $TRASH/repo
	hub:
	  listen: 127.0.0.1:$HUB
	  nodes:
	    - { name: node-a, tokenSha256: $sha }
	EOF
	{ $FD --port $P --state-dir fd >fd.log 2>&1 & FDPID=$!; } &&
	wait_for 10 test -f fd/ready &&
	{ roost-bot -d -f bot.yaml >bot.log 2>&1 & BOTPID=$!; } &&
	wait_for 20 grep -q "gateway: ready" bot.log &&
	$C get /commands | grep -q "\"global\""
'

test_expect_success 'a wrong node token is refused with 401 before the upgrade' '
	code=$(curl -s -o /dev/null -w "%{http_code}" -H "Connection: Upgrade" \
	    -H "Upgrade: websocket" -H "Sec-WebSocket-Version: 13" \
	    -H "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" \
	    -H "Sec-WebSocket-Protocol: roost-hub.v1" \
	    -H "Authorization: Bearer wrong-token" \
	    http://127.0.0.1:$HUB/v1/hub) &&
	test "$code" = 401 &&
	grep -q "wrong or unknown token" bot.log
'

test_expect_success 'the node connects and its report shows in Discord' '
	/usr/bin/python3 node.py $HUB "$(tr -d "\n" <nodetoken)" frames >node.out 2>&1 &
	NODEPID=$! &&
	wait_for 10 grep -q "node node-a connected" bot.log &&
	wait_for 10 grep -q connected node.out &&
	id=$($C slash $ALICE "" "server status demo") &&
	$C wait $id "Phase" >out &&
	grep -q "Phase: Running" out && grep -q "feedfacecafe" out &&
	grep -q "32 MiB of 128 MiB" out &&
	id=$($C slash $ALICE 111111111111111111 "node list") &&
	$C wait $id "node-a" | grep -q "connected . revision feedfacecafe"
'

test_expect_success 'a commit makes the hub send fetch to that node' '
	id=$($C slash $ALICE "" "server stop demo") &&
	$C wait $id "committed" &&
	rev=$(git -C repo rev-parse main) &&
	wait_for 10 grep -q "\"type\": *\"fetch\"" frames &&
	grep "\"type\": *\"fetch\"" frames | grep -q "$rev"
'

test_expect_success 'the bot stops cleanly on SIGTERM' '
	kill -TERM $BOTPID && wait $BOTPID
'

test_done
