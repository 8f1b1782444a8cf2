"""Real `vigil serve` processes for tests that cross process boundaries."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

VIGIL = str(Path(sys.executable).parent / "vigil")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    output: list[str] = field(default_factory=list)


@contextmanager
def vigil_serve(db_url: str, *args: str, **env: str) -> Iterator[Server]:
    """`vigil serve` on a free loopback port; yields once it answers readiness, with its startup output."""
    port = free_port()
    environ = {**os.environ, "VIGIL_DATABASE_URL": db_url, "VIGIL_LOG_LEVEL": "warning", **env}
    proc = subprocess.Popen(
        [VIGIL, "serve", "--port", str(port), *args],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = Server(url=f"http://127.0.0.1:{port}")
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # startup output ends with the "Vigil on http://..." line
            server.output.append(line.rstrip())
            if line.startswith("Vigil on http"):
                break
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{server.url}/api/v1/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"vigil serve did not start: {server.output}")
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=15)
