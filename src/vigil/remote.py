"""The library's HTTP transport: `vigil.connect("https://...", token=...)` runs facade operations over the
REST API with httpx.

Problem answers (RFC 9457) become the same `core.errors` exceptions the services raise, told apart by
`type` and then status, with every problem member kept in `extra` (the field errors in `errors`). A 429
or 503 is retried with backoff (tenacity) after the answer's `Retry-After`; a request that never reached
the server is retried whatever it was, one that may have reached it only when sending it twice is safe
(a read, or a POST carrying an Idempotency-Key, which the server answers at most once). Imports neither
FastAPI nor any server module.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, SecretStr
from pydantic_core import to_jsonable_python
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from vigil.core import errors
from vigil.core.errors import Unavailable, VigilError
from vigil.core.facade import Operation
from vigil.version import __version__

R = TypeVar("R")
log = logging.getLogger("vigil.remote")

#: Problem `type` URIs a client tells kinds of error apart by (docs/api.md), then the status's class.
BY_TYPE: dict[str, type[VigilError]] = {
    cls.type: cls
    for cls in (
        errors.IllegalTransition,
        errors.Duplicate,
        errors.IdempotencyKeyReuse,
        errors.UnsupportedMediaType,
        errors.PayloadTooLarge,
        errors.StaleVersion,
        errors.RateLimited,
    )
} | {errors.REQUEST_VALIDATION: errors.Invalid}
BY_STATUS: dict[int, type[VigilError]] = {
    cls.status: cls
    for cls in (
        errors.Unauthorized,
        errors.Forbidden,
        errors.NotFound,
        errors.Conflict,
        errors.StaleVersion,
        errors.UnsupportedMediaType,
        errors.PayloadTooLarge,
        errors.Invalid,
        errors.RateLimited,
        errors.Unavailable,
    )
}
#: Answers worth waiting for: the server asked us to slow down, or could not reach its database.
RETRY_STATUSES = frozenset({429, 503})
#: Failures before a request left this machine: retrying them cannot make the server act twice.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def api_base(url: str) -> str:
    """The API root of a server URL (`https://vigil.example` or `https://vigil.example/api/v1`)."""
    root = url.rstrip("/")
    return root if root.endswith("/api/v1") else f"{root}/api/v1"


class HttpTransport:
    """Facade operations over the REST API, as the owner of `token`.

    `retries` is how many times a failed request is sent again; a `Retry-After` longer than `max_wait`
    seconds is not waited for (the error is raised). `transport` and `sleep` are for tests.
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 30.0,
        retries: int = 4,
        max_wait: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = api_base(url)
        self.max_wait = max_wait
        self._client = httpx.Client(
            base_url=self.url,
            timeout=timeout,
            transport=transport,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": f"vigil-python/{__version__}",
            },
        )
        self._retries = retries
        self._sleep = sleep
        self._backoff = wait_exponential_jitter(multiplier=0.5, max=max_wait, jitter=0.5)

    def run(self, op: Operation[R]) -> R:
        headers = {"Idempotency-Key": str(uuid.uuid4())} if op.keyed else {}  # one key for every retry
        if op.if_match is not None:
            headers["If-Match"] = f'"{op.if_match}"'
        retrying = Retrying(
            retry=retry_if_exception(lambda exc: self._retryable(op, exc)),
            wait=self._wait,
            stop=stop_after_attempt(self._retries + 1),
            sleep=self._sleep,
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            body = retrying(self._send, op, headers)
        except httpx.TransportError as exc:
            raise Unavailable(f"cannot reach {self.url}: {exc or type(exc).__name__}") from exc
        return op.answer(body)

    def _send(self, op: Operation[Any], headers: dict[str, str]) -> Any:
        response = self._client.request(
            op.method,
            op.path,
            params=dict(op.query or {}),
            json=_json(op.body) if op.body is not None else None,
            files=dict(op.files) if op.files else None,
            data=dict(op.form) if op.form else None,
            headers=headers,
        )
        if response.is_success:
            if op.raw:
                return response.content
            return response.json() if response.content else None
        raise problem_error(response)

    def _retryable(self, op: Operation[Any], exc: BaseException) -> bool:
        if isinstance(exc, VigilError):
            after = exc.extra.get("retry_after")
            return exc.status in RETRY_STATUSES and (after is None or after <= self.max_wait)
        if isinstance(exc, NOT_SENT):
            return True
        return isinstance(exc, httpx.TransportError) and op.idempotent

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        after = exc.extra.get("retry_after") if isinstance(exc, VigilError) else None
        return float(after) if after is not None else float(self._backoff(state))

    def close(self) -> None:
        self._client.close()


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    reason = f"{exc.status} {exc.title}" if isinstance(exc, VigilError) else type(exc).__name__
    log.warning("%s; retrying in %.1f s (attempt %d)", reason, wait, state.attempt_number + 1)


def _json(body: BaseModel) -> Any:
    """The fields the caller set, as JSON (secrets such as a new user's password sent, not masked)."""
    return to_jsonable_python(_reveal(body.model_dump(exclude_unset=True)))


def _reveal(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {k: _reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_reveal(v) for v in value]
    return value


def problem_error(response: httpx.Response) -> VigilError:
    """The exception a problem answer stands for: by `type`, else by status; members kept in `extra`."""
    try:
        problem = response.json()
    except ValueError:
        problem = None
    if not isinstance(problem, dict):
        problem = {"detail": f"HTTP {response.status_code} {response.reason_phrase} from {response.url}"}
    extra = {k: v for k, v in problem.items() if k not in ("type", "title", "status", "detail")}
    after = retry_after(response.headers.get("Retry-After"))
    if after is not None:
        extra["retry_after"] = after
    kind = str(problem.get("type") or "about:blank")
    cls = BY_TYPE.get(kind) or BY_STATUS.get(response.status_code, VigilError)
    exc = cls(str(problem.get("detail") or problem.get("title") or response.reason_phrase), **extra)
    if exc.status != response.status_code:  # a status without a class of its own (400, 405, 502...)
        exc.status = response.status_code
        exc.title = str(problem.get("title") or response.reason_phrase)
    if kind != exc.type:
        exc.type = kind
    return exc


def retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds, from its delay-seconds or HTTP-date form; None when absent or unreadable."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
