#!/usr/bin/env bash
# t6000-secrets: sealed secrets end to end on the real Docker engine with
# two real roostd nodes. Each node makes its key pair at the first start;
# the public keys are committed in nodes/; "roost server set --secret"
# seals a value for both nodes and commits it; the node that runs the
# server creates its container with the plaintext in its environment
# (docker inspect), while the repository (every object), the status, the
# API, the hub frames and the logs never hold it. A value sealed for the
# other node only, a damaged one and a truncated one each make that one
# server Invalid with a clear message while another server keeps running.
# A move to a node the value was sealed for runs there with the secret; a
# move to a node it was not sealed for is reported. roost validate warns
# about plaintext secrets and, with requireSealedSecrets, fails with
# positions. A key rotation keeps old values opening until "roost secret
# reseal" reseals them, without recreating the container.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/docker.sh"
. "$ROOST_SRC/tests/lib/roostd.sh"

N1=t6000a-$TEST_RUN_ID N2=t6000b-$TEST_RUN_ID
A=sa-$TEST_RUN_ID B=sb-$TEST_RUN_ID X=sx-$TEST_RUN_ID M=sm-$TEST_RUN_ID
read -r PA PB PX PM HUBPORT < <(free_ports 5 | xargs)
API1=$TRASH/api1.sock API2=$TRASH/api2.sock
API=$API1
HUB="/usr/bin/python3 $ROOST_SRC/tests/tools/testhub.py"
# The secrets: never to be found anywhere but in a container's environment.
SA="pw-A-$TEST_RUN_ID-$RANDOM$RANDOM" SM="pw-M-$TEST_RUN_ID-$RANDOM$RANDOM"
SX="pw-X-$TEST_RUN_ID-$RANDOM$RANDOM"

test_cleanup 'kill $R1 $R2 $HUBPID 2>/dev/null; wait $R1 $R2 2>/dev/null; docker_cleanup_label roost.node=$N1; docker_cleanup_label roost.node=$N2'

conf() {	# conf NODE API DATA [HUB]
	printf "node: %s\nrepo: %s/repo\ndataDir: %s\napi: %s\npollInterval: 1h\nstopTimeout: 5s\nsftp:\n  enabled: false\n" \
	    "$1" "$TRASH" "$3" "$2"
	[ -z "${4:-}" ] || printf "hub:\n  url: ws://127.0.0.1:%s/v1/hub\n  tokenFile: %s/hubtoken\n" "$4" "$TRASH"
}
start1() {
	roostd -d -f r1.yaml >>r1.log 2>&1 & R1=$!
	wait_for 20 test -S "$API1"
}
start2() {
	roostd -d -f r2.yaml >>r2.log 2>&1 & R2=$!
	wait_for 20 test -S "$API2"
}
st() {	# st API NAME FIELD: a field of a server's status
	roost status --api "$1" --format json 2>/dev/null |
	    json "next((str(s.get('$3')) for s in d['servers'] if s['name']=='$2'), 'absent')"
}
server() {	# server NAME NODE PORT: a server of the secret egg
	cat <<-EOF
	apiVersion: roost/v1
	kind: Server
	name: $1
	owner: "444444444444444444"
	node: $2
	egg: test/secret
	limits: { memory: 128, cpu: 50, disk: 256, pids: 64 }
	ports: { default: $3 }
	EOF
}
envof() {	# envof NAME: the container's environment, one a line
	docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "roost-$1"
}
setvar() {	# setvar NAME VALUE: writes RCON_PASS of NAME's file
	sed -i "/^variables:/,\$d" repo/servers/$1.yaml &&
	printf 'variables:\n  RCON_PASS: "%s"\n' "$2" >>repo/servers/$1.yaml
}
nowhere() {	# nowhere SECRET FILE...: SECRET is in none of the files
	! grep -rqF -- "$1" "$@"
}

test_expect_success 'setup: two nodes, an egg with a secret, a hub' '
	docker_ensure && demo_image_ensure >demo-image.log 2>&1 &&
	mkdir -p repo/nodes repo/servers repo/eggs/test data1 data2 &&
	git init -q -b main repo &&
	sed -e "s/^name: roost demo server/name: secret demo/" \
	    -e "/^denylist:/i\\  - env: RCON_PASS\\n    name: RCON password\\n    default: \"\"\\n    viewable: true\\n    editable: true\\n    rules: [nullable, string, \"max:64\"]" \
	    $ROOST_SRC/eggs/roost/demo.yaml >repo/eggs/test/secret.yaml &&
	grep -q "env: RCON_PASS" repo/eggs/test/secret.yaml &&
	for n in $N1 $N2; do
		printf "name: %s\naddress: 127.0.0.1\nports: %s\n" $n \
		    "$(ports_yaml $PA $PB $PX $PM)" >repo/nodes/$n.yaml || return 1
	done &&
	server $B $N1 $PB >repo/servers/$B.yaml &&
	commit "nodes and a plain server" &&
	conf $N1 $API1 $TRASH/data1 $HUBPORT >r1.yaml &&
	conf $N2 $API2 $TRASH/data2 >r2.yaml &&
	echo hub-token >hubtoken &&
	{ $HUB $HUBPORT hub-token $TRASH/frames >hub.log 2>&1 & HUBPID=$!; } &&
	wait_for 10 bash -c "echo >/dev/tcp/127.0.0.1/$HUBPORT"
'

test_expect_success 'roostd makes a private key pair at its first start and shows the public key' '
	start1 && start2 &&
	test "$(stat -c %a data1/seal.key)" = 600 &&
	k1=$(roost node pubkey --api $API1 2>hint) &&
	test ${#k1} -eq 43 &&
	grep -q "sealKey: $k1" hint &&
	roost status --api $API1 --format json | json "d[\"node\"][\"sealKey\"]" >k &&
	test "$(cat k)" = "$k1" &&
	test "$(roostd -f r1.yaml -K)" = "$k1" &&
	k2=$(roost node pubkey --api $API2 2>/dev/null) &&
	test "$k1" != "$k2" &&
	! grep -F "$(cut -c19- data1/seal.key)" r1.log &&
	echo "sealKey: $k1" >>repo/nodes/$N1.yaml &&
	echo "sealKey: $k2" >>repo/nodes/$N2.yaml &&
	commit "the nodes'"'"' keys" &&
	wait_for 20 sh -c "roost status --api $API1 --format json | grep -q \"sealKeyCommitted\\\": *true\"" &&
	roost status --api $API1 | grep -qx "sealKey $k1" &&
	wait_phase $B Running 90
'

test_expect_success 'roost validate warns about a plaintext secret' '
	server $A $N1 $PA >repo/servers/$A.yaml &&
	setvar $A "$SA" &&
	roost validate --repo repo >out 2>&1 &&
	grep -q "servers/$A.yaml:10:14: warning: variable .RCON_PASS. looks like a secret in plaintext" out
'

test_expect_success 'requireSealedSecrets makes it an error with its position' '
	printf "requireSealedSecrets: true\n" >repo/roost.yaml &&
	! roost validate --repo repo >out 2>&1 &&
	grep -q "servers/$A.yaml:10:14: error: variable .RCON_PASS. is a secret in plaintext" out &&
	roost validate --repo repo --format json >out.json;
	json "[(x[\"line\"], x[\"column\"]) for x in d[\"problems\"] if x[\"level\"]==\"error\"]" <out.json >pos &&
	grep -q "(10, 14)" pos &&
	rm -f repo/roost.yaml repo/servers/$A.yaml
'

test_expect_success 'roost server set --secret seals the value for both nodes and commits it' '
	server $A $N1 $PA >repo/servers/$A.yaml &&
	commit "server A" &&
	printf "%s\n" "$SA" | roost server set --repo repo $A RCON_PASS --secret >out &&
	grep -q "variables.RCON_PASS" out &&
	grep -q "sealed for $N1, $N2" out &&
	grep -q "RCON_PASS: \"sealed:v1:$N1:" repo/servers/$A.yaml &&
	printf "requireSealedSecrets: true\n" >repo/roost.yaml &&
	commit "require sealed secrets" &&
	roost validate --repo repo >out 2>&1 && ! grep -q warning out
'

test_expect_success 'roost server set --secret edits the --branch it is given, with its --request-id' '
	head=$(git -C repo rev-parse HEAD) &&
	git -C repo branch staging &&
	printf "%s\n" "$SA" | roost server set --repo repo $A RCON_PASS --secret \
	    --branch staging --request-id 1178000000000000777 >out &&
	grep -q "on staging" out &&
	git -C repo log -1 --format=%B staging >msg &&
	grep -q "^Roost-Request: 1178000000000000777$" msg &&
	test "$(git -C repo rev-parse HEAD)" = "$head" &&
	git -C repo branch -D staging
'

test_expect_success 'the container runs with the plaintext in its environment' '
	wait_phase $A Running 120 &&
	envof $A | grep -qx "RCON_PASS=$SA"
'

test_expect_success 'a value sealed for the other node only, a damaged and a truncated one: that server is Invalid' '
	wait_phase $B Running 60 && started $B >b-started &&
	server $X $N1 $PX >repo/servers/$X.yaml &&
	v=$(printf "%s" "$SX" | roost secret seal --repo repo --node $N2) &&
	case "$v" in sealed:v1:$N2:*) ;; *) false ;; esac &&
	setvar $X "$v" && commit "X sealed for N2 only" &&
	wait_phase $X Invalid 60 &&
	st $API1 $X message >msg &&
	grep -q "variable .RCON_PASS. does not open on this node: sealed for $N2, not for this node .$N1." msg &&
	v=$(printf "%s" "$SX" | roost secret seal --repo repo --node $N1) &&
	bad=$(echo "$v" | sed "s/^\(sealed:v1:$N1:[0-9a-f]*:.\{20\}\)\(.\)/\1\2\2/; s/\(.\)\(.\{30\}\)$/\2/") &&
	test "$bad" != "$v" && test ${#bad} -eq ${#v} &&
	setvar $X "$bad" && commit "X damaged" &&
	wait_for 60 sh -c "roost status --api $API1 --format json | grep -q \"does not open: it is damaged\"" &&
	setvar $X "${v%??????????????????????????????}" && commit "X truncated" &&
	wait_for 60 sh -c "roost status --api $API1 --format json | grep \"$X\" | grep -q truncated" &&
	test "$(phase $X)" = Invalid &&
	! docker inspect roost-$X >/dev/null 2>&1 &&
	test "$(phase $B)" = Running && test "$(phase $A)" = Running &&
	test "$(started $B)" = "$(cat b-started)" &&
	kill -0 $R1
'

test_expect_success 'validate reports a value sealed for nodes the server does not run on' '
	setvar $X "$(printf "%s" "$SX" | roost secret seal --repo repo --node $N2)" &&
	roost validate --repo repo >out 2>&1 &&
	grep -q "servers/$X.yaml:10:14: warning: variable .RCON_PASS. is sealed for $N2, but the server runs on node .$N1., which cannot open it" out &&
	setvar $X "sealed:v1:$N1:0123abcd:AAAA" &&
	! roost validate --repo repo >out 2>&1 &&
	grep -q "servers/$X.yaml:10:14: error: variable .RCON_PASS.: sealed value, byte .*truncated" out &&
	git -C repo rm -q -f servers/$X.yaml && commit "X removed"
'

test_expect_success 'a move to a node the value was sealed for runs there with the secret' '
	sed -i "s/^node: $N1/node: $N2/" repo/servers/$A.yaml &&
	commit "move A to N2" &&
	wait_for 120 sh -c "docker inspect -f \"{{index .Config.Labels \\\"roost.node\\\"}}\" roost-$A 2>/dev/null | grep -qx $N2" &&
	wait_for 60 sh -c "roost status --api $API2 --format json | grep -q Running" &&
	envof $A | grep -qx "RCON_PASS=$SA"
'

test_expect_success 'a move to a node the value was not sealed for is reported' '
	server $M $N1 $PM >repo/servers/$M.yaml &&
	setvar $M "$(printf "%s" "$SM" | roost secret seal --repo repo --node $N1)" &&
	commit "M sealed for N1 only" &&
	wait_phase $M Running 120 &&
	envof $M | grep -qx "RCON_PASS=$SM" &&
	sed -i "s/^node: $N1/node: $N2/" repo/servers/$M.yaml &&
	roost validate --repo repo >out 2>&1 &&
	grep -q "servers/$M.yaml:10:14: warning: variable .RCON_PASS. is sealed for $N1, but the server runs on node .$N2." out &&
	commit "move M to N2" &&
	wait_for 60 sh -c "roost status --api $API2 --format json | grep -q \"sealed for $N1, not for this node\"" &&
	API=$API2 phase $M | grep -qx Invalid
'

test_expect_success 'a rotated key still opens old values; roost secret reseal reseals them without a recreate' '
	kill $R2 && wait $R2 2>/dev/null;
	started $A >a-started &&
	k2new=$(roostd -f r2.yaml -R -K) &&
	test -f data2/seal.key.old &&
	test "$(stat -c %a data2/seal.key.old)" = 600 &&
	sed -i "s/^sealKey: .*/sealKey: $k2new/" repo/nodes/$N2.yaml &&
	commit "N2 rotated its key" &&
	roost validate --repo repo >out 2>&1 &&
	grep -q "servers/$A.yaml:10:14: warning: variable .RCON_PASS. is sealed to key .* of node .$N2., not to its sealKey" out &&
	start2 &&
	wait_for 60 sh -c "roost status --api $API2 --format json | grep \"\\\"$A\\\"\" -A3 | grep -q Running" &&
	roost secret reseal --repo repo --api $API2 --author "Ops <ops@example.com>" >out &&
	grep -q "values resealed by node $N2" out &&
	grep -q "roost server vars $A: variables.RCON_PASS" out &&
	git -C repo log -1 --format=%an | grep -qx Ops &&
	roost validate --repo repo >out 2>&1 && ! grep -q "$A.yaml.*warning" out &&
	sleep 2 &&
	test "$(started $A)" = "$(cat a-started)" &&
	envof $A | grep -qx "RCON_PASS=$SA"
'

test_expect_success 'the API answers POST /v1/secrets/reseal with sealed values only' '
	curl -s --unix-socket $API1 -X POST -d "{\"nodes\": [\"$N1\"]}" \
	    http://localhost/v1/secrets/reseal >reseal1.json &&
	json "d[\"node\"]" <reseal1.json | grep -qx $N1 &&
	curl -s --unix-socket $API1 -X POST -d "nope" \
	    -o /dev/null -w "%{http_code}" http://localhost/v1/secrets/reseal | grep -qx 400
'

test_expect_success 'no plaintext in the repository, status, API, hub frames or logs' '
	roost status --api $API1 --format json >status1.json &&
	roost status --api $API2 --format json >status2.json &&
	curl -s --unix-socket $API2 http://localhost/v1/servers/$A >api-a.json &&
	curl -s --unix-socket $API2 http://localhost/metrics >metrics2.txt &&
	git -C repo log -p --all >gitlog.txt &&
	git -C repo cat-file --batch-all-objects --batch >objects.txt &&
	test -s frames && grep -q "\"type\":\"server\"" frames &&
	grep -q RCON_PASS gitlog.txt &&
	for s in "$SA" "$SM" "$SX"; do
		nowhere "$s" repo gitlog.txt objects.txt status1.json status2.json \
		    api-a.json metrics2.txt reseal1.json frames r1.log r2.log hub.log \
		    data1/seal.key data2/seal.key || return 1
	done
'

test_done
