"""A stand-in for Twilio's REST API on a real loopback socket.

It speaks the two calls we make — update a live call (`Calls/{sid}.json` with `Twiml`
or `Status`) and send a message (`Messages.json`) — with form bodies and HTTP basic
auth, records every request, and can be told to fail the next N requests.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class FakeTwilio:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.fail_next = 0
        self._lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                auth = self.headers.get("Authorization", "")
                user = base64.b64decode(auth[6:]).decode().split(":")[0] if auth else None
                with fake._lock:
                    fake.requests.append({"path": self.path, "form": form, "user": user})
                    failing = fake.fail_next > 0
                    fake.fail_next -= 1 if failing else 0
                status = 500 if failing else (201 if self.path.endswith("Messages.json")
                                              else 200)
                body = json.dumps({"sid": f"SM{len(fake.requests)}", "status": "queued"})
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

        return Handler


@contextlib.contextmanager
def fake_twilio() -> Iterator[tuple[str, FakeTwilio]]:
    fake = FakeTwilio()
    server = ThreadingHTTPServer(("127.0.0.1", 0), fake.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", fake
    finally:
        server.shutdown()
        server.server_close()
