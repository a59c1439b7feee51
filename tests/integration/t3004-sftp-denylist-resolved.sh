#!/usr/bin/env bash
# t3004-sftp-denylist-resolved: the egg's denylist is judged where the
# kernel finds a file, not by the name the client gave. Symlinks planted
# by the game (to a denied file, to a denied directory, to the directory
# holding one) and made by the user over SFTP, and renames of a denied
# file's parent directory, must not let a denied file be read, written,
# removed, moved or changed; a symlink cannot be put where an anchored
# pattern reaches. Files the denylist does not name stay usable through
# the same links.
. "$(dirname "$0")/../lib/tap.sh"

SUID=34567
ROOT=$TRASH/srv/mc

# sftpd_start: roost-sftpd on a port the kernel chooses, left in $PORT.
sftpd_start() {
	roost-sftpd -c "$TRASH/users.json" -l 127.0.0.1:0 -k "$TRASH/hostkey" \
	    -d -v >"$TRASH/sftpd.log" 2>&1 &
	test_cleanup "kill $!"
	wait_for 10 grep -q "listening on 127.0.0.1:" "$TRASH/sftpd.log" || return 1
	PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' \
	    "$TRASH/sftpd.log" | head -n 1)
}

sftp_key() {
	sftp -b "$2" -P "$PORT" -i "$TRASH/key" -o IdentitiesOnly=yes \
	    -o PasswordAuthentication=no -o StrictHostKeyChecking=no \
	    -o UserKnownHostsFile=/dev/null -o LogLevel=error "$1@127.0.0.1"
}

# refused LINE...: every sftp command line, run alone, must fail.
refused() {
	local line
	for line in "$@"; do
		printf "%s\n" "$line" >b &&
		if sftp_key alice.mc b >/dev/null 2>&1; then
			echo "allowed: $line"; return 1
		fi
	done
}

ssh-keygen -q -t ed25519 -N '' -f "$TRASH/key"
KEY=$(cat "$TRASH/key.pub")
mkdir -p "$ROOT/config" "$ROOT/logs" "$ROOT/data/world/keys" "$ROOT/mine"
echo TOPSECRET >"$ROOT/config/secret.yml"
echo fine >"$ROOT/config/fine.yml"
echo LOGSECRET >"$ROOT/logs/latest.log"
echo KEYSECRET >"$ROOT/data/world/keys/key.pem"
echo jar >"$ROOT/server.jar"
echo mine >"$ROOT/mine/notes.txt"
# What a game can do inside its own directory.
ln -s config/secret.yml "$ROOT/innocent.txt"
ln -s config "$ROOT/cfglink"
ln -s logs "$ROOT/l"
ln -s data/world "$ROOT/w"
chown -R -h $SUID:$SUID "$TRASH/srv"
printf '{"servers":[{"name":"mc","root":"%s","uid":%s,"gid":%s,
 "denylist":["*.jar","config/secret.yml","config/ops.yml","logs/",
  "data/**/key.pem","secrets/db.yml"],
 "users":[{"user":"alice","keys":["%s"]}]}]}\n' "$ROOT" $SUID $SUID "$KEY" \
    >"$TRASH/users.json"

# nothing_leaked: no secret came down and the denied files are untouched.
nothing_leaked() {
	! grep -rqs -e TOPSECRET -e LOGSECRET -e KEYSECRET "$TRASH"/got* &&
	test "$(cat "$ROOT/config/secret.yml")" = TOPSECRET &&
	test "$(cat "$ROOT/logs/latest.log")" = LOGSECRET &&
	test "$(cat "$ROOT/data/world/keys/key.pem")" = KEYSECRET &&
	test "$(stat -c %a "$ROOT/config/secret.yml")" = 644
}

test_expect_success 'setup' '
	sftpd_start && echo "port $PORT" &&
	echo "get config/fine.yml got0" >b && sftp_key alice.mc b &&
	test "$(cat got0)" = fine && rm got0
'

test_expect_success 'a symlink the game made to a denied file does not open it' '
	refused "get innocent.txt got1" "put $TRASH/b innocent.txt" \
	    "chmod 666 innocent.txt" &&
	nothing_leaked &&
	grep -q "refused: user .alice. server .mc. from 127.0.0.1: open ./innocent.txt.: the file is on the server.s denylist as ./config/secret.yml." "$TRASH/sftpd.log"
'

test_expect_success 'symlinks the game made to directories do not reach denied files' '
	refused "get cfglink/secret.yml got2" "get l/latest.log got3" \
	    "get w/keys/key.pem got4" "put $TRASH/b cfglink/secret.yml" \
	    "rm cfglink/secret.yml" "rename cfglink/secret.yml moved.yml" \
	    "rename w/keys/key.pem moved.pem" "chmod 666 cfglink/secret.yml" \
	    "mkdir l/sub" "put $TRASH/b l/new.txt" "put $TRASH/b cfglink/ops.yml" &&
	nothing_leaked && test ! -e "$ROOT/moved.yml" && test ! -e "$ROOT/moved.pem" &&
	test ! -e "$ROOT/logs/sub" && test ! -e "$ROOT/logs/new.txt" &&
	test ! -e "$ROOT/config/ops.yml"
'

test_expect_success 'a symlink the user makes to a directory does not reach denied files' '
	echo "ln -s config c" >b && sftp_key alice.mc b &&
	test -L "$ROOT/c" &&
	refused "get c/secret.yml got5" "put $TRASH/b c/secret.yml" \
	    "rm c/secret.yml" "rename c/secret.yml c/open.yml" \
	    "chmod 600 c/secret.yml" "put $TRASH/b c/ops.yml" &&
	nothing_leaked && test ! -e "$ROOT/config/open.yml" &&
	test ! -e "$ROOT/config/ops.yml"
'

test_expect_success 'a denied file'"'"'s parent directory cannot be renamed' '
	refused "rename config cfg" "rename data d2" "rename data/world w2" \
	    "rename cfglink/../config cfg" "rename c/../data/world w3" &&
	test -d "$ROOT/config" && test -d "$ROOT/data/world" &&
	test ! -e "$ROOT/cfg" && test ! -e "$ROOT/d2" && test ! -e "$ROOT/w2" &&
	refused "get cfg/secret.yml got6" "get d2/world/keys/key.pem got7" &&
	nothing_leaked &&
	grep -q "refused: user .alice. server .mc. from 127.0.0.1: rename ./config.: renaming ./config. would take files of the server.s denylist out of its reach" "$TRASH/sftpd.log"
'

test_expect_success 'no symlink where an anchored pattern reaches, made or moved there' '
	refused "ln -s mine secrets" "ln -s ../mine cfglink/../secrets" &&
	echo "ln -s mine m2" >b && sftp_key alice.mc b &&
	refused "rename m2 secrets" &&
	test ! -e "$ROOT/secrets" && test -L "$ROOT/m2"
'

test_expect_success 'files the denylist does not name stay usable through links' '
	printf "%s\n" "get c/fine.yml got8" "get cfglink/fine.yml got9" \
	    "rename mine mine2" "ln -s mine2/notes.txt n" "get n got10" \
	    "put $TRASH/b c/new.txt" "rename c/new.txt c/new2.txt" \
	    "rm c/new2.txt" >b &&
	sftp_key alice.mc b &&
	test "$(cat got8)" = fine && test "$(cat got9)" = fine &&
	test "$(cat got10)" = mine && test ! -e "$ROOT/config/new2.txt" &&
	nothing_leaked
'

test_done
