#!/usr/bin/env bash
# t4000-backup: backups and restores on a real Docker engine with a demo
# server and a local target. A backup asked for with "roost server backup"
# types the policy's before/after lines on the console, writes a .tar.zst
# whose record (SHA-256, size, entries, revision, note) matches the file,
# leaves ignored files out and is listed in the status; a restore brings
# back a tree of thousands of files, symbolic links and empty directories
# byte for byte with modes and mtimes and keeps the data it replaced in the
# trash; a corrupted archive is refused before anything is touched (the
# server is not even stopped); retention keeps the newest "keep"; handled
# requests are not done again after roostd restarts; kill -9 during a
# backup never lists a partial archive and the backup is done after the
# restart; kill -9 during a restore leaves the old data or the restored
# data, and an interrupted swap is finished by the next roostd.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/docker.sh"
. "$ROOST_SRC/tests/lib/roostd.sh"
. "$ROOST_SRC/tests/lib/backup.sh"

PORT=$(free_port)
ID1= ID2= ID3= ID4= t0=

conf() {	# conf LEVEL: roostd.yaml with zstd level LEVEL
	roostd_yaml $TRASH/repo &&
	cat >>roostd.yaml <<-EOF
	console:
	  commandLimit: 50
	  commandWindow: 1m
	backups:
	  compressionLevel: $1
	  targets:
	    local: { type: local, path: $TRASH/backups }
	EOF
}

test_cleanup 'kill -9 $ROOSTD 2>/dev/null; wait $ROOSTD 2>/dev/null; docker_cleanup_label roost.node=$NODE'

test_expect_success 'setup: a demo server with a backup policy' '
	backup_repo local &&
	cat >>repo/servers/$S.yaml <<-EOF &&
	  before: ["say before-backup-line"]
	  after: ["say after-backup-line"]
	EOF
	git -C repo commit -qam policy &&
	conf 3 && roostd -n -f roostd.yaml && start_roostd &&
	wait_phase $S Running 60
'

test_expect_success 'a tree of thousands of files, links and empty dirs' '
	mkdir -p "$VOL/payload" && (cd "$VOL/payload" &&
	for d in $(seq 1 30); do
		mkdir -p world/r$d &&
		for f in $(seq 1 100); do echo "region $d chunk $f" >world/r$d/c$f.mca; done
	done &&
	mkdir -p empty/deeper/still plugins/x cache/sub &&
	head -c 4000000 /dev/urandom >big.bin && chmod 0600 big.bin &&
	printf "#!/bin/sh\n" >start.sh && chmod 0755 start.sh &&
	ln -s world/r1 rel-link && ln -s /etc/hostname abs-link &&
	ln -s missing dangling &&
	echo secret >plugins/x/conf.yml && chmod 0640 plugins/x/conf.yml &&
	touch -d "2021-05-06 07:08:09.123456789" world/r1/c1.mca empty/deeper &&
	echo log >server.log && echo keep >keep.log && echo c >cache/sub/f) &&
	chown -R "$CUID:$CUID" "$VOL/payload" &&
	test $(find "$VOL/payload" | wc -l) -gt 3000
'

test_expect_success 'roost server backup: archive, record, console lines, status' '
	t0=$(started) &&
	backup_is "first one" 60 succeeded &&
	listed 1 &&
	ID1=$(bk "d[\"list\"][0][\"id\"]") &&
	test -f "$TGT/$ID1.tar.zst" && test -f "$TGT/$ID1.json" &&
	test "$(json "d[\"sha256\"]" <"$TGT/$ID1.json")" = "$(sha256sum <"$TGT/$ID1.tar.zst" | cut -d" " -f1)" &&
	test "$(json "d[\"size\"]" <"$TGT/$ID1.json")" = "$(stat -c %s "$TGT/$ID1.tar.zst")" &&
	test "$(json "d[\"note\"]" <"$TGT/$ID1.json")" = "first one" &&
	test "$(json "d[\"revision\"]" <"$TGT/$ID1.json")" = "$(git -C repo rev-parse HEAD)" &&
	test "$(bk "d[\"list\"][0][\"note\"]")" = "first one" &&
	docker logs roost-$S 2>&1 | grep -x before-backup-line &&
	docker logs roost-$S 2>&1 | grep -x after-backup-line &&
	grep "roost:backup" data/audit.log &&
	test "$(started)" = "$t0" &&
	roost status --api "$API" $S >st.out && grep "$ID1" st.out &&
	grep "first one" st.out
'

test_expect_success 'ignore patterns are honoured, the archive is a tar GNU tar reads' '
	backup_ignored "$TGT/$ID1.tar.zst" &&
	grep -x "payload/world/r3/c7.mca" names
'

test_expect_success 'a restore brings back the tree byte for byte' '
	(cd "$VOL/payload" && rm -f cache/sub/f server.log && rmdir cache/sub cache) &&
	listing "$VOL/payload" >before.list &&
	rm -rf "$VOL/payload/world/r2" "$VOL/payload/empty" &&
	echo changed >"$VOL/payload/big.bin" && echo new >"$VOL/payload/new.txt" &&
	restore_back $ID1 90 &&
	test "$(stat -c %u:%g "$VOL/payload/big.bin")" = "999:999" &&
	test "$(readlink "$VOL/payload/abs-link")" = /etc/hostname &&
	ls data/trash | grep "^$S-before-restore-" &&
	test -f data/trash/$S-before-restore-*/payload/new.txt &&
	test ! -e data/restore/$S.new && test ! -e data/restore/$S.part
'

test_expect_success 'a corrupted archive is refused before anything is touched' '
	sleep 1 && edit backup $S --note second && wait_for 60 backup_done &&
	ID2=$(bk "d[\"list\"][0][\"id\"]") && test "$ID2" != "$ID1" &&
	size=$(stat -c %s "$TGT/$ID2.tar.zst") &&
	printf "\377\377\377\377" | dd of="$TGT/$ID2.tar.zst" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null &&
	echo "written after the backup" >"$VOL/payload/later.txt" &&
	listing "$VOL/payload" >before.list &&
	t0=$(started) &&
	restore_is $ID2 60 failed &&
	bk "d[\"lastRestore\"][\"message\"]" | grep "does not match its checksum" &&
	listing "$VOL/payload" >after.list && diff before.list after.list &&
	test "$(started)" = "$t0" && test "$(phase $S)" = Running
'

test_expect_success 'a restore of a backup that does not exist changes nothing' '
	sleep 1 && edit restore $S 20000101T000000Z && wait_for 60 restore_done &&
	bk "d[\"lastRestore\"][\"message\"]" | grep "does not exist" &&
	test "$(started)" = "$t0"
'

test_expect_success 'retention keeps the newest two' '
	sleep 1 && edit backup $S --note third && wait_for 60 backup_done &&
	listed 2 &&
	ID3=$(bk "d[\"list\"][0][\"id\"]") &&
	test ! -e "$TGT/$ID1.tar.zst" && test ! -e "$TGT/$ID1.json" &&
	test -f "$TGT/$ID3.tar.zst" && test -f "$TGT/$ID2.tar.zst" &&
	test $(ls "$TGT" | wc -l) = 4
'

test_expect_success 'handled requests are not done again after a restart' '
	ls "$TGT" >files.before && t0=$(started) &&
	stop_roostd && start_roostd && wait_phase $S Running 60 &&
	wait_for 20 backup_done && restore_done && sleep 3 &&
	ls "$TGT" >files.after && diff files.before files.after &&
	test "$(started)" = "$t0" &&
	test "$(grep -c "backup requested at" roostd.log)" = 3
'

test_expect_success 'kill -9 during a backup: no partial archive listed, done after the restart' '
	head -c 40000000 /dev/urandom >"$VOL/payload/huge.bin" &&
	stop_roostd && conf 19 && start_roostd && wait_phase $S Running 60 &&
	sleep 1 && edit backup $S --note killed &&
	wait_for 60 sh -c "ls -a \"$TGT\" | grep -q \"^\.tmp-\"" &&
	n=$(nbackups) && stop_roostd -KILL &&
	ls -a "$TGT" | grep "^\.tmp-" &&
	conf 3 && start_roostd && wait_phase $S Running 60 &&
	test "$(bk "len(d[\"list\"])")" = "$n" &&
	wait_for 90 backup_done &&
	test "$(bk "d[\"lastBackup\"][\"result\"]")" = succeeded &&
	test "$(bk "d[\"list\"][0][\"note\"]")" = killed &&
	! ls -a "$TGT" | grep "^\.tmp-" &&
	ID4=$(bk "d[\"list\"][0][\"id\"]") &&
	tar --zstd -tf "$TGT/$ID4.tar.zst" | grep -x payload/huge.bin
'

test_expect_success 'kill -9 during a restore: old or restored data, finished after the restart' '
	listing "$VOL/payload" >restored.list &&
	rm -rf "$VOL/payload/world" && echo gone >"$VOL/payload/marker" &&
	listing "$VOL/payload" >old.list &&
	edit restore $S $ID4 &&
	wait_for 60 sh -c "test -e data/restore/$S.part || test -e data/restore/$S.new || test -e data/trash/$S-before-restore-*/payload/marker" &&
	stop_roostd -KILL &&
	listing "$VOL/payload" >now.list 2>/dev/null;
	{ diff -q now.list old.list >/dev/null || diff -q now.list restored.list >/dev/null; } &&
	start_roostd && wait_for 90 restore_done &&
	test "$(bk "d[\"lastRestore\"][\"result\"]")" = succeeded &&
	wait_phase $S Running 60 &&
	listing "$VOL/payload" >final.list && diff restored.list final.list
'

test_expect_success 'an interrupted swap is finished by the next roostd, not repeated' '
	stop_roostd -KILL &&
	ls data/trash | grep -c "^$S-before-restore-" >trash.before &&
	# What a kill -9 right before the exchange leaves: a complete .new
	# and its .req (the request and the new tree'"'"'s inode).
	cp -a "$VOL" data/restore/$S.new &&
	echo "from the swap" >data/restore/$S.new/payload/swapped &&
	NEWAT=2030-01-02T03:04:05Z &&
	printf "%s\n%s\n" $NEWAT $(stat -c %i data/restore/$S.new) >data/restore/$S.req &&
	sed -i "s/^  requestedAt: .*/  requestedAt: \"$NEWAT\"/" repo/servers/$S.yaml &&
	git -C repo commit -qam "the restore the swap belongs to" &&
	start_roostd && wait_phase $S Running 60 &&
	test -f "$VOL/payload/swapped" &&
	test ! -e data/restore/$S.new && test ! -e data/restore/$S.old &&
	test ! -e data/restore/$S.req &&
	test "$(ls data/trash | grep -c "^$S-before-restore-")" -gt "$(cat trash.before)" &&
	wait_for 20 restore_done &&
	bk "d[\"lastRestore\"][\"message\"]" | grep "finished after roostd restarted" &&
	sleep 3 && test -f "$VOL/payload/swapped"
'

test_done
