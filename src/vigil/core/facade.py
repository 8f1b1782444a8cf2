"""The library facade's plumbing, shared by every domain's facet (`v.incidents`, `v.users`, ...).

A facet method says once what it does, as an `Operation`: the service call that runs it in-process and
the REST request that runs it on a server. A `Transport` carries it out: `LocalTransport` in one unit of
work on a database, `vigil.remote.HttpTransport` over the API. Both give back the same schema objects and
raise the same `core.errors`, so a script moves from a database URL to a server URL unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from vigil.core import validation
from vigil.core.actor import Actor
from vigil.core.db import Database
from vigil.core.errors import Invalid
from vigil.core.jobs import worker
from vigil.core.schemas import Collection

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")
T = TypeVar("T")


@dataclass(frozen=True)
class Operation(Generic[R]):
    """One facade call, for either transport.

    `local(session, actor)` is the service call (converting what it returns to a schema inside the
    transaction); `method` and `path` (under /api/v1) the REST request, with `body` (a schema: only the
    fields the caller set are sent) and `query`; `answer` turns the REST answer's JSON into the same
    schema. `if_match` is the version the caller read (sent as If-Match); `keyed` marks a POST that takes
    an Idempotency-Key, so a retried request cannot act twice. `files` (and `form`) send an upload,
    `raw` reads a download.
    """

    local: Callable[[Session, Actor], R]
    method: str
    path: str
    answer: Callable[[Any], R]
    body: BaseModel | None = None
    query: Mapping[str, Any] | None = None
    if_match: int | None = None
    keyed: bool = False
    #: A multipart upload instead of a JSON body: {field: (filename, content, content type)} and form fields.
    files: Mapping[str, tuple[str, bytes, str]] | None = None
    form: Mapping[str, str] | None = None
    #: The answer is the body's bytes (a download), handed to `answer` as they are.
    raw: bool = False

    @property
    def idempotent(self) -> bool:
        """Safe to send twice: a read, or a write the server runs at most once per Idempotency-Key."""
        return self.method in ("GET", "HEAD") or self.keyed


class Transport(Protocol):
    """Runs an operation as the connection's user and returns its answer, or raises a `VigilError`."""

    def run(self, op: Operation[R]) -> R: ...

    def close(self) -> None: ...


class LocalTransport:
    """In-process: each operation is one unit of work on the database, acting as `actor(session)`."""

    def __init__(self, db: Database, actor: Callable[[Session], Actor]) -> None:
        self.db = db
        self._actor = actor

    def run(self, op: Operation[R]) -> R:
        with self.db.unit_of_work() as session:
            return op.local(session, self._actor(session))

    def run_jobs(self) -> int:
        return worker.run_pending(self.db)

    def close(self) -> None:
        self.db.dispose()


def parse(model: type[M], data: dict[str, Any], *, keep_none: bool = False) -> M:
    """Validate keyword arguments into a schema; None means "not given" unless `keep_none` (updates).
    The Invalid raised carries each field's error, as the API's 422 does."""
    try:
        return model.model_validate(data if keep_none else {k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        errors = [{"field": f, "message": m} for f, m in validation.field_errors(exc)]
        raise Invalid(validation.summary(exc), errors=errors) from exc


def segment(ref: object) -> str:
    """A reference (number, UUID, name, email) as one path segment of a REST URL."""
    return quote(str(ref), safe="")


def query(filters: BaseModel, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """A filter schema as query parameters: only what differs from its defaults (lists repeat)."""
    values = filters.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
    return {k: v for k, v in values.items() if k not in skip}


def pages(fetch: Callable[[str | None], Collection[T]], *, start: str | None = None) -> Iterator[T]:
    """Every item of a paged list from cursor `start` on, fetching the next page (by its cursor) only
    when the last one is used up."""
    cursor = start
    while True:
        page = fetch(cursor)
        yield from page.items
        if not page.next_cursor:
            return
        cursor = page.next_cursor
