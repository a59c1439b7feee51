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
#   bot_yaml            writes ./token and the head of ./bot.yaml: the
#                       fake on $P, the remote $TRASH/remote.git pushed
#                       through the work tree $TRASH/work, a committer;
#                       the script appends the rest (cat >>bot.yaml)
#   example_remote      ./repo: state-example committed on main, and its
#                       bare clone ./remote.git
#   bot_start           starts roost-bot with ./bot.yaml (log bot.log, pid
#                       $BOTPID) and waits until its gateway is ready
#
# $ADMIN, $ALICE and $BOB are Discord ids: state-example's admin role, the
# owner of its servers (and of roostd.sh's) and another user.

ADMIN=111111111111111111 ALICE=444444444444444444 BOB=555555555555555555

example_remote() {
	cp -R "$ROOST_SRC/state-example" repo &&
	git init -q -b main repo && git -C repo add -A &&
	git -C repo commit -q -m "initial state" &&
	git clone -q --bare repo remote.git
}

fdctl() {
	/usr/bin/python3 "$ROOST_SRC/tests/fakediscord/fdctl.py" "$P" "$@"
}
C=fdctl

bot_yaml() {
	echo fake-bot-token >token &&
	cat >bot.yaml <<-EOF
	tokenFile: $TRASH/token
	applicationId: "900000000000000001"
	apiBase: http://127.0.0.1:$P/api/v10
	repo: $TRASH/remote.git
	workdir: $TRASH/work
	committer: { name: roost-bot, email: bot@example.com }
	EOF
}

bot_start() {
	{ roost-bot -d -f bot.yaml >bot.log 2>&1 & BOTPID=$!; } &&
	wait_for 20 grep -q "gateway: ready" bot.log
}

fake_start() {
	{ /usr/bin/python3 "$ROOST_SRC/tests/fakediscord/fakediscord.py" \
	    --port "$P" --gateway-port "$GW" --resume-port "$RESUME" \
	    --state-dir fd "$@" >fd.log 2>&1 & FDPID=$!; } &&
	wait_for 10 test -f fd/ready
}
