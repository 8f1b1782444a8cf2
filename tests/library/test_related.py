"""Watchers, links, attachments and bulk actions through the facade, in-process and over HTTP."""

from __future__ import annotations

import pytest

import vigil
from tests.library.conftest import Connector, unique
from vigil.client import Vigil
from vigil.core.related import AttachmentRead, LinkRead, WatcherRead
from vigil.incidents.schemas_bulk import BulkResult


def test_watchers_links_attachments_and_bulk(v: Vigil, connect: Connector) -> None:
    inc = v.incidents.create(title=f"Backups late {unique()}")
    cause = v.incidents.create(title=f"Tape library jammed {unique()}")
    requester = connect.user("requester")
    watcher = v.incidents.watch(inc.number, user=requester)
    assert isinstance(watcher, WatcherRead) and watcher.email == requester
    assert [w.email for w in v.incidents.watchers(inc.number)] == [requester]
    # The watcher now sees the incident, and may stop watching it.
    them = connect(requester)
    assert them.incidents.get(inc.number).id == inc.id
    them.incidents.unwatch(inc.number)
    with pytest.raises(vigil.NotFound):
        them.incidents.get(inc.number)

    link = v.incidents.link(inc.number, "caused_by", cause.number)
    assert isinstance(link, LinkRead) and link.other.number == cause.number
    assert [(x.kind, x.other.number) for x in v.incidents.links(cause.number)] == [("causes", inc.number)]
    with pytest.raises(vigil.Conflict):
        v.incidents.link(inc.number, "caused_by", cause.number)
    v.incidents.unlink(inc.number, link.id)
    assert v.incidents.links(inc.number) == []

    made = v.incidents.attach(inc.number, b"rsync: connection reset\n", filename="backup.txt")
    assert isinstance(made, AttachmentRead) and made.content_type == "text/plain" and made.size == 24
    assert v.incidents.download(inc.number, made.id) == b"rsync: connection reset\n"
    assert [a.filename for a in v.incidents.attachments(inc.number)] == ["backup.txt"]
    v.incidents.delete_attachment(inc.number, made.id)
    assert v.incidents.attachments(inc.number) == []

    result = v.incidents.bulk("comment", [inc.number, cause.number, "INC-999999"], body="Vendor called")
    assert isinstance(result, BulkResult) and (result.succeeded, result.failed) == (2, 1)
    assert result.results[2].problem is not None and result.results[2].status == 404
    with pytest.raises(vigil.Invalid):
        v.incidents.bulk("comment", [inc.number])  # a comment needs a body
