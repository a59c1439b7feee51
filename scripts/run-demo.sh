#!/usr/bin/env bash
# run-demo.sh: "make run". Makes sure a Docker engine answers and the
# offline demo image exists, creates a local state repository from
# state-example/ (once; later runs keep your edits), writes a roostd
# configuration for node-a, commits node-a's sealing key, and runs roostd
# in the foreground.
set -eu
O=${1:-build}
cd "$(dirname "$0")/.."
ROOST_SRC=$(pwd)
export ROOST_SRC
RUN=${ROOST_RUN_DIR:-$ROOST_SRC/run}
BIN=$(cd "$O" && pwd)

. tests/lib/docker.sh
echo "roost: checking the docker engine"
docker_ensure
echo "roost: building the demo image (offline)"
demo_image_ensure

mkdir -p "$RUN"
if [ ! -f "$RUN/roostd.yaml" ]; then
	cat >"$RUN/roostd.yaml" <<CONF
# roostd configuration written by "make run"; see docs/roostd.md.
node: node-a
repo: $RUN/state
branch: main
dataDir: $RUN/data
api: $RUN/roostd.sock
pollInterval: 15s
sftp:
  listen: 127.0.0.1:2022
backups:
  targets:
    local: { type: local, path: $RUN/backups }
CONF
fi

if [ ! -d "$RUN/state/.git" ]; then
	echo "roost: creating the state repository $RUN/state from state-example/"
	rm -rf "$RUN/state"
	cp -R state-example "$RUN/state"
	git -C "$RUN/state" init -q -b main
	git -C "$RUN/state" add -A
	git -C "$RUN/state" -c user.name="roost" -c user.email="roost@localhost" \
	    commit -q -m "Initial state from state-example"
else
	echo "roost: using the existing state repository $RUN/state"
fi
# node-a's sealing key: roostd makes it; its public half is committed so
# that "roost server set demo VAR --secret" seals for it (docs/secrets.md).
if ! grep -q '^sealKey:' "$RUN/state/nodes/node-a.yaml"; then
	key=$("$BIN/roostd" -f "$RUN/roostd.yaml" -K)
	printf 'sealKey: %s\n' "$key" >>"$RUN/state/nodes/node-a.yaml"
	git -C "$RUN/state" -c user.name="roost" -c user.email="roost@localhost" \
	    commit -q -m "node-a's sealing key" nodes/node-a.yaml
	echo "roost: node-a's sealing key $key is committed in nodes/node-a.yaml"
fi

cat <<MSG

  roostd is starting on node-a with the state repository
  $RUN/state

  In a second terminal:
    $BIN/roost status --api $RUN/roostd.sock          # the servers and their phase
    curl http://127.0.0.1:25600/                      # the demo server answers
    cd $RUN/state && \$EDITOR servers/demo.yaml && git commit -am "edit demo"
                                                      # takes effect at once
    $BIN/roost server set demo --repo $RUN/state memory=256   # the same, by CLI
    $BIN/roost secret seal --repo $RUN/state --node node-a    # seal a secret

  Stop roostd with Ctrl-C; the containers keep running and are adopted
  by the next start.

MSG
exec "$BIN/roostd" -d -f "$RUN/roostd.yaml"
