#!/usr/bin/env bash
# t1001-cli-server: roost server create/set/start/stop/restart/reinstall/
# sftp/delete/history/list on a real state repository with a bare remote:
# commits with the right author and message, pushed, work tree clean;
# invalid and dirty edits refused with nothing committed; a remote that
# moved is caught up with; request ids are idempotent.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/state.sh"

export ROOST_EGGS=${ROOST_EGGS:-$ROOST_SRC/eggs}
A="Alice Admin <alice@example.com>"

clean() {
	test -z "$(git -C work status --porcelain)"
}
synced() {
	test "$(git -C work rev-parse main)" = "$(git -C remote.git rev-parse main)"
}

test_expect_success 'setup: a state repository in a work tree with a bare remote' '
	git init -q --bare remote.git &&
	git clone -q remote.git work 2>/dev/null &&
	make_state work &&
	git -C work add . &&
	git -C work commit -qm "state" &&
	git -C work push -q origin main &&
	node=node-a egg=demo/demo &&
	roost validate --repo work --rev HEAD
'

test_expect_success 'create commits a new server file, pushes, leaves the work tree clean' '
	roost server create mc2 --repo work --author "$A" --egg "$egg" \
	    --node "$node" --memory 1024 --owner 123456789012345678 >out &&
	cat out &&
	test -f work/servers/mc2.yaml &&
	test "$(git -C work log -1 --format="%an <%ae>")" = "$A" &&
	git -C work log -1 --format=%s | grep -q "^roost server create mc2" &&
	git -C work log -1 --format=%B | grep -q "^Roost-Command: server create" &&
	git -C work show HEAD:servers/mc2.yaml | grep -q "memory: 1024" &&
	clean && synced &&
	roost validate --repo work --rev HEAD
'

test_expect_success 'create refuses an existing name and a bad name' '
	before=$(git -C work rev-parse HEAD) &&
	{ roost server create mc2 --repo work --author "$A" --egg "$egg" 2>err; test $? = 1; } &&
	grep -q "already exists" err &&
	{ roost server create "Bad_Name" --repo work --author "$A" --egg "$egg" 2>err; test $? = 1; } &&
	grep -q "not a valid server name" err &&
	test "$(git -C work rev-parse HEAD)" = "$before"
'

test_expect_success 'set changes only the value and says what changed' '
	printf "# kept comment\n" >>work/servers/mc2.yaml &&
	git -C work commit -qam "a comment by hand" &&
	roost server set mc2 memory=2048 --repo work --author "$A" &&
	git -C work log -1 --format=%s >msg &&
	grep -q "roost server set mc2: limits.memory 1024 -> 2048" msg &&
	grep -q "# kept comment" work/servers/mc2.yaml &&
	git -C work show HEAD:servers/mc2.yaml | grep -q "memory: 2048" &&
	test "$(git -C work diff --stat HEAD~1 HEAD | tail -n1 | grep -o "[0-9]* insertion")" = "1 insertion" &&
	clean && synced
'

test_expect_success 'an invalid edit is refused with the validator message, nothing committed' '
	before=$(git -C work rev-parse HEAD) &&
	{ roost server set mc2 memory=1 --repo work --author "$A" 2>err; test $? = 1; } &&
	cat err &&
	grep -E "servers/mc2.yaml:[0-9]+:[0-9]+: error: .*memory" err &&
	test "$(git -C work rev-parse HEAD)" = "$before" &&
	grep -q "memory: 2048" work/servers/mc2.yaml &&
	clean && synced
'

test_expect_success 'an unknown key is refused' '
	{ roost server set mc2 colour=blue --repo work --author "$A" 2>err; test $? = 1; } &&
	grep -q "unknown key" err
'

test_expect_success 'egg variables are set by name and checked against the egg rules' '
	roost server set mc2 GREETING=howdy --repo work --author "$A" &&
	git -C work show HEAD:servers/mc2.yaml | grep -q "GREETING: \"\?howdy" &&
	before=$(git -C work rev-parse HEAD) &&
	{ roost server set mc2 GREETING=this-value-is-far-too-long-for-it --repo work --author "$A" 2>err; test $? = 1; } &&
	grep -E "servers/mc2.yaml:[0-9]+:[0-9]+: error: .*GREETING.*20" err &&
	test "$(git -C work rev-parse HEAD)" = "$before"
'

test_expect_success 'a port outside the node or taken by another server is refused' '
	{ roost server set mc2 port=25565 --repo work --author "$A" 2>err; test $? = 1; } &&
	grep -q "25565" err &&
	{ roost server set mc2 port=30000 --repo work --author "$A" 2>err; test $? = 1; } &&
	grep -q "30000" err &&
	clean
'

test_expect_success 'stop, start, restart and reinstall' '
	roost server stop mc2 --repo work --author "$A" &&
	grep -q "^state: stopped" work/servers/mc2.yaml &&
	git -C work log -1 --format=%s | grep -q "state running -> stopped" &&
	roost server start mc2 --repo work --author "$A" &&
	grep -q "^state: running" work/servers/mc2.yaml &&
	n=$(git -C work rev-list --count HEAD) &&
	roost server start mc2 --repo work --author "$A" >out &&
	grep -q "nothing to change" out &&
	test "$(git -C work rev-list --count HEAD)" = "$n" &&
	roost server restart mc2 --repo work --author "$A" &&
	grep -Eq "^restartedAt: \"?20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:]+Z" work/servers/mc2.yaml &&
	roost server reinstall mc2 --repo work --author "$A" &&
	grep -Eq "^reinstallAt: \"?20[0-9][0-9]-" work/servers/mc2.yaml &&
	clean && synced &&
	roost validate --repo work --rev HEAD
'

test_expect_success 'an edit of a file with local changes is refused' '
	before=$(git -C work rev-parse HEAD) &&
	printf "# my edit\n" >>work/servers/mc2.yaml &&
	{ roost server set mc2 memory=3072 --repo work --author "$A" 2>err; test $? = 1; } &&
	grep -q "uncommitted local changes" err &&
	test "$(git -C work rev-parse HEAD)" = "$before" &&
	grep -q "# my edit" work/servers/mc2.yaml &&
	git -C work checkout -q servers/mc2.yaml && clean
'

test_expect_success 'a remote that moved on is caught up with and the edit re-applied' '
	git clone -q remote.git other &&
	printf "# pushed by someone else\n" >>other/roost.yaml &&
	git -C other commit -qam "someone else" &&
	git -C other push -q origin main &&
	roost server set mc2 memory=3072 --repo work --author "$A" &&
	git -C remote.git log -2 --format=%s main >log &&
	grep -q "roost server set mc2: limits.memory 2048 -> 3072" log &&
	grep -q "someone else" log &&
	grep -q "pushed by someone else" work/roost.yaml &&
	clean && synced
'

test_expect_success 'a request id makes an edit idempotent' '
	roost server set mc2 cpu=150 --repo work --author "$A" --request-id 1178000000000000001 &&
	n=$(git -C work rev-list --count HEAD) &&
	git -C work log -1 --format=%B | grep -q "^Roost-Request: 1178000000000000001" &&
	roost server set mc2 cpu=150 --repo work --author "$A" --request-id 1178000000000000001 >out &&
	grep -q "already done" out &&
	test "$(git -C work rev-list --count HEAD)" = "$n"
'

test_expect_success 'sftp --generate commits only a yescrypt hash and prints the password once' '
	roost server sftp mc2 --user alice --generate --permissions read,write --repo work --author "$A" >out &&
	pw=$(sed -n "s/^password for SFTP user alice.*: //p" out) &&
	test ${#pw} -ge 20 &&
	grep -q "\\\$y\\\$" work/servers/mc2.yaml &&
	! grep -q "$pw" work/servers/mc2.yaml &&
	! git -C work log -p | grep -q "$pw" &&
	roost validate --repo work --rev HEAD &&
	clean && synced
'

test_expect_success 'sftp --password-stdin, --key and --remove' '
	echo "correct horse battery" | roost server sftp mc2 --user bob --password-stdin --repo work --author "$A" &&
	grep -q "bob" work/servers/mc2.yaml &&
	! grep -q "correct horse" work/servers/mc2.yaml &&
	ssh-keygen -q -t ed25519 -N "" -f key -C bob@laptop &&
	roost server sftp mc2 --user bob --key key.pub --repo work --author "$A" &&
	grep -q "bob@laptop" work/servers/mc2.yaml &&
	roost validate --repo work --rev HEAD &&
	roost server sftp mc2 --user bob --remove --repo work --author "$A" &&
	! grep -q "bob@laptop" work/servers/mc2.yaml &&
	grep -q "alice" work/servers/mc2.yaml &&
	clean && synced
'

test_expect_success 'history lists the commits of the file with their authors' '
	roost server history mc2 --repo work >out &&
	cat out &&
	grep -q "Alice Admin <alice@example.com>  roost server set mc2: limits.memory 2048 -> 3072" out &&
	grep -q "roost server create mc2" out &&
	! grep -q "someone else" out
'

test_expect_success 'list shows the servers at the tip' '
	roost server list --repo work >out &&
	grep -q "^mc2 " out
'

test_expect_success 'delete removes the file and pushes' '
	roost server delete mc2 --repo work --author "$A" &&
	test ! -e work/servers/mc2.yaml &&
	! git -C remote.git cat-file -e main:servers/mc2.yaml 2>/dev/null &&
	git -C work log -1 --format=%s | grep -q "^roost server delete mc2" &&
	clean && synced &&
	{ roost server stop mc2 --repo work --author "$A" 2>err; test $? = 1; } &&
	grep -q "does not exist" err
'

test_expect_success 'edits of a bare repository work without a work tree' '
	git clone -q --bare remote.git bare.git &&
	roost server create mc3 --repo bare.git --remote "" --author "$A" --egg "$egg" --owner 123456789012345678 &&
	git -C bare.git show main:servers/mc3.yaml | grep -q "egg:"
'

test_expect_success 'every command and subcommand answers -h and --help with its usage on stdout, exit 0, nothing committed' '
	head=$(git -C work rev-parse HEAD) &&
	for c in validate plan status logs console "egg" "egg import" "egg list" \
	    server "server create" "server set" "server start" "server backup" \
	    "server restore" "server move" "server sftp" "server member" \
	    "server history" "server revert" "server list" "server limits" \
	    "server schedules" schedule "schedule next" secret "secret seal" \
	    "secret reseal" node "node pubkey"; do
		for h in -h --help; do
			(cd work && roost $c $h >../out 2>../err) &&
			grep -q "^usage: roost ${c%% *}" out &&
			test ! -s err || { echo "roost $c $h"; cat out err; return 1; }
		done
	done &&
	(cd work && roost server create x --egg demo/demo --help >../out) &&
	grep -q "^usage: roost server create" out &&
	(cd work && roost logs demo --help >../out) &&
	grep -q "^usage: roost logs" out &&
	test "$(git -C work rev-parse HEAD)" = "$head" &&
	{ roost validate --bogus 2>err >out; test $? = 2; } &&
	grep -q "^usage: roost validate" err && test ! -s out
'

test_done
