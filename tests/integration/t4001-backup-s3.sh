#!/usr/bin/env bash
# t4001-backup-s3: backups and restores through an S3 target: a real
# S3-compatible server (@20minutes/s3rver 5.x, which checks SigV4
# signatures; tests/lib/s3.sh), a real engine and a demo server. A tree of
# 10,000 files, symbolic links, empty directories and a 1 GiB file goes
# to the bucket as a multipart upload and comes back byte for byte with
# modes and mtimes; ignore patterns are honoured; a wrong secret is
# refused by the server and the refusal reaches the status; a corrupted
# archive is refused before anything is touched; kill -9 during an upload
# lists no partial archive; retention keeps the newest "keep". The same
# tree also goes through a local target.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/docker.sh"
. "$ROOST_SRC/tests/lib/s3.sh"
. "$ROOST_SRC/tests/lib/roostd.sh"
. "$ROOST_SRC/tests/lib/backup.sh"

PORT=$(free_port)
BUCKET=roost-backups
PFX=nodes/t4001/
ID1= ID2= t0=

conf() {	# conf LEVEL TARGET: roostd.yaml, zstd LEVEL, the policy's target
	roostd_yaml $TRASH/repo &&
	cat >>roostd.yaml <<-EOF
	backups:
	  compressionLevel: $1
	  targets:
	    s3:
	      type: s3
	      endpoint: $S3_URL
	      bucket: $BUCKET
	      region: us-east-1
	      prefix: $PFX
	      pathStyle: true
	      accessKeyFile: $TRASH/s3.keys
	    disk: { type: local, path: $TRASH/backups }
	EOF
}
policy() {	# policy TARGET: the server's backups: block
	sed -i "s/^  target: .*/  target: $1/" repo/servers/$S.yaml &&
	git -C repo commit -qam "backups to $1"
}
objects() {	# the server's objects in the bucket
	s3_keys $BUCKET "$PFX$S/"
}

test_cleanup 'kill -9 $ROOSTD 2>/dev/null; wait $ROOSTD 2>/dev/null; docker_cleanup_label roost.node=$NODE; s3_stop'

test_expect_success 'setup: an S3 server, a demo server with an S3 policy' '
	s3_start $BUCKET && s3_keyfile s3.keys &&
	backup_repo s3 &&
	git -C repo commit -qam policy &&
	conf 3 && roostd -n -f roostd.yaml && start_roostd &&
	wait_phase $S Running 60
'

test_expect_success 'the S3 server checks signatures: a wrong secret is refused' '
	S3_SECRET_OVERRIDE=wrong s3_curl GET "$S3_URL/$BUCKET?list-type=2" >denied.xml &&
	grep "<Code>SignatureDoesNotMatch</Code>" denied.xml &&
	s3_curl GET "$S3_URL/$BUCKET?list-type=2" >allowed.xml &&
	grep "<ListBucketResult" allowed.xml
'

test_expect_success 'a tree of 10,000 files, links, empty dirs and a 1 GiB file' '
	mkdir -p "$VOL/payload" &&
	/usr/bin/python3 - "$VOL/payload" <<-EOF &&
	import os, sys
	root = sys.argv[1]
	for i in range(10000):
	    d = os.path.join(root, "world", "r%02d" % (i % 50))
	    os.makedirs(d, exist_ok=True)
	    with open(os.path.join(d, "c%05d.mca" % i), "w") as f:
	        f.write("region %d chunk %d\n" % (i % 50, i) * (1 + i % 7))
	# 1 GiB of data, 64 KiB of random bytes in every MiB (the rest zeros).
	with open(os.path.join(root, "huge.bin"), "wb") as f:
	    for m in range(1024):
	        f.write(os.urandom(65536) + bytes(1048576 - 65536))
	EOF
	(cd "$VOL/payload" &&
	mkdir -p empty/deeper/still cache/sub &&
	ln -s world/r01 rel-link && ln -s /etc/hostname abs-link &&
	ln -s missing dangling &&
	printf "#!/bin/sh\n" >start.sh && chmod 0755 start.sh &&
	chmod 0600 huge.bin &&
	touch -d "2021-05-06 07:08:09.123456789" world/r01/c00001.mca empty/deeper &&
	echo log >server.log && echo keep >keep.log && echo c >cache/sub/f) &&
	chown -R "$CUID:$CUID" "$VOL/payload" &&
	test $(find "$VOL/payload" -type f | wc -l) -ge 10000 &&
	test $(stat -c %s "$VOL/payload/huge.bin") = 1073741824
'

test_expect_success 'a wrong secret: the backup fails with the S3 error, nothing listed' '
	s3_keyfile s3.keys wrong-secret &&
	backup_is denied 60 failed &&
	bk "d[\"lastBackup\"][\"message\"]" | grep "S3 SignatureDoesNotMatch" &&
	bk "d.get(\"targetError\", \"\")" | grep "SignatureDoesNotMatch" &&
	test -z "$(objects)" &&
	s3_keyfile s3.keys
'

test_expect_success 'roost server backup to S3: multipart upload, record, listed' '
	sleep 1 && backup_is "first one" 120 succeeded &&
	listed 1 && test -z "$(bk "d.get(\"targetError\", \"\")")" &&
	ID1=$(bk "d[\"list\"][0][\"id\"]") &&
	objects >keys && cat keys &&
	test "$(cat keys)" = "$(printf "%s\n" "$PFX$S/$ID1.json" "$PFX$S/$ID1.tar.zst")" &&
	s3_curl GET "$S3_URL/$BUCKET/$PFX$S/$ID1.json" >rec.json &&
	s3_curl GET "$S3_URL/$BUCKET/$PFX$S/$ID1.tar.zst" -o a1.tar.zst &&
	test "$(json "d[\"sha256\"]" <rec.json)" = "$(sha256sum <a1.tar.zst | cut -d" " -f1)" &&
	test "$(json "d[\"size\"]" <rec.json)" = "$(stat -c %s a1.tar.zst)" &&
	test "$(json "d[\"note\"]" <rec.json)" = "first one" &&
	test "$(json "d[\"dataBytes\"] >= 1073741824" <rec.json)" = True &&
	grep "S3: $PFX$S/$ID1.tar.zst sent in [0-9]* parts" roostd.log &&
	test "$(sed -n "s/.*$ID1.tar.zst sent in \([0-9]*\) parts.*/\1/p" roostd.log)" -ge 2 &&
	grep "Stored part 2 of" s3rver.log
'

test_expect_success 'ignore patterns are honoured' '
	backup_ignored a1.tar.zst &&
	grep -x "payload/world/r07/c00007.mca" names &&
	grep -x "payload/huge.bin" names &&
	rm -f a1.tar.zst
'

test_expect_success 'a restore from S3 brings back the tree byte for byte' '
	(cd "$VOL/payload" && rm -f server.log && rm -r cache) &&
	listing "$VOL/payload" >before.list &&
	rm -rf "$VOL/payload/world/r02" "$VOL/payload/empty" &&
	echo changed >"$VOL/payload/huge.bin" && echo new >"$VOL/payload/new.txt" &&
	restore_back $ID1 180 &&
	test "$(stat -c %s:%u "$VOL/payload/huge.bin")" = 1073741824:999 &&
	rm -rf data/trash/$S-before-restore-*
'

test_expect_success 'a corrupted archive in the bucket is refused before anything is touched' '
	s3_curl GET "$S3_URL/$BUCKET/$PFX$S/$ID1.tar.zst" -o bad.tar.zst &&
	size=$(stat -c %s bad.tar.zst) &&
	printf "\377\377\377\377" | dd of=bad.tar.zst bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null &&
	s3_curl PUT "$S3_URL/$BUCKET/$PFX$S/$ID1.tar.zst" -T bad.tar.zst -o /dev/null &&
	rm -f bad.tar.zst &&
	echo "written after the backup" >"$VOL/payload/later.txt" &&
	listing "$VOL/payload" >before.list &&
	t0=$(started) &&
	sleep 1 && restore_is $ID1 120 failed &&
	bk "d[\"lastRestore\"][\"message\"]" | grep "does not match its checksum" &&
	listing "$VOL/payload" >after.list && diff before.list after.list &&
	test "$(started)" = "$t0" && test "$(phase $S)" = Running
'

test_expect_success 'kill -9 during an upload: no partial archive listed, done after the restart' '
	stop_roostd && conf 19 && start_roostd && wait_phase $S Running 60 &&
	n=1 && wait_for 30 listed $n && objects >keys.before &&
	p0=$(grep -c "Stored part" s3rver.log) &&
	sleep 1 && edit backup $S --note killed &&
	wait_for 120 sh -c "test \$(grep -c \"Stored part\" s3rver.log) -gt $p0" &&
	stop_roostd -KILL &&
	objects >keys.after && diff keys.before keys.after &&
	conf 3 && start_roostd && wait_phase $S Running 60 &&
	wait_for 30 listed "$n" &&
	wait_for 120 backup_done &&
	test "$(bk "d[\"lastBackup\"][\"result\"]")" = succeeded &&
	test "$(bk "d[\"list\"][0][\"note\"]")" = killed &&
	ID2=$(bk "d[\"list\"][0][\"id\"]")
'

test_expect_success 'retention keeps the newest two in the bucket' '
	sleep 1 && backup_is third 120 succeeded &&
	listed 2 &&
	ID3=$(bk "d[\"list\"][0][\"id\"]") &&
	objects >keys &&
	test "$(cat keys)" = "$(printf "%s\n" "$PFX$S/$ID2.json" "$PFX$S/$ID2.tar.zst" "$PFX$S/$ID3.json" "$PFX$S/$ID3.tar.zst" | sort)"
'

test_expect_success 'the same tree through a local target' '
	listing "$VOL/payload" >before.list &&
	policy disk && sleep 1 && backup_is local 120 succeeded &&
	test "$(bk "d[\"target\"]")" = disk &&
	ID4=$(bk "d[\"list\"][0][\"id\"]") &&
	test -f "backups/$S/$ID4.tar.zst" &&
	rm -rf "$VOL/payload/world" && echo gone >"$VOL/payload/huge.bin" &&
	restore_back $ID4 180
'

test_done
