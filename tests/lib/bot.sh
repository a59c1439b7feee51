# bot.sh: the fake Discord (tests/fakediscord) for the integration scripts
# that run roost-bot. Source it after tap.sh. The script takes the fake's
# three ports from the kernel with its others, in one call so they differ:
#
#   read -r P GW RESUME HUB < <(free_ports 4 | xargs)
#
#   fake_start [ARGS]   starts the fake (REST and control on $P, gateway
#                       on $GW, resume gateway on $RESUME) with its state
#                       in ./fd and its log in fd.log, waits until it
#                       listens; its pid in $FDPID
#   $C ARGS             the fake's control client (fdctl.py) on $P

fdctl() {
	/usr/bin/python3 "$ROOST_SRC/tests/fakediscord/fdctl.py" "$P" "$@"
}
C=fdctl

fake_start() {
	{ /usr/bin/python3 "$ROOST_SRC/tests/fakediscord/fakediscord.py" \
	    --port "$P" --gateway-port "$GW" --resume-port "$RESUME" \
	    --state-dir fd "$@" >fd.log 2>&1 & FDPID=$!; } &&
	wait_for 10 test -f fd/ready
}
