# hub.sh: what the integration scripts that run the node hub share. Source
# it after tap.sh; it sources what its functions use: bot.sh, docker.sh
# and roostd.sh.
#
#   hub_cert CN        a CA ./ca.pem (common name CN) and the hub's
#                      certificate ./hub.pem, key ./hub.key, that it
#                      signed for localhost and 127.0.0.1
#   node_token SECRET  writes SECRET to ./nodetoken and prints its SHA-256,
#                      as bot.yaml's tokenSha256 wants it
#   hub_repo PORT...   a git repository ./repo with roost.yaml (role $ADMIN
#                      is admin) and node $NODE on 127.0.0.1 with PORTs
#   hub_setup PORT...  readies the engine and the demo image (log
#                      demo-image.log), removes what is left of node
#                      $NODE's containers and makes ./repo (hub_repo)
#   hub_roostd_yaml URL [LINE]
#                      writes ./roostd.yaml: node $NODE on file://remote.git,
#                      data in ./data, API $API, no SFTP, the hub at URL
#                      with ./nodetoken (and LINE, e.g. "caFile: ...", in
#                      its hub section, which comes last: append more)
#   hub_bot_yaml SHA [LINE]
#                      writes ./bot.yaml (bot_yaml) with the hub listening
#                      on 127.0.0.1:$HUB for node $NODE of token SHA (and
#                      LINE, e.g. "tls: {...}", in its hub section)
#   hub_configs MESSAGE SECRET
#                      commits all of ./repo with MESSAGE, clones it to
#                      the bare ./remote.git, and writes ./nodetoken
#                      (node_token SECRET), ./bot.yaml (hub_bot_yaml) and
#                      ./roostd.yaml with the hub at ws://127.0.0.1:$HUB
#                      (hub_roostd_yaml); the script appends the rest
#   hub_start          starts the fake Discord, roost-bot with ./bot.yaml
#                      (log bot.log, pid $BOTPID) and roostd with
#                      ./roostd.yaml (log roostd.log, pid $ROOSTD), and
#                      waits until the node $NODE is connected to the bot
#   hub_stop           stops what hub_start started (waits for roostd) and
#                      removes the containers of node $NODE

. "$ROOST_SRC/tests/lib/bot.sh"
. "$ROOST_SRC/tests/lib/docker.sh"
. "$ROOST_SRC/tests/lib/roostd.sh"

hub_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem \
	    -days 2 -subj "/CN=$1" 2>/dev/null &&
	openssl req -newkey rsa:2048 -nodes -keyout hub.key -out hub.csr \
	    -subj "/CN=localhost" 2>/dev/null &&
	printf "subjectAltName=DNS:localhost,IP:127.0.0.1\n" >san.ext &&
	openssl x509 -req -in hub.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -out hub.pem -days 2 -extfile san.ext 2>/dev/null
}

node_token() {
	echo "$1" >nodetoken &&
	tr -d "\n" <nodetoken | sha256sum | cut -d" " -f1
}

hub_repo() {
	mkdir -p repo/nodes repo/servers &&
	git init -q -b main repo &&
	cat >repo/roost.yaml <<-EOF &&
	apiVersion: roost/v1
	kind: Config
	access:
	  - role: "$ADMIN"
	    permissions: [admin]
	EOF
	cat >repo/nodes/$NODE.yaml <<-EOF
	apiVersion: roost/v1
	kind: Node
	name: $NODE
	address: 127.0.0.1
	ports: $(ports_yaml "$@")
	capacity: { memory: 4096, disk: 10240, cpu: 400 }
	EOF
}

hub_setup() {
	docker_ensure && demo_image_ensure >demo-image.log 2>&1 &&
	docker_cleanup_label roost.node=$NODE &&
	hub_repo "$@"
}

hub_roostd_yaml() {
	roostd_yaml file://$TRASH/remote.git &&
	cat >>roostd.yaml <<-EOF
	hub:
	  url: $1
	  tokenFile: $TRASH/nodetoken
	EOF
	if [ -n "${2:-}" ]; then echo "  $2" >>roostd.yaml; fi
}

hub_bot_yaml() {
	bot_yaml &&
	cat >>bot.yaml <<-EOF
	hub:
	  listen: 127.0.0.1:$HUB
	  nodes:
	    - { name: $NODE, tokenSha256: $1 }
	EOF
	if [ -n "${2:-}" ]; then echo "  $2" >>bot.yaml; fi
}

hub_configs() {
	local sha
	git -C repo add -A && git -C repo commit -q -m "$1" &&
	git clone -q --bare repo remote.git &&
	sha=$(node_token "$2") &&
	hub_bot_yaml $sha &&
	hub_roostd_yaml ws://127.0.0.1:$HUB/v1/hub
}

hub_start() {
	fake_start && bot_start &&
	{ roostd -d -f roostd.yaml >roostd.log 2>&1 & ROOSTD=$!; } &&
	wait_for 20 test -S "$API" &&
	wait_for 30 grep -q "node $NODE connected" bot.log
}

hub_stop() {
	kill $BOTPID $FDPID 2>/dev/null
	kill $ROOSTD 2>/dev/null
	wait $ROOSTD 2>/dev/null
	docker_cleanup_label roost.node=$NODE
}
