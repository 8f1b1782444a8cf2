"""SLA sweep at depth: one worker pass over N open incidents (two running clocks each) that finds D due
thresholds, timed as the worker runs it (`vigil.sla.service.sweep` plus the commit).

Run with `make bench-sla`; the table replaces the "SLA sweep" section of docs/benchmarks.md. The database
at `--url` is wiped (schema `public` dropped), migrated to head and filled:

- a few incidents are created through the service (one per priority), so their two clocks are what a
  real incident gets under the default "Action plan" policy (targets and calendars snapshots included);
- N incidents are copied from them in SQL (`INSERT ... SELECT generate_series`), all open, each with its
  two running clocks and their start events, started over the last two weeks and next due 1 to 25 days
  ahead, so never due while the benchmark runs (the sweep never reads these: only their place in the
  `next_alert_at` index matters);
- up to max(D) of those clocks are "candidates": started so long ago (business time counted by
  `vigil.sla.businesstime`, exactly as `_schedule` does) that their 75 % warning has passed. Before each
  repetition the first D candidates are armed (their real 75 % instant, in the past) and the others
  pushed to the future, and the previous run's events and outbox jobs are deleted, so every run finds
  exactly D due thresholds among 2N clocks.

The larger N is reached by adding incidents to the smaller one's database (then VACUUM ANALYZE).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import random
import statistics
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url

from vigil import domains, migrate
from vigil.auth import service as auth_service
from vigil.auth.schemas import UserCreate
from vigil.core import clock
from vigil.core.actor import Channel
from vigil.core.db import Database, make_engine
from vigil.incidents import service as incidents
from vigil.incidents.schemas import IncidentCreate
from vigil.sla import businesstime
from vigil.sla import service as sla
from vigil.sla.models import SlaClock

OUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
BEGIN, END = "<!-- sla sweep -->", "<!-- end sla sweep -->"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/vigil_slabench"
#: Impact and urgency of the template incidents, one per priority of the default matrix.
TEMPLATES = {
    "P1": ("high", "high"),
    "P2": ("high", "medium"),
    "P3": ("medium", "medium"),
    "P4": ("low", "low"),
}
#: Priority of the copied incidents by `g % 20`: 5 % P1, 15 % P2, 40 % P3, 40 % P4.
MIX = "CASE WHEN g % 20 = 0 THEN 'P1' WHEN g % 20 < 4 THEN 'P2' WHEN g % 20 < 12 THEN 'P3' ELSE 'P4' END"
FILL_BATCH = 100_000
THRESHOLD = sla.THRESHOLDS[0]


def log(msg: str) -> None:
    print(msg, flush=True)


# --- database ------------------------------------------------------------------------------------


def wipe(url: str) -> None:
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def templates(db: Database) -> None:
    """One incident per priority through the service; their clocks become the copies' models."""
    with db.unit_of_work() as s:
        operator = auth_service.operator_actor(s, Channel.CLI)
        user = auth_service.create_user(
            session=s,
            actor=operator,
            data=UserCreate(email="sla-bench@bench.example.com", display_name="SLA bench", role="admin"),
        )
        s.flush()
        actor = auth_service.actor_for(user, Channel.CLI)
        for priority, (impact, urgency) in TEMPLATES.items():
            made = incidents.create(
                session=s,
                actor=actor,
                data=IncidentCreate(title=f"SLA bench template {priority}", impact=impact, urgency=urgency),
            )
            assert made.priority == priority, (made.priority, priority)
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE bench_template AS SELECT i.priority, i.category, i.impact, i.urgency,"
                " i.requester_id, c.metric, c.policy_id, c.policy_name, c.targets, c.calendars,"
                " c.target_seconds, c.calendar_name FROM incident i JOIN sla_clock c"
                " ON c.record_type = 'incident' AND c.record_id = i.id"
            )
        )
        # The templates' own clocks run in real time (a P1 response warning falls due 11 minutes on).
        conn.execute(text("UPDATE sla_clock SET next_alert_at = next_alert_at + interval '40 days'"))
        rows = conn.execute(text("SELECT count(*) FROM bench_template")).scalar_one()
        assert rows == 2 * len(TEMPLATES), f"{rows} template clocks, expected {2 * len(TEMPLATES)}"
        conn.execute(
            text(
                "CREATE TABLE bench_due (rank int PRIMARY KEY, clock_id uuid NOT NULL,"
                " armed_alert_at timestamptz NOT NULL, armed_due_at timestamptz NOT NULL,"
                " idle_alert_at timestamptz NOT NULL)"
            )
        )


def add_incidents(engine: Engine, first: int, last: int, now: datetime) -> None:
    """Incidents `first..last` (numbers INC-{g}) with their two running clocks and start events."""
    started = time.perf_counter()
    for lo in range(first, last + 1, FILL_BATCH):
        hi = min(last, lo + FILL_BATCH - 1)
        with engine.begin() as conn:
            params = {"lo": lo, "hi": hi, "now": now}
            conn.execute(
                text(
                    "CREATE TEMP TABLE bench_new ON COMMIT DROP AS"
                    " SELECT g, gen_random_uuid() AS id, " + MIX + " AS priority,"
                    " CAST(:now AS timestamptz) - (hashint4(g) & 1048575) * interval '1 second' AS created_at"
                    " FROM generate_series(CAST(:lo AS int), CAST(:hi AS int)) g"
                ),
                params,
            )
            conn.execute(
                text(
                    "INSERT INTO incident (id, number, title, description, category, impact, urgency,"
                    " priority, status, requester_id, created_at, updated_at, tags, version)"
                    " SELECT n.id, 'INC-' || lpad(n.g::text, 7, '0'), 'SLA bench incident ' || n.g,"
                    " 'Copied from the template incident of its priority by bench.sla_sweep.', t.category,"
                    " t.impact, t.urgency, n.priority, 'open', t.requester_id, n.created_at, n.created_at,"
                    " '[]', 1 FROM bench_new n"
                    " JOIN (SELECT DISTINCT priority, category, impact, urgency, requester_id"
                    " FROM bench_template) t USING (priority)"
                ),
            )
            # Next alert 1 to ~25 days ahead (never due during the run), spread by a hash; due at the
            # alert plus a quarter of the target.
            conn.execute(
                text(
                    "INSERT INTO sla_clock (id, record_type, record_id, metric, state, policy_id, policy_name,"
                    " targets, calendars, priority, target_seconds, calendar_name, started_at, running_since,"
                    " used_seconds, paused_seconds, due_at, next_alert_at, next_alert_percent, updated_at)"
                    " SELECT gen_random_uuid(), 'incident', n.id, t.metric, 'running', t.policy_id,"
                    " t.policy_name, t.targets, t.calendars, n.priority, t.target_seconds, t.calendar_name,"
                    " n.created_at, n.created_at, 0, 0,"
                    " a.alert_at + (t.target_seconds / 4) * interval '1 second', a.alert_at, :pct, n.created_at"
                    " FROM bench_new n JOIN bench_template t USING (priority)"
                    " CROSS JOIN LATERAL (SELECT CAST(:now AS timestamptz) + interval '1 day'"
                    " + (hashint4(n.g * 2 + (t.metric = 'response')::int) & 2097151) * interval '1 second'"
                    " AS alert_at) a"
                ),
                {"now": now, "pct": THRESHOLD},
            )
            conn.execute(
                text(
                    "INSERT INTO sla_clock_event (id, clock_id, kind, at, data)"
                    " SELECT gen_random_uuid(), c.id, 'start', c.started_at, json_build_object('policy',"
                    " c.policy_name, 'priority', c.priority, 'target', c.target_seconds, 'calendar',"
                    " c.calendar_name) FROM sla_clock c JOIN bench_new n ON c.record_id = n.id"
                )
            )
        log(f"  incidents {hi:>9,} / {last:,}   {time.perf_counter() - started:6.1f} s")
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE number_sequence SET last_value = :n WHERE prefix = 'INC'"),
            {"n": last},
        )
        if conn.scalar(text("SELECT to_regclass('number_seq_inc')")) is not None:
            conn.execute(text("SELECT setval('number_seq_inc', :n, true)"), {"n": last})


def reused(engine: Engine, sizes: list[int], dues: list[int]) -> int:
    """`--reuse`: the database an earlier run filled; only its size can be measured again."""
    with engine.connect() as conn:
        if conn.scalar(text("SELECT to_regclass('bench_due')")) is None:
            raise SystemExit("--reuse: this database was not filled by bench.sla_sweep")
        n = conn.scalar(text("SELECT count(*) FROM incident")) - len(TEMPLATES)
        candidates_ = conn.scalar(text("SELECT count(*) FROM bench_due"))
    if sizes != [n] or max(dues) > candidates_:
        raise SystemExit(f"--reuse: the database holds {n:,} incidents and {candidates_:,} candidates")
    return n


def vacuum(engine: Engine, *tables: str) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE " + ", ".join(tables) if tables else "VACUUM ANALYZE")


def candidates(engine: Engine, count: int, population: int, now: datetime, seed: int = 7) -> None:
    """Pick `count` clocks spread over the first `population` incidents and start them so long ago that
    their 75 % warning has passed; record the instant it fell (armed) and a future one (idle)."""
    rng = random.Random(seed)
    step = max(1, population // count)
    numbers = [f"INC-{g:07d}" for g in range(1, population + 1, step)][:count]
    with engine.begin() as conn:
        rows = conn.execute(
            text(
                "SELECT i.number, c.id, c.metric, c.priority, c.target_seconds, c.calendar_name, c.calendars"
                " FROM incident i JOIN sla_clock c ON c.record_type = 'incident' AND c.record_id = i.id"
                " WHERE i.number = ANY(:numbers) ORDER BY i.number, c.metric"
            ),
            {"numbers": numbers},
        ).all()
        # One clock per chosen incident, response and resolution in turn.
        picked = [r for k, r in enumerate(rows) if k % 2 == (k // 2) % 2][:count]
        assert len(picked) == count, f"{len(picked)} candidate clocks, expected {count}"
        out = []
        for rank, r in enumerate(picked):
            probe = SlaClock(
                state="running", target_seconds=r.target_seconds, used_seconds=0,
                calendar_name=r.calendar_name, calendars=r.calendars, next_alert_percent=THRESHOLD,
            )  # fmt: skip
            # Used 76-89 % of the target in business time by `now`: the 75 % warning is due, 90 % is
            # not. Business time used since `since` falls as `since` nears `now`: bisect for it.
            share = rng.uniform(0.76, 0.89)
            cal = sla.calendar_of(r.calendars[r.calendar_name])
            wanted = r.target_seconds * share
            lo, hi = now - timedelta(days=400), now
            for _ in range(40):
                mid = lo + (hi - lo) / 2
                if businesstime.business_seconds(cal, mid, now) > wanted:
                    lo = mid
                else:
                    hi = mid
            since = hi
            probe.running_since = since
            sla._schedule(probe)
            assert probe.next_alert_at is not None and probe.due_at is not None
            assert probe.next_alert_at <= now < probe.due_at, (r.calendar_name, since, probe.next_alert_at)
            idle = now + timedelta(days=40, seconds=rank)
            out.append(
                {
                    "rank": rank, "id": r.id, "since": since, "armed": probe.next_alert_at,
                    "due": probe.due_at, "idle": idle,
                }
            )  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO bench_due (rank, clock_id, armed_alert_at, armed_due_at, idle_alert_at)"
                " VALUES (:rank, :id, :armed, :due, :idle)"
            ),
            out,
        )
        conn.execute(
            text(
                "UPDATE sla_clock c SET started_at = d.since, running_since = d.since, updated_at = d.since"
                " FROM (SELECT CAST(x.id AS uuid) AS id, CAST(x.since AS timestamptz) AS since"
                " FROM json_to_recordset(CAST(:rows AS json)) AS x(id text, since text)) d WHERE c.id = d.id"
            ),
            {"rows": _json([{"id": str(o["id"]), "since": o["since"].isoformat()} for o in out])},
        )
        conn.execute(
            text(
                "UPDATE sla_clock_event e SET at = c.started_at FROM bench_due d JOIN sla_clock c"
                " ON c.id = d.clock_id WHERE e.clock_id = c.id AND e.kind = 'start'"
            )
        )
        conn.execute(
            text(
                "UPDATE incident i SET created_at = c.started_at, updated_at = c.started_at FROM bench_due d"
                " JOIN sla_clock c ON c.id = d.clock_id WHERE i.id = c.record_id AND c.started_at < i.created_at"
            )
        )


def _json(value: Any) -> str:
    return json.dumps(value)


def arm(engine: Engine, due: int) -> None:
    """Exactly `due` clocks due now (the first candidates, at their real 75 % instant), the other
    candidates idle; the previous run's warnings, breaches and outbox jobs removed."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM sla_clock_event WHERE kind IN ('warning', 'breach')"))
        conn.execute(text("DELETE FROM job WHERE name = 'incidents.sla_threshold'"))
        conn.execute(
            text(
                "UPDATE sla_clock c SET next_alert_percent = :pct, breached_at = NULL,"
                " next_alert_at = CASE WHEN d.rank < :due THEN d.armed_alert_at ELSE d.idle_alert_at END,"
                " due_at = d.armed_due_at FROM bench_due d WHERE c.id = d.clock_id"
                " AND (c.next_alert_percent IS DISTINCT FROM :pct OR c.next_alert_at IS DISTINCT FROM"
                " CASE WHEN d.rank < :due THEN d.armed_alert_at ELSE d.idle_alert_at END)"
            ),
            {"pct": THRESHOLD, "due": due},
        )
        found = conn.scalar(text("SELECT count(*) FROM sla_clock WHERE next_alert_at <= now()"))
    assert found == due, f"{found} clocks due, expected {due}"


# --- measure -------------------------------------------------------------------------------------


def one_pass(db: Database, due: int) -> float:
    """Seconds for one sweep finding `due` thresholds, plus its commit."""
    start = time.perf_counter()
    with db.unit_of_work() as s:
        emitted = sla.sweep(s, limit=max(due, 1))
    seconds = time.perf_counter() - start
    assert emitted == due, f"the sweep emitted {emitted}, expected {due}"
    with db.engine.connect() as conn:  # once each: one event and one outbox job per due clock
        made = conn.execute(
            text(
                "SELECT (SELECT count(DISTINCT clock_id) FROM sla_clock_event WHERE kind = 'warning'),"
                " (SELECT count(*) FROM sla_clock_event WHERE kind = 'warning'),"
                " (SELECT count(*) FROM job WHERE name = 'incidents.sla_threshold')"
            )
        ).one()
    assert tuple(made) == (due, due, due), f"clocks, events, jobs: {tuple(made)}, expected {due} each"
    return seconds


def measure(db: Database, due: int, repeat: int) -> dict[str, float]:
    samples, loads = [], []
    for _ in range(repeat):
        arm(db.engine, due)
        samples.append(one_pass(db, due))
        loads.append(os.getloadavg()[0])
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    log("    runs, ms: " + " ".join(f"{x * 1000:.0f}" for x in samples))
    return {
        "median": statistics.median(samples), "p95": p95, "min": samples[0], "max": samples[-1],
        "load": statistics.median(loads),
    }  # fmt: skip


def explain(db: Database, due: int) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the exact SELECT the sweep sends (captured, then re-run in a
    transaction rolled back)."""
    arm(db.engine, due)
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if "FROM sla_clock" in statement and "SKIP LOCKED" in statement:
            seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.unit_of_work() as s:
            sla.sweep(s, limit=due)
            s.rollback()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    statement, params = seen[0]
    arm(db.engine, due)
    raw = db.engine.raw_connection()
    try:
        with raw.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
            plan = "\n".join(r[0] for r in cur.fetchall())
        raw.rollback()
    finally:
        raw.close()
    return plan


def profile(db: Database, due: int) -> str:
    arm(db.engine, due)
    prof = cProfile.Profile()
    prof.enable()
    one_pass(db, due)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(25)
    return out.getvalue()


# --- report --------------------------------------------------------------------------------------


def render(
    results: list[tuple[int, int, dict[str, float]]],
    plan: str,
    plan_due: int,
    command: str,
    fill: str,
    repeat: int,
) -> str:
    lines = [
        BEGIN,
        "## SLA sweep",
        "",
        f"Produced by `{command}` on {platform.machine()}, {os.cpu_count()} cores (shared machine), "
        f"Python {platform.python_version()}, PostgreSQL local. {fill}",
        "",
        "One pass of the worker's SLA sweep (`vigil.sla.service.sweep(session, limit=D)` plus the commit, in",
        "one unit of work as the worker runs it) over N open incidents with two running clocks each (2N",
        "clocks), exactly D of them due: each emits one warning (a `sla_clock_event` row, an outbox job for",
        "the `SlaThresholdReached` subscriber) and reschedules the next threshold in business time. The",
        "clocks carry the targets and calendar snapshots a real incident's clocks get under the default",
        '"Action plan" policy (5 % P1 on 24x7, the rest on Business hours). Between runs the same D clocks',
        "are re-armed and the previous run's events and jobs deleted. Target: D = 1,000 under 1 s at",
        "N = 1,000,000. The bare reference app (`../shared/perf-reference/`) has no counterpart of a sweep,",
        f'so these are absolute figures. p95 is by nearest rank over {repeat} runs; "load average" is',
        "the machine's 1-minute load average during the runs (2 cores shared with other work: above 2, the",
        "runs waited for a core, so the fastest run is the best guide to the sweep's own cost).",
        "",
        "| N open incidents | D due | median, ms | p95, ms | fastest, ms | per due event (median), ms |"
        " load average |",
        "|---|---|---|---|---|---|---|",
    ]
    for n, d, r in results:
        per = f"{r['median'] * 1000 / d:.2f}" if d else "-"
        lines.append(
            f"| {n:,} | {d:,} | {r['median'] * 1000:.1f} | {r['p95'] * 1000:.1f} | {r['min'] * 1000:.1f} "
            f"| {per} | {r['load']:.1f} |"
        )
    lines += [
        "",
        f"The sweep's SELECT, captured from a run with D = {plan_due:,} at N = {results[-1][0]:,} and re-run",
        "under `EXPLAIN (ANALYZE, BUFFERS)`:",
        "",
        "```",
        plan,
        "```",
        END,
    ]
    return "\n".join(lines)


def write_doc(section: str) -> None:
    doc = OUT.read_text()
    if BEGIN in doc:
        doc = doc[: doc.index(BEGIN)] + section + doc[doc.index(END) + len(END) :]
    else:
        marker = "<!-- end cli startup -->"
        doc = (
            doc.replace(marker, f"{marker}\n\n{section}", 1) if marker in doc else doc + "\n" + section + "\n"
        )
    OUT.write_text(doc)


def fill_to(engine: Engine, done: int, n: int, candidates_: int, now: datetime) -> str:
    """Add incidents `done + 1..n` (the first time, pick the candidates too); what was done, in words."""
    if n <= done:  # re-pick the candidates against this run's `now` (their 75 % instants moved on)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM bench_due"))
        candidates(engine, candidates_, n, now)
        return f"{n:,} incidents reused from an earlier run"
    log(f"filling to {n:,} open incidents ({2 * n:,} clocks)")
    t0 = time.perf_counter()
    add_incidents(engine, done + 1, n, now)
    if done == 0:
        candidates(engine, candidates_, n, now)
    vacuum(engine)
    log(f"  filled in {time.perf_counter() - t0:.1f} s (with VACUUM ANALYZE)")
    return f"{n - done:,} incidents in {time.perf_counter() - t0:.0f} s"


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench.sla_sweep", description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=os.environ.get("VIGIL_BENCH_SLA_URL", DEFAULT_URL),
                        help="a PostgreSQL database; it is wiped")  # fmt: skip
    parser.add_argument("--incidents", default="100000,1000000", help="N values, ascending, comma-separated")
    parser.add_argument("--due", default="0,100,1000,10000", help="D values, comma-separated")
    parser.add_argument("--repeat", type=int, default=9, help="runs per (N, D)")
    parser.add_argument("--quick", action="store_true", help="smoke run: N=2000, D=0,10,100, 3 runs, no doc")
    parser.add_argument("--profile", action="store_true", help="cProfile one D=1000 pass at the largest N")
    parser.add_argument("--reuse", action="store_true", help="measure the database an earlier run filled")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    args = parser.parse_args(argv)
    if args.quick:
        args.incidents, args.due, args.repeat, args.no_doc = "2000", "0,10,100", 3, True
    sizes = sorted(int(x) for x in args.incidents.split(","))
    dues = sorted(int(x) for x in args.due.split(","))
    if make_url(args.url).get_backend_name() != "postgresql":
        raise SystemExit("the SLA sweep benchmark needs PostgreSQL (FOR UPDATE SKIP LOCKED at depth)")
    if max(dues) > sizes[0]:
        raise SystemExit("the largest D must not exceed the smallest N")
    if not args.reuse:
        wipe(args.url)
    migrate.upgrade(args.url)  # a reused database may predate the newest migrations
    domains.load()  # subscribers: each threshold enqueues its outbox job, as in the worker
    db = Database(args.url)
    now = clock.now()
    results: list[tuple[int, int, dict[str, float]]] = []
    fills = []
    try:
        done = reused(db.engine, sizes, dues) if args.reuse else 0
        if not args.reuse:
            templates(db)
        for n in sizes:
            fills.append(fill_to(db.engine, done, n, max(dues), now))
            done = n
            for d in dues:
                r = measure(db, d, args.repeat)
                results.append((n, d, r))
                per = f", {r['median'] * 1000 / d:.3f} ms per event" if d else ""
                log(f"  N={n:>9,} D={d:>6,}: median {r['median'] * 1000:8.1f} ms, p95 "
                    f"{r['p95'] * 1000:8.1f} ms{per}, load average {r['load']:.1f}")  # fmt: skip
                vacuum(db.engine, "sla_clock", "sla_clock_event", "job")
        plan_due = 1000 if 1000 in dues else max(dues)
        plan = explain(db, plan_due)
        log(plan)
        if args.profile:
            log(profile(db, plan_due))
    finally:
        db.engine.dispose()
    command = "make bench-sla  # python -m bench.sla_sweep " + " ".join(
        f"--{k} {v}" for k, v in (("incidents", args.incidents), ("due", args.due), ("repeat", args.repeat))
    )
    fill = (
        "Fill (SQL `INSERT ... SELECT generate_series`, incidents + clocks + start events): "
        + "; ".join(fills)
        + "."
    )
    section = render(results, plan, plan_due, command, fill, args.repeat)
    if not args.no_doc:
        write_doc(section)
    print(section)
    return section


if __name__ == "__main__":
    main()
