#!/usr/bin/env bash
# bench_console.sh: the console.
#
#   tests/bench/bench_console.sh BUILD_DIR [ROUNDS] [FLOODERS] [LINES]
#
# 1. Round trip: a command through roostd's API (POST .../command "say X")
#    until the line X comes back on a follow stream of the same API
#    (GET .../logs?follow=1), ROUNDS (200) times; the anchor, alternating
#    with it, is the Docker engine's own attach on the same container:
#    write "say Y\n" to an attach stream's stdin and read the same stream
#    until Y comes back (what "docker attach" does, without its start-up).
# 2. Memory: roostd's RSS with FLOODERS (100) demo servers each printing
#    LINES (100,000) lines at once ("flood N"), sampled every 100 ms until
#    every server has printed its last line, against roostd's RSS with the
#    same servers idle just before.
#
# Server names start with "cb"; containers carry roost.node=benchcon and
# are removed at the end. The flood needs about 2 s of CPU per 100,000
# lines on a 2-core machine.
set -u
O=${1:-build}
ROUNDS=${2:-200}
N=${3:-${ROOST_BENCH_FLOODERS:-100}}
LINES=${4:-100000}
ROOST_SRC=${ROOST_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$ROOST_SRC/tests/bench/lib.sh"
NODE=benchcon
T=$(mktemp -d /tmp/roost-bench-console.XXXXXX)
API=$T/api.sock
PID=
trap bench_cleanup EXIT

die() {
	bench_fail bench_console console "$*"
}
running() {
	curl -sf --unix-socket "$API" http://x/v1/status | /usr/bin/python3 -c '
import json, sys
print(sum(1 for s in json.load(sys.stdin)["servers"] if s["phase"] == "Running"))'
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status"; }

docker_ensure && demo_image_ensure >/dev/null || die "no engine"
docker_cleanup_label roost.node=$NODE >/dev/null 2>&1
base=$(/usr/bin/python3 -c '
import socket
for p in range(33000, 60000, 200):
    ok = True
    for q in range(p, p + 101):
        s = socket.socket()
        try: s.bind(("127.0.0.1", q))
        except OSError: ok = False
        s.close()
        if not ok: break
    if ok: print(p); break')
[ -n "$base" ] || die "no free port range"
bench_repo
printf 'name: %s\naddress: 127.0.0.1\nports: ["%d-%d"]\n' $NODE "$base" \
    $((base + 100)) >"$T/repo/nodes/$NODE.yaml"
for i in $(seq "$N"); do
	printf 'name: cb%03d\nowner: "444444444444444444"\nnode: %s\negg: bench/demo\nlimits: { memory: 64, cpu: 50 }\nports: { default: %d }\n' \
	    "$i" $NODE $((base + i)) >"$T/repo/servers/cb$(printf %03d "$i").yaml"
done
bench_commit init
bench_roostd_yaml "$API"
printf 'console:\n  commandLimit: 100000\n' >>"$T/roostd.yaml"
bench_roostd
for i in $(seq 1800); do
	[ "$(running 2>/dev/null)" = "$N" ] && break
	sleep 0.2
done
[ "$(running)" = "$N" ] || die "only $(running) of $N servers run"
sleep 2

# 1. The round trip, roostd's API against the engine's attach.
/usr/bin/python3 - "$API" "${DOCKER_HOST:-unix:///var/run/docker.sock}" \
    roost-cb001 cb001 "$ROUNDS" <<'EOF' || die "round trip failed"
import json, socket, sys, time
api, dh, container, name, rounds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
dsock = dh[len("unix://"):] if dh.startswith("unix://") else "/var/run/docker.sock"

def connect(path):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    return s

def request(path, method, url, body=b"", extra=""):
    s = connect(path)
    s.sendall(("%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
               "Content-Type: application/json\r\nContent-Length: %d\r\n%s\r\n"
               % (method, url, len(body), extra)).encode() + body)
    return s

def read_headers(s):
    data = b""
    while b"\r\n\r\n" not in data:
        c = s.recv(65536)
        if not c:
            raise SystemExit("connection closed")
        data += c
    head, rest = data.split(b"\r\n\r\n", 1)
    return head, rest

def wait_for(s, buf, token):
    while token not in buf:
        c = s.recv(65536)
        if not c:
            raise SystemExit("stream ended")
        buf += c
    return buf[buf.index(token) + len(token):]

def post_command(line):
    s = request(api, "POST", "/v1/servers/%s/command" % name,
                json.dumps({"line": line}).encode())
    head, rest = read_headers(s)
    if b" 200 " not in head.split(b"\r\n")[0]:
        raise SystemExit("command refused: %r" % (head + rest))
    s.close()

follow = request(api, "GET", "/v1/servers/%s/logs?follow=1&lines=0" % name)
_, fbuf = read_headers(follow)
att = request(dsock, "POST", "/containers/%s/attach?stream=1&stdin=1&stdout=1&stderr=1" % container,
              extra="Upgrade: tcp\r\n")
_, abuf = read_headers(att)

roost, anchor = [], []
for i in range(rounds):
    tok = "rt-%d-%d" % (i, time.monotonic_ns() % 100000)
    t0 = time.perf_counter()
    post_command("say " + tok)
    fbuf = wait_for(follow, fbuf, (tok + "\n").encode())
    roost.append((time.perf_counter() - t0) * 1000)
    tok = "at-%d-%d" % (i, time.monotonic_ns() % 100000)
    t0 = time.perf_counter()
    att.sendall(("say %s\n" % tok).encode())
    abuf = wait_for(att, abuf, (tok + "\n").encode())
    anchor.append((time.perf_counter() - t0) * 1000)

def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]
print("round trip over %d rounds: roostd API p50 %.2f ms p99 %.2f ms; "
      "engine attach p50 %.2f ms p99 %.2f ms" % (rounds, pct(roost, 50),
      pct(roost, 99), pct(anchor, 50), pct(anchor, 99)))
EOF

# 2. Memory with every server flooding.
rss0=$(rss_kb)
for i in $(seq "$N"); do
	n=$(printf cb%03d "$i")
	curl -sf -o /dev/null --unix-socket "$API" -H "Content-Type: application/json" \
	    --data-binary "{\"line\":\"flood $LINES\"}" "http://x/v1/servers/$n/command" &&
	curl -sf -o /dev/null --unix-socket "$API" -H "Content-Type: application/json" \
	    --data-binary "{\"line\":\"say flood-done\"}" "http://x/v1/servers/$n/command" ||
	    die "command to $n refused"
done
t0=$(date +%s.%N)
max=$rss0
left=$N
while [ "$left" -gt 0 ]; do
	r=$(rss_kb); [ "$r" -gt "$max" ] && max=$r
	left=0
	for i in $(seq "$N"); do
		# The ring may have dropped the last line (throttled): ask the engine.
		docker logs --tail 3 "roost-$(printf cb%03d "$i")" 2>&1 |
		    grep -qx flood-done || left=$((left + 1))
		r=$(rss_kb); [ "$r" -gt "$max" ] && max=$r
	done
	[ "$(echo "$(date +%s.%N) - $t0 > 1800" | bc)" = 1 ] && die "the flood did not end in 30 min"
	sleep 0.1
done
secs=$(echo "$(date +%s.%N) - $t0" | bc)
rss1=$(rss_kb)
dropped=$(curl -sf --unix-socket "$API" "http://x/v1/servers/cb001/logs?lines=1000" |
    grep -c "lines dropped")
printf 'flood: %d servers x %d lines in %.1f s (%s throttle notes on cb001)\n' \
    "$N" "$LINES" "$secs" "$dropped"
printf 'roostd RSS with %d servers: idle %.1f MiB, at most %.1f MiB while all flood, %.1f MiB after (rings: at most %d x 256 KiB)\n' \
    "$N" "$(echo "$rss0 / 1024" | bc -l)" "$(echo "$max / 1024" | bc -l)" \
    "$(echo "$rss1 / 1024" | bc -l)" "$N"
