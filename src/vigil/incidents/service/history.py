"""An incident's history in words: "Sam Agent set status In progress and assigned it to themselves".

The audit trail stores what changed field by field, with references as people read them (emails, team
names, CI names, incident numbers). This module turns one recorded change into one sentence, with people
named as they are shown (display names, not emails) and fields by their labels, not column names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from vigil.auth.models import User
from vigil.core.validation import words

#: Field labels as people read them (the audit trail stores column names).
FIELD_LABELS = {
    "title": "title",
    "description": "description",
    "category": "category",
    "impact": "impact",
    "urgency": "urgency",
    "priority": "priority",
    "priority_reason": "priority reason",
    "status": "status",
    "requester": "requester",
    "assigned_to": "assignee",
    "assignment_group": "group",
    "affected_cis": "affected CIs",
    "impacted_services": "impacted services",
    "tags": "tags",
    "root_cause": "root cause",
    "parent": "duplicate of",
    "resolution_code": "resolution code",
    "resolution_notes": "resolution notes",
    "watchers": "watchers",
    "attachments": "attachments",
}
#: Lifecycle actions as verbs (what the actor did).
ACTION_VERBS = {
    "incident.create": "reported it",
    "incident.acknowledge": "acknowledged it",
    "incident.hold": "put it on hold",
    "incident.resume": "resumed work",
    "incident.resolve": "resolved it",
    "incident.close": "closed it",
    "incident.reopen": "reopened it",
    "incident.cancel": "cancelled it",
    "incident.auto_close": "closed it automatically",
}
#: Fields whose values are shown as words ("in_progress" -> "In progress").
_WORDY = {"status", "impact", "urgency", "resolution_code"}
#: Fields whose values are people, stored by email.
_PEOPLE = {"requester", "assigned_to", "watchers", "manager"}
#: Long text: say it changed, do not quote it.
_PROSE = {"description", "resolution_notes", "root_cause", "priority_reason"}
#: Changes a lifecycle verb already says.
_IMPLIED = {"status", "acknowledged_at", "resolved_at", "closed_at", "cancelled_at", "on_hold_since"}


def people_names(
    session: Session, changes: Iterable[dict[str, list[Any]]], actor_ids: Iterable[Any] = ()
) -> tuple[dict[str, str], dict[Any, str]]:
    """Display names of every person (by lower-cased email) named in these change sets, and the emails
    of the actors (by user id), in one query."""
    emails = {
        str(v).lower()
        for change in changes
        for field, pair in change.items()
        if field in _PEOPLE
        for v in pair
        if isinstance(v, str) and "@" in v
    }
    ids = {i for i in actor_ids if i is not None}
    # Names already looked up in this unit of work (the page asks again for the entries it shows).
    known: dict[str, str] = session.info.setdefault("people_names", {})
    if not ids and emails <= known.keys():
        return {e: known[e] for e in emails}, {}
    if not emails and not ids:
        return {}, {}
    rows = session.execute(
        select(User.id, func.lower(User.email), User.display_name).where(
            or_(func.lower(User.email).in_(emails), User.id.in_(ids))
        )
    )
    names: dict[str, str] = {}
    actors: dict[Any, str] = {}
    for user_id, email, name in rows:
        names[email] = name
        if user_id in ids:
            actors[user_id] = email
    known.update(names)
    return names, actors


def shown(field: str, value: Any, names: dict[str, str], actor_email: str | None = None) -> str:
    """One value of `field` as shown in the timeline; nothing is a dash."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(shown(field, v, names, actor_email) for v in value)
    if field in _PEOPLE and isinstance(value, str):
        return names.get(value.lower(), value)
    if field in _WORDY:
        return words(value)
    return str(value)


def field_label(field: str) -> str:
    """A recorded field's label for a heading or a list: "assigned_to" -> "Assignee"."""
    return words(FIELD_LABELS.get(field, field))


def _assignee(old: Any, new: Any, names: dict[str, str], actor_email: str | None) -> str:
    if new is None:
        return f"unassigned {shown('assigned_to', old, names)}"
    if actor_email and str(new).lower() == actor_email:
        return "assigned it to themselves"
    return f"assigned it to {shown('assigned_to', new, names)}"


def _watcher(old: Any, new: Any, names: dict[str, str], actor_email: str | None) -> str:
    if new is None:
        return f"removed {shown('watchers', old, names)} from the watchers"
    return f"added {shown('watchers', new, names)} as a watcher"


def _attachment(old: Any, new: Any, names: dict[str, str], actor_email: str | None) -> str:
    return f"attached {new}" if new is not None else f"deleted the attachment {old}"


def _duplicate(old: Any, new: Any, names: dict[str, str], actor_email: str | None) -> str:
    return f"marked it a duplicate of {new}" if new else "unmarked it as a duplicate"


def _set_change(label: str, old: Any, new: Any) -> str:
    before, after = set(old or []), set(new or [])
    parts = []
    if after - before:
        parts.append(f"added {label} {', '.join(sorted(after - before))}")
    if before - after:
        parts.append(f"removed {label} {', '.join(sorted(before - after))}")
    return " and ".join(parts) or f"left {label} unchanged"


_SPECIAL = {"assigned_to": _assignee, "watchers": _watcher, "attachments": _attachment, "parent": _duplicate}


def _phrase(field: str, old: Any, new: Any, names: dict[str, str], actor_email: str | None) -> str:
    label = FIELD_LABELS.get(field, field.replace("_", " "))
    if field in _SPECIAL:
        return _SPECIAL[field](old, new, names, actor_email)
    if field in {"affected_cis", "impacted_services", "tags"}:
        return _set_change(label, old, new)
    if field in _PROSE:
        return f"edited the {label}" if old not in (None, "") else f"added the {label}"
    if old in (None, "", []):
        return f"set {label} {shown(field, new, names)}"
    if new in (None, "", []):
        return f"cleared {label}"
    return f"changed {label} from {shown(field, old, names)} to {shown(field, new, names)}"


def _link_phrase(kind: str, old: Any, new: Any) -> str:
    relation = kind.replace("_", " ")
    return f"linked it ({relation}) to {new}" if new else f"removed the link ({relation}) to {old}"


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _sla_phrase(action: str, changes: dict[str, list[Any]]) -> str:
    """An SLA threshold the worker recorded: "warned that 75 % of the response time is used"."""
    sla = (changes.get("sla") or [None, {}])[-1] or {}
    what = f"{sla.get('metric', 'SLA')} time"
    if action == "incident.sla_breach":
        return f"recorded that the {what} target was missed"
    return f"warned that {sla.get('percent')} % of the {what} is used"


def _escalation_phrase(changes: dict[str, list[Any]], names: dict[str, str]) -> str:
    """ "escalated it to L2 (Network): the VPN vendor must look" / "brought in Dana Manager: ..." """
    what = (changes.get("escalation") or [None, {}])[-1] or {}
    reason = what.get("reason") or ""
    if what.get("kind") == "hierarchical":
        manager = (changes.get("manager") or [None, None])[-1]
        who = names.get(str(manager).lower(), manager) if manager else "the manager"
        lead = f"brought in {who} (hierarchical escalation)"
    else:
        group = (changes.get("assignment_group") or [None, None])[-1]
        lead = f"escalated it to L{what.get('level')}" + (f" ({group})" if group else "")
    return f"{lead}: {reason}" if reason else lead


def _impact_phrase(changes: dict[str, list[Any]], names: dict[str, str]) -> str:
    """ "raised the impact from Medium to High: it affects Billing, a service of criticality 1" """
    old, new = (changes.get("impact") or [None, "high"])[:2]
    reason = (changes.get("reason") or [None, ""])[-1]
    lead = f"raised the impact from {shown('impact', old, names)} to {shown('impact', new, names)}"
    return f"{lead}: {reason}" if reason else lead


#: Actions told by one phrase of their own, whatever fields they recorded.
_WHOLE: dict[str, Callable[[str, dict[str, list[Any]], dict[str, str]], str]] = {
    "incident.create": lambda action, changes, names: "reported it",
    "incident.impact_raised": lambda action, changes, names: _impact_phrase(changes, names),
    "incident.sla_warning": lambda action, changes, names: _sla_phrase(action, changes),
    "incident.sla_breach": lambda action, changes, names: _sla_phrase(action, changes),
    "incident.escalate": lambda action, changes, names: _escalation_phrase(changes, names),
}


def describe(
    action: str,
    changes: dict[str, list[Any]],
    names: dict[str, str],
    *,
    actor_email: str | None = None,
    link_kinds: frozenset[str] = frozenset(),
) -> str:
    """What one recorded change did, as the rest of a sentence that starts with the actor's name."""
    whole = _WHOLE.get(action)
    if whole is not None:
        return whole(action, changes, names)
    parts: list[str] = []
    verb = ACTION_VERBS.get(action)
    if verb:
        parts.append(verb)
    for field, pair in changes.items():
        old, new = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        if verb and field in _IMPLIED:
            continue
        if verb and field == "assigned_to" and action == "incident.acknowledge":
            parts.append("took it" if new and actor_email and str(new).lower() == actor_email else "")
            continue
        if field in link_kinds:
            parts.append(_link_phrase(field, old, new))
        elif field == "resolution_code" and action == "incident.resolve":
            parts[0] = f"resolved it ({words(new).lower()})"
        elif field == "status" and not verb:
            parts.append(f"set status {words(new)}")
        else:
            parts.append(_phrase(field, old, new, names, actor_email))
    return _join([p for p in parts if p]) or "changed it"
