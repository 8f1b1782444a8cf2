"""Configuration item table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from vigil.core.db import Base, UUIDPk


class ConfigurationItem(UUIDPk, Base):
    __tablename__ = "configuration_item"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    ci_type: Mapped[str] = mapped_column(String(60), default="service")
    status: Mapped[str] = mapped_column(String(30), default="operational")
    created_at: Mapped[datetime]
    #: Bumped by every change: the ETag clients send back in If-Match.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}
