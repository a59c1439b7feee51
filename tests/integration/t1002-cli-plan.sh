#!/usr/bin/env bash
# t1002-cli-plan: roost plan previews a revision against a base or an
# empty node: creates, live updates, recreates, power changes, deletes,
# invalid files kept at their last good spec, and refusals.
. "$(dirname "$0")/../lib/tap.sh"
export ROOST_EGGS=$ROOST_SRC/eggs

test_expect_success 'setup: a repository with two revisions' '
	cp -R "$ROOST_SRC/state-example" repo &&
	git -C repo init -q -b main && git -C repo add -A &&
	git -C repo commit -q -m one &&
	sed -i "s/memory: 128/memory: 256/" repo/servers/demo.yaml &&
	sed -i "s/state: stopped/state: running/" repo/servers/db.yaml &&
	sed -i "s/VANILLA_VERSION: latest/VANILLA_VERSION: \"1.20.4\"/" repo/servers/vanilla.yaml &&
	git -C repo rm -q servers/rust.yaml &&
	git -C repo commit -q -am two
'

test_expect_success 'against the previous revision' '
	roost plan --repo repo --base HEAD~1 >out &&
	grep -E "^  update +demo +live, no restart: memory 128 -> 256 MiB" out &&
	grep -E "^  start +db" out &&
	grep -E "^  recreate +vanilla +variables changed" out &&
	grep -E "^  delete +rust " out &&
	! grep -E "survival|terraria" out
'

test_expect_success 'on an empty node everything is created' '
	roost plan --repo repo --node node-a >out &&
	grep -E "^  create +demo +roost.local/demo:1 on port 25600" out
'

test_expect_success 'an invalid file is kept at its last good spec' '
	sed -i "s/memory: 256/memory: 1/" repo/servers/demo.yaml &&
	git -C repo commit -q -am bad &&
	! roost plan --repo repo --base HEAD~1 >out &&
	grep "servers/demo.yaml:10:19: error" out &&
	grep -E "^  keep +demo +invalid" out
'

test_expect_success 'removing every server of a node is refused' '
	git -C repo rm -q servers/demo.yaml && git -C repo commit -q -m empty &&
	roost plan --repo repo --base HEAD~1 --node node-a >out &&
	grep "refused: the revision removes every server" out
'

test_expect_success 'a bad revision is a usage error' '
	test_expect_code() { "$@"; test $? -eq 2; } &&
	test_expect_code roost plan --repo repo --rev nosuch
'

test_done
