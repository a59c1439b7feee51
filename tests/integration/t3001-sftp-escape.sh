#!/usr/bin/env bash
# t3001-sftp-escape: no way out of a server directory. Traversal, absolute
# paths, symlinks and hard links planted behind the server's back, a
# directory swapped for a symlink while files move, long paths and names
# holding NUL bytes or newlines: every attempt is refused and nothing
# outside the server directory changes. Outside files are owned by the
# server's uid, so only the sandbox (not file permissions) keeps them safe.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/sftp.sh"

PORT=$(free_port)
SUID=34567
ROOT=$TRASH/srv/mc
ROOT_B=$TRASH/srv/other
OUT=$TRASH/outside

# snapshot: names, modes, sizes and contents of everything outside.
snapshot() {
	(cd "$TRASH" && find outside srv/other -printf '%p %m %s %n\n' | sort &&
	 find outside srv/other -type f -exec md5sum {} + | sort) &&
	ls -la /etc | md5sum
}

ssh-keygen -q -t ed25519 -N '' -f "$TRASH/key"
mkdir -p "$ROOT/sub" "$ROOT/swap" "$ROOT/race.real" "$ROOT_B" "$OUT/sub"
echo "hello" >"$ROOT/hello.txt"
echo "inside" >"$ROOT/race.real/secret"
echo "TOPSECRET-OUTSIDE" >"$OUT/secret"
echo "TOPSECRET-LINKED" >"$OUT/linked"
echo "b only" >"$ROOT_B/b.txt"
ln -s /etc "$ROOT/etc_link"
ln -s "$OUT/secret" "$ROOT/abs_secret"
ln -s ../../outside/secret "$ROOT/rel_secret"
ln -s "$OUT" "$ROOT/dir_link"
ln -s "$ROOT_B" "$ROOT/other_link"
ln -s "$OUT/newfile" "$ROOT/dangling"
ln "$OUT/linked" "$ROOT/hl"
chown -R $SUID:$SUID "$TRASH/srv" "$OUT"
chmod -R a+rwX "$OUT"
KEY=$(cat "$TRASH/key.pub")
printf '{"servers":[%s,%s]}\n' \
    '{"name":"mc","root":"'$ROOT'","uid":'$SUID',"gid":'$SUID',"diskLimitMiB":1024,"users":[{"user":"alice","keys":["'"$KEY"'"]}]}' \
    '{"name":"other","root":"'$ROOT_B'","uid":'$SUID',"gid":'$SUID',"users":[]}' \
    >"$TRASH/users.json"
snapshot >"$TRASH/before"

roost-sftpd -c "$TRASH/users.json" -l 127.0.0.1:$PORT -k "$TRASH/hostkey" \
    -d -v >"$TRASH/sftpd.log" 2>&1 &
SFTPD=$!
test_cleanup "kill $SFTPD"
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT"

# attempt DESC BATCH-LINE [LEAK]: one sftp command that must fail, or,
# with LEAK, whose output must not show LEAK (sftp's ls prints the name
# it was given when it cannot list it).
cli_refused=0 cli_total=0
attempt() {
	cli_total=$((cli_total + 1))
	printf '%s\n' "$2" >batch
	if [ -n "${3:-}" ]; then
		sftp_key alice.mc batch >attempt.out 2>&1
		! grep -q "$3" attempt.out
	else
		! sftp_key alice.mc batch >/dev/null 2>&1
	fi
	if [ $? -ne 0 ]; then
		echo "ESCAPED (sftp): $1"
	else
		cli_refused=$((cli_refused + 1))
		echo "refused (sftp): $1"
	fi
}

test_expect_success 'the OpenSSH sftp client cannot get out' '
	attempt "get ../../outside/secret" "get ../../outside/secret got1" &&
	attempt "get /../../etc/passwd" "get /../../etc/passwd got2" &&
	attempt "get absolute outside path" "get $OUT/secret got3" &&
	attempt "get etc_link/passwd" "get etc_link/passwd got4" &&
	attempt "get abs_secret" "get abs_secret got5" &&
	attempt "get rel_secret" "get rel_secret got6" &&
	attempt "get hl (hard link)" "get hl got7" &&
	attempt "put into dir_link" "put $TRASH/before dir_link/pwned" &&
	attempt "put over abs_secret" "put $TRASH/before abs_secret" &&
	attempt "put into etc_link" "put $TRASH/before etc_link/roost-pwned" &&
	attempt "ls dir_link" "ls -l dir_link/" secret &&
	attempt "ls etc_link" "ls -l etc_link/" passwd &&
	attempt "ls ../.." "ls -l ../.." outside &&
	attempt "cd other_link" "cd other_link" &&
	attempt "rm other_link/b.txt" "rm other_link/b.txt" &&
	attempt "rename into dir_link" "rename hello.txt dir_link/moved" &&
	attempt "ln -s /etc/shadow" "ln -s /etc/shadow sh" &&
	attempt "mkdir dir_link/x" "mkdir dir_link/x" &&
	attempt "chmod 777 abs_secret" "chmod 777 abs_secret" &&
	echo "sftp client: $cli_refused of $cli_total refused" &&
	test $cli_total -ge 19 && test $cli_refused -eq $cli_total &&
	! ls got* 2>/dev/null
'

test_expect_success 'libssh client and raw packets: at least 30 more attempts refused' '
	sftp_attack attack $PORT alice.mc "$TRASH/key" "$OUT" >attack.out;
	rc=$? && cat attack.out &&
	n=$(sed -n "s/^attacks: \([0-9]*\) refused: \([0-9]*\)$/\1 \2/p" attack.out) &&
	read total refused <<<"$n" && echo "attacks $total, refused $refused" &&
	test "$total" -ge 30 && test "$total" = "$refused" && test $rc = 0 &&
	! grep -q ESCAPED attack.out
'

test_expect_success 'every refusal is logged with user, server and reason' '
	grep -q "refused: user .alice. server .mc. from 127.0.0.1: open ./abs_secret.: path leads outside" "$TRASH/sftpd.log" &&
	grep -q "refused: user .alice. server .mc. from 127.0.0.1: open ./hl.: the file has other hard links" "$TRASH/sftpd.log" &&
	grep -q "refused: user .alice. server .mc. .*control character" "$TRASH/sftpd.log"
'

test_expect_success 'a directory swapped for a symlink while reading never leaks' '
	( for i in $(seq 1 400); do
		ln -sfn "$OUT" "$ROOT/race.tmp" && mv -T "$ROOT/race.tmp" "$ROOT/race"
		ln -sfn race.real "$ROOT/race.tmp" && mv -T "$ROOT/race.tmp" "$ROOT/race"
	  done ) &
	swapper=$! &&
	sftp_attack race $PORT alice.mc "$TRASH/key" race/secret TOPSECRET 400 >race.out;
	rc=$?; kill $swapper 2>/dev/null; wait $swapper 2>/dev/null;
	cat race.out && test $rc = 0 &&
	grep -q " 0 leaks" race.out &&
	! grep -q " 0 inside reads" race.out
'

test_expect_success 'a directory swapped for a symlink during an upload' '
	head -c 100000000 /dev/zero >big.bin &&
	printf "put big.bin swap/big.bin\n" >b1 &&
	( sftp_key alice.mc b1 >/dev/null 2>&1 ) &
	up=$! &&
	wait_for 10 test -s "$ROOT/swap/big.bin" &&
	mv "$ROOT/swap" "$ROOT/swap.real" && ln -s "$OUT" "$ROOT/swap" &&
	wait $up;
	test ! -e "$OUT/big.bin" &&
	test -e "$ROOT/swap.real/big.bin" &&
	printf "put big.bin swap/again.bin\n" >b2 &&
	! sftp_key alice.mc b2 &&
	test ! -e "$OUT/again.bin"
'

test_expect_success 'nothing outside the server directory changed' '
	snapshot >"$TRASH/after" &&
	diff "$TRASH/before" "$TRASH/after" &&
	test ! -e /etc/roost-pwned &&
	grep -q TOPSECRET-OUTSIDE "$OUT/secret"
'

test_done
