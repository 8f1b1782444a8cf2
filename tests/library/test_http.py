"""What only the HTTP transport does: retries on a real 429 (honouring Retry-After), a retried create that
acts once (Idempotency-Key), what is and is not sent twice, problems read back into exceptions, and a
light import."""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Any

import httpx
import pytest

import vigil
from tests.library.conftest import ADMIN, mint_token, unique
from tests.procs import Server, free_port, vigil_serve
from vigil.client import Vigil
from vigil.remote import HttpTransport, problem_error, retry_after


def test_a_real_429_is_waited_out_and_retried(
    database: str, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    with vigil_serve(database, VIGIL_RATE_LIMIT_PER_TOKEN="2/second") as limited:
        token = mint_token(database, ADMIN, "admin")
        with vigil.connect(limited.url, token=token) as v, caplog.at_level(logging.WARNING, "vigil.remote"):
            inc = v.incidents.create(title=unique("limited"))
            got = [v.incidents.get(inc.number).number for _ in range(5)]
        assert got == [inc.number] * 5
        waits = [r.getMessage() for r in caplog.records if r.name == "vigil.remote"]
        assert waits and all(m.startswith("429 Too many requests; retrying in ") for m in waits), waits
        # connect() itself asks for /me, so the refusal may come from it or from any of the calls after it.
        with pytest.raises(vigil.RateLimited) as refused:
            with vigil.connect(limited.url, token=token, retries=0) as impatient:
                for _ in range(4):
                    impatient.users.me()
        assert refused.value.status == 429 and refused.value.extra["retry_after"] == 1
        assert refused.value.type == "urn:vigil:problem:rate-limited"


class LoseFirstAnswer(httpx.HTTPTransport):
    """Delivers each request, but the first answer to `method` is lost on the way back."""

    def __init__(self, method: str) -> None:
        super().__init__()
        self.method, self.sent, self.lost = method, [], False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.headers.get("Idempotency-Key")))
        response = super().handle_request(request)
        if request.method == self.method and not self.lost:
            self.lost = True
            response.read()
            raise httpx.ReadError("connection reset by peer", request=request)
        return response


def test_a_create_whose_answer_was_lost_is_retried_and_acts_once(database: str, server: Server) -> None:
    token = mint_token(database, ADMIN, "admin")
    lossy = LoseFirstAnswer("POST")
    with Vigil(HttpTransport(server.url, token, transport=lossy, sleep=lambda s: None)) as v:
        word = unique("once")
        inc = v.incidents.create(title=f"{word} created once")
        assert [i.number for i in v.incidents.iterate(q=word)] == [inc.number]
    posts = [key for method, key in lossy.sent if method == "POST"]
    assert len(posts) == 2 and posts[0] == posts[1] is not None  # the same key both times


def test_a_write_without_a_key_is_not_sent_twice(database: str, server: Server) -> None:
    token = mint_token(database, ADMIN, "admin")
    with vigil.connect(server.url, token=token) as v:
        inc = v.incidents.create(title=unique("patch"))
    lossy = LoseFirstAnswer("PATCH")
    with Vigil(HttpTransport(server.url, token, transport=lossy, sleep=lambda s: None)) as v:
        with pytest.raises(vigil.Unavailable, match="cannot reach"):
            v.incidents.update(inc.number, title="renamed")
        assert [m for m, _ in lossy.sent].count("PATCH") == 1
        assert v.incidents.get(inc.number).title == "renamed"  # it did arrive: retrying was not safe


def test_an_unreachable_server_is_retried_then_unavailable() -> None:
    slept: list[float] = []
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with Vigil(HttpTransport(url, "vgl_x", retries=3, sleep=slept.append)) as v:
        with pytest.raises(vigil.Unavailable) as down:
            v.incidents.create(title="nobody home")
    assert down.value.status == 503 and len(slept) == 3 and slept == sorted(slept)


def test_a_bad_token_is_unauthorized(database: str, server: Server) -> None:
    with pytest.raises(vigil.Unauthorized) as denied:  # at connect(), which asks who the token belongs to
        vigil.connect(server.url, token="vgl_not-a-real-token")
    assert denied.value.status == 401
    with pytest.raises(ValueError, match="token"):
        vigil.connect(server.url, token="")


def _mock(*answers: httpx.Response) -> tuple[HttpTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0)

    return HttpTransport(
        "https://vigil.test", "t", transport=httpx.MockTransport(handler), sleep=lambda s: None
    ), seen


def test_a_503_is_retried_after_its_retry_after() -> None:
    body = {"type": "about:blank", "title": "Service unavailable", "status": 503, "detail": "db down"}
    ok = {"items": [], "next_cursor": None}
    transport, seen = _mock(
        httpx.Response(503, json=body, headers={"Retry-After": "0"}), httpx.Response(200, json=ok)
    )
    assert Vigil(transport).incidents.list(status=["open"]).items == []
    assert len(seen) == 2 and str(seen[0].url) == "https://vigil.test/api/v1/incidents?status=open"


def test_problems_become_exceptions_by_type_then_status() -> None:
    def answer(status: int, **problem: Any) -> httpx.Response:
        request = httpx.Request("GET", "https://vigil.test/api/v1/x")
        return httpx.Response(status, json=problem, request=request)

    stale = problem_error(answer(412, type="urn:vigil:problem:stale-version", detail="moved", version=9))
    assert isinstance(stale, vigil.StaleVersion) and stale.extra["version"] == 9 and str(stale) == "moved"
    schema = problem_error(
        answer(
            422,
            type="urn:vigil:problem:request-validation",
            detail="title: too short",
            errors=[{"field": "title", "message": "too short"}],
        )
    )
    assert isinstance(schema, vigil.Invalid) and schema.type == "urn:vigil:problem:request-validation"
    assert schema.errors == [{"field": "title", "message": "too short"}]
    big = problem_error(answer(413, type="urn:vigil:problem:payload-too-large", detail="over 25 MB"))
    assert isinstance(big, vigil.PayloadTooLarge) and big.status == 413
    reuse = problem_error(answer(409, type="urn:vigil:problem:idempotency-key-reuse", detail="reused"))
    assert isinstance(reuse, vigil.IdempotencyKeyReuse) and isinstance(reuse, vigil.Conflict)
    odd = problem_error(answer(405, type="about:blank", title="Method not allowed", detail="no"))
    assert type(odd) is vigil.VigilError and odd.status == 405 and odd.title == "Method not allowed"
    request = httpx.Request("GET", "https://vigil.test/api/v1/x")
    proxy = problem_error(httpx.Response(502, text="<html>Bad gateway</html>", request=request))
    assert proxy.status == 502 and "502 Bad Gateway" in proxy.detail
    assert retry_after("7") == 7.0 and retry_after(None) is None and retry_after("soon") is None
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: now


def test_the_http_client_imports_no_server_code() -> None:
    code = (
        "import sys, vigil\n"
        "try:\n"
        "    vigil.connect('http://127.0.0.1:9', token='vgl_x', retries=0)\n"
        "except vigil.Unavailable:\n"
        "    pass\n"
        "v = vigil.Vigil(__import__('vigil.remote').remote.HttpTransport('http://127.0.0.1:9', 'vgl_x'))\n"
        "assert v.incidents and v.users and v.teams and v.cis\n"
        "heavy = {'fastapi', 'starlette', 'uvicorn', 'jinja2', 'typer', 'alembic'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
