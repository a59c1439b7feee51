#!/usr/bin/env bash
# run.sh: runs roost's test suite and prints one closing line
# "N passed, N failed, N skipped".
#
#   tests/run.sh [--unit|--integration] [BUILD_DIR] [PATTERN]
#
# Unit tests are the cmocka binaries in BUILD_DIR/tests (TAP output);
# integration tests are tests/integration/t*.sh (TAP, git t/ style).
# PATTERN limits the run to tests whose file name contains it.
set -u
cd "$(dirname "$0")/.." || exit 2
mode=all
case "${1:-}" in
--unit) mode=unit; shift ;;
--integration) mode=integration; shift ;;
esac
O=${1:-build}
pattern=${2:-}
export ROOST_BUILD=$(cd "$O" && pwd)
export ROOST_SRC=$(pwd)
export CMOCKA_MESSAGE_OUTPUT=TAP
passed=0 failed=0 skipped=0
failures=()
logdir=$O/test-logs
mkdir -p "$logdir"

# Tests of every run on this machine share one Docker engine: each holds
# the engine lock shared, and a test that restarts the engine (a line
# "# roost-test: restarts-engine" in it) holds it alone, so it never
# pulls the engine from under another run's test. flock -o: the programs
# a test leaves running (dockerd after a restart) do not keep the lock.
ENGINE_LOCK=${ROOST_ENGINE_LOCK:-/tmp/roost-docker-engine.lock}

# Docker tests run against a real engine with the offline demo image.
if ! flock -o -s "$ENGINE_LOCK" bash -c '. tests/lib/docker.sh &&
    docker_ensure && demo_image_ensure' >"$logdir/demo-image.log" 2>&1; then
	cat "$logdir/demo-image.log" 2>/dev/null
	echo "run.sh: no docker engine or demo image; the docker tests cannot run" >&2
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi

# tally NAME LOGFILE STATUS: counts the TAP lines of one test program.
tally() {
	local name=$1 log=$2 status=$3 p f s plan seen
	p=$(grep -cE '^ok [0-9]+' "$log" | tr -d ' ')
	s=$(grep -ciE '^ok [0-9]+.*# skip' "$log" | tr -d ' ')
	# cmocka reports a skipped test as "not ok N # SKIP name".
	sn=$(grep -ciE '^not ok [0-9]+.*# skip' "$log" | tr -d ' ')
	f=$(grep -cE '^not ok [0-9]+' "$log" | tr -d ' ')
	p=$((p - s))
	f=$((f - sn))
	s=$((s + sn))
	plan=$(grep -oE '^1\.\.[0-9]+' "$log" | head -n1 | cut -d. -f3)
	seen=$((p + s + f))
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=$((f + 1))
		echo "  $name: exited with status $status"
	elif [ -n "$plan" ] && [ "$plan" -ne "$seen" ] && [ "$plan" -ne 0 ]; then
		f=$((f + 1))
		echo "  $name: planned $plan tests, ran $seen"
	fi
	if [ "$plan" = "0" ]; then
		grep -E '^1\.\.0' "$log" | sed "s/^/  $name: /"
		s=$((s + 1))
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	[ "$f" -eq 0 ] || failures+=("$name")
	printf '%-40s %4d passed, %d failed, %d skipped\n' "$name" "$p" "$f" "$s"
	grep -E '^not ok' "$log" | grep -viE '# skip' | sed 's/^/    /'
}

# run_one NAME -s|-x CMD...: runs one test program under the engine lock.
run_one() {
	local name=$1 log=$logdir/$1.log lock=$2; shift 2
	local limit=${ROOST_TEST_TIMEOUT:-900}
	flock -o "$lock" "$ENGINE_LOCK" timeout -k 10 "$limit" "$@" >"$log" 2>&1
	tally "$name" "$log" $?
}

if [ "$mode" != integration ]; then
	for t in "$O"/tests/test_*; do
		[ -x "$t" ] || continue
		case "$t" in *.o|*.d) continue ;; esac
		n=$(basename "$t")
		[ -z "$pattern" ] || [[ $n == *"$pattern"* ]] || continue
		run_one "$n" -s "$t"
	done
fi
if [ "$mode" != unit ]; then
	for t in tests/integration/t[0-9]*.sh; do
		[ -f "$t" ] || continue
		n=$(basename "$t" .sh)
		[ -z "$pattern" ] || [[ $n == *"$pattern"* ]] || continue
		lock=-s
		! grep -q '^# roost-test: restarts-engine' "$t" || lock=-x
		run_one "$n" $lock bash "$t"
	done
fi
if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]} (logs in $logdir)"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
