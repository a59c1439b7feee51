#!/usr/bin/env bash
# bench_backup.sh: backups and restores.
#
#   tests/bench/bench_backup.sh BUILD_DIR [MIB] [FILES]
#
# 1. A server directory of MIB (1024) MiB in FILES (10,000) files: eight
#    large files (half random, half base64 text) and small text files in
#    100 directories.
# 2. Backup: roostd's archive code (bench_backup pack, tarz.c; the
#    archive fsynced) against GNU tar piping through zstd at the same
#    level ("tar -I 'zstd -3' -cf"), as is and with its archive fsynced
#    too, alternating, best of three each (every run printed), warm page cache,
#    each run rewriting its own archive (see "settle" below).
# 3. Restore: bench_backup unpack against "tar -I zstd -xf" of the same
#    archive into a fresh directory.
# 4. S3: the archive sent to a local S3 server (tests/lib/s3.sh) by
#    roost's upload path against "curl --aws-sigv4" sending the same file
#    in one PUT, and in the same multipart upload (8 MiB parts, split
#    beforehand); then a backup packed straight into the bucket (time and
#    peak RSS).
# 5. Memory: bench_backup's peak RSS, and roostd's RSS sampled every
#    100 ms while it backs up that directory for a demo server (a real
#    roostd, engine and commit; node benchbk), against its RSS just before.
set -u
O=${1:-build}
MIB=${2:-${ROOST_BENCH_BACKUP_MIB:-1024}}
FILES=${3:-10000}
ROOST_SRC=${ROOST_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$ROOST_SRC/tests/bench/lib.sh"
export PATH="$BIN:$BIN/tests:$PATH"
NODE=benchbk
T=$(mktemp -d /tmp/roost-bench-backup.XXXXXX)
API=$T/api.sock
PID=
cleanup() {
	[ -n "${S3_PID:-}" ] && kill $S3_PID 2>/dev/null && wait $S3_PID 2>/dev/null
	bench_cleanup
}
trap cleanup EXIT
die() {
	bench_fail bench_backup backup "$*"
}
secs() {	# secs CMD...: "WALL CPU" seconds of CMD (CPU: user + system,
		# its children's included: tar's zstd)
	local TIMEFORMAT='%R %U %S' out
	out=$( { time "$@" >/dev/null 2>&1; } 2>&1 ) || return 1
	echo "$out" | awk '{ printf "%s %.3f\n", $1, $2 + $3 }'
}
min() { printf '%s\n' "$@" | sort -g | head -n 1; }
wall() { min "$@" | cut -d" " -f1; }
cpu() { printf '%s\n' "$@" | cut -d" " -f2 | sort -g | head -n 1; }

# 1. The directory.
/usr/bin/python3 - "$T/src" "$MIB" "$FILES" <<'EOF' || die "cannot make the data"
import base64, os, sys
root, mib, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
big = 8
total = mib << 20
small_n = files - big
small_bytes = total // 4
big_each = (total - small_bytes) // big
os.makedirs(root)
for i in range(big):
    with open(os.path.join(root, "region%d.mca" % i), "wb") as f:
        left = big_each
        while left > 0:
            n = min(left, 1 << 20)
            raw = os.urandom(n // 2)
            f.write(raw + base64.b64encode(os.urandom(n // 2))[: n - len(raw)])
            left -= n
words = [b"player", b"joined", b"the", b"game", b"chunk", b"saved", b"world", b"tick"]
each = max(1, small_bytes // max(1, small_n))
for i in range(small_n):
    d = os.path.join(root, "data", "d%02d" % (i % 100))
    os.makedirs(d, exist_ok=True)
    seed = os.urandom(each // 16 + 1)
    body = b" ".join(words[b % 8] + str(b).encode() for b in seed)
    with open(os.path.join(d, "f%05d.dat" % i), "wb") as f:
        f.write(body[:each])
EOF
bytes=$(du -sb "$T/src" | cut -f1)
nfiles=$(find "$T/src" -type f | wc -l)

# 2. Backup against tar | zstd -3.
# One untimed run of each first: the archives they leave are what the timed
# runs remove and write again.
bench_backup pack "$T/src" "$T/r.tar.zst" 3 >/dev/null || die "pack failed"
tar -I 'zstd -3' -cf "$T/t.tar.zst" -C "$T/src" . || die "tar failed"
tar_sync() {	# tar, then its archive fsynced as bench_backup's is
	tar -I 'zstd -3' -cf "$T/t.tar.zst" -C "$T/src" . && sync "$T/t.tar.zst"
}
# settle [FILE]: nothing dirty to write back (an fsync must not pay for
# the archive the run before left in the cache) and the tree, or FILE, read
# into the page cache again: the kernel may reclaim cold page cache on its
# own between runs (DAMON's kdamond on these machines), and a run that
# finds the tree gone from the cache reads it from the disk. Not timed.
settle() {
	sync
	if [ $# -gt 0 ]; then
		cat "$1" >/dev/null
	else
		find "$T/src" -type f -print0 | xargs -0 cat >/dev/null
	fi
}
# Each run removes its own archive of the run before just before it writes
# a new one, so each gets back the memory it freed: in a virtual machine a
# page the host has taken back (free page reporting) costs a fault on the
# host at its first touch, and a run that wrote into such pages was up to
# 2 s slower, whichever program it was.
rt=() tt=() ts=()
for r in 1 2 3; do
	rm -f "$T/t.tar.zst" && settle
	tt+=("$(secs tar -I 'zstd -3' -cf "$T/t.tar.zst" -C "$T/src" .)") || die "tar failed"
	rm -f "$T/r.tar.zst" && settle
	rt+=("$(secs bench_backup pack "$T/src" "$T/r.tar.zst" 3)") || die "pack failed"
	rm -f "$T/t.tar.zst" && settle
	ts+=("$(secs tar_sync)") || die "tar failed"
done
bench_backup pack "$T/src" "$T/r.tar.zst" 3 >"$T/pack.out" || die "pack failed"
rpack=$(wall "${rt[@]}") tpack=$(wall "${tt[@]}") tspack=$(wall "${ts[@]}")
rpackc=$(cpu "${rt[@]}") tpackc=$(cpu "${tt[@]}")
echo "backup runs (wall, CPU): roost ${rt[*]}; tar ${tt[*]}; tar fsynced ${ts[*]}" | tr -s ' '
rsize=$(stat -c %s "$T/r.tar.zst") tsize=$(stat -c %s "$T/t.tar.zst")

# 3. Restore against tar -xf.
rx=() tx=()
for r in 1 2; do
	rm -rf "$T/rx" "$T/tx" && mkdir "$T/tx" && settle "$T/r.tar.zst"
	tx+=("$(secs tar -I zstd -xf "$T/r.tar.zst" -C "$T/tx")") || die "tar -x failed"
	rx+=("$(secs bench_backup unpack "$T/r.tar.zst" "$T/rx")") || die "unpack failed"
done
diff -r "$T/src" "$T/rx" >/dev/null || die "the restored tree differs"
rm -rf "$T/rx" "$T/tx"
bench_backup unpack "$T/r.tar.zst" "$T/rx" >"$T/unpack.out" || die "unpack failed"
rm -rf "$T/rx" "$T/t.tar.zst"
runpack=$(wall "${rx[@]}") tunpack=$(wall "${tx[@]}")
runpackc=$(cpu "${rx[@]}") tunpackc=$(cpu "${tx[@]}")

# 4. S3: the archive's bytes sent by roost's upload path (store_s3:
#     multipart, 8 MiB parts, each part's SHA-256) against one PUT of the
#     same file by "curl --aws-sigv4", to a local s3rver (tests/lib/s3.sh);
#     then a backup packed straight into the bucket.
TRASH=$T ROOST_BUILD=$BIN
. "$ROOST_SRC/tests/lib/ports.sh"
. "$ROOST_SRC/tests/lib/s3.sh"
s3_start bench-backups >/dev/null 2>&1 || die "no S3 server (npm install @20minutes/s3rver)"
s3_keyfile "$T/s3.keys"
# curl_mpu KEY: the multipart upload roost makes (8 MiB parts, then the
# join), made by curl from parts split beforehand.
curl_mpu() {
	local u=$S3_URL/bench-backups/$1 id p n=0 xml
	id=$(s3_curl POST "$u?uploads=" | sed -n 's:.*<UploadId>\(.*\)</UploadId>.*:\1:p')
	[ -n "$id" ] || return 1
	xml="<CompleteMultipartUpload>"
	for p in "$T"/parts/p.*; do
		n=$((n + 1))
		e=$(s3_curl PUT "$u?partNumber=$n&uploadId=$id" -T "$p" -D - -o /dev/null |
		    tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
		[ -n "$e" ] || return 1
		xml="$xml<Part><PartNumber>$n</PartNumber><ETag>$e</ETag></Part>"
	done
	s3_curl POST "$u?uploadId=$id" --data-binary "$xml</CompleteMultipartUpload>" -o /dev/null
}
mkdir "$T/parts" && split -b 8388608 -d -a 4 "$T/r.tar.zst" "$T/parts/p." || die "split failed"
su=() cu=() mu=()
for r in 1 2; do
	cu+=("$(secs s3_curl PUT "$S3_URL/bench-backups/curl/r$r.tar.zst" -T "$T/r.tar.zst" -o /dev/null)") || die "curl upload failed"
	mu+=("$(secs curl_mpu "mpu/r$r.tar.zst")") || die "curl multipart upload failed"
	su+=("$(secs bench_backup s3put "$T/r.tar.zst" "$S3_URL" bench-backups "$T/s3.keys" put)") || die "s3put failed"
done
rm -rf "$T/parts"
bench_backup s3pack "$T/src" "$S3_URL" bench-backups "$T/s3.keys" pack 3 >"$T/s3pack.out" || die "s3pack failed"
s3_stop
rput=$(wall "${su[@]}") cput=$(wall "${cu[@]}") mput=$(wall "${mu[@]}")
rputc=$(cpu "${su[@]}") cputc=$(cpu "${cu[@]}")
rm -rf "$T/r.tar.zst" "$T/s3data"

mb() { echo "$1 / 1048576" | bc -l; }
printf 'data: %d files, %.0f MiB\n' "$nfiles" "$(mb "$bytes")"
printf 'backup:  roost %.2f s (%.0f MiB/s, archive %.0f MiB, CPU %.2f s), tar|zstd -3 %.2f s (archive %.0f MiB, CPU %.2f s in two processes): %.2fx tar'"'"'s speed, %.2fx its CPU\n' \
    "$rpack" "$(echo "$(mb "$bytes") / $rpack" | bc -l)" "$(mb "$rsize")" "$rpackc" \
    "$tpack" "$(mb "$tsize")" "$tpackc" "$(echo "$tpack / $rpack" | bc -l)" \
    "$(echo "$rpackc / $tpackc" | bc -l)"
printf 'backup against tar whose archive is fsynced too (as roost'"'"'s is): tar %.2f s: %.2fx its speed\n' \
    "$tspack" "$(echo "$tspack / $rpack" | bc -l)"
printf 'restore: roost %.2f s (CPU %.2f s), tar -x %.2f s (CPU %.2f s): %.2fx tar'"'"'s speed, %.2fx its CPU\n' \
    "$runpack" "$runpackc" "$tunpack" "$tunpackc" \
    "$(echo "$tunpack / $runpack" | bc -l)" "$(echo "$runpackc / $tunpackc" | bc -l)"
sed 's/.*; /pack /' "$T/pack.out"
sed 's/.*; /unpack /' "$T/unpack.out"
printf 'S3 upload of the archive: roost %.2f s (CPU %.2f s), curl --aws-sigv4 %.2f s (CPU %.2f s): %.2fx curl'"'"'s speed\n' \
    "$rput" "$rputc" "$cput" "$cputc" "$(echo "$cput / $rput" | bc -l)"
printf 'S3 multipart upload of the archive (8 MiB parts): roost %.2f s, curl --aws-sigv4 part by part %.2f s: %.2fx curl'"'"'s speed\n' \
    "$rput" "$mput" "$(echo "$mput / $rput" | bc -l)"
sed 's/^s3pack: /backup straight to S3: /' "$T/s3pack.out"

# 5. roostd's RSS while it backs up the same directory.
docker_ensure && demo_image_ensure >/dev/null || die "no engine"
docker_cleanup_label roost.node=$NODE >/dev/null 2>&1
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$T/repo/nodes" "$T/repo/servers"
git init -q -b main "$T/repo"
printf 'name: %s\naddress: 127.0.0.1\nports: [%d]\n' $NODE "$PORT" >"$T/repo/nodes/$NODE.yaml"
printf 'name: bk\nowner: "444444444444444444"\nnode: %s\negg: roost/demo\nlimits: { memory: 64, disk: 0 }\nports: { default: %d }\n' \
    $NODE "$PORT" >"$T/repo/servers/bk.yaml"
bench_commit init
bench_roostd_yaml "$API"
printf 'backups:\n  targets:\n    local: { type: local, path: %s/backups }\n' \
    "$T" >>"$T/roostd.yaml"
bench_roostd
status() {
	curl -sf --unix-socket "$API" http://x/v1/servers/bk 2>/dev/null |
	    /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)" 2>/dev/null
}
for i in $(seq 600); do
	[ "$(status 'd["phase"]')" = Running ] && break
	sleep 0.2
done
[ "$(status 'd["phase"]')" = Running ] || die "the demo server does not run"
mv "$T/src" "$T/data/volumes/bk/payload"
sleep 1
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status"; }
rss0=$(rss_kb)
roost server backup bk --repo "$T/repo" --remote "" >/dev/null 2>&1 || die "roost server backup failed"
max=$rss0 t0=$(date +%s.%N)
for i in $(seq 6000); do
	r=$(rss_kb); [ "$r" -gt "$max" ] && max=$r
	[ "$(status '(d.get("backups") or {}).get("lastBackup", {}).get("result", "")')" = succeeded ] && break
	sleep 0.1
done
t1=$(date +%s.%N)
[ "$(status '(d.get("backups") or {}).get("lastBackup", {}).get("result", "")')" = succeeded ] || die "the backup did not finish"
printf 'roostd RSS during a %.0f MiB backup (%.1f s through roostd): %.1f MiB before, at most %.1f MiB (+%.1f MiB)\n' \
    "$(mb "$bytes")" "$(echo "$t1 - $t0" | bc -l)" "$(echo "$rss0 / 1024" | bc -l)" \
    "$(echo "$max / 1024" | bc -l)" "$(echo "($max - $rss0) / 1024" | bc -l)"
