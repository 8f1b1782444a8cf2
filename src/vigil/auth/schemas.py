"""Pydantic shapes for users and teams."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from vigil.auth.roles import Role


class UserRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    display_name: str


class UserRead(UserRef):
    role: Role
    active: bool


class UserCreate(BaseModel):
    email: EmailStr
    display_name: str = Field(min_length=1, max_length=200)
    role: Role = Role.REQUESTER


class TeamRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str


class TeamCreate(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    members: list[str] = Field(default_factory=list, max_length=500)
    manager: str | None = None
