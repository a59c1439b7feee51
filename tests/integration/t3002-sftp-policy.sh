#!/usr/bin/env bash
# t3002-sftp-policy: what roost-sftpd enforces beyond the sandbox: the
# egg's file denylist, the disk limit on every write (also across two
# sessions at once), read-only users, sessions ended when their user
# leaves the users file, the idle timeout, the cap on sessions per user,
# and throttling and locking after repeated failed logins.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/sftp.sh"

read -r PORT PORT_T < <(free_ports 2 | xargs)
PW_PORT=$PORT_T
SUID=34567
ROOT=$TRASH/srv/mc
ROOT_Q=$TRASH/srv/q
LIMIT=$((2 * 1024 * 1024))

# session_start NAME LOGIN: an sftp session fed from a fifo; its pid in
# $NAME_pid, its command stream on the file descriptor in $NAME_fd.
session_start() {
	mkfifo "$TRASH/$1.fifo" || return 1
	exec sftp -b "$TRASH/$1.fifo" -P "$PORT" -i "$TRASH/key" \
	    -o IdentitiesOnly=yes -o PasswordAuthentication=no \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -o LogLevel=error "$2@127.0.0.1" >"$TRASH/$1.out" 2>&1 &
	eval "$1_pid=$!"
	exec {fd}>"$TRASH/$1.fifo"
	eval "$1_fd=$fd"
	echo pwd >&$fd
}

# ssh_alive PID: the ssh transport of the sftp process PID still runs.
ssh_alive() {
	pgrep -P "$1" -x ssh >/dev/null
}

# usage: apparent size of the regular files of the quota server.
usage() {
	find "$ROOT_Q" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}'
}

ssh-keygen -q -t ed25519 -N '' -f "$TRASH/key"
KEY=$(cat "$TRASH/key.pub")
HASH=$(sftp_attack hash 'right one')
mkdir -p "$ROOT/plugins" "$ROOT/config" "$ROOT/logs" "$ROOT_Q"
echo jar >"$ROOT/server.jar"
echo jar >"$ROOT/plugins/p.jar"
echo secret >"$ROOT/config/secret.yml"
echo fine >"$ROOT/config/fine.yml"
echo log >"$ROOT/logs/latest.log"
echo ok >"$ROOT/readme.txt"
head -c $((1024 * 1024)) /dev/urandom >"$ROOT_Q/world.dat"
chown -R $SUID:$SUID "$TRASH/srv"

SRV_MC='{"name":"mc","root":"'$ROOT'","uid":'$SUID',"gid":'$SUID',
 "denylist":["*.jar","!allowed.jar","config/secret.yml","logs/"],"users":[
 {"user":"alice","password":"'$HASH'","keys":["'$KEY'"],"permissions":["read","write","delete"]},
 {"user":"bob","password":"'$HASH'","keys":["'$KEY'"],"permissions":["read","write","delete"]},
 {"user":"carol","keys":["'$KEY'"],"permissions":["read"]}]}'
SRV_Q='{"name":"q","root":"'$ROOT_Q'","uid":'$SUID',"gid":'$SUID',"diskLimitMiB":2,
 "users":[{"user":"alice","keys":["'$KEY'"],"permissions":["read","write","delete"]}]}'
printf '{"servers":[%s,%s]}\n' "$SRV_MC" "$SRV_Q" >"$TRASH/users.json"

roost-sftpd -c "$TRASH/users.json" -l 127.0.0.1:$PORT -k "$TRASH/hostkey" \
    -t 3 -m 2 -d -v >"$TRASH/sftpd.log" 2>&1 &
SFTPD=$!
test_cleanup "kill $SFTPD"
roost-sftpd -c "$TRASH/users.json" -l 127.0.0.1:$PORT_T -k "$TRASH/hostkey" \
    -b 50 -z 60 -d -v >"$TRASH/sftpd-t.log" 2>&1 &
SFTPD_T=$!
test_cleanup "kill $SFTPD_T"
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT"
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT_T"

test_expect_success 'denylisted files cannot be read, written, renamed or removed' '
	for line in "get server.jar x1" "get plugins/p.jar x2" \
	    "get config/secret.yml x3" "get logs/latest.log x4" \
	    "put $TRASH/askpass new.jar" "put $TRASH/askpass plugins/new.jar" \
	    "put $TRASH/askpass logs/new.txt" "rm server.jar" \
	    "rename server.jar server.txt" "rename readme.txt readme.jar" \
	    "rename config/secret.yml config/open.yml" "mkdir logs/sub" \
	    "chmod 777 server.jar"; do
		printf "%s\n" "$line" >b &&
		if sftp_key alice.mc b >/dev/null 2>&1; then
			echo "allowed: $line"; return 1
		fi
	done &&
	! ls x? 2>/dev/null &&
	test -e "$ROOT/server.jar" && test -e "$ROOT/readme.txt" &&
	test ! -e "$ROOT/new.jar" && test ! -e "$ROOT/readme.jar" &&
	grep -q "refused: user .alice. server .mc. from 127.0.0.1: open ./server.jar.: the file is on the server.s denylist" "$TRASH/sftpd.log"
'

test_expect_success 'files the denylist does not match stay usable' '
	printf "get config/fine.yml f1\nput $TRASH/askpass allowed.jar\nput $TRASH/askpass notes.txt\nrename notes.txt notes2.txt\n" >b &&
	sftp_key alice.mc b &&
	test -s f1 && test -e "$ROOT/allowed.jar" && test -e "$ROOT/notes2.txt"
'

test_expect_success 'an upload past the disk limit fails with the message, without overshoot' '
	head -c $((1536 * 1024)) /dev/urandom >big.dat &&
	printf "put big.dat big.dat\n" >b &&
	! sftp_key alice.q b &&
	u=$(usage) && echo "usage $u of $LIMIT" &&
	test "$u" -le $((LIMIT + 256 * 1024)) &&
	grep -q "refused: user .alice. server .q. from 127.0.0.1: write ./big.dat.: disk limit of 2 MiB reached" "$TRASH/sftpd.log" &&
	! sftp_attack put $PORT alice.q "$TRASH/key" big.dat big2.dat >put.out &&
	cat put.out && grep -q "disk limit of 2 MiB reached" put.out &&
	test "$(usage)" -le $((LIMIT + 256 * 1024))
'

test_expect_success 'space freed by rm can be used again' '
	printf "rm big.dat\nrm big2.dat\n" >b &&
	sftp_key alice.q b &&
	head -c $((900 * 1024)) /dev/urandom >fits.dat &&
	printf "put fits.dat fits.dat\n" >b &&
	sftp_key alice.q b &&
	cmp fits.dat "$ROOT_Q/fits.dat"
'

test_expect_success 'df shows the disk limit as the size' '
	printf "df\n" >b &&
	sftp_key alice.q b >df.out && cat df.out &&
	test "$(tail -n 1 df.out | awk "{print \$1}")" = 2048 &&
	test "$(tail -n 1 df.out | awk "{print \$3}")" -lt 200
'

test_expect_success 'two sessions writing at once share one limit' '
	printf "rm fits.dat\n" >b && sftp_key alice.q b &&
	head -c $((700 * 1024)) /dev/urandom >p1.dat &&
	head -c $((700 * 1024)) /dev/urandom >p2.dat &&
	printf "put p1.dat p1.dat\n" >b1 && printf "put p2.dat p2.dat\n" >b2 &&
	sftp_key alice.q b1 >o1 2>&1 &
	s1=$!
	sftp_key alice.q b2 >o2 2>&1 &
	s2=$!
	wait $s1; r1=$?; wait $s2; r2=$?;
	u=$(usage) && echo "usage $u of $LIMIT, results $r1 $r2" &&
	test "$u" -le $((LIMIT + 256 * 1024)) &&
	test $r1 -ne 0 -o $r2 -ne 0
'

test_expect_success 'a read-only user can download but not change anything' '
	printf "get readme.txt ro.txt\nls\n" >b &&
	sftp_key carol.mc b && cmp ro.txt "$ROOT/readme.txt" &&
	for line in "put $TRASH/askpass ro-new.txt" "rm readme.txt" \
	    "rename readme.txt moved.txt" "mkdir rodir" "chmod 600 readme.txt" \
	    "ln -s readme.txt rolink"; do
		printf "%s\n" "$line" >b &&
		if sftp_key carol.mc b >/dev/null 2>&1; then
			echo "allowed: $line"; return 1
		fi
	done &&
	test -e "$ROOT/readme.txt" && test ! -e "$ROOT/ro-new.txt" &&
	test ! -e "$ROOT/rodir" && test ! -e "$ROOT/moved.txt" &&
	test "$(stat -c %a "$ROOT/readme.txt")" = 644 &&
	grep -q "refused: user .carol. server .mc. from 127.0.0.1: open for writing ./ro-new.txt.: user has no write permission" "$TRASH/sftpd.log"
'

test_expect_success 'a user removed from the users file loses the session within two seconds' '
	session_start s1 bob.mc &&
	wait_for 5 grep -q "login: user .bob. server .mc." "$TRASH/sftpd.log" &&
	ssh_alive $s1_pid &&
	printf "{\"servers\":[%s]}\n" "$SRV_Q" >"$TRASH/users.json.new" &&
	mv "$TRASH/users.json.new" "$TRASH/users.json" &&
	wait_for 2 eval "! ssh_alive $s1_pid" &&
	grep -q "ending session of .bob.mc. from 127.0.0.1: user removed" "$TRASH/sftpd.log" &&
	(echo "get readme.txt late.txt" >&$s1_fd) 2>/dev/null;
	exec {s1_fd}>&- && ! wait $s1_pid && test ! -e late.txt &&
	printf "{\"servers\":[%s,%s]}\n" "$SRV_MC" "$SRV_Q" >"$TRASH/users.json.new" &&
	mv "$TRASH/users.json.new" "$TRASH/users.json"
'

test_expect_success 'no more than two sessions per user at once' '
	sleep 1 &&
	session_start s2 alice.mc && session_start s3 alice.mc &&
	wait_for 5 eval "grep -q Remote.working $TRASH/s2.out && grep -q Remote.working $TRASH/s3.out" &&
	echo ls >b && ! sftp_key alice.mc b &&
	grep -q "login .alice.mc. from 127.0.0.1 refused: too many sessions" "$TRASH/sftpd.log" &&
	sftp_key bob.mc b
'

test_expect_success 'idle sessions are closed after the idle timeout' '
	wait_for 8 eval "! ssh_alive $s2_pid && ! ssh_alive $s3_pid" &&
	grep -q "user .alice. server .mc. from 127.0.0.1: idle for 3 s, closing" "$TRASH/sftpd.log" &&
	exec {s2_fd}>&- {s3_fd}>&-; wait $s2_pid $s3_pid; true
'

test_expect_success 'repeated failed logins are slowed down, then locked' '
	echo ls >b &&
	sftp_pw alice.mc "right one" b &&
	start=$(date +%s%N) &&
	for i in 1 2 3 4 5 6 7 8 9 10; do
		! sftp_pw alice.mc "wrong $i" b || return 1
	done &&
	took=$(( ($(date +%s%N) - start) / 1000000 )) && echo "10 failures took $took ms" &&
	test $took -ge 6000 &&
	grep -q "waiting 3200 ms after failures" "$TRASH/sftpd-t.log" &&
	! sftp_pw alice.mc "right one" b &&
	grep -q "failed login: .alice.mc. from 127.0.0.1: locked after repeated failures" "$TRASH/sftpd-t.log"
'

test_expect_success 'the lock holds per address and per user' '
	echo ls >b &&
	! sftp_pw bob.mc "right one" b &&
	BIND=127.0.0.2 sftp_pw bob.mc "right one" b &&
	! BIND=127.0.0.2 sftp_pw alice.mc "right one" b
'

test_done
