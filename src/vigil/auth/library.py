"""`v.users` and `v.teams` of `vigil.connect(...)`: the directory as a Python API, each method said once
for both transports (in-process and HTTP, `vigil.core.facade`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from vigil.auth import service
from vigil.auth.schemas import (
    TeamCreate,
    TeamPage,
    TeamRead,
    TeamUpdate,
    UserCreate,
    UserPage,
    UserRead,
    UserUpdate,
)
from vigil.core.actor import Actor
from vigil.core.errors import NotFound
from vigil.core.facade import Operation, Transport, pages, parse, query, segment
from vigil.core.schemas import SyncQuery

Ref = str | uuid.UUID


class Users:
    """`v.users`: who you are, the directory (staff see everyone; requesters only themself) and, for
    administrators, creating and changing accounts."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def me(self) -> UserRead:
        """The connection's user: the token's owner over HTTP, the acting user in-process."""

        def run(s: Session, a: Actor) -> UserRead:
            if a.user_id is None:  # an operator acting on a database that has no administrator yet
                raise NotFound("this connection acts as no user: the database has no administrator yet")
            return UserRead.model_validate(service.load_user(s, a.user_id))

        return self._t.run(Operation(local=run, method="GET", path="/me", answer=UserRead.model_validate))

    def list(self, **filters: Any) -> UserPage:
        """One page of the users you may see, by name: `limit`, `cursor`, `count`, and for sync clients
        `updated_after` (deactivated users included) with `sort="updated_at"`."""
        q = parse(SyncQuery, filters)
        return self._t.run(
            Operation(
                local=lambda s, a: UserPage.model_validate(
                    service.page_users(session=s, actor=a, query=q), from_attributes=True
                ),
                method="GET",
                path="/users",
                query=query(q),
                answer=UserPage.model_validate,
            )
        )

    def iterate(self, **filters: Any) -> Iterator[UserRead]:
        start = filters.pop("cursor", None)
        return pages(lambda cursor: self.list(**filters, cursor=cursor), start=start)

    def get(self, ref: Ref) -> UserRead:
        """A user by id or email."""
        return self._t.run(
            Operation(
                local=lambda s, a: UserRead.model_validate(service.get_user(session=s, actor=a, ref=ref)),
                method="GET",
                path=f"/users/{segment(ref)}",
                answer=UserRead.model_validate,
            )
        )

    def create(self, **fields: Any) -> UserRead:
        """`email`, `display_name`, `role` (default requester), `password` (omit: cannot log in yet)."""
        data = parse(UserCreate, fields)
        return self._t.run(
            Operation(
                local=lambda s, a: UserRead.model_validate(
                    service.create_user(session=s, actor=a, data=data)
                ),
                method="POST",
                path="/users",
                body=data,
                keyed=True,
                answer=UserRead.model_validate,
            )
        )

    def update(self, ref: Ref, **fields: Any) -> UserRead:
        """Change `display_name`, `role` or `active`; `version=` refuses a stale change (412)."""
        data = parse(UserUpdate, fields)
        return self._t.run(
            Operation(
                local=lambda s, a: UserRead.model_validate(
                    service.update_user(
                        session=s, actor=a, ref=str(ref), data=data, expected_version=data.version
                    )
                ),
                method="PATCH",
                path=f"/users/{segment(ref)}",
                body=data,
                answer=UserRead.model_validate,
            )
        )


class Teams:
    """`v.teams`: teams with their manager and members; administrators create and change them."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(self, **filters: Any) -> TeamPage:
        """One page of the teams you may see (requesters: theirs), by name: `limit`, `cursor`, `count`,
        `updated_after`, `sort`."""
        q = parse(SyncQuery, filters)
        return self._t.run(
            Operation(
                local=lambda s, a: TeamPage.model_validate(
                    service.page_teams(session=s, actor=a, query=q), from_attributes=True
                ),
                method="GET",
                path="/teams",
                query=query(q),
                answer=TeamPage.model_validate,
            )
        )

    def iterate(self, **filters: Any) -> Iterator[TeamRead]:
        start = filters.pop("cursor", None)
        return pages(lambda cursor: self.list(**filters, cursor=cursor), start=start)

    def get(self, ref: Ref) -> TeamRead:
        """A team by id or name."""
        return self._t.run(
            Operation(
                local=lambda s, a: TeamRead.model_validate(service.get_team(session=s, actor=a, ref=ref)),
                method="GET",
                path=f"/teams/{segment(ref)}",
                answer=TeamRead.model_validate,
            )
        )

    def create(self, **fields: Any) -> TeamRead:
        """`name`, `members` (emails or ids), `manager`."""
        data = parse(TeamCreate, fields)

        def run(s: Session, a: Actor) -> TeamRead:
            team = service.create_team(session=s, actor=a, data=data)
            return TeamRead.model_validate(service.get_team(session=s, actor=a, ref=team.id))

        return self._t.run(
            Operation(
                local=run, method="POST", path="/teams", body=data, keyed=True, answer=TeamRead.model_validate
            )
        )

    def update(self, ref: Ref, **fields: Any) -> TeamRead:
        """Rename (`name`), change the `manager` (None clears it) or replace the `members`;
        `version=` refuses a stale change (412)."""
        data = parse(TeamUpdate, fields, keep_none=True)
        return self._t.run(
            Operation(
                local=lambda s, a: TeamRead.model_validate(
                    service.update_team(
                        session=s, actor=a, ref=str(ref), data=data, expected_version=data.version
                    )
                ),
                method="PATCH",
                path=f"/teams/{segment(ref)}",
                body=data,
                answer=TeamRead.model_validate,
            )
        )
