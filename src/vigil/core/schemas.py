"""Shared Pydantic building blocks: text without NUL bytes (PostgreSQL rejects them), references."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

NO_NUL = r"^[^\x00]*$"

#: A short single-purpose string such as a title: trimmed, 1-200 characters.
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NO_NUL)
]
#: Free text such as a description or a note.
LongText = Annotated[str, StringConstraints(max_length=20000, pattern=NO_NUL)]
#: Non-empty free text (a comment, resolution notes).
RequiredText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000, pattern=NO_NUL)
]
#: A reference to another record: its UUID, or a human key (email, name, number).
Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254, pattern=NO_NUL)]
Tag = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, min_length=1, max_length=50, pattern=r"^[^\x00,]*$"
    ),
]
