"""CMDB tables: CI classes (with their attribute schemas), configuration items, their external ids, and the
typed, directed relationships between them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vigil.auth.models import Team
from vigil.core import clock
from vigil.core.db import Base, UUIDPk


class CIClass(Base):
    """A kind of configuration item. Built-in classes cannot be removed; admins add their own, each with a
    JSON Schema its CIs' `attributes` are validated against on every write."""

    __tablename__ = "ci_class"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    #: A service (business or technical): what impact analysis reports as "affected services".
    is_service: Mapped[bool] = mapped_column(default=False)
    #: Requesters may see and pick CIs of this class (the services they report a problem with).
    requester_visible: Mapped[bool] = mapped_column(default=False)
    builtin: Mapped[bool] = mapped_column(default=False)
    attribute_schema: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class ConfigurationItem(UUIDPk, Base):
    __tablename__ = "configuration_item"
    __table_args__ = (
        Index("ix_configuration_item_updated_at", "updated_at", "id"),
        UniqueConstraint("ci_class", "environment", "name"),
        Index("ix_configuration_item_name", "name", "id"),
    )

    name: Mapped[str] = mapped_column(String(200))
    ci_class: Mapped[str] = mapped_column(ForeignKey("ci_class.key"), index=True)
    #: prod, staging or dev.
    environment: Mapped[str] = mapped_column(String(20), default="prod", server_default="prod")
    #: Lifecycle: planned, active, maintenance, retired.
    status: Mapped[str] = mapped_column(String(30), default="active", index=True)
    #: 1 (most critical) to 4.
    criticality: Mapped[int] = mapped_column(default=3, server_default="3")
    owner_team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("team.id", ondelete="SET NULL"), index=True
    )
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    #: Moved by every change (sync clients list with `updated_after` and `sort=updated_at`).
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    #: Bumped by every change: the ETag clients send back in If-Match.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    owner_team: Mapped[Team | None] = relationship()
    external_ids: Mapped[list[CIExternalId]] = relationship(
        back_populates="ci", cascade="all, delete-orphan", order_by="CIExternalId.source"
    )


class CIExternalId(Base):
    """The CI's id in another system (NetBox, a cloud inventory): unique per source."""

    __tablename__ = "ci_external_id"

    source: Mapped[str] = mapped_column(String(60), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    ci_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("configuration_item.id", ondelete="CASCADE"), index=True
    )

    ci: Mapped[ConfigurationItem] = relationship(back_populates="external_ids")


class CIRelationship(UUIDPk, Base):
    """`source` <kind> `target`: an app runs_on a host, a service depends_on a database.

    `impact_from_id` -> `impact_to_id` is the same edge in the direction a failure travels (from the
    target to the source for every kind but part_of, where a part's failure reaches the whole), kept on
    the row so impact analysis is one indexed recursive join."""

    __tablename__ = "ci_relationship"
    __table_args__ = (
        UniqueConstraint("source_id", "target_id", "kind"),
        Index("ix_ci_relationship_target", "target_id"),
        # Covering: the impact walk reads every column it needs (the kind too) from the index alone.
        Index("ix_ci_relationship_impact_from", "impact_from_id", "impact_to_id", "kind"),
        Index("ix_ci_relationship_impact_to", "impact_to_id", "impact_from_id", "kind"),
    )

    source_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("configuration_item.id", ondelete="CASCADE"))
    target_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("configuration_item.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    impact_from_id: Mapped[uuid.UUID] = mapped_column()
    impact_to_id: Mapped[uuid.UUID] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    source: Mapped[ConfigurationItem] = relationship(foreign_keys=[source_id])
    target: Mapped[ConfigurationItem] = relationship(foreign_keys=[target_id])
