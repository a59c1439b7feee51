#!/usr/bin/env bash
# t0010-test-ports: no test, benchmark or test tool uses a fixed port, so
# two runs of the suite on one machine cannot take each other's ports
# (tests/tools/check_ports.py); and the check itself catches the fixed
# ports it is meant to catch without flagging what only looks like one.
# Also: the kernel's free ports of tests/lib/ports.sh are distinct and
# free, and each run has an id of its own for engine-wide names.
# Its port literals are samples for the check:
# check_ports: samples
. "$(dirname "$0")/../lib/tap.sh"

CHECK="/usr/bin/python3 $ROOST_SRC/tests/tools/check_ports.py"

test_expect_success 'no fixed port in tests/, benchmarks and tools' '
	$CHECK
'

test_expect_success 'a port variable set to a literal is caught' '
	printf "PORT=34300\nroost-sftpd -l 127.0.0.1:\$PORT -c u.json\n" >a.sh &&
	! $CHECK a.sh >out &&
	grep -q "a.sh:1: fixed port: PORT=34300" out
'

test_expect_success 'addresses, --port, ssh forwards and /dev/tcp with literals are caught' '
	for l in "curl http://127.0.0.1:32014/x" "git daemon --port=32190" \
	    "echo >/dev/tcp/127.0.0.1/2022" "ssh -R 34399:127.0.0.1:\$P h" \
	    "sftp -P 2022 a@h" "  listen: 127.0.0.1:33519"; do
		printf "%s\n" "$l" >b.sh &&
		{ ! $CHECK b.sh >/dev/null || { echo "not caught: $l"; exit 1; }; }
	done
'

test_expect_success 'literal node and server ports are caught where roostd runs' '
	printf "printf \"ports: [\\\\\"32000-32099\\\\\"]\" >n.yaml\nroostd -f c.yaml\n" >c.sh &&
	! $CHECK c.sh >out && grep -q "c.sh:1:" out &&
	printf "echo \"ports: { default: 25600 }\" >s.yaml\nroostd -f c.yaml\n" >d.sh &&
	! $CHECK d.sh >out && grep -q "d.sh:1:" out
'

test_expect_success 'C that binds with a literal port is caught' '
	printf "int f(void) { struct sockaddr_in s; s.sin_port = htons(25600);\n  return bind(0, 0, 0); }\n" >e.c &&
	! $CHECK e.c >out && grep -q "e.c:1:" out &&
	printf "#define PORT 33610\nint g(void) { return socket(0, 0, 0); }\n" >f.c &&
	! $CHECK f.c >out && grep -q "f.c:1:" out
'

test_expect_success 'what only looks like a port is not flagged' '
	cat >g.sh <<-\EOF2 &&
	SUID=34567
	chown -R $SUID:$SUID srv
	P=$(free_port)
	roost-sftpd -l 127.0.0.1:$P -c u.json
	roost-bot -l 127.0.0.1:0
	EOF2
	$CHECK g.sh &&
	printf "ports: [\"25565-25600\"]\nroost validate --repo r\n" >h.sh &&
	$CHECK h.sh &&
	printf "const char *t = \"localhost:25565\";\n" >i.c &&
	$CHECK i.c
'

test_expect_success 'free_ports gives distinct ports that are free now' '
	free_ports 20 >ports &&
	test "$(sort -u ports | wc -l)" -eq 20 &&
	while read -r p; do
		test "$p" -gt 0 && test "$p" -lt 65536 &&
		! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || exit 1
	done <ports
'

test_expect_success 'each run has its own id for engine-wide names' '
	a=$(bash -c ". \"$ROOST_SRC/tests/lib/ports.sh\"; echo \$TEST_RUN_ID") &&
	b=$(bash -c ". \"$ROOST_SRC/tests/lib/ports.sh\"; echo \$TEST_RUN_ID") &&
	test -n "$a" && test "$a" != "$b" &&
	echo "$a" | grep -qE "^[a-z0-9]{1,12}$"
'

test_done
