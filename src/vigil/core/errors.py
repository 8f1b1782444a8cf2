"""Domain errors raised by services; each web adapter maps them to RFC 9457 problem details."""

from __future__ import annotations

from typing import Any


class VigilError(Exception):
    """Base class: `status` is the HTTP status the API answers with, `title` a short summary, `type` the
    problem type URI a client tells kinds of errors apart by (docs/api.md lists them)."""

    status = 400
    title = "Bad request"
    type = "about:blank"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    @property
    def errors(self) -> list[dict[str, str]]:
        """Each field at fault and why, as a problem's `errors` (`[{field, message}]`): what the API
        answers with every 422, and what the library's exceptions carry on either transport."""
        if "errors" in self.extra:
            return list(self.extra["errors"])
        if "field" in self.extra:
            return [{"field": str(self.extra["field"]), "message": self.detail}]
        return []


#: The problem `type` of a request that failed schema validation (as opposed to a domain rule).
REQUEST_VALIDATION = "urn:vigil:problem:request-validation"


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


class IllegalTransition(Conflict):
    """An action the record's current state does not allow (the problem names the state and the allowed
    actions), or any change to a record in a final state."""

    type = "urn:vigil:problem:illegal-transition"


class Duplicate(Conflict):
    """Something with that unique name (or email) already exists."""

    type = "urn:vigil:problem:duplicate"


class IdempotencyKeyReuse(Conflict):
    """An Idempotency-Key already used for a different request body."""

    type = "urn:vigil:problem:idempotency-key-reuse"


class UnsupportedMediaType(VigilError):
    """A request body in a format the operation does not read (JSON operations read only JSON)."""

    status = 415
    title = "Unsupported media type"
    type = "urn:vigil:problem:unsupported-media-type"


class PayloadTooLarge(VigilError):
    """A request body (an upload) over the configured size limit."""

    status = 413
    title = "Payload too large"
    type = "urn:vigil:problem:payload-too-large"


class StaleVersion(VigilError):
    """The caller's copy is older than the record (optimistic concurrency: If-Match or `version`)."""

    status = 412
    title = "Precondition failed"
    type = "urn:vigil:problem:stale-version"


class RateLimited(VigilError):
    """Too many API requests for a token or a client address; `retry_after` is how many seconds to wait
    (raised by the library's HTTP transport once its retries are spent)."""

    status = 429
    title = "Too many requests"
    type = "urn:vigil:problem:rate-limited"


class Unavailable(VigilError):
    """The service (or its database) cannot answer now; trying again later may work."""

    status = 503
    title = "Service unavailable"


class BadGateway(VigilError):
    """Another system Vigil reads (NetBox, for an import) answered with something it cannot use."""

    status = 502
    title = "Bad gateway"
    type = "urn:vigil:problem:bad-gateway"


def check_version(what: str, current: int, expected: int | frozenset[int] | None) -> None:
    """Refuse a change made from a stale read: `expected` is the version the caller last saw, or the
    versions any of which it accepts (an If-Match list); None asks for no check. The problem carries the
    current version, so the client can reload and retry."""
    if expected is None:
        return
    accepted = expected if isinstance(expected, frozenset) else frozenset({expected})
    if current not in accepted:
        seen = " or ".join(str(v) for v in sorted(accepted)) or "none (a weak entity tag)"
        raise StaleVersion(
            f"{what} has changed since you read it: it is at version {current}, your copy is version "
            f"{seen}; reload it and apply your change again",
            version=current,
        )
