#!/usr/bin/env bash
# t5006-bot-backup: backups and restores from Discord, end to end. The fake
# Discord sends /server backup, /server restore, the backup select and the
# Restore button to roost-bot; the bot commits the requests, a real roostd
# on the real Docker engine takes the backup of a demo server and restores
# it, and the followed message tells the user how it went. A member without
# the backup permission is refused at every step and nothing is committed.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/hub.sh"

read -r P GW RESUME HUB PORT1 < <(free_ports 5 | xargs)
S=bk-$TEST_RUN_ID
test_cleanup hub_stop

commits() {
	git -C remote.git rev-list --count main
}
nbackups() {
	bk "len(d.get('list') or [])"
}
world() {
	cat "data/volumes/$S/world.txt" 2>/dev/null
}

test_expect_success 'setup: the fake Discord, the bot, roostd with a local target, a running demo server' '
	hub_setup $PORT1 &&
	{
		server_yaml $S $PORT1 running 100
		printf "members:\n  - { id: \"%s\", permissions: [view, power] }\n" "$BOB"
		printf "backups: { target: local, keep: 3 }\n"
	} >repo/servers/$S.yaml &&
	hub_configs "node and server" t5006-node-secret &&
	printf "statusFollowMinutes: 2\nrefreshInterval: 1s\n" >>bot.yaml &&
	cat >>roostd.yaml <<-EOF &&
	backups:
	  targets:
	    local: { type: local, path: $TRASH/backups }
	EOF
	hub_start &&
	wait_phase $S Running 120 &&
	echo "world one" >data/volumes/$S/world.txt
'

test_expect_success 'a member without the backup permission is refused; nothing is committed' '
	before=$(commits) &&
	id=$($C slash $BOB "" "server backup $S") &&
	$C wait $id "needs the \`backup\` permission" 10 &&
	id=$($C slash $BOB "" "server restore $S") &&
	$C wait $id "needs the \`backup\` permission" 10 &&
	test "$(commits)" = "$before"
'

test_expect_success '/server backup: committed by the user, followed until the node took it' '
	id=$($C slash $ALICE "" "server backup $S" "note=before <the> update") &&
	$C wait $id "taken" 90 >out && cat out &&
	grep -q "Backup of \`$S\` asked for" out &&
	grep -q "Backup \`[0-9TZ]*\` taken" out &&
	git -C remote.git log -1 --format="%an|%B" main >log &&
	grep -q "(discord:$ALICE)" log && grep -q "roost server backup $S" log &&
	test "$(nbackups)" = 1 &&
	test "$(bk "d[\"list\"][0][\"note\"]")" = "before <the> update"
'

test_expect_success '/server restore: the select lists the backup, the pick asks to confirm' '
	bid=$(bk "d[\"list\"][0][\"id\"]") && echo "$bid" >bid &&
	echo "world two" >data/volumes/$S/world.txt &&
	id=$($C slash $ALICE "" "server restore $S") &&
	$C wait $id "Which backup" 10 &&
	$C show $id >sel && grep -q "\"rs:$S\"" sel && grep -q "\"$bid\"" sel &&
	id=$($C component $ALICE "" "rs:$S" "$bid") &&
	$C wait $id "Restore \`$S\` from backup \`$bid\`" 10 &&
	$C show $id >confirm && grep -q "ro:$S:$bid" confirm
'

test_expect_success 'the member may not pick or press Restore; the data is untouched' '
	bid=$(cat bid) && before=$(commits) &&
	id=$($C component $BOB "" "rs:$S" "$bid") &&
	$C wait $id "needs the \`backup\` permission" 10 &&
	id=$($C component $BOB "" "ro:$S:$bid") &&
	$C wait $id "needs the \`backup\` permission" 10 &&
	test "$(commits)" = "$before" && test "$(world)" = "world two"
'

test_expect_success 'Restore: committed, followed until the server runs again with the backup data' '
	bid=$(cat bid) &&
	id=$($C component $ALICE "" "ro:$S:$bid") &&
	$C wait $id "Restored from \`$bid\`; Running" 120 >out && cat out &&
	test "$(world)" = "world one" &&
	test "$(phase $S)" = Running &&
	ls data/trash | grep -q "^$S-before-restore-" &&
	grep -rqx "world two" data/trash/$S-before-restore-*/world.txt &&
	git -C remote.git log -1 --format="%an|%B" main >log &&
	grep -q "(discord:$ALICE)" log && grep -q "roost server restore $S" log
'

test_expect_success 'two backups asked within one second are two commits, and both are answered' '
	before=$(commits) &&
	a=$($C slash $ALICE "" "server backup $S") &&
	b=$($C slash $ALICE "" "server backup $S") &&
	$C wait $a "taken" 90 && $C wait $b "taken" 90 &&
	test "$(commits)" = $((before + 2)) &&
	! $C wait $b "already so" 1 2>/dev/null
'

test_done
