"""Jinja2 environment shared by every domain's UI pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import TemplateError
from markupsafe import Markup

from vigil.core import clock, metrics

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def _ago(value: datetime | None) -> Markup:
    """A time as an age ("3 h ago"), with the exact time on hover and for machines; a date beyond 30 days."""
    if value is None:
        return Markup("—")
    now = clock.now()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    seconds = (now - value).total_seconds()
    if seconds < 0:
        text = "in the future" if seconds < -60 else "just now"
    elif seconds < 60:
        text = "just now"
    elif seconds < 3600:
        text = f"{int(seconds // 60)} min ago"
    elif seconds < 86400:
        text = f"{int(seconds // 3600)} h ago"
    elif seconds < 30 * 86400:
        text = f"{int(seconds // 86400)} d ago"
    else:
        text = value.strftime("%Y-%m-%d")
    exact = _when(value)
    return Markup('<time datetime="{}" title="{}">{}</time>').format(value.isoformat(), exact, text)


def _due(value: datetime | None) -> Markup:
    """A due time as what is left ("in 2h 10m") or how late it is ("3h 5m late")."""
    if value is None:
        return Markup("—")
    seconds = int((value - clock.now()).total_seconds())
    text = f"in {_duration(seconds)}" if seconds >= 0 else f"{_duration(-seconds)} late"
    return Markup('<time datetime="{}" title="{}">{}</time>').format(value.isoformat(), _when(value), text)


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    minutes, _ = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


def _label(value: Any) -> str:
    return str(value).replace("_", " ")


def _show(value: Any) -> str:
    """An audited value as text: lists joined, nothing as a dash."""
    if value is None or value == "" or value == []:
        return "—"
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _filesize(size: int) -> str:
    """1536 -> "1.5 KB" (decimal units, as file managers show them)."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} bytes"  # pragma: no cover


templates.env.filters["when"] = _when
templates.env.filters["filesize"] = _filesize
templates.env.filters["show"] = _show
templates.env.filters["duration"] = _duration
templates.env.filters["label"] = _label
templates.env.filters["ago"] = _ago
templates.env.filters["due"] = _due


#: What every page of a signed-in user also shows, from domains above the web layer (the notifications
#: bell): each is called with the request and the actor, and returns context to add.
PageContext = Callable[[Request, Any], dict[str, Any]]
PAGE_CONTEXT: list[PageContext] = []


def page_context(fn: PageContext) -> PageContext:
    """Register `fn` to add context to every signed-in page (idempotent)."""
    if fn not in PAGE_CONTEXT:
        PAGE_CONTEXT.append(fn)
    return fn


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render a page; every page also gets the acting user, the session's CSRF secret and, for a
    signed-in user, what `PAGE_CONTEXT` adds."""
    actor = getattr(request.state, "actor", None)
    extra: dict[str, Any] = {}
    if actor is not None:
        for fn in PAGE_CONTEXT:
            extra.update(fn(request, actor))
    base = {
        **extra,
        "actor": actor,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        # Set by the web login for requesters: their pages get the portal's top bar.
        "portal_nav": getattr(request.state, "portal_nav", False),
    }
    try:
        return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)
    except TemplateError:  # counted, then answered as any unexpected error (the edge's 500)
        metrics.template_error(name)
        raise


def render_error(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    return render(
        request, "error.html", {"status": status, "title": title, "detail": detail}, status_code=status
    )
