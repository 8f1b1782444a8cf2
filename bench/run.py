"""Benchmarks: incident create throughput and list latency at depth, on SQLite (and PostgreSQL if set)."""

# Run with `make bench`; figures are written to the top of docs/benchmarks.md. Set VIGIL_BENCH_DATABASE_URL to a
# PostgreSQL database (it is wiped) to measure PostgreSQL too. VIGIL_BENCH_ROWS sets the table size.

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from vigil import domains, migrate
from vigil.auth import service as auth_service
from vigil.core.actor import Channel
from vigil.core.db import Database, make_engine
from vigil.incidents import service
from vigil.incidents.schemas import IncidentCreate, IncidentFilter

ROWS = int(os.environ.get("VIGIL_BENCH_ROWS", "20000"))
OUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def _timed(fn: Callable[[], object], repeat: int = 30) -> float:
    """Median milliseconds of `repeat` calls."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _fill(db: Database, rows: int) -> float:
    """Create `rows` incidents through the service, 500 per transaction; returns incidents per second."""
    start = time.perf_counter()
    done = 0
    while done < rows:
        with db.unit_of_work() as s:
            actor = auth_service.bootstrap_actor(s, Channel.CLI)
            for i in range(min(500, rows - done)):
                service.create(
                    session=s,
                    actor=actor,
                    data=IncidentCreate(
                        title=f"bench incident {done + i}",
                        impact=("high", "medium", "low")[i % 3],
                        urgency="medium",
                    ),
                )
        done += min(500, rows - done)
    return rows / (time.perf_counter() - start)


def _measure(db: Database) -> dict[str, float]:
    with db.unit_of_work() as s:
        actor = auth_service.bootstrap_actor(s, Channel.CLI)
        cursor = None
        for _ in range(ROWS // 2 // 200):  # walk to the middle of the table
            cursor = service.list_incidents(
                session=s, actor=actor, filters=IncidentFilter(limit=200, cursor=cursor)
            ).next_cursor
        number = f"INC-{ROWS // 2:06d}"

    def page(c: str | None, **kw: object) -> Callable[[], object]:
        def run() -> object:
            with db.unit_of_work() as s2:
                a = auth_service.bootstrap_actor(s2, Channel.CLI)
                p = service.list_incidents(
                    session=s2, actor=a, filters=IncidentFilter(limit=50, cursor=c, **kw)
                )
                return [service.to_read(i) for i in p.items]

        return run

    def detail() -> object:
        with db.unit_of_work() as s2:
            return service.to_read(
                service.get(session=s2, actor=auth_service.bootstrap_actor(s2, Channel.CLI), ref=number)
            )

    return {
        "list first page (50), ms": _timed(page(None)),
        f"list page at row {ROWS // 2} (cursor), ms": _timed(page(cursor)),
        "list filtered status=open&priority=P1, ms": _timed(page(None, status=["open"], priority=["P1"])),
        "list free-text q, ms": _timed(page(None, q="incident 1999")),
        "get one by number, ms": _timed(detail),
    }


def bench(url: str) -> dict[str, float]:
    migrate.upgrade(url)
    db = Database(url)
    domains.load()
    results = {"create through the service, incidents/s": _fill(db, ROWS)}
    results.update(_measure(db))
    db.dispose()
    return results


def main() -> None:
    targets: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        targets.append(("SQLite (file, WAL)", f"sqlite:///{Path(tmp) / 'bench.db'}"))
        pg = os.environ.get("VIGIL_BENCH_DATABASE_URL")
        if pg:
            engine = make_engine(pg, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()
            targets.append(("PostgreSQL 15 (local)", pg))
        results = {name: bench(url) for name, url in targets}
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `make bench` (`python -m bench.run`) with {ROWS} incidents, on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}. "
        "PostgreSQL is measured when `VIGIL_BENCH_DATABASE_URL` is set (CI-style: "
        "`VIGIL_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/vigil_bench make bench`).",
        "Latencies are medians of 30 calls through the service layer, each its own transaction, including",
        "building the read models (no HTTP).",
        "",
        "| measure | " + " | ".join(results) + " |",
        "|---|" + "---|" * len(results),
    ]
    for key in next(iter(results.values())):
        lines.append(f"| {key} | " + " | ".join(f"{r[key]:.1f}" for r in results.values()) + " |")
    OUT.write_text(_replace_section(OUT.read_text() if OUT.exists() else "", "\n".join(lines)))
    print("\n".join(lines))


#: The part of docs/benchmarks.md this script rewrites; everything after it (how to run, figures at
#: depth from bench.loader and bench.compare) is kept.
END_MARK = "<!-- end of make bench output -->"


def _replace_section(doc: str, section: str) -> str:
    rest = doc.split(END_MARK, 1)[1] if END_MARK in doc else ""
    return section + "\n\n" + END_MARK + rest if rest else section + "\n\n" + END_MARK + "\n"


if __name__ == "__main__":
    main()
