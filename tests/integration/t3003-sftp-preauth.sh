#!/usr/bin/env bash
# t3003-sftp-preauth: connections that never log in cannot lock others
# out of roost-sftpd. One address holding 1,000 idle connections (opened
# again as they are dropped) meets its per-source cap while a
# login from another address goes through; past MaxStartups' begin the
# listener drops at random, past full always; a connection that does not
# log in is closed after the login grace time. The attacker binds to
# 127.0.0.2 and others, so the caps apply to it and not to the OpenSSH
# client on 127.0.0.1.
. "$(dirname "$0")/../lib/tap.sh"

SUID=34567
ROOT=$TRASH/srv/mc

# sftpd_start NAME ARGS...: starts roost-sftpd on a port the kernel
# chooses; the port is left in $NAME_port, the pid in $NAME_pid.
sftpd_start() {
	local name=$1 port; shift
	roost-sftpd -c "$TRASH/users.json" -l 127.0.0.1:0 -k "$TRASH/hostkey" \
	    -d -v "$@" >"$TRASH/$name.log" 2>&1 &
	eval "${name}_pid=$!"
	test_cleanup "kill $!"
	wait_for 10 grep -q "listening on 127.0.0.1:" "$TRASH/$name.log" || return 1
	port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' \
	    "$TRASH/$name.log" | head -n 1)
	eval "${name}_port=$port"
}

# sftp_key PORT LOGIN BATCH: an OpenSSH sftp batch as LOGIN with the key.
sftp_key() {
	sftp -b "$3" -P "$1" -i "$TRASH/key" -o IdentitiesOnly=yes \
	    -o PasswordAuthentication=no -o StrictHostKeyChecking=no \
	    -o UserKnownHostsFile=/dev/null -o LogLevel=error "$2@127.0.0.1"
}

ssh-keygen -q -t ed25519 -N '' -f "$TRASH/key"
KEY=$(cat "$TRASH/key.pub")
mkdir -p "$ROOT"
echo hello >"$ROOT/hello.txt"
chown -R $SUID:$SUID "$TRASH/srv"
printf '{"servers":[{"name":"mc","root":"%s","uid":%s,"gid":%s,"users":[
 {"user":"alice","keys":["%s"]}]}]}\n' "$ROOT" $SUID $SUID "$KEY" \
    >"$TRASH/users.json"
echo "get hello.txt got.txt" >batch

test_expect_success 'setup: two roost-sftpd, one with a 3 s login grace time' '
	sftpd_start main -g 3 &&
	sftpd_start red -S 1000 -s 5:50:20 &&
	echo "ports $main_port $red_port" &&
	sftp_key $main_port alice.mc batch && test -s got.txt
'

test_expect_success 'logins succeed while one address holds 1,000 idle connections' '
	sftp_flood $main_port 127.0.0.2 1000 hold >flood.out 2>&1 &
	flood=$! &&
	wait_for 60 grep -q "^ready" flood.out &&
	cat flood.out &&
	held=$(sed -n "s/^ready: held \([0-9]*\) .*/\1/p" flood.out) &&
	test "$held" -le 8 &&
	for i in 1 2 3; do
		rm -f got.txt &&
		sftp_key $main_port alice.mc batch && test -s got.txt || {
			kill $flood; return 1; }
	done &&
	kill $flood && wait $flood &&
	cat flood.out &&
	grep -q "dropped, the last from 127.0.0.2: 8 connections from 127.0.0.2 not logged in" "$TRASH/main.log"
'

test_expect_success 'past MaxStartups begin connections are dropped at random, past full all' '
	sftp_flood $red_port 127.0.0.3 200 count >count.out &&
	cat count.out &&
	held=$(sed -n "s/^held \([0-9]*\) dropped \([0-9]*\)$/\1/p" count.out) &&
	dropped=$(sed -n "s/^held \([0-9]*\) dropped \([0-9]*\)$/\2/p" count.out) &&
	test "$held" -ge 5 && test "$held" -le 20 &&
	test $((held + dropped)) -eq 200 &&
	grep -q "connections not logged in (MaxStartups 5:50:20)" "$TRASH/red.log"
'

test_expect_success 'a connection that does not log in is closed after the grace time' '
	sftp_flood $main_port 127.0.0.4 4 grace 20 >grace.out &&
	cat grace.out &&
	ms=$(sed -n "s/^closed 4 of 4 after \([0-9]*\) ms$/\1/p" grace.out) &&
	test "$ms" -ge 2000
'

test_expect_success 'the listener and logins still work afterwards' '
	kill -0 $main_pid && kill -0 $red_pid &&
	rm -f got.txt && sftp_key $red_port alice.mc batch && test -s got.txt
'

test_done
