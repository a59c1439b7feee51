#!/usr/bin/python3
# check_ports.py: fails when a test, benchmark or test tool binds or
# connects to a fixed port, so that two runs of the suite on one machine
# cannot collide. Ports come from the kernel instead (bind to port 0:
# free_port / free_ports in tests/lib/ports.sh, unit_free_port in
# tests/unit/unit.c, bench_free_ports in tests/tools/bench_fake.h).
#
#   tests/tools/check_ports.py [FILE...]
#
# Without FILE it checks tests/integration, tests/bench, tests/lib,
# tests/tools, tests/unit and tests/fakediscord under $ROOST_SRC (or the
# current directory). It prints FILE:LINE: the line, and exits 1 when it
# found any. What counts as a fixed port:
#
#   - an address with a literal port: 127.0.0.1:NNNN, localhost:NNNN,
#     /dev/tcp/127.0.0.1/NNNN, a "listen:" with one;
#   - a literal after --port, -p/-P, "Port ", an ssh forward (-R/-L NNNN:);
#   - a variable given a literal number that is then used as a port
#     (":$P", "--port $P", "-P $P", "default: $P", "/dev/tcp/.../$P");
#   - in a script that starts roostd, roost-bot or roost-sftpd, a node's
#     or server's ports written as literals ("ports: [...]",
#     "default: NNNN");
#   - in C that binds, connects or creates containers: htons(NNNN), a
#     port variable or macro set to a literal, "127.0.0.1:NNNN" or
#     "SERVER_PORT=NNNN" in a string, a ports list of literals;
#   - in Python: bind(("...", NNNN)) or a port set to a literal.
#
# Port 0 (the kernel chooses) is always fine. A line that must keep a
# literal (a port inside a container that is never published, say the
# reason) carries "ports-ok" in a comment; a file whose literals are all
# samples for this check (t0010) has a line "# check_ports: samples".
import os
import re
import sys

DIRS = ["tests/integration", "tests/bench", "tests/lib", "tests/tools",
        "tests/unit", "tests/fakediscord"]
NUM = r"0*[1-9][0-9]{1,4}"

SH_ALWAYS = [
    re.compile(r"(127\.0\.0\.1|localhost|0\.0\.0\.0)[:/]" + NUM + r"\b"),
    re.compile(r"--port[= ]+" + NUM + r"\b"),
    re.compile(r"(^|\s)-[pP] *" + NUM + r"\b"),
    re.compile(r"\bPort +" + NUM + r"\b"),
    re.compile(r"(^|\s)-[RLD] +(127\.0\.0\.1:)?" + NUM + r"\b"),
    re.compile(r"listen: *\S*:" + NUM + r"\b"),
]
SH_DAEMON = [
    re.compile(r"ports: *\\?\[[^]\n]*\b" + NUM + r"\b"),
    re.compile(r"default: *" + NUM + r"\b"),
]
SH_STARTS = re.compile(r"\b(roostd|roost-bot|roost-sftpd)\b(?!\.)")
SH_ASSIGN = re.compile(r"(?:^|[\s;])([A-Za-z_][A-Za-z0-9_]*)=" + NUM +
                       r"(?=[\s;]|$)")
SH_USE = (r"((127\.0\.0\.1|localhost|0\.0\.0\.0):\$\{?%s\b|--port[= ]+\"?\$\{?%s\b|-[pP] +\"?\$\{?%s\b|"
          r"default: *\"?\$\{?%s\b|/dev/tcp/[^/\s]+/\"?\$\{?%s\b|"
          r"\bPort \$\{?%s\b|-l +\"?\S*:\$\{?%s\b|"
          r"-[RL] +\$\{?%s\b:(127\.|localhost))")

C_NET = re.compile(r"\b(bind|connect|socket|docker_container_create|"
                   r"recon_new|execlp|docker_)\s*\(|fakediscord")
C_RULES = [
    re.compile(r"htons\(\s*" + NUM + r"\s*\)"),
    re.compile(r"\b\w*[Pp][Oo][Rr][Tt]\w*\s*=\s*" + NUM + r"\b(?!\s*\))"),
    re.compile(r"#\s*define\s+\w*PORT\w*\s+" + NUM + r"\b"),
    re.compile(r"\"[^\"\n]*(127\.0\.0\.1|localhost):" + NUM + r"\b"),
    re.compile(r"SERVER_PORT=" + NUM + r"\b"),
    re.compile(r"ports: *\[[^]\n]*\b" + NUM + r"\b"),
]
PY_RULES = [
    re.compile(r"\.bind\(\([^)]*,\s*" + NUM + r"\s*\)\)"),
    re.compile(r"\bport\s*=\s*" + NUM + r"\b"),
    re.compile(r"(127\.0\.0\.1|localhost):" + NUM + r"\b"),
]


def check_sh(path, text):
    lines = text.split("\n")
    rules = SH_ALWAYS + (SH_DAEMON if SH_STARTS.search(text) else [])
    bad = []
    for i, line in enumerate(lines):
        code = line.split("#", 1)[0] if line.lstrip().startswith("#") \
            else line
        if "ports-ok" in line or not code.strip():
            continue
        if any(r.search(code) for r in rules):
            bad.append((i + 1, line))
            continue
        for m in SH_ASSIGN.finditer(code):
            v = re.escape(m.group(1))
            if re.search(SH_USE % ((v,) * 8), text):
                bad.append((i + 1, line))
                break
    return bad


def check_c(path, text):
    if not C_NET.search(text):
        return []
    bad = []
    for i, line in enumerate(text.split("\n")):
        if "ports-ok" in line:
            continue
        if any(r.search(line) for r in C_RULES):
            bad.append((i + 1, line))
    return bad


def check_py(path, text):
    bad = []
    for i, line in enumerate(text.split("\n")):
        code = line.split("#", 1)[0]
        if "ports-ok" in line:
            continue
        if any(r.search(code) for r in PY_RULES):
            bad.append((i + 1, line))
    return bad


def check(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as fp:
            text = fp.read()
    except OSError as e:
        print("check_ports: %s: %s" % (path, e.strerror), file=sys.stderr)
        return [(0, "cannot be read")]
    if re.search(r"^# check_ports: samples$", text, re.M):
        return []
    if path.endswith(".sh"):
        return check_sh(path, text)
    if path.endswith((".c", ".h")):
        return check_c(path, text)
    if path.endswith(".py"):
        return check_py(path, text)
    return []


def main():
    files = sys.argv[1:]
    if not files:
        root = os.environ.get("ROOST_SRC") or "."
        for d in DIRS:
            full = os.path.join(root, d)
            if not os.path.isdir(full):
                continue
            for name in sorted(os.listdir(full)):
                if name.endswith((".sh", ".c", ".h", ".py")) and \
                        name != "check_ports.py":
                    files.append(os.path.join(full, name))
    found = 0
    for f in files:
        for n, line in check(f):
            print("%s:%d: fixed port: %s" % (f, n, line.strip()))
            found += 1
    if found:
        print("check_ports: %d fixed port(s); take them from the kernel "
              "(tests/lib/ports.sh, unit_free_port)" % found,
              file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
