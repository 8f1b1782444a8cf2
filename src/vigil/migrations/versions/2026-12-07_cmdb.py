"""cmdb: CI classes, lifecycle, environment, criticality, owner, attributes, external ids, relationships,
and the services an incident impacts

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: key, label, is_service, requester_visible (a copy: migrations never import app code)
BUILTIN = (
    ("business_service", "Business service", True, True),
    ("technical_service", "Technical service", True, True),
    ("application", "Application", False, True),
    ("host", "Host", False, False),
    ("virtual_machine", "Virtual machine", False, False),
    ("container", "Container", False, False),
    ("database", "Database", False, False),
    ("network_device", "Network device", False, False),
    ("storage", "Storage", False, False),
    ("certificate", "Certificate", False, False),
)
#: Old free-text types that name a built-in class.
OLD_TYPES = {
    "service": "business_service",
    "vm": "virtual_machine",
    "server": "host",
    "network": "network_device",
}
OLD_STATUS = {
    "operational": "active",
    "planned": "planned",
    "maintenance": "maintenance",
    "retired": "retired",
}


def _class_table() -> sa.TableClause:
    return sa.table(
        "ci_class",
        sa.column("key", sa.String),
        sa.column("label", sa.String),
        sa.column("description", sa.Text),
        sa.column("is_service", sa.Boolean),
        sa.column("requester_visible", sa.Boolean),
        sa.column("builtin", sa.Boolean),
        sa.column("attribute_schema", sa.JSON),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("version", sa.Integer),
    )


def _slug(value: str) -> str:
    slug = re.sub(r"[^a-z0-9_]+", "_", value.strip().lower()).strip("_")[:60]
    return slug if slug and slug[0].isalpha() else f"c_{slug}"[:60]


def _classes_for_existing_types(bind: sa.engine.Connection) -> dict[str, str]:
    """old ci_type -> class key, adding a custom class for each type that names no built-in one."""
    keys = {key for key, *_ in BUILTIN}
    mapping: dict[str, str] = {}
    for (old,) in bind.execute(sa.text("SELECT DISTINCT ci_type FROM configuration_item")):
        key = OLD_TYPES.get(old, old if old in keys else _slug(old))
        mapping[old] = key
    return mapping


def upgrade() -> None:
    op.create_table(
        "ci_class",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_service", sa.Boolean(), nullable=False),
        sa.Column("requester_visible", sa.Boolean(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("attribute_schema", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_ci_class")),
    )
    bind = op.get_bind()
    now = datetime.now(UTC)
    mapping = _classes_for_existing_types(bind)
    rows = [
        dict(key=k, label=label, is_service=svc, requester_visible=vis, builtin=True)
        for k, label, svc, vis in BUILTIN
    ]
    known = {row["key"] for row in rows}
    for old, key in sorted(mapping.items()):
        if key not in known:
            known.add(key)
            rows.append(
                dict(key=key, label=old[:200], is_service=False, requester_visible=False, builtin=False)
            )
    op.bulk_insert(
        _class_table(),
        [{**row, "description": "", "attribute_schema": {}, "updated_at": now, "version": 1} for row in rows],
    )
    for old, key in mapping.items():
        bind.execute(
            sa.text("UPDATE configuration_item SET ci_type = :key WHERE ci_type = :old"),
            {"key": key, "old": old},
        )
    for old, new in OLD_STATUS.items():
        bind.execute(
            sa.text("UPDATE configuration_item SET status = :new WHERE status = :old"),
            {"new": new, "old": old},
        )
    bind.execute(
        sa.text("UPDATE configuration_item SET status = 'active' WHERE status NOT IN :known").bindparams(
            sa.bindparam("known", expanding=True)
        ),
        {"known": list(set(OLD_STATUS.values()))},
    )

    with op.batch_alter_table("configuration_item", schema=None) as batch_op:
        batch_op.alter_column("ci_type", new_column_name="ci_class", existing_type=sa.String(length=60))
        batch_op.add_column(
            sa.Column("environment", sa.String(length=20), server_default="prod", nullable=False)
        )
        batch_op.add_column(sa.Column("criticality", sa.Integer(), server_default="3", nullable=False))
        batch_op.add_column(sa.Column("owner_team_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("description", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("attributes", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("tags", sa.JSON(), nullable=True))
    op.execute("UPDATE configuration_item SET attributes = '{}', tags = '[]'")
    with op.batch_alter_table("configuration_item", schema=None) as batch_op:
        batch_op.alter_column("attributes", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("tags", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_constraint("uq_configuration_item_name", type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_configuration_item_ci_class"), ["ci_class", "environment", "name"]
        )
        batch_op.create_index("ix_configuration_item_name", ["name", "id"], unique=False)
        batch_op.create_index(op.f("ix_configuration_item_ci_class"), ["ci_class"], unique=False)
        batch_op.create_index(op.f("ix_configuration_item_status"), ["status"], unique=False)
        batch_op.create_index(op.f("ix_configuration_item_owner_team_id"), ["owner_team_id"], unique=False)
        batch_op.create_foreign_key(
            op.f("fk_configuration_item_ci_class_ci_class"), "ci_class", ["ci_class"], ["key"]
        )
        batch_op.create_foreign_key(
            op.f("fk_configuration_item_owner_team_id_team"),
            "team",
            ["owner_team_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "ci_external_id",
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("ci_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ci_id"],
            ["configuration_item.id"],
            name=op.f("fk_ci_external_id_ci_id_configuration_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source", "external_id", name=op.f("pk_ci_external_id")),
    )
    with op.batch_alter_table("ci_external_id", schema=None) as batch_op:
        batch_op.create_index(op.f("ix_ci_external_id_ci_id"), ["ci_id"], unique=False)

    op.create_table(
        "ci_relationship",
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("impact_from_id", sa.Uuid(), nullable=False),
        sa.Column("impact_to_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["configuration_item.id"],
            name=op.f("fk_ci_relationship_source_id_configuration_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["configuration_item.id"],
            name=op.f("fk_ci_relationship_target_id_configuration_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ci_relationship")),
        sa.UniqueConstraint("source_id", "target_id", "kind", name=op.f("uq_ci_relationship_source_id")),
    )
    with op.batch_alter_table("ci_relationship", schema=None) as batch_op:
        batch_op.create_index("ix_ci_relationship_target", ["target_id"], unique=False)
        batch_op.create_index(
            "ix_ci_relationship_impact_from", ["impact_from_id", "impact_to_id", "kind"], unique=False
        )
        batch_op.create_index(
            "ix_ci_relationship_impact_to", ["impact_to_id", "impact_from_id", "kind"], unique=False
        )

    op.create_table(
        "incident_service_impact",
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("ci_id", sa.Uuid(), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ci_id"],
            ["configuration_item.id"],
            name=op.f("fk_incident_service_impact_ci_id_configuration_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_service_impact_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "ci_id", name=op.f("pk_incident_service_impact")),
    )
    with op.batch_alter_table("incident_service_impact", schema=None) as batch_op:
        batch_op.create_index(op.f("ix_incident_service_impact_ci_id"), ["ci_id"], unique=False)


def downgrade() -> None:
    op.drop_table("incident_service_impact")
    op.drop_table("ci_relationship")
    op.drop_table("ci_external_id")
    bind = op.get_bind()
    # Back to one CI per name: keep the first of each name, suffix the others with their class and environment.
    rows = bind.execute(
        sa.text(
            "SELECT id, name, ci_class, environment FROM configuration_item ORDER BY name, created_at, id"
        )
    ).all()
    seen: set[str] = set()
    for ci_id, name, ci_class, environment in rows:
        if name in seen:
            bind.execute(
                sa.text("UPDATE configuration_item SET name = :name WHERE id = :id"),
                {"name": f"{name} ({ci_class}, {environment})"[:200], "id": ci_id},
            )
        seen.add(name)
    with op.batch_alter_table("configuration_item", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_configuration_item_owner_team_id_team"), type_="foreignkey")
        batch_op.drop_constraint(op.f("fk_configuration_item_ci_class_ci_class"), type_="foreignkey")
        batch_op.drop_index(op.f("ix_configuration_item_owner_team_id"))
        batch_op.drop_index(op.f("ix_configuration_item_status"))
        batch_op.drop_index(op.f("ix_configuration_item_ci_class"))
        batch_op.drop_index("ix_configuration_item_name")
        batch_op.drop_constraint(op.f("uq_configuration_item_ci_class"), type_="unique")
        batch_op.create_unique_constraint("uq_configuration_item_name", ["name"])
        batch_op.drop_column("tags")
        batch_op.drop_column("attributes")
        batch_op.drop_column("description")
        batch_op.drop_column("owner_team_id")
        batch_op.drop_column("criticality")
        batch_op.drop_column("environment")
        batch_op.alter_column("ci_class", new_column_name="ci_type", existing_type=sa.String(length=60))
    op.execute("UPDATE configuration_item SET status = 'operational' WHERE status = 'active'")
    op.drop_table("ci_class")
