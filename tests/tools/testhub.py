#!/usr/bin/python3
# testhub.py: a small node hub for testing roostd's hub client.
#
#   testhub.py PORT TOKEN RECORD_FILE [--fetch-after-snapshot]
#
# Accepts websocket connections on /v1/hub with "Authorization: Bearer
# TOKEN" (others get HTTP 401), appends every frame received to
# RECORD_FILE as one JSON line, and after a snapshot arrives optionally
# sends {"type": "fetch", "id": "f1"}.
import asyncio
import http
import json
import sys

import websockets

port, token, record = int(sys.argv[1]), sys.argv[2], sys.argv[3]
fetch = "--fetch-after-snapshot" in sys.argv


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
        if fetch and not sent and frame.get("type") == "snapshot":
            sent = True
            await ws.send(json.dumps({"type": "fetch", "id": "f1"}))


async def main():
    async with websockets.serve(handler, "127.0.0.1", port,
                                process_request=check,
                                subprotocols=["roost-hub.v1"]):
        await asyncio.Future()

asyncio.run(main())
