#!/usr/bin/env bash
# t5001-bot-hub: roost-bot's node hub and bot.yaml checks. A node client
# (a small websocket client standing in for roostd) with the right token
# is accepted, a wrong one gets 401 before the upgrade; the status it
# reports shows in /server status and /node list; a command's commit makes
# the hub send "fetch" with the new revision to that node. Then the node
# client reports on cue: a command's message follows the server through
# Pulling (with progress), Installing (with the log's last lines) and
# Starting to Running with its usage, with edits at most one a second; a
# status view is edited when the node reports a change, and after its
# token expires it goes on as a channel message that is edited too. A
# node cannot report another node's server (floods of servers are in the
# unit test test_bot_hub, against the hub alone, with timings).
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/hub.sh"

read -r P GW RESUME HUB < <(free_ports 4 | xargs)
cue() { printf "%s\n" "$1" >>"$TRASH/cues"; }
test_cleanup 'kill $BOTPID $FDPID $NODEPID 2>/dev/null'

cat >node.py <<'EOF'
# The node client: connects like roostd, writes what the hub sends to OUT,
# and sends what the test appends to CUES, one line each:
#   server NAME key=value ...   a server frame (phase, observed, applied,
#                               reason, message, ready, cpu, mem, memlimit,
#                               log with \n for newlines)
#   progress NAME KIND TEXT     a progress frame
#   removed NAME                a server_removed frame
#   bigsnap N                   a snapshot of N servers the state lacks
import asyncio, json, os, sys, websockets
port, token, out, cues = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
def frame(line):
    w = line.split(" ")
    if w[0] == "progress":
        return {"type": "progress", "server": w[1], "kind": w[2],
                "text": " ".join(w[3:])}
    if w[0] == "removed":
        return {"type": "server_removed", "name": w[1]}
    if w[0] == "bigsnap":
        return {"type": "snapshot", "node": {"name": "node-a"},
                "servers": [{"name": "s%06d" % i, "phase": "Running"}
                            for i in range(int(w[1]))]}
    kv = dict(x.split("=", 1) for x in w[2:])
    s = {"name": w[1], "phase": kv.get("phase", "Running"),
         "ready": kv.get("ready") == "1", "reason": kv.get("reason"),
         "message": kv.get("message", "").replace("_", " ") or None,
         "observedRevision": kv.get("observed"),
         "appliedRevision": kv.get("applied"),
         "desiredState": kv.get("desired", "running")}
    if "cpu" in kv:
        s["usage"] = {"cpuPercent": float(kv["cpu"]),
                      "memoryBytes": int(kv.get("mem", 0)),
                      "memoryLimitBytes": int(kv.get("memlimit", 0)),
                      "sampledAt": "2026-11-25T10:00:00Z"}
    if "log" in kv:
        s["install"] = {"result": "running", "exitCode": None,
                        "logTail": kv["log"].replace("\\n", "\n")}
    return {"type": "server", "server": s}
async def feed(ws):
    done = 0
    while True:
        await asyncio.sleep(0.05)
        if not os.path.exists(cues):
            continue
        lines = open(cues).read().split("\n")[:-1]
        for line in lines[done:]:
            await ws.send(json.dumps(frame(line)))
        done = len(lines)
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
    asyncio.ensure_future(feed(ws))
    async for m in ws:
        with open(out, "a") as fp:
            fp.write(m + "\n")
asyncio.run(main())
EOF

test_expect_success 'bot.yaml: mistakes are reported with positions' '
	echo tok >token &&
	printf "tokenFile: $TRASH/token\napplicationId: \"12\"\nrepo: x\nhub:\n  listen: 127.0.0.1:1\n  nodes:\n    - { name: a, tokenSha256: abc }\nbogus: 1\nstatusFollowMinutes: 0\n" >bad.yaml &&
	! roost-bot -n -f bad.yaml 2>err &&
	grep -q "bad.yaml:2:16: error: .applicationId. must be a Discord id" err &&
	grep -q "bad.yaml:7:31: error: .tokenSha256. must be 64 hex" err &&
	grep -q "bad.yaml:8:1: error: unknown key .bogus." err &&
	grep -q "bad.yaml:9:22: error: .statusFollowMinutes. must be at least 1, not 0" err &&
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
hub: {listen: "0.0.0.0:8443", nodes: [{name: node-a, tokenSha256: "%s"}]} # ports-ok: a schema check, nothing listens
statusFollowMinutes: 90
""" % ("0" * 64)
jsonschema.validate(yaml.safe_load(good), s)
for bad in ('tokenFile: t\napplicationId: "12"\nrepo: x\n',
            'tokenFile: t\napplicationId: "900000000000000001"\n',
            'tokenFile: t\napplicationId: "900000000000000001"\nrepo: x\nbogus: 1\n',
            'tokenFile: t\napplicationId: "900000000000000001"\nrepo: x\nstatusFollowMinutes: 0\n'):
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
	sha=$(node_token node-a-secret) &&
	cat >bot.yaml <<-EOF &&
	tokenFile: $TRASH/token
	applicationId: "900000000000000001"
	apiBase: http://127.0.0.1:$P/api/v10
	repo: $TRASH/repo
	statusFollowMinutes: 30
	hub:
	  listen: 127.0.0.1:$HUB
	  nodes:
	    - { name: node-a, tokenSha256: $sha }
	EOF
	fake_start &&
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
	/usr/bin/python3 node.py $HUB "$(tr -d "\n" <nodetoken)" frames cues >node.out 2>&1 &
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

test_expect_success 'a command follows the server: pulling, installing, starting, running' '
	id=$($C slash $ALICE "" "server start demo") &&
	$C wait $id "Waiting for node" >out &&
	grep -q "committed" out &&
	rev=$(git -C repo rev-parse main) &&
	wait_for 10 grep -q "$rev" frames &&
	cue "server demo phase=Pulling observed=$rev" &&
	cue "progress demo pull layer1: Downloading 10/100" &&
	$C wait $id "Pulling image" >out &&
	grep -q "layer1: Downloading 10/100" out &&
	for i in $(seq 11 40); do cue "progress demo pull layer1: Downloading $i/100"; done &&
	cue "progress demo pull layer1: Download complete" &&
	$C wait $id "Download complete" &&
	log=$(for i in $(seq 1 15); do printf "install-line-%02d\\\\n" $i; done) &&
	cue "server demo phase=Installing observed=$rev log=$log" &&
	$C wait $id "Installing" >out &&
	grep -q "install-line-15" out && grep -q "install-line-06" out &&
	! grep -q "install-line-05" out &&
	cue "server demo phase=Starting observed=$rev" &&
	$C wait $id "Starting" &&
	cue "server demo phase=Running ready=1 observed=$rev applied=$rev cpu=12.5 mem=50331648 memlimit=134217728" &&
	$C wait $id "Running" >out &&
	grep -q "Running .* CPU 12% .* memory 48 MiB of 128 MiB" out &&
	grep -q "^48 MiB of 128 MiB" out && grep -q "^12% of 50%" out &&
	grep -q "Phase: Running" out
'

test_expect_success 'edits are at most one a second and end with the latest state' '
	$C show $id >show.json &&
	/usr/bin/python3 -c "
import json; r=json.load(open(\"show.json\")); e=r[\"edits\"]
assert 5 <= len(e) <= 12, len(e)
gaps=[b[\"time\"]-a[\"time\"] for a,b in zip(e,e[1:])]
assert all(g >= 0.85 for g in gaps), gaps
assert any(\"Download complete\" in json.dumps(x[\"body\"]) for x in e)
assert not any(\"Downloading 25/100\" in json.dumps(x[\"body\"]) for x in e)
assert \"Running\" in e[-1][\"body\"][\"content\"]
" &&
	n=$($C show $id | grep -c "\"target\": \"@original\"") &&
	cue "server demo phase=Running ready=1 observed=$rev applied=$rev cpu=99 mem=50331648 memlimit=134217728" &&
	sleep 2 &&
	test "$($C show $id | grep -c "\"target\": \"@original\"")" -eq "$n"
'

test_expect_success 'a status view is edited when the node reports a change' '
	sid=$($C slash $ALICE "" "server status demo") &&
	$C wait $sid "Phase: Running" &&
	sleep 0.5 &&
	cue "server demo phase=Stopping observed=$rev applied=$rev desired=stopped" &&
	$C wait $sid "Phase: Stopping" 10 &&
	cue "server demo phase=Crashed reason=BackOff message=exited_with_code_3 observed=$rev applied=$rev" &&
	$C wait $sid "Last error: exited with code 3" 10
'

test_expect_success 'an expired token: the view goes on as a channel message, edited on changes' '
	$C expire $sid &&
	cue "server demo phase=Stopped reason=Succeeded observed=$rev applied=$rev" &&
	$C channel-wait 300000000000000001 "Phase: Stopped" 10 >msg &&
	mid=$(head -n 1 msg | cut -d" " -f1) &&
	grep -q "\[Refresh r:demo\]" msg &&
	$C show $sid | grep -q "\"refused\"" &&
	grep -q "no longer valid" bot.log &&
	cue "server demo phase=Running ready=1 observed=$rev applied=$rev cpu=30 mem=50331648 memlimit=134217728" &&
	$C channel-wait 300000000000000001 "Phase: Running" 10 >msg &&
	test "$(head -n 1 msg | cut -d" " -f1)" = "$mid" &&
	test "$(head -n 1 msg | cut -d" " -f2)" -ge 1 &&
	$C get /messages | /usr/bin/python3 -c "
import json,sys; m=[x for x in json.load(sys.stdin) if not x.get(\"dm_user\")]
assert len(m)==1, m
assert m[0][\"flags\"]==0, m[0]" &&
	$C get /violations >v.json &&
	/usr/bin/python3 -c "
import json; v=[x for x in json.load(open(\"v.json\")) if x[\"kind\"]!=\"injected-429\"]
assert not v, v"
'

test_expect_success 'a node cannot report a server the state puts on another node' '
	cue "server db phase=Running ready=1 observed=$rev applied=$rev cpu=1 mem=1 memlimit=2" &&
	cue "progress db install spoofed-progress-line" &&
	cue "server demo phase=Running ready=1 observed=$rev applied=$rev cpu=7 mem=50331648 memlimit=134217728" &&
	id=$($C slash $ALICE "" "server status demo") &&
	$C wait $id "7% of 50%" 10 &&
	id=$($C slash $ALICE "" "server status db") &&
	$C wait $id >out &&
	! grep -q "Phase: Running" out && ! grep -q spoofed out &&
	grep -q "node node-a reported server .db., which the state puts on another node" bot.log &&
	test "$(grep -c "which the state puts on another node" bot.log)" -eq 1
'

test_expect_success 'the bot stops cleanly on SIGTERM' '
	kill -TERM $BOTPID && wait $BOTPID
'

test_done
