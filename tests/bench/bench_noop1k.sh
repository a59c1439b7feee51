#!/usr/bin/env bash
# bench_noop1k.sh: the cost of a no-op reconcile pass of the real roostd
# over a converged node of 1,000 servers on the real engine. The goal is
# the anchor: 0 engine calls beyond the events-fed cache and <= 20 ms CPU
# per pass. The engine listing the same 1,000 containers (docker ps, and
# GET /containers/json on the socket) is printed as a reference point.
#
#   tests/bench/bench_noop1k.sh BUILD_DIR [SERVERS] [PASSES]
#
# The node holds SERVERS (1000) servers of the demo egg without its
# install step; $BENCH1K_RUNNING (10) of them run, the others are
# committed "state: stopped", for which roostd creates the container and
# leaves it stopped (it is converged all the same; the pass plans every
# server alike). Creating them takes roostd about 1-3 minutes on vfs.
#
# Each of PASSES (21) passes is a POST /v1/reconcile (a fetch that finds
# the same revision, then the pass, then the status publication); for
# each the script records the pass's CPU time on roostd's loop thread
# (roost_reconcile_pass_cpu_seconds_total), the loop thread's CPU for the
# whole request (/proc/PID/task/PID/schedstat: fetch and the publication
# of the 1,000 servers' status included), the wall time roostd accounts
# to the pass (roost_reconcile_pass_seconds_total, whole milliseconds)
# and the change of roost_engine_requests_total, which counts every
# engine request of the process (the sampler's usage reads of the running
# servers, every 15 s, can fall into a window: hence the median).
# All containers carry roost.node=bench1k and are removed at the end;
# server names start with "nk" and this run's id, and every port comes
# from the kernel (container names and ports are global on an engine).
# About 1 minute on a 2-core vfs machine.
set -u
O=${1:-build}
NSRV=${2:-1000}
PASSES=${3:-21}
NRUN=${BENCH1K_RUNNING:-10}
ROOST_SRC=${ROOST_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$ROOST_SRC/tests/bench/lib.sh"
. "$ROOST_SRC/tests/lib/ports.sh"
NODE=bench1k-$TEST_RUN_ID
SP=nk$TEST_RUN_ID
T=$(mktemp -d /tmp/roost-bench-noop1k.XXXXXX)
PID=
trap bench_cleanup EXIT

die() {
	bench_fail bench_noop1k "no-op pass over $NSRV servers" "$*"
}
now() { date +%s.%N; }
ms() { echo "$1 $2" | awk '{ printf "%.1f", ($2 - $1) * 1000 }'; }
metric() { awk -v k="$1" '$1 == k { print $2 }' "$T/metrics"; }
api() {
	local path=${*: -1}
	curl -sf --unix-socket "$T/api.sock" "${@:1:$#-1}" "http://roostd$path"
}

docker_ensure && demo_image_ensure >/dev/null || die "no engine"
docker_cleanup_label roost.node=$NODE >/dev/null 2>&1

bench_repo
mapfile -t PORTS < <(free_ports "$NSRV")
[ "${#PORTS[@]}" -eq "$NSRV" ] || die "no $NSRV free ports"
bench_node "${PORTS[@]}"
for i in $(seq "$NSRV"); do
	st=stopped
	[ "$i" -le "$NRUN" ] && st=running
	printf 'name: %s%04d\nowner: "444444444444444444"\nnode: %s\negg: bench/demo\nstate: %s\nlimits: { memory: 64 }\nports: { default: %d }\n' \
	    $SP "$i" $NODE $st ${PORTS[i - 1]} >"$T/repo/servers/$SP$(printf %04d "$i").yaml"
done
bench_commit init
bench_roostd_yaml "$T/api.sock"

t0=$(now)
bench_roostd
bench_wait_api
[ -S "$T/api.sock" ] || die "roostd did not start"

# Converged: every server's container exists, and the status says so.
ok=0
for i in $(seq ${BENCH1K_WAIT:-600}); do
	kill -0 $PID 2>/dev/null || die "roostd exited"
	n=$(docker ps -aq --filter label=roost.node=$NODE | wc -l)
	if [ "$n" -ge "$NSRV" ]; then
		api /v1/status >"$T/status" 2>/dev/null
		s=$(jq '[.servers[] | select(.phase == "Stopped")] | length' "$T/status" 2>/dev/null)
		r=$(jq '[.servers[] | select(.phase == "Running")] | length' "$T/status" 2>/dev/null)
		if [ "${s:-0}" -eq $((NSRV - NRUN)) ] && [ "${r:-0}" -eq "$NRUN" ]; then
			ok=1
			break
		fi
	fi
	sleep 1
done
[ $ok = 1 ] || die "not converged after ${BENCH1K_WAIT:-600} s ($n containers, ${s:-?} stopped, ${r:-?} running)"
conv=$(echo "$t0 $(now)" | awk '{ printf "%.0f", $2 - $1 }')
sleep 2

# Two warm-up passes, then the measured ones.
api -X POST /v1/reconcile >/dev/null || die "POST /v1/reconcile failed"
api -X POST /v1/reconcile >/dev/null || die "POST /v1/reconcile failed"
api /metrics >"$T/metrics"
req0=$(metric roost_engine_requests_total)
[ -n "$req0" ] || die "roostd has no roost_engine_requests_total"
wr0=$(metric roost_engine_writes_total)
ps0=$(metric roost_reconcile_pass_seconds_total)
pc0=$(metric roost_reconcile_pass_cpu_seconds_total)
[ -n "$pc0" ] || die "roostd has no roost_reconcile_pass_cpu_seconds_total"
np0=$(metric roost_reconcile_passes_total)
cpu=()
pcpu=()
calls=()
wall=()
for i in $(seq "$PASSES"); do
	c0=$(awk '{ print $1 }' /proc/$PID/task/$PID/schedstat)
	api -X POST /v1/reconcile >/dev/null || die "POST /v1/reconcile failed"
	c1=$(awk '{ print $1 }' /proc/$PID/task/$PID/schedstat)
	api /metrics >"$T/metrics"
	req=$(metric roost_engine_requests_total)
	ps=$(metric roost_reconcile_pass_seconds_total)
	pc=$(metric roost_reconcile_pass_cpu_seconds_total)
	pcpu+=("$(echo "$pc0 $pc" | awk '{ printf "%.2f", ($2 - $1) * 1000 }')")
	cpu+=("$(echo "$c0 $c1" | awk '{ printf "%.2f", ($2 - $1) / 1e6 }')")
	calls+=($((req - req0)))
	wall+=("$(echo "$ps0 $ps" | awk '{ printf "%.0f", ($2 - $1) * 1000 }')")
	req0=$req
	ps0=$ps
	pc0=$pc
done
wr1=$(metric roost_engine_writes_total)
np1=$(metric roost_reconcile_passes_total)
maxcalls=$(printf '%s\n' "${calls[@]}" | sort -n | tail -n 1)

# The reference: the engine listing the same containers.
lps=()
lapi=()
for i in 1 2 3 4 5; do
	a=$(now)
	n=$(docker ps -a --filter label=roost.node=$NODE --format '{{.ID}}' | wc -l)
	b=$(now)
	curl -sf --unix-socket "$ROOST_DOCKER_SOCK" -o /dev/null \
	    "http://docker/containers/json?all=1&filters=%7B%22label%22%3A%5B%22roost.node%3D$NODE%22%5D%7D"
	c=$(now)
	lps+=("$(ms "$a" "$b")")
	lapi+=("$(ms "$b" "$c")")
done
rss=$(awk '/VmRSS/ { print $2 }' /proc/$PID/status)

mcpu=$(med "${pcpu[@]}")
mcalls=$(med "${calls[@]}")
echo "converged $NSRV servers ($NRUN running) in ${conv} s; roostd RSS $((rss / 1024)) MiB"
echo "pass CPU (ms, roost_reconcile_pass_cpu_seconds_total): ${pcpu[*]}"
echo "loop-thread CPU per POST /v1/reconcile, publication included (ms): ${cpu[*]}"
echo "pass wall time (ms, roost_reconcile_pass_seconds_total): ${wall[*]}"
echo "engine requests per pass: ${calls[*]} (engine writes: $((wr1 - wr0)), passes: $((np1 - np0)))"
echo "reference: docker ps -a of the $n containers: median $(med "${lps[@]}") ms; GET /containers/json: median $(med "${lapi[@]}") ms"
v=met
awk -v c="$mcpu" 'BEGIN { exit !(c <= 20) }' && [ "$mcalls" -eq 0 ] || v="NOT met"
echo "no-op pass over $NSRV servers: median ${mcpu} ms CPU (pass wall median $(med "${wall[@]}") ms; whole request $(med "${cpu[@]}") ms), median $mcalls engine calls (max $maxcalls) over $PASSES passes (goal: 0 calls, <= 20 ms CPU: $v)"
