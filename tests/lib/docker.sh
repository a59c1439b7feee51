# docker.sh: shell functions that give roost's tests and "make run" a
# Docker engine and the offline demo image. Source it, then call:
#
#   docker_ensure            an engine answers, starting dockerd if needed
#   demo_image_ensure        roost.local/demo:1 exists and is current
#   docker_cleanup_label L=V removes the containers labelled L=V
#   docker_port_answers PORT [SECONDS]  127.0.0.1:PORT accepts connections
#
# docker_ensure starts "dockerd --storage-driver=vfs" in the background
# with its log in $ROOST_DOCKERD_LOG (default /var/log/roost-dockerd.log)
# and waits up to 60 s for the socket. It needs root and docker.io. Runs
# that start at once take turns on a lock file ($ROOST_DOCKERD_LOCK), so
# only the first starts the engine and the others wait for it.

: "${ROOST_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${ROOST_DOCKERD_LOG:=/var/log/roost-dockerd.log}"
: "${ROOST_DOCKER_SOCK:=/var/run/docker.sock}"

docker_ensure() {
	if docker info >/dev/null 2>&1; then
		return 0
	fi
	if ! command -v dockerd >/dev/null 2>&1; then
		echo "docker_ensure: dockerd is missing; install docker.io" >&2
		return 1
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "docker_ensure: the docker engine does not answer and only root can start it" >&2
		return 1
	fi
	# fd 9 holds the lock; dockerd must not inherit it (9>&-).
	(
		flock -w 150 9 || echo "docker_ensure: waiting for the lock timed out" >&2
		docker_ensure_locked
	) 9>>"${ROOST_DOCKERD_LOCK:-/tmp/roost-dockerd.lock}"
}

docker_ensure_locked() {
	local i
	if docker info >/dev/null 2>&1; then
		return 0
	fi
	if pgrep -x dockerd >/dev/null 2>&1; then
		echo "docker_ensure: dockerd runs but does not answer yet; waiting" >&2
	else
		echo "docker_ensure: starting dockerd (log: $ROOST_DOCKERD_LOG)" >&2
		mkdir -p "$(dirname "$ROOST_DOCKERD_LOG")"
		# containerd is started by dockerd itself when none runs. The
		# engine outlives this run, so it keeps none of the caller's
		# descriptors (a lock held around the tests would never end).
		(
			for fd in $(ls /proc/$BASHPID/fd 2>/dev/null); do
				[ "$fd" -gt 2 ] && eval "exec $fd>&-"
			done
			exec nohup setsid dockerd --storage-driver=vfs \
			    >>"$ROOST_DOCKERD_LOG" 2>&1 </dev/null
		) &
	fi
	for i in $(seq 1 120); do
		if docker info >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.5
	done
	echo "docker_ensure: the docker engine did not answer within 60 s; see $ROOST_DOCKERD_LOG" >&2
	tail -n 20 "$ROOST_DOCKERD_LOG" >&2 2>/dev/null
	return 1
}

demo_image_ensure() {
	"$ROOST_SRC/scripts/demo-image.sh" "$@"
}

docker_cleanup_label() {
	local ids
	if [ $# -ne 1 ] || [ -z "$1" ]; then
		echo "docker_cleanup_label: give one LABEL=VALUE" >&2
		return 2
	fi
	ids=$(docker ps -aq --filter "label=$1") || return 1
	if [ -n "$ids" ]; then
		# shellcheck disable=SC2086
		docker rm -f -v $ids >/dev/null || return 1
	fi
	return 0
}

docker_port_answers() {
	local port=$1 secs=${2:-10} i
	for i in $(seq 1 $((secs * 10))); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}
