"""A loopback HTTP server for API stand-ins: each request goes to ``fake.handle(method, target,
headers, raw)``, which answers ``(status, extra headers, JSON payload or raw bytes)``."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

import pytest


class Fake(Protocol):
    base_url: str
    prefix: str

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> tuple: ...


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_PATCH(self) -> None:
        self._answer("PATCH")

    def do_PUT(self) -> None:
        self._answer("PUT")

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output clean."""

    def _answer(self, method: str) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {name.lower(): value for name, value in self.headers.items()}
        status, extra, payload = self.server.fake.handle(method, self.path, headers, raw)
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
        extra = dict(extra)
        self.send_response_only(status)
        self.send_header("Date", extra.pop("Date", self.date_time_string()))
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    fake: Fake


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy from the environment may carry a test request off this machine."""
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("no_proxy", "*")


@pytest.fixture
def serve() -> Iterator[Callable[[Any], Any]]:
    """Start fakes on 127.0.0.1 (port 0) and stop them after the test."""
    running: list[tuple[_Server, threading.Thread]] = []

    def start(fake: Any) -> Any:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = fake
        fake.base_url = f"http://127.0.0.1:{server.server_address[1]}{fake.prefix}"
        thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        running.append((server, thread))
        return fake

    yield start
    for server, thread in running:
        server.shutdown()
        server.server_close()
        thread.join()
