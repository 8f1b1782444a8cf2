"""Human ticket numbers (INC-000123): unique and increasing under concurrency, never waited on.

On PostgreSQL each prefix has its own sequence (`number_seq_inc`): `nextval` takes no lock that lasts
until commit, so concurrent creates never queue behind each other. A rolled-back create leaves a gap, as
ServiceNow's numbers do. On SQLite, where writers are serialised anyway, a counter row per prefix is
incremented in the writer's transaction (gap-free there).
"""

from __future__ import annotations

import re

from sqlalchemy import String, Table, bindparam, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from vigil.core.db import Base

_PREFIX = re.compile(r"^[A-Z]{2,8}$")


class NumberSequence(Base):
    __tablename__ = "number_sequence"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)


def sequence_name(prefix: str) -> str:
    """The PostgreSQL sequence behind `prefix` (validated: it becomes an identifier)."""
    if not _PREFIX.match(prefix):
        raise ValueError(f"a number prefix is 2-8 capital letters, not {prefix!r}")
    return f"number_seq_{prefix.lower()}"


def next_number(session: Session, prefix: str, width: int = 6) -> str:
    """Allocate the next number for `prefix` in the current transaction, e.g. `INC-000124`."""
    if session.get_bind().dialect.name == "postgresql":
        value = _next_from_sequence(session, prefix)
    else:
        value = _next_from_counter(session, prefix)
    return f"{prefix}-{value:0{width}d}"


#: Sequences this process has seen exist, so a create costs one round trip for its number.
_known: set[str] = set()


def _next_from_sequence(session: Session, prefix: str) -> int:
    name = sequence_name(prefix)
    if name not in _known:
        # Sequences are created by migrations; this covers a prefix that has none yet.
        if session.scalar(text(f"SELECT to_regclass('{name}')")) is None:
            session.execute(text(f"CREATE SEQUENCE IF NOT EXISTS {name}"))
        else:
            _known.add(name)  # only once committed elsewhere is it known to exist for every session
    return int(session.execute(text(f"SELECT nextval('{name}')")).scalar_one())


_COUNTER: Table = NumberSequence.__table__  # type: ignore[assignment]
#: The counter's UPDATE as a plain Core statement on the session's connection: no ORM bookkeeping.
_BUMP = (
    update(_COUNTER)
    .where(_COUNTER.c.prefix == bindparam("p"))
    .values(last_value=_COUNTER.c.last_value + 1)
    .returning(_COUNTER.c.last_value)
)


def _next_from_counter(session: Session, prefix: str) -> int:
    value = session.connection().execute(_BUMP, {"p": prefix}).scalar_one_or_none()
    if value is None:
        _create_counter(session, prefix)
        value = session.connection().execute(_BUMP, {"p": prefix}).scalar_one()
    return int(value)


def _create_counter(session: Session, prefix: str) -> None:
    # A concurrent creator that wins the race makes our insert fail, which is fine: the row exists.
    try:
        with session.begin_nested():
            session.execute(insert(NumberSequence).values(prefix=prefix, last_value=0))
    except IntegrityError:
        pass
    session.execute(select(NumberSequence.prefix).where(NumberSequence.prefix == prefix)).scalar_one()
