"""User, team and team-membership tables."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vigil.auth.roles import Role
from vigil.core.db import Base, UUIDPk

team_member = Table(
    "team_member",
    Base.metadata,
    Column("team_id", ForeignKey("team.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
)


class User(UUIDPk, Base):
    __tablename__ = "user_account"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32), default=Role.REQUESTER)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]

    teams: Mapped[list[Team]] = relationship(secondary=team_member, back_populates="members")


class Team(UUIDPk, Base):
    __tablename__ = "team"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    manager_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    members: Mapped[list[User]] = relationship(secondary=team_member, back_populates="teams")
