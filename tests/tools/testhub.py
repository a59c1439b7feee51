#!/usr/bin/python3
# testhub.py: a small node hub for testing roostd's hub client.
#
#   testhub.py PORT TOKEN RECORD_FILE [--fetch-after-snapshot]
#       [--fetch-burst N] [--fetch-big] [--tls CERT KEY]
#
# Accepts websocket connections on /v1/hub with "Authorization: Bearer
# TOKEN" (others get HTTP 401), appends every frame received to
# RECORD_FILE as one JSON line, and after a snapshot arrives optionally
# sends {"type": "fetch", "id": "f1"}; --fetch-burst sends N fetch frames
# at once (ids b1..bN); --fetch-big sends one fetch frame of 300 KB (id
# "big") in three fragments; --tls serves wss:// with that certificate.
import asyncio
import http
import json
import ssl
import sys

import websockets

port, token, record = int(sys.argv[1]), sys.argv[2], sys.argv[3]
fetch = "--fetch-after-snapshot" in sys.argv
burst = int(sys.argv[sys.argv.index("--fetch-burst") + 1]) \
    if "--fetch-burst" in sys.argv else 0
big = "--fetch-big" in sys.argv
tls = None
if "--tls" in sys.argv:
    i = sys.argv.index("--tls")
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(sys.argv[i + 1], sys.argv[i + 2])


async def check(path, headers):
    if path != "/v1/hub":
        return http.HTTPStatus.NOT_FOUND, [], b"not found\n"
    if headers.get("Authorization") != "Bearer " + token:
        print("refused: Authorization %r" % headers.get("Authorization"),
              file=sys.stderr, flush=True)
        return http.HTTPStatus.UNAUTHORIZED, [], b"bad token\n"
    return None


async def handler(ws, path=None):
    sent = False
    async for msg in ws:
        with open(record, "a") as fp:
            fp.write(msg + "\n")
        frame = json.loads(msg)
        if sent or frame.get("type") != "snapshot":
            continue
        sent = True
        if fetch:
            await ws.send(json.dumps({"type": "fetch", "id": "f1"}))
        if big:
            text = json.dumps({"type": "fetch", "id": "big",
                               "pad": "x" * 300000})
            third = len(text) // 3
            await ws.send([text[:third], text[third:2 * third],
                           text[2 * third:]])
        for i in range(burst):
            await ws.send(json.dumps({"type": "fetch", "id": "b%d" % (i + 1)}))


async def main():
    async with websockets.serve(handler, "127.0.0.1", port,
                                process_request=check, ssl=tls,
                                max_size=None,
                                subprotocols=["roost-hub.v1"]):
        await asyncio.Future()

asyncio.run(main())
