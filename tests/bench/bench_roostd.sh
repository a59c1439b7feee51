#!/usr/bin/env bash
# bench_roostd.sh: roostd's own overhead from a commit to a started
# container, against the engine's create+start of the same image measured
# in the same run (bench_engine), plus roostd's idle RSS and CPU.
#
#   tests/bench/bench_roostd.sh BUILD_DIR [RUNS]
set -u
O=${1:-build}
RUNS=${2:-7}
ROOST_SRC=${ROOST_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=$(cd "$O" && pwd)
. "$ROOST_SRC/tests/lib/docker.sh"
export ROOST_EGGS=$ROOST_SRC/eggs
T=$(mktemp -d /tmp/roost-bench-roostd.XXXXXX)
NODE=benchnode
PID=
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; docker_cleanup_label roost.node=$NODE >/dev/null 2>&1; rm -rf "$T"' EXIT

mkdir -p "$T/repo/nodes" "$T/repo/servers" "$T/repo/eggs/bench"
git init -q -b main "$T/repo"
# The demo egg without its install step: the anchor is one container.
sed '/^install:/,/^variables:/{/^variables:/!d}' "$ROOST_SRC/eggs/roost/demo.yaml" \
    >"$T/repo/eggs/bench/demo.yaml"
printf 'name: %s\naddress: 127.0.0.1\nports: ["31800-31899"]\n' $NODE >"$T/repo/nodes/$NODE.yaml"
printf 'name: keep\nowner: "444444444444444444"\nnode: %s\negg: bench/demo\nstate: stopped\nlimits: { memory: 128 }\nports: { default: 31899 }\n' $NODE >"$T/repo/servers/keep.yaml"
git -C "$T/repo" add -A && git -C "$T/repo" -c user.name=b -c user.email=b@b commit -qm init
printf 'node: %s\nrepo: %s/repo\ndataDir: %s/data\napi: %s/api.sock\npollInterval: 1h\nsftp:\n  enabled: false\n' \
    $NODE "$T" "$T" "$T" >"$T/roostd.yaml"
"$BIN/roostd" -d -f "$T/roostd.yaml" >"$T/log" 2>&1 &
PID=$!
for i in $(seq 100); do [ -S "$T/api.sock" ] && break; sleep 0.1; done
sleep 3

lat=()
for i in $(seq "$RUNS"); do
	name=b$i
	printf 'name: %s\nowner: "444444444444444444"\nnode: %s\negg: bench/demo\nlimits: { memory: 128 }\nports: { default: %d }\n' \
	    $name $NODE $((31800 + i)) >"$T/repo/servers/$name.yaml"
	git -C "$T/repo" add -A
	t0=$(date +%s.%N)
	git -C "$T/repo" -c user.name=b -c user.email=b@b commit -qm "$name"
	s=
	for j in $(seq 1500); do
		s=$(docker inspect -f '{{.State.StartedAt}}' roost-$name 2>/dev/null)
		case $s in ""|0001-*) sleep 0.02 ;; *) break ;; esac
	done
	t1=$(date -d "$s" +%s.%N)
	lat+=("$(echo "$t0 $t1" | awk '{ printf "%.0f", ($2 - $1) * 1000 }')")
done
med() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
m=$(med "${lat[@]}")
eng=$("$BIN/tests/bench_engine" -n "$RUNS" 2>/dev/null | grep -o 'median: [0-9.]*' | awk '{ print $2 }')
eng=${eng%.*}
sleep 2
rss=$(awk '/VmRSS/ { print $2 }' /proc/$PID/status)
c0=$(awk '{ print $14 + $15 }' /proc/$PID/stat)
sleep 10
c1=$(awk '{ print $14 + $15 }' /proc/$PID/stat)
echo "commit -> container started: median ${m} ms over $RUNS (runs: ${lat[*]})"
echo "engine create+start (anchor): median ${eng} ms"
echo "roostd idle: RSS $((rss / 1024)) MiB ($rss KiB), CPU $(( (c1 - c0) * 10 )) ms in 10 s"
echo "roostd overhead over the engine: $((m - eng)) ms median (goal <= 50 ms); idle RSS goal <= 10 MiB"
