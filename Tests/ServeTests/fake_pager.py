#!/usr/bin/env python3
"""A fake on-call service on loopback for PagingTests: Slack, Teams, PagerDuty and plain
webhooks all look alike from here (a POST of JSON).

    fake_pager.py CONFIG.json LOG.jsonl

Prints its port on the first line of standard output. Every request is appended to LOG as
one JSON line: method, path, headers, body (text) and the status answered. CONFIG is read on
every request; {"fail": {"/path": {"times": N, "status": 500}}} answers that status to the
first N requests to that path, then succeeds: 202 with PagerDuty's answer under /v2/enqueue,
else 200 "ok" (Slack's and Teams' answer).
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONFIG, LOG = sys.argv[1], sys.argv[2]
lock = threading.Lock()
seen = {}  # path -> requests so far


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        with lock:
            try:
                with open(CONFIG) as f:
                    config = json.load(f)
            except (OSError, ValueError):
                config = {}
            n = seen.get(self.path, 0)
            seen[self.path] = n + 1
            rule = config.get("fail", {}).get(self.path)
            if rule and n < rule.get("times", 0):
                status, answer = rule.get("status", 500), b'{"error":"scripted failure"}'
            elif self.path.startswith("/v2/enqueue"):
                status, answer = 202, b'{"status":"success","message":"Event processed"}'
            else:
                status, answer = 200, b"ok"
            with open(LOG, "a") as f:
                f.write(json.dumps({"method": "POST", "path": self.path, "headers": dict(self.headers.items()),
                                    "body": body, "reply": status}) + "\n")
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if answer.startswith(b"{") else "text/plain")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
