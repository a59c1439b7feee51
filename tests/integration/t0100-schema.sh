#!/usr/bin/env bash
# t0100-schema: the JSON Schemas in schema/ agree with the C validator.
# Every file the validator accepts is accepted by its schema; every invalid
# fixture whose problem lies in the file alone (marked "# schema-reject")
# is rejected by the schema too, and the others (problems that need other
# files: nodes, eggs, ports, capacity) pass the schema.
. "$(dirname "$0")/../lib/tap.sh"
CHECK="/usr/bin/python3 $ROOST_SRC/tests/tools/schema_check.py $ROOST_SRC/schema"
S=$ROOST_SRC

kind_of() {
	case $1 in
	servers/*) echo server ;;
	nodes/*) echo node ;;
	roost.yaml) echo roost ;;
	esac
}

test_expect_success 'the schemas are valid JSON Schema 2020-12' '
	/usr/bin/python3 -c "
import json, glob, jsonschema
for s in glob.glob(\"$S/schema/*.json\"):
    jsonschema.Draft202012Validator.check_schema(json.load(open(s)))
"
'

test_expect_success 'roost validate accepts state-example' '
	roost validate --repo $S/state-example
'

test_expect_success 'every state-example file passes its schema' '
	$CHECK server $S/state-example/servers/*.yaml >out &&
	$CHECK node $S/state-example/nodes/*.yaml >>out &&
	$CHECK roost $S/state-example/roost.yaml >>out &&
	! grep invalid out && test $(grep -c ": valid" out) -eq 10
'

test_expect_success 'the built-in eggs pass the egg schema' '
	$CHECK egg $S/eggs/*/*.yaml >out && ! grep invalid out
'

test_expect_success 'state-example files carry the schema modeline' '
	for f in $S/state-example/roost.yaml $S/state-example/nodes/*.yaml \
	    $S/state-example/servers/*.yaml; do
		grep -q "yaml-language-server: \$schema=" "$f" || {
			echo "no modeline in $f"; exit 1; }
	done
'

test_expect_success 'invalid fixtures: schema and validator agree' '
	n=0 &&
	for f in $S/tests/data/state/bad/*.yaml; do
		target=$(sed -n "s/^# file: \([^ ]*\).*/\1/p" "$f")
		verdict=$($CHECK $(kind_of "$target") "$f")
		if grep -q "^# file: .* # schema-reject" "$f"; then
			case $verdict in *": invalid"*) ;; *)
				echo "schema accepts $f: $verdict"; exit 1 ;;
			esac
		else
			case $verdict in *": valid") ;; *)
				echo "schema rejects $f, which only other files make invalid: $verdict"
				exit 1 ;;
			esac
		fi
		n=$((n + 1))
	done &&
	test $n -ge 30
'

test_expect_success 'a broken copy of state-example fails with positions' '
	cp -R $S/state-example "$TRASH/broken" &&
	sed -i "s/memory: 128/memory: 12/" "$TRASH/broken/servers/demo.yaml" &&
	sed -i "s/egg: minecraft\/vanilla/egg: minecraft\/nope/" \
	    "$TRASH/broken/servers/vanilla.yaml" &&
	! roost validate --repo "$TRASH/broken" >"$TRASH/v.out" 2>&1 &&
	grep -q "^servers/demo.yaml:10:19: error: .memory. must be at least 64" "$TRASH/v.out" &&
	grep -q "^servers/vanilla.yaml:7:6: error: egg .minecraft/nope. does not exist" "$TRASH/v.out" &&
	$CHECK server "$TRASH/broken/servers/demo.yaml" | grep -q invalid
'

test_expect_success 'the server schema'"'"'s limits are the limits table' '
	roost server limits --format json >limits.json &&
	/usr/bin/python3 -c "
import json
table = json.load(open(\"limits.json\"))[\"limits\"]
schema = json.load(open(\"$S/schema/server.schema.json\"))
props = schema[\"properties\"][\"limits\"][\"properties\"]
assert [r[\"name\"] for r in table] == list(props), (table, props)
for r in table:
    p = props[r[\"name\"]]
    assert p[\"type\"] == \"integer\", r
    assert p[\"minimum\"] == r[\"min\"] and p[\"maximum\"] == r[\"max\"], (r, p)
    assert r[\"min\"] <= r[\"default\"] <= r[\"max\"], r
roost = json.load(open(\"$S/schema/roost.schema.json\"))
ref = roost[\"properties\"][\"defaults\"][\"properties\"][\"limits\"][\"\$ref\"]
assert ref == \"server.schema.json#/properties/limits\", ref
"
'

test_done
