#!/usr/bin/env bash
# bench_converge50.sh: one commit adds 50 servers; how long until roostd
# has started all 50 containers, against the engine alone creating and
# starting the same 50 containers (bench_engine_batch -B: the create bodies
# of roostd's containers, with their ports, network and bind mounts) in
# the same run, as many at a time as roostd has workers (4) and one at a
# time. It also counts roostd's engine requests per new server
# (roost_engine_requests_total; the anchor makes 2: create and start).
#
#   tests/bench/bench_converge50.sh BUILD_DIR [RUNS] [N]
#
# Each of RUNS (3) runs commits N (50) server files of the demo egg
# without its install step, waits for their N start events and takes each
# container's State.StartedAt minus the time just before "git commit";
# then it commits their removal and waits until roostd has pruned them.
# The anchors run between roostd's runs, so all share the same noise.
# roostd's containers carry roost.node=bench50-ID, the anchor's
# roost.node=bench50-ID-engine (so roostd's cache does not follow them);
# all are removed at the end. The anchor's bind mounts are directories of
# its own, owned as roostd's are. Server names start with "cv" and the run's
# id ID, and ports come from the kernel: container names and ports are
# global on an engine, so they must not meet another bench's or test's. About 3 minutes on a 2-core vfs machine.
set -u
O=${1:-build}
RUNS=${2:-3}
N=${3:-50}
ROOST_SRC=${ROOST_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$ROOST_SRC/tests/bench/lib.sh"
. "$ROOST_SRC/tests/lib/ports.sh"
NODE=bench50-$TEST_RUN_ID
CV=cv$TEST_RUN_ID
mapfile -t PORTS < <(free_ports $((N + 1)))
T=$(mktemp -d /tmp/roost-bench-converge50.XXXXXX)
PID=
EVPID=
cleanup() {
	[ -n "$EVPID" ] && kill $EVPID 2>/dev/null
	docker_cleanup_label roost.node=$NODE-engine >/dev/null 2>&1
	bench_cleanup
}
trap cleanup EXIT

die() {
	bench_fail bench_converge50 "converge $N new servers" "$*"
}
commit() { git -C "$T/repo" -c user.name=b -c user.email=b@b commit -qm "$1"; }
count() { docker ps -aq --filter label=roost.node=$NODE | wc -l; }
requests() {
	curl -sf --unix-socket "$T/api.sock" http://roostd/metrics |
	    awk '$1 == "roost_engine_requests_total" { print $2 }'
}

# anchor_bodies: the create bodies of the containers docker inspect gives
# on stdin, one a line, with the anchor's labels and bind directories.
anchor_bodies() {
	/usr/bin/python3 -c '
import json, os, sys
label, anchor = sys.argv[1], sys.argv[2]
k, v = label.split("=", 1)
for c in json.load(sys.stdin):
	b = dict(c["Config"])
	h = dict(c["HostConfig"])
	binds = []
	for x in h.get("Binds") or []:
		src, rest = x.split(":", 1)
		dst = os.path.join(anchor, c["Name"].strip("/") + "-" + str(len(binds)))
		os.makedirs(dst, exist_ok=True)
		st = os.stat(src)
		os.chown(dst, st.st_uid, st.st_gid)
		os.chmod(dst, st.st_mode & 0o7777)
		binds.append(dst + ":" + rest)
	h["Binds"] = binds
	b["Labels"] = {"roost.bench": "batch", k: v}
	b["HostConfig"] = h
	b["NetworkingConfig"] = {"EndpointsConfig": {n: {} for n in c["NetworkSettings"]["Networks"]}}
	print(json.dumps(b))' "roost.node=$NODE-engine" "$T/anchor"
}

docker_ensure && demo_image_ensure >/dev/null || die "no engine"
[ -x "$BIN/tests/bench_engine_batch" ] || die "$BIN/tests/bench_engine_batch is missing (make tests)"
docker_cleanup_label roost.node=$NODE >/dev/null 2>&1
docker_cleanup_label roost.node=$NODE-engine >/dev/null 2>&1

bench_repo
bench_node "${PORTS[@]}"
# A server that stays, so removing the N is not refused as emptying the node.
printf 'name: %skeep\nowner: "444444444444444444"\nnode: %s\negg: bench/demo\nstate: stopped\nlimits: { memory: 128 }\nports: { default: %d }\n' \
    $CV $NODE ${PORTS[N]} >"$T/repo/servers/${CV}keep.yaml"
bench_commit init
bench_roostd_yaml "$T/api.sock"
bench_roostd
for i in $(seq 100); do [ "$(count)" -ge 1 ] && break; sleep 0.1; done
[ "$(count)" -ge 1 ] || die "roostd did not create the first server"
sleep 2

names=()
for i in $(seq "$N"); do names+=("roost-$CV$(printf %02d "$i")"); done
tot=()
per=()
calls=()
e4=()
e4m=()
e1=()
e1m=()
for r in $(seq "$RUNS"); do
	kill -0 $PID 2>/dev/null || die "roostd exited"
	for i in $(seq "$N"); do
		printf 'name: %s%02d\nowner: "444444444444444444"\nnode: %s\negg: bench/demo\nlimits: { memory: 128 }\nports: { default: %d }\n' \
		    $CV "$i" $NODE ${PORTS[i - 1]} >"$T/repo/servers/$CV$(printf %02d "$i").yaml"
	done
	git -C "$T/repo" add -A
	: >"$T/events"
	docker events --filter label=roost.node=$NODE --filter event=start \
	    --format '{{.Actor.Attributes.name}}' >"$T/events" 2>/dev/null &
	EVPID=$!
	sleep 0.5
	q0=$(requests)
	t0=$(date +%s.%N)
	commit "add $N (run $r)"
	ok=0
	for i in $(seq 3000); do
		if [ "$(grep -c "^roost-$CV" "$T/events")" -ge "$N" ]; then
			ok=1
			break
		fi
		sleep 0.1
	done
	kill $EVPID 2>/dev/null
	wait $EVPID 2>/dev/null
	EVPID=
	[ $ok = 1 ] || die "run $r: $(grep -c "^roost-$CV" "$T/events") of $N started after 300 s"
	sleep 1
	q1=$(requests)
	calls+=("$(echo "$q0 $q1 $N" | awk '{ printf "%.1f", ($2 - $1) / $3 }')")
	docker inspect -f '{{.State.StartedAt}}' "${names[@]}" >"$T/started" ||
	    die "run $r: inspect failed"
	lat=$(while read -r s; do date -d "$s" +%s.%N; done <"$T/started" |
	    awk -v t0="$t0" '{ printf "%.0f\n", ($1 - t0) * 1000 }' | sort -n)
	[ "$(echo "$lat" | wc -l)" -eq "$N" ] || die "run $r: StartedAt missing"
	docker inspect "${names[@]}" | anchor_bodies >"$T/bodies" ||
	    die "run $r: the anchor's bodies"
	tot+=("$(echo "$lat" | tail -n 1)")
	per+=("$(med $lat)")

	# Remove them again and wait for the prune.
	git -C "$T/repo" rm -q "$T"/repo/servers/$CV[0-9]*.yaml
	commit "remove $N (run $r)"
	for i in $(seq 600); do [ "$(count)" -le 1 ] && break; sleep 0.5; done
	[ "$(count)" -le 1 ] || die "run $r: roostd did not prune the $N servers"

	# The anchors: the engine alone, 4 at a time and one at a time.
	out=$("$BIN/tests/bench_engine_batch" -B "$T/bodies" -c 4) ||
	    die "bench_engine_batch -c 4 failed"
	e4+=("$(echo "$out" | sed -n 's/.*all started \([0-9.]*\) ms.*/\1/p')")
	e4m+=("$(echo "$out" | sed -n 's/.*, median \([0-9.]*\) ms.*/\1/p')")
	out=$("$BIN/tests/bench_engine_batch" -B "$T/bodies" -c 1) ||
	    die "bench_engine_batch -c 1 failed"
	e1+=("$(echo "$out" | sed -n 's/.*all started \([0-9.]*\) ms.*/\1/p')")
	e1m+=("$(echo "$out" | sed -n 's/.*, median \([0-9.]*\) ms.*/\1/p')")
done

mt=$(med "${tot[@]}")
m4=$(med "${e4[@]}")
m1=$(med "${e1[@]}")
echo "roostd, commit of $N servers -> all started (ms): ${tot[*]}; median per server: ${per[*]}; engine requests per server: ${calls[*]}"
echo "engine, $N create+start 4 at a time (ms): ${e4[*]}; median per container: ${e4m[*]}"
echo "engine, $N create+start one at a time (ms): ${e1[*]}; median per container: ${e1m[*]}"
echo "converge $N new servers: roostd median ${mt} ms to all started (per server median $(med "${per[@]}") ms) vs engine ${m4%.*} ms 4 at a time ($(echo "$mt $m4" | awk '{ printf "%.2f", $1 / $2 }')x), ${m1%.*} ms one at a time ($(echo "$mt $m1" | awk '{ printf "%.2f", $1 / $2 }')x); $RUNS runs"
