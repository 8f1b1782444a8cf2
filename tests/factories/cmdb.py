"""Configuration items for tests, registered and related through the CMDB service like every writer."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from vigil.cmdb import service
from vigil.cmdb.models import CIRelationship, ConfigurationItem
from vigil.cmdb.schemas import CICreate
from vigil.core.actor import Actor

_seq = itertools.count(1)


def make_ci(session: Session, admin: Actor, name: str | None = None, **fields: Any) -> ConfigurationItem:
    fields.setdefault("ci_class", "host")
    return service.create(
        session=session, actor=admin, data=CICreate(name=name or f"ci-{next(_seq)}", **fields)
    )


def relate(
    session: Session, admin: Actor, source: ConfigurationItem, kind: str, target: ConfigurationItem
) -> CIRelationship:
    return service.add(session, admin, source, kind, target)
