#!/usr/bin/env bash
# sftp.sh: roost-sftpd against OpenSSH's sftp-server (run by a private
# sshd) on loopback, with the same OpenSSH sftp client and the same
# cipher: a 1 GiB upload and download, and 10,000 files of 4 KiB with
# put -r / get -r. Prints the throughput of each and roost/openssh.
#
#   tests/bench/sftp.sh [BUILD_DIR]     (as root; two ports from the kernel)
#
# SFTP_BENCH_MIB and SFTP_BENCH_FILES make a quicker run; SFTP_BENCH_CIPHER
# picks the cipher (default aes128-gcm@openssh.com).
set -u
cd "$(dirname "$0")/../.." || exit 2
O=${1:-build}
SFTPD=$(cd "$O" && pwd)/roost-sftpd
MIB=${SFTP_BENCH_MIB:-1024}
FILES=${SFTP_BENCH_FILES:-10000}
CIPHER=${SFTP_BENCH_CIPHER:-aes128-gcm@openssh.com}
. tests/lib/ports.sh
read -r PORT_O PORT_R < <(free_ports 2 | xargs)
SUID=34567

[ -x "$SFTPD" ] || { echo "sftp.sh: no $SFTPD; build first" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "sftp.sh: run as root (private sshd)" >&2; exit 2; }
W=$(mktemp -d /tmp/roost-bench-sftp.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT

ssh-keygen -q -t ed25519 -N '' -f "$W/key"
ssh-keygen -q -t ed25519 -N '' -f "$W/ssh_host_ed25519_key"
cp "$W/key.pub" "$W/authorized_keys"
mkdir -p /run/sshd "$W/ossh" "$W/roost" "$W/src/small" "$W/dst"
cat >"$W/sshd_config" <<EOT
Port $PORT_O
ListenAddress 127.0.0.1
HostKey $W/ssh_host_ed25519_key
AuthorizedKeysFile $W/authorized_keys
PidFile $W/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
Ciphers $CIPHER
Subsystem sftp /usr/lib/openssh/sftp-server
EOT
/usr/sbin/sshd -D -e -f "$W/sshd_config" 2>"$W/sshd.log" &
pids+=($!)
chown $SUID:$SUID "$W/roost"
printf '{"servers":[{"name":"bench","root":"%s","uid":%d,"gid":%d,"users":[{"user":"bench","keys":["%s"]}]}]}\n' \
    "$W/roost" $SUID $SUID "$(cat "$W/key.pub")" >"$W/users.json"
"$SFTPD" -c "$W/users.json" -l 127.0.0.1:$PORT_R -k "$W/hostkey" -d \
    2>"$W/sftpd.log" &
pids+=($!)

echo "sftp.sh: making $MIB MiB and $FILES files of 4 KiB"
head -c $((MIB * 1024 * 1024)) /dev/urandom >"$W/src/big"
head -c 4096 /dev/urandom >"$W/seed"
for i in $(seq 1 "$FILES"); do
	printf '%05d' "$i" | cat - "$W/seed" | head -c 4096 >"$W/src/small/f$i"
done
for p in $PORT_O $PORT_R; do
	for i in $(seq 1 50); do
		(exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break
		sleep 0.1
	done
done

# calc FORMAT EXPR: floating-point arithmetic through awk.
calc() {
	awk "BEGIN { printf \"$1\", $2 }"
}

# run WHICH BATCH: runs the batch against one server; prints seconds.
run() {
	local target port start end
	if [ "$1" = openssh ]; then target=root@127.0.0.1 port=$PORT_O
	else target=bench.bench@127.0.0.1 port=$PORT_R; fi
	start=$(date +%s%N)
	sftp -q -b "$2" -P $port -c "$CIPHER" -i "$W/key" -o IdentitiesOnly=yes \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -o LogLevel=error "$target" >/dev/null || { echo "sftp.sh: $1 failed" >&2; exit 1; }
	end=$(date +%s%N)
	calc "%.3f" "($end - $start) / 1000000000"
}

# measure WHICH: best of two runs of each transfer against one server.
declare -A secs
measure() {
	local who=$1 dir base t best
	if [ "$who" = openssh ]; then dir=$W/ossh base=$W/ossh
	else dir=/ base=$W/roost; fi
	for op in up down smallup smalldown; do
		best=
		for rep in 1 2; do
			case $op in
			up)	rm -f "$base/big"; echo "put $W/src/big ${dir%/}/big" >"$W/batch" ;;
			down)	rm -f "$W/dst/big"; echo "get ${dir%/}/big $W/dst/big" >"$W/batch" ;;
			smallup) rm -rf "$base/small"; echo "put -r $W/src/small ${dir%/}/small" >"$W/batch" ;;
			smalldown) rm -rf "$W/dst/small"; echo "get -r ${dir%/}/small $W/dst/small" >"$W/batch" ;;
			esac
			sync
			t=$(run "$who" "$W/batch")
			if [ -z "$best" ] || [ "$(calc "%d" "$t < $best")" = 1 ]; then best=$t; fi
		done
		secs[$who.$op]=$best
	done
	cmp "$W/src/big" "$W/dst/big" || { echo "sftp.sh: $who download differs" >&2; exit 1; }
	[ "$(ls "$W/dst/small" | wc -l)" = "$FILES" ] || { echo "sftp.sh: $who lost files" >&2; exit 1; }
}
measure openssh
measure roost

printf '\n%-28s %12s %12s %8s\n' "cipher $CIPHER" "openssh" "roost" "ratio"
for op in up down smallup smalldown; do
	case $op in
	up)		label="upload $MIB MiB";		bytes=$((MIB * 1048576)) unit="MiB/s" ;;
	down)		label="download $MIB MiB";		bytes=$((MIB * 1048576)) unit="MiB/s" ;;
	smallup)	label="put -r $FILES x 4 KiB";	bytes=$FILES unit="files/s" ;;
	smalldown)	label="get -r $FILES x 4 KiB";	bytes=$FILES unit="files/s" ;;
	esac
	if [ "$unit" = "MiB/s" ]; then
		o=$(calc "%.1f" "$bytes / 1048576 / ${secs[openssh.$op]}")
		r=$(calc "%.1f" "$bytes / 1048576 / ${secs[roost.$op]}")
	else
		o=$(calc "%.0f" "$bytes / ${secs[openssh.$op]}")
		r=$(calc "%.0f" "$bytes / ${secs[roost.$op]}")
	fi
	ratio=$(calc "%.2f" "${secs[openssh.$op]} / ${secs[roost.$op]}")
	printf '%-28s %8s %s %8s %s %7s\n' "$label" "$o" "$unit" "$r" "$unit" "$ratio"
done
