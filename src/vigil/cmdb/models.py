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
