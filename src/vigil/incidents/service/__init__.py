"""Incident use cases. Every adapter (API, UI, CLI, library, jobs) calls these and nothing else writes."""

from vigil.incidents.service import categories, clocks, escalation
from vigil.incidents.service.present import to_read
from vigil.incidents.service.records import count_incidents, create, get, list_incidents, update
from vigil.incidents.service.workflow import (
    NOTE_ACTIONS,
    acknowledge,
    add_comment,
    cancel,
    close,
    comment,
    comments,
    hold,
    reopen,
    resolve,
    resume,
    timeline,
    timeline_page,
)

__all__ = [
    "NOTE_ACTIONS",
    "acknowledge",
    "add_comment",
    "categories",
    "clocks",
    "escalation",
    "cancel",
    "close",
    "comment",
    "comments",
    "create",
    "get",
    "hold",
    "list_incidents",
    "count_incidents",
    "reopen",
    "resolve",
    "resume",
    "timeline",
    "timeline_page",
    "to_read",
    "update",
]
