#!/usr/bin/env python3
"""A fake X API v2 and Google Business Profile API on loopback, for `rounds serve`'s tests.

It speaks the documented contract (../shared/notes/platforms.md): bearer tokens, X's
`since_id` / `pagination_token` / `meta.next_token` and `x-rate-limit-*` headers (429 with no
Retry-After once a window is spent), Google's `pageSize` / `pageToken` / `nextPageToken` and
single-review GET, and an OAuth token endpoint. Its content comes from a scenario file that it
reads again on every request, so a test can add tweets or reviews while the server polls:

  {"bearer": "...", "x_user": "42", "page_size": 3,
   "tweets": [...newest first...], "users": [...], "dm_events": [...newest first...],
   "reviews": {"accounts/1/locations/2": [...newest update first...]},
   "rate_limit": {"limit": 5, "window_s": 2},            (per endpoint, as X counts them)
   "token": {"refresh": "...", "access": "...", "expires_in": 3600, "revoked": false, "rotate_to": "..."},
   "failures": {"GET /2/users/42/mentions": ["503", "429", "reset", "slow"], "POST /token": ["503"]},
   "page_token": "...", "subscribed": {"PAGE_ID": ["feed", "messages"]},
   "slow_s": 3, "delay_ms": 0}

Sending (issue 19): Meta's Graph API under `/graph` (`"graph_tokens": {"PAGE": "token"}`),
X's `POST /2/tweets`, DMs and `PUT /2/tweets/:id/hidden`, Google's `PUT .../reply`. What they
create is kept in memory and each effect is logged as `{"effect": kind, "target": id, "dup": bool}`
(`dup`: the same reply, hide or review reply had already been made). Extra failure words:
`429bare` (no rate-limit headers), `meta4` (code 4 with X-Business-Use-Case-Usage), `meta190`,
`meta551`, `meta2018278`, `after_reset` (the action is done, then the connection drops before
the answer).

`failures` are consumed one per matching request, in order, before normal answers. Every
request, and every reply's status, is appended to the log file as one JSON line. Usage: fake_platform.py SCENARIO LOG;
prints the port it listens on, then serves until killed.
"""
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SCENARIO, LOG = sys.argv[1], sys.argv[2]
lock = threading.RLock()  # reply() logs under it, also while x() holds it
consumed = {}
created = {}    # target -> [(id, text, author)] replies made to it
hidden = {}     # target -> bool
deleted = set()
next_id = [1000]
windows = {}  # X limits each endpoint on its own window
tokens_issued = [0]


def scenario():
    with open(SCENARIO) as f:
        return json.load(f)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def handle_any(self, method):
        s = scenario()
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with lock:
            with open(LOG, "a") as f:
                f.write(json.dumps({"t": time.time(), "method": method, "path": url.path, "query": query,
                                    "auth": self.headers.get("Authorization", ""),
                                    "content_type": self.headers.get("Content-Type", ""), "body": body.decode(),
                                    "form": dict(urllib.parse.parse_qsl(body.decode())) if method == "POST" else {}}) + "\n")
            key = f"{method} {url.path}"
            failure = None
            for prefix, queue in (s.get("failures") or {}).items():
                if key.startswith(prefix):
                    n = consumed.get(prefix, 0)
                    if n < len(queue):
                        consumed[prefix] = n + 1
                        failure = queue[n]
                    break
        if s.get("delay_ms"):
            time.sleep(s["delay_ms"] / 1000)
        if failure == "reset":
            # Headers promise more than is sent, then the connection closes mid-body.
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "5000")
            self.end_headers()
            self.wfile.write(b'{"data": [{"id": "1')
            self.wfile.flush()
            self.connection.close()
            return
        self.after_reset = failure == "after_reset"
        if failure == "slow":
            time.sleep(s.get("slow_s", 3))
        elif failure == "429bare":
            return self.reply(429, {"title": "Too Many Requests", "status": 429})
        elif failure and failure.startswith("meta"):
            code = int(failure[4:])
            err = {"message": f"scripted Graph error {code}", "type": "OAuthException", "code": code, "fbtrace_id": "AbC"}
            headers = {}
            if code == 2018278:
                err.update(code=10, error_subcode=2018278, message="This message is sent outside of allowed window.")
            if code == 551:
                err["message"] = "This person isn't available right now."
            if code == 4:
                headers["X-Business-Use-Case-Usage"] = json.dumps({"999": [{"type": "pages", "call_count": 100, "total_cputime": 10,
                                                                          "total_time": 10, "estimated_time_to_regain_access": 2}]})
            return self.reply(400 if code != 4 else 403, {"error": err}, headers)
        elif failure is not None and failure != "after_reset":
            status = int(failure)
            headers = {}
            if status == 429 and url.path.startswith("/2/"):
                headers["x-rate-limit-remaining"] = "0"
                headers["x-rate-limit-reset"] = str(int(time.time()) + 1)
            return self.reply(status, {"title": "scripted failure", "status": status}, headers)

        if url.path == "/token" and method == "POST":
            return self.token(s, dict(urllib.parse.parse_qsl(body.decode())))
        if url.path.startswith("/graph/") and not url.path.endswith("/subscribed_apps"):
            return self.graph(s, method, url.path[len("/graph/"):], query, body)
        if url.path.startswith("/2/") and method != "GET" or url.path.endswith("/tweets") or "/dm_conversations/" in url.path:
            return self.x_send(s, method, url.path, body)
        if url.path.startswith("/2/"):
            return self.x(s, url.path, query)
        if url.path.startswith("/v4/") and url.path.endswith("/reply"):
            return self.gbp_reply(s, method, url.path[4:], body)
        if url.path.startswith("/v4/"):
            return self.gbp(s, url.path[4:], query)
        if url.path.endswith("/subscribed_apps"):
            return self.meta_subscriptions(s, url.path.split("/")[-2])
        self.reply(404, {"error": "no such route"})

    def effect(self, kind, target, dup):
        with lock:
            with open(LOG, "a") as f:
                f.write(json.dumps({"t": time.time(), "effect": kind, "target": target, "dup": dup}) + "\n")

    def new_id(self):
        with lock:
            next_id[0] += 1
            return str(next_id[0])

    def graph(self, s, method, path, query, body):
        tokens = s.get("graph_tokens") or {}
        auth = self.headers.get("Authorization", "")
        if not any(auth == "Bearer " + t for t in tokens.values()):
            return self.reply(400, {"error": {"message": "Error validating access token", "type": "OAuthException",
                                              "code": 190, "error_subcode": 460, "fbtrace_id": "AbC"}})
        page = next(p for p, t in tokens.items() if auth == "Bearer " + t)
        parts = path.split("/")
        form = dict(urllib.parse.parse_qsl(body.decode())) if body and not body.startswith(b"{") else {}
        if method == "GET" and len(parts) == 2 and parts[1] in ("comments", "replies"):
            with lock:
                # Instagram names the replying account (`ig_account`), Facebook the Page.
                author = lambda a: s.get("ig_account", a) if parts[1] == "replies" else a
                items = [{"id": i, ("message" if parts[1] == "comments" else "text"): t, "from": {"id": author(a)}}
                         for i, t, a in created.get(parts[0], [])]
            return self.reply(200, {"data": items[::-1]})
        if method == "GET" and len(parts) == 2 and parts[1] == "conversations":
            person = query.get("user_id", "")
            with lock:
                msgs = [{"id": i, "message": t, "from": {"id": a}} for i, t, a in created.get("dm:" + person, [])][::-1]
            return self.reply(200, {"data": [{"id": "t_" + person, "messages": {"data": msgs}}] if msgs else []})
        if method == "GET" and len(parts) == 1:
            with lock:
                h = hidden.get(parts[0], False)
            return self.reply(200, {"id": parts[0], "is_hidden": h, "hidden": h})
        if method == "POST" and len(parts) == 2 and parts[1] in ("comments", "replies"):
            text = form.get("message", "")
            with lock:
                dup = any(t == text for _, t, _ in created.get(parts[0], []))
                rid = self.new_id()
                created.setdefault(parts[0], []).append((rid, text, page))
            self.effect("comment_reply", parts[0], dup)
            return self.answer({"id": rid})
        if method == "POST" and len(parts) == 2 and parts[1] == "messages":
            o = json.loads(body or b"{}")
            target = o.get("recipient", {}).get("comment_id") or o.get("recipient", {}).get("id")
            with lock:
                key = "dm:" + str(target)
                dup = any(t == o.get("message", {}).get("text") for _, t, _ in created.get(key, []))
                mid = "m_" + self.new_id()
                created.setdefault(key, []).append((mid, o.get("message", {}).get("text"), page))
            self.effect("private_reply" if "comment_id" in o.get("recipient", {}) else "dm", str(target), dup)
            return self.answer({"recipient_id": str(target), "message_id": mid})
        if method == "POST" and len(parts) == 1:
            value = form.get("is_hidden", form.get("hide"))
            with lock:
                dup = hidden.get(parts[0], False) == (value == "true")
                hidden[parts[0]] = value == "true"
            self.effect("hide" if value == "true" else "unhide", parts[0], dup)
            return self.answer({"success": True})
        if method == "DELETE" and len(parts) == 1:
            with lock:
                dup = parts[0] in deleted
                deleted.add(parts[0])
            if dup:
                return self.reply(400, {"error": {"message": "Unsupported delete request. Object does not exist",
                                                  "type": "GraphMethodException", "code": 100, "error_subcode": 33}})
            self.effect("delete", parts[0], False)
            return self.answer({"success": True})
        self.reply(404, {"error": {"message": "Unknown path", "code": 803}})

    def x_send(self, s, method, path, body):
        if not self.authorised(s.get("bearer", "")):
            return self.reply(401, {"title": "Unauthorized", "status": 401})
        o = json.loads(body or b"{}") if body else {}
        if method == "GET" and path == f"/2/users/{s.get('x_user')}/tweets":
            with lock:
                items = [{"id": i, "text": t, "referenced_tweets": [{"type": "replied_to", "id": target}]}
                         for target, lst in created.items() if not target.startswith(("dm:", "x-dm:", "gbp:"))
                         for i, t, _ in lst]
            return self.reply(200, {"data": items})
        if method == "GET" and path.startswith("/2/dm_conversations/with/"):
            person = path.split("/")[4]
            with lock:
                items = [{"id": i, "text": t, "sender_id": s.get("x_user")} for i, t, _ in created.get("x-dm:" + person, [])]
            return self.reply(200, {"data": items})
        if method == "POST" and path == "/2/tweets":
            target = o.get("reply", {}).get("in_reply_to_tweet_id")
            with lock:
                dup = bool(created.get(target))
                tid = self.new_id()
                created.setdefault(target, []).append((tid, o.get("text"), s.get("x_user")))
            self.effect("x_reply", target, dup)
            return self.answer({"data": {"id": tid, "text": o.get("text")}}, 201)
        if method == "POST" and path.startswith("/2/dm_conversations/with/"):
            person = path.split("/")[4]
            with lock:
                dup = any(t == o.get("text") for _, t, _ in created.get("x-dm:" + person, []))
                eid = self.new_id()
                created.setdefault("x-dm:" + person, []).append((eid, o.get("text"), s.get("x_user")))
            self.effect("x_dm", person, dup)
            return self.answer({"data": {"dm_conversation_id": f"{s.get('x_user')}-{person}", "dm_event_id": eid}}, 201)
        if method == "PUT" and path.endswith("/hidden"):
            tid = path.split("/")[3]
            with lock:
                dup = hidden.get(tid, False) == bool(o.get("hidden"))
                hidden[tid] = bool(o.get("hidden"))
            self.effect("x_hide", tid, dup)
            return self.answer({"data": {"hidden": bool(o.get("hidden"))}})
        self.reply(404, {"title": "Not Found"})

    def gbp_reply(self, s, method, name, body):
        if not self.authorised(s.get("token", {}).get("access", "access-token")):
            return self.reply(401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}})
        review = name[: -len("/reply")]
        o = json.loads(body or b"{}") if body else {}
        with lock:
            # An upsert: a second PUT of the same reply changes nothing, but it is counted.
            dup = ("gbp:" + review) in created and method == "PUT"
            created["gbp:" + review] = [("reply", o.get("comment"), "owner")]
        self.effect("review_reply", review, dup)
        self.answer({"comment": o.get("comment"), "updateTime": "2026-12-05T10:00:00Z"})

    def answer(self, obj, status=200):
        if getattr(self, "after_reset", False):
            # The platform acted; the answer is lost on the way back.
            self.connection.shutdown(2)
            self.connection.close()
            return
        self.reply(status, obj)

    def reply(self, status, obj, headers=None):
        with lock:
            with open(LOG, "a") as f:
                entry = {"t": time.time(), "reply": status, "path": urllib.parse.urlsplit(self.path).path}
                if "x-rate-limit-remaining" in (headers or {}):
                    entry["remaining"] = int(headers["x-rate-limit-remaining"])
                    entry["reset"] = int(headers["x-rate-limit-reset"])
                f.write(json.dumps(entry) + "\n")
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def token(self, s, form):
        t = s.get("token", {})
        if form.get("grant_type") != "refresh_token":
            return self.reply(400, {"error": "unsupported_grant_type"})
        if t.get("revoked") or form.get("refresh_token") != t.get("refresh"):
            return self.reply(400, {"error": "invalid_grant"})
        tokens_issued[0] += 1
        answer = {"access_token": t.get("access", "access-token"), "expires_in": t.get("expires_in", 3600), "token_type": "Bearer"}
        if t.get("rotate_to"):
            # X's refresh tokens are single use: the next refresh must present the new one.
            answer["refresh_token"] = t["rotate_to"]
        self.reply(200, answer)

    def authorised(self, expected):
        return self.headers.get("Authorization", "") == "Bearer " + expected

    def page(self, items, query, token_param, s):
        size = int(s.get("page_size") or 100)
        start = int(query.get(token_param, "p0")[1:] or 0) if query.get(token_param) else 0
        chunk = items[start:start + size]
        nxt = f"p{start + size}" if start + size < len(items) else None
        return chunk, nxt

    def x(self, s, path, query):
        if not self.authorised(s.get("bearer", "")):
            return self.reply(401, {"title": "Unauthorized", "status": 401})
        rl = s.get("rate_limit") or {"limit": 1000, "window_s": 900}
        with lock:
            window = windows.setdefault(path, {"start": time.time(), "used": 0})
            if time.time() - window["start"] >= rl["window_s"]:
                window["start"], window["used"] = time.time(), 0
            reset = int(window["start"] + rl["window_s"]) + 1
            if window["used"] >= rl["limit"]:
                return self.reply(429, {"title": "Too Many Requests", "status": 429},
                                  {"x-rate-limit-limit": str(rl["limit"]), "x-rate-limit-remaining": "0",
                                   "x-rate-limit-reset": str(reset)})
            window["used"] += 1
            remaining = rl["limit"] - window["used"]
        headers = {"x-rate-limit-limit": str(rl["limit"]), "x-rate-limit-remaining": str(remaining),
                   "x-rate-limit-reset": str(reset)}
        if path == f"/2/users/{s.get('x_user')}/mentions":
            items = s.get("tweets", [])
            if "since_id" in query:
                since = query["since_id"]
                items = [t for t in items if (len(t["id"]), t["id"]) > (len(since), since)]
            chunk, nxt = self.page(items, query, "pagination_token", s)
            users = s.get("users", [])
        elif path == "/2/dm_events":
            chunk, nxt = self.page(s.get("dm_events", []), query, "pagination_token", s)
            users = s.get("users", [])
        else:
            return self.reply(404, {"title": "Not Found"})
        meta = {"result_count": len(chunk)}
        if chunk:
            meta["newest_id"], meta["oldest_id"] = chunk[0]["id"], chunk[-1]["id"]
        if nxt:
            meta["next_token"] = nxt
        body = {"meta": meta}
        if chunk:
            body["data"] = chunk
            ids = {t.get("author_id") or t.get("sender_id") for t in chunk}
            body["includes"] = {"users": [u for u in users if u["id"] in ids]}
        self.reply(200, body, headers)

    def meta_subscriptions(self, s, page):
        # Graph API: GET /{page-id}/subscribed_apps with the Page token.
        if not self.authorised(s.get("page_token", "")):
            return self.reply(400, {"error": {"message": "Error validating access token", "type": "OAuthException",
                                              "code": 190, "error_subcode": 460, "fbtrace_id": "AbCdEf"}})
        fields = (s.get("subscribed") or {}).get(page)
        data = [{"category": "Business", "link": "https://rounds.example", "name": "Rounds", "id": "999",
                 "subscribed_fields": fields}] if fields else []
        self.reply(200, {"data": data})

    def gbp(self, s, name, query):
        if not self.authorised(s.get("token", {}).get("access", "access-token")):
            return self.reply(401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}})
        reviews = s.get("reviews", {})
        if name.endswith("/reviews"):
            location = name[: -len("/reviews")]
            if location not in reviews:
                return self.reply(404, {"error": {"code": 404, "status": "NOT_FOUND"}})
            if query.get("orderBy") != "updateTime desc":
                return self.reply(400, {"error": {"code": 400, "message": "expected orderBy=updateTime desc"}})
            chunk, nxt = self.page(reviews[location], query, "pageToken", s)
            body = {"reviews": chunk, "totalReviewCount": len(reviews[location])}
            if nxt:
                body["nextPageToken"] = nxt
            return self.reply(200, body)
        with lock:
            made = created.get("gbp:" + name)
        for location, items in reviews.items():
            for r in items:
                if r.get("name") == name:
                    r = dict(r)
                    if made:
                        r["reviewReply"] = {"comment": made[0][1], "updateTime": "2026-12-05T10:00:00Z"}
                    return self.reply(200, r)
        if made or (s.get("reviews_exist") and name.split("/reviews/")[0] in reviews):
            # With `reviews_exist`, a review the scenario does not list exists on the platform.
            r = {"name": name, "reviewId": name.split("/")[-1], "starRating": "FOUR"}
            if made:
                r["reviewReply"] = {"comment": made[0][1], "updateTime": "2026-12-05T10:00:00Z"}
            return self.reply(200, r)
        self.reply(404, {"error": {"code": 404, "status": "NOT_FOUND"}})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
