"""The Python library face: `vigil.connect(url)` gives every domain's facet (`v.incidents`, `v.users`,
...) over one transport, in-process on a database or over HTTP to a server (`vigil.core.facade`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vigil import domains
from vigil.core import registry
from vigil.core.facade import LocalTransport, Transport

if TYPE_CHECKING:  # the facets' types, for editors and type checkers; they are loaded from the registry
    from vigil.alerts.library import Alerts, Integrations
    from vigil.auth.library import Teams, Users
    from vigil.cmdb.library import CIClasses, CIs
    from vigil.incidents.library import Incidents
    from vigil.sla.library import Sla


class Vigil:
    """A connection: each facet call is one unit of work (in-process) or one API request (over HTTP)."""

    if TYPE_CHECKING:
        incidents: Incidents
        users: Users
        teams: Teams
        cis: CIs
        ci_classes: CIClasses
        sla: Sla
        alerts: Alerts
        integrations: Integrations

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.facets: dict[str, Any] = {}
        for domain in domains.register():
            for name, path in domain.facets:  # e.g. ("incidents", "vigil.incidents.library:Incidents")
                self.facets[name] = registry.resolve(path)(transport)

    def __getattr__(self, name: str) -> Any:
        facets = self.__dict__.get("facets", {})
        if name in facets:
            return facets[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def run_jobs(self) -> int:
        """Run due background jobs now (what `vigil worker` does continuously); in-process only."""
        if not isinstance(self.transport, LocalTransport):
            raise TypeError("run_jobs needs a database connection; a server's jobs run in its `vigil worker`")
        return self.transport.run_jobs()

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> Vigil:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
