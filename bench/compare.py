"""Side-by-side runner: two `vigil serve` processes and the reference app, alternating bounded phases."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench import dataset, load
from bench.loader import default_sidecar
from vigil.core.db import make_engine

BIN = Path(sys.executable).parent
REFERENCE = Path(os.environ.get("VIGIL_PERF_REFERENCE", "/work/shared/perf-reference"))


@dataclass(frozen=True)
class Case:
    """One table row: a Vigil scenario (as `role`), the reference's counterpart if any, at a concurrency."""

    label: str
    scenario: str
    concurrency: int
    role: str = "agent"
    reference: str | None = None


def cases(create_concurrency: list[int]) -> list[Case]:
    rows = [Case(f"create c={c}", "create", c, reference="ref_create") for c in create_concurrency]
    return rows + [
        Case("list newest 50 (agent)", "list", 1, reference="ref_list"),
        Case("list newest 50 (manager)", "list", 1, role="manager"),
        Case("list status&priority", "list_filtered", 1),
        Case("get by number (manager)", "get", 1, role="manager"),
        Case("search rare word", "search_rare", 1),
        Case("search common word", "search_common", 1),
        Case("comment", "comment", 1),
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Processes:
    """Every process this runner started, each in its own session so its children go with it."""

    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            proc = subprocess.Popen(
                argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.started.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.started:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def wait_ready(url: str, path: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{url} exited with {proc.returncode} before answering (see its log)")
        try:
            if httpx.get(url + path, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url}{path} did not answer within {seconds:.0f} s")


def vigil_env(db_url: str) -> dict[str, str]:
    env = dict(os.environ, VIGIL_DATABASE_URL=db_url)
    env.setdefault("VIGIL_AUDIT_KEY_FILE", "/tmp/vigil-bench-audit.key")
    # Load runs send one token's requests far faster than the default API limits allow; limits this high
    # never refuse but are still counted, so the middleware's cost stays in the figures.
    env.setdefault("VIGIL_RATE_LIMIT_PER_TOKEN", "1000000/minute")
    env.setdefault("VIGIL_RATE_LIMIT_PER_ADDRESS", "1000000/minute")
    return env


def token(db_url: str, email: str) -> str:
    """A one-day write token for `email`, through the CLI."""
    argv = [str(BIN / "vigil"), "token", "create", "--user", email, "--name", f"bench-{int(time.time())}"]
    argv += ["--scope", "write", "--days", "1", "--json"]
    out = subprocess.run(argv, env=vigil_env(db_url), check=True, capture_output=True, text=True, timeout=60)
    return str(json.loads(out.stdout)["token"])


def start_vigil(procs: Processes, db_url: str, servers: int, logs: Path) -> tuple[list[str], list[int]]:
    """`servers` single-process `vigil serve` on free ports over one database; their URLs and PIDs."""
    urls, pids = [], []
    for n in range(servers):
        port = free_port()
        # Background jobs run in `vigil worker` (--worker) or nowhere, as in the runs before serve ran them.
        argv = [str(BIN / "vigil"), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker"]
        proc = procs.start(argv, vigil_env(db_url), logs / f"vigil-serve-{n}.log")
        urls.append(f"http://127.0.0.1:{port}")
        pids.append(proc.pid)
        wait_ready(urls[-1], "/api/v1/health", proc)
    return urls, pids


def prepare_reference(db_url: str, rows: int) -> str:
    """Create database perf_ref with its schema.sql when missing, filled to `rows` tickets; its URL."""
    server = make_url(db_url).set(drivername="postgresql+psycopg")
    admin = make_engine(server.set(database="postgres").render_as_string(False), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = 'perf_ref'")):
            conn.exec_driver_sql("CREATE DATABASE perf_ref")
    admin.dispose()
    ref_url = server.set(database="perf_ref").render_as_string(False)
    engine = make_engine(ref_url)
    with engine.begin() as conn:
        if conn.scalar(text("SELECT to_regclass('ticket')")) is None:
            conn.exec_driver_sql((REFERENCE / "schema.sql").read_text())
        have = int(conn.scalar(text("SELECT count(*) FROM ticket")) or 0)
        if have < rows:
            conn.execute(
                text(
                    "INSERT INTO ticket (title, description, status, priority, created_at, updated_at) "
                    "SELECT 'ticket ' || g, 'bench filler ' || g, 'closed', 1 + g % 4, "
                    "now() - (g || ' seconds')::interval, now() FROM generate_series(1, :n) AS g"
                ),
                {"n": rows - have},
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE ticket")
    engine.dispose()
    return ref_url


def start_reference(procs: Processes, ref_url: str, logs: Path) -> tuple[str, int]:
    port = free_port()
    argv = [str(BIN / "python"), "-m", "uvicorn", "asgi_app:app", "--app-dir", str(REFERENCE)]
    argv += ["--workers", "2", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    proc = procs.start(argv, dict(os.environ, BENCH_DB_URL=ref_url), logs / "reference.log")
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, "/hello", proc)
    return url, proc.pid


def data_context(db_url: str) -> tuple[load.Context, dict[str, str]]:
    """Incident count, planted words and the users to act as: from the loader's summary, else defaults."""
    path = default_sidecar(db_url)
    info: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    engine = make_engine(db_url)
    with engine.connect() as conn:
        numbers = int(conn.scalar(text("SELECT count(*) FROM incident")) or 0)
    engine.dispose()
    rare = next(iter(info.get("rare_words", {})), dataset.RARE_WORDS[0])
    users = {
        "agent": info.get("agent", f"agent00001@{dataset.EMAIL_DOMAIN}"),
        "manager": info.get("manager", f"manager00001@{dataset.EMAIL_DOMAIN}"),
    }
    return load.Context(numbers=numbers, rare_word=rare), users


def merge(results: list[load.Result]) -> load.Result:
    """Rounds of one case as one result: all requests, all latencies, the largest peak RSS."""
    out = load.Result(results[0].scenario, results[0].concurrency)
    for r in results:
        out.requests += r.requests
        out.errors += r.errors
        out.seconds += r.seconds
        out.latencies_ms += r.latencies_ms
        out.error_samples += r.error_samples[: max(0, 3 - len(out.error_samples))]
        out.peak_rss_mb = max(filter(None, (out.peak_rss_mb, r.peak_rss_mb)), default=None)
    return out


@dataclass
class Setup:
    """The running targets of one comparison."""

    vigil_urls: list[str]
    vigil_pids: list[int]
    tokens: dict[str, str]
    context: load.Context
    ref_url: str | None = None
    ref_pid: int | None = None


def run_case(case: Case, setup: Setup, args: argparse.Namespace) -> tuple[load.Result, load.Result | None]:
    """Alternating rounds: Vigil, reference, Vigil, reference, ... each bounded in requests and time."""
    vigil: list[load.Result] = []
    ref: list[load.Result] = []
    for _ in range(args.rounds):
        plan = load.Plan(setup.vigil_urls, case.scenario, case.concurrency, args.max_requests, args.seconds,
                         setup.tokens[case.role], setup.context, setup.vigil_pids)  # fmt: skip
        vigil.append(load.run(plan))
        if case.reference and setup.ref_url and setup.ref_pid:
            plan = load.Plan([setup.ref_url], case.reference, case.concurrency, args.max_requests,
                             args.seconds, None, setup.context, [setup.ref_pid])  # fmt: skip
            ref.append(load.run(plan))
    return merge(vigil), merge(ref) if ref else None


def _cells(r: load.Result | None) -> list[str]:
    if r is None:
        return ["-"] * 5
    return [f"{r.throughput:.1f}", f"{r.percentile(50):.1f}", f"{r.percentile(95):.1f}",
            f"{r.percentile(99):.1f}", str(r.errors)]  # fmt: skip


def table(rows: list[tuple[Case, load.Result, load.Result | None]]) -> str:
    head = ["case", "Vigil req/s", "p50 ms", "p95 ms", "p99 ms", "err", "ref req/s", "ref p50", "ref p95",
            "ref p99", "ref err", "Vigil/ref req/s", "Vigil/ref p50"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for case, v, r in rows:
        ratio = [f"{v.throughput / r.throughput:.2f}", f"{v.percentile(50) / max(r.percentile(50), 1e-9):.2f}"] \
            if r and r.throughput else ["-", "-"]  # fmt: skip
        lines.append("| " + " | ".join([case.label, *_cells(v), *_cells(r)[:5], *ratio]) + " |")
    return "\n".join(lines)


def compare(args: argparse.Namespace) -> str:
    logs = Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)
    postgres = make_url(args.url).get_backend_name() == "postgresql"
    context, users = data_context(args.url)
    procs = Processes()
    try:
        tokens = {role: token(args.url, email) for role, email in users.items()}
        urls, pids = start_vigil(procs, args.url, args.servers, logs)
        if args.worker:
            pids.append(
                procs.start([str(BIN / "vigil"), "worker"], vigil_env(args.url), logs / "worker.log").pid
            )
        setup = Setup(urls, pids, tokens, context)
        if postgres and not args.no_reference:
            ref_url = prepare_reference(args.url, args.ref_rows if args.ref_rows >= 0 else context.numbers)
            setup.ref_url, setup.ref_pid = start_reference(procs, ref_url, logs)
        wanted = set(args.only.split(",")) if args.only else None
        rows = []
        for case in cases(args.create_concurrency):
            if wanted is None or case.scenario in wanted:
                v, r = run_case(case, setup, args)
                rows.append((case, v, r))
                print(f"  {case.label}: Vigil {v.throughput:.1f}/s p50 {v.percentile(50):.1f} ms"
                      + (f"; reference {r.throughput:.1f}/s" if r else ""), flush=True)  # fmt: skip
                for sample in v.error_samples + (r.error_samples if r else []):
                    print(f"    error: {sample}")
    finally:
        procs.stop()
    return _report(args, setup, rows)


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, timeout=30).stdout


def _report(args: argparse.Namespace, setup: Setup, rows: list[Any]) -> str:
    rss_v = max((v.peak_rss_mb or 0 for _, v, _ in rows), default=0)
    rss_r = max((r.peak_rss_mb or 0 for _, _, r in rows if r), default=0)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    commit = _git("rev-parse", "--short", "HEAD").strip()
    if _git("status", "--porcelain", "--", "src").strip():
        commit += " plus uncommitted changes under src/"
    return "\n".join([
        f"{when}, commit {commit}, {make_url(args.url).render_as_string(hide_password=True)} "
        f"({setup.context.numbers:,} incidents); {args.servers} `vigil serve` processes"
        f"{' + worker' if args.worker else ''}; {args.rounds} alternating rounds of at most {args.seconds:g} s "
        f"/ {args.max_requests} requests per target and case.",
        "",
        table(rows),
        "",
        f"Peak RSS (VmHWM, summed over processes): Vigil {rss_v:.0f} MiB"
        + (f", reference {rss_r:.0f} MiB" if rss_r else "") + ".",
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    parser.add_argument("--url", required=True, help="a database filled by bench.loader")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0, help="time bound of one phase")
    parser.add_argument("--max-requests", type=int, default=20_000, help="request bound of one phase")
    parser.add_argument(
        "--create-concurrency", type=lambda s: [int(c) for c in s.split(",")], default=[1, 8, 32]
    )
    parser.add_argument("--servers", type=int, default=2, help="`vigil serve` processes (round-robin)")
    parser.add_argument("--worker", action="store_true", help="also run `vigil worker`")
    parser.add_argument(
        "--ref-rows", type=int, default=-1, help="reference tickets (default: as many as incidents)"
    )
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--only", help="comma-separated scenarios (create,list,get,...)")
    parser.add_argument("--logs", default="/tmp/vigil-bench-logs")
    parser.add_argument("--out", type=Path, help="also write the report (Markdown) here")
    args = parser.parse_args(argv)
    report = compare(args)
    print(report)
    if args.out:
        args.out.write_text(report + "\n")


if __name__ == "__main__":
    main()
