# roostd.sh: helpers for the integration scripts that run roostd. Source
# it after tap.sh; $API is the roostd API socket the script configured.
#
#   phase NAME                 the server's phase as "roost status" reports
#                              it, "absent" when roostd does not know it
#   wait_phase NAME PHASE SECS waits until NAME is in PHASE, polling five
#                              times a second; says what it saw on timeout

phase() {
	roost status --api "$API" --format json 2>/dev/null |
	    /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print(next((s['phase'] for s in d['servers'] if s['name']=='$1'), 'absent'))"
}

wait_phase() {
	local i=0
	while [ "$(phase "$1")" != "$2" ]; do
		i=$((i + 1))
		[ $i -lt $(($3 * 5)) ] || { echo "$1 is $(phase "$1"), not $2"; return 1; }
		sleep 0.2
	done
}
