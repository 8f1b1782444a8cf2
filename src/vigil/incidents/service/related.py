"""What hangs off an incident besides its comments: watchers, typed links and attachments.

Each use case loads the incident through its visibility first (an invisible incident is a 404), then
checks the right, then writes through the core module that owns the table (audited there).
"""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from vigil.auth import service as auth_service
from vigil.auth.models import User
from vigil.core import attachments as files
from vigil.core import links, watchers
from vigil.core.actor import Actor
from vigil.core.errors import IllegalTransition, Invalid, NotFound
from vigil.core.related import LinkCreate, WatcherRead
from vigil.incidents import lifecycle, policy
from vigil.incidents.links import RECORD_TYPE, ref_of
from vigil.incidents.models import Incident, IncidentComment
from vigil.incidents.schemas import IncidentUpdate
from vigil.incidents.service import records
from vigil.incidents.service.records import load, visible_id
from vigil.incidents.service.workflow import comment as load_comment


def watcher_list(
    *, session: Session, actor: Actor, ref: str | uuid.UUID, incident: Incident | None = None
) -> list[WatcherRead]:
    """The incident's watchers (`incident`: already loaded through its visibility, e.g. by a page)."""
    incident_id = incident.id if incident is not None else visible_id(session, actor, ref)
    rows = session.execute(
        select(watchers.Watcher, User)
        .join(User, User.id == watchers.Watcher.user_id)
        .where(watchers.Watcher.record_type == RECORD_TYPE, watchers.Watcher.record_id == incident_id)
        .order_by(watchers.Watcher.added_at, watchers.Watcher.user_id)
    )
    return [
        WatcherRead(user_id=u.id, email=u.email, display_name=u.display_name, added_at=w.added_at)
        for w, u in rows
    ]


def _watcher(session: Session, actor: Actor, user: str | uuid.UUID | None) -> User:
    """Yourself (anyone who sees the incident), or someone else (staff only)."""
    if user is None or (actor.user_id is not None and str(user).strip().lower() in _me(session, actor)):
        policy.require(actor, "incident.watch")
        if actor.user_id is None:
            raise NotFound("no user is acting: name the watcher")
        return auth_service.load_user(session, actor.user_id)
    policy.require(actor, "incident.manage_watchers")
    return auth_service.resolve_user(session, str(user))


def _me(session: Session, actor: Actor) -> set[str]:
    me = auth_service.load_user(session, actor.user_id) if actor.user_id else None
    return {str(me.id), me.email.lower()} if me is not None else set()


def watch(
    *, session: Session, actor: Actor, ref: str | uuid.UUID, user: str | uuid.UUID | None = None
) -> WatcherRead:
    """Add a watcher (CC): they see the incident from now on and get its notifications."""
    incident = load(session, actor, ref)
    person = _watcher(session, actor, user)
    row = watchers.add(
        session, actor, record_type=RECORD_TYPE, record_id=incident.id, user_id=person.id, label=person.email
    )
    return WatcherRead(
        user_id=person.id, email=person.email, display_name=person.display_name, added_at=row.added_at
    )


def unwatch(*, session: Session, actor: Actor, ref: str | uuid.UUID, user: str | uuid.UUID | None) -> None:
    """Stop watching (`user` None: yourself), or (staff) remove someone else."""
    incident = load(session, actor, ref)
    person = _watcher(session, actor, user)
    watchers.remove(
        session, actor, record_type=RECORD_TYPE, record_id=incident.id, user_id=person.id, label=person.email
    )


#: `duplicate_of` is the incident's `parent` (its master), shown and edited as a link from both ends.
DUPLICATE_OF, DUPLICATED_BY = "duplicate_of", "duplicated_by"
_DUPLICATE_LINKS = uuid.UUID("6f1d7c2e-4b1a-4f0e-9a35-0d2b8e5c7a41")


def _duplicate_link_id(duplicate_id: uuid.UUID) -> uuid.UUID:
    """The stable id of the duplicate_of link of `duplicate_id` (the link is its `parent` field)."""
    return uuid.uuid5(_DUPLICATE_LINKS, str(duplicate_id))


def _duplicate_links(session: Session, actor: Actor, incident: Incident) -> list[links.Link]:
    """The incident's master and its duplicates that `actor` may see, as links."""
    out = []
    if incident.parent is not None and incident.parent_visible:
        parent = ref_of(incident.parent)
        out.append(links.Link(_duplicate_link_id(incident.id), DUPLICATE_OF, parent, incident.updated_at))
    children = session.scalars(
        select(Incident)
        .where(Incident.parent_id == incident.id, policy.visible(actor))
        .order_by(Incident.number)
    )
    for child in children:
        out.append(links.Link(_duplicate_link_id(child.id), DUPLICATED_BY, ref_of(child), child.updated_at))
    return out


def link_list(
    *, session: Session, actor: Actor, ref: str | uuid.UUID, incident: Incident | None = None
) -> list[links.Link]:
    """Every link of the incident whose other end `actor` may see: its master and duplicates first."""
    incident = incident or load(session, actor, ref)
    return _duplicate_links(session, actor, incident) + links.links_of(session, actor, ref_of(incident))


def link(*, session: Session, actor: Actor, ref: str | uuid.UUID, data: LinkCreate) -> links.Link:
    """Link the incident to another record the actor may see; returns the link as seen from here."""
    incident = load(session, actor, ref)
    policy.require(actor, "incident.link")
    if data.kind == DUPLICATE_OF:  # the incident's parent: one master, which is not itself a duplicate
        if data.target_type != RECORD_TYPE:
            raise Invalid("only an incident can be the master of a duplicate incident", field="target_type")
        update = IncidentUpdate.model_validate({"parent": data.target})
        incident = records.update(session=session, actor=actor, ref=str(incident.id), data=update)
        return _duplicate_links(session, actor, incident)[0]
    row = links.add(
        session,
        actor,
        source=ref_of(incident),
        kind_name=data.kind,
        target_type=data.target_type,
        target_ref=data.target,
    )
    return next(x for x in links.links_of(session, actor, ref_of(incident)) if x.id == row.id)


def unlink(*, session: Session, actor: Actor, ref: str | uuid.UUID, link_id: uuid.UUID) -> None:
    incident = load(session, actor, ref)
    policy.require(actor, "incident.link")
    for dup in _duplicate_links(session, actor, incident):
        if dup.id == link_id:  # clear the duplicate's parent (this incident's, or one of its duplicates')
            duplicate = incident.id if dup.kind == DUPLICATE_OF else dup.other.id
            clear = IncidentUpdate.model_validate({"parent": None})
            records.update(session=session, actor=actor, ref=str(duplicate), data=clear)
            return
    links.remove(session, actor, source=ref_of(incident), link_id=link_id)


def attachment_list(
    *, session: Session, actor: Actor, ref: str | uuid.UUID, incident: Incident | None = None
) -> list[files.Attachment]:
    """The incident's attachments; those on work notes only for who may read work notes."""
    incident_id = incident.id if incident is not None else visible_id(session, actor, ref)
    stmt = select(files.Attachment).where(
        files.Attachment.record_type == RECORD_TYPE, files.Attachment.record_id == incident_id
    )
    if not policy.can(actor, "incident.read_work_notes"):
        notes = select(IncidentComment.id).where(
            IncidentComment.incident_id == incident_id, IncidentComment.internal.is_(True)
        )
        stmt = stmt.where(
            or_(files.Attachment.comment_id.is_(None), files.Attachment.comment_id.not_in(notes))
        )
    return list(session.scalars(stmt.order_by(files.Attachment.created_at, files.Attachment.id)))


def attachment(
    *, session: Session, actor: Actor, ref: str | uuid.UUID, attachment_id: uuid.UUID
) -> files.Attachment:
    found = [a for a in attachment_list(session=session, actor=actor, ref=ref) if a.id == attachment_id]
    if not found:
        raise NotFound(f"attachment {attachment_id} not found on incident {ref}")
    return found[0]


def check_attach(
    *, session: Session, actor: Actor, ref: str | uuid.UUID, comment_id: uuid.UUID | None = None
) -> Incident:
    """May `actor` attach a file here? Checked before an upload is stored (and again by `attach`), so a
    refused upload leaves nothing behind."""
    incident: Incident = load(session, actor, ref)
    policy.require(actor, "incident.attach")
    if incident.status in lifecycle.FINAL:
        raise IllegalTransition(f"{incident.number} is {incident.status}, which is final; it takes no files")
    if comment_id is not None:
        load_comment(session=session, actor=actor, ref=incident.id, comment_id=comment_id)
    return incident


def attach(
    *,
    session: Session,
    actor: Actor,
    ref: str | uuid.UUID,
    filename: str,
    stored: files.Stored,
    comment_id: uuid.UUID | None = None,
) -> files.Attachment:
    """Attach a file already in the store to the incident, or to one of its comments you may read."""
    incident = check_attach(session=session, actor=actor, ref=ref, comment_id=comment_id)
    return files.add(
        session,
        actor,
        record_type=RECORD_TYPE,
        record_id=incident.id,
        filename=filename,
        stored=stored,
        comment_id=comment_id,
    )


def delete_attachment(
    *, session: Session, actor: Actor, ref: str | uuid.UUID, attachment_id: uuid.UUID
) -> None:
    """Delete an attachment: its uploader or staff (audited; the file leaves the store after commit)."""
    found = attachment(session=session, actor=actor, ref=ref, attachment_id=attachment_id)
    if found.created_by_id is None or found.created_by_id != actor.user_id:
        policy.require(actor, "incident.delete_attachment")
    files.delete(session, actor, found)
