"""`v.cis` and `v.ci_classes` of `vigil.connect(...)`: the CMDB as a Python API, each method said once for
both transports (in-process and HTTP, `vigil.core.facade`)."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Iterator
from typing import Any

from vigil.cmdb import importer, netbox, service
from vigil.cmdb.import_schemas import ImportReport, ImportRequest, NetBoxImportRequest
from vigil.cmdb.schemas import (
    CIClassCreate,
    CIClassList,
    CIClassRead,
    CIClassUpdate,
    CICreate,
    CIPage,
    CIQuery,
    CIRead,
    CIUpdate,
    HistoryEntry,
    HistoryPage,
    ImpactQuery,
    ImpactRead,
    OpenWork,
    RelationshipCreate,
    RelationshipList,
    RelationshipRead,
    WorkItemRead,
)
from vigil.core.facade import Operation, Transport, pages, parse, query, segment


class CIs:
    """`v.cis`: configuration items, their relationships, impact, history and open work."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(self, **filters: Any) -> CIPage:
        """One page of configuration items by name: `q` (name contains), `ci_class`, `environment`,
        `status`, `owner_team`, `tag`; `limit`, `cursor`, `count`, `updated_after`, `sort` as on every list."""
        f = parse(CIQuery, filters)
        return self._t.run(
            Operation(
                local=lambda s, a: CIPage.model_validate(
                    service.page_cis(session=s, actor=a, query=f), from_attributes=True
                ),
                method="GET",
                path="/cis",
                query=query(f),
                answer=CIPage.model_validate,
            )
        )

    def iterate(self, **filters: Any) -> Iterator[CIRead]:
        start = filters.pop("cursor", None)
        return pages(lambda cursor: self.list(**filters, cursor=cursor), start=start)

    def get(self, ref: str | uuid.UUID) -> CIRead:
        """A configuration item by id or exact name."""
        return self._t.run(
            Operation(
                local=lambda s, a: CIRead.model_validate(service.get(session=s, actor=a, ref=str(ref))),
                method="GET",
                path=f"/cis/{segment(ref)}",
                answer=CIRead.model_validate,
            )
        )

    def create(self, **fields: Any) -> CIRead:
        """`name`, `ci_class` (default business_service), `environment`, `status`, `criticality`, `owner_team`,
        `description`, `attributes`, `tags`, `external_ids`."""
        data = parse(CICreate, fields)
        return self._t.run(
            Operation(
                local=lambda s, a: CIRead.model_validate(service.create(session=s, actor=a, data=data)),
                method="POST",
                path="/cis",
                body=data,
                keyed=True,
                answer=CIRead.model_validate,
            )
        )

    def update(self, ref: str | uuid.UUID, **fields: Any) -> CIRead:
        """Change the fields given; `version=` refuses a stale change (412); retiring a CI with open work
        on it needs `confirm=True` (else a Conflict naming the work)."""
        data = parse(CIUpdate, fields)
        return self._t.run(
            Operation(
                local=lambda s, a: CIRead.model_validate(
                    service.update(session=s, actor=a, ref=str(ref), data=data, expected_version=data.version)
                ),
                method="PATCH",
                path=f"/cis/{segment(ref)}",
                body=data,
                answer=CIRead.model_validate,
            )
        )

    def relationships(self, ref: str | uuid.UUID) -> builtins.list[RelationshipRead]:
        """The CI's relationships both ways, each worded from this CI."""
        answer = self._t.run(
            Operation(
                local=lambda s, a: RelationshipList(
                    items=service.relationships(session=s, actor=a, ref=str(ref))
                ),
                method="GET",
                path=f"/cis/{segment(ref)}/relationships",
                answer=RelationshipList.model_validate,
            )
        )
        return list(answer.items)

    def relate(
        self,
        ref: str | uuid.UUID,
        kind: str,
        *,
        target: str | uuid.UUID | None = None,
        source: str | uuid.UUID | None = None,
    ) -> RelationshipRead:
        """This CI <kind> `target`, or `source` <kind> this CI."""
        data = parse(
            RelationshipCreate,
            {
                "kind": kind,
                "target": str(target) if target else None,
                "source": str(source) if source else None,
            },
        )

        def local(s: Any, a: Any) -> RelationshipRead:
            made = service.relate(session=s, actor=a, ref=str(ref), data=data)
            return next(r for r in service.relationships(session=s, actor=a, ref=str(ref)) if r.id == made.id)

        return self._t.run(
            Operation(
                local=local,
                method="POST",
                path=f"/cis/{segment(ref)}/relationships",
                body=data,
                answer=RelationshipRead.model_validate,
            )
        )

    def unrelate(self, ref: str | uuid.UUID, relationship_id: str | uuid.UUID) -> None:
        rel = uuid.UUID(str(relationship_id))
        self._t.run(
            Operation(
                local=lambda s, a: service.unrelate(session=s, actor=a, ref=str(ref), relationship_id=rel),
                method="DELETE",
                path=f"/cis/{segment(ref)}/relationships/{rel}",
                answer=lambda _: None,
            )
        )

    def impact(self, ref: str | uuid.UUID, *, direction: str = "upstream", depth: int = 10) -> ImpactRead:
        """What a failure of the CI reaches (`upstream`) or what it relies on (`downstream`)."""
        q = parse(ImpactQuery, {"direction": direction, "depth": depth})
        return self._t.run(
            Operation(
                local=lambda s, a: service.impact(session=s, actor=a, ref=str(ref), query=q),
                method="GET",
                path=f"/cis/{segment(ref)}/impact",
                query=query(q),
                answer=ImpactRead.model_validate,
            )
        )

    def history(self, ref: str | uuid.UUID) -> builtins.list[HistoryEntry]:
        answer = self._t.run(
            Operation(
                local=lambda s, a: service.history_page(session=s, actor=a, ref=str(ref)),
                method="GET",
                path=f"/cis/{segment(ref)}/history",
                answer=HistoryPage.model_validate,
            )
        )
        return list(answer.items)

    def open_work(self, ref: str | uuid.UUID) -> builtins.list[WorkItemRead]:
        """Open incidents on the CI and on everything it relies on."""
        answer = self._t.run(
            Operation(
                local=lambda s, a: OpenWork(
                    items=[
                        WorkItemRead.model_validate(w)
                        for w in service.open_work_below(session=s, actor=a, ref=str(ref))
                    ]
                ),
                method="GET",
                path=f"/cis/{segment(ref)}/open-work",
                answer=OpenWork.model_validate,
            )
        )
        return list(answer.items)

    def import_(self, content: str, *, format: str = "csv", dry_run: bool = False) -> ImportReport:
        """Create or update CIs from a CSV or JSON text by natural key (docs/cmdb-import.md); with
        `dry_run` only the report. Any error: `vigil.Invalid` naming each line, and nothing written."""
        data = parse(ImportRequest, {"format": format, "content": content, "dry_run": dry_run})
        return self._t.run(
            Operation(
                local=lambda s, a: importer.refuse(
                    importer.import_text(
                        session=s, actor=a, fmt=data.format, content=data.content, dry_run=data.dry_run
                    )
                ),
                method="POST",
                path="/cis/import",
                body=data,
                answer=ImportReport.model_validate,
            )
        )

    def import_netbox(self, url: str, token: str, *, dry_run: bool = False) -> ImportReport:
        """Read a NetBox and import it; CIs gone from it are retired (administrators)."""
        data = parse(NetBoxImportRequest, {"url": url, "token": token, "dry_run": dry_run})

        def local(s: Any, a: Any) -> ImportReport:
            client = netbox.NetBoxClient(data.url, data.token)
            return importer.refuse(
                netbox.import_netbox(session=s, actor=a, client=client, dry_run=data.dry_run)
            )

        return self._t.run(
            Operation(
                local=local,
                method="POST",
                path="/cis/import-netbox",
                body=data,
                answer=ImportReport.model_validate,
            )
        )


class CIClasses:
    """`v.ci_classes`: the CI classes and their attribute schemas."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(self) -> builtins.list[CIClassRead]:
        answer = self._t.run(
            Operation(
                local=lambda s, a: CIClassList(
                    items=[CIClassRead.model_validate(c) for c in service.list_classes(session=s)]
                ),
                method="GET",
                path="/ci-classes",
                answer=CIClassList.model_validate,
            )
        )
        return list(answer.items)

    def get(self, key: str) -> CIClassRead:
        return self._t.run(
            Operation(
                local=lambda s, a: CIClassRead.model_validate(service.get_class(session=s, key=key)),
                method="GET",
                path=f"/ci-classes/{segment(key)}",
                answer=CIClassRead.model_validate,
            )
        )

    def create(self, **fields: Any) -> CIClassRead:
        """`key`, `label`, `description`, `is_service`, `requester_visible`, `attribute_schema` (JSON Schema)."""
        data = parse(CIClassCreate, fields)
        return self._t.run(
            Operation(
                local=lambda s, a: CIClassRead.model_validate(
                    service.create_class(session=s, actor=a, data=data)
                ),
                method="POST",
                path="/ci-classes",
                body=data,
                answer=CIClassRead.model_validate,
            )
        )

    def update(self, key: str, **fields: Any) -> CIClassRead:
        data = parse(CIClassUpdate, fields)
        return self._t.run(
            Operation(
                local=lambda s, a: CIClassRead.model_validate(
                    service.update_class(
                        session=s, actor=a, key=key, data=data, expected_version=data.version
                    )
                ),
                method="PATCH",
                path=f"/ci-classes/{segment(key)}",
                body=data,
                answer=CIClassRead.model_validate,
            )
        )
