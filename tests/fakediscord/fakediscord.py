#!/usr/bin/python3
# fakediscord.py: a protocol-faithful stand-in for Discord that roost-bot's
# tests run against. It speaks gateway v10 (JSON over plain ws://) and the
# REST endpoints the bot uses, enforces Discord's rules (3-second first
# response, one initial response per interaction, component/embed/content
# limits, rate-limit headers and 429s, the 120 sends per 60 s gateway limit)
# and records everything for assertions.
#
#   /usr/bin/python3 tests/fakediscord/fakediscord.py --port N \
#       [--gateway-port G --resume-port R] --state-dir DIR
#
# Ports: N serves REST (under /api/v10) and the control API (under /_fake),
# G (default N+1) is the gateway, R (default N+2) the resume gateway
# (READY's resume_gateway_url), so a test can tell whether a client resumed
# on the right URL. Tests take all three from the kernel (free_ports in
# tests/lib/ports.sh). DIR receives "ready" when the fake listens and a
# log of its own.
#
# Control API (JSON in, JSON out):
#   POST /_fake/interaction   {type, data, user, roles, permissions, ...}
#                             -> {id, token}; dispatches INTERACTION_CREATE
#   POST /_fake/redeliver     {id} dispatches the same interaction again
#   POST /_fake/gateway       {action: drop|close|reconnect|invalid_session|
#                              heartbeat|noack|ack, code, resumable, hold}
#                             drop with hold=true keeps the client's RESUME
#                             waiting until the next dispatch is buffered,
#                             so a test can prove that it is replayed
#   POST /_fake/dm            {user, closed}
#   POST /_fake/expire        {id} the interaction's token expires now: its
#                             webhooks answer 401 / 50027 as after 15 min
#   POST /_fake/ratelimit     {path, count, retry_after, global, bucket_limit}
#   GET  /_fake/calls         every REST call (method, path, status, body)
#   GET  /_fake/gateway-log   every frame received and each connection
#   GET  /_fake/interactions  every interaction with its responses
#   GET  /_fake/violations    broken rules (late, double ack, limits, ...)
#   GET  /_fake/stats         acknowledgement latency p50/p99 in ms
#   GET  /_fake/commands      the registered commands
#   GET  /_fake/messages      channel and DM messages, each with its edits
import argparse
import asyncio
import http.server
import json
import os
import random
import re
import secrets
import sys
import threading
import time

import websockets

LOCK = threading.RLock()
OPTS = None
LOOP = None

CALLS = []		# REST calls
GWLOG = []		# gateway frames received, connection events
VIOLATIONS = []
INTERACTIONS = {}	# id -> record
SESSIONS = {}		# session_id -> session
COMMANDS = {}		# scope -> list
MESSAGES = []
CHANNELS = {}		# channel id -> {"dm": user or None}
DM_CLOSED = set()
STORMS = []		# {"path": prefix, "count": n, ...}
BUCKETS = {}		# bucket key -> {"reset": t, "remaining": n}
GLOBAL_WINDOW = []	# times of global-limited requests in the last second
INVALID_REQS = []	# times of 401/403/429
STATE = {"noack": False, "conns": [], "snow": 0, "identifies": 0}

PRIVILEGED = (1 << 1) | (1 << 8) | (1 << 15)
KNOWN_INTENTS = (1 << 26) - 1
EPOCH_MS = 1420070400000


def now():
    return time.monotonic()


def snowflake():
    with LOCK:
        STATE["snow"] += 1
        ms = int(time.time() * 1000) - EPOCH_MS
        return str((ms << 22) | (STATE["snow"] & 0x3fffff))


def violation(kind, **kw):
    with LOCK:
        v = {"kind": kind, "time": time.time()}
        v.update(kw)
        VIOLATIONS.append(v)


# ---------------------------------------------------------------- gateway


class Conn:
    def __init__(self, ws, port):
        self.ws = ws
        self.port = port
        self.session = None
        self.sends = []		# times of client frames (rate limit)
        self.last_hb = now()
        self.id = len(STATE["conns"]) + 1
        self.closed = False


async def send_json(conn, obj):
    await conn.ws.send(json.dumps(obj))


async def close_conn(conn, code, reason=""):
    with LOCK:
        GWLOG.append({"conn": conn.id, "event": "server-close",
                      "code": code, "reason": reason, "time": time.time()})
    conn.closed = True
    try:
        await conn.ws.close(code, reason)
    except Exception:
        pass


async def dispatch(session, t, d):
    """Sends a dispatch in order, buffering it for a resume."""
    with LOCK:
        session["seq"] += 1
        s = session["seq"]
        payload = {"op": 0, "t": t, "s": s, "d": d}
        session["buffer"].append(payload)
        conn = session.get("conn")
        held = session.pop("hold", None)
    if held is not None:
        held.set()
    if conn is not None and not conn.closed:
        try:
            await send_json(conn, payload)
        except Exception:
            pass
    return s


async def heartbeat_watch(conn, interval):
    """Closes a connection whose client stopped heartbeating (4009)."""
    while not conn.closed:
        await asyncio.sleep(interval / 1000.0 / 2)
        if now() - conn.last_hb > interval / 1000.0 * 2 + 1:
            violation("heartbeat-missed", conn=conn.id)
            await close_conn(conn, 4009, "Session timed out")
            return


async def gateway_handler(ws, path=None):
    port = ws.local_address[1]
    conn = Conn(ws, port)
    with LOCK:
        STATE["conns"].append(conn)
        GWLOG.append({"conn": conn.id, "event": "open", "port": port,
                      "path": path, "time": time.time()})
    interval = OPTS.heartbeat_ms
    await send_json(conn, {"op": 10, "d": {"heartbeat_interval": interval},
                           "s": None, "t": None})
    watch = asyncio.ensure_future(heartbeat_watch(conn, interval))
    try:
        async for msg in ws:
            await gateway_frame(conn, msg)
            if conn.closed:
                break
    except websockets.ConnectionClosed:
        pass
    finally:
        watch.cancel()
        conn.closed = True
        with LOCK:
            GWLOG.append({"conn": conn.id, "event": "closed",
                          "code": ws.close_code, "time": time.time()})
            if conn.session is not None and \
                    conn.session.get("conn") is conn:
                conn.session["conn"] = None


async def gateway_frame(conn, msg):
    t = now()
    conn.sends = [x for x in conn.sends if t - x < 60] + [t]
    if isinstance(msg, bytes):
        msg = msg.decode("utf-8", "replace")
    if len(msg.encode()) > 4096:
        violation("gateway-payload-too-large", conn=conn.id)
        await close_conn(conn, 4002, "Decode error")
        return
    try:
        p = json.loads(msg)
        op = p["op"]
    except Exception:
        await close_conn(conn, 4002, "Decode error")
        return
    with LOCK:
        GWLOG.append({"conn": conn.id, "event": "recv", "op": op,
                      "d": p.get("d") if op != 2 and op != 6 else
                      redact(p.get("d")), "time": time.time(),
                      "port": conn.port})
    if len(conn.sends) > OPTS.send_limit:
        violation("gateway-rate-limited", conn=conn.id)
        await close_conn(conn, 4008, "Rate limited")
        return
    if op == 1:
        conn.last_hb = now()
        if conn.session is not None and p.get("d") is not None and \
                p["d"] > conn.session["seq"]:
            violation("heartbeat-seq-ahead", seq=p["d"])
        if not STATE["noack"]:
            await send_json(conn, {"op": 11})
    elif op == 2:
        await identify(conn, p.get("d") or {})
    elif op == 6:
        await resume(conn, p.get("d") or {})
    elif op in (3, 4, 8, 31, 43):
        if conn.session is None:
            await close_conn(conn, 4003, "Not authenticated")
    else:
        await close_conn(conn, 4001, "Unknown opcode")


def redact(d):
    if isinstance(d, dict):
        d = dict(d)
        if "token" in d:
            d["token_ok"] = d["token"] == OPTS.token
            del d["token"]
    return d


async def identify(conn, d):
    if conn.session is not None:
        await close_conn(conn, 4005, "Already authenticated")
        return
    if d.get("token") != OPTS.token:
        await close_conn(conn, 4004, "Authentication failed")
        return
    intents = d.get("intents")
    if not isinstance(intents, int) or intents & ~KNOWN_INTENTS:
        await close_conn(conn, 4013, "Invalid intent(s)")
        return
    if intents & PRIVILEGED:
        await close_conn(conn, 4014, "Disallowed intent(s)")
        return
    props = d.get("properties") or {}
    if not all(k in props for k in ("os", "browser", "device")):
        violation("identify-properties", properties=props)
    sid = secrets.token_hex(16)
    session = {"id": sid, "seq": 0, "buffer": [], "conn": conn,
               "intents": intents}
    with LOCK:
        SESSIONS[sid] = session
        STATE["identifies"] += 1
        STATE["session"] = sid
    conn.session = session
    await dispatch(session, "READY", {
        "v": 10,
        "user": {"id": OPTS.app_id, "username": "roost", "bot": True,
                 "discriminator": "0", "global_name": None, "avatar": None},
        "guilds": [{"id": OPTS.guild, "unavailable": True}],
        "session_id": sid,
        "resume_gateway_url": "ws://127.0.0.1:%d" % OPTS.resume_port,
        "application": {"id": OPTS.app_id, "flags": 0},
    })
    if intents & 1:
        await dispatch(session, "GUILD_CREATE",
                       {"id": OPTS.guild, "name": "roost test",
                        "roles": [], "unavailable": False})


async def resume(conn, d):
    if d.get("token") != OPTS.token:
        await close_conn(conn, 4004, "Authentication failed")
        return
    session = SESSIONS.get(d.get("session_id"))
    seq = d.get("seq")
    if session is None or session.get("invalid") or \
            not isinstance(seq, int) or seq > session["seq"]:
        await send_json(conn, {"op": 9, "d": False, "s": None, "t": None})
        return
    if conn.port != OPTS.resume_port:
        violation("resume-not-on-resume-url", port=conn.port)
    held = session.get("hold")
    if held is not None:
        try:
            await asyncio.wait_for(held.wait(), 10)
        except asyncio.TimeoutError:
            session.pop("hold", None)
    old = session.get("conn")
    if old is not None and old is not conn and not old.closed:
        await close_conn(old, 4000, "Session resumed elsewhere")
    with LOCK:
        session["conn"] = conn
        conn.session = session
        missed = [x for x in session["buffer"] if x["s"] > seq]
        GWLOG.append({"conn": conn.id, "event": "resumed",
                      "replayed": len(missed), "time": time.time()})
    for x in missed:
        await send_json(conn, x)
    await dispatch(session, "RESUMED", None)


def current_session():
    with LOCK:
        sid = STATE.get("session")
        return SESSIONS.get(sid) if sid else None


async def gateway_action(a):
    s = current_session()
    conn = s.get("conn") if s else None
    act = a.get("action")
    if act == "noack":
        STATE["noack"] = True
        return {"ok": True}
    if act == "ack":
        STATE["noack"] = False
        return {"ok": True}
    if conn is None or conn.closed:
        return {"ok": False, "error": "no connection"}
    if act == "drop":
        with LOCK:
            GWLOG.append({"conn": conn.id, "event": "server-drop",
                          "time": time.time()})
            if str(a.get("hold", "")).lower() in ("1", "true"):
                s["hold"] = asyncio.Event()
        conn.closed = True
        conn.ws.transport.abort()
    elif act == "close":
        await close_conn(conn, int(a.get("code", 4000)), "test")
    elif act == "reconnect":
        await send_json(conn, {"op": 7, "d": None, "s": None, "t": None})
        asyncio.get_event_loop().call_later(
            3, lambda: asyncio.ensure_future(
                close_conn(conn, 4000, "reconnect")) if not conn.closed
            else None)
    elif act == "invalid_session":
        resumable = bool(a.get("resumable", False))
        if not resumable:
            s["invalid"] = True
        await send_json(conn, {"op": 9, "d": resumable, "s": None,
                               "t": None})
    elif act == "heartbeat":
        with LOCK:
            GWLOG.append({"conn": conn.id, "event": "server-heartbeat",
                          "time": time.time()})
        await send_json(conn, {"op": 1, "d": None, "s": None, "t": None})
    else:
        return {"ok": False, "error": "unknown action"}
    return {"ok": True}


async def dispatch_interaction(rec):
    s = current_session()
    if s is None:
        return None
    seq = await dispatch(s, "INTERACTION_CREATE", rec["payload"])
    with LOCK:
        rec["dispatched"].append({"s": seq, "mono": now(),
                                  "time": time.time()})
    return seq


def run_async(coro):
    return asyncio.run_coroutine_threadsafe(coro, LOOP).result(10)


# ------------------------------------------------------------ interactions

def make_interaction(spec):
    iid = spec.get("id") or snowflake()
    token = "itok-" + secrets.token_hex(24)
    user = str(spec.get("user", "100000000000000001"))
    payload = {
        "id": iid,
        "application_id": OPTS.app_id,
        "type": int(spec.get("type", 2)),
        "token": token,
        "version": 1,
        "guild_id": spec.get("guild_id", OPTS.guild),
        "channel_id": spec.get("channel_id", "300000000000000001"),
        "app_permissions": "442368",
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": OPTS.guild},
        "context": 0,
        "attachment_size_limit": 10485760,
        "member": {
            "user": {"id": user, "username": spec.get("username",
                                                      "user" + user[-4:]),
                     "global_name": spec.get("global_name"),
                     "discriminator": "0", "avatar": None},
            "roles": [str(r) for r in spec.get("roles", [])],
            "permissions": str(spec.get("permissions", "0")),
            "nick": None, "joined_at": "2024-01-01T00:00:00.000000+00:00",
            "pending": False, "deaf": False, "mute": False, "flags": 0,
        },
    }
    if "data" in spec:
        payload["data"] = spec["data"]
    if "message" in spec:
        payload["message"] = spec["message"]
    rec = {"id": iid, "token": token, "type": payload["type"],
           "payload": payload, "created": now(), "dispatched": [],
           "callbacks": [], "acked": None, "ack_mono": None,
           "original": None, "followups": [], "edits": []}
    with LOCK:
        INTERACTIONS[iid] = rec
    return rec


def interaction_view(rec):
    r = {k: v for k, v in rec.items() if k not in ("payload",)}
    if rec["ack_mono"] is not None and rec["dispatched"]:
        r["ack_ms"] = (rec["ack_mono"] - rec["dispatched"][0]["mono"]) * 1000
    r["data"] = rec["payload"].get("data")
    return r


def late_violations():
    """Interactions with no first response within 3 s."""
    t = now()
    out = []
    with LOCK:
        for rec in INTERACTIONS.values():
            if not rec["dispatched"]:
                continue
            d0 = rec["dispatched"][0]["mono"]
            if rec["ack_mono"] is None and t - d0 > 3:
                out.append({"kind": "no-response-in-3s", "id": rec["id"]})
            elif rec["ack_mono"] is not None and rec["ack_mono"] - d0 > 3:
                out.append({"kind": "no-response-in-3s", "id": rec["id"]})
    return out


# ------------------------------------------------------------ validation

def strlen(s):
    return len(s.strip()) if isinstance(s, str) else 0


def check_components(comps, errs, modal=False):
    if comps is None:
        return
    if not isinstance(comps, list):
        errs.append("components must be an array")
        return
    if not modal and len(comps) > 5:
        errs.append("more than 5 action rows")
    if modal and not 1 <= len(comps) <= 5:
        errs.append("a modal needs 1 to 5 components")
    ids = set()
    for row in comps:
        t = row.get("type")
        if modal and t == 18:
            if strlen(row.get("label")) > 45 or not row.get("label"):
                errs.append("label must be 1..45 characters")
            inner = [row.get("component") or {}]
        elif t == 1:
            inner = row.get("components") or []
            if not 1 <= len(inner) <= 5:
                errs.append("an action row needs 1 to 5 components")
            kinds = set(c.get("type") for c in inner)
            if (kinds - {2}) and len(inner) > 1:
                errs.append("a select must be alone in its row")
        else:
            errs.append("unexpected top-level component type %r" % t)
            continue
        for c in inner:
            ct = c.get("type")
            cid = c.get("custom_id")
            if ct == 2 and c.get("style") != 5:
                if not cid:
                    errs.append("button without custom_id")
                if strlen(c.get("label")) > 80:
                    errs.append("button label over 80")
            if ct == 2 and c.get("style") == 5 and not c.get("url"):
                errs.append("link button without url")
            if ct == 3:
                opts = c.get("options") or []
                if not 1 <= len(opts) <= 25:
                    errs.append("a select needs 1 to 25 options")
                for o in opts:
                    if len(o.get("label", "")) > 100 or \
                            len(str(o.get("value", ""))) > 100 or \
                            not o.get("label") or o.get("value") is None:
                        errs.append("bad select option")
                    if len(o.get("description") or "") > 100:
                        errs.append("select option description over 100")
                if len(c.get("placeholder") or "") > 150:
                    errs.append("placeholder over 150")
            if ct == 4:
                if not modal:
                    errs.append("text input outside a modal")
                if c.get("style") not in (1, 2):
                    errs.append("text input style must be 1 or 2")
                if len(c.get("value") or "") > 4000:
                    errs.append("text input value over 4000")
            if cid is not None:
                if not 1 <= len(cid) <= 100:
                    errs.append("custom_id must be 1..100 characters")
                if cid in ids:
                    errs.append("duplicate custom_id %s" % cid)
                ids.add(cid)


def check_message(d, errs, need_content=True):
    if not isinstance(d, dict):
        errs.append("message data must be an object")
        return
    content = d.get("content")
    if content is not None and len(content) > 2000:
        errs.append("content over 2000 characters")
    embeds = d.get("embeds") or []
    if len(embeds) > 10:
        errs.append("more than 10 embeds")
    total = 0
    for e in embeds:
        for k, lim in (("title", 256), ("description", 4096)):
            n = strlen(e.get(k))
            total += n
            if n > lim:
                errs.append("embed %s over %d" % (k, lim))
        fields = e.get("fields") or []
        if len(fields) > 25:
            errs.append("more than 25 embed fields")
        for f in fields:
            if not strlen(f.get("name")) or not strlen(f.get("value")):
                errs.append("embed field name and value are required")
            if strlen(f.get("name")) > 256:
                errs.append("embed field name over 256")
            if strlen(f.get("value")) > 1024:
                errs.append("embed field value over 1024")
            total += strlen(f.get("name")) + strlen(f.get("value"))
        ft = (e.get("footer") or {}).get("text")
        if strlen(ft) > 2048:
            errs.append("footer over 2048")
        total += strlen(ft)
        an = (e.get("author") or {}).get("name")
        if strlen(an) > 256:
            errs.append("author name over 256")
        total += strlen(an)
    if total > 6000:
        errs.append("embeds over 6000 characters in total")
    if d.get("flags") is not None and d["flags"] & ~(4 | 64 | 4096 | 32768):
        errs.append("flags not allowed")
    check_components(d.get("components"), errs)
    if need_content and not content and not embeds and \
            not d.get("components"):
        errs.append("cannot send an empty message")


def check_callback(rec, body, errs):
    t = body.get("type")
    it = rec["type"]
    allowed = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}
    if t not in allowed.get(it, set()):
        errs.append("callback type %r is not allowed for interaction "
                    "type %r" % (t, it))
        return
    d = body.get("data")
    if t in (4, 7):
        check_message(d, errs, need_content=(t == 4))
    elif t == 5:
        if d is not None and (d.get("flags") or 0) & ~64:
            errs.append("only EPHEMERAL is allowed on a deferred response")
    elif t == 8:
        ch = (d or {}).get("choices")
        if not isinstance(ch, list) or len(ch) > 25:
            errs.append("autocomplete needs at most 25 choices")
        for c in ch or []:
            if not 1 <= len(c.get("name", "")) <= 100 or \
                    len(str(c.get("value", ""))) > 100:
                errs.append("bad autocomplete choice")
    elif t == 9:
        if not d or not 1 <= len(d.get("custom_id") or "") <= 100:
            errs.append("modal custom_id must be 1..100 characters")
        if not d or not 1 <= len(d.get("title") or "") <= 45:
            errs.append("modal title must be 1..45 characters")
        check_components((d or {}).get("components"), errs, modal=True)


COMMAND_NAME = re.compile(r"^[-_a-z0-9]{1,32}$")


def check_name(x, names, errs, bad, dup):
    """
    Appends to errs bad or dup with x's name when it is not a command
    name or is in names already; adds it to names.
    """
    if not COMMAND_NAME.match(x.get("name", "")):
        errs.append("%s %r" % (bad, x.get("name")))
    if x.get("name") in names:
        errs.append("%s %r" % (dup, x.get("name")))
    names.add(x.get("name"))


def check_commands(cmds, errs):
    if not isinstance(cmds, list):
        errs.append("body must be an array")
        return
    names = set()
    for c in cmds:
        check_name(c, names, errs, "bad command name", "duplicate command")
        if c.get("type", 1) == 1 and \
                not 1 <= len(c.get("description", "")) <= 100:
            errs.append("description must be 1..100 characters")
        check_options(c.get("options") or [], errs, 0)


def check_options(opts, errs, depth):
    if len(opts) > 25:
        errs.append("more than 25 options")
    seen_optional = False
    names = set()
    for o in opts:
        check_name(o, names, errs, "bad option name",
                   "duplicate option name")
        if not 1 <= len(o.get("description", "")) <= 100:
            errs.append("option description must be 1..100 characters")
        t = o.get("type")
        if t in (1, 2):
            if (t == 2 and depth > 0) or (t == 1 and depth > 1):
                errs.append("options nested too deep")
            check_options(o.get("options") or [], errs, depth + 1)
            continue
        if o.get("required"):
            if seen_optional:
                errs.append("required options must come first")
        else:
            seen_optional = True
        if o.get("autocomplete") and o.get("choices"):
            errs.append("autocomplete and choices are exclusive")
        if len(o.get("choices") or []) > 25:
            errs.append("more than 25 choices")


# --------------------------------------------------------------------- REST

def route_key(method, path):
    """The rate-limit bucket of a route (top-level ids kept)."""
    p = re.sub(r"/(\d{5,})", lambda m: "/:id", path)
    for major in (r"^/channels/([^/]+)", r"^/guilds/([^/]+)",
                  r"^/webhooks/([^/]+/[^/]+)",
                  r"^/interactions/([^/]+/[^/]+)"):
        m = re.match(major, path)
        if m:
            return method + " " + p, m.group(1)
    return method + " " + p, ""


def error_body(code, message, errors=None):
    b = {"code": code, "message": message}
    if errors:
        b["errors"] = {"_errors": [{"code": "BASE_TYPE_INVALID",
                                    "message": e} for e in errors]}
    return b


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=None, headers=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.status_sent = status

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return raw

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def handle_any(self, method):
        raw = self.read_body()
        path = self.path.split("?")[0]
        if path.startswith("/_fake/"):
            try:
                body = json.loads(raw) if raw else {}
                status, out = control(method, path[6:], body)
            except Exception as e:
                status, out = 500, {"error": repr(e)}
            self.reply(status, out)
            return
        if not path.startswith("/api/v10/"):
            self.reply(404, error_body(0, "404: Not Found"))
            return
        self.status_sent = 0
        rec = {"method": method, "path": path[8:], "time": time.time(),
               "mono": now(), "ua": self.headers.get("User-Agent")}
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except Exception:
                body = None
        rec["body"] = body
        status, out, hdrs = self.rest(method, path[8:], raw, body)
        rec["status"] = status
        rec["response"] = out
        with LOCK:
            CALLS.append(rec)
            if status in (401, 403, 429):
                INVALID_REQS.append(now())
        self.reply(status, out, hdrs)

    def rest(self, method, path, raw, body):
        ua = self.headers.get("User-Agent") or ""
        if not re.match(r"^DiscordBot \(\S+, \S+\)", ua):
            violation("bad-user-agent", ua=ua, path=path)
            return 400, error_body(0, "bad user agent"), {}
        webhook = path.startswith("/interactions/") or \
            path.startswith("/webhooks/")
        if not webhook and self.headers.get("Authorization") != \
                "Bot " + OPTS.token:
            return 401, {"message": "401: Unauthorized", "code": 0}, {}
        if raw and "application/json" not in \
                (self.headers.get("Content-Type") or ""):
            return 400, error_body(50035, "Invalid Form Body",
                                   ["content type must be json"]), {}
        if raw and body is None:
            return 400, error_body(50109, "The request body contains "
                                   "invalid JSON."), {}
        limited = self.ratelimit(method, path, webhook)
        if limited is not None:
            return limited
        status, out = route(method, path, body)
        return status, out, self.rl_headers

    def ratelimit(self, method, path, webhook):
        key, major = route_key(method, path)
        bucket = "b" + str(abs(hash(key)) % 10**8)
        t = now()
        self.rl_headers = {}
        with LOCK:
            for s in STORMS:
                if s["count"] > 0 and path.startswith(s["path"]):
                    s["count"] -= 1
                    ra = float(s.get("retry_after", 0.2))
                    h = {"Retry-After": str(max(1, int(ra + 0.999))),
                         "X-RateLimit-Scope": "global" if s.get("global")
                         else "user"}
                    if s.get("global"):
                        h["X-RateLimit-Global"] = "true"
                    else:
                        h.update({"X-RateLimit-Limit": "5",
                                  "X-RateLimit-Remaining": "0",
                                  "X-RateLimit-Reset": "%.3f" %
                                  (time.time() + ra),
                                  "X-RateLimit-Reset-After": "%.3f" % ra,
                                  "X-RateLimit-Bucket": bucket})
                    violation("injected-429", path=path)
                    return 429, {"message": "You are being rate limited.",
                                 "retry_after": ra,
                                 "global": bool(s.get("global"))}, h
            if not webhook:
                GLOBAL_WINDOW[:] = [x for x in GLOBAL_WINDOW if t - x < 1]
                if len(GLOBAL_WINDOW) >= OPTS.global_limit:
                    ra = 1 - (t - GLOBAL_WINDOW[0])
                    violation("global-429", path=path)
                    return 429, {"message": "You are being rate limited.",
                                 "retry_after": round(ra, 3),
                                 "global": True}, \
                        {"X-RateLimit-Global": "true",
                         "X-RateLimit-Scope": "global",
                         "Retry-After": str(max(1, int(ra + 0.999)))}
                GLOBAL_WINDOW.append(t)
            limit = OPTS.bucket_limit
            window = OPTS.bucket_window
            for s in STORMS:
                if s.get("bucket_limit") and path.startswith(s["path"]):
                    limit = int(s["bucket_limit"])
                    window = float(s.get("window", window))
            bk = BUCKETS.get(key + "|" + major)
            if bk is None or t >= bk["reset"]:
                bk = {"reset": t + window, "remaining": limit}
                BUCKETS[key + "|" + major] = bk
            if bk["remaining"] <= 0:
                ra = bk["reset"] - t
                violation("bucket-429", path=path, bucket=bucket)
                return 429, {"message": "You are being rate limited.",
                             "retry_after": round(ra, 3), "global": False}, \
                    {"X-RateLimit-Limit": str(limit),
                     "X-RateLimit-Remaining": "0",
                     "X-RateLimit-Reset": "%.3f" % (time.time() + ra),
                     "X-RateLimit-Reset-After": "%.3f" % ra,
                     "X-RateLimit-Bucket": bucket,
                     "X-RateLimit-Scope": "user",
                     "Retry-After": str(max(1, int(ra + 0.999)))}
            bk["remaining"] -= 1
            ra = bk["reset"] - t
            self.rl_headers = {
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": str(bk["remaining"]),
                "X-RateLimit-Reset": "%.3f" % (time.time() + ra),
                "X-RateLimit-Reset-After": "%.3f" % ra,
                "X-RateLimit-Bucket": bucket}
        return None


def message_object(channel, body, mid=None, flags=0):
    return {"id": mid or snowflake(), "channel_id": channel,
            "content": body.get("content", ""),
            "embeds": body.get("embeds", []),
            "components": body.get("components", []),
            "flags": body.get("flags", flags) or 0,
            "author": {"id": OPTS.app_id, "bot": True,
                       "username": "roost"},
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S+00:00",
                                       time.gmtime())}


def route(method, path, body):
    parts = path.strip("/").split("/")
    if method == "GET" and path == "/gateway/bot":
        return 200, {"url": "ws://127.0.0.1:%d" % OPTS.gateway_port,
                     "shards": 1,
                     "session_start_limit": {"total": 1000,
                                             "remaining": 999,
                                             "reset_after": 14400000,
                                             "max_concurrency": 1}}
    if method == "GET" and path == "/users/@me":
        return 200, {"id": OPTS.app_id, "username": "roost", "bot": True}
    if parts[0] == "applications" and parts[-1] == "commands" and \
            method in ("PUT", "GET"):
        if parts[1] != OPTS.app_id:
            return 403, error_body(50001, "Missing Access")
        scope = "global" if len(parts) == 3 else parts[3]
        if method == "GET":
            return 200, COMMANDS.get(scope, [])
        errs = []
        check_commands(body, errs)
        if errs:
            violation("bad-commands", errors=errs)
            return 400, error_body(50035, "Invalid Form Body", errs)
        out = []
        for c in body:
            c = dict(c)
            c.update({"id": snowflake(), "application_id": OPTS.app_id,
                      "version": snowflake()})
            if scope != "global":
                c["guild_id"] = scope
            out.append(c)
        with LOCK:
            COMMANDS[scope] = out
        return 200, out
    if parts[0] == "interactions" and len(parts) == 4 and \
            parts[3] == "callback" and method == "POST":
        return interaction_callback(parts[1], parts[2], body or {})
    if parts[0] == "webhooks" and len(parts) >= 3:
        return webhook(method, parts, body or {})
    if method == "POST" and path == "/users/@me/channels":
        user = str((body or {}).get("recipient_id", ""))
        if not user:
            return 400, error_body(50035, "Invalid Form Body",
                                   ["recipient_id is required"])
        cid = "dm" + user
        with LOCK:
            CHANNELS[cid] = {"dm": user}
        return 200, {"id": cid, "type": 1, "last_message_id": None,
                     "recipients": [{"id": user, "username": "u"}]}
    if parts[0] == "channels" and len(parts) >= 3 and parts[2] == "messages":
        cid = parts[1]
        ch = CHANNELS.get(cid)
        if ch is not None and ch["dm"] in DM_CLOSED:
            return 403, {"message": "Cannot send messages to this user",
                         "code": 50007}
        if method == "POST" and len(parts) == 3:
            errs = []
            check_message(body or {}, errs)
            if (body or {}).get("flags", 0) & 64:
                # only interaction responses can be ephemeral
                errs.append("flags not allowed")
            if errs:
                violation("bad-message", errors=errs, path=path)
                return 400, error_body(50035, "Invalid Form Body", errs)
            m = message_object(cid, body or {})
            m["dm_user"] = ch["dm"] if ch else None
            m["edits"] = []
            with LOCK:
                MESSAGES.append(m)
            return 200, {k: v for k, v in m.items() if k != "edits"}
        if method == "PATCH" and len(parts) == 4:
            errs = []
            check_message(body or {}, errs, need_content=False)
            if errs:
                violation("bad-message-edit", errors=errs, path=path)
                return 400, error_body(50035, "Invalid Form Body", errs)
            with LOCK:
                for m in MESSAGES:
                    if m["id"] == parts[3] and m["channel_id"] == cid:
                        m.update({k: v for k, v in (body or {}).items()
                                  if k in ("content", "embeds",
                                           "components")})
                        m["edits"].append({"body": body,
                                           "time": time.time()})
                        return 200, {k: v for k, v in m.items()
                                     if k not in ("edits", "dm_user")}
            return 404, error_body(10008, "Unknown Message")
    return 404, error_body(0, "404: Not Found")


def interaction_callback(iid, token, body):
    with LOCK:
        rec = INTERACTIONS.get(iid)
        if rec is None or rec["token"] != token:
            return 404, error_body(10062, "Unknown interaction")
        t = now()
        d0 = rec["dispatched"][0]["mono"] if rec["dispatched"] else \
            rec["created"]
        rec["callbacks"].append({"body": body, "time": time.time(),
                                 "after_ms": (t - d0) * 1000})
        if rec["acked"] is not None:
            violation("double-ack", id=iid)
            return 400, error_body(40060, "Interaction has already been "
                                   "acknowledged.")
        if t - d0 > 3:
            violation("late-ack", id=iid, after=t - d0)
            return 404, error_body(10062, "Unknown interaction")
        errs = []
        check_callback(rec, body, errs)
        if errs:
            violation("bad-callback", id=iid, errors=errs)
            return 400, error_body(50035, "Invalid Form Body", errs)
        rec["acked"] = body
        rec["ack_mono"] = t
        if body.get("type") in (4, 5):
            rec["original"] = message_object(
                rec["payload"]["channel_id"], body.get("data") or {})
    return 204, None


def webhook(method, parts, body):
    app, token = parts[1], parts[2]
    with LOCK:
        rec = None
        for r in INTERACTIONS.values():
            if r["token"] == token:
                rec = r
        if rec is None or app != OPTS.app_id:
            return 404, error_body(10015, "Unknown Webhook")
        if rec.get("expired") or now() - rec["created"] > OPTS.token_ttl:
            rec.setdefault("refused", []).append(
                {"method": method, "time": time.time()})
            return 401, error_body(50027, "Invalid Webhook Token")
        if rec["acked"] is None:
            violation("webhook-before-ack", id=rec["id"])
            return 404, error_body(10062, "Unknown interaction")
        if len(parts) == 3 and method == "POST":
            errs = []
            check_message(body, errs)
            if errs:
                violation("bad-followup", id=rec["id"], errors=errs)
                return 400, error_body(50035, "Invalid Form Body", errs)
            m = message_object(rec["payload"]["channel_id"], body)
            rec["followups"].append(m)
            return 200, m
        if len(parts) == 5 and parts[3] == "messages":
            target = parts[4]
            if target == "@original":
                m = rec["original"]
                if m is None:
                    # a deferred update (6) edits the component's message
                    m = message_object(rec["payload"]["channel_id"], {})
                    rec["original"] = m
            else:
                m = next((x for x in rec["followups"]
                          if x["id"] == target), None)
                if m is None:
                    return 404, error_body(10008, "Unknown Message")
            if method == "GET":
                return 200, m
            if method == "DELETE":
                return 204, None
            if method == "PATCH":
                errs = []
                check_message(body, errs, need_content=False)
                if errs:
                    violation("bad-edit", id=rec["id"], errors=errs)
                    return 400, error_body(50035, "Invalid Form Body", errs)
                for k in ("content", "embeds", "components", "flags"):
                    if k in body:
                        m[k] = body[k]
                rec["edits"].append({"target": target, "body": body,
                                     "time": time.time()})
                return 200, m
    return 404, error_body(0, "404: Not Found")


# ------------------------------------------------------------------ control

def percentile(v, p):
    if not v:
        return None
    v = sorted(v)
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def control(method, path, body):
    if path == "/interaction" and method == "POST":
        rec = make_interaction(body)
        seq = run_async(dispatch_interaction(rec))
        return 200, {"id": rec["id"], "token": rec["token"], "s": seq}
    if path == "/interactions-batch" and method == "POST":
        recs = [make_interaction(x) for x in body.get("interactions", [])]

        async def many():
            return [await dispatch_interaction(r) for r in recs]
        run_async(many())
        return 200, [{"id": r["id"], "token": r["token"]} for r in recs]
    if path == "/redeliver" and method == "POST":
        rec = INTERACTIONS.get(body.get("id"))
        if rec is None:
            return 404, {"error": "unknown interaction"}
        seq = run_async(dispatch_interaction(rec))
        return 200, {"id": rec["id"], "s": seq}
    if path == "/gateway" and method == "POST":
        return 200, run_async(gateway_action(body))
    if path == "/dispatch" and method == "POST":
        s = current_session()
        if s is None:
            return 409, {"error": "no session"}
        seq = run_async(dispatch(s, body.get("t", "TEST_EVENT"),
                                 body.get("d")))
        return 200, {"s": seq}
    if path == "/expire" and method == "POST":
        with LOCK:
            rec = INTERACTIONS.get(body.get("id"))
            if rec is None:
                return 404, {"error": "unknown interaction"}
            rec["expired"] = True
        return 200, {"ok": True}
    if path == "/dm" and method == "POST":
        with LOCK:
            if body.get("closed", True):
                DM_CLOSED.add(str(body["user"]))
            else:
                DM_CLOSED.discard(str(body["user"]))
        return 200, {"ok": True}
    if path == "/ratelimit" and method == "POST":
        with LOCK:
            STORMS.append({"path": body.get("path", "/"),
                           "count": int(body.get("count", 0)),
                           "retry_after": body.get("retry_after", 0.2),
                           "global": bool(body.get("global", False)),
                           "bucket_limit": body.get("bucket_limit"),
                           "window": body.get("window", 1.0)})
        return 200, {"ok": True}
    with LOCK:
        if path == "/calls":
            return 200, [{k: v for k, v in c.items() if k != "mono"}
                         for c in CALLS]
        if path == "/gateway-log":
            return 200, {"log": GWLOG, "identifies": STATE["identifies"],
                         "session": STATE.get("session"),
                         "seq": (current_session() or {}).get("seq")}
        if path == "/interactions":
            return 200, [interaction_view(r) for r in INTERACTIONS.values()]
        if path == "/violations":
            return 200, VIOLATIONS + late_violations()
        if path == "/commands":
            return 200, COMMANDS
        if path == "/messages":
            return 200, MESSAGES
        if path == "/stats":
            lat = []
            for r in INTERACTIONS.values():
                if r["ack_mono"] is not None and r["dispatched"]:
                    lat.append((r["ack_mono"] -
                                r["dispatched"][0]["mono"]) * 1000)
            return 200, {"acked": len(lat),
                         "interactions": len(INTERACTIONS),
                         "p50_ms": percentile(lat, 50),
                         "p99_ms": percentile(lat, 99),
                         "max_ms": max(lat) if lat else None,
                         "invalid_requests": len(INVALID_REQS)}
    return 404, {"error": "unknown control path " + path}


# --------------------------------------------------------------------- main

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


async def gateway_main(ready):
    global LOOP
    LOOP = asyncio.get_running_loop()
    a = await websockets.serve(gateway_handler, "127.0.0.1", OPTS.gateway_port,
                               max_size=1 << 20, ping_interval=None)
    b = await websockets.serve(gateway_handler, "127.0.0.1", OPTS.resume_port,
                               max_size=1 << 20, ping_interval=None)
    ready.set()
    await asyncio.Future()
    a.close()
    b.close()


def main():
    global OPTS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--gateway-port", type=int)
    ap.add_argument("--resume-port", type=int)
    ap.add_argument("--state-dir", required=True)
    ap.add_argument("--token", default="fake-bot-token")
    ap.add_argument("--app-id", default="900000000000000001")
    ap.add_argument("--guild", default="800000000000000001")
    ap.add_argument("--heartbeat-ms", type=int, default=1000)
    ap.add_argument("--send-limit", type=int, default=120)
    ap.add_argument("--bucket-limit", type=int, default=50)
    ap.add_argument("--bucket-window", type=float, default=1.0)
    ap.add_argument("--global-limit", type=int, default=50)
    ap.add_argument("--token-ttl", type=float, default=900)
    OPTS = ap.parse_args()
    if OPTS.gateway_port is None:
        OPTS.gateway_port = OPTS.port + 1
    if OPTS.resume_port is None:
        OPTS.resume_port = OPTS.port + 2
    os.makedirs(OPTS.state_dir, exist_ok=True)
    ready = threading.Event()
    t = threading.Thread(target=lambda: asyncio.run(gateway_main(ready)),
                         daemon=True)
    t.start()
    if not ready.wait(10):
        print("fakediscord: the gateway did not start", file=sys.stderr)
        sys.exit(1)
    srv = Server(("127.0.0.1", OPTS.port), Handler)
    with open(os.path.join(OPTS.state_dir, "ready"), "w") as fp:
        fp.write("%d\n" % os.getpid())
    srv.serve_forever()


if __name__ == "__main__":
    random.seed()
    main()
