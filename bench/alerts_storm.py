"""Alert storm: 10,000 Alertmanager alerts over 100 fingerprints, posted as webhook batches of 10 at
concurrency 8 to two `vigil serve` processes on PostgreSQL, alternating with the reference app's creates.

Run with `make bench-alerts`; the table replaces the "Alert intake: storm" section of docs/benchmarks.md.
The database is wiped and migrated; each round posts to a new Alertmanager integration (so each round
opens its own 100 incidents), then checks in the database that every delivery and every alert was
stored (the alerts' repeat counts add up to what was posted) and that exactly 100 incidents were made.
Each round of Vigil is followed by one of the bare reference app (../shared/perf-reference/, two uvicorn
workers) taking the same number of requests at the same concurrency: the ratio is Vigil's webhook
batches per second to the reference's single-row creates per second.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bench import compare, load
from bench.cmdb_impact import wipe
from vigil import domains, migrate
from vigil.alerts.models import Alert, AlertDelivery, AlertGroup, Integration
from vigil.auth import service as auth_service
from vigil.auth.schemas import Scope, TokenCreate
from vigil.core.actor import Channel
from vigil.core.db import Database, make_engine

OUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADING = "## Alert intake: storm"
BEGIN, END = "<!-- alerts storm -->", "<!-- end alerts storm -->"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/vigil_alertbench"
TARGET = 2000.0


def log(msg: str) -> None:
    print(msg, flush=True)


def batch_builder(path: str, fingerprints: int, batch: int) -> load.Builder:
    """Request i: one Alertmanager (version 4) notification of `batch` firing alerts, the fingerprints
    i*batch .. (i+1)*batch - 1 modulo `fingerprints`. No groupKey: each fingerprint is its own group, as
    Alertmanager's `group_by: ['...']` makes it, so the storm should open one incident per fingerprint."""

    def build(i: int, rng: random.Random) -> tuple[str, str, Any]:
        alerts = []
        for k in range(batch):
            fp = (i * batch + k) % fingerprints
            alerts.append({
                "status": "firing",
                "labels": {"alertname": f"StormAlert{fp:03d}", "severity": "critical",
                           "instance": f"storm-host-{fp:03d}:9100", "job": "node"},
                "annotations": {"summary": f"Storm alert {fp} firing", "description": "bench storm"},
                "startsAt": "2026-12-07T10:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": f"http://prometheus.example:9090/graph?g0.expr=up{fp}",
                "fingerprint": f"{fp:016x}",
            })  # fmt: skip
        body = {"version": "4", "status": "firing", "receiver": "vigil", "groupLabels": {},
                "commonLabels": {"severity": "critical"}, "commonAnnotations": {},
                "externalURL": "http://alertmanager.example:9093", "truncatedAlerts": 0, "alerts": alerts}  # fmt: skip
        return "POST", path, body

    return build


def admin_token(db: Database) -> str:
    """An administrator's API token that may manage integrations."""
    with db.unit_of_work() as s:
        auth_service.ensure_first_admin(s, "alerts-bench@bench.example.com", None, generate=False)
        user = auth_service.resolve_user(s, "alerts-bench@bench.example.com")
        actor = auth_service.actor_for(user, Channel.API)
        data = TokenCreate(name="alerts-bench", scope=Scope.ADMIN)
        return auth_service.tokens.create(session=s, actor=actor, data=data)[1]


def new_integration(url: str, user_token: str, name: str) -> str:
    r = httpx.post(
        f"{url}/api/v1/integrations",
        json={"name": name, "kind": "alertmanager", "recovery": "resolve"},
        headers={"Authorization": f"Bearer {user_token}"},
        timeout=30,
    )
    r.raise_for_status()
    return str(r.json()["token"])


def stored(db: Database, name: str) -> dict[str, int]:
    """What the database holds for integration `name`."""
    with db.engine.connect() as conn:
        iid = conn.scalar(select(Integration.id).where(Integration.name == name))

        def one(stmt: Any) -> int:
            return int(conn.scalar(stmt) or 0)

        return {
            "deliveries": one(select(func.count()).select_from(AlertDelivery).where(AlertDelivery.integration_id == iid)),
            "processed": one(select(func.count()).select_from(AlertDelivery).where(
                AlertDelivery.integration_id == iid, AlertDelivery.status == "processed")),
            "alerts posted": one(select(func.coalesce(func.sum(AlertDelivery.alert_count), 0)).where(
                AlertDelivery.integration_id == iid)),
            "alert rows": one(select(func.count()).select_from(Alert).where(Alert.integration_id == iid)),
            "repeat counts": one(select(func.coalesce(func.sum(Alert.count), 0)).where(Alert.integration_id == iid)),
            "incidents": one(select(func.count(func.distinct(AlertGroup.incident_id))).where(
                AlertGroup.integration_id == iid, AlertGroup.incident_id.is_not(None))),
        }  # fmt: skip


def run(args: argparse.Namespace) -> str:
    wipe(args.url)
    migrate.upgrade(args.url)
    db = Database(args.url)
    user_token = admin_token(db)
    procs = compare.Processes()
    logs = Path(tempfile.mkdtemp(prefix="vigil-alerts-bench-"))
    requests = args.alerts // args.batch
    rows: list[tuple[load.Result, load.Result, dict[str, int]]] = []
    try:
        urls, pids = compare.start_vigil(procs, args.url, args.servers, logs)
        ref_url, ref_pid = compare.start_reference(procs, compare.prepare_reference(args.url, 0), logs)
        for r in range(args.rounds):
            name = f"storm-{r}"
            token = new_integration(urls[0], user_token, name)
            path = f"/api/v1/integrations/alertmanager/{name}"
            plan = load.Plan(urls, "alert_storm", args.concurrency, requests, args.max_seconds, token,
                             pids=pids, builder=batch_builder(path, args.fingerprints, args.batch))  # fmt: skip
            vigil = load.run(plan)
            ref = load.run(load.Plan([ref_url], "ref_create", args.concurrency, requests, args.max_seconds,
                                     pids=[ref_pid]))  # fmt: skip
            got = stored(db, name)
            rows.append((vigil, ref, got))
            log(f"round {r}: vigil {vigil.throughput * args.batch:.0f} alerts/s ({vigil.throughput:.0f} batches/s,"
                f" {vigil.errors} errors) | reference {ref.throughput:.0f}/s | {got}")  # fmt: skip
    finally:
        procs.stop()
        db.engine.dispose()
    return render(rows, args)


def render(rows: list[tuple[load.Result, load.Result, dict[str, int]]], args: argparse.Namespace) -> str:
    command = (
        f'make bench-alerts BENCH_ALERTS_ARGS="--rounds {args.rounds}"'
        f"  # python -m bench.alerts_storm --rounds {args.rounds}"
    )
    lines = [
        BEGIN, HEADING, "",
        f"Produced by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()},"
        f" {os.cpu_count()} cores (shared machine; 1-minute load average at the end {os.getloadavg()[0]:.1f}),"
        f" Python {platform.python_version()}, PostgreSQL local, {args.servers} `vigil serve --no-worker`"
        " processes (round robin) and the reference app with two uvicorn workers, the same machine as the"
        " client.",
        "",
        f"Each round posts {args.alerts:,} alerts over {args.fingerprints} fingerprints as {args.alerts // args.batch:,}"
        f" Alertmanager notifications of {args.batch} (version 4, firing, severity critical: P1, so each new"
        " group opens an incident; no groupKey, so each fingerprint is its own group) at concurrency"
        f" {args.concurrency}, authenticated by the integration's own token, to a new integration; then the"
        f" reference app takes {args.alerts // args.batch:,} creates at the same concurrency. Every answer"
        " is the 202 after the raw delivery was stored and processed in the same request. The checks are"
        f" read from the database after each round. Target: ≥ {TARGET:,.0f} alerts/s on PostgreSQL, every"
        f" alert stored, exactly {args.fingerprints} incidents.",
        "",
        "| round | Vigil alerts/s (batches/s) | Vigil p50 / p95 / p99 ms | errors | Vigil RSS MiB (2 procs) |"
        " reference creates/s | reference p50 / p95 ms | batches/s ÷ reference creates/s | deliveries stored"
        " (processed) | alerts posted = repeat counts | alert rows | incidents |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for n, (v, ref, got) in enumerate(rows):
        lines.append(
            f"| {n} | {v.throughput * args.batch:,.0f} ({v.throughput:,.0f}) | {v.percentile(50):.1f} /"
            f" {v.percentile(95):.1f} / {v.percentile(99):.1f} | {v.errors} | {v.peak_rss_mb} |"
            f" {ref.throughput:,.0f} | {ref.percentile(50):.1f} / {ref.percentile(95):.1f} |"
            f" {v.throughput / ref.throughput if ref.throughput else 0:.2f} |"
            f" {got['deliveries']:,} ({got['processed']:,}) | {got['alerts posted']:,} ="
            f" {got['repeat counts']:,} | {got['alert rows']} | {got['incidents']} |"
        )
    lines.append(END)
    return "\n".join(lines)


def write_doc(section: str) -> None:
    doc = OUT.read_text()
    if BEGIN in doc:
        doc = doc[: doc.index(BEGIN)] + section + doc[doc.index(END) + len(END) :]
    else:
        doc = doc.rstrip("\n") + "\n\n" + section + "\n"
    OUT.write_text(doc)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.alerts_storm", description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=os.environ.get("VIGIL_BENCH_ALERTS_URL", PG_URL),
                        help="a PostgreSQL database; it is wiped")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--fingerprints", type=int, default=100)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    args = parser.parse_args(argv)
    domains.load()
    url = make_url(args.url)
    engine = make_engine(url.set(database="postgres").render_as_string(False), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        name = url.database
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    section = run(args)
    if not args.no_doc:
        write_doc(section)
    print(section)


if __name__ == "__main__":
    main()
