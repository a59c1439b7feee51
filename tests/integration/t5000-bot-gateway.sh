#!/usr/bin/env bash
# t5000-bot-gateway: roost-bot against the fake Discord: command
# registration, heartbeats and ACKs, resume with replay after a dropped
# connection, op 7, op 9 (resumable or not), a zombie connection, each
# command's whole flow with components and modals, permissions, the DM
# fallback, 429s, 20 concurrent creates, a redelivered interaction, and a
# fatal close code.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/bot.sh"

read -r P GW RESUME < <(free_ports 3 | xargs)
HOST=222222222222222222 HELPER=333333333333333333
EVE=666666666666666666
CAROL=777777777777777777
export ROOST_EGGS=$ROOST_SRC/eggs
test_cleanup 'kill $BOTPID $FDPID 2>/dev/null'

ncommits() { git -C "$TRASH/remote.git" rev-list --count main; }
gwlog() { $C get /gateway-log; }
count_ev() {	# count_ev EVENT [KEY=VALUE]: gateway-log entries
	gwlog | /usr/bin/python3 -c "
import json,sys; l=json.load(sys.stdin)['log']; k,_,v=('${2:-}'+'=').partition('=')
print(sum(1 for e in l if e['event']=='$1' and (not k or str(e.get(k))==v[:-1])))"
}
ident() { gwlog | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['identifies'])"; }
wait_until() {	# wait_until SECONDS EXPR: evals EXPR every 0.1 s until true
	local i=0
	until eval "$2"; do
		i=$((i + 1)); [ $i -lt $(($1 * 10)) ] || return 1; sleep 0.1
	done
}
start_bot() {
	roost-bot -d -f "$TRASH/bot.yaml" >>"$TRASH/bot.log" 2>&1 &
	BOTPID=$!
	wait_for 20 grep -q "gateway: ready" "$TRASH/bot.log"
}

test_expect_success 'setup: a state repository, the fake Discord and the bot' '
	example_remote &&
	echo fake-bot-token >token &&
	cat >bot.yaml <<-EOF &&
	tokenFile: $TRASH/token
	applicationId: "900000000000000001"
	guilds: ["800000000000000001"]
	apiBase: http://127.0.0.1:$P/api/v10
	repo: $TRASH/remote.git
	workdir: $TRASH/work
	committer: { name: roost-bot, email: bot@example.com }
	EOF
	roost-bot -n -f bot.yaml | grep -q "configuration OK" &&
	fake_start &&
	start_bot
'

test_expect_success 'commands are registered for the guild (bulk overwrite)' '
	$C get /commands >cmds.json &&
	/usr/bin/python3 -c "
import json; c=json.load(open(\"cmds.json\"))[\"800000000000000001\"]
names=sorted(x[\"name\"] for x in c); assert names==[\"egg\",\"node\",\"plan\",\"server\"], names
subs=[o[\"name\"] for o in c[[x[\"name\"] for x in c].index(\"server\")][\"options\"]]
for s in \"create list status start stop restart edit vars delete sftp history\".split(): assert s in subs, s
" &&
	$C get /calls | grep -q "DiscordBot (https://"
'

test_expect_success 'IDENTIFY has intents 0; heartbeats carry the sequence and are ACKed' '
	gwlog >g.json &&
	/usr/bin/python3 -c "
import json; l=json.load(open(\"g.json\"))[\"log\"]
ids=[e for e in l if e.get(\"op\")==2]; assert ids and ids[0][\"d\"][\"intents\"]==0 and ids[0][\"d\"][\"token_ok\"]
" &&
	sleep 2.5 &&
	gwlog >g.json &&
	/usr/bin/python3 -c "
import json; g=json.load(open(\"g.json\")); l=g[\"log\"]
hb=[e for e in l if e.get(\"op\")==1]
assert len(hb)>=2, hb
assert all(e[\"d\"]==1 for e in hb), hb
gaps=[b[\"time\"]-a[\"time\"] for a,b in zip(hb,hb[1:])]
assert all(0.8<x<1.3 for x in gaps), gaps
" &&
	test "$($C get /violations | grep -c heartbeat-missed)" -eq 0
'

test_expect_success 'a slash command is acknowledged at once and committed' '
	before=$(ncommits) &&
	id=$($C slash $ALICE $HELPER "server stop demo") &&
	$C wait $id "committed" &&
	test $(ncommits) -eq $((before + 1)) &&
	git -C remote.git log -1 --format="%an <%ae>|%cn <%ce>|%s" >c &&
	grep -q "user4444 (discord:444444444444444444) <444444444444444444@users.discord.invalid>|roost-bot <bot@example.com>|roost server stop demo" c &&
	git -C remote.git show main:servers/demo.yaml | grep -q "state: stopped"
'

test_expect_success 'a display name with <, >, a newline and emoji commits' '
	before=$(ncommits) &&
	id=$(FD_GLOBAL_NAME="$(printf "Eve <3\\n\\360\\237\\246\\234 \\342\\200\\250>")" \
	    $C slash $ALICE $HELPER "server start demo") &&
	$C wait $id "committed" &&
	test $(ncommits) -eq $((before + 1)) &&
	git -C remote.git log -1 --format="%an|%ae" >c &&
	printf "Eve \\342\\200\\2713 \\360\\237\\246\\234 \\342\\200\\250\\342\\200\\272 (discord:444444444444444444)|444444444444444444@users.discord.invalid\\n" >want &&
	cmp want c &&
	id=$($C slash $ALICE $HELPER "server stop demo") &&
	$C wait $id "committed"
'

test_expect_success 'a dropped connection resumes on resume_gateway_url and replays' '
	i0=$(ident) &&
	$C gateway drop hold=true &&
	id=$($C slash $ALICE $HELPER "server start demo") &&
	$C wait $id "committed" &&
	test "$(ident)" -eq "$i0" &&
	test "$(count_ev resumed)" -ge 1 &&
	gwlog | /usr/bin/python3 -c "
import json,sys; l=json.load(sys.stdin)[\"log\"]
r=[e for e in l if e[\"event\"]==\"resumed\"]; assert r[-1][\"replayed\"]>=1, r
res=[e for e in l if e.get(\"op\")==6]; assert res and res[-1][\"port\"]==$RESUME, res" &&
	test "$($C get /violations | grep -c resume-not-on-resume-url)" -eq 0
'

test_expect_success 'op 7 RECONNECT resumes without a new IDENTIFY' '
	i0=$(ident) r0=$(count_ev resumed) &&
	$C gateway reconnect &&
	wait_until 10 "test \$(count_ev resumed) -gt $r0" &&
	test "$(ident)" -eq "$i0"
'

test_expect_success 'op 9 resumable resumes; op 9 not resumable identifies anew' '
	i0=$(ident) r0=$(count_ev resumed) &&
	$C gateway invalid_session resumable=true &&
	wait_until 10 "test \$(count_ev resumed) -gt $r0" &&
	test "$(ident)" -eq "$i0" &&
	$C gateway invalid_session resumable=false &&
	wait_until 10 "test \$(ident) -gt $i0" &&
	id=$($C slash $ALICE $HELPER "server status demo") &&
	$C wait $id "Phase"
'

test_expect_success 'a heartbeat request is answered at once' '
	n0=$(count_ev recv op=1) &&
	$C gateway heartbeat &&
	sleep 0.3 &&
	test "$(count_ev recv op=1)" -gt "$n0"
'

test_expect_success 'a missed heartbeat ACK reconnects and resumes' '
	r0=$(count_ev resumed) &&
	$C gateway noack && sleep 2.5 && $C gateway ack &&
	wait_until 10 "test \$(count_ev resumed) -gt $r0" &&
	grep -q "no heartbeat ACK" bot.log
'

test_expect_success '/server create: nest select, egg select, modal, commit' '
	id=$($C slash $BOB $HOST "server create") &&
	$C wait $id "c:n:-" | grep -q "<roost>" &&
	id=$($C component $BOB $HOST c:n:- roost) &&
	$C wait $id "c:e:-" | grep -q "<roost/demo>" &&
	id=$($C component $BOB $HOST c:e:- roost/demo) &&
	$C wait $id "MODAL c:m:-:roost/demo" | grep -q "(memory)" &&
	id=$($C modal $BOB $HOST c:m:-:roost/demo name=bobs memory=256 disk=512 cpu=50) &&
	$C wait $id "Created server" | grep -q "node-" &&
	git -C remote.git show main:servers/bobs.yaml >bobs.yaml &&
	grep -q "owner: \"$BOB\"" bobs.yaml &&
	grep -q "memory: 256" bobs.yaml && grep -q "egg: roost/demo" bobs.yaml
'

test_expect_success '/server create refuses a bad name without a commit' '
	before=$(ncommits) &&
	id=$($C modal $BOB $HOST c:m:-:roost/demo name=Bad_Name memory=256 disk=512 cpu=50) &&
	$C wait $id "not a valid server name" &&
	test $(ncommits) -eq $before
'

test_expect_success '/server list and /server status (embed and buttons)' '
	id=$($C slash $BOB $HOST "server list") &&
	$C wait $id "bobs" >out && grep -q "survival" out &&
	id=$($C slash $EVE "" "server list") &&
	$C wait $id "rust" >out && grep -q vanilla out &&
	! grep -q survival out && ! grep -q bobs out &&
	id=$($C slash $BOB $HOST "server status bobs") &&
	$C wait $id "Phase" >out &&
	grep -q "Memory" out && grep -q "\[Start p:start:bobs\]" out &&
	grep -q "\[Refresh r:bobs\]" out
'

test_expect_success 'the Stop button commits and updates the status message' '
	before=$(ncommits) &&
	id=$($C component $BOB $HOST p:stop:bobs) &&
	$C wait $id "committed" | grep -q "desired: stopped" &&
	test $(ncommits) -eq $((before + 1)) &&
	id=$($C component $BOB $HOST r:bobs) &&
	$C wait $id "Phase" | grep -q "desired: stopped"
'

test_expect_success '/server edit: modal prefilled, limits committed' '
	id=$($C slash $BOB $HOST "server edit bobs") &&
	$C wait $id "MODAL e:bobs" | grep -q "(io)" &&
	$C show $id | grep -q "\"value\": \"256\"" &&
	id=$($C modal $BOB $HOST e:bobs memory=384 disk=512 cpu=50 swap=0 io=500) &&
	$C wait $id "Set" &&
	git -C remote.git show main:servers/bobs.yaml | grep -q "memory: 384"
'

test_expect_success '/server vars: bad values are refused by the egg rules, good ones committed' '
	id=$($C slash $BOB $HOST "server vars bobs") &&
	$C wait $id "vb:bobs" &&
	before=$(ncommits) &&
	id=$($C slash $BOB $HOST "server vars bobs" "set=NOPE=1") &&
	$C wait $id "Nothing was changed" | grep -q "not a variable" &&
	test $(ncommits) -eq $before &&
	var=$(sed -n "s/^ *- *env: *\([A-Z_]*\).*/\1/p; s/^ *env_variable: *\([A-Z_]*\).*/\1/p" $ROOST_SRC/eggs/roost/demo.yaml | head -n1) &&
	test -n "$var" &&
	id=$($C slash $BOB $HOST "server vars bobs" "set=$var=hello") &&
	$C wait $id "" >out && cat out &&
	{ grep -q "Set" out || grep -q "Nothing was changed" out; }
'

test_expect_success 'permission denied: an ephemeral explanation, no commit' '
	before=$(ncommits) &&
	id=$($C slash $EVE "" "server stop survival") &&
	$C wait $id "You may not" &&
	$C show $id | grep -q "\"flags\": 64" &&
	id=$($C slash $CAROL $HELPER "server delete survival") &&
	$C wait $id "You may not" | grep -q "delete" &&
	id=$($C slash $EVE "" "server create") &&
	$C wait $id "You may not create" &&
	test $(ncommits) -eq $before
'

test_expect_success '/server sftp: password by DM, only a hash committed' '
	id=$($C slash $BOB $HOST "server sftp bobs") &&
	$C wait $id "sent to you by direct message" &&
	$C get /messages >m.json &&
	pw=$(/usr/bin/python3 -c "
import json,re; m=[x for x in json.load(open(\"m.json\")) if x.get(\"dm_user\")==\"$BOB\"]
print(re.search(\"password .([^\x60]+).\", m[-1][\"content\"]).group(1))") &&
	test ${#pw} -ge 20 &&
	git -C remote.git show main:servers/bobs.yaml >b.yaml &&
	grep -q "\\\$y\\\$" b.yaml && ! grep -q "$pw" b.yaml
'

test_expect_success '/server sftp with DMs closed: ephemeral fallback, no retry' '
	$C dm $BOB closed &&
	id=$($C slash $BOB $HOST "server sftp bobs") &&
	$C wait $id "DMs are closed" | grep -q "password" ||
	$C wait $id "direct messages are closed" | grep -q "password" &&
	$C show $id | grep -q "\"flags\": 64" &&
	test "$($C get /calls | grep -c "\"status\": 403")" -eq 1
'

test_expect_success '/server history: who, what and when' '
	id=$($C slash $BOB $HOST "server history bobs") &&
	$C wait $id "History of bobs" >out &&
	grep -q "roost server create bobs" out && grep -q "by user5555" out
'

test_expect_success 'autocomplete, /node list, /egg list' '
	id=$($C autocomplete $BOB $HOST "server status" server bo) &&
	$C wait $id "bobs" &&
	id=$($C autocomplete $ALICE $HELPER "server status" server "") &&
	$C wait $id "survival" &&
	id=$($C slash $ALICE $HELPER "node list") &&
	$C wait $id "node-a" | grep -q "not connected" &&
	id=$($C slash $ALICE $HELPER "egg list") &&
	$C wait $id "roost/demo"
'

test_expect_success '/server delete: confirm button, then the file is gone' '
	id=$($C slash $BOB $HOST "server delete bobs") &&
	$C wait $id "[Delete d:bobs]" &&
	id=$($C component $BOB $HOST x) &&
	$C wait $id "Cancelled" &&
	git -C remote.git show main:servers/bobs.yaml >/dev/null &&
	id=$($C component $BOB $HOST d:bobs) &&
	$C wait $id "Deleted server" &&
	! git -C remote.git show main:servers/bobs.yaml 2>/dev/null
'

test_expect_success 'a redelivered interaction runs once' '
	before=$(ncommits) &&
	id=$($C slash $ALICE $HELPER "server restart demo") &&
	$C wait $id "committed" &&
	$C redeliver $id && sleep 1 &&
	test $(ncommits) -eq $((before + 1)) &&
	grep -q "delivered again" bot.log &&
	$C show $id | /usr/bin/python3 -c "import json,sys; r=json.load(sys.stdin); assert len(r[\"callbacks\"])==1, r[\"callbacks\"]"
'

test_expect_success '429s on webhooks are waited out (retry_after), nothing lost' '
	$C ratelimit /webhooks/ 2 0.4 &&
	id=$($C slash $ALICE $HELPER "server stop demo") &&
	$C wait $id "committed" &&
	grep -q "rate limited, retrying" bot.log &&
	$C get /calls >calls.json &&
	/usr/bin/python3 -c "
import json; c=[x for x in json.load(open(\"calls.json\")) if x[\"path\"].startswith(\"/webhooks/\")]
i=[n for n,x in enumerate(c) if x[\"status\"]==429]; assert len(i)==2, i
assert c[i[-1]+1][\"status\"]==200
assert c[i[-1]+1][\"time\"]-c[i[-1]][\"time\"]>=0.35
"
'

test_expect_success 'a global 429 stops every route until retry_after' '
	$C ratelimit /users/@me/channels 1 0.5 global &&
	$C dm $BOB open &&
	id=$($C slash $BOB $HOST "server sftp demo") &&
	$C wait $id "" 30 &&
	$C get /calls | grep -q "\"/users/@me/channels\"" 
'

test_expect_success '20 concurrent creates make 20 commits, nothing lost' '
	before=$(ncommits) &&
	$C batch 20 $ADMIN $ADMIN create >ids &&
	test $(wc -l <ids) -eq 20 &&
	for id in $(cat ids); do $C wait $id "Created server" 60 >/dev/null || exit 1; done &&
	test $(ncommits) -eq $((before + 20)) &&
	for i in $(seq -w 0 19); do
		git -C remote.git show main:servers/b$i.yaml >/dev/null || exit 1
	done
'

test_expect_success 'every first response came within 3 s, no rule broken' '
	$C get /violations >v.json &&
	/usr/bin/python3 -c "
import json; v=[x for x in json.load(open(\"v.json\")) if x[\"kind\"] not in (\"injected-429\",)]
assert not v, v" &&
	$C get /stats
'

test_expect_success 'close 4004 (bad token) stops the bot without reconnecting' '
	o0=$(count_ev open) &&
	$C gateway close code=4004 &&
	wait_for 10 sh -c "! kill -0 $BOTPID" &&
	! wait $BOTPID &&
	grep -q "closed with code 4004" bot.log &&
	sleep 1 && test "$(count_ev open)" -eq "$o0"
'

test_done
