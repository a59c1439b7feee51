#!/usr/bin/env bash
# t9000-docker-restart: roostd survives a restart of the Docker daemon: the
# engine comes back, roostd's events stream reconnects and relists, and
# the server that should run is running again. It restarts the shared
# engine, so it runs last in the suite, and alone on the machine: run.sh
# holds the engine lock exclusively for it (the marker below), so no test
# of another run is using the engine meanwhile.
# roost-test: restarts-engine
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/docker.sh"
. "$ROOST_SRC/tests/lib/roostd.sh"

SRV=t9000-a-$TEST_RUN_ID
PORT=$(free_port)

test_cleanup 'kill $ROOSTD 2>/dev/null; docker_ensure; docker_cleanup_label roost.node=$NODE'

test_expect_success 'setup: roostd runs a demo server' '
	roostd_repo $NODE $SRV $PORT &&
	printf "node: $NODE\nrepo: $TRASH/repo\ndataDir: $TRASH/data\napi: $API\npollInterval: 5s\nsftp:\n  enabled: false\n" >roostd.yaml &&
	{ roostd -d -f roostd.yaml >roostd.log 2>&1 & ROOSTD=$!; } &&
	wait_for 20 test -S "$API" &&
	wait_phase $SRV Running 60
'

test_expect_success 'the Docker daemon restarts' '
	pid=$(pgrep -xo dockerd) &&
	tr "\0" " " </proc/$pid/cmdline >dockerd.cmd &&
	kill $pid &&
	wait_for 60 sh -c "! kill -0 $pid" &&
	{ nohup setsid $(cat dockerd.cmd) >>"$ROOST_DOCKERD_LOG" 2>&1 </dev/null & } &&
	wait_for 60 docker info
'

test_expect_success 'roostd is still alive and the server runs again' '
	kill -0 $ROOSTD &&
	wait_phase $SRV Running 120 &&
	test "$(docker inspect -f {{.State.Running}} roost-$SRV)" = true &&
	docker_port_answers $PORT 20
'

test_done
