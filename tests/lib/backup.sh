# backup.sh: what the backup scripts that drive roostd through the state
# repository share. Source it after roostd.sh; it names the server under
# test $S, as the node, with its data in $VOL and its backups on a local
# target in $TGT; $CUID is the container user (roostd.yaml's
# containerUser default). start_roostd and stop_roostd here replace
# roostd.sh's.
#
#   backup_repo TARGET readies the engine and the demo image and makes
#                      ./repo (roostd_repo $NODE $S $PORT) with $S's
#                      backups: to TARGET, keep 2, ignoring *.log but
#                      keep.log, and cache/ (the script appends the rest
#                      and commits)
#   backup_ignored ARCHIVE
#                      lists the .tar.zst ARCHIVE into ./names and checks
#                      that backup_repo's ignore patterns were honoured on
#                      the scripts' payload: server.log and cache/ out,
#                      keep.log and the empty directories in
#   nbackups           how many backups the status lists for $S
#   listed N           true when the status lists N backups
#   commit_at KEY      the value of KEY committed in $S's server file
#   restore_at         the requestedAt of $S's committed restore request
#   backup_done        true when the last backup is the one committed
#   restore_done       true when the last restore is the one committed
#   edit ARGS...       "roost server ARGS" on ./repo, logged to edits.log
#   backup_is NOTE SECS RESULT
#                      asks for a backup of $S with NOTE, waits up to
#                      SECS for it to be done and checks its result
#   restore_is ID SECS RESULT
#                      the same for a restore of $S's backup ID
#   restore_back ID SECS
#                      restores $S's backup ID (restore_is ID SECS
#                      succeeded), waits for $S to run again, restarted,
#                      and checks that $VOL/payload is as before.list
#                      (listing) says
#   start_roostd       starts roostd -d with ./roostd.yaml (log
#                      roostd.log, pid $ROOSTD); waits for the API socket
#   stop_roostd [SIG]  sends SIG (TERM) to roostd, waits for it and
#                      removes the API socket
#   started            when the container of $S last started
#   listing DIR        a listing of the tree DIR but server.properties:
#                      path, type, mode, mtime (ns), link, size, sha256

S=$NODE
VOL=$TRASH/data/volumes/$S
TGT=$TRASH/backups/$S
CUID=999

backup_repo() {
	docker_ensure && demo_image_ensure &&
	roostd_repo $NODE $S $PORT &&
	cat >>repo/servers/$S.yaml <<-EOF
	backups:
	  target: $1
	  keep: 2
	  ignore: ["*.log", "cache/", "!keep.log"]
	EOF
}
backup_ignored() {
	tar --zstd -tf "$1" >names &&
	grep -x "payload/keep.log" names &&
	grep -x "payload/empty/deeper/still/" names &&
	! grep "server.log" names && ! grep "cache" names
}
nbackups() {
	bk "len(d.get('list', []))"
}
listed() {
	test "$(nbackups)" = "$1"
}
commit_at() {
	sed -n "s/^$1: \"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p" "repo/servers/$S.yaml"
}
restore_at() {
	sed -n 's/^  requestedAt: "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "repo/servers/$S.yaml"
}
backup_done() {
	test "$(bk "(d.get('lastBackup') or {}).get('requestedAt')")" = "$(commit_at backupRequestedAt)"
}
restore_done() {
	test "$(bk "(d.get('lastRestore') or {}).get('requestedAt')")" = "$(restore_at)"
}
edit() {
	roost server "$@" --repo repo --remote "" >>edits.log 2>&1
}
backup_is() {
	edit backup $S --note "$1" && wait_for "$2" backup_done &&
	test "$(bk 'd["lastBackup"]["result"]')" = "$3"
}
restore_is() {
	edit restore $S "$1" && wait_for "$2" restore_done &&
	test "$(bk 'd["lastRestore"]["result"]')" = "$3"
}
restore_back() {
	local t0
	t0=$(started) &&
	restore_is "$1" "$2" succeeded &&
	wait_phase $S Running 60 &&
	test "$(started)" != "$t0" &&
	listing "$VOL/payload" >after.list &&
	diff before.list after.list
}
start_roostd() {
	{ roostd -d -f roostd.yaml >>roostd.log 2>&1 & ROOSTD=$!; } &&
	wait_for 20 test -S "$API"
}
stop_roostd() {
	kill "${1:--TERM}" $ROOSTD 2>/dev/null; wait $ROOSTD 2>/dev/null
	rm -f "$API"
}
started() {
	docker inspect -f '{{.State.StartedAt}}' "roost-$S" 2>/dev/null
}
listing() {
	(cd "$1" && find . -mindepth 1 ! -name server.properties \
	    -printf '%p %y %m %T@ %l %s\n' | sort &&
	    find . -type f ! -name server.properties -print0 | sort -z |
	    xargs -0 -r sha256sum)
}
