#!/usr/bin/env bash
# t4002-move: moving a server between two nodes, two roostd on one real
# Docker engine following one state repository, with a local backup
# target directory both configure under the same name. "roost server
# move" commits node: and move:; the old node stops the server, takes a
# final backup tagged as the transfer and removes its container (data to
# its trash); the new node shows Transferring, restores that archive and
# starts the server: a file the server wrote on the old node is there,
# and the egg's installer did not run again. kill -9 of the old roostd or
# of the new one during a move still ends with the data on the new node.
# Without a shared target the new node says so in its status and
# installs fresh, and the old data stays in the old node's trash.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/docker.sh"

A=t4002a-$TEST_RUN_ID
B=t4002b-$TEST_RUN_ID
S=t4002-$TEST_RUN_ID
read -r PA PB < <(free_ports 2 | xargs)
export ROOST_EGGS=$ROOST_SRC/eggs
PIDA= PIDB=

json() {
	/usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}
st() {		# st NODE EXPR: on the server's status object at NODE as "d"
	roost status --api "$TRASH/$1.sock" --format json "$S" 2>/dev/null |
	    json "(lambda d: $2)(d)" 2>/dev/null
}
phase() {
	st "$1" "d.get('phase')"
}
is_phase() {	# is_phase NODE PHASE ("" when the node does not know it)
	test "$(phase "$1")" = "$2"
}
conf() {	# conf N NODE TARGET: roostd-N.yaml with one target called TARGET
	cat >"roostd-$1.yaml" <<-EOF
	node: $2
	repo: $TRASH/repo
	dataDir: $TRASH/$1
	api: $TRASH/$1.sock
	pollInterval: 2s
	stopTimeout: 5s
	sftp:
	  enabled: false
	backups:
	  compressionLevel: 19
	  targets:
	    $3: { type: local, path: $TRASH/shared }
	EOF
}
up() {		# up N: starts roostd N (a or b)
	rm -f "$TRASH/$1.sock"
	roostd -d -f "roostd-$1.yaml" >>"$1.log" 2>&1 &
	eval "PID${1^^}=$!"
	wait_for 20 test -S "$TRASH/$1.sock"
}
down() {	# down N [SIGNAL]
	local pid
	eval "pid=\$PID${1^^}"
	kill "-${2:-TERM}" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	true
}
move() {	# move NODE: commits the move with the CLI
	roost server move "$S" "$1" --repo repo --remote "" \
	    --author "T <t@example.org>" >>moves.log 2>&1
}
# The data on node N must be the world the server wrote.
has_world() {
	test "$(cat "$1/volumes/$S/world/level.dat" 2>/dev/null)" = "$2"
}
# Phases of the server on node N, recorded until it runs there.
watch_until_running() {
	local i=0 p
	: >"phases-$1"
	while [ $i -lt 600 ]; do
		p=$(phase "$1")
		echo "$p" >>"phases-$1"
		[ "$p" = Running ] && return 0
		i=$((i + 1))
		sleep 0.2
	done
	echo "$S never ran on $1: $(tail -n 3 "phases-$1" | xargs)"
	return 1
}
no_container_of() {	# no container of the server labelled node NODE
	test -z "$(docker ps -aq --filter "label=roost.node=$1" --filter "label=roost.server=$S")"
}

test_cleanup 'kill -9 $PIDA $PIDB 2>/dev/null; wait; docker_cleanup_label roost.node=$A; docker_cleanup_label roost.node=$B'

test_expect_success 'setup: two nodes, a demo server on the first, a shared target' '
	docker_ensure && demo_image_ensure &&
	mkdir -p repo/nodes repo/servers shared &&
	git init -q -b main repo &&
	printf "name: %s\naddress: 127.0.0.1\nports: [%s]\n" $A $PA >repo/nodes/$A.yaml &&
	printf "name: %s\naddress: 127.0.0.1\nports: [%s]\n" $B $PB >repo/nodes/$B.yaml &&
	cat >repo/servers/$S.yaml <<-EOF &&
	name: $S
	owner: "444444444444444444"
	node: $A
	egg: roost/demo
	limits: { memory: 128 }
	ports: { default: $PA }
	backups:
	  target: shared
	EOF
	git -C repo add -A && git -C repo commit -qm init &&
	conf a $A shared && conf b $B shared &&
	roostd -n -f roostd-a.yaml && roostd -n -f roostd-b.yaml &&
	up a && up b &&
	wait_for 90 is_phase a Running &&
	is_phase b ""
'

test_expect_success 'the server writes its world on the first node' '
	docker exec roost-$S sh -c "mkdir -p /home/container/world && echo world-one-$TEST_RUN_ID >/home/container/world/level.dat && head -c 20000000 /dev/urandom >/home/container/world/region.bin" &&
	has_world a world-one-$TEST_RUN_ID &&
	cp a/volumes/$S/installed.txt installed.a &&
	sha256sum <a/volumes/$S/world/region.bin >region.sum
'

test_expect_success 'roost server move refuses an unknown node and the node it is on' '
	! move nowhere-$TEST_RUN_ID &&
	grep "node .nowhere-$TEST_RUN_ID. does not exist" moves.log &&
	! move $A &&
	grep "already on node .$A." moves.log &&
	grep "^node: $A" repo/servers/$S.yaml
'

test_expect_success 'a move with a shared target: Transferring, then running on the new node with its world' '
	move $B &&
	grep "move:" repo/servers/$S.yaml && grep "from: \"\{0,1\}$A" repo/servers/$S.yaml &&
	watch_until_running b &&
	grep -x Transferring phases-b &&
	has_world b world-one-$TEST_RUN_ID &&
	test "$(sha256sum <b/volumes/$S/world/region.bin)" = "$(cat region.sum)" &&
	cmp installed.a b/volumes/$S/installed.txt &&
	test "$(st b "d[\"transfer\"][\"state\"]")" = done &&
	docker exec roost-$S cat /home/container/world/level.dat | grep -x world-one-$TEST_RUN_ID
'

test_expect_success 'the old node sent a tagged archive, removed its container and kept its data in the trash' '
	id=$(st b "d[\"transfer\"][\"backup\"]") && test -n "$id" &&
	json "d[\"transfer\"][\"from\"] + \" \" + d[\"transfer\"][\"to\"]" <shared/$S/$id.json >tr &&
	test "$(cat tr)" = "$A $B" &&
	test -f shared/$S/$id.tar.zst &&
	wait_for 180 no_container_of $A &&
	test ! -e a/volumes/$S &&
	find a/trash -path "*world/level.dat" | grep . &&
	wait_for 10 is_phase a "" &&
	grep "sent to node $B" a.log
'

test_expect_success 'kill -9 of the old node during a move: the data arrives all the same' '
	docker exec roost-$S sh -c "echo world-two-$TEST_RUN_ID >/home/container/world/level.dat" &&
	move $A &&
	wait_for 30 sh -c "grep -q \"moving to node $A: taking\" b.log" &&
	down b KILL &&
	! grep "sent to node $A" b.log &&
	up b &&
	watch_until_running a &&
	test "$(grep -c "moving to node $A: taking" b.log)" -ge 2 &&
	has_world a world-two-$TEST_RUN_ID &&
	cmp installed.a a/volumes/$S/installed.txt &&
	wait_for 180 no_container_of $B &&
	test ! -e b/volumes/$S
'

test_expect_success 'kill -9 of the new node during a move: the data arrives all the same' '
	docker exec roost-$S sh -c "echo world-three-$TEST_RUN_ID >/home/container/world/level.dat" &&
	move $B &&
	wait_for 30 sh -c "test \"\$(roost status --api $TRASH/b.sock --format json $S 2>/dev/null | grep -c Transferring)\" -gt 0" &&
	down b KILL &&
	json "d[\"in\"][\"state\"]" <b/transfers/$S.json >kept &&
	grep -E "^(waiting|restoring)$" kept &&
	up b &&
	watch_until_running b &&
	has_world b world-three-$TEST_RUN_ID &&
	test "$(sha256sum <b/volumes/$S/world/region.bin)" = "$(cat region.sum)" &&
	cmp installed.a b/volumes/$S/installed.txt &&
	test "$(st b "d[\"transfer\"][\"state\"]")" = done &&
	wait_for 180 no_container_of $A
'

old_world_in_b_trash() {	# the old node pruned it into its trash
	find b/trash -path "*world/level.dat" -exec grep -l world-three-$TEST_RUN_ID {} + | grep -q .
}

test_expect_success 'without a shared target: the status says so, a fresh install, the old data in the old trash' '
	down a && conf a $A elsewhere && up a &&
	move $A &&
	watch_until_running a &&
	test "$(st a "d[\"transfer\"][\"state\"]")" = fresh &&
	st a "d[\"transfer\"][\"message\"]" | grep "no shared backup target" &&
	roost status --api "$TRASH/a.sock" "$S" >status.a &&
	grep "move from $B to $A" status.a && grep "no shared backup target" status.a &&
	! test -e a/volumes/$S/world/level.dat &&
	! cmp -s installed.a a/volumes/$S/installed.txt &&
	wait_for 180 no_container_of $B &&
	wait_for 180 old_world_in_b_trash
'

test_expect_success 'both roostd stop cleanly' '
	down a && down b
'

test_done
