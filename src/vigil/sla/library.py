"""`v.sla` of `vigil.connect(...)`: SLA calendars and policies as a Python API, each method said once for
both transports (in-process and HTTP, `vigil.core.facade`). Staff read them; administrators change them.
`vigil sla ...` works through this, so it works on a server too."""

from __future__ import annotations

from datetime import date
from typing import Any

from vigil.core import clock
from vigil.core.facade import Operation, Transport, parse, segment
from vigil.sla import admin
from vigil.sla.schemas import (
    CalendarCreate,
    CalendarPage,
    CalendarRead,
    PolicyCreate,
    PolicyPage,
    PolicyRead,
    PolicyUpdate,
    WeekPreview,
)


class Sla:
    """`v.sla`: calendars (with a week's working spans) and policies."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def calendars(self) -> list[CalendarRead]:
        """Every calendar, by name."""

        def local(s: Any, a: Any) -> CalendarPage:
            found = [CalendarRead.model_validate(c) for c in admin.list_calendars(session=s, actor=a)]
            return CalendarPage(items=found, count=len(found), count_exact=True)

        page = self._t.run(
            Operation(local=local, method="GET", path="/sla/calendars", answer=CalendarPage.model_validate)
        )
        return list(page.items)

    def calendar(self, name: str) -> CalendarRead:
        return self._t.run(
            Operation(
                local=lambda s, a: CalendarRead.model_validate(
                    admin.get_calendar(session=s, actor=a, name=name)
                ),
                method="GET",
                path=f"/sla/calendars/{segment(name)}",
                answer=CalendarRead.model_validate,
            )
        )

    def week(self, name: str, start: date | None = None) -> WeekPreview:
        """The working spans of the week holding `start` (default today), local and UTC."""
        return self._t.run(
            Operation(
                local=lambda s, a: admin.week(
                    session=s, actor=a, name=name, start=start or clock.now().date()
                ),
                method="GET",
                path=f"/sla/calendars/{segment(name)}/week",
                query={"start": start.isoformat()} if start else None,
                answer=WeekPreview.model_validate,
            )
        )

    def create_calendar(self, **fields: Any) -> CalendarRead:
        """`name`, `timezone`, `week` (seven lists of [start, end] minutes), optional `country`,
        `subdivision`, `extra_holidays`, `half_days` (administrators)."""
        data = parse(CalendarCreate, fields)
        return self._t.run(
            Operation(
                local=lambda s, a: CalendarRead.model_validate(
                    admin.create_calendar(session=s, actor=a, data=data)
                ),
                method="POST",
                path="/sla/calendars",
                body=data,
                keyed=True,
                answer=CalendarRead.model_validate,
            )
        )

    def policies(self) -> list[PolicyRead]:
        """Every policy, in the order they are tried."""

        def local(s: Any, a: Any) -> PolicyPage:
            found = [PolicyRead.model_validate(p) for p in admin.list_policies(session=s, actor=a)]
            return PolicyPage(items=found, count=len(found), count_exact=True)

        page = self._t.run(
            Operation(local=local, method="GET", path="/sla/policies", answer=PolicyPage.model_validate)
        )
        return list(page.items)

    def policy(self, name: str) -> PolicyRead:
        return self._t.run(
            Operation(
                local=lambda s, a: PolicyRead.model_validate(admin.get_policy(session=s, actor=a, name=name)),
                method="GET",
                path=f"/sla/policies/{segment(name)}",
                answer=PolicyRead.model_validate,
            )
        )

    def create_policy(self, **fields: Any) -> PolicyRead:
        """`name`, `targets` ({"P1": {"response": s, "resolution": s, "calendar": name}}), optional
        `position`, `active`, `conditions` (administrators)."""
        data = parse(PolicyCreate, fields)
        return self._t.run(
            Operation(
                local=lambda s, a: PolicyRead.model_validate(
                    admin.create_policy(session=s, actor=a, data=data)
                ),
                method="POST",
                path="/sla/policies",
                body=data,
                keyed=True,
                answer=PolicyRead.model_validate,
            )
        )

    def update_policy(self, name: str, **fields: Any) -> PolicyRead:
        """Change the fields given (`position`, `active`, `conditions`, `targets`, which replaces them
        all); `version=` refuses a stale change (412). Running clocks keep their snapshot."""
        data = parse(PolicyUpdate, fields)
        return self._t.run(
            Operation(
                local=lambda s, a: PolicyRead.model_validate(
                    admin.update_policy(
                        session=s, actor=a, name=name, data=data, expected_version=data.version
                    )
                ),
                method="PATCH",
                path=f"/sla/policies/{segment(name)}",
                body=data,
                answer=PolicyRead.model_validate,
            )
        )
