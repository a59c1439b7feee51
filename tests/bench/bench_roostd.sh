#!/usr/bin/env bash
# bench_roostd.sh: roostd's own overhead from a commit to a started
# container, against the engine creating and starting the same container
# in the same run, plus roostd's idle RSS and CPU.
#
#   tests/bench/bench_roostd.sh BUILD_DIR [RUNS]
#
# roostd's time runs from the moment the commit lands (the mtime of the
# branch's ref file, which git renames into place after writing the
# objects) to the container's State.StartedAt. The anchor (bench_engine -b)
# creates and starts a container from the very create body roostd sent for
# that server (taken from its container: the same ports through the
# engine's proxy on a neighbouring port, the same network, bind mount and
# hardening, without roost's labels so roostd leaves it alone) and runs
# from sending the create to StartedAt, so both end at the same event.
# Runs alternate (roostd, anchor, roostd, ...) with roostd running all the
# time, so both see the same engine and the same number of containers.
# Each end point is read from the engine afterwards, so polling for it
# adds no error; it polls slowly to leave the CPU to the engine.
set -u
O=${1:-build}
RUNS=${2:-11}
ROOST_SRC=${ROOST_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$ROOST_SRC/tests/bench/lib.sh"
. "$ROOST_SRC/tests/lib/ports.sh"
T=$(mktemp -d /tmp/roost-bench-roostd.XXXXXX)
# The node, server names and ports are this run's own (container names
# are global on an engine): RUNS + 1 ports for roostd, RUNS for the anchor.
NODE=benchnode-$TEST_RUN_ID
mapfile -t PORTS < <(free_ports $((2 * RUNS + 1)))
PID=
trap bench_cleanup EXIT


# The demo egg without its install step: the anchor is one container.
bench_repo
bench_serving "${PORTS[@]:0:RUNS + 1}"

# started_at NAME: waits for NAME to have started, prints its StartedAt
# in seconds since the epoch.
started_at() {
	bench_started_at "$1" 300 && return 0
	echo "bench_roostd: $1 did not start; roostd log:" >&2
	tail -n 20 "$T/log" >&2
	return 1
}

# anchor_body NAME PORT: the create body of container NAME with its port
# moved to PORT and roost's labels replaced by roost.bench=$NODE.
anchor_body() {
	docker inspect "$1" | /usr/bin/python3 -c '
import json, sys
port, node = sys.argv[1], sys.argv[2]
c = json.load(sys.stdin)[0]
b = dict(c["Config"])
h = dict(c["HostConfig"])
old = [p.split("/")[0] for p in b.get("ExposedPorts") or {}][0]
b["ExposedPorts"] = {k.replace(old, port): v for k, v in b["ExposedPorts"].items()}
h["PortBindings"] = {k.replace(old, port): [dict(x, HostPort=port) for x in v]
    for k, v in (h.get("PortBindings") or {}).items()}
b["Env"] = [e.replace("=" + old, "=" + port) for e in b.get("Env") or []]
b["Labels"] = {"roost.bench": node}
b["HostConfig"] = h
b["NetworkingConfig"] = {"EndpointsConfig": {n: {} for n in c["NetworkSettings"]["Networks"]}}
json.dump(b, sys.stdout)' "$2" "$NODE"
}

lat=() eng=()
for i in $(seq "$RUNS"); do
	name=b$i-$TEST_RUN_ID
	bench_server $name ${PORTS[i]}
	bench_commit "$name"
	t0=$(stat -c %.Y "$T/repo/.git/refs/heads/main")
	t1=$(started_at roost-$name) || exit 1
	lat+=("$(echo "$t0 $t1" | awk '{ printf "%.0f", ($2 - $1) * 1000 }')")
	sleep 1
	anchor_body roost-$name ${PORTS[RUNS + i]} >"$T/body.json" || exit 1
	e=$(bench_anchor -b "$T/body.json") ||
	    { echo "bench_roostd: anchor: $e" >&2; exit 1; }
	eng+=("$e")
	sleep 1
done
# Each roostd run against the anchor run right after it: the engine's
# speed drifts over a run, so the median of these differences is the
# steadier figure of roostd's own share.
bench_medians
sleep 2
rss=$(awk '/VmRSS/ { print $2 }' /proc/$PID/status)
c0=$(awk '{ print $14 + $15 }' /proc/$PID/stat)
sleep 10
c1=$(awk '{ print $14 + $15 }' /proc/$PID/stat)
echo "commit -> container started: median ${m} ms over $RUNS (runs: ${lat[*]})"
echo "engine create -> started of the same container (anchor): median ${me} ms (runs: ${eng[*]})"
floor=$("$BIN/tests/bench_rss_floor" | grep -o '(\([0-9]*\) KiB)' | tr -dc 0-9)
echo "roostd idle: RSS $((rss / 1024)) MiB ($rss KiB), CPU $(( (c1 - c0) * 10 )) ms in 10 s"
echo "the same libraries alone (bench_rss_floor, anchor): RSS $((floor / 1024)) MiB ($floor KiB); roostd's own: $(( (rss - floor) / 1024 )) MiB ($((rss - floor)) KiB)"
echo "per-run differences (roostd - anchor): ${diffs[*]} ms"
echo "roostd overhead over the engine: ${md} ms median of per-run differences, $((m - me)) ms between the medians (goal <= 50 ms); idle RSS $((rss / 1024)) MiB, $(( (rss - floor) / 1024 )) MiB above its libraries (goal <= 10 MiB)"
