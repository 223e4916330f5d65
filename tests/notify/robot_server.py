"""A stand-in for the WeCom / DingTalk / Feishu robot endpoints: a real HTTP server on 127.0.0.1.

It records every request (path, query string, headers, raw and parsed JSON body) and answers
with the replies a test queued, else with each platform's success answer.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SUCCESS = {
    "wecom": {"errcode": 0, "errmsg": "ok"},
    "dingtalk": {"errcode": 0, "errmsg": "ok"},
    "feishu": {"code": 0, "msg": "success"},
}
PATHS = {"wecom": "/cgi-bin/webhook/send", "dingtalk": "/robot/send", "feishu": "/open-apis/bot/v2/hook/"}


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    raw_query: str
    headers: dict[str, str]
    raw: bytes
    json: Any = None


@dataclass
class RobotServer:
    requests: list[Received] = field(default_factory=list)
    replies: list[tuple[int, Any]] = field(default_factory=list)

    def start(self) -> RobotServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw.decode("utf-8"))
                except ValueError:
                    body = None
                server.requests.append(
                    Received(
                        method="POST",
                        path=parts.path,
                        query=dict(urllib.parse.parse_qsl(parts.query)),
                        raw_query=parts.query,
                        headers={name.lower(): value for name, value in self.headers.items()},
                        raw=raw,
                        json=body,
                    )
                )
                status, answer = server.replies.pop(0) if server.replies else (200, server.success_for(parts.path))
                payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @staticmethod
    def success_for(path: str) -> dict[str, Any]:
        return SUCCESS["feishu"] if path.startswith(PATHS["feishu"]) else SUCCESS["wecom"]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}"

    def url(self, kind: str, credential: str = "robot-key-0123456789") -> str:
        if kind == "wecom":
            return f"{self.base}/cgi-bin/webhook/send?key={credential}"
        if kind == "dingtalk":
            return f"{self.base}/robot/send?access_token={credential}"
        return f"{self.base}/open-apis/bot/v2/hook/{credential}"

    def reply(self, *answers: tuple[int, Any]) -> None:
        self.replies.extend(answers)
