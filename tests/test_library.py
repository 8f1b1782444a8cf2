"""`vigil.connect(url)`: the library face runs the same services as the API, on a real database file."""

from __future__ import annotations

from pathlib import Path

import pytest

import vigil
from tests.dbutil import BACKENDS, fresh_database
from vigil.core.errors import Conflict, Invalid, NotFound


@pytest.mark.parametrize("backend", BACKENDS)
def test_connect_create_acknowledge_resolve_list(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url, vigil.connect(url) as v:
        inc = v.incidents.create(
            title="LLM inference timeouts", impact="high", urgency="high", category="AI Services"
        )
        assert inc.number == "INC-000001" and inc.priority == "P1"
        assert v.incidents.acknowledge(inc.number, note="paging on-call").status == "in_progress"
        v.incidents.comment(inc.id, "GPU node 3 is throttling", internal=True)
        with pytest.raises(Invalid):
            v.incidents.resolve(inc.id, notes="")
        done = v.incidents.resolve(inc.id, notes="drained node 3", code="workaround")
        assert done.status == "resolved" and done.resolution_code == "workaround"
        with pytest.raises(Conflict):
            v.incidents.acknowledge(inc.id)
        v.incidents.create(title="second")
        assert [i.number for i in v.incidents.list(status=["resolved"]).items] == ["INC-000001"]
        assert [i.number for i in v.incidents.iterate(limit=1)] == ["INC-000002", "INC-000001"]
        assert [e.kind for e in v.incidents.timeline(inc.number)][-1] == "transition"
        assert v.incidents.update(inc.id, assigned_to=None).assigned_to is None
        with pytest.raises(NotFound):
            v.incidents.get("INC-000999")
        with pytest.raises(Invalid):
            v.incidents.create(title="")
