#!/usr/bin/env bash
# t3000-sftp-basic: roost-sftpd with OpenSSH's own sftp client: host key,
# login by password and by key, upload, download, rename, mkdir, rm, ls,
# ownership of new files, wrong passwords, one server's user kept out of
# another server, everything but the sftp subsystem refused, users file
# reloaded on change.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/sftp.sh"

read -r PORT RFWD < <(free_ports 2 | xargs)
SUID=34567
ROOT_A=$TRASH/srv/mc
ROOT_B=$TRASH/srv/other

# sftpd_users: writes the users file from a JSON "servers" list.
sftpd_users() {
	printf '{"servers":[%s]}\n' "$1" >"$TRASH/users.json.tmp" &&
	mv "$TRASH/users.json.tmp" "$TRASH/users.json"
}

ssh-keygen -q -t ed25519 -N '' -C alice@test -f "$TRASH/key"
ssh-keygen -q -t ed25519 -N '' -C mallory@test -f "$TRASH/key2"
mkdir -p "$ROOT_A" "$ROOT_B"
echo "hello from mc" >"$ROOT_A/hello.txt"
echo "b only" >"$ROOT_B/b.txt"
chown -R $SUID:$SUID "$TRASH/srv"
HASH=$(sftp_attack hash 's3cret pass')
HASH6=$(openssl passwd -6 'sha512 pass')
KEY=$(cat "$TRASH/key.pub")
SRV_A='{"name":"mc","root":"'$ROOT_A'","uid":'$SUID',"gid":'$SUID',"users":[
 {"user":"alice","password":"'$HASH'","keys":["'$KEY'"],"permissions":["read","write","delete"]},
 {"user":"carol","password":"'$HASH6'","permissions":["read"]}]}'
SRV_B='{"name":"other","root":"'$ROOT_B'","uid":'$SUID',"gid":'$SUID',"users":[
 {"user":"bob","password":"'$HASH'","keys":[],"permissions":["read","write","delete"]}]}'
SRV_B2='{"name":"other","root":"'$ROOT_B'","uid":'$SUID',"gid":'$SUID',"users":[
 {"user":"bob","password":"'$HASH'"},{"user":"dave","password":"'$HASH'"}]}'
sftpd_users "$SRV_A,$SRV_B"

roost-sftpd -c "$TRASH/users.json" -l 127.0.0.1:$PORT -k "$TRASH/hostkey" \
    -d -v >"$TRASH/sftpd.log" 2>&1 &
SFTPD=$!
test_cleanup "kill $SFTPD"

test_expect_success 'roost-sftpd listens and makes a private ed25519 host key' '
	wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" &&
	test "$(stat -c %a "$TRASH/hostkey")" = 600 &&
	ssh-keygen -l -f "$TRASH/hostkey" | grep -q ED25519
'

test_expect_success 'the host key is kept across restarts' '
	before=$(ssh-keygen -l -f "$TRASH/hostkey") &&
	ssh-keyscan -p $PORT -t ed25519 127.0.0.1 2>/dev/null >scan1 &&
	grep -q ssh-ed25519 scan1 &&
	kill $SFTPD && wait $SFTPD;
	roost-sftpd -c "$TRASH/users.json" -l 127.0.0.1:$PORT \
	    -k "$TRASH/hostkey" -d -v >>"$TRASH/sftpd.log" 2>&1 &
	SFTPD=$! &&
	test_cleanup "kill $SFTPD" &&
	wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" &&
	ssh-keyscan -p $PORT -t ed25519 127.0.0.1 2>/dev/null >scan2 &&
	test "$(ssh-keygen -l -f "$TRASH/hostkey")" = "$before" &&
	cmp scan1 scan2
'

test_expect_success 'login by yescrypt password lists the server directory' '
	echo ls -l >b1 &&
	sftp_pw alice.mc "s3cret pass" b1 >out &&
	grep -q "hello.txt" out &&
	grep -q "login: user .alice. server .mc. from 127.0.0.1 by password" "$TRASH/sftpd.log"
'

test_expect_success 'login by sha512-crypt password' '
	echo "get hello.txt carol.txt" >b2 &&
	sftp_pw carol.mc "sha512 pass" b2 &&
	cmp carol.txt "$ROOT_A/hello.txt"
'

test_expect_success 'login by public key; upload and download keep the bytes' '
	head -c 3000000 /dev/urandom >up.bin &&
	printf "put up.bin\nget up.bin down.bin\nls -l\n" >b3 &&
	sftp_key alice.mc b3 >out &&
	cmp up.bin "$ROOT_A/up.bin" &&
	cmp up.bin down.bin &&
	grep -q "by public key" "$TRASH/sftpd.log"
'

test_expect_success 'new files belong to the server uid and gid' '
	test "$(stat -c %u:%g "$ROOT_A/up.bin")" = "$SUID:$SUID"
'

test_expect_success 'mkdir, rename, rm, rmdir and ls act on the server directory' '
	cat >b4 <<-EOT &&
	mkdir plugins
	rename up.bin plugins/moved.bin
	ls plugins
	mkdir gone
	rmdir gone
	put up.bin again.bin
	rm again.bin
	EOT
	sftp_key alice.mc b4 >out &&
	grep -q "plugins/moved.bin" out &&
	cmp up.bin "$ROOT_A/plugins/moved.bin" &&
	test ! -e "$ROOT_A/up.bin" &&
	test ! -e "$ROOT_A/gone" &&
	test ! -e "$ROOT_A/again.bin"
'

test_expect_success 'the server directory is presented as /' '
	printf "pwd\ncd plugins\npwd\ncd ..\ncd ..\npwd\n" >b5 &&
	sftp_key alice.mc b5 >out &&
	grep -q "Remote working directory: /\$" out &&
	grep -q "Remote working directory: /plugins\$" out &&
	test "$(grep -c "Remote working directory: /\$" out)" = 2
'

test_expect_success 'chmod and touch times work, chown does not' '
	printf "chmod 600 hello.txt\n" >b6 &&
	sftp_key alice.mc b6 &&
	test "$(stat -c %a "$ROOT_A/hello.txt")" = 600 &&
	touch -d "2020-01-02 03:04:05 UTC" stamp.txt &&
	printf "put -p stamp.txt\n" >b7 &&
	sftp_key alice.mc b7 &&
	test "$(stat -c %Y "$ROOT_A/stamp.txt")" = "$(stat -c %Y stamp.txt)" &&
	printf "chown 0 hello.txt\n" >b8 &&
	! sftp_key alice.mc b8 &&
	test "$(stat -c %u "$ROOT_A/hello.txt")" = $SUID
'

test_expect_success 'a wrong password is refused and logged with the reason' '
	echo ls >b9 &&
	! sftp_pw alice.mc "not it" b9 &&
	grep -q "failed login: user .alice. server .mc. from 127.0.0.1: wrong password" "$TRASH/sftpd.log"
'

test_expect_success 'an unknown user, a bare name and an unlisted key are refused' '
	! sftp_pw nobody.mc "s3cret pass" b9 &&
	! sftp_pw alice "s3cret pass" b9 &&
	! sftp -b b9 -P $PORT -i "$TRASH/key2" -o IdentitiesOnly=yes \
	    -o PasswordAuthentication=no -o StrictHostKeyChecking=no \
	    -o UserKnownHostsFile=/dev/null -o LogLevel=error alice.mc@127.0.0.1 &&
	grep -q "no such user" "$TRASH/sftpd.log"
'

test_expect_success 'a user of server mc cannot reach server other' '
	! sftp_pw alice.other "s3cret pass" b9 &&
	! sftp_key alice.other b9 &&
	printf "ls $ROOT_B\n" >b10 &&
	! sftp_key alice.mc b10 &&
	printf "get $ROOT_B/b.txt stolen.txt\n" >b11 &&
	! sftp_key alice.mc b11 && test ! -e stolen.txt &&
	echo "get b.txt mine.txt" >b12 &&
	sftp_pw bob.other "s3cret pass" b12 && grep -q "b only" mine.txt
'

test_expect_success 'exec, shell and forwarding are refused' '
	sshopts="-p $PORT -i $TRASH/key -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=error" &&
	! timeout 10 ssh $sshopts alice.mc@127.0.0.1 "cat /etc/passwd" </dev/null >exec.out &&
	! grep -q root: exec.out &&
	! timeout 10 ssh -tt $sshopts alice.mc@127.0.0.1 </dev/null >shell.out 2>&1 &&
	! timeout 10 ssh $sshopts -W 127.0.0.1:$PORT alice.mc@127.0.0.1 </dev/null >fwd.out 2>&1 &&
	! grep -q SSH- fwd.out &&
	! timeout 10 ssh $sshopts -N -o ExitOnForwardFailure=yes \
	    -R $RFWD:127.0.0.1:$PORT alice.mc@127.0.0.1 </dev/null >rfwd.out 2>&1 &&
	grep -q "remote port forwarding failed" rfwd.out &&
	grep -q "refused: user .alice. server .mc. from 127.0.0.1: exec" "$TRASH/sftpd.log"
'

test_expect_success 'a user added to the users file can log in within a second' '
	! sftp_pw dave.other "s3cret pass" b9 &&
	sftpd_users "$SRV_A,$SRV_B2" &&
	sleep 1 &&
	sftp_pw dave.other "s3cret pass" b9
'

test_expect_success 'SIGHUP re-reads the users file' '
	printf "{\"servers\":[$SRV_A]}\n" >"$TRASH/users.json" &&
	kill -HUP $SFTPD && sleep 0.5 &&
	! sftp_pw dave.other "s3cret pass" b9 &&
	sftp_pw alice.mc "s3cret pass" b9
'

test_expect_success 'a users file written by sftpd_users_write serves its user' '
	mkdir -p "$TRASH/srv/api" && echo api >"$TRASH/srv/api/api.txt" &&
	chown -R $SUID:$SUID "$TRASH/srv/api" &&
	sftp_attack users-write "$TRASH/users.json" api "$TRASH/srv/api" \
	    $SUID $SUID 100 erin "$HASH" "$TRASH/key.pub" read,write &&
	test "$(stat -c %a "$TRASH/users.json")" = 600 &&
	sleep 1 &&
	printf "get api.txt api-copy.txt\n" >b13 &&
	sftp_key erin.api b13 && grep -q api api-copy.txt &&
	sftp_pw erin.api "s3cret pass" b13 &&
	printf "rm api.txt\n" >b14 && ! sftp_key erin.api b14 &&
	printf "put up.bin x.jar\n" >b15 && ! sftp_key erin.api b15 &&
	! sftp_key alice.mc b13 &&
	! sftp_attack users-write "$TRASH/users.json" "bad.name" "$TRASH/srv/api" \
	    $SUID $SUID 0 erin "$HASH" "$TRASH/key.pub" read
'

test_done
