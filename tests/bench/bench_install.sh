#!/usr/bin/env bash
# bench_install.sh: a new server whose egg has an install step, from the
# commit to its container started (install + start), against the engine
# running the same installer and then creating and starting the same
# container, in the same run.
#
#   tests/bench/bench_install.sh BUILD_DIR [RUNS]
#
# roostd's time runs from the moment the commit lands (the mtime of the
# branch's ref file) to the server container's State.StartedAt. The
# installer's create body is read from the engine while it runs (the
# egg's script ends with a 1 s sleep, run by both sides, so that it can
# be), with its script; the server's after it started. The anchor
# (bench_engine -I -b) creates and starts that installer with its own
# copies of the script and of the server directory, waits for it to exit
# (POST /wait), then creates and starts the server container (its port
# moved to a free one, without roost's labels so roostd leaves it alone),
# and runs from sending the installer's create to the container's
# StartedAt. Runs alternate (roostd, anchor, ...) with roostd running
# throughout. About 1 minute on a 2-core vfs machine.
set -u
O=${1:-build}
RUNS=${2:-7}
ROOST_SRC=${ROOST_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$ROOST_SRC/tests/bench/lib.sh"
. "$ROOST_SRC/tests/lib/ports.sh"
T=$(mktemp -d /tmp/roost-bench-install.XXXXXX)
NODE=benchinst-$TEST_RUN_ID
mapfile -t PORTS < <(free_ports $((2 * RUNS + 1)))
PID=
trap bench_cleanup EXIT

die() {
	bench_fail bench_install "commit -> serving with an install step" "$*"
}

docker_ensure && demo_image_ensure >/dev/null || die "no engine"
mkdir -p "$T/anchor"
# The demo egg, its install script ending with a 1 s sleep.
bench_repo 's/^    echo "demo install done"$/&\n    sleep 1/'
grep -q '^    sleep 1$' "$T/repo/eggs/bench/demo.yaml" || die "the demo egg's script changed"
bench_serving "${PORTS[@]:0:RUNS + 1}"

# started_at NAME: waits for NAME to have started, prints its StartedAt
# in seconds since the epoch.
started_at() {
	bench_started_at "$1" 600
}

# anchor_body RUN PORT: the create body of the container whose inspect is
# on stdin, its port moved to PORT, its bind mounts to the anchor's own
# directories of run RUN (the server directory, the install directory
# with a copy of its script), roost's labels replaced by
# roost.bench=$NODE.
anchor_body() {
	/usr/bin/python3 -c '
import json, os, shutil, sys
run, port, node, anchor = sys.argv[1:5]
c = json.load(sys.stdin)[0]
b = dict(c["Config"])
h = dict(c["HostConfig"])
old = [p.split("/")[0] for p in b.get("ExposedPorts") or {}]
if old:
	old = old[0]
	b["ExposedPorts"] = {k.replace(old, port): v for k, v in b["ExposedPorts"].items()}
	h["PortBindings"] = {k.replace(old, port): [dict(x, HostPort=port) for x in v]
	    for k, v in (h.get("PortBindings") or {}).items()}
	b["Env"] = [e.replace("=" + old, "=" + port) for e in b.get("Env") or []]
binds = []
for x in h.get("Binds") or []:
	src, dst, *rest = x.split(":")
	# The installer and the server share the server directory.
	key = "/home/container" if dst == "/mnt/server" else dst
	mine = os.path.join(anchor, run + key.replace("/", "-"))
	if not os.path.isdir(mine):
		os.makedirs(mine)
		st = os.stat(src)
		os.chown(mine, st.st_uid, st.st_gid)
		os.chmod(mine, st.st_mode & 0o7777)
	if dst == "/mnt/install":
		shutil.copy(os.path.join(src, "install.sh"), mine)
	binds.append(":".join([mine, dst] + rest))
h["Binds"] = binds
b["Labels"] = {"roost.bench": node}
b["HostConfig"] = h
b["NetworkingConfig"] = {"EndpointsConfig": {n: {} for n in c["NetworkSettings"]["Networks"]}}
json.dump(b, sys.stdout)' "$1" "$2" "$NODE" "$T/anchor"
}

lat=() eng=()
for i in $(seq "$RUNS"); do
	kill -0 $PID 2>/dev/null || die "roostd exited"
	name=i$i-$TEST_RUN_ID
	bench_server $name ${PORTS[i]}
	bench_commit "$name"
	t0=$(stat -c %.Y "$T/repo/.git/refs/heads/main")
	# The installer's body and script, while it runs.
	ok=0
	for j in $(seq 100); do
		if docker inspect roost-$name-install >"$T/inst.json" 2>/dev/null &&
		    anchor_body $i 0 <"$T/inst.json" >"$T/inst-body.json" 2>/dev/null; then
			ok=1
			break
		fi
		sleep 0.05
	done
	[ $ok = 1 ] || die "run $i: the installer was not seen running"
	t1=$(started_at roost-$name) || die "run $i: roost-$name did not start"
	lat+=("$(echo "$t0 $t1" | awk '{ printf "%.0f", ($2 - $1) * 1000 }')")
	sleep 1
	docker inspect roost-$name | anchor_body $i ${PORTS[RUNS + i]} >"$T/body.json" ||
	    die "run $i: the server's body"
	e=$(bench_anchor -I "$T/inst-body.json" -b "$T/body.json") ||
	    die "anchor: $e"
	eng+=("$e")
	sleep 1
done
bench_medians
echo "commit -> serving (install + start): runs ${lat[*]} ms"
echo "engine: installer, wait, create + start (anchor): runs ${eng[*]} ms"
echo "per-run differences (roostd - anchor): ${diffs[*]} ms"
echo "commit -> serving with an install step: median ${m} ms vs engine ${me} ms; roostd's overhead ${md} ms (median of per-run differences; $((m - me)) ms between the medians; goal <= 100 ms); $RUNS runs"
