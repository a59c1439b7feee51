#!/bin/sh
# demo-image.sh: builds roost's offline demo image roost.local/demo:1 with
# "docker import" from a busybox-static root filesystem (no registry, no
# Dockerfile). The image carries a label with the hash of its inputs; when
# an image with the same hash exists nothing is done, otherwise it is
# rebuilt. Prints what it did. Runs at the same time take turns on a lock
# file ($ROOST_DEMO_IMAGE_LOCK), so the image is built once.
#
#   scripts/demo-image.sh [IMAGE]      (default roost.local/demo:1)
#
# Needs a running Docker engine and /bin/busybox from busybox-static.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
image=${1:-${ROOST_DEMO_IMAGE:-roost.local/demo:1}}
busybox=${ROOST_BUSYBOX:-/bin/busybox}

die() {
	echo "demo-image: $*" >&2
	exit 1
}

[ -x "$busybox" ] || die "\"$busybox\" is missing; install busybox-static"
if ! file_out=$(LC_ALL=C od -An -c -N4 "$busybox" 2>/dev/null) ||
    ! echo "$file_out" | grep -q 'E   L   F'; then
	die "\"$busybox\" is not an ELF binary"
fi
command -v docker >/dev/null 2>&1 || die "the docker client is missing; install docker.io"
docker info >/dev/null 2>&1 || die "the docker engine does not answer; start dockerd (tests/lib/docker.sh: docker_ensure)"

hash=$(cat "$busybox" "$here/demo-image.sh" "$here/demo/entrypoint.sh" \
    "$here/demo/demo-server" "$here/demo/passwd" "$here/demo/group" |
    sha256sum | cut -c1-32)

have=$(docker image inspect --format '{{ index .Config.Labels "roost.demo.hash" }}' \
    "$image" 2>/dev/null || true)
if [ "$have" = "$hash" ]; then
	echo "demo-image: $image is up to date ($hash)"
	exit 0
fi

# Another run may be building it right now: wait for it, then look again.
exec 9>>"${ROOST_DEMO_IMAGE_LOCK:-/tmp/roost-demo-image.lock}"
flock -w 300 9 || die "another build of $image holds the lock for 300 s"
have=$(docker image inspect --format '{{ index .Config.Labels "roost.demo.hash" }}' \
    "$image" 2>/dev/null || true)
if [ "$have" = "$hash" ]; then
	echo "demo-image: $image is up to date ($hash)"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/roost-demo-image.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" \
    "$root/usr/local/bin" "$root/etc" "$root/tmp" "$root/root" \
    "$root/home/container" "$root/mnt/server" "$root/proc" "$root/sys" \
    "$root/dev" "$root/var/tmp"
cp "$busybox" "$root/bin/busybox"
chmod 755 "$root/bin/busybox"
"$busybox" --list-full | while read -r applet; do
	case $applet in
	bin/busybox) continue ;;
	esac
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
cp "$here/demo/entrypoint.sh" "$root/entrypoint.sh"
cp "$here/demo/demo-server" "$root/usr/local/bin/demo-server"
chmod 755 "$root/entrypoint.sh" "$root/usr/local/bin/demo-server"
cp "$here/demo/passwd" "$root/etc/passwd"
cp "$here/demo/group" "$root/etc/group"
chmod 644 "$root/etc/passwd" "$root/etc/group"
chmod 1777 "$root/tmp" "$root/var/tmp"
chmod 755 "$root/home/container"
echo "roost-demo" >"$root/etc/hostname"

# Everything belongs to root except the server directory (uid 999).
tar --numeric-owner --owner=0 --group=0 -C "$root" \
    --exclude=./home/container -cf "$tmp/rootfs.tar" .
tar --numeric-owner --owner=999 --group=999 -C "$root" \
    -rf "$tmp/rootfs.tar" ./home/container

docker import \
    --change 'ENTRYPOINT ["/entrypoint.sh"]' \
    --change 'USER 999:999' \
    --change 'WORKDIR /home/container' \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' \
    --change 'ENV STARTUP=demo-server' \
    --change 'LABEL roost.demo=1' \
    --change "LABEL roost.demo.hash=$hash" \
    --message "roost offline demo image" \
    "$tmp/rootfs.tar" "$image" >/dev/null
if [ -n "$have" ]; then
	echo "demo-image: rebuilt $image ($hash, was ${have:-unlabelled})"
else
	echo "demo-image: built $image ($hash)"
fi
