# ports.sh: free ports and per-run names for roost's tests and benchmarks,
# so that two runs of the suite on one machine (or one Docker engine)
# never meet. Source it (tap.sh does), then:
#
#   free_port                prints a port the kernel chose (bind to port 0)
#                            that is free for TCP and UDP on 127.0.0.1
#   free_ports N             prints N distinct such ports, one a line
#   read -r A B < <(free_ports 2 | xargs)   takes two at once
#   ports_yaml P...          prints a YAML flow list of ports: [p1, p2]
#   $TEST_RUN_ID             this run's id ("r" and hex), for names that are
#                            global on the engine: containers (roost-<server>),
#                            node labels, networks
#
# No test or benchmark writes a literal port number: a port is taken from
# the kernel here, or is 0 where the product binds it and reports it back.
# tests/tools/check_ports.sh enforces this.

# free_ports N: binds N sockets to port 0 at once (so they differ), checks
# that each number is free for UDP as well, prints them and lets them go.
free_ports() {
	/usr/bin/python3 - "${1:-1}" <<'PY'
import resource, socket, sys
n = int(sys.argv[1])
# Up to n sockets are held at once (a node of 1,000 servers).
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft != resource.RLIM_INFINITY and soft < n + 64:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(n + 64, hard), hard))
held, ports = [], []
while len(ports) < n:
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    held.append(t)
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        u.close()
    ports.append(port)
for s in held:
    s.close()
print("\n".join(map(str, ports)))
PY
}

free_port() {
	free_ports 1
}

# ports_yaml P...: the ports as a YAML flow list, for a node's ports.
ports_yaml() {
	local IFS=,
	printf '[%s]' "$*"
}

# TEST_RUN_ID: the process id of the script in hex and two random bytes;
# short, lowercase, valid inside server and node names.
TEST_RUN_ID=r$(printf '%x%s' $$ "$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')")
