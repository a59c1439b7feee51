#!/usr/bin/env bash
# t2000-roostd: roostd end to end on a real Docker engine and a real git
# repository: -n checks, a commit becoming a running demo server, inotify
# pickup, live limit updates, recreates, stop/start, the local API and
# metrics, an invalid file isolated, force pushes refused, SIGTERM leaving
# containers running and a restart adopting them, kill -9 mid-converge,
# SIGHUP reload, delete to trash, and a remote fetched over file:// and
# over git:// from a git daemon on loopback.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/docker.sh"
. "$ROOST_SRC/tests/lib/roostd.sh"

# Server names carry the run's id: container names (roost-NAME) are
# global on the engine.
A=a-$TEST_RUN_ID B=b-$TEST_RUN_ID C=c-$TEST_RUN_ID
read -r PORT1 PORT2 PORT3 PORT4 PORT5 GITD < <(free_ports 6 | xargs)

cid() {
	docker inspect -f '{{.Id}}' "roost-$1" 2>/dev/null
}
server_file() {	# server_file NAME PORT [MOTD]
	{
		server_yaml "$1" "$2" running 50
		printf 'variables:\n  MOTD: "%s"\n' "${3:-hello}"
	} >"repo/servers/$1.yaml"
}

test_cleanup 'stop_roostd; kill $DAEMON 2>/dev/null; docker_cleanup_label roost.node=$NODE'

test_expect_success 'setup: a state repository for node t2000' '
	mkdir -p repo/nodes repo/servers &&
	git init -q -b main repo &&
	cat >repo/nodes/$NODE.yaml <<-EOF2 &&
	name: $NODE
	address: 127.0.0.1
	ports: $(ports_yaml $PORT1 $PORT2 $PORT3 $PORT4 $PORT5)
	EOF2
	server_file $A $PORT1 &&
	commit "first server" &&
	roostd_yaml $TRASH/repo &&
	echo "trashRetention: 1h" >>roostd.yaml
'

test_expect_success 'roostd -n accepts the configuration and the state' '
	roostd -n -f roostd.yaml >out 2>&1 &&
	grep "configuration OK" out
'

test_expect_success 'roostd -n reports a bad configuration with positions' '
	printf "node: x\nrepo: /nope\npollInterval: soon\ncolour: red\n" >bad.yaml &&
	! roostd -n -f bad.yaml 2>out &&
	grep "bad.yaml:3:15: error: .pollInterval. must be a duration" out &&
	grep "bad.yaml:4:1: error: unknown key .colour." out
'

test_expect_success 'roostd -n reports an invalid state with positions' '
	cp -R repo badrepo &&
	sed -i "s/memory: 128/memory: 1/" badrepo/servers/$A.yaml &&
	git -C badrepo commit -q -am "bad memory" &&
	sed "s|$TRASH/repo|$TRASH/badrepo|" roostd.yaml >badstate.yaml &&
	! roostd -n -f badstate.yaml 2>out &&
	grep "servers/$A.yaml:8:19: error: .memory. must be at least 64" out
'

test_expect_success 'a committed server becomes a running container' '
	start_roostd &&
	wait_phase $A Running 60 &&
	docker_port_answers $PORT1 10 &&
	curl -sf http://127.0.0.1:$PORT1/server.properties >props &&
	grep "^server-port=$PORT1" props && grep "^motd=hello" props
'

test_expect_success 'the container is hardened and labelled' '
	test "$(docker inspect -f "{{.HostConfig.ReadonlyRootfs}}" roost-$A)" = true &&
	docker inspect -f "{{.HostConfig.SecurityOpt}}" roost-$A | grep -q no-new-privileges &&
	test "$(docker inspect -f "{{index .Config.Labels \"roost.managed\"}}" roost-$A)" = true &&
	test "$(docker inspect -f "{{index .Config.Labels \"roost.server\"}}" roost-$A)" = $A &&
	test "$(docker inspect -f "{{index .Config.Labels \"roost.node\"}}" roost-$A)" = $NODE &&
	test -n "$(docker inspect -f "{{index .Config.Labels \"roost.spec-hash\"}}" roost-$A)" &&
	test "$(docker inspect -f "{{.Config.User}}" roost-$A)" != "" &&
	test "$(docker inspect -f "{{.HostConfig.PidsLimit}}" roost-$A)" = 64
'

test_expect_success 'roost status shows it, as a table and as json' '
	roost status --api "$API" >table &&
	grep -E "^$A +Running +yes" table &&
	roost status --api "$API" --format json >s.json &&
	json "d[\"node\"][\"name\"]" <s.json | grep -x $NODE &&
	json "[s for s in d[\"servers\"] if s[\"name\"]==\"$A\"][0][\"observedRevision\"]" <s.json |
	    grep -x "$(git -C repo rev-parse HEAD)" &&
	json "[s for s in d[\"servers\"] if s[\"name\"]==\"$A\"][0][\"install\"][\"result\"]" <s.json |
	    grep -x succeeded &&
	json "[s for s in d[\"servers\"] if s[\"name\"]==\"$A\"][0][\"install\"][\"logTail\"]" <s.json |
	    grep -x "demo install done" &&
	roost status --api "$API" $A >one && grep Running one &&
	! roost status --api "$API" nosuch
'

test_expect_success 'the api serves healthz, servers, logs and metrics' '
	curl -sf --unix-socket "$API" http://x/healthz | grep -x ok &&
	curl -sf --unix-socket "$API" http://x/v1/servers/$A | json "d[\"phase\"]" | grep -x Running &&
	test "$(curl -s -o /dev/null -w "%{http_code}" --unix-socket "$API" http://x/v1/servers/nosuch)" = 404 &&
	curl -sf --unix-socket "$API" "http://x/v1/servers/$A/logs?tail=50" | grep "Demo server ready" &&
	curl -sf --unix-socket "$API" http://x/metrics >metrics &&
	grep "^roost_servers{phase=\"Running\"} 1" metrics &&
	grep "^roost_reconcile_passes_total [1-9]" metrics
'

test_expect_success 'a commit is picked up at once through inotify' '
	server_file $B $PORT2 &&
	commit "second server" &&
	wait_phase $B Running 30 &&
	docker_port_answers $PORT2 10
'

test_expect_success 'a limits change is applied live, without a restart' '
	id=$(cid $A) && at=$(started $A) &&
	sed -i "s/memory: 128/memory: 192/" repo/servers/$A.yaml &&
	commit "more memory" &&
	wait_for 20 sh -c "test \$(docker inspect -f {{.HostConfig.Memory}} roost-$A) -gt $((160 * 1048576))" &&
	test "$(cid $A)" = "$id" &&
	test "$(started $A)" = "$at"
'

test_expect_success 'a variable change recreates the container' '
	id=$(cid $A) &&
	sed -i "s/MOTD: \"hello\"/MOTD: \"changed\"/" repo/servers/$A.yaml &&
	commit "new motd" &&
	wait_for 30 sh -c "test \"\$(docker inspect -f {{.Id}} roost-$A 2>/dev/null)\" != $id" &&
	wait_phase $A Running 30 &&
	curl -sf http://127.0.0.1:$PORT1/server.properties | grep "^motd=changed"
'

test_expect_success 'state: stopped stops it, running starts it again' '
	sed -i "s/state: running/state: stopped/" repo/servers/$B.yaml &&
	commit "stop b" &&
	wait_phase $B Stopped 30 &&
	test "$(docker inspect -f {{.State.Running}} roost-$B)" = false &&
	sed -i "s/state: stopped/state: running/" repo/servers/$B.yaml &&
	commit "start b" &&
	wait_phase $B Running 30
'

test_expect_success 'an invalid file affects only its server' '
	id=$(cid $A) &&
	sed -i "s/memory: 192/memory: 1/" repo/servers/$A.yaml &&
	sed -i "s/MOTD: \"hello\"/MOTD: \"b2\"/" repo/servers/$B.yaml &&
	commit "break a, change b" &&
	wait_phase $A Invalid 30 &&
	roost status --api "$API" $A | grep -i "memory" &&
	test "$(cid $A)" = "$id" &&
	test "$(docker inspect -f {{.State.Running}} roost-$A)" = true &&
	wait_for 30 sh -c "curl -sf http://127.0.0.1:$PORT2/server.properties | grep -q motd=b2" &&
	git -C repo revert --no-edit HEAD >/dev/null &&
	wait_phase $A Running 30
'

test_expect_success 'a force push is refused and reported; the old revision stays' '
	applied=$(git -C repo rev-parse HEAD) &&
	git -C repo commit -q --amend -m "rewritten history" &&
	rewritten=$(git -C repo rev-parse HEAD) &&
	curl -s -X POST --unix-socket "$API" http://x/v1/reconcile >/dev/null;
	roost status --api "$API" --format json >s.json &&
	json "d[\"node\"][\"fetchError\"]" <s.json | grep "history rewritten" &&
	json "d[\"node\"][\"revision\"]" <s.json | grep -x "$applied" &&
	test "$(phase $A)" = Running
'

test_expect_success 'SIGHUP reloads the configuration; a bad one is refused' '
	cp roostd.yaml roostd.good &&
	echo "pollInterval: never" >>roostd.yaml &&
	kill -HUP $ROOSTD && sleep 1 &&
	grep "reload refused" roostd.log &&
	cp roostd.good roostd.yaml &&
	echo "allowHistoryRewrite: true" >>roostd.yaml &&
	kill -HUP $ROOSTD &&
	wait_for 20 grep -q "configuration reloaded" roostd.log &&
	wait_for 20 sh -c "roost status --api $API --format json | grep -q $rewritten" &&
	roost status --api "$API" --format json | json "d[\"node\"][\"fetchError\"]" | grep -x None
'

test_expect_success 'a revision that removes every server of the node is refused' '
	git -C repo rm -q servers/$A.yaml servers/$B.yaml &&
	commit "remove everything" &&
	sleep 2 &&
	test "$(docker inspect -f {{.State.Running}} roost-$A)" = true &&
	test "$(phase $A)" = Running &&
	git -C repo revert --no-edit HEAD >/dev/null &&
	sleep 1
'

test_expect_success 'SIGTERM leaves containers running; a restart adopts them' '
	wait_phase $A Running 30 && wait_phase $B Running 30 &&
	id=$(cid $A) && at=$(started $A) &&
	stop_roostd &&
	test "$(docker inspect -f {{.State.Running}} roost-$A)" = true &&
	start_roostd &&
	wait_phase $A Running 30 &&
	test "$(cid $A)" = "$id" &&
	test "$(started $A)" = "$at"
'

test_expect_success 'kill -9 in the middle of converging: no duplicates, correct state' '
	for n in 3 4 5; do server_file $C$n $(eval echo \$PORT$n); done &&
	commit "three more" &&
	sleep 0.7 &&
	kill -9 $ROOSTD; wait $ROOSTD 2>/dev/null;
	start_roostd &&
	for n in 3 4 5; do wait_phase $C$n Running 60 || exit 1; done &&
	test $(docker ps -a --filter label=roost.node=$NODE -q | wc -l) -eq 5 &&
	for n in 3 4 5; do
		test $(docker ps -a --filter name=^/roost-$C$n\$ -q | wc -l) -eq 1 || exit 1
	done
'

test_expect_success 'a deleted server is removed and its data moved to trash' '
	echo keep >data/volumes/${C}5/world.dat &&
	git -C repo rm -q servers/${C}5.yaml && commit "delete c5" &&
	wait_for 30 sh -c "! docker inspect roost-${C}5 >/dev/null 2>&1" &&
	test ! -e data/volumes/${C}5 &&
	cat data/trash/${C}5-*/world.dat | grep -x keep
'

test_expect_success 'a remote over file:// is fetched into a mirror' '
	stop_roostd &&
	git clone -q --bare repo remote.git &&
	sed -i "s|^repo: .*|repo: file://$TRASH/remote.git|" roostd.yaml &&
	start_roostd &&
	wait_phase $A Running 30 &&
	test -d data/mirror.git &&
	git clone -q remote.git work &&
	sed -i "s/MOTD: \"hello\"/MOTD: \"remote\"/" work/servers/${C}4.yaml &&
	git -C work commit -q -am "via the remote" && git -C work push -q origin main &&
	curl -sf -X POST --unix-socket "$API" http://x/v1/reconcile | grep "$(git -C work rev-parse HEAD)" &&
	wait_for 30 sh -c "curl -sf http://127.0.0.1:$PORT4/server.properties | grep -q motd=remote"
'

test_expect_success 'a remote over git:// (git daemon on loopback) is fetched too' '
	stop_roostd &&
	touch remote.git/git-daemon-export-ok &&
	{ git daemon --listen=127.0.0.1 --port=$GITD --base-path="$TRASH" \
	    --reuseaddr >daemon.log 2>&1 & DAEMON=$!; } &&
	wait_for 10 bash -c "echo >/dev/tcp/127.0.0.1/$GITD" 2>/dev/null &&
	sed -i "s|^repo: .*|repo: git://127.0.0.1:$GITD/remote.git|" roostd.yaml &&
	start_roostd &&
	git -C data/mirror.git config remote.origin.url | grep -q "^git://127.0.0.1:$GITD/remote.git" &&
	sed -i "s/MOTD: \"remote\"/MOTD: \"daemon\"/" work/servers/${C}4.yaml &&
	git -C work commit -q -am "via git daemon" && git -C work push -q origin main &&
	curl -sf -X POST --unix-socket "$API" http://x/v1/reconcile | grep "$(git -C work rev-parse HEAD)" &&
	wait_for 30 sh -c "curl -sf http://127.0.0.1:$PORT4/server.properties | grep -q motd=daemon"
'

test_done
