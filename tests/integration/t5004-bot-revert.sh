#!/usr/bin/env bash
# t5004-bot-revert: undoing history from Discord and the CLI, on a real
# state repository. /server history shows a Revert button per commit; it
# reverts that commit's change to the server on the current tip (a later
# change to other lines stays), authored by whoever pressed it, with a
# Roost-Reverts trailer; a revert that conflicts with later changes is
# explained and commits nothing; /server rollback shows the diff and
# commits only after Roll back is pressed; users without edit are
# refused; the CLI does the same with roost server revert / rollback.
# /plan BRANCH shows the plan roost plan prints for another branch.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/bot.sh"

read -r P GW RESUME < <(free_ports 3 | xargs)
HELPER=333333333333333333
export ROOST_EGGS=$ROOST_SRC/eggs
test_cleanup 'kill $BOTPID $FDPID 2>/dev/null'

tip() { git -C "$TRASH/remote.git" rev-parse main; }
ephemeral() {	# ephemeral ID: the first response's flags
	$C show "$1" | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print((d['acked'].get('data') or {}).get('flags', 0) & 64)"
}
file_at() {	# file_at REV: servers/demo.yaml in the remote at REV
	git -C "$TRASH/remote.git" show "$1:servers/demo.yaml"
}
cli() {		# cli ARGS: roost server ARGS on a clone of the remote
	git -C "$TRASH/clone" pull -q --ff-only &&
	roost server "$@" --repo "$TRASH/clone" --author "Eve <eve@example.com>"
}

test_expect_success 'setup: a state repository with some history, the fake Discord and the bot' '
	example_remote &&
	git clone -q remote.git clone &&
	base=$(tip) &&
	cli set demo "variables.MOTD=first change" >/dev/null &&
	motd=$(tip) &&
	cli set demo memory=256 >/dev/null &&
	mem=$(tip) &&
	bot_yaml &&
	fake_start &&
	bot_start
'

test_expect_success '/server history has a Revert button for each commit' '
	id=$($C slash $ALICE "" "server history demo") &&
	$C wait $id "History of demo" 15 >out &&
	grep -q "\[Revert ${mem:0:7} rv:demo:$mem\]" out &&
	grep -q "\[Revert ${motd:0:7} rv:demo:$motd\]" out
'

test_expect_success 'a helper (view and power) may not revert' '
	before=$(tip) &&
	id=$($C slash $BOB $HELPER "server history demo") &&
	$C wait $id "History of demo" 15 >/dev/null &&
	id=$($C component $BOB $HELPER rv:demo:$motd) &&
	$C wait $id "You may not" 10 | grep -q "the .edit. permission" &&
	test "$(tip)" = "$before"
'

test_expect_success 'Revert undoes that commit only, as the user who pressed it' '
	id=$(FD_GLOBAL_NAME="Alice <3" $C component $ALICE "" rv:demo:$motd) &&
	$C wait $id "Reverted" 20 >out &&
	grep -q "Reverted .${motd:0:7}. on .demo." out &&
	file_at main >now.yaml &&
	grep -q "MOTD: Hello from roost" now.yaml &&
	grep -q "memory: 256" now.yaml &&
	git -C remote.git log -1 --format="%an|%ae|%B" main >msg &&
	grep -q "^Alice ‹3 (discord:$ALICE)|$ALICE@users.discord.invalid|roost server revert demo: revert ${motd:0:7}" msg &&
	grep -q "^Roost-Reverts: $motd$" msg
'

test_expect_success 'a revert that conflicts with later changes is explained; nothing is committed' '
	cli set demo memory=384 >/dev/null &&
	before=$(tip) &&
	id=$($C component $ALICE "" rv:demo:$mem) &&
	$C wait $id "failed" 20 >out &&
	grep -q "conflicts with later changes to servers/demo.yaml" out &&
	grep -q "nothing was committed" out &&
	test "$(tip)" = "$before"
'

test_expect_success '/server rollback shows the diff; Roll back commits it' '
	before=$(tip) &&
	id=$($C slash $ALICE "" "server rollback demo" revision=${base:0:10}) &&
	$C wait $id "Roll back rb:demo:$base" 20 >out &&
	grep -q "^-limits: { memory: 384," out &&
	grep -q "^+limits: { memory: 128," out &&
	test "$(tip)" = "$before" &&
	id=$($C component $ALICE "" rb:demo:$base) &&
	$C wait $id "Rolled" 20 >out &&
	grep -q "Rolled .demo. back to .${base:0:7}." out &&
	test "$(file_at main | sha256sum)" = "$(file_at $base | sha256sum)" &&
	git -C remote.git log -1 --format=%B main | grep -q "^Roost-Rollback-To: $base$"
'

test_expect_success 'a rollback to where it already is says so; bad revisions and helpers are refused' '
	id=$($C slash $ALICE "" "server rollback demo" revision=$base) &&
	$C wait $id "nothing to roll back" 20 >/dev/null &&
	id=$($C slash $ALICE "" "server rollback demo" "revision=main; rm -rf /") &&
	$C wait $id "commit id" 10 >/dev/null &&
	id=$($C slash $ALICE "" "server rollback demo" revision=deadbeefdeadbeef) &&
	$C wait $id "no commit" 20 >/dev/null &&
	id=$($C slash $BOB $HELPER "server rollback demo" revision=$base) &&
	$C wait $id "You may not" 10 | grep -q "edit"
'

test_expect_success 'the CLI reverts and rolls back the same way' '
	cli set demo "variables.MAX_PLAYERS=40" >/dev/null &&
	mp=$(tip) &&
	cli set demo memory=512 >/dev/null &&
	cli revert demo $mp >out &&
	git -C clone pull -q --ff-only &&
	grep -q "MAX_PLAYERS: 20" clone/servers/demo.yaml &&
	grep -q "memory: 512" clone/servers/demo.yaml &&
	git -C remote.git log -1 --format=%B main | grep -q "^Roost-Reverts: $mp$" &&
	before=$(tip) &&
	! cli rollback demo $base </dev/null >out 2>err &&
	grep -q "give --yes" err && grep -q "^+limits: { memory: 128," out &&
	test "$(tip)" = "$before" &&
	cli rollback demo $base --yes >out &&
	test "$(file_at main | sha256sum)" = "$(file_at $base | sha256sum)"
'

test_expect_success '/plan BRANCH shows what roost plan shows for that branch' '
	git -C clone pull -q --ff-only &&
	git -C clone checkout -q -b feature/bigger &&
	sed -i "s/^limits: { memory: [0-9]*,/limits: { memory: 1024,/" clone/servers/demo.yaml &&
	sed -i "s/^state: running/state: stopped/" clone/servers/demo.yaml &&
	git -C clone commit -qam "bigger and stopped" &&
	git -C clone push -q origin feature/bigger &&
	git -C clone checkout -q main &&
	roost plan --repo clone --rev origin/feature/bigger --base origin/main >cli-plan &&
	id=$($C slash $ALICE "" "plan" branch=feature/bigger) &&
	$C wait $id "Plan of" 20 >bot-plan && cat bot-plan cli-plan &&
	grep -q "update    demo" cli-plan && grep -q "stop      demo" cli-plan &&
	sed -n "/^node /,\$p" cli-plan >want &&
	sed -n "/^node /,/^\`\`\`/p" bot-plan | grep -v "^\`\`\`" >got &&
	diff want got &&
	test "$(ephemeral $id)" = 0 &&
	id=$($C slash $ALICE "" "plan" branch=--upload-pack=touch) &&
	$C wait $id "branch name" 10 >/dev/null &&
	id=$($C slash $ALICE "" "plan" branch=no/such/branch) &&
	$C wait $id "no branch" 20 >/dev/null
'

test_expect_success 'no Discord rule was broken' '
	$C get /violations >v.json &&
	/usr/bin/python3 -c "
import json; v=json.load(open(\"v.json\"))
assert not v, v"
'

test_done
