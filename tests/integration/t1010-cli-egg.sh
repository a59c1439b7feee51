#!/usr/bin/env bash
# t1010-cli-egg: roost egg import converts real Pterodactyl and Pelican
# eggs into roost's YAML form (to stdout or one file per egg), the result
# imports again unchanged, broken eggs are reported with file:line:col and
# exit 1, and roost egg list shows the built-in library and a directory.
. "$(dirname "$0")/../lib/tap.sh"

EGGS=${ROOST_EGG_CORPUS:-$ROOST_SRC/tests/data/eggs-corpus}
export ROOST_EGGS=$ROOST_SRC/eggs

# corpus_test DESC BODY: a test that needs the shared egg corpus.
corpus_test() {
	if [ -d "$EGGS" ]; then
		test_expect_success "$1" "$2"
	else
		test_skip "$1" "no egg corpus at $EGGS"
	fi
}

# has_lines FILE PATTERN...: FILE has a line matching each PATTERN.
has_lines() {
	local file=$1 pattern
	shift
	for pattern; do
		grep -q "$pattern" "$file" || return 1
	done
}

# exit_code N CMD...: runs CMD and succeeds when it exits with N.
exit_code() {
	local want=$1 rc=0
	shift
	"$@" || rc=$?
	test "$rc" -eq "$want"
}

corpus_test 'import a PTDL_v2 JSON egg to stdout' '
	roost egg import "$EGGS/pterodactyl+panel/database/Seeders/eggs/minecraft/egg-vanilla-minecraft.json" >vanilla.yaml &&
	has_lines vanilla.yaml "^apiVersion: roost/v1$" "^kind: Egg$" \
	    "^name: Vanilla Minecraft$" "^source: PTDL_v2$" \
	    "parser: properties" "^  script: |" &&
	! grep -q "{\\\\\"" vanilla.yaml &&
	! grep -q "$(printf "\r")" vanilla.yaml
'

corpus_test 'the roost form imports again to the same text' '
	roost egg import vanilla.yaml >again.yaml &&
	cmp vanilla.yaml again.yaml
'

corpus_test 'eggs that share a name are never overwritten' '
	mkdir -p nest1 nest2 same &&
	cp vanilla.yaml nest1/egg.yaml && cp vanilla.yaml nest2/egg.yaml &&
	printf "keep\n" >victim &&
	ln -s "$PWD/victim" same/x.yaml &&
	roost egg import -o same nest1/egg.yaml nest2/egg.yaml 2>log1 &&
	test -f same/vanilla-minecraft.yaml &&
	test -f same/vanilla-minecraft-nest2.yaml &&
	grep -q "exists (from nest1/egg.yaml)" log1 &&
	cp same/vanilla-minecraft.yaml keep1.yaml &&
	roost egg import -o same nest1/egg.yaml 2>log2 &&
	test -f same/vanilla-minecraft-nest1.yaml &&
	roost egg import -o same nest2/egg.yaml 2>log3 &&
	ls same/vanilla-minecraft-*.yaml | wc -l | grep -qx 3 &&
	exit_code 1 roost egg import -o same nest1/egg.yaml 2>log4 &&
	grep -q "nothing was overwritten" log4 &&
	grep -q "nest1/egg.yaml" log4 &&
	cmp keep1.yaml same/vanilla-minecraft.yaml &&
	cp vanilla.yaml nest1/x.yaml &&
	sed -i "s/^name: .*/name: x/" nest1/x.yaml &&
	roost egg import -o same nest1/x.yaml 2>log5 &&
	test -f same/x-nest1.yaml &&
	test "$(cat victim)" = keep
'

corpus_test 'import several eggs of every version into a directory' '
	roost egg import -o out \
	    "$EGGS/pterodactyl+panel@f8c89f833/database/seeds/eggs/minecraft/egg-bungeecord.json" \
	    "$EGGS/pelican-eggs+minecraft/java/paper/egg-paper.yaml" \
	    "$EGGS/pelican-eggs+games-steamcmd/nightingale/egg-nightingale.json" \
	    "$EGGS/pelican-eggs+database/sql/mariadb/egg-maria-d-b114.json" 2>log &&
	test -f out/bungeecord.yaml &&
	test -f out/paper.yaml &&
	test -f out/nightingale.yaml &&
	ls out/*.yaml | wc -l | grep -qx 4 &&
	grep -q "PTDL_v1" log &&
	grep -q "^startupCommands:" out/nightingale.yaml &&
	grep -q "^stop: \"shutdown; exit;\"$" out/mariadb-11-4.yaml ||
	grep -q "^stop: shutdown; exit;$" out/mariadb-11-4.yaml
'

corpus_test 'every corpus egg imports, and each result imports again' '
	find "$EGGS" -name "*.json" -o -name "*.yaml" >list &&
	test $(wc -l <list) -eq 31 &&
	xargs -d "\n" roost egg import -o all <list 2>log &&
	for f in all/*.yaml; do
		roost egg import "$f" >/dev/null || exit 1
	done
'

test_expect_success 'a broken egg is reported with file, line and column' '
	printf "{\"meta\": {\"version\": \"PTDL_v2\"},\n\"name\": \"x\",\n\"startup\": \"run\",\n\"docker_images\": {\"a\": \"img\"},\n\"config\": {\"files\": \"{not json\"}}\n" >bad.json &&
	exit_code 1 roost egg import bad.json 2>err &&
	grep -q "^bad.json:5:[0-9]*: error: .*config.files" err
'

test_expect_success 'one bad egg among good ones still converts the good ones' '
	exit_code 1 roost egg import -o mixed bad.json "$ROOST_EGGS/roost/demo.yaml" 2>err &&
	test -f mixed/roost-demo-server.yaml &&
	grep -q "^  - label: Demo$" mixed/roost-demo-server.yaml &&
	grep -q "^bad.json:" err
'

test_expect_success 'a missing file and bad usage' '
	exit_code 1 roost egg import nope.json 2>err &&
	grep -q "nope.json" err &&
	exit_code 2 roost egg import &&
	exit_code 2 roost egg frobnicate
'

test_expect_success 'egg list shows the built-in library' '
	roost egg list >list.txt &&
	has_lines list.txt "^roost/demo .*roost.local/demo:1" \
	    "^minecraft/paper " "^minecraft/vanilla " "^terraria/tshock " \
	    "^discord/jmusicbot " "^database/mariadb " "^steamcmd/"
'

test_expect_success 'egg list --dir reads a repository eggs directory' '
	mkdir -p repo-eggs/games &&
	cp mixed/roost-demo-server.yaml repo-eggs/games/mine.yaml &&
	roost egg list --dir repo-eggs >list2.txt &&
	grep -q "^games/mine .*roost.local/demo:1" list2.txt &&
	test $(wc -l <list2.txt) -eq 2
'
test_done
