#!/bin/sh
# entrypoint.sh: the entrypoint of roost's offline demo image. It behaves
# like the Pterodactyl yolks entrypoints: run from /home/container, turn
# {{VAR}} placeholders of $STARTUP into ${VAR}, print the expanded command
# line, then run it in place of this shell so it receives the signals.
cd /home/container || exit 1

INTERNAL_IP=$(ip route get 1 2>/dev/null | awk '{ print $NF; exit }')
export INTERNAL_IP

PARSED=$(printf '%s' "$STARTUP" | sed -e 's/{{/${/g' -e 's/}}/}/g')
if [ -z "$PARSED" ]; then
	echo "entrypoint: STARTUP is empty; set it to the command to run" >&2
	exit 1
fi
printf ':/home/container$ %s\n' "$(eval "echo $PARSED")"
eval "exec $PARSED"
