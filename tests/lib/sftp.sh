# sftp.sh: OpenSSH's sftp client against roost-sftpd, for the integration
# scripts. Source it after tap.sh; it writes $TRASH/askpass. Then:
#
#   sftp_key LOGIN BATCH           runs the sftp batch file as LOGIN with
#                                  the key $TRASH/key, on ${PORT_USE:-$PORT}
#   sftp_pw LOGIN PASSWORD BATCH   the same with a password (askpass), on
#                                  ${PW_PORT:-$PORT}, from $BIND if set
#
# Host keys are neither checked nor kept.

sftp_key() {
	sftp -b "$2" -P "${PORT_USE:-$PORT}" -i "$TRASH/key" -o IdentitiesOnly=yes \
	    -o PasswordAuthentication=no -o StrictHostKeyChecking=no \
	    -o UserKnownHostsFile=/dev/null -o LogLevel=error "$1@127.0.0.1"
}

sftp_pw() {
	SFTP_TEST_PASSWORD=$2 SSH_ASKPASS="$TRASH/askpass" \
	    SSH_ASKPASS_REQUIRE=force DISPLAY=none \
	    sftp -o BatchMode=no -b "$3" -P "${PW_PORT:-$PORT}" \
	    ${BIND:+-o BindAddress=$BIND} \
	    -o PreferredAuthentications=password \
	    -o NumberOfPasswordPrompts=1 -o StrictHostKeyChecking=no \
	    -o UserKnownHostsFile=/dev/null -o LogLevel=error "$1@127.0.0.1"
}

printf '#!/bin/sh\nprintf "%%s\\n" "$SFTP_TEST_PASSWORD"\n' >"$TRASH/askpass"
chmod +x "$TRASH/askpass"
