# s3.sh: a real S3-compatible server for integration tests and benchmarks:
# @20minutes/s3rver 5.x (it checks SigV4 signatures) installed from the
# npm registry into $ROOST_BUILD/s3rver (once; later runs reuse it) and
# run on Debian's nodejs on a free loopback port (tests/tools/s3rver.js).
#
#   . "$ROOST_SRC/tests/lib/s3.sh"
#   s3_start BUCKET            # sets S3_URL, S3_KEY, S3_SECRET, S3_PID
#   s3_curl GET "$S3_URL/BUCKET/key" ...   # curl signed with S3_KEY
#   s3_stop
#
# The server's log (each request, each stored part) is $TRASH/s3rver.log.
S3RVER_VERSION=5.0.0
S3RVER_DIR=${ROOST_S3RVER_DIR:-$ROOST_BUILD/s3rver}
S3_PID=

# s3_install: npm install the server into $S3RVER_DIR unless it is there.
s3_install() {
	[ -f "$S3RVER_DIR/node_modules/@20minutes/s3rver/package.json" ] &&
	    return 0
	command -v node >/dev/null && command -v npm >/dev/null || {
		echo "s3.sh: nodejs and npm are needed (scripts/bootstrap.sh)" >&2
		return 1
	}
	mkdir -p "$S3RVER_DIR" &&
	(cd "$S3RVER_DIR" && flock -o "$S3RVER_DIR/.lock" \
	    npm install --no-audit --no-fund --loglevel=error --prefix . \
	    "@20minutes/s3rver@$S3RVER_VERSION" >npm.log 2>&1) || {
		cat "$S3RVER_DIR/npm.log" >&2
		return 1
	}
}

# s3_start BUCKET: starts the server with a fresh key pair and BUCKET.
s3_start() {
	local port i
	s3_install || return 1
	port=$(free_port)
	S3_KEY=roost$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	S3_SECRET=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
	mkdir -p "$TRASH/s3data"
	node "$ROOST_SRC/tests/tools/s3rver.js" "$S3RVER_DIR" "$TRASH/s3data" \
	    "$port" "$1" "$S3_KEY" "$S3_SECRET" >"$TRASH/s3rver.log" 2>&1 &
	S3_PID=$!
	for i in $(seq 100); do
		grep -q "^ready " "$TRASH/s3rver.log" 2>/dev/null && break
		kill -0 $S3_PID 2>/dev/null || break
		sleep 0.1
	done
	grep -q "^ready $port\$" "$TRASH/s3rver.log" || {
		cat "$TRASH/s3rver.log" >&2
		return 1
	}
	S3_URL=http://127.0.0.1:$port
}

# s3_stop: stops the server s3_start started.
s3_stop() {
	[ -n "$S3_PID" ] && kill $S3_PID 2>/dev/null && wait $S3_PID 2>/dev/null
	S3_PID=
}

# s3_keyfile FILE [SECRET]: an accessKeyFile for roostd (the right
# secret unless SECRET says otherwise).
s3_keyfile() {
	printf '# S3 credentials of the tests\n%s\n%s\n' "$S3_KEY" \
	    "${2:-$S3_SECRET}" >"$1" && chmod 600 "$1"
}

# s3_curl METHOD URL [CURL ARGS...]: a request signed with the key pair
# by curl's own SigV4 (payload unsigned).
s3_curl() {
	local m=$1 u=$2
	shift 2
	curl -sS -X "$m" --aws-sigv4 "aws:amz:us-east-1:s3" \
	    -u "$S3_KEY:${S3_SECRET_OVERRIDE:-$S3_SECRET}" \
	    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@" "$u"
}

# s3_keys BUCKET PREFIX: the keys of the objects below PREFIX, sorted.
s3_keys() {
	s3_curl GET "$S3_URL/$1?list-type=2&prefix=$(printf %s "$2" |
	    sed 's|/|%2F|g')" |
	    grep -o '<Key>[^<]*</Key>' | sed 's/<Key>\(.*\)<\/Key>/\1/' | sort
}
