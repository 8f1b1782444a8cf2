"""`v.incidents` methods for what hangs off an incident: watchers, links, attachments, and bulk actions,
each said once for both transports like the rest of the facet."""

from __future__ import annotations

import builtins
import mimetypes
import uuid
from io import BytesIO
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from vigil.core import attachments as files
from vigil.core.actor import Actor
from vigil.core.facade import Operation, Transport, parse, segment
from vigil.core.related import (
    AttachmentPage,
    AttachmentRead,
    LinkCreate,
    LinkPage,
    LinkRead,
    WatcherAdd,
    WatcherPage,
    WatcherRead,
)
from vigil.incidents.schemas_bulk import BulkResult, IncidentBulk
from vigil.incidents.service import bulk, related

Ref = str | uuid.UUID


def _none(_: Any) -> None:
    return None


class RelatedRecords:
    """Mixed into `Incidents`: watchers, links, attachments and bulk actions."""

    _t: Transport

    def watchers(self, ref: Ref) -> builtins.list[WatcherRead]:
        return self._t.run(
            Operation(
                local=lambda s, a: WatcherPage(items=related.watcher_list(session=s, actor=a, ref=ref)),
                method="GET",
                path=f"/incidents/{segment(ref)}/watchers",
                answer=WatcherPage.model_validate,
            )
        ).items

    def watch(self, ref: Ref, user: str | None = None) -> WatcherRead:
        """Watch the incident yourself, or (staff) add `user` (email or UUID) to its watchers."""
        data = parse(WatcherAdd, {"user": user})
        return self._t.run(
            Operation(
                local=lambda s, a: related.watch(session=s, actor=a, ref=ref, user=data.user),
                method="POST",
                path=f"/incidents/{segment(ref)}/watchers",
                body=data,
                keyed=True,
                answer=WatcherRead.model_validate,
            )
        )

    def unwatch(self, ref: Ref, user: str | None = None) -> None:
        """Stop watching, or (staff) remove `user`."""
        self._t.run(
            Operation(
                local=lambda s, a: related.unwatch(session=s, actor=a, ref=ref, user=user),
                method="DELETE",
                path=f"/incidents/{segment(ref)}/watchers/{segment(user or 'me')}",
                answer=_none,
            )
        )

    def links(self, ref: Ref) -> builtins.list[LinkRead]:
        def run(s: Session, a: Actor) -> LinkPage:
            found = related.link_list(session=s, actor=a, ref=ref)
            return LinkPage(items=[LinkRead.model_validate(x) for x in found])

        return self._t.run(
            Operation(
                local=run,
                method="GET",
                path=f"/incidents/{segment(ref)}/links",
                answer=LinkPage.model_validate,
            )
        ).items

    def link(self, ref: Ref, kind: str, target: str, *, target_type: str = "incident") -> LinkRead:
        """Link the incident to another record (`caused_by`, `related_to`, ...), as staff."""
        data = parse(LinkCreate, {"kind": kind, "target": target, "target_type": target_type})
        return self._t.run(
            Operation(
                local=lambda s, a: LinkRead.model_validate(
                    related.link(session=s, actor=a, ref=ref, data=data)
                ),
                method="POST",
                path=f"/incidents/{segment(ref)}/links",
                body=data,
                keyed=True,
                answer=LinkRead.model_validate,
            )
        )

    def unlink(self, ref: Ref, link_id: uuid.UUID) -> None:
        self._t.run(
            Operation(
                local=lambda s, a: related.unlink(session=s, actor=a, ref=ref, link_id=link_id),
                method="DELETE",
                path=f"/incidents/{segment(ref)}/links/{link_id}",
                answer=_none,
            )
        )

    def attachments(self, ref: Ref) -> builtins.list[AttachmentRead]:
        def run(s: Session, a: Actor) -> AttachmentPage:
            found = related.attachment_list(session=s, actor=a, ref=ref)
            return AttachmentPage(items=[AttachmentRead.model_validate(x) for x in found])

        return self._t.run(
            Operation(
                local=run,
                method="GET",
                path=f"/incidents/{segment(ref)}/attachments",
                answer=AttachmentPage.model_validate,
            )
        ).items

    def attach(
        self,
        ref: Ref,
        file: str | Path | bytes,
        *,
        filename: str | None = None,
        comment_id: uuid.UUID | None = None,
    ) -> AttachmentRead:
        """Attach a file (a path, or bytes with `filename`) to the incident or one of its comments."""
        if isinstance(file, bytes):
            content, name = file, filename or "attachment"
        else:
            content, name = Path(file).read_bytes(), filename or Path(file).name
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"

        def run(s: Session, a: Actor) -> AttachmentRead:
            stored = files.store(BytesIO(content), kind)
            made = related.attach(
                session=s, actor=a, ref=ref, filename=name, stored=stored, comment_id=comment_id
            )
            return AttachmentRead.model_validate(made)

        return self._t.run(
            Operation(
                local=run,
                method="POST",
                path=f"/incidents/{segment(ref)}/attachments",
                files={"file": (name, content, kind)},
                form={"comment_id": str(comment_id)} if comment_id else None,
                keyed=True,
                answer=AttachmentRead.model_validate,
            )
        )

    def download(self, ref: Ref, attachment_id: uuid.UUID) -> bytes:
        """The attachment's bytes."""

        def run(s: Session, a: Actor) -> bytes:
            found = related.attachment(session=s, actor=a, ref=ref, attachment_id=attachment_id)
            return files.open_content(found).read_bytes()

        return self._t.run(
            Operation(
                local=run,
                method="GET",
                path=f"/incidents/{segment(ref)}/attachments/{attachment_id}/content",
                raw=True,
                answer=bytes,
            )
        )

    def delete_attachment(self, ref: Ref, attachment_id: uuid.UUID) -> None:
        self._t.run(
            Operation(
                local=lambda s, a: related.delete_attachment(
                    session=s, actor=a, ref=ref, attachment_id=attachment_id
                ),
                method="DELETE",
                path=f"/incidents/{segment(ref)}/attachments/{attachment_id}",
                answer=_none,
            )
        )

    def bulk(self, action: str, refs: builtins.list[str], **fields: Any) -> BulkResult:
        """One action (assign, change_team, comment, resolve, close) over many incidents; each item
        succeeds or fails on its own (see `BulkResult.results`)."""
        data = parse(IncidentBulk, {"action": action, "refs": refs, **fields})
        return self._t.run(
            Operation(
                local=lambda s, a: bulk.run(session=s, actor=a, data=data),
                method="POST",
                path="/incidents/bulk",
                body=data,
                keyed=True,
                answer=BulkResult.model_validate,
            )
        )
