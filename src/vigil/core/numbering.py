"""Human ticket numbers (INC-000123): gap-free and unique under concurrency on SQLite and PostgreSQL.

A counter row per prefix is incremented with UPDATE ... RETURNING inside the caller's transaction. The
row lock serialises concurrent creators until commit, and a rollback undoes the increment, so numbers
never repeat and never skip.
"""

from __future__ import annotations

from sqlalchemy import String, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from vigil.core.db import Base


class NumberSequence(Base):
    __tablename__ = "number_sequence"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)


def next_number(session: Session, prefix: str, width: int = 6) -> str:
    """Allocate the next number for `prefix` in the current transaction, e.g. `INC-000124`."""
    stmt = (
        update(NumberSequence)
        .where(NumberSequence.prefix == prefix)
        .values(last_value=NumberSequence.last_value + 1)
        .returning(NumberSequence.last_value)
    )
    value = session.execute(stmt).scalar_one_or_none()
    if value is None:
        _create_sequence(session, prefix)
        value = session.execute(stmt).scalar_one()
    return f"{prefix}-{value:0{width}d}"


def _create_sequence(session: Session, prefix: str) -> None:
    # Sequences are normally created by migrations; this covers a new prefix. A concurrent creator
    # that wins the race makes our insert fail, which is fine: the row exists either way.
    try:
        with session.begin_nested():
            session.execute(insert(NumberSequence).values(prefix=prefix, last_value=0))
    except IntegrityError:
        pass
    session.execute(select(NumberSequence.prefix).where(NumberSequence.prefix == prefix)).scalar_one()
