"""Numbers from a PostgreSQL sequence per prefix, so no create waits on another (SQLite keeps counters)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 22:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The prefixes that exist at this revision; each later domain's migration creates its own.
PREFIXES = ("INC",)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    counters: dict[str, int] = dict(
        bind.execute(sa.text("SELECT prefix, last_value FROM number_sequence")).all()
    )
    for prefix in sorted(set(PREFIXES) | set(counters)):
        name = f"number_seq_{prefix.lower()}"
        op.execute(f"CREATE SEQUENCE IF NOT EXISTS {name}")
        last = int(counters.get(prefix, 0))
        if last > 0:
            op.execute(f"SELECT setval('{name}', {last}, true)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    names = bind.execute(
        sa.text(
            "SELECT sequence_name FROM information_schema.sequences WHERE sequence_name LIKE 'number_seq_%'"
        )
    ).scalars()
    for name in list(names):
        prefix = name.removeprefix("number_seq_").upper()
        last = bind.execute(sa.text(f"SELECT last_value, is_called FROM {name}")).one()
        value = int(last[0]) if last[1] else 0
        bind.execute(
            sa.text(
                "INSERT INTO number_sequence (prefix, last_value) VALUES (:p, :v) "
                "ON CONFLICT (prefix) DO UPDATE SET last_value = EXCLUDED.last_value"
            ),
            {"p": prefix, "v": value},
        )
        op.execute(f"DROP SEQUENCE {name}")
