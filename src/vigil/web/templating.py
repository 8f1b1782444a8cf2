"""Jinja2 environment shared by every domain's UI pages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from vigil.core import clock

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


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render a page; every page also gets the acting user and the session's CSRF secret."""
    base = {
        "actor": getattr(request.state, "actor", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        # Set by the web login for requesters: their pages get the portal's top bar.
        "portal_nav": getattr(request.state, "portal_nav", False),
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)


def render_error(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    return render(
        request, "error.html", {"status": status, "title": title, "detail": detail}, status_code=status
    )
