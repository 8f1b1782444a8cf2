"""Bulk loader: fill a freshly migrated Vigil database with N realistic incidents (COPY on PostgreSQL)."""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Engine, Table, func, insert, select, text, update
from sqlalchemy.engine import make_url

from bench import dataset
from vigil import migrate
from vigil.core import audit, auditkey, numbering
from vigil.core.db import make_engine
from vigil.models import metadata

#: Tables filled once (small) and per batch of incidents (large), in foreign-key order.
SMALL = ("user_account", "team", "team_member", "configuration_item")
LARGE = ("incident", "incident_ci", "incident_comment", "audit_record")
PREFIX = "INC"


def _columns(table: Table, sample: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """The columns to write for rows shaped like `sample`, and the values of those it leaves out."""
    unknown = set(sample) - set(table.columns.keys())
    if unknown:
        raise SystemExit(f"{table.name} has no column(s) {sorted(unknown)}: the schema changed, update bench")
    names, fill = [], {}
    for col in table.columns:
        if col.name in sample:
            names.append(col.name)
        elif col.primary_key and col.autoincrement in (True, "auto") and not col.foreign_keys:
            continue  # the database numbers it (audit_record.id)
        elif col.default is not None and col.default.is_scalar:
            names.append(col.name)
            fill[col.name] = col.default.arg
        elif col.nullable:
            names.append(col.name)
            fill[col.name] = None
        else:
            raise SystemExit(f"{table.name}.{col.name} is required and the loader does not fill it")
    return names, fill


@dataclass
class Writer:
    """Writes rows of the metadata's tables: COPY on PostgreSQL, executemany on SQLite."""

    engine: Engine
    counts: dict[str, int] = field(default_factory=dict)
    _shape: dict[str, tuple[list[str], dict[str, Any]]] = field(default_factory=dict)

    @property
    def postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def write(self, conn: Any, name: str, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        table = metadata.tables[name]
        if name not in self._shape:
            self._shape[name] = _columns(table, rows[0])
        names, fill = self._shape[name]
        if self.postgres:
            self._copy(conn, table, names, fill, rows)
        else:
            conn.execute(insert(table), [{n: row.get(n, fill.get(n)) for n in names} for row in rows])
        self.counts[name] = self.counts.get(name, 0) + len(rows)

    def _copy(self, raw: Any, table: Table, names: list[str], fill: dict[str, Any], rows: Any) -> None:
        quote = self.engine.dialect.identifier_preparer.quote
        as_json = {n for n in names if isinstance(table.columns[n].type, JSON)}
        sql = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
        with raw.cursor() as cur, cur.copy(sql) as copy:
            for row in rows:
                values = [row.get(n, fill.get(n)) for n in names]
                copy.write_row(
                    [json.dumps(v) if n in as_json else v for n, v in zip(names, values, strict=True)]
                )


def _check_fresh(engine: Engine) -> tuple[list[str], int, str]:
    """Active categories and the chain head; refuses a database that already holds incidents."""
    t = metadata.tables
    with engine.connect() as conn:
        if conn.scalar(select(func.count()).select_from(t["incident"])):
            raise SystemExit("the database already holds incidents: load into a freshly migrated one")
        cats = [
            r[0]
            for r in conn.execute(
                select(t["incident_category"].c.name).where(t["incident_category"].c.active)
            )
        ]
        head = conn.execute(
            select(t["audit_chain_head"].c.last_seq, t["audit_chain_head"].c.last_hash)
        ).first()
    if head is None:
        return cats, 0, audit.GENESIS
    return cats, int(head[0]), str(head[1])


def _load_rows(writer: Writer, gen: dataset.Generator, chain: dataset.Chain, batch: int) -> None:
    small = {
        "user_account": dataset.users(gen.people),
        "team": gen.people.teams,
        "team_member": gen.people.members,
        "configuration_item": gen.people.cis,
    }
    done = 0
    if writer.postgres:
        raw = writer.engine.raw_connection()
        try:
            for name in SMALL:
                writer.write(raw, name, small[name])
            raw.commit()
            for rows in gen.batches(batch):
                _write_batch(writer, raw, rows, chain)
                raw.commit()
                done = _progress(done, len(rows.incident), gen.total)
        finally:
            raw.close()
        return
    with writer.engine.begin() as conn:
        for name in SMALL:
            writer.write(conn, name, small[name])
    for rows in gen.batches(batch):
        with writer.engine.begin() as conn:
            _write_batch(writer, conn, rows, chain)
        done = _progress(done, len(rows.incident), gen.total)


def _write_batch(writer: Writer, conn: Any, rows: dataset.Batch, chain: dataset.Chain) -> None:
    for entry in rows.audit_record:
        chain.seal(entry)
    for name in LARGE:
        writer.write(conn, name, getattr(rows, name))


_started = time.perf_counter()


def _progress(done: int, added: int, total: int) -> int:
    done += added
    if done == total or done % max(1, total // 10) < added:
        print(f"  {done:>9,} / {total:,} incidents, {time.perf_counter() - _started:6.1f} s", flush=True)
    return done


def _finish(engine: Engine, total: int, chain: dataset.Chain) -> None:
    """Numbering (counter row and PostgreSQL sequence), the audit chain head, planner statistics."""
    t = metadata.tables
    seq_table, head = t["number_sequence"], t["audit_chain_head"]
    with engine.begin() as conn:
        found = conn.execute(
            update(seq_table).where(seq_table.c.prefix == PREFIX).values(last_value=total)
        ).rowcount
        if not found:
            conn.execute(insert(seq_table).values(prefix=PREFIX, last_value=total))
        if not conn.execute(
            update(head).where(head.c.id == 1).values(last_seq=chain.seq, last_hash=chain.prev)
        ).rowcount:
            conn.execute(insert(head).values(id=1, last_seq=chain.seq, last_hash=chain.prev))
        if engine.dialect.name == "postgresql":
            name = numbering.sequence_name(PREFIX)
            if conn.scalar(text(f"SELECT to_regclass('{name}')")) is not None:
                conn.execute(text(f"SELECT setval('{name}', {int(total)}, true)"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")


def default_sidecar(url: str) -> Path:
    """Where the loader records what it planted: next to a SQLite file, else in /tmp by database name."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return Path(parsed.database + ".bench.json")
    return Path(f"/tmp/{parsed.database or 'vigil'}.bench.json")


def load(url: str, incidents: int, seed: int = 1, batch: int = 10_000, **sizes: int) -> dict[str, Any]:
    """Migrate `url`, fill it, and return what was loaded (counts, seconds, planted words, users)."""
    global _started
    _started = time.perf_counter()
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        categories, last_seq, last_hash = _check_fresh(engine)
        ring = auditkey.keyring()
        chain = dataset.Chain(ring.current, ring.secret, last_seq, last_hash)
        rng = random.Random(seed)
        now = datetime.now(UTC)
        people = dataset.people(
            rng, now.replace(year=now.year - 1), sizes.get("requesters", 2000), sizes.get("agents", 100),
            sizes.get("teams", 20), sizes.get("cis", 2000),
        )  # fmt: skip
        gen = dataset.Generator(rng, people, incidents, now, categories)
        writer = Writer(engine)
        _load_rows(writer, gen, chain, batch)
        _finish(engine, incidents, chain)
    finally:
        engine.dispose()
    seconds = time.perf_counter() - _started
    return {
        "url": make_url(url).render_as_string(hide_password=True),
        "incidents": incidents,
        "seed": seed,
        "seconds": round(seconds, 1),
        "rows": writer.counts,
        "rows_per_second": round(sum(writer.counts.values()) / seconds),
        "common_word": dataset.COMMON_WORD,
        "rare_words": {w: numbers[:20] for w, numbers in gen.planted.items()},
        "agent": people.agents[0]["email"],
        "manager": people.managers[0]["email"],
        "admin": people.managers[-1]["email"],
        "audit_key_id": ring.current,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.loader", description=__doc__)
    parser.add_argument(
        "--url", required=True, help="sqlite:///path or postgresql://postgres@127.0.0.1:5432/DB"
    )
    parser.add_argument("--incidents", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=10_000, help="incidents per transaction")
    parser.add_argument(
        "--sidecar", type=Path, help="JSON summary (default: next to the SQLite file or in /tmp)"
    )
    args = parser.parse_args(argv)
    summary = load(args.url, args.incidents, args.seed, args.batch)
    path = args.sidecar or default_sidecar(args.url)
    path.write_text(json.dumps(summary, indent=2) + "\n")
    total = sum(summary["rows"].values())
    print(f"loaded {args.incidents:,} incidents ({total:,} rows) in {summary['seconds']:.1f} s, "
          f"{summary['rows_per_second']:,} rows/s, {args.incidents / summary['seconds']:,.0f} incidents/s")  # fmt: skip
    print("rows: " + ", ".join(f"{k}={v:,}" for k, v in summary["rows"].items()))
    print(
        f"rare words: {', '.join(summary['rare_words'])}; common word: {summary['common_word']}; summary: {path}"
    )


if __name__ == "__main__":
    main()
