"""The HTTP edge: request ids, trusted-proxy addresses, security headers, control-character checks, and
a last-resort 500 answered inside the middleware (so it keeps every header and leaks nothing to the log).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import uuid
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, cast, get_origin
from urllib.parse import unquote_to_bytes

from fastapi import params
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vigil.core import validation
from vigil.core.config import get_settings
from vigil.core.errors import Invalid, PayloadTooLarge, UnsupportedMediaType
from vigil.web import problems

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

log = logging.getLogger("vigil.web")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: In a path segment, a query value or a header nothing below U+0020 (nor DEL) makes sense.
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
#: In free text (JSON and form values) tabs and line breaks are fine; NUL and the rest are not.
_BAD_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
#: Headers whose values Vigil stores or compares.
_CHECKED_HEADERS = ("idempotency-key", "if-match")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> list[Network]:
    """`VIGIL_TRUSTED_PROXIES` entries (addresses or CIDR networks); a bad entry stops the start."""
    networks = []
    for entry in entries:
        for part in entry.split(","):
            if part.strip():
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
    return networks


def _trusted(host: str, networks: list[Network]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in net for net in networks)


def client_address(peer: str, forwarded_for: str | None, networks: list[Network]) -> str:
    """The client's address: the peer, unless the peer is a trusted proxy; then the right-most address
    in X-Forwarded-For that is not itself a trusted proxy (the left part is client-supplied)."""
    if not forwarded_for or not networks or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # garbage in the header: believe only the connection
    return hops[0] if hops else peer


#: Where TextFieldWatch leaves the first bad text field of a multipart body: (name, not UTF-8?).
BAD_TEXT_FIELD = "vigil.bad_text_field"
#: Text fields longer than this are not looked at here (Starlette refuses parts over 1 MiB anyway).
TEXT_FIELD_LIMIT = 1024 * 1024


class TextFieldWatch:
    """Reads a multipart body as it streams past on its way to the app, keeping nothing of the files:
    the text fields (parts without a filename) must be UTF-8 without control characters, as in an
    urlencoded form, because Starlette would decode bad bytes as Latin-1. It only looks: the first
    bad field goes into the request's state, for `reject_control_characters` to refuse by name."""

    def __init__(self, scope: Scope, content_type: str, receive: Receive) -> None:
        self.scope, self._receive = scope, receive
        self.parts: list[list[Any]] = []  # [Content-Disposition, data or None for a file] per part
        self._header, self._value = bytearray(), bytearray()
        _, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        callbacks: dict[str, Any] = {
            "on_part_begin": lambda: self.parts.append([b"", bytearray()]),
            "on_header_field": lambda data, start, end: self._header.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._value.extend(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
        }
        self.parser = MultipartParser(boundary, cast("MultipartCallbacks", callbacks)) if boundary else None

    def _header_end(self) -> None:
        if bytes(self._header).lower() == b"content-disposition":
            self.parts[-1][0] = bytes(self._value)
        self._header.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        _, params_ = parse_options_header(self.parts[-1][0])
        if b"filename" in params_:
            self.parts[-1][1] = None  # a file: its bytes are not kept

    def _data(self, data: bytes, start: int, end: int) -> None:
        kept = self.parts[-1][1]
        if kept is not None and len(kept) <= TEXT_FIELD_LIMIT:
            kept.extend(data[start:end])

    async def receive(self) -> Message:
        message = await self._receive()
        if self.parser is None or message["type"] != "http.request":
            return message
        try:
            self.parser.write(message.get("body", b""))
            if not message.get("more_body", False):
                self.parser.finalize()
                self._judge()
        except MultipartParseError:
            self.parser = None  # malformed: Starlette's own parser answers it
        return message

    def _judge(self) -> None:
        for disposition, data in self.parts:
            if data is None:
                continue
            _, params_ = parse_options_header(disposition)
            name = params_.get(b"name", b"form").decode("utf-8", "replace")
            try:
                text = bytes(data).decode("utf-8")
            except UnicodeDecodeError:
                self.scope.setdefault("state", {})[BAD_TEXT_FIELD] = (name, True)
                return
            if _BAD_IN_TEXT.search(name) or _BAD_IN_TEXT.search(text):
                self.scope.setdefault("state", {})[BAD_TEXT_FIELD] = (name, False)
                return


class Edge:
    """Pure ASGI middleware; it runs around every route, error handler and static file."""

    def __init__(self, app: ASGIApp, trusted_proxies: list[str] | None = None) -> None:
        self.app = app
        self.networks = parse_networks(trusted_proxies or [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        incoming = headers.get("x-request-id", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        self._apply_proxy(scope, headers)
        if headers.get("content-type", "").split(";")[0].strip().lower() == "multipart/form-data":
            receive = TextFieldWatch(scope, headers["content-type"], receive).receive
        path = scope["path"]
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                _security_headers(MutableHeaders(scope=message), path, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:  # answered here, inside the middleware, so the headers are kept
            log.error("unhandled %s on %s (request %s)", type(exc).__name__, path, request_id)
            if started:
                return  # the body was under way: nothing sensible can follow; the connection ends
            response = _internal_error(scope)
            await response(scope, receive, send_with_headers)

    def _apply_proxy(self, scope: Scope, headers: dict[str, str]) -> None:
        client = scope.get("client")
        if not client or not self.networks:
            return
        peer = str(client[0])
        address = client_address(peer, headers.get("x-forwarded-for"), self.networks)
        if address != peer:
            scope["client"] = (address, 0)
            proto = headers.get("x-forwarded-proto", "").strip().lower()
            if proto in ("http", "https"):
                scope["scheme"] = proto


def _security_headers(headers: MutableHeaders, path: str, request_id: str) -> None:
    headers["X-Request-ID"] = request_id
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if path.startswith("/docs"):
        # Swagger UI's page runs an inline script; its assets are served from /static (nothing external).
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; frame-ancestors 'none'",
        )
    else:
        headers.setdefault(
            "Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'"
        )
    if not path.startswith("/static/"):
        # Pages and API answers are per user (an account page shows a new token's secret once).
        headers.setdefault("Cache-Control", "no-store")


def _internal_error(scope: Scope) -> Any:
    return problems.respond(
        Request(scope), 500, "Internal error", "an unexpected error occurred; it has been logged"
    )


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string in a JSON document (keys too), with the dotted path of the field holding it."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            yield child, str(key)
            yield from _walk(item, child)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}.{i}" if path else str(i))


def _refuse(field: str) -> Invalid:
    return Invalid(f"{field}: control characters (such as NUL) are not allowed here", field=field)


async def reject_control_characters(request: Request) -> None:
    """An app-wide dependency: NUL and other control characters in any path parameter, query value,
    stored header or body field are a 422 naming the field (PostgreSQL cannot store NUL at all)."""
    _check_request_line(request)
    _check_utf8(request, request.scope.get("query_string", b""))
    if request.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    json_body = content_type == "application/json" or content_type.endswith("+json")
    if content_type == "multipart/form-data":
        _check_upload_size(request)
        await request.form()  # read through TextFieldWatch (or already read by FastAPI for a File route)
        bad = request.scope.get("state", {}).get(BAD_TEXT_FIELD)
        if bad is not None:
            field, not_utf8 = bad
            raise _not_utf8(request, field) if not_utf8 else _refuse(field)
    if not json_body and _reads_json(request) and await request.body():
        raise UnsupportedMediaType(
            "this operation reads a JSON body: send it with 'Content-Type: application/json'"
            + (f" (not {content_type})" if content_type else " (this request has none)")
        )
    if json_body:
        await _check_json(request)
    elif content_type == "application/x-www-form-urlencoded":
        _check_utf8(request, await request.body())
        form = await request.form()
        for name, value in form.multi_items():
            if isinstance(value, str) and (_BAD_IN_TEXT.search(name) or _BAD_IN_TEXT.search(value)):
                raise _refuse(name)


def _check_utf8(request: Request, encoded: bytes) -> None:
    """A query string or urlencoded form whose text is not UTF-8 is refused, naming the field: Starlette
    would decode it with replacement characters (or as Latin-1), storing something nobody typed."""
    try:  # the usual case, in one pass: every value is UTF-8; only a refusal needs the field's name
        unquote_to_bytes(encoded.replace(b"+", b" ")).decode("utf-8")
        return
    except UnicodeDecodeError:
        pass
    for pair in encoded.split(b"&"):
        name, _, value = pair.partition(b"=")
        try:
            name_text = unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise _not_utf8(request, "form") from None
        try:
            unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise _not_utf8(request, name_text) from None


def _not_utf8(request: Request, field: str) -> Invalid:
    if request.url.path.startswith("/api/"):
        return Invalid(f"{field}: not valid UTF-8 text; send text encoded as UTF-8", field=field)
    what = "The form" if field == "form" else f"“{validation.label_of(field)}”"
    return Invalid(
        f"{what} contains text that is not valid UTF-8, so nothing was saved. Type it again, or check "
        "the encoding of what you pasted or sent.",
        field=field,
    )


#: A multipart body carries a little more than its file: boundaries, headers and small fields.
MULTIPART_SLACK = 1024 * 1024


def _check_upload_size(request: Request) -> None:
    """An upload whose declared length is far over the attachment limit is refused without storing it
    (the exact limit is checked again while the file is copied into the store)."""
    limit = get_settings().attachment_max_bytes
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit + MULTIPART_SLACK:
        raise PayloadTooLarge(f"the upload is over the {limit:,} byte limit for attachments")


def _reads_json(request: Request) -> bool:
    """Does the API operation take a JSON body (rather than a form or a file upload)?"""
    route = request.scope.get("route")
    if route is None or not request.url.path.startswith("/api/"):
        return False
    found = getattr(route, "_vigil_reads_json", None)
    if found is None:
        body = getattr(route, "body_field", None)
        found = body is not None and not isinstance(body.field_info, params.Form)  # File is a Form
        route._vigil_reads_json = found
    return bool(found)


def _check_request_line(request: Request) -> None:
    for name, value in request.path_params.items():
        if isinstance(value, str) and _ANY_CONTROL.search(value):
            raise _refuse(name)
    for name, value in request.query_params.multi_items():
        if _ANY_CONTROL.search(name) or _ANY_CONTROL.search(value):
            raise _refuse(name)
    _check_query_names(request)
    for name in _CHECKED_HEADERS:
        value = request.headers.get(name)
        if value is not None and _ANY_CONTROL.search(value):
            raise _refuse(name)


def _query_fields(route: Any) -> dict[str, bool]:
    """The query parameters a route declares, each with whether it may repeat (a list)."""
    fields: dict[str, bool] = {}
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        stack.extend(dependant.dependencies)
        for param in dependant.query_params:
            annotation = param.field_info.annotation
            model_fields = getattr(annotation, "model_fields", None)
            if model_fields is not None:  # a filter model given as `Annotated[XFilter, Query()]`
                for name, info in model_fields.items():
                    fields[info.alias or name] = _is_list(info.annotation)
            else:
                fields[param.alias] = _is_list(annotation)
    return fields


def _is_list(annotation: Any) -> bool:
    return "list[" in str(annotation).lower() or get_origin(annotation) is list


def _check_query_names(request: Request) -> None:
    """A query parameter the operation does not have, or a single one given twice, is a 422 rather
    than silently ignored or overwritten (a typo such as `?stauts=open` would otherwise list everything)."""
    route = request.scope.get("route")
    if route is None or not hasattr(route, "dependant") or not request.url.path.startswith("/api/"):
        return  # pages read their own query strings and tolerate extra ones (?next=, ?changed=1)
    # Walked once per route, not on every request (routes live as long as the app; they are unhashable).
    fields = getattr(route, "_vigil_query_fields", None)
    if fields is None:
        fields = _query_fields(route)
        route._vigil_query_fields = fields
    seen: set[str] = set()
    for name, _ in request.query_params.multi_items():
        if name not in fields:
            raise Invalid(f"{name}: unknown query parameter", field=name)
        if name in seen and not fields[name]:
            raise Invalid(f"{name}: given more than once", field=name)
        seen.add(name)


#: Every way a JSON text can carry a character `_BAD_IN_TEXT` refuses: the raw DEL byte, a surrogate's
#: bytes (`json.loads` decodes bytes with "surrogatepass"), the escapes
#: \b and \f, \u0000-\u001f, \u007f and the surrogates \ud800-\udfff (raw control bytes are not
#: JSON at all). A body with none of them is clean without being parsed; one with any is parsed and
#: walked to name the field (an escaped backslash before a "b" only costs that walk).
_MAYBE_BAD_IN_JSON = re.compile(
    rb"\x7f|\xed[\xa0-\xbf]|\\[bf]|\\u00[01][0-9a-fA-F]|\\u007[fF]|\\u[dD][89a-fA-F]"
)


async def _check_json(request: Request) -> None:
    body = await request.body()
    if not _MAYBE_BAD_IN_JSON.search(body):
        return
    try:
        document = json.loads(body) if body else None
    except ValueError:
        return  # malformed JSON: the route's own parsing answers it
    for field, text in _walk(document, ""):
        if _BAD_IN_TEXT.search(text):
            raise _refuse(field or "body")
