"""CMDB import endpoints: POST /api/v1/cis/import (a CSV or JSON text, with a dry run) and
POST /api/v1/cis/import-netbox (administrators). Either answers the import's report; with any error
nothing is written and the answer is a 422 naming each line or item at fault."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from vigil.auth.deps import ApiActor
from vigil.cmdb import importer, netbox
from vigil.cmdb.import_schemas import ImportReport, ImportRequest, NetBoxImportRequest
from vigil.web import problems
from vigil.web.deps import Db

router = APIRouter(prefix="/api/v1/cis", tags=["cmdb"], responses=problems.responses(409, 422))
#: NetBox answered with something unusable (502), or could not be reached in time (503).
UPSTREAM: dict[int | str, dict[str, Any]] = {
    502: {"description": "Bad gateway", "content": {problems.PROBLEM: {}}},
    503: {"description": "Service unavailable", "content": {problems.PROBLEM: {}}},
}


@router.post("/import", response_model=ImportReport)
def import_cis(data: ImportRequest, db: Db, actor: ApiActor) -> ImportReport:
    """Create or update CIs from a CSV or JSON text by natural key (external id, else class, environment
    and name), with their relationships (administrators and CMDB managers). `dry_run` only reports."""
    with db.unit_of_work() as session:
        report = importer.import_text(
            session=session, actor=actor, fmt=data.format, content=data.content, dry_run=data.dry_run
        )
        return importer.refuse(report)


@router.post("/import-netbox", response_model=ImportReport, responses=UPSTREAM)
def import_netbox(data: NetBoxImportRequest, db: Db, actor: ApiActor) -> ImportReport:
    """Read a NetBox (sites, racks, devices, clusters, VMs, services, IPs, cables) and import it; CIs gone
    from NetBox are retired (administrators)."""
    client = netbox.NetBoxClient(data.url, data.token)
    with db.unit_of_work() as session:
        report = netbox.import_netbox(session=session, actor=actor, client=client, dry_run=data.dry_run)
        return importer.refuse(report)
