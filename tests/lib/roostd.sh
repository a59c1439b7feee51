# roostd.sh: helpers for the integration scripts that run roostd. Source
# it after tap.sh. It sets NODE to the script's number and the run's id
# (t2000-$TEST_RUN_ID: node labels are global on the engine), API to
# $TRASH/api.sock (the roostd API socket; a script may set another) and
# exports ROOST_EGGS as the bundled eggs.
#
#   phase NAME                 the server's phase as "roost status" reports
#                              it, "absent" when roostd does not know it
#   wait_phase NAME PHASE SECS waits until NAME is in PHASE, polling five
#                              times a second; says what it saw on timeout
#   roostd_repo NODE SERVER PORT
#                              a state repository ./repo, committed on main:
#                              node NODE on 127.0.0.1 with the one port
#                              PORT, and a demo server SERVER on it
#   server_yaml NAME PORT STATE CPU
#                              prints a demo server's file: NAME on $NODE,
#                              owned by 444444444444444444, in STATE, with
#                              the one port PORT and CPU % of a core; the
#                              script adds what else it needs
#   commit MESSAGE             commits all of ./repo on its branch
#   json EXPR                  evaluates a python expression on the JSON
#                              on stdin as "d" and prints it
#   started NAME               when the container of NAME last started
#   roostd_yaml REPO           writes ./roostd.yaml: node $NODE on REPO,
#                              data in $TRASH/data, API $API, polled
#                              hourly, a 5 s stop timeout, no SFTP; the
#                              script appends what else it needs
#   bk EXPR                    evaluates EXPR on the "backups" status
#                              object of server $S as "d" and prints it
#   start_roostd               starts roostd -d with $TRASH/roostd.yaml,
#                              its log in $TRASH/roostd.log, its pid in
#                              $ROOSTD; waits for the API socket
#   stop_roostd                stops it and waits for it; always true

NODE=${TAP_NAME%%-*}-$TEST_RUN_ID
API=$TRASH/api.sock
export ROOST_EGGS=$ROOST_SRC/eggs

json() {
	/usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

phase() {
	roost status --api "$API" --format json 2>/dev/null |
	    json "next((s['phase'] for s in d['servers'] if s['name']=='$1'), 'absent')"
}

wait_phase() {
	local i=0
	while [ "$(phase "$1")" != "$2" ]; do
		i=$((i + 1))
		[ $i -lt $(($3 * 5)) ] || { echo "$1 is $(phase "$1"), not $2"; return 1; }
		sleep 0.2
	done
}

roostd_repo() {
	mkdir -p repo/nodes repo/servers &&
	git init -q -b main repo &&
	printf 'name: %s\naddress: 127.0.0.1\nports: [%s]\n' "$1" "$3" \
	    >"repo/nodes/$1.yaml" &&
	printf 'name: %s\nowner: "444444444444444444"\nnode: %s\negg: roost/demo\nlimits: { memory: 128 }\nports: { default: %s }\n' \
	    "$2" "$1" "$3" >"repo/servers/$2.yaml" &&
	git -C repo add -A && git -C repo commit -q -m init
}

server_yaml() {
	cat <<-EOF
	apiVersion: roost/v1
	kind: Server
	name: $1
	owner: "444444444444444444"
	node: $NODE
	egg: roost/demo
	state: $3
	limits: { memory: 128, cpu: $4, disk: 256, pids: 64 }
	ports: { default: $2 }
	EOF
}

commit() {
	git -C repo add -A && git -C repo commit -q -m "$1"
}

started() {
	docker inspect -f '{{.State.StartedAt}}' "roost-$1" 2>/dev/null
}

roostd_yaml() {
	cat >roostd.yaml <<-EOF
	node: $NODE
	repo: $1
	dataDir: $TRASH/data
	api: $API
	pollInterval: 1h
	stopTimeout: 5s
	sftp:
	  enabled: false
	EOF
}

bk() {
	roost status --api "$API" --format json "$S" 2>/dev/null |
	    json "(lambda d: $1)(d.get('backups') or {})"
}

start_roostd() {
	roostd -d -f "$TRASH/roostd.yaml" >>"$TRASH/roostd.log" 2>&1 &
	ROOSTD=$!
	wait_for 20 test -S "$API"
}

stop_roostd() {
	kill "$ROOSTD" 2>/dev/null
	wait "$ROOSTD" 2>/dev/null
	true
}
