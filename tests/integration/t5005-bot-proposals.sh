#!/usr/bin/env bash
# t5005-bot-proposals: change requests from Discord on a real state
# repository. Without proposals in roost.yaml a viewer gets the usual
# refusal; with them, /server edit and /server vars of a viewer commit to
# roost/proposals/<id> (authored by the proposer, whatever their display
# name), tell them "Proposal #id sent for review", and post the diff and
# plan in the review channel with Approve and Reject; /plan shows the
# branch. Approve (edit only) merges it as the proposer with the approver
# named, edits the review message and tells the proposer; Reject deletes
# the branch; a proposal whose lines changed on main meanwhile is stale,
# kept, and said so.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/bot.sh"

read -r P GW RESUME < <(free_ports 3 | xargs)
HELPER=333333333333333333
CAROL=666666666666666666
REVIEW=310000000000000001
export ROOST_EGGS=$ROOST_SRC/eggs
NAME=$'Carol <3\n>x'
test_cleanup 'kill $BOTPID $FDPID 2>/dev/null'

tip() { git -C "$TRASH/remote.git" rev-parse main; }
branch() { git -C "$TRASH/remote.git" rev-parse -q --verify "refs/heads/roost/proposals/$1"; }
file_at() { git -C "$TRASH/remote.git" show "$1:servers/demo.yaml"; }
flags() {	# flags ID: the first response's message flags
	$C show "$1" | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print((d['acked'].get('data') or {}).get('flags', 0))"
}
limits() {	# limits USER ROLES MEMORY: the limits modal, submitted
	FD_GLOBAL_NAME="$NAME" $C modal "$1" "$2" e:demo memory="$3" disk=512 cpu=50 swap=0 io=500
}
review() {	# review ID: the review message's id (waits for it)
	$C channel-wait $REVIEW "Proposal **#$1**" 20 | head -n1 | cut -d" " -f1
}
mentions() {	# mentions TEXT: allowed_mentions of the review channel post showing TEXT
	$C get /calls | /usr/bin/python3 -c "
import json, sys
for c in json.load(sys.stdin):
    b = c.get('body') or {}
    if c['method'] == 'POST' and c['path'] == '/channels/$REVIEW/messages' and sys.argv[1] in (b.get('content') or ''):
        print(json.dumps(b.get('allowed_mentions'), sort_keys=True))" "$1"
}

test_expect_success 'setup: a state repository, the fake Discord and the bot with a review channel' '
	example_remote &&
	git clone -q remote.git clone &&
	bot_yaml &&
	cat >>bot.yaml <<-EOF &&
	reviewChannel: "$REVIEW"
	refreshInterval: 1
	EOF
	fake_start &&
	bot_start
'

test_expect_success 'without proposals in roost.yaml a viewer gets the usual refusal' '
	before=$(tip) &&
	id=$($C slash $CAROL $HELPER "server edit demo") &&
	$C wait $id "You may not" 10 | grep -q "the .edit. permission" &&
	id=$(limits $CAROL $HELPER 256) &&
	$C wait $id "You may not" 10 >/dev/null &&
	id=$($C slash $CAROL $HELPER "server vars demo" set=MOTD=hi) &&
	$C wait $id "You may not" 10 | grep -q "the .vars. permission" &&
	test "$(tip)" = "$before" &&
	test -z "$(git -C remote.git for-each-ref refs/heads/roost)"
'

test_expect_success 'roost.yaml enables proposals; the bot picks it up' '
	printf "proposals: { enabled: true }\n" >>clone/roost.yaml &&
	git -C clone commit -qam "allow proposals" &&
	git -C clone push -q origin main &&
	roost validate --repo clone --rev HEAD >/dev/null &&
	for i in $(seq 20); do
		id=$($C slash $CAROL $HELPER "server edit demo") &&
		$C wait $id "" 5 >out && grep -q "^MODAL e:demo" out && break
		sleep 1
	done &&
	grep -q "^MODAL e:demo" out
'

test_expect_success 'a viewer proposes new limits: a branch, an ephemeral note, a review message' '
	before=$(tip) &&
	id=$(limits $CAROL $HELPER 256) &&
	$C wait $id "sent for review" 20 >out &&
	test $(( $(flags $id) & 64 )) = 64 &&
	p1=$(grep -o "Proposal #[0-9a-f]*" out | cut -c11-) &&
	test ${#p1} = 8 && echo $p1 >p1.id &&
	test "$(tip)" = "$before" &&
	b=$(branch $p1) &&
	git -C remote.git log -1 --format="%an|%ae|%cn|%B" $b >msg &&
	grep -q "^Carol ‹3 ›x (discord:$CAROL)|$CAROL@users.discord.invalid|roost-bot|roost server set demo: limits.memory 128 -> 256$" msg &&
	grep -q "^Roost-Proposal: $p1$" msg &&
	mid=$(review $p1) && echo $mid >p1.mid &&
	$C channel-wait $REVIEW "Proposal **#$p1**" 5 >rv &&
	grep -q "^-limits: { memory: 128," rv &&
	grep -q "^+limits: { memory: 256," rv &&
	grep -q "update    demo" rv &&
	grep -q "<@$CAROL> proposes new limits for .demo." rv &&
	grep -q "\[Approve pa:demo:$p1\]" rv &&
	grep -q "\[Reject pj:demo:$p1\]" rv &&
	test "$(mentions "Proposal **#$p1**")" = "{\"parse\": []}"
'

test_expect_success '/plan shows the proposal branch' '
	p1=$(cat p1.id) &&
	id=$($C slash $ALICE "" "plan" branch=roost/proposals/$p1) &&
	$C wait $id "Plan of" 20 >out &&
	grep -q "update    demo" out
'

test_expect_success 'someone without edit pressing Approve or Reject is refused' '
	mid=$(cat p1.mid) && before=$(tip) &&
	p1=$(cat p1.id) &&
	id=$(FD_MESSAGE=$mid $C component $CAROL $HELPER pa:demo:$p1) &&
	$C wait $id "You may not" 10 | grep -q "approve proposals for server .demo.: that needs the .edit. permission" &&
	id=$(FD_MESSAGE=$mid $C component $CAROL $HELPER pj:demo:$p1) &&
	$C wait $id "You may not" 10 >/dev/null &&
	test "$(tip)" = "$before" && branch $p1 >/dev/null
'

test_expect_success 'Approve merges it as the proposer, names the approver, edits the message, tells the proposer' '
	mid=$(cat p1.mid) &&
	p1=$(cat p1.id) &&
	id=$(FD_GLOBAL_NAME="Alice" FD_MESSAGE=$mid $C component $ALICE "" pa:demo:$p1) &&
	$C wait $id "Approved proposal #$p1" 20 >out &&
	test $(( $(flags $id) & 64 )) = 64 &&
	file_at main | grep -q "^limits: { memory: 256," &&
	git -C remote.git log -1 --format="%an|%cn|%B" main >msg &&
	grep -q "^Carol ‹3 ›x (discord:$CAROL)|roost-bot|roost server set demo: limits.memory 128 -> 256$" msg &&
	grep -q "^Roost-Proposal: $p1$" msg &&
	grep -q "^Roost-Approved-By: Alice (discord:$ALICE) <$ALICE@users.discord.invalid>$" msg &&
	grep -q "^Roost-Request: discord-$id$" msg &&
	! branch $p1 &&
	$C channel-wait $REVIEW "**approved** by <@$ALICE>" 10 >edited &&
	test "$(head -n1 edited | cut -d" " -f1)" = "$mid" &&
	! grep -q "\[Approve" edited &&
	grep -q "^-limits: { memory: 128," edited &&
	$C channel-wait $REVIEW "<@$CAROL> your proposal #$p1 for \`demo\` was approved by <@$ALICE>" 10 >told &&
	test "$(mentions "your proposal #$p1")" = "{\"parse\": [], \"users\": [\"$CAROL\"]}"
'

test_expect_success 'a decided proposal cannot be decided again' '
	mid=$(cat p1.mid) && before=$(tip) &&
	p1=$(cat p1.id) &&
	id=$(FD_MESSAGE=$mid $C component $ALICE "" pa:demo:$p1) &&
	$C wait $id "is not open" 20 >/dev/null &&
	test "$(tip)" = "$before"
'

test_expect_success 'a variables proposal rejected: the branch is deleted, the proposer told' '
	before=$(tip) &&
	id=$(FD_GLOBAL_NAME="$NAME" $C slash $CAROL $HELPER "server vars demo" set=MOTD=proposed-motd) &&
	$C wait $id "sent for review" 20 >out &&
	p2=$(grep -o "Proposal #[0-9a-f]*" out | cut -c11-) &&
	branch $p2 >/dev/null &&
	mid=$(review $p2) &&
	$C channel-wait $REVIEW "Proposal **#$p2**" 5 >rv &&
	grep -q "^+  MOTD: \"\?proposed-motd" rv &&
	grep -q "\[Approve pa:demo:$p2:v\]" rv &&
	id=$(FD_MESSAGE=$mid $C component $ALICE "" pj:demo:$p2:v) &&
	$C wait $id "Rejected proposal #$p2" 20 >/dev/null &&
	! branch $p2 &&
	test "$(tip)" = "$before" &&
	$C channel-wait $REVIEW "**rejected** by <@$ALICE>" 10 >/dev/null &&
	$C channel-wait $REVIEW "<@$CAROL> your proposal #$p2 for \`demo\` was rejected" 10 >/dev/null
'

test_expect_success 'a proposal whose lines changed on main is stale: said so, kept, Reject deletes it' '
	id=$(limits $CAROL $HELPER 384) &&
	$C wait $id "sent for review" 20 >out &&
	p3=$(grep -o "Proposal #[0-9a-f]*" out | cut -c11-) &&
	mid=$(review $p3) &&
	id=$(FD_GLOBAL_NAME=Alice $C modal $ALICE "" e:demo memory=200 disk=512 cpu=50 swap=0 io=500) &&
	$C wait $id "Set" 20 >/dev/null &&
	file_at main | grep -q "^limits: { memory: 200," &&
	before=$(tip) &&
	id=$(FD_MESSAGE=$mid $C component $ALICE "" pa:demo:$p3) &&
	$C wait $id "is stale" 20 >out &&
	grep -q "servers/demo.yaml changed on the tracked branch in the same lines" out &&
	test "$(tip)" = "$before" &&
	branch $p3 >/dev/null &&
	$C channel-wait $REVIEW "**stale**" 10 >edited &&
	grep -q "is kept" edited &&
	! grep -q "\[Approve" edited &&
	grep -q "\[Reject pj:demo:$p3\]" edited &&
	$C channel-wait $REVIEW "<@$CAROL> your proposal #$p3 for \`demo\` could not be merged" 10 >/dev/null &&
	id=$(FD_MESSAGE=$mid $C component $ALICE "" pj:demo:$p3) &&
	$C wait $id "Rejected proposal #$p3" 20 >/dev/null &&
	! branch $p3 &&
	test "$(tip)" = "$before"
'

test_expect_success 'no Discord rule was broken' '
	$C get /violations >v.json &&
	/usr/bin/python3 -c "
import json; v=json.load(open(\"v.json\"))
assert not v, v"
'

test_done
