"""Pydantic shapes for users and teams."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, SecretStr, StrictBool, StrictInt

from vigil.auth.roles import Role
from vigil.core.schemas import NO_NUL, Collection, ListQuery


class UserRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    display_name: str


class UserRead(UserRef):
    role: Role
    active: StrictBool
    updated_at: datetime
    version: int = Field(description="Bumped by every change; the ETag, for If-Match.")


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    display_name: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    role: Role = Role.REQUESTER
    password: SecretStr | None = Field(
        default=None, description="Omit to create an account that cannot log in yet."
    )


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, min_length=1, max_length=200, pattern=NO_NUL)
    role: Role | None = None
    #: Strict: 0, 1 or "false" are refused rather than read as a boolean.
    active: StrictBool | None = None
    version: int | None = Field(
        default=None, ge=1, description="The version read (as If-Match): a newer one is a 412."
    )


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: SecretStr | None = Field(default=None, description="Required when changing your own.")
    new_password: SecretStr
    revoke_tokens: StrictBool = Field(
        default=False,
        description="Changing your own password: also revoke all your API tokens. "
        "An administrator's reset of another user's password always revokes them.",
    )


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=NO_NUL)
    scope: Scope = Scope.READ
    expires_in_days: StrictInt | None = Field(default=90, ge=1, le=3650, description="null for no expiry")
    user: str | None = Field(
        default=None, max_length=254, description="Administrators: create for this user."
    )


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenRead):
    token: str = Field(description="The secret, shown this once.")


class TeamRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str


class TeamRead(TeamRef):
    manager: UserRef | None
    members: list[UserRef]
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="Bumped by every change; the ETag, for If-Match.")


class TeamUpdate(BaseModel):
    """Partial update: only fields present change; `members` replaces the whole list; null clears manager."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=120, pattern=NO_NUL)
    manager: str | None = Field(
        default=None, max_length=254, pattern=NO_NUL, description="User UUID or email."
    )
    members: list[Annotated[str, Field(min_length=1, max_length=254, pattern=NO_NUL)]] | None = Field(
        default=None, max_length=500, description="User UUIDs or emails: the team's whole membership."
    )
    version: int | None = Field(
        default=None, ge=1, description="The version read (as If-Match): a newer one is a 412."
    )


class TeamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120, pattern=NO_NUL)
    members: list[Annotated[str, Field(min_length=1, max_length=254, pattern=NO_NUL)]] = Field(
        default_factory=list, max_length=500
    )
    manager: str | None = Field(default=None, max_length=254, pattern=NO_NUL)


class UserPage(Collection[UserRead]):
    """A page of users."""


class TeamPage(Collection[TeamRead]):
    """A page of teams."""


class TokenPage(Collection[TokenRead]):
    """A page of tokens."""


class TokenQuery(ListQuery):
    user: str | None = Field(default=None, max_length=254, description="Administrators: whose tokens.")
