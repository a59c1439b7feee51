# tap.sh: a small test library for roost's integration scripts, in the
# manner of git's t/test-lib.sh. Source it, call tests, end with test_done.
#
#   . "$ROOST_SRC/tests/lib/tap.sh"
#   test_expect_success 'roost validate accepts the example' '
#           roost validate --repo "$ROOST_SRC/state-example"
#   '
#   test_done
#
# Each script runs in its own trash directory ($TRASH, also the working
# directory), removed at the end unless a test failed or ROOST_KEEP=1,
# with its own $HOME inside it. The built programs are first on PATH.
# Ports come from free_port / free_ports and engine-wide names carry
# $TEST_RUN_ID (tests/lib/ports.sh), so two runs never meet.
set -u
: "${ROOST_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${ROOST_BUILD:=$ROOST_SRC/build}"
export ROOST_SRC ROOST_BUILD
export PATH="$ROOST_BUILD:$ROOST_BUILD/tests:$PATH"
export GIT_AUTHOR_NAME="Test Author" GIT_AUTHOR_EMAIL="author@example.com"
export GIT_COMMITTER_NAME="Test Committer" GIT_COMMITTER_EMAIL="committer@example.com"
. "$ROOST_SRC/tests/lib/ports.sh"

TAP_NAME=$(basename "$0" .sh)
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/roost-$TAP_NAME.XXXXXX")
export TRASH
cd "$TRASH" || exit 1
# A $HOME of its own: git's global config and ssh's files are per run.
export GIT_CONFIG_NOSYSTEM=1 HOME=$TRASH/.home
mkdir -p "$HOME"
git config --global init.defaultBranch main 2>/dev/null
git config --global user.name "Test User" 2>/dev/null
git config --global user.email "test@example.com" 2>/dev/null
git config --global protocol.file.allow always 2>/dev/null
tap_n=0 tap_failed=0
tap_cleanups=()

# test_cleanup CMD: runs CMD when the script ends, last registered first.
test_cleanup() {
	tap_cleanups=("$1" "${tap_cleanups[@]}")
}

tap_run_cleanups() {
	local c
	for c in "${tap_cleanups[@]}"; do
		eval "$c" >/dev/null 2>&1
	done
	tap_cleanups=()
}
trap 'tap_run_cleanups' EXIT

# test_expect_success DESCRIPTION BODY: evals BODY in the script's shell
# (variables it sets stay set), from $TRASH; chain commands with && so the
# first failure fails the test. Output is shown only when it fails.
test_expect_success() {
	local desc=$1 body=$2 rc
	tap_n=$((tap_n + 1))
	cd "$TRASH" || return 1
	eval "$body" >"$TRASH/.test-output" 2>&1
	rc=$?
	cd "$TRASH" || return 1
	if [ $rc -eq 0 ]; then
		echo "ok $tap_n - $desc"
	else
		tap_failed=$((tap_failed + 1))
		echo "not ok $tap_n - $desc"
		tail -n 40 "$TRASH/.test-output" | sed 's/^/#   /'
	fi
}

# test_expect_failure DESCRIPTION BODY: BODY must fail.
test_expect_failure() {
	test_expect_success "$1" "! { $2
}"
}

# test_skip DESCRIPTION REASON: records a skipped test.
test_skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # skip $2"
}

# test_done: prints the plan and removes the trash directory.
test_done() {
	echo "1..$tap_n"
	tap_run_cleanups
	if [ "$tap_failed" -eq 0 ] && [ "${ROOST_KEEP:-0}" != 1 ]; then
		cd / && rm -rf "$TRASH"
	else
		echo "# trash directory kept: $TRASH"
	fi
	[ "$tap_failed" -eq 0 ]
	exit $?
}

# wait_for SECONDS CMD...: retries CMD every 0.1 s until it succeeds.
wait_for() {
	local limit=$1 i=0; shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt $((limit * 10)) ] || return 1
		sleep 0.1
	done
}
