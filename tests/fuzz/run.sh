#!/usr/bin/env bash
# run.sh: "make fuzz". Builds every tests/fuzz/fuzz_*.c as a libFuzzer
# target with clang (address and undefined sanitizers) against the lib/
# sources, and runs each for $FUZZ_SECONDS (default 30) seconds from its
# seeds: tests/fuzz/seeds/<name>/, plus the egg corpus in tests/data/eggs-corpus
# and eggs/ for fuzz_egg. A target that needs sources outside lib/ names
# them in a "fuzz-sources: FILE..." line of its comment. FUZZ_TARGETS
# ("fuzz_state fuzz_seal") runs only those. Exits non-zero when a target
# finds a crash.
set -eu
cd "$(dirname "$0")/../.."
O=${1:-build}
SECONDS_EACH=${FUZZ_SECONDS:-30}
out=$O/fuzz
mkdir -p "$out"
CFLAGS="-g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Ilib -Icli -DROOST_DATADIR=\"/usr/local/share/roost\" -DROOST_LIBEXECDIR=\"/usr/local/libexec/roost\" $(pkg-config --cflags yaml-0.1 libcjson libbsd-overlay libxml-2.0 libsodium)"
LIBS="$(pkg-config --libs yaml-0.1 libcjson libbsd-overlay libwebsockets libssl libcrypto libxml-2.0 libcurl libsodium) -lcrypt -lm -lpthread"
LIBSRC=$(ls lib/*.c | grep -v -e lib/gitstore.c -e "lib/panel[a-z_]*\.c" -e lib/http.c -e lib/s3.c)
status=0
for t in tests/fuzz/fuzz_*.c; do
	name=$(basename "$t" .c)
	case " ${FUZZ_TARGETS:-$name} " in *" $name "*) ;; *) continue ;; esac
	echo "fuzz: building $name"
	extra=$(sed -n 's/^.*fuzz-sources:[[:space:]]*//p' "$t")
	# shellcheck disable=SC2086
	clang $CFLAGS -o "$out/$name" "$t" $LIBSRC $extra $LIBS
	corpus=$out/corpus-$name
	mkdir -p "$corpus"
	seeds=()
	[ -d "tests/fuzz/seeds/$name" ] && seeds+=("tests/fuzz/seeds/$name")
	if [ "$name" = fuzz_egg ]; then
		seeddir=$out/seeds-egg
		mkdir -p "$seeddir"
		find eggs tests/data/eggs-corpus -name '*.json' -o -name '*.yaml' 2>/dev/null |
		    while read -r f; do cp "$f" "$seeddir/"; done
		seeds+=("$seeddir")
	fi
	echo "fuzz: running $name for ${SECONDS_EACH}s"
	if ! "$out/$name" -max_total_time="$SECONDS_EACH" -max_len=65536 \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$out/$name-" "$corpus" "${seeds[@]}" \
	    >"$out/$name.log" 2>&1; then
		echo "fuzz: $name FAILED; see $out/$name.log"
		tail -n 30 "$out/$name.log"
		status=1
	else
		grep -E 'stat::number_of_executed_units|Done [0-9]+ runs' \
		    "$out/$name.log" | tail -n 1 | sed "s/^/fuzz: $name: /"
	fi
done
exit $status
