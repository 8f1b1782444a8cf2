"""Vigil's own Prometheus metrics: the registry, the small functions domains call, and the exposition.

Counters and histograms live in this process (or, with `VIGIL_METRICS_DIR`, in prometheus_client's
multiprocess files, added up across every process at scrape time). Gauges of current state (open
incidents, SLA breaches, the job backlog) are not kept in memory at all: each domain registers a reader
with `gauge()`, run against the database at every scrape, so they are right whichever process answers.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from sqlalchemy.orm import Session

from vigil.core.config import get_settings

# prometheus_client chooses between in-memory and multiprocess values when it is imported, from this
# environment variable: Vigil's own setting has to be in place first.
_DIR = get_settings().metrics_dir
if _DIR:
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", _DIR)

from prometheus_client import (  # noqa: E402
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric  # noqa: E402
from prometheus_client.multiprocess import MultiProcessCollector  # noqa: E402

log = logging.getLogger("vigil.metrics")
disable_created_metrics()  # type: ignore[no-untyped-call]  # `_created` doubles every series, for no use

#: This process's counters and histograms (in-memory mode); multiprocess mode reads the files instead.
REGISTRY = CollectorRegistry(auto_describe=True)

#: Human waiting times: a minute to a month.
WAIT_BUCKETS = (
    60,
    300,
    900,
    1800,
    3600,
    2 * 3600,
    4 * 3600,
    8 * 3600,
    86400,
    3 * 86400,
    7 * 86400,
    30 * 86400,
)
#: Request and create latencies: 5 ms to 10 s.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

TICKETS_CREATED = Counter(
    "itsm_ticket_creation_total",
    "Tickets created (counted once committed), by record type, priority and channel.",
    ["record_type", "priority", "channel"],
    registry=REGISTRY,
)
CREATION_DURATION = Histogram(
    "itsm_ticket_creation_duration_seconds",
    "Time to create a ticket, from the service call to its commit.",
    ["record_type"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
RETRIES = Counter(
    "itsm_ticket_retry_attempts_total",
    "Work retried after a failure: a background job rescheduled after an error or a lapsed lease.",
    ["operation", "reason"],
    registry=REGISTRY,
)
VALIDATION_ERRORS = Counter(
    "itsm_validation_errors_total",
    "Input refused as invalid (422): by the request schema or by a service rule, per route template.",
    ["source", "route"],
    registry=REGISTRY,
)
TEMPLATE_ERRORS = Counter(
    "itsm_template_rendering_errors_total",
    "Templates that failed to render, by template name.",
    ["template"],
    registry=REGISTRY,
)
TIME_TO_ACKNOWLEDGE = Histogram(
    "itsm_ticket_time_to_acknowledge_seconds",
    "From a ticket's creation to its first acknowledgement (wall-clock seconds).",
    ["record_type", "priority"],
    buckets=WAIT_BUCKETS,
    registry=REGISTRY,
)
TIME_TO_RESOLVE = Histogram(
    "itsm_ticket_time_to_resolve_seconds",
    "From a ticket's creation to its resolution (wall-clock seconds; each resolution after a reopen).",
    ["record_type", "priority"],
    buckets=WAIT_BUCKETS,
    registry=REGISTRY,
)
ALERT_INTAKE = Counter(
    "itsm_alert_intake_total",
    "Monitoring alerts received, by integration and what became of them.",
    ["integration", "result"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "vigil_http_request_duration_seconds",
    "HTTP request latency by method, route template (never the raw path) and status code.",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)

#: What alert intake may report; anything else is counted as "other" to keep the label bounded.
INTAKE_RESULTS = frozenset({"created", "attached", "resolved", "stored", "rejected", "failed", "duplicate"})


def after_commit(session: Session, count: Callable[[], None]) -> None:
    """Run `count` once `session`'s unit of work commits; a rolled-back change counts nothing."""

    def hook(_db: object) -> None:
        try:
            count()
        except Exception:  # a metric must never fail the request that already committed
            log.warning("could not record a metric", exc_info=True)

    session.info.setdefault("after_commit", set()).add(hook)


def ticket_created(session: Session, record_type: str, priority: str, channel: str, started: float) -> None:
    """Count a created ticket and its creation time (`started`: `time.perf_counter()` at the call)."""

    def count() -> None:
        TICKETS_CREATED.labels(record_type, priority, channel).inc()
        CREATION_DURATION.labels(record_type).observe(_elapsed(started))

    after_commit(session, count)


def acknowledged(session: Session, record_type: str, priority: str, created: datetime, at: datetime) -> None:
    seconds = max(0.0, (at - created).total_seconds())
    after_commit(session, lambda: TIME_TO_ACKNOWLEDGE.labels(record_type, priority).observe(seconds))


def resolved(session: Session, record_type: str, priority: str, created: datetime, at: datetime) -> None:
    seconds = max(0.0, (at - created).total_seconds())
    after_commit(session, lambda: TIME_TO_RESOLVE.labels(record_type, priority).observe(seconds))


def retried(session: Session, operation: str, reason: str) -> None:
    after_commit(session, lambda: RETRIES.labels(operation, reason).inc())


def validation_error(source: str, route: str) -> None:
    """Count a 422 (nothing was written, so there is no commit to wait for)."""
    VALIDATION_ERRORS.labels(source, route).inc()


def template_error(template: str) -> None:
    TEMPLATE_ERRORS.labels(template).inc()


def alert_intake(integration: str, result: str) -> None:
    """Count one alert received from `integration` and what became of it (see INTAKE_RESULTS)."""
    ALERT_INTAKE.labels(integration, result if result in INTAKE_RESULTS else "other").inc()


def http_request(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_DURATION.labels(method, route, str(status)).observe(seconds)


def _elapsed(started: float) -> float:
    return time.perf_counter() - started


# --- gauges read from the database at scrape time -------------------------------------------------

Samples: TypeAlias = Iterable[tuple[tuple[str, ...], float]]
Reader: TypeAlias = Callable[[Session, datetime], Samples]


@dataclass(frozen=True)
class GaugeSpec:
    name: str
    documentation: str
    labels: tuple[str, ...]
    read: Reader


GAUGES: dict[str, GaugeSpec] = {}


def gauge(name: str, documentation: str, labels: tuple[str, ...] = ()) -> Callable[[Reader], Reader]:
    """Register `read(session, now)` as the source of gauge `name`: (label values, value) pairs.

    It runs at every scrape, so it must be a cheap indexed query (never a COUNT over a growing table).
    """

    def register(read: Reader) -> Reader:
        GAUGES[name] = GaugeSpec(name, documentation, labels, read)
        return read

    return register


class _DatabaseGauges:
    """A prometheus_client collector over the registered gauge readers, for one scrape."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now

    def collect(self) -> Iterator[Metric]:
        for spec in GAUGES.values():
            family = GaugeMetricFamily(spec.name, spec.documentation, labels=list(spec.labels))
            for values, value in spec.read(self.session, self.now):
                family.add_metric(list(values), value)
            yield family


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def exposition(session: Session, now: datetime) -> tuple[bytes, str]:
    """The text exposition of every metric (and its content type), gauges read through `session`."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess():
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client leaves it untyped
    else:
        registry.register(REGISTRY)
    registry.register(_DatabaseGauges(session, now))
    return generate_latest(registry), CONTENT_TYPE_LATEST
