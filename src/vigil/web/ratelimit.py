"""API rate limits: per bearer token and per client address, answered with a 429 problem.

Counted in this server process's memory with the maintained `limits` package (sliding-window counters:
two counters per key, so a hit costs the same at any limit, where a moving window keeps and scans every
hit's time). With N processes behind one port a client may reach up to N times the limit: the limits
protect a server from a runaway script, they are not a quota. The login form keeps its own throttle (`auth/throttle`). Every API
answer carries the IETF draft `RateLimit-Policy` and `RateLimit` headers of the limit closest to running
out; a 429 adds `Retry-After`.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many, storage, strategies
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vigil.core.errors import RateLimited
from vigil.web import problems

RATE_LIMITED = RateLimited.type


@dataclass(frozen=True)
class Limit:
    name: str  # "token" or "address": the policy name in the headers
    items: list[RateLimitItem]


class RateLimits:
    """Pure ASGI middleware over /api/ (inside the edge, so it sees the proxied client address)."""

    def __init__(self, app: ASGIApp, per_token: str = "", per_address: str = "") -> None:
        self.app = app
        self.token = Limit("token", parse_many(per_token) if per_token else [])
        self.address = Limit("address", parse_many(per_address) if per_address else [])
        self.limiter = strategies.SlidingWindowCounterRateLimiter(storage.MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not scope["path"].startswith("/api/")
            or scope["path"].startswith("/api/v1/health")
        ):
            await self.app(scope, receive, send)
            return
        checks = [(self.address, _client(scope))]
        token = _bearer(scope)
        if token is not None:
            checks.append((self.token, token))
        refused, tightest = self._hit(checks)
        headers = _headers(*tightest) if tightest else {}
        if refused is not None:
            limit, item, key = refused
            reset = self.limiter.get_window_stats(item, limit.name, key).reset_time
            wait = max(1, math.ceil(reset - time.time()))
            response = problems.problem(
                Request(scope),
                429,
                "Too many requests",
                f"more than {item} for this {limit.name}; retry in {wait} s",
                type=RATE_LIMITED,
            )
            response.headers.update({**headers, "Retry-After": str(wait)})
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and headers:
                MutableHeaders(scope=message).update(headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _hit(
        self, checks: list[tuple[Limit, str]]
    ) -> tuple[tuple[Limit, RateLimitItem, str] | None, tuple[Limit, RateLimitItem, int, float] | None]:
        """Count this request against every limit; the first refused one, and the one nearest its end."""
        tightest: tuple[Limit, RateLimitItem, int, float] | None = None
        for limit, key in checks:
            for item in limit.items:
                if not self.limiter.hit(item, limit.name, key):
                    stats = self.limiter.get_window_stats(item, limit.name, key)
                    return (limit, item, key), (limit, item, 0, stats.reset_time)
                stats = self.limiter.get_window_stats(item, limit.name, key)
                if tightest is None or stats.remaining < tightest[2]:
                    tightest = (limit, item, stats.remaining, stats.reset_time)
        return None, tightest


def _headers(limit: Limit, item: RateLimitItem, remaining: int, reset: float) -> dict[str, str]:
    window = item.get_expiry()
    left = max(0, math.ceil(reset - time.time()))
    return {
        "RateLimit-Policy": f'"{limit.name}";q={item.amount};w={window}',
        "RateLimit": f'"{limit.name}";r={remaining};t={left}',
    }


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _bearer(scope: Scope) -> str | None:
    """A digest of the bearer token, if any (never the token itself in memory longer than needed)."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return hashlib.sha256(value[7:].strip()).hexdigest()
    return None
