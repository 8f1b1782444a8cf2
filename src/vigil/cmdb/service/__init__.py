"""CMDB use cases. Every adapter (API, UI, CLI, library, imports) calls these and nothing else writes."""

from vigil.cmdb.service.classes import create_class, get_class, list_classes, require_class, update_class
from vigil.cmdb.service.impact import impact, impacted_services, open_work_below
from vigil.cmdb.service.records import (
    create,
    get,
    history,
    history_page,
    list_cis,
    page_cis,
    resolve,
    resolve_many,
    snapshot,
    update,
)
from vigil.cmdb.service.relationships import add, relate, relationships, unrelate

__all__ = [
    "add",
    "create",
    "create_class",
    "get",
    "get_class",
    "history",
    "history_page",
    "impact",
    "impacted_services",
    "list_cis",
    "list_classes",
    "open_work_below",
    "page_cis",
    "relate",
    "relationships",
    "require_class",
    "resolve",
    "resolve_many",
    "snapshot",
    "unrelate",
    "update",
    "update_class",
]
