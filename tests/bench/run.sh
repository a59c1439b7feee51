#!/usr/bin/env bash
# run.sh: "make bench". Runs every benchmark tool ($O/tests/bench_*) and
# every tests/bench/bench_*.sh and sftp.sh, and prints their result lines
# together. Each benchmark measures its anchor in the same run.
set -u
cd "$(dirname "$0")/../.."
O=${1:-build}
export ROOST_SRC=$(pwd) ROOST_BUILD=$(cd "$O" && pwd) ROOST_EGGS=$(pwd)/eggs
. tests/lib/docker.sh
docker_ensure && demo_image_ensure >/dev/null || exit 1
results=()
run() {
	local name=$1; shift
	echo "== $name"
	out=$("$@" 2>&1)
	echo "$out"
	results+=("$name: $(echo "$out" | tail -n 1)")
}
run bench_state "$O/tests/bench_state"
run bench_parse "$O/tests/bench_parse"
# the 100,000-server repository is built once (git fast-import) and kept
run bench_gitstate "$O/tests/bench_gitstate" -d "${ROOST_BENCH_GITREPO:-$ROOST_BUILD/bench-gitstate.git}"
run bench_eggs "$O/tests/bench_eggs" eggs tests/data/eggs-corpus
run bench_engine "$O/tests/bench_engine" -n 7
run bench_sched "$O/tests/bench_sched"
# the bot's benchmarks run it against the fake Discord (python3-websockets)
if /usr/bin/python3 -c "import websockets" 2>/dev/null; then
	run bench_bot_ack "$O/tests/bench_bot_ack"
	run bench_bot_commit "$O/tests/bench_bot_commit"
else
	results+=("bench_bot_ack, bench_bot_commit: skipped (no python3-websockets; make bootstrap)")
fi
for b in tests/bench/bench_*.sh; do
	[ -f "$b" ] && run "$(basename "$b" .sh)" bash "$b" "$O"
done
[ "${ROOST_BENCH_SFTP:-1}" = 1 ] && run sftp bash tests/bench/sftp.sh "$O"
echo
echo "== summary"
printf '%s\n' "${results[@]}"
