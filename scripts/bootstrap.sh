#!/bin/sh
# bootstrap.sh: installs the Debian packages roost's build, tests and demo
# need, when any is missing. As root it runs apt-get; otherwise it prints the
# exact command and stops.
set -u
PKGS="build-essential pkg-config git clang libgit2-dev libcurl4-openssl-dev
libwebsockets-dev libssl-dev libcjson-dev libyaml-dev libssh-dev libcmocka-dev
libbsd-dev libcrypt-dev libmicrohttpd-dev libarchive-dev libsodium-dev libzstd-dev zstd docker.io iptables busybox-static openssh-client
openssh-server python3-jsonschema python3-yaml python3-websockets
python3-croniter python3-dateutil
valgrind ca-certificates procps iproute2 curl libxml2-dev nodejs npm"
PKGS=$(echo $PKGS)

missing=""
for p in $PKGS; do
	# The S3 tests' server runs on any nodejs and npm already installed.
	case "$p" in
	nodejs) command -v node >/dev/null 2>&1 && continue ;;
	npm) command -v npm >/dev/null 2>&1 && continue ;;
	esac
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$s" in
	*"ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "roost: missing Debian packages; install them with:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "roost: installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends $missing; then
	apt-get update && apt-get install -y --no-install-recommends $missing
fi
