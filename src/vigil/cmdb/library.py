"""`v.cis` of `vigil.connect(...)`: configuration items as a Python API, each method said once for both
transports (in-process and HTTP, `vigil.core.facade`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from vigil.cmdb import service
from vigil.cmdb.schemas import CICreate, CIPage, CIQuery, CIRead
from vigil.core.facade import Operation, Transport, pages, parse, query, segment


class CIs:
    """`v.cis`: list, read and create configuration items."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(self, **filters: Any) -> CIPage:
        """One page of configuration items by name: `q` keeps those whose name contains it; `limit`,
        `cursor`, `count`, `updated_after`, `sort` as on every list."""
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
        """`name`, `ci_type` (default service), `status` (default operational)."""
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
