#!/usr/bin/env bash
# t1000-cli-validate: roost validate on the example state, on a broken copy
# (every problem reported with path:line:col, exit 1), on committed
# revisions read from git objects (--rev), and as JSON.
. "$(dirname "$0")/../lib/tap.sh"
. "$ROOST_SRC/tests/lib/state.sh"

EX=$ROOST_SRC/state-example
export ROOST_EGGS=${ROOST_EGGS:-$ROOST_SRC/eggs}

first_server() {
	echo "$1/servers/mc.yaml"
}

if ls "$EX"/servers/*.yaml >/dev/null 2>&1; then
	test_expect_success 'the example state is valid' '
		roost validate --repo "$EX" >out &&
		grep -q "^valid: " out
	'
	test_expect_success 'the example state is valid as JSON' '
		roost validate --repo "$EX" --format json >out.json &&
		/usr/bin/python3 -c "import json; assert json.load(open(\"out.json\"))[\"valid\"] is True"
	'
else
	test_skip 'the example state is valid' 'state-example/ has no servers yet'
fi

test_expect_success 'setup: a state repository' '
	make_state good &&
	EX=$TRASH/good
'

test_expect_success 'validate defaults to the current directory' '
	(cd "$EX" && roost validate) >out &&
	grep -q "^valid: 1 servers, 1 nodes" out
'

test_expect_success 'a broken copy reports each problem with path:line:col and exits 1' '
	cp -R "$EX" broken &&
	srv=$(first_server broken) &&
	rel=servers/$(basename "$srv") &&
	sed -i "s/^\(  *memory: *\)[0-9][0-9]*/\11/" "$srv" &&
	grep -q "memory: 1 " "$srv" &&
	sed -i "s/node-a/node-x/" broken/nodes/node-a.yaml &&
	printf "name: [unclosed\n" >broken/servers/syntax.yaml &&
	{ roost validate --repo broken >out; test $? = 1; } &&
	cat out &&
	grep -E "^$rel:10:11: error: .*memory" out &&
	grep -E "^nodes/node-a.yaml:[0-9]+:[0-9]+: error: .*node-x" out &&
	grep -E "^servers/syntax.yaml:[0-9]+:[0-9]+: error: " out &&
	grep -q "^invalid: " out
'

test_expect_success 'a config file roost cannot apply is reported with its position' '
	cp -R "$EX" esc &&
	cat >esc/eggs/demo/escape.json <<-\EOF &&
	{"meta":{"version":"PTDL_v2"},"name":"Escape","author":"t@example.com","description":"",
	 "docker_images":{"Demo":"roost/demo:latest"},"startup":"./run",
	 "config":{"files":"{\"/properties/server.properties\":{\"parser\":\"properties\",\"find\":{\"a\":\"b\"}},\"../../etc/cron.d/x\":{\"parser\":\"file\",\"find\":{\"a\":\"b\"}}}",
	   "startup":"{\"done\":\"ready\"}","logs":"{}","stop":"^C"},
	 "variables":[]}
	EOF
	roost validate --repo esc >out &&
	cat out &&
	grep -E "^eggs/demo/escape.json:3:[0-9]+: warning: config file .\.\./\.\./etc/cron\.d/x.: the path leaves the server directory" out &&
	! grep -q "properties/server.properties" out
'

test_expect_success 'an unknown format or option is a usage error (exit 2)' '
	{ roost validate --repo "$EX" --format xml; test $? = 2; } &&
	{ roost validate --repo "$TRASH/nowhere" 2>err; test $? = 2; } &&
	grep -q "not a directory" err &&
	{ roost validate --bogus; test $? = 2; }
'

test_expect_success '--rev reads the committed revision, not the work tree' '
	cp -R "$EX" repo &&
	git -C repo init -q &&
	git -C repo add . &&
	git -C repo commit -qm "example" &&
	good=$(git -C repo rev-parse HEAD) &&
	srv=$(first_server repo) &&
	sed -i "s/^\(  *memory: *\)[0-9][0-9]*/\11/" "$srv" &&
	{ roost validate --repo repo >out; test $? = 1; } &&
	roost validate --repo repo --rev HEAD >out &&
	grep -q "^valid: " out &&
	git -C repo commit -qam "break memory" &&
	{ roost validate --repo repo --rev HEAD >out; test $? = 1; } &&
	grep -q "error: .*memory" out &&
	roost validate --repo repo --rev HEAD~1 &&
	roost validate --repo repo --rev "$good" &&
	roost validate --repo repo --rev main~1
'

test_expect_success '--rev of an unknown revision is an error (exit 2)' '
	{ roost validate --repo repo --rev nosuchbranch 2>err; test $? = 2; } &&
	grep -q "nosuchbranch" err
'

test_expect_success '--rev works on a bare repository' '
	git clone -q --bare repo bare.git &&
	{ roost validate --repo bare.git --rev main; test $? = 1; } &&
	roost validate --repo bare.git --rev main~1
'

test_expect_success '--format json: a valid state' '
	roost validate --repo "$EX" --format json >out.json &&
	/usr/bin/python3 -c "
import json, sys
d = json.load(open(\"out.json\"))
assert d[\"valid\"] is True, d
assert d[\"problems\"] == [] or all(p[\"level\"] != \"error\" for p in d[\"problems\"]), d
assert d[\"revision\"] is None
"
'

test_expect_success '--format json: broken revision lists the problems' '
	id=$(git -C repo rev-parse HEAD) &&
	{ roost validate --repo repo --rev HEAD --format json >out.json; test $? = 1; } &&
	ID=$id /usr/bin/python3 -c "
import json, os
d = json.load(open(\"out.json\"))
assert d[\"valid\"] is False, d
assert d[\"revision\"] == os.environ[\"ID\"], d
errs = [p for p in d[\"problems\"] if p[\"level\"] == \"error\"]
assert errs, d
assert all(p[\"path\"].startswith(\"servers/\") and p[\"line\"] > 0 for p in errs), d
assert any(\"memory\" in p[\"message\"] for p in errs), d
"
'

test_expect_success 'a symlink out of the work tree is refused, never read' '
	make_state linked &&
	printf "topsecret: hunter2-marker\n" >secret.yaml &&
	ln -s "$TRASH/secret.yaml" linked/servers/x.yaml &&
	{ roost validate --repo linked >out 2>&1; test $? = 1; } &&
	grep -q "servers/x.yaml.*symlinks are not allowed" out &&
	! grep -q "hunter2\|topsecret" out &&
	grep -q "^invalid: 1 error" out
'

test_expect_success 'a symlinked directory and a FIFO are refused too' '
	make_state linkdir &&
	mkdir outside &&
	cp secret.yaml outside/y.yaml &&
	ln -s "$TRASH/outside" linkdir/nodes/more &&
	rm -r linkdir/servers && ln -s "$TRASH/outside" linkdir/servers &&
	{ timeout 20 roost validate --repo linkdir >out 2>&1; test $? = 2; } &&
	grep -q "servers.*symlinks are not allowed" out &&
	! grep -q "hunter2\|topsecret" out &&
	make_state fifo &&
	mkfifo fifo/servers/f.yaml &&
	{ timeout 20 roost validate --repo fifo >out 2>&1; test $? = 1; } &&
	grep -q "servers/f.yaml.*not a regular file" out
'

test_expect_success '--rev: a committed symlink is an error, its target is not read' '
	make_state linkrepo &&
	git -C linkrepo init -q -b main &&
	ln -s ../../secret.yaml linkrepo/servers/x.yaml &&
	git -C linkrepo add -A &&
	git -C linkrepo -c user.name=t -c user.email=t@example.com commit -q -m s &&
	{ roost validate --repo linkrepo --rev main >out 2>&1; test $? = 1; } &&
	grep -q "servers/x.yaml.*symlinks are not allowed" out &&
	! grep -q "hunter2\|topsecret\|secret.yaml" out
'

test_done
