"""Domain errors raised by services; each web adapter maps them to RFC 9457 problem details."""

from __future__ import annotations

from typing import Any


class VigilError(Exception):
    """Base class: `status` is the HTTP status the API answers with, `title` a short summary."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class Invalid(VigilError):
    status = 422
    title = "Invalid input"


class NotFound(VigilError):
    status = 404
    title = "Not found"


class Forbidden(VigilError):
    status = 403
    title = "Forbidden"


class Unauthorized(VigilError):
    status = 401
    title = "Authentication required"


class Conflict(VigilError):
    status = 409
    title = "Conflict"
