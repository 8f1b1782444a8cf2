"""Configuration item table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from vigil.core import clock
from vigil.core.db import Base, UUIDPk


class ConfigurationItem(UUIDPk, Base):
    __tablename__ = "configuration_item"
    __table_args__ = (Index("ix_configuration_item_updated_at", "updated_at", "id"),)

    name: Mapped[str] = mapped_column(String(200), unique=True)
    ci_type: Mapped[str] = mapped_column(String(60), default="service")
    status: Mapped[str] = mapped_column(String(30), default="operational")
    created_at: Mapped[datetime]
    #: Moved by every change (sync clients list with `updated_after` and `sort=updated_at`).
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    #: Bumped by every change: the ETag clients send back in If-Match.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}
