"""Bounded HTTP load generator for 127.0.0.1: keep-alive clients, fixed scenarios, latency percentiles."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench import dataset

API = "/api/v1/incidents"
#: Request builder: (request index, random source) -> (method, path, JSON body or None).
Builder = Callable[[int, random.Random], tuple[str, str, Any]]


def check_loopback(url: str) -> str:
    """The URL without a trailing slash; refuses anything but http(s) on a loopback address."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme not in ("http", "https") or not loopback:
        raise ValueError(f"refusing {url!r}: the load generator only targets 127.0.0.1 (loopback)")
    return url.rstrip("/")


@dataclass
class Context:
    """What scenarios need to know about the target's data."""

    numbers: int = 1000
    rare_word: str = dataset.RARE_WORDS[0]
    common_word: str = dataset.COMMON_WORD
    open_numbers: list[str] = field(default_factory=list)


def _sentence(rng: random.Random, words: int) -> str:
    return dataset.text(rng, words)


def _vigil_create(i: int, rng: random.Random) -> tuple[str, str, Any]:
    body = {
        "title": _sentence(rng, 6),
        "description": _sentence(rng, 30),
        "impact": rng.choice(dataset.LEVELS),
        "urgency": rng.choice(dataset.LEVELS),
    }
    return "POST", API, body


def scenarios(ctx: Context) -> dict[str, Builder]:
    """Every scenario by name; `ref_*` drive the reference app (/work/shared/perf-reference)."""

    def number(rng: random.Random) -> str:
        return f"INC-{rng.randint(1, max(1, ctx.numbers)):06d}"

    def open_number(rng: random.Random) -> str:
        return rng.choice(ctx.open_numbers) if ctx.open_numbers else number(rng)

    return {
        "create": _vigil_create,
        "get": lambda i, rng: ("GET", f"{API}/{number(rng)}", None),
        "list": lambda i, rng: ("GET", f"{API}?limit=50", None),
        "list_filtered": lambda i, rng: ("GET", f"{API}?status=open&priority=P2&limit=50", None),
        "search_rare": lambda i, rng: ("GET", f"{API}?q={ctx.rare_word}&limit=50", None),
        "search_common": lambda i, rng: ("GET", f"{API}?q={ctx.common_word}&limit=50", None),
        "comment": lambda i, rng: (
            "POST",
            f"{API}/{open_number(rng)}/comments",
            {"body": _sentence(rng, 12), "internal": rng.random() < 0.3},
        ),
        "ref_create": lambda i, rng: (
            "POST",
            "/tickets",
            {"title": _sentence(rng, 6), "description": _sentence(rng, 30), "priority": rng.randint(1, 4)},
        ),
        "ref_list": lambda i, rng: ("GET", "/tickets?limit=50", None),
    }


@dataclass
class Result:
    scenario: str
    concurrency: int
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    peak_rss_mb: float | None = None

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    def summary(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "concurrency": self.concurrency,
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "throughput": round(self.throughput, 1),
            "p50_ms": round(self.percentile(50), 2),
            "p95_ms": round(self.percentile(95), 2),
            "p99_ms": round(self.percentile(99), 2),
            "errors": self.errors,
            "error_samples": self.error_samples,
            "peak_rss_mb": self.peak_rss_mb,
        }


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found.extend(int(c) for c in task.read_text().split())
        except OSError:
            continue
    return found


def peak_rss_mb(pids: Sequence[int]) -> float | None:
    """Sum of VmHWM (peak resident set) over the processes and all their descendants, in MiB."""
    total_kb, seen, todo = 0, set(), list(pids)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total_kb += next(
            (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0
        )
        todo.extend(_children(pid))
    return round(total_kb / 1024, 1) if seen and total_kb else None


@dataclass
class Plan:
    """One bounded run: both limits are required, whichever is reached first ends it."""

    urls: list[str]
    scenario: str
    concurrency: int
    max_requests: int
    max_seconds: float
    token: str | None = None
    context: Context = field(default_factory=Context)
    pids: list[int] = field(default_factory=list)
    seed: int = 7
    #: A request builder of the caller's own (bench.alerts_storm's batches); else `scenario` names one.
    builder: Builder | None = None

    def __post_init__(self) -> None:
        self.urls = [check_loopback(u) for u in self.urls]
        if not self.urls or self.concurrency < 1 or self.max_requests < 1 or self.max_seconds <= 0:
            raise ValueError("a run needs at least one URL, concurrency >= 1 and positive bounds")


async def _worker(
    plan: Plan, clients: list[httpx.AsyncClient], build: Builder, state: dict[str, Any]
) -> None:
    result: Result = state["result"]
    rng = random.Random(plan.seed * 1000 + state["workers"])
    state["workers"] += 1
    while state["issued"] < plan.max_requests and time.perf_counter() < state["deadline"]:
        i = state["issued"]
        state["issued"] += 1
        method, path, body = build(i, rng)
        start = time.perf_counter()
        try:
            response = await clients[i % len(clients)].request(method, path, json=body)
            ok, detail = response.is_success, f"{response.status_code} {method} {path}: {response.text[:300]}"
        except httpx.HTTPError as exc:
            ok, detail = False, f"{type(exc).__name__} {method} {path}: {exc}"
        result.latencies_ms.append((time.perf_counter() - start) * 1000)
        result.requests += 1
        if not ok:
            result.errors += 1
            if len(result.error_samples) < 3:
                result.error_samples.append(detail)


def _client(url: str, plan: Plan) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {plan.token}"} if plan.token else {}
    limits = httpx.Limits(max_connections=plan.concurrency, max_keepalive_connections=plan.concurrency)
    return httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30.0)


async def _discover(client: httpx.AsyncClient, ctx: Context) -> None:
    """Incidents that take comments (not closed or cancelled), fetched once before the timed run."""
    response = await client.get(f"{API}?status=open&status=in_progress&status=on_hold&limit=200")
    if response.is_success:
        ctx.open_numbers = [item["number"] for item in response.json().get("items", [])]


async def run_async(plan: Plan) -> Result:
    build = plan.builder or scenarios(plan.context)[plan.scenario]
    clients = [_client(u, plan) for u in plan.urls]
    try:
        if plan.scenario == "comment" and not plan.context.open_numbers:
            await _discover(clients[0], plan.context)
        result = Result(plan.scenario, plan.concurrency)
        start = time.perf_counter()
        state = {"issued": 0, "workers": 0, "result": result, "deadline": start + plan.max_seconds}
        await asyncio.gather(*(_worker(plan, clients, build, state) for _ in range(plan.concurrency)))
        result.seconds = time.perf_counter() - start
    finally:
        for client in clients:
            await client.aclose()
    result.peak_rss_mb = peak_rss_mb(plan.pids) if plan.pids else None
    return result


def run(plan: Plan) -> Result:
    """Drive `plan` to its request or time bound and return the figures."""
    return asyncio.run(run_async(plan))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--url", action="append", required=True, help="base URL (repeat: round-robin)")
    parser.add_argument("--scenario", required=True, choices=sorted(scenarios(Context())))
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--max-requests", type=int, required=True)
    parser.add_argument("--max-seconds", type=float, required=True)
    parser.add_argument("--token", help="bearer token (Vigil API)")
    parser.add_argument("--numbers", type=int, default=1000, help="incidents INC-000001..N exist (get)")
    parser.add_argument("--rare-word", default=dataset.RARE_WORDS[0])
    parser.add_argument("--pid", type=int, action="append", default=[], help="server PID for peak RSS")
    args = parser.parse_args(argv)
    ctx = Context(numbers=args.numbers, rare_word=args.rare_word)
    try:
        plan = Plan(args.url, args.scenario, args.concurrency, args.max_requests, args.max_seconds,
                    args.token, ctx, args.pid)  # fmt: skip
    except ValueError as exc:
        parser.error(str(exc))
    print(json.dumps(run(plan).summary(), indent=2))


if __name__ == "__main__":
    main()
