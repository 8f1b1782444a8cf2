"""The load generator: loopback only, and never more requests than its bound."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import load


class _Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits = 0

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        type(self).hits += 1
        body = b'{"items": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize("url", ["http://10.0.0.1:8000", "http://example.com", "ftp://127.0.0.1/"])
def test_refuses_anything_but_loopback(url: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        load.Plan([url], "list", 1, 10, 1.0)


def test_bounds_are_required_and_positive() -> None:
    with pytest.raises(ValueError):
        load.Plan(["http://127.0.0.1:1"], "list", 1, 0, 1.0)


def test_stops_at_its_request_bound(server: str) -> None:
    _Ok.hits = 0
    result = load.run(load.Plan([server, server], "list", 4, 37, 30.0, token="t"))
    assert result.requests == 37 == _Ok.hits
    assert result.errors == 0 and len(result.latencies_ms) == 37
    assert result.percentile(50) <= result.percentile(99)
