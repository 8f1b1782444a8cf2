"""Shapes of a CMDB bulk import: the requests (a CSV or JSON text, a NetBox to read) and the report that tells
what an import creates, changes, leaves alone, retires and refuses."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from vigil.cmdb.vocabulary import RelKind
from vigil.core.schemas import StrictBool

#: The largest import text the API reads (about 10,000 rows of a wide CSV).
MAX_CONTENT = 20_000_000


class ImportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


class ImportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: ImportFormat = Field(description="csv (a header row) or json (a list, or {cis, relationships}).")
    content: str = Field(max_length=MAX_CONTENT, description="The file's text.")
    dry_run: StrictBool = Field(default=False, description="Only report what the import would do.")


class NetBoxImportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=1, max_length=500, description="NetBox's base URL, such as https://netbox.example."
    )
    token: str = Field(min_length=1, max_length=200, description="A NetBox API token (read rights suffice).")
    dry_run: StrictBool = Field(default=False, description="Only report what the import would do.")


class Where(BaseModel):
    """Where an item came from: a CSV line (the header is line 1) or a JSON item's index (from 0)."""

    line: int | None = None
    index: int | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"line {self.line}"
        if self.index is not None:
            return f"item {self.index}"
        return "the file"


class ImportedCI(Where):
    name: str
    ci_class: str
    environment: str
    #: The CI's id, once it exists (null for one a dry run would create).
    id: uuid.UUID | None = None


class FieldChange(BaseModel):
    field: str
    old: Any
    new: Any


class ChangedCI(ImportedCI):
    changes: list[FieldChange]


class RowError(Where):
    """One refusal: the line or item, the field at fault (dotted), and why."""

    field: str
    message: str


class ImportedRelationship(Where):
    source: str
    kind: RelKind
    target: str


class ImportCounts(BaseModel):
    created: int
    changed: int
    unchanged: int
    retired: int
    relationships: int
    relationships_unchanged: int
    errors: int


class ImportReport(BaseModel):
    """What the import did (or, in a dry run or refused, would do). With any error nothing is written."""

    dry_run: bool
    applied: bool = Field(description="True once the changes are written (never with errors or a dry run).")
    counts: ImportCounts
    created: list[ImportedCI]
    changed: list[ChangedCI]
    unchanged: list[ImportedCI]
    retired: list[ImportedCI] = Field(description="CIs of the source that are gone from it (NetBox).")
    relationships: list[ImportedRelationship] = Field(description="Relationships added.")
    classes_created: list[str] = Field(default_factory=list)
    errors: list[RowError]
