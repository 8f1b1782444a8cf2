"""Incident, its comments and work notes, its affected CIs, and the configurable category list."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vigil.auth.models import Team, User
from vigil.cmdb.models import ConfigurationItem
from vigil.core import clock, search
from vigil.core.db import Base, UUIDPk
from vigil.sla.models import SlaClock

incident_ci = Table(
    "incident_ci",
    Base.metadata,
    Column("incident_id", ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True),
    Column("ci_id", ForeignKey("configuration_item.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class IncidentCategory(Base):
    __tablename__ = "incident_category"
    __table_args__ = (Index("ix_incident_category_updated_at", "updated_at"),)

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    #: Moved by every change (sync clients list with `updated_after` and `sort=updated_at`).
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    #: Bumped by every change: the ETag clients send back in If-Match.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


#: The incident text searched by `q` (indexed by migration 0008; keep the two equal).
SEARCH = search.FullText("incident", ("title", "description"))


class Incident(UUIDPk, Base):
    __tablename__ = "incident"
    __table_args__ = (
        Index("ix_incident_created", "created_at", "id"),
        # Queue filters read the newest rows of one status (and priority) straight off these indexes,
        # instead of fetching every matching row and sorting it.
        Index("ix_incident_status_priority", "status", "priority", "created_at", "id"),
        Index("ix_incident_status_created", "status", "created_at", "id"),
    )

    number: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(ForeignKey("incident_category.name"), index=True)
    impact: Mapped[str] = mapped_column(String(10))
    urgency: Mapped[str] = mapped_column(String(10))
    priority: Mapped[str] = mapped_column(String(2))
    priority_reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    requester_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    assigned_to_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    assignment_group_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("team.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(index=True)
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    resolution_code: Mapped[str | None] = mapped_column(String(40))
    resolution_notes: Mapped[str | None] = mapped_column(Text)
    root_cause: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("incident.id"), index=True)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: The support level holding it (1-4: L1 service desk ... L4 vendor); functional escalation raises it.
    escalation_level: Mapped[int] = mapped_column(default=1, server_default="1")
    version: Mapped[int] = mapped_column(default=1)

    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    assignment_group: Mapped[Team | None] = relationship()
    affected_cis: Mapped[list[ConfigurationItem]] = relationship(
        secondary=incident_ci, order_by="ConfigurationItem.name"
    )
    #: The business and technical services its affected CIs reach (computed by the CMDB's impact analysis
    #: whenever the affected CIs change), nearest first.
    impacted_services: Mapped[list[IncidentServiceImpact]] = relationship(
        cascade="all, delete-orphan", order_by="IncidentServiceImpact.distance"
    )
    parent: Mapped[Incident | None] = relationship(remote_side="Incident.id")
    #: Its SLA clocks (response, resolution): the SLA engine's rows, which name their record by type and id.
    sla_clocks: Mapped[list[SlaClock]] = relationship(
        primaryjoin="and_(foreign(SlaClock.record_id) == Incident.id, SlaClock.record_type == 'incident')",
        viewonly=True,
        order_by="SlaClock.metric",
    )

    #: Not stored: whether the actor who loaded this incident may see its parent (set by the service,
    #: through the parent's own visibility predicate). False until checked, so nothing leaks by default.
    parent_visible: bool = False

    __mapper_args__ = {"version_id_col": version}


class IncidentServiceImpact(Base):
    """A service an incident's affected CIs reach, and how far away it is (0: a service itself affected)."""

    __tablename__ = "incident_service_impact"

    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True
    )
    ci_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("configuration_item.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    distance: Mapped[int] = mapped_column(default=0)

    ci: Mapped[ConfigurationItem] = relationship(lazy="joined")


class IncidentComment(UUIDPk, Base):
    """A comment (visible to the requester) or, when `internal`, a work note for staff only."""

    __tablename__ = "incident_comment"
    __table_args__ = (Index("ix_incident_comment_incident", "incident_id", "created_at"),)

    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    author_name: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]


class EscalationLevel(UUIDPk, Base):
    """One step of the functional escalation chain: level 1 (L1) to 4 (L4), each held by a team."""

    __tablename__ = "incident_escalation_level"

    level: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(120))
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    team: Mapped[Team] = relationship()
