#!/usr/bin/env bash
# t4003-backup-sftp: a server's backups seen over SFTP with OpenSSH's sftp.
# A user with the read permission finds /.backups in the server's root,
# lists the finished backups there (archive and record), downloads an
# archive whose SHA-256 is the one its record names and which unpacks to
# the server's files; nothing under /.backups can be written, removed,
# renamed or changed, and a directory the game itself called .backups is
# hidden by the view, not served. A user without read sees nothing.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/docker.sh"
. "$ROOST_SRC/tests/lib/roostd.sh"
. "$ROOST_SRC/tests/lib/backup.sh"

read -r PORT SFTPPORT < <(free_ports 2 | xargs)
test_cleanup 'stop_roostd; docker_cleanup_label roost.node=$NODE'

ssh-keygen -q -t ed25519 -N '' -f "$TRASH/key"
KEY=$(cat "$TRASH/key.pub")

# sftp_as USER BATCH: runs the sftp batch commands as USER.$S.
sftp_as() {
	printf '%s\n' "$2" >"$TRASH/batch"
	sftp -b "$TRASH/batch" -P "$SFTPPORT" -i "$TRASH/key" \
	    -o IdentitiesOnly=yes -o PasswordAuthentication=no \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -o ConnectTimeout=5 -o LogLevel=error "$1.$S@127.0.0.1"
}

test_expect_success 'setup: a server with SFTP users, a local target and two backups' '
	docker_ensure && demo_image_ensure &&
	roostd_repo $NODE $S $PORT &&
	cat >>repo/servers/$S.yaml <<-EOF &&
	state: stopped
	backups: { target: local, keep: 5 }
	sftp:
	  - { user: reader, keys: ["$KEY"], permissions: [read] }
	  - { user: owner, keys: ["$KEY"], permissions: [read, write, delete] }
	  - { user: blind, keys: ["$KEY"], permissions: [write] }
	EOF
	git -C repo commit -qam "sftp users and backups" &&
	cat >roostd.yaml <<-EOF &&
	node: $NODE
	repo: $TRASH/repo
	dataDir: $TRASH/data
	api: $API
	pollInterval: 1h
	sftp:
	  listen: 127.0.0.1:$SFTPPORT
	backups:
	  targets:
	    local: { type: local, path: $TRASH/backups }
	EOF
	start_roostd &&
	wait_phase $S Stopped 60 &&
	mkdir -p "$VOL/world" "$VOL/.backups" &&
	echo "the world" >"$VOL/world/level.dat" &&
	echo "the game wrote this" >"$VOL/.backups/game-file" &&
	chown -R "$CUID:$CUID" "$VOL" &&
	roost server backup $S --note one --repo repo --remote "" &&
	wait_for 60 listed 1 &&
	roost server backup $S --note two --repo repo --remote "" &&
	wait_for 60 listed 2 &&
	wait_for 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SFTPPORT" 2>/dev/null
'

test_expect_success 'the root lists .backups; it lists each backup and its record, read-only' '
	sftp_as reader "ls -1a /" >root.out && cat root.out &&
	grep -qx "/\.backups" root.out &&
	sftp_as reader "ls -l /.backups" >ls.out && cat ls.out &&
	for id in $(bk "\" \".join(b[\"id\"] for b in d[\"list\"])"); do
		grep -q " $id\.tar\.zst$" ls.out &&
		grep -q " $id\.json$" ls.out || return 1
	done &&
	test "$(grep -c "^-r--r--r--" ls.out)" = 4 &&
	! grep -q game-file ls.out
'

test_expect_success 'a download is the archive its record describes and holds the server files' '
	id=$(bk "d[\"list\"][-1][\"id\"]") &&
	sftp_as reader "get /.backups/$id.tar.zst $TRASH/dl.tar.zst
get /.backups/$id.json $TRASH/dl.json" &&
	test "$(sha256sum <dl.tar.zst | cut -d" " -f1)" = "$(json "d[\"sha256\"]" <dl.json)" &&
	cmp dl.tar.zst "$TGT/$id.tar.zst" &&
	mkdir out && tar --zstd -xf dl.tar.zst -C out &&
	test "$(cat out/world/level.dat)" = "the world"
'

test_expect_success 'nothing under /.backups can be written, removed, renamed or changed' '
	id=$(bk "d[\"list\"][0][\"id\"]") &&
	echo x >up &&
	! sftp_as owner "put up /.backups/new.tar.zst" &&
	! sftp_as owner "put up /.backups/$id.tar.zst" &&
	! sftp_as owner "rm /.backups/$id.tar.zst" &&
	! sftp_as owner "rename /.backups/$id.json /stolen.json" &&
	! sftp_as owner "rename /world/level.dat /.backups/level.dat" &&
	! sftp_as owner "mkdir /.backups/d" &&
	! sftp_as owner "rmdir /.backups" &&
	! sftp_as owner "chmod 777 /.backups/$id.json" &&
	! sftp_as owner "symlink /world /.backups/link" &&
	test -f "$TGT/$id.tar.zst" && test -f "$TGT/$id.json" &&
	test "$(stat -c %a "$TGT/$id.json")" = 600 &&
	test -f "$VOL/world/level.dat" && test ! -e "$VOL/stolen.json" &&
	test "$(ls "$TGT" | wc -l)" = 4
'

test_expect_success 'a user without read sees no backups' '
	! sftp_as blind "ls /.backups" &&
	! sftp_as blind "get /.backups/$(bk "d[\"list\"][0][\"id\"]").json $TRASH/x" &&
	test ! -e x
'

test_done
