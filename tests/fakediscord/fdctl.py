#!/usr/bin/python3
# fdctl.py: the command line the bot's tests use to drive fakediscord.py.
#
#   fdctl.py PORT slash USER ROLES "server stop demo" [opt=value ...]
#   fdctl.py PORT component USER ROLES CUSTOM_ID [VALUE]
#   fdctl.py PORT modal USER ROLES CUSTOM_ID key=value ... [select:=a,b]
#   fdctl.py PORT autocomplete USER ROLES "server status" OPTION TYPED
#   fdctl.py PORT batch N USER ROLES "server create" ... (see below)
#   fdctl.py PORT wait ID [TEXT] [SECONDS]   waits for the final message
#   fdctl.py PORT show ID                    prints the interaction
#   fdctl.py PORT expire ID                  its token expires now (50027)
#   fdctl.py PORT channel-wait CHANNEL TEXT [SECONDS]
#                             waits for a message in CHANNEL (not a DM)
#                             showing TEXT; prints "ID EDITS" and its text
#   fdctl.py PORT redeliver ID | gateway ACTION [k=v] | dm USER closed|open
#   fdctl.py PORT ratelimit PATH COUNT [RETRY_AFTER] [global]
#   fdctl.py PORT get PATH                   any GET of the control API
#
# FD_GLOBAL_NAME in the environment sets the invoker's display name;
# FD_MESSAGE=ID makes a component press come from channel message ID.
# ROLES is a comma-separated list of role ids ("" for none). Interactions
# print their id; wait prints the reply's text (content, embed titles,
# descriptions and fields) once the interaction has a final message.
import json
import os
import sys
import time
import urllib.request

PORT = int(sys.argv[1])
BASE = "http://127.0.0.1:%d/_fake" % PORT


def call(path, body=None):
    if body is not None and "FD_GLOBAL_NAME" in os.environ:
        body["global_name"] = os.environ["FD_GLOBAL_NAME"]
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data,
                                 method="POST" if data else "GET")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def roles(s):
    return [r for r in s.split(",") if r]


def slash_data(words, opts):
    cmd, sub = words[0], words[1] if len(words) > 1 else None
    options = []
    for o in opts:
        k, v = o.split("=", 1)
        options.append({"type": 3, "name": k, "value": v})
    if len(words) > 2 and words[2]:
        options.insert(0, {"type": 3, "name": "server", "value": words[2]})
    if sub is None:
        return {"id": "1", "name": cmd, "type": 1, "options": options}
    return {"id": "1", "name": cmd, "type": 1,
            "options": [{"type": 1, "name": sub, "options": options}]}


def text_of(msg):
    if msg is None:
        return ""
    out = [msg.get("content") or ""]
    for e in msg.get("embeds") or []:
        out.append(e.get("title") or "")
        out.append(e.get("description") or "")
        for f in e.get("fields") or []:
            out.append("%s: %s" % (f.get("name"), f.get("value")))
    for row in msg.get("components") or []:
        for c in row.get("components") or []:
            out.append("[%s %s]" % (c.get("label") or "",
                                    c.get("custom_id") or ""))
            for o in c.get("options") or []:
                out.append("<%s>" % o.get("value"))
    return "\n".join(x for x in out if x)


def final_text(rec):
    """The text the user sees now, or None while it is still deferred."""
    ack = rec.get("acked")
    if ack is None:
        return None
    t = ack.get("type")
    if t in (4, 7):
        # a live status view is edited after its first response
        if rec.get("edits") and rec.get("original") is not None:
            return text_of(rec["original"])
        return text_of(ack.get("data"))
    if t == 9:
        d = ack["data"]
        return "MODAL %s %s\n%s" % (d["custom_id"], d["title"], "\n".join(
            "(%s)" % ((c.get("component") or {}).get("custom_id"))
            for c in d["components"]))
    if t == 8:
        return "\n".join(c["name"] for c in ack["data"]["choices"]) + "\n"
    if rec.get("edits"):
        return text_of(rec["original"])
    return None


def find(iid):
    for r in call("/interactions"):
        if r["id"] == iid:
            return r
    return None


def poll(limit, look):
    """
    Calls look(last) every 0.1 s for limit seconds until it returns
    (True, last); look gets and returns the last text it saw. 0, or 1
    with that text on stderr when the time ran out.
    """
    end = time.time() + limit
    last = None
    while time.time() < end:
        done, last = look(last)
        if done:
            return 0
        time.sleep(0.1)
    print("timed out; last seen: %r" % last, file=sys.stderr)
    return 1


def main():
    cmd = sys.argv[2]
    a = sys.argv[3:]
    if cmd == "slash":
        r = call("/interaction", {"type": 2, "user": a[0],
                                  "roles": roles(a[1]),
                                  "data": slash_data(a[2].split(" "),
                                                     a[3:])})
        print(r["id"])
    elif cmd == "component":
        data = {"custom_id": a[2], "component_type": 3 if len(a) > 3 else 2}
        if len(a) > 3:
            data["values"] = [a[3]]
        spec = {"type": 3, "user": a[0], "roles": roles(a[1]), "data": data}
        if os.environ.get("FD_MESSAGE"):
            # pressed on a channel message: it comes with the interaction
            m = next(x for x in call("/messages")
                     if x["id"] == os.environ["FD_MESSAGE"])
            spec["message"] = {k: v for k, v in m.items()
                               if k not in ("edits", "dm_user")}
            spec["channel_id"] = m["channel_id"]
        r = call("/interaction", spec)
        print(r["id"])
    elif cmd == "modal":
        comps = []
        for kv in a[3:]:
            k, v = kv.split("=", 1)
            if k.endswith(":"):     # SELECT:=a,b  a select's chosen values
                comps.append({"type": 18, "id": len(comps) + 1,
                              "component": {"type": 3, "custom_id": k[:-1],
                                            "values": [x for x in
                                                       v.split(",") if x]}})
                continue
            comps.append({"type": 18, "id": len(comps) + 1,
                          "component": {"type": 4, "custom_id": k,
                                        "value": v}})
        r = call("/interaction", {"type": 5, "user": a[0],
                                  "roles": roles(a[1]),
                                  "data": {"custom_id": a[2],
                                           "components": comps}})
        print(r["id"])
    elif cmd == "autocomplete":
        words = a[2].split(" ")
        data = slash_data(words, [])
        data["options"][0]["options"] = [{"type": 3, "name": a[3],
                                          "value": a[4], "focused": True}]
        r = call("/interaction", {"type": 4, "user": a[0],
                                  "roles": roles(a[1]), "data": data})
        print(r["id"])
    elif cmd == "wait":
        want = a[1] if len(a) > 1 else ""

        def look(last):
            rec = find(a[0])
            last = final_text(rec) if rec else None
            if last is not None and want in last:
                print(last)
                return True, last
            return False, last
        return poll(float(a[2]) if len(a) > 2 else 20, look)
    elif cmd == "show":
        print(json.dumps(find(a[0]), indent=1))
    elif cmd == "expire":
        print(json.dumps(call("/expire", {"id": a[0]})))
    elif cmd == "channel-wait":
        want = a[1]

        def look(last):
            for m in reversed(call("/messages")):
                if m["channel_id"] != a[0] or m.get("dm_user"):
                    continue
                last = text_of(m)
                if want in last:
                    print("%s %d" % (m["id"], len(m.get("edits") or [])))
                    print(last)
                    return True, last
            return False, last
        return poll(float(a[2]) if len(a) > 2 else 20, look)
    elif cmd == "redeliver":
        print(json.dumps(call("/redeliver", {"id": a[0]})))
    elif cmd == "gateway":
        body = {"action": a[0]}
        for kv in a[1:]:
            k, v = kv.split("=", 1)
            body[k] = json.loads(v)
        print(json.dumps(call("/gateway", body)))
    elif cmd == "dm":
        print(json.dumps(call("/dm", {"user": a[0],
                                      "closed": a[1] == "closed"})))
    elif cmd == "ratelimit":
        print(json.dumps(call("/ratelimit", {
            "path": a[0], "count": int(a[1]),
            "retry_after": float(a[2]) if len(a) > 2 else 0.3,
            "global": len(a) > 3 and a[3] == "global"})))
    elif cmd == "batch":
        n, user, rl, words = int(a[0]), a[1], roles(a[2]), a[3]
        specs = []
        for i in range(n):
            if words == "create":
                specs.append({"type": 5, "user": user, "roles": rl,
                              "data": {"custom_id": "c:m:-:roost/demo",
                                       "components": [
                                           {"type": 18, "component": {
                                               "type": 4, "custom_id": k,
                                               "value": v}}
                                           for k, v in (
                                               ("name", "b%02d" % i),
                                               ("memory", "128"),
                                               ("disk", "256"),
                                               ("cpu", "10"))]}})
            else:
                specs.append({"type": 2, "user": user, "roles": rl,
                              "data": slash_data(words.split(" "), [])})
        r = call("/interactions-batch", {"interactions": specs})
        print("\n".join(x["id"] for x in r))
    elif cmd == "get":
        print(json.dumps(call(a[0]), indent=1))
    else:
        print("fdctl: unknown command " + cmd, file=sys.stderr)
        return 2
    return 0


sys.exit(main())
