#!/usr/bin/env bash
# t3005-sftp-roostd: roostd's roost-sftpd across roostd's own deaths.
# kill -9 of roostd takes roost-sftpd along and frees the port; the next
# roostd serves the users of the current revision within seconds; a
# roost-sftpd that an earlier roostd left behind (here: stopped, so it
# cannot act on its parent's death) is found through the pidfile under
# dataDir and stopped so that the port can be taken again; a pidfile
# naming another program, or a roost-sftpd of another data directory, is
# left alone. The Docker socket is absent on purpose: SFTP does not need
# the engine, and nothing here touches a real one.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/roostd.sh"

NODE=t3005
read -r GAMEPORT < <(free_ports 1 | xargs)
PIDFILE=$TRASH/data/sftp/roost-sftpd.pid
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# gone PID: no such process, or only a zombie (it has no program).
gone() {
	! readlink "/proc/$1/exe" >/dev/null 2>&1
}
port_free() {
	! bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null
}
# sftp_key LOGIN: lists / as LOGIN with the test key.
sftp_key() {
	echo ls >"$TRASH/ls.batch"
	sftp -b "$TRASH/ls.batch" -P "$PORT" -i "$TRASH/key" \
	    -o IdentitiesOnly=yes -o PasswordAuthentication=no \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -o ConnectTimeout=5 -o LogLevel=error "$1@127.0.0.1"
}
# server_file USER...: the server mc with these SFTP users, committed.
server_file() {
	local u
	{
		server_yaml mc "$GAMEPORT" stopped 50
		echo "sftp:"
		for u in "$@"; do
			printf '  - user: %s\n    keys: ["%s"]\n' "$u" "$KEY"
		done
	} >repo/servers/mc.yaml &&
	git -C repo add -A && git -C repo commit -q -m "users: $*"
}

# kill_ours: ends every roost-sftpd serving this test's users file, so
# that none outlives a failed run.
kill_ours() {
	local p
	for p in /proc/[0-9]*; do
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null |
		    grep -qF -- "-c $TRASH/data/sftp/users.json" || continue
		kill -CONT "${p#/proc/}"; kill "${p#/proc/}"
	done
	true
}

STALE= SLEEPER= OTHER=
test_cleanup 'stop_roostd; kill_ours; kill $SLEEPER $OTHER 2>/dev/null'

ssh-keygen -q -t ed25519 -N '' -f "$TRASH/key"
KEY=$(cat "$TRASH/key.pub")

test_expect_success 'setup: a node whose server has SFTP users' '
	mkdir -p repo/nodes repo/servers data/volumes/mc &&
	chown 999:999 data/volumes/mc &&
	git init -q -b main repo &&
	printf "name: %s\naddress: 127.0.0.1\nports: [%s]\n" $NODE $GAMEPORT \
	    >repo/nodes/$NODE.yaml &&
	server_file alice &&
	cat >roostd.yaml <<-EOF2
	node: $NODE
	repo: $TRASH/repo
	dataDir: $TRASH/data
	api: $API
	dockerSocket: $TRASH/no-docker.sock
	pollInterval: 1h
	sftp:
	  enabled: true
	  listen: 127.0.0.1:$PORT
	EOF2
'

test_expect_success 'roostd starts roost-sftpd and writes its pidfile' '
	start_roostd &&
	wait_for 20 sftp_key alice.mc &&
	pid=$(cat "$PIDFILE") && echo "roost-sftpd $pid" &&
	test "$(basename "$(readlink /proc/$pid/exe)")" = roost-sftpd
'

test_expect_success 'kill -9 of roostd takes roost-sftpd along and frees the port' '
	pid=$(cat "$PIDFILE") &&
	kill -9 $ROOSTD && wait $ROOSTD;
	wait_for 5 gone $pid && wait_for 5 port_free
'

test_expect_success 'the next roostd serves the current users within seconds' '
	server_file bob &&
	start_roostd &&
	wait_for 5 sftp_key bob.mc &&
	! sftp_key alice.mc
'

test_expect_success 'a roost-sftpd left behind is stopped and its port taken' '
	STALE=$(cat "$PIDFILE") &&
	kill -STOP $STALE &&
	kill -9 $ROOSTD && wait $ROOSTD;
	sleep 0.5 && ! gone $STALE &&
	server_file carol &&
	start_roostd &&
	wait_for 10 sftp_key carol.mc &&
	gone $STALE && ! sftp_key bob.mc &&
	grep "stopping roost-sftpd pid $STALE left running by an earlier roostd" roostd.log
'

test_expect_success 'a pidfile naming another program or data directory is left alone' '
	stop_roostd && test ! -e "$PIDFILE" &&
	{ sleep 300 & SLEEPER=$!; } &&
	echo "{\"servers\":[]}" >other.json &&
	{ roost-sftpd -c "$TRASH/other.json" -l 127.0.0.1:0 -k "$TRASH/otherkey" \
	    -d >other.log 2>&1 & OTHER=$!; } &&
	wait_for 10 grep -q "listening on" other.log &&
	echo $SLEEPER >"$PIDFILE" && start_roostd && wait_for 10 sftp_key carol.mc &&
	stop_roostd && echo $OTHER >"$PIDFILE" && start_roostd &&
	wait_for 10 sftp_key carol.mc &&
	! gone $SLEEPER && ! gone $OTHER
'

test_done
