#!/usr/bin/env bash
# t2200-console: the console on a real Docker engine with two demo
# servers: commands through the API and the CLI reach the server's stdin
# and their output comes back; logs and follow; the egg's stop command
# typed there is no crash; line breaks, 513 bytes, control characters and
# a stopped server are refused and nothing reaches the server; the
# per-user rate limit; the audit log has one entry per command with the
# Unix user of the socket's peer; a member of the socket's group may use
# it and others may not; a server printing 1,000,000 lines is throttled,
# roostd's memory stays bounded and the other server still answers.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/docker.sh"
. "$ROOST_SRC/tests/lib/roostd.sh"

SA=t2200-a-$TEST_RUN_ID SB=t2200-b-$TEST_RUN_ID
read -r PORT1 PORT2 < <(free_ports 2 | xargs)

server_file() {	# server_file NAME PORT [STATE]
	server_yaml "$1" "$2" "${3:-running}" 100 >"repo/servers/$1.yaml"
}
post() {	# post NAME JSON: prints the HTTP status, the body in post.out
	curl -s -o post.out -w "%{http_code}" --unix-socket "$API" \
	    -H "Content-Type: application/json" --data-binary "$2" \
	    "http://x/v1/servers/$1/command"
}
logs() {	# logs NAME [QUERY]
	curl -sf --unix-socket "$API" "http://x/v1/servers/$1/logs?lines=1000${2:-}"
}
engine_log() {	# what the container printed, from the engine's own log
	docker logs "roost-$1" 2>&1
}
rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$ROOSTD/status"
}
audit_count() {
	if [ -f data/audit.log ]; then wc -l <data/audit.log; else echo 0; fi
}

test_cleanup 'kill $ROOSTD 2>/dev/null; wait $ROOSTD 2>/dev/null; docker_cleanup_label roost.node=$NODE'

test_expect_success 'setup: two demo servers on node t2200' '
	docker_ensure && demo_image_ensure &&
	chmod 711 "$TRASH" &&
	mkdir -p repo/nodes repo/servers &&
	git init -q -b main repo &&
	printf "name: $NODE\naddress: 127.0.0.1\nports: [$PORT1, $PORT2]\n" >repo/nodes/$NODE.yaml &&
	server_file $SA $PORT1 && server_file $SB $PORT2 &&
	commit "two servers" &&
	cat >roostd.yaml <<-EOF2 &&
	node: $NODE
	repo: $TRASH/repo
	dataDir: $TRASH/data
	api: $API
	apiGroup: nogroup
	pollInterval: 1h
	stopTimeout: 5s
	sftp:
	  enabled: false
	console:
	  commandLimit: 20
	  commandWindow: 1m
	EOF2
	roostd -n -f roostd.yaml &&
	{ roostd -d -f roostd.yaml >>roostd.log 2>&1 & ROOSTD=$!; } &&
	wait_for 20 test -S "$API" &&
	wait_phase $SA Running 60 && wait_phase $SB Running 60
'

test_expect_success 'the socket belongs to the configured group, mode 0660' '
	test "$(stat -c %G:%a "$API")" = nogroup:660
'

test_expect_success 'a command through the API reaches stdin and its output comes back' '
	test "$(post $SA "{\"line\":\"say hello-from-api\"}")" = 200 &&
	json "d[\"who\"]" <post.out | grep -x unix:root &&
	after=$(json "d[\"after\"]" <post.out) &&
	wait_for 10 sh -c "docker logs roost-$SA 2>&1 | grep -qx hello-from-api" &&
	wait_for 10 sh -c "curl -sf --unix-socket $API \"http://x/v1/servers/$SA/logs?lines=50\" | grep -qx hello-from-api" &&
	logs $SA "&format=json" >l.json &&
	json "[l[\"line\"] for l in d[\"lines\"] if l[\"seq\"] > $after]" <l.json | grep hello-from-api
'

test_expect_success 'roost console -c sends one line and prints what follows' '
	roost console $SA --api "$API" -c "say hello-from-cli" >out 2>err &&
	grep -x hello-from-cli out &&
	engine_log $SA | grep -qx hello-from-cli &&
	roost console $SA --api "$API" -c "motd Console MOTD" -w 1 >out &&
	grep -x "MOTD set to: Console MOTD" out &&
	wait_for 10 sh -c "curl -sf http://127.0.0.1:$PORT1/ | grep -q \"Console MOTD\""
'

test_expect_success 'roost logs shows the tail, follows new lines, strips ANSI on request' '
	roost logs $SA --api "$API" -n 3 >tail &&
	test "$(wc -l <tail)" = 3 &&
	roost logs $SA --api "$API" -n 100 | grep -x hello-from-cli &&
	{ roost logs $SA --api "$API" -f -n 0 >follow 2>&1 & FPID=$!; } &&
	sleep 0.5 &&
	roost console $SA --api "$API" -c "say followed-line" -w 0 &&
	wait_for 10 grep -qx followed-line follow &&
	kill $FPID && wait $FPID 2>/dev/null;
	grep -qx followed-line follow &&
	logs $SA "&ansi=0" | grep -q "Demo server ready"
'

test_expect_success 'interactive roost console: typed lines go in, output streams, Ctrl-D leaves' '
	mkfifo in &&
	{ timeout 60 roost console $SA --api "$API" <in >iout 2>ierr & CPID=$!; } &&
	exec 3>in &&
	printf "say typed-one\n" >&3 &&
	wait_for 10 grep -qx typed-one iout &&
	printf "say typed-two\n" >&3 &&
	wait_for 10 grep -qx typed-two iout &&
	exec 3>&- &&
	wait $CPID
'

test_expect_success 'line breaks, 513 bytes and control characters are refused; nothing reaches the server' '
	before=$(engine_log $SA | wc -l) && at=$(started $SA) &&
	n0=$(audit_count) &&
	test "$(post $SA "{\"line\":\"say smuggle-a\\r\\nsay smuggled-1\"}")" = 400 &&
	grep "line break" post.out &&
	test "$(post $SA "{\"line\":\"say smuggle-b\\nsay smuggled-2\"}")" = 400 &&
	test "$(post $SA "{\"line\":\"say smuggle-c\\rsay smuggled-3\"}")" = 400 &&
	test "$(post $SA "{\"line\":\"say \\u001b[31msmuggled-4\"}")" = 400 &&
	grep "U+001B" post.out &&
	test "$(post $SA "{\"line\":\"say smuggle-d\\u0000stop\"}")" = 400 &&
	test "$(post $SA "{\"line\":\"say smuggle-e\\u0085smuggled-5\"}")" = 400 &&
	test "$(post $SA "{\"line\":\"\"}")" = 400 &&
	long="say $(head -c 509 /dev/zero | tr "\\0" x)" && test ${#long} = 513 &&
	test "$(post $SA "{\"line\":\"$long\"}")" = 400 &&
	grep "513 bytes" post.out &&
	ok="say $(head -c 508 /dev/zero | tr "\\0" y)" && test ${#ok} = 512 &&
	test "$(post $SA "{\"line\":\"$ok\"}")" = 200 &&
	test "$(post $SA "not json")" = 400 &&
	! roost console $SA --api "$API" -c "$(printf "say a\033[1mb")" 2>err &&
	grep "control character" err &&
	wait_for 10 sh -c "docker logs roost-$SA 2>&1 | grep -qx ${ok#say }" &&
	! engine_log $SA | grep -E "smuggle|Unknown command" &&
	test "$(started $SA)" = "$at" &&
	test $(($(audit_count) - n0)) = 1
'

test_expect_success 'a stopped or unknown server is refused with a clear error' '
	server_file $SB $PORT2 stopped && commit "stop b" &&
	wait_phase $SB Stopped 30 &&
	n0=$(audit_count) &&
	test "$(post $SB "{\"line\":\"say nobody-hears\"}")" = 409 &&
	grep "is not running" post.out &&
	! roost console $SB --api "$API" -c "say nobody-hears" 2>err &&
	grep "$SB: server \"$SB\" is not running" err &&
	test "$(post nosuch "{\"line\":\"say x\"}")" = 404 &&
	test "$(audit_count)" = "$n0" &&
	server_file $SB $PORT2 && commit "start b" &&
	wait_phase $SB Running 30 &&
	! engine_log $SB | grep nobody-hears
'

test_expect_success 'the rate limit holds per user (20 per minute here)' '
	n0=$(audit_count) &&
	for i in $(seq 0 19); do
		test "$(post $SB "{\"line\":\"say rate-$i\",\"who\":\"discord:555\"}")" = 200 || break
		echo sent $i
	done >sent && test "$(wc -l <sent)" = 20 &&
	test "$(post $SB "{\"line\":\"say rate-over\",\"who\":\"discord:555\"}")" = 429 &&
	grep "rate limited" post.out &&
	curl -s -D hdr -o /dev/null --unix-socket "$API" -H "Content-Type: application/json" \
	    --data-binary "{\"line\":\"say rate-over\",\"who\":\"discord:555\"}" \
	    http://x/v1/servers/$SB/command &&
	grep -i "^Retry-After: [1-9]" hdr &&
	test "$(post $SB "{\"line\":\"say other-user\",\"who\":\"discord:556\"}")" = 200 &&
	test $(($(audit_count) - n0)) = 21 &&
	wait_for 10 sh -c "docker logs roost-$SB 2>&1 | grep -qx other-user" &&
	! engine_log $SB | grep rate-over
'

test_expect_success 'a member of the socket group may type, as itself; others may not' '
	n0=$(audit_count) &&
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    roost console $SB --api "$API" -c "say from-nobody" >out 2>err &&
	grep -x from-nobody out &&
	test $(($(audit_count) - n0)) = 1 &&
	tail -n 1 data/audit.log | json "d[\"who\"], d[\"server\"], d[\"line\"]" |
	    grep -x "unix:nobody $SB say from-nobody" &&
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    curl -s -o /dev/null -w "%{http_code}" --unix-socket "$API" \
	    --data-binary "{\"line\":\"say x\",\"who\":\"unix:root\"}" \
	    http://x/v1/servers/$SB/command >code &&
	test "$(cat code)" = 403 &&
	! setpriv --reuid=daemon --regid=daemon --clear-groups \
	    roost console $SB --api "$API" -c "say from-daemon" 2>err &&
	grep "roost: cannot reach roostd" err && grep "usermod -aG roost" err &&
	! setpriv --reuid=daemon --regid=daemon --clear-groups \
	    roost logs $SB --api "$API" &&
	test $(($(audit_count) - n0)) = 1 &&
	test "$(stat -c %a data/audit.log)" = 640
'

test_expect_success 'the audit log has exactly one JSON line per accepted command' '
	/usr/bin/python3 - data/audit.log <<-EOF2
	import json, sys
	rows = [json.loads(l) for l in open(sys.argv[1])]
	lines = [r["line"] for r in rows]
	assert all(set(r) == {"time", "server", "who", "line"} for r in rows), rows
	for want in ["say hello-from-api", "say hello-from-cli", "motd Console MOTD",
	             "say followed-line", "say typed-one", "say typed-two",
	             "say from-nobody", "say other-user"]:
	    assert lines.count(want) == 1, (want, lines)
	assert not any("smuggle" in l or "nobody-hears" in l or "rate-over" in l for l in lines), lines
	assert sum(1 for l in lines if l.startswith("say rate-")) == 20, lines
	assert [r["who"] for r in rows if r["line"] == "say other-user"] == ["discord:556"]
	assert [r["who"] for r in rows if r["line"] == "say hello-from-cli"] == ["unix:root"]
	EOF2
'

test_expect_success 'the stop command typed in the console stops the server, not counted as a crash' '
	at=$(started $SB) &&
	roost console $SB --api "$API" -c stop -w 1 >out &&
	grep -x "Stopping demo server" out &&
	wait_for 30 sh -c "test \"\$(docker inspect -f {{.State.StartedAt}} roost-$SB)\" != \"$at\"" &&
	wait_phase $SB Running 30 &&
	roost status --api "$API" --format json $SB >st.json &&
	json "d[\"crashes\"][\"recent\"]" <st.json | grep -x 0 &&
	json "d[\"container\"][\"restarts\"]" <st.json | grep -x 0 &&
	tail -n 1 data/audit.log | json "d[\"line\"]" | grep -x stop
'

flood_watch() {	# samples roostd's RSS and probes $SB until the flood ends
	local max=$1 i=0 answered=0 r
	# The line after the flood may be throttled away: ask the engine's log.
	while ! docker logs --tail 5 roost-$SA 2>&1 | grep -qx flood-finished; do
		r=$(rss_kb); [ "$r" -gt "$max" ] && max=$r
		if [ $answered = 0 ]; then
			post $SB "{\"line\":\"say still-here\",\"who\":\"probe\"}" >/dev/null &&
			wait_for 5 sh -c "curl -sf --unix-socket $API \"http://x/v1/servers/$SB/logs?lines=20\" | grep -qx still-here" &&
			answered=1
		fi
		i=$((i + 1))
		[ $i -lt 1800 ] || { echo "the flood did not end"; return 1; }
		sleep 0.1
	done
	echo "$max $answered"
}

test_expect_success 'a flood of 1,000,000 lines is throttled, memory stays bounded, the other server answers' '
	rss0=$(rss_kb) &&
	test "$(post $SA "{\"line\":\"flood 1000000\",\"who\":\"flood\"}")" = 200 &&
	test "$(post $SA "{\"line\":\"say flood-finished\",\"who\":\"flood\"}")" = 200 &&
	read -r max answered < <(flood_watch $rss0) &&
	echo "roostd rss before ${rss0} kB, at most ${max} kB during the flood" &&
	test "$answered" = 1 &&
	test $((max - rss0)) -lt 32768 &&
	# A line printed within 100 ms of the last throttled flood lines is
	# dropped with them (docs/roostd.md): wait until roostd has closed that
	# window, which its last line then says, before typing again.
	wait_for 20 sh -c "curl -sf --unix-socket $API \"http://x/v1/servers/$SA/logs?lines=1\" |
	    grep -qxE \"\\[roost\\] [0-9]+ lines dropped: .*|flood-finished\"" &&
	test "$(post $SA "{\"line\":\"say after-flood\",\"who\":\"flood\"}")" = 200 &&
	wait_for 20 sh -c "curl -sf --unix-socket $API \"http://x/v1/servers/$SA/logs?lines=20\" | grep -qx after-flood" &&
	logs $SA "&format=json" >flood.json &&
	json "len(d[\"lines\"])" <flood.json >count && test "$(cat count)" -le 1000 &&
	logs $SA | grep -E "^\[roost\] [0-9]+ lines dropped: the server printed more than 2000 lines in 100 ms" &&
	test "$(phase $SA)" = Running
'

test_done
