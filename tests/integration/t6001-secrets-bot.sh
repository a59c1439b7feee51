#!/usr/bin/env bash
# t6001-secrets-bot: the Discord side of sealed secrets. The fake Discord
# opens /server vars' modal: a secret variable's field is empty and the
# "Seal these values" select has it chosen. Submitting it seals the value
# before it is committed; a variable that is not secret by name is sealed
# when the user ticks it. roostd (asked by the node hub) runs the
# container with the plaintexts in its environment, while the repository,
# every REST call and message the bot made, the bot's and roostd's logs
# and the status never hold them; /server vars shows •••• and the nodes.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/hub.sh"

S=sv-$TEST_RUN_ID
read -r P GW RESUME HUB PORT1 < <(free_ports 5 | xargs)
PW="rcon-$TEST_RUN_ID-$RANDOM$RANDOM" MOTD="motd-$TEST_RUN_ID-$RANDOM$RANDOM"
test_cleanup hub_stop

envof() {
	docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "roost-$1"
}

test_expect_success 'setup: a node with its sealKey, a server of an egg with a secret, the bot and roostd' '
	docker_ensure && demo_image_ensure >demo-image.log 2>&1 &&
	mkdir -p repo/nodes repo/servers repo/eggs/test &&
	git init -q -b main repo &&
	printf "access:\n  - role: \"%s\"\n    permissions: [admin]\n" $ADMIN >repo/roost.yaml &&
	sed -e "s/^name: roost demo server/name: secret demo/" \
	    -e "/^denylist:/i\\  - env: RCON_PASS\\n    name: RCON password\\n    default: \"\"\\n    viewable: true\\n    editable: true\\n    rules: [nullable, string, \"max:64\"]" \
	    $ROOST_SRC/eggs/roost/demo.yaml >repo/eggs/test/secret.yaml &&
	roostd_yaml file://$TRASH/remote.git &&
	cat >>roostd.yaml <<-EOF &&
	hub:
	  url: wss://localhost:$HUB/v1/hub
	  tokenFile: $TRASH/nodetoken
	  caFile: $TRASH/ca.pem
	EOF
	key=$(roostd -f roostd.yaml -K) &&
	printf "name: %s\naddress: 127.0.0.1\nports: [%s]\nsealKey: %s\n" $NODE $PORT1 $key >repo/nodes/$NODE.yaml &&
	printf "name: %s\nowner: \"%s\"\nnode: %s\negg: test/secret\nlimits: { memory: 128, cpu: 50, disk: 256, pids: 64 }\nports: { default: %s }\n" \
	    $S $ALICE $NODE $PORT1 >repo/servers/$S.yaml &&
	git -C repo add -A && git -C repo commit -q -m init &&
	git clone -q --bare repo remote.git &&
	hub_cert "t6001 CA" &&
	sha=$(node_token t6001-node-secret) &&
	bot_yaml &&
	cat >>bot.yaml <<-EOF &&
	hub:
	  listen: 127.0.0.1:$HUB
	  tls: { cert: $TRASH/hub.pem, key: $TRASH/hub.key }
	  nodes:
	    - { name: $NODE, tokenSha256: $sha }
	EOF
	hub_start &&
	wait_phase $S Running 120
'

test_expect_success 'the modal leaves a secret empty and chooses it in the seal select' '
	id=$($C component $ALICE $ADMIN vb:$S) &&
	$C wait $id "MODAL v:$S" >/dev/null &&
	$C show $id >modal.json &&
	/usr/bin/python3 - modal.json <<-EOF
	import json, sys
	r = json.load(open(sys.argv[1]))
	m = r["acked"]["data"]
	rows = [c["component"] for c in m["components"]]
	byid = {c["custom_id"]: c for c in rows}
	assert "value" not in byid["RCON_PASS"], byid["RCON_PASS"]
	assert byid["MOTD"].get("value"), byid["MOTD"]
	sel = byid["seal"]
	assert sel["type"] == 3 and sel["min_values"] == 0
	chosen = [o["value"] for o in sel["options"] if o.get("default")]
	assert chosen == ["RCON_PASS"], chosen
	EOF
'

test_expect_success 'the submitted modal seals the secret and a ticked variable before committing' '
	id=$($C modal $ALICE $ADMIN v:$S RCON_PASS=$PW MOTD=$MOTD seal:=RCON_PASS,MOTD) &&
	$C wait $id "Set " >out &&
	grep -q "RCON_PASS=•••• (sealed for $NODE)" out &&
	grep -q "MOTD=•••• (sealed for $NODE)" out &&
	git -C remote.git show main:servers/$S.yaml >s.yaml &&
	grep -q "RCON_PASS: \"sealed:v1:$NODE:" s.yaml &&
	grep -q "MOTD: \"sealed:v1:$NODE:" s.yaml &&
	git -C remote.git log -1 --format=%B main >msg &&
	grep -q "variables.RCON_PASS •••• (sealed for $NODE)" msg
'

test_expect_success 'roostd runs the container with the plaintexts' '
	wait_for 120 sh -c "docker inspect -f \"{{range .Config.Env}}{{println .}}{{end}}\" roost-$S 2>/dev/null | grep -qx \"RCON_PASS=$PW\"" &&
	envof $S | grep -qx "MOTD=$MOTD" &&
	wait_phase $S Running 60
'

test_expect_success '/server vars shows the secrets as •••• with their node' '
	id=$($C slash $ALICE $ADMIN "server vars" server=$S) &&
	$C wait $id "RCON_PASS" >out &&
	grep -q "RCON_PASS. = .•••• (sealed for $NODE)" out &&
	grep -q "MOTD. = .•••• (sealed for $NODE)" out
'

test_expect_success 'an empty secret field keeps the sealed value' '
	before=$(git -C remote.git rev-parse main) &&
	id=$($C modal $ALICE $ADMIN v:$S RCON_PASS= MOTD= seal:=RCON_PASS,MOTD) &&
	$C wait $id "Nothing was changed" >/dev/null &&
	test "$(git -C remote.git rev-parse main)" = "$before"
'

test_expect_success 'no plaintext in the repository, Discord calls and messages, logs or status' '
	$C get /calls >calls.json && $C get /messages >messages.json &&
	grep -q "sealed for" calls.json &&
	git -C remote.git log -p --all >gitlog.txt &&
	git -C remote.git cat-file --batch-all-objects --batch >objects.txt &&
	roost status --api $API --format json >status.json &&
	curl -s --unix-socket $API http://localhost/v1/servers/$S >server.json &&
	for s in "$PW" "$MOTD"; do
		! grep -rqF -- "$s" calls.json messages.json gitlog.txt objects.txt \
		    status.json server.json bot.log roostd.log work remote.git || return 1
	done
'

test_done
