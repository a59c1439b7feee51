# lib.sh: what the benchmark scripts share. Source it after setting $O
# (the build directory) and $ROOST_SRC: it sets $BIN to $O's absolute
# path, sources tests/lib/docker.sh and exports ROOST_EGGS. The functions
# use $T (the run's directory) and $NODE (the node roostd plays).
#
#   bench_fail NAME WHAT MSG  says on stderr that NAME failed with MSG,
#                             with the end of roostd's log $T/log, prints
#                             the result line "WHAT: not measured (MSG)"
#                             and exits 1
#   bench_cleanup             stops roostd ($PID, when set), removes the
#                             containers of $NODE and its anchor's (label
#                             roost.bench=$NODE) and $T: what a script
#                             does on exit
#   med N...                  the median of the numbers
#   bench_medians             from the arrays lat (roostd's runs) and eng
#                             (the anchor's, run by run) sets m and me to
#                             their medians, diffs to the per-run
#                             differences and md to their median
#   bench_anchor ARGS...      runs $BIN/tests/bench_engine ARGS for one
#                             run and prints its time in whole ms, or its
#                             output and fails
#   bench_repo [SED]          $T/repo, a git repository on main with
#                             nodes/, servers/ and the egg bench/demo:
#                             roost/demo edited by the sed script SED,
#                             by default one dropping its install step
#   bench_node PORT...        writes $NODE's node file: 127.0.0.1, PORTs
#   bench_server NAME PORT    writes a demo server NAME of 128 MiB on
#                             $NODE with the one port PORT
#   bench_commit MESSAGE      commits all of $T/repo
#   bench_roostd_yaml API     writes $T/roostd.yaml: node $NODE on
#                             $T/repo, data in $T/data, API socket API,
#                             polled hourly, no SFTP; the script appends
#                             what else it needs
#   bench_roostd              starts $BIN/roostd -d with $T/roostd.yaml,
#                             its log in $T/log, its pid in $PID
#   bench_wait_api            waits up to 10 s for $T/api.sock
#   bench_serving PORT...     node $NODE with the PORTs and a stopped
#                             server keep-$TEST_RUN_ID on the first,
#                             committed, served by roostd (API socket
#                             $T/api.sock), 3 s after the socket appeared
#   bench_started_at NAME N   waits up to N tenths of a second for
#                             container NAME to have started; prints its
#                             StartedAt in seconds since the epoch

BIN=$(cd "$O" && pwd)
. "$ROOST_SRC/tests/lib/docker.sh"
export ROOST_EGGS=$ROOST_SRC/eggs

bench_fail() {
	echo "$1: $3" >&2
	tail -n 20 "$T/log" >&2 2>/dev/null
	echo "$2: not measured ($3)"
	exit 1
}

bench_cleanup() {
	[ -n "$PID" ] && kill $PID 2>/dev/null && wait $PID 2>/dev/null
	docker_cleanup_label roost.node=$NODE >/dev/null 2>&1
	docker_cleanup_label roost.bench=$NODE >/dev/null 2>&1
	rm -rf "$T"
}

med() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

bench_medians() {
	local i
	m=$(med "${lat[@]}")
	me=$(med "${eng[@]}")
	diffs=()
	for i in "${!lat[@]}"; do diffs+=($((lat[i] - eng[i]))); done
	md=$(med "${diffs[@]}")
}

bench_anchor() {
	local out e
	out=$("$BIN/tests/bench_engine" "$@" -n 1 2>&1)
	e=$(echo "$out" | grep -o 'median: [0-9.]*' | awk '{ printf "%.0f", $2 }')
	[ -n "$e" ] || { echo "$out"; return 1; }
	echo "$e"
}

bench_repo() {
	mkdir -p "$T/repo/nodes" "$T/repo/servers" "$T/repo/eggs/bench" &&
	git init -q -b main "$T/repo" &&
	sed "${1:-/^install:/,/^variables:/{/^variables:/!d\}}" \
	    "$ROOST_SRC/eggs/roost/demo.yaml" >"$T/repo/eggs/bench/demo.yaml"
}

bench_node() {
	printf 'name: %s\naddress: 127.0.0.1\nports: %s\n' $NODE \
	    "$(ports_yaml "$@")" >"$T/repo/nodes/$NODE.yaml"
}

bench_server() {
	printf 'name: %s\nowner: "444444444444444444"\nnode: %s\negg: bench/demo\nlimits: { memory: 128 }\nports: { default: %d }\n' \
	    $1 $NODE $2 >"$T/repo/servers/$1.yaml"
}

bench_commit() {
	git -C "$T/repo" add -A &&
	git -C "$T/repo" -c user.name=b -c user.email=b@b commit -qm "$1"
}

bench_roostd_yaml() {
	printf 'node: %s\nrepo: %s/repo\ndataDir: %s/data\napi: %s\npollInterval: 1h\nsftp:\n  enabled: false\n' \
	    $NODE "$T" "$T" "$1" >"$T/roostd.yaml"
}

bench_roostd() {
	"$BIN/roostd" -d -f "$T/roostd.yaml" >"$T/log" 2>&1 &
	PID=$!
}

bench_wait_api() {
	local i
	for i in $(seq 100); do [ -S "$T/api.sock" ] && break; sleep 0.1; done
}

bench_serving() {
	bench_node "$@"
	printf 'name: keep-%s\nowner: "444444444444444444"\nnode: %s\negg: bench/demo\nstate: stopped\nlimits: { memory: 128 }\nports: { default: %d }\n' $TEST_RUN_ID $NODE $1 >"$T/repo/servers/keep-$TEST_RUN_ID.yaml"
	bench_commit init
	bench_roostd_yaml "$T/api.sock"
	bench_roostd
	bench_wait_api
	sleep 3
}

bench_started_at() {
	local s j
	for j in $(seq "$2"); do
		s=$(docker inspect -f '{{.State.StartedAt}}' "$1" 2>/dev/null)
		case $s in ""|0001-*) sleep 0.1 ;; *) date -d "$s" +%s.%N; return 0 ;; esac
	done
	return 1
}
