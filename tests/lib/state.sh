# state.sh: state repository fixtures for roost's integration scripts.
# Source it after tap.sh, then:
#
#   make_state DIR   a small state repository in DIR: a node, a
#                    repository egg with a variable rule, and one server
#                    written by hand with comments (servers/mc.yaml)
#
make_state() {
	mkdir -p "$1/nodes" "$1/servers" "$1/eggs/demo" &&
	cat >"$1/roost.yaml" <<-\EOF &&
	apiVersion: roost/v1
	kind: Config
	defaults:
	  limits: { memory: 1024, disk: 4096 }
	EOF
	cat >"$1/nodes/node-a.yaml" <<-\EOF &&
	apiVersion: roost/v1
	kind: Node
	name: node-a
	address: 127.0.0.1
	ports: ["25565-25600"]
	capacity: { memory: 16384, disk: 102400, cpu: 3200 }
	EOF
	cat >"$1/eggs/demo/demo.json" <<-\EOF &&
	{"meta":{"version":"PTDL_v2"},"name":"Demo","author":"t@example.com","description":"demo",
	 "docker_images":{"Demo":"roost/demo:latest"},"startup":"./run",
	 "config":{"files":"{}","startup":"{\"done\":\"ready\"}","logs":"{}","stop":"^C"},
	 "scripts":{"installation":{"script":"true","container":"alpine","entrypoint":"sh"}},
	 "variables":[{"name":"Greeting","description":"","env_variable":"GREETING","default_value":"hi",
	   "user_viewable":true,"user_editable":true,"rules":"required|string|max:20","field_type":"text"}]}
	EOF
	cat >"$1/servers/mc.yaml" <<-\EOF
	# the first server
	apiVersion: roost/v1
	kind: Server
	name: mc
	owner: "123456789012345678"
	node: node-a
	egg: demo/demo
	state: running
	limits:
	  memory: 2048   # two GiB
	ports:
	  default: 25565
	variables:
	  GREETING: hello
	EOF
}
