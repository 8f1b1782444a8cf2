"""User, team and team-membership tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vigil.auth.roles import Role
from vigil.core import clock
from vigil.core.db import Base, UUIDPk

team_member = Table(
    "team_member",
    Base.metadata,
    Column("team_id", ForeignKey("team.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
)


class User(UUIDPk, Base):
    __tablename__ = "user_account"
    __table_args__ = (Index("ix_user_account_updated_at", "updated_at", "id"),)

    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32), default=Role.REQUESTER)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    #: Moved by every change (sync clients list with `updated_after` and `sort=updated_at`).
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    #: argon2id hash; None means the account cannot log in with a password.
    password_hash: Mapped[str | None] = mapped_column(Text)
    password_changed_at: Mapped[datetime | None]
    #: Bumped by every change: the ETag clients send back in If-Match.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    teams: Mapped[list[Team]] = relationship(secondary=team_member, back_populates="members")


class Team(UUIDPk, Base):
    __tablename__ = "team"
    __table_args__ = (Index("ix_team_updated_at", "updated_at", "id"),)

    name: Mapped[str] = mapped_column(String(120), unique=True)
    manager_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    #: Moved by every change (sync clients list with `updated_after` and `sort=updated_at`).
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    #: Bumped by every change: the ETag clients send back in If-Match.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    members: Mapped[list[User]] = relationship(
        secondary=team_member, back_populates="teams", order_by="User.display_name"
    )
    manager: Mapped[User | None] = relationship(foreign_keys=[manager_id])


class UserSession(UUIDPk, Base):
    """A web login. The cookie holds a random secret; only its SHA-256 is stored."""

    __tablename__ = "user_session"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))

    user: Mapped[User] = relationship()


class ApiToken(UUIDPk, Base):
    """A personal access token. Shown once; only its SHA-256 is stored, looked up per request."""

    __tablename__ = "api_token"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """Recent login attempts, for rate limiting across every API process."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_at", "email", "at"),
        Index("ix_login_attempt_ip_at", "ip", "at"),
        Index("ix_login_attempt_device_at", "device", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool]
    at: Mapped[datetime]
    #: SHA-256 of the browser's device cookie when it presented one (known-good devices skip lockouts).
    device: Mapped[str | None] = mapped_column(String(64))
