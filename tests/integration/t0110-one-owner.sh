#!/usr/bin/env bash
# t0110-one-owner: concerns that have one owner in the tree stay that way:
# cJSON documents are parsed, built and printed only through lib/json.c
# (which points cJSON's allocator at xmalloc first), JSON strings are
# escaped by json_escape alone, Discord ids are checked by
# state_snowflake_valid alone, YAML configuration is read by lib/fields.c
# (no file walks a configuration map with its own if-chain), libsodium
# is used by lib/seal.c alone, and libzstd by reconciler/tarz.c alone.
. "$(dirname "$0")/../lib/tap.sh"
S=$ROOST_SRC

srcs() {
	ls "$S"/lib/*.c "$S"/cli/*.c "$S"/reconciler/*.c "$S"/bot/*.c
}

test_expect_success 'only lib/json.c parses, creates or prints cJSON documents' '
	! grep -n "cJSON_Parse\|cJSON_Create\|cJSON_Print" $(srcs | grep -v "/lib/json.c$")
'

test_expect_success 'one JSON string escaper' '
	! grep -ln "u%04x" $(srcs | grep -v -e "/lib/json.c$" -e "/lib/ywrite.c$" -e "/lib/ydoc.c$")
'

test_expect_success 'one Discord id check' '
	! grep -n "snowflake_ok\|n >= 17 && n <= 20\|< 17 ||" $(srcs | grep -v "/lib/state.c$")
'

test_expect_success 'roostd.yaml and bot.yaml are read by lib/fields.c' '
	grep -q "fields_fill" "$S/reconciler/conf.c" &&
	grep -q "fields_fill" "$S/bot/conf.c" &&
	grep -q "fields_fill" "$S/lib/state_parse.c" &&
	! grep -n "strcmp(key, \"\|strcmp(k->str, \"url\")" "$S/bot/conf.c" "$S/reconciler/conf.c"
'

test_expect_success 'only lib/seal.c includes sodium.h' '
	grep -q "^#include <sodium.h>" "$S/lib/seal.c" &&
	! grep -n "include <sodium" $(srcs | grep -v "/lib/seal.c$")
'

test_expect_success 'only reconciler/tarz.c includes zstd.h' '
	grep -q "^#include <zstd.h>" "$S/reconciler/tarz.c" &&
	! grep -n "include <zstd" $(srcs | grep -v "/reconciler/tarz.c$")
'

test_done
