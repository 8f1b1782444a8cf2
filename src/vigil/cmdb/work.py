"""Open work on configuration items, as the domains above the CMDB report it.

The CMDB sits below incidents (and later changes and problems), so it cannot query their tables; each of
those domains registers a provider here when it is imported, and the CMDB asks them all, for the checks
it makes itself (retiring a CI with open work) and for the CI page's "open work" list."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Select
from sqlalchemy.orm import Session

from vigil.core.actor import Actor


@dataclass(frozen=True)
class WorkItem:
    kind: str  # "incident", later "change", "problem"
    number: str
    title: str
    status: str
    priority: str | None
    #: The CI (of those asked about) the work is on.
    ci_id: uuid.UUID
    link: str


#: CI ids, as a list or as a query of one column (the CIs a walk reached, never loaded into Python).
CIIds = list[uuid.UUID] | Select[tuple[uuid.UUID]]
#: (session, actor, ci ids) -> the open work `actor` may see on those CIs.
Provider = Callable[[Session, Actor, CIIds], list[WorkItem]]
PROVIDERS: dict[str, Provider] = {}


def register(kind: str, provider: Provider) -> None:
    PROVIDERS[kind] = provider


def open_work(session: Session, actor: Actor, ci_ids: CIIds) -> list[WorkItem]:
    """The open work on any of `ci_ids`, from every registered domain, by number."""
    if isinstance(ci_ids, list) and not ci_ids:
        return []
    items = [item for provider in PROVIDERS.values() for item in provider(session, actor, ci_ids)]
    return sorted(items, key=lambda item: (item.kind, item.number))
