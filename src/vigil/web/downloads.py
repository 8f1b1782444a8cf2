"""Serving stored files: always as downloads the browser neither sniffs nor runs; thumbnails as PNG."""

from __future__ import annotations

from fastapi.responses import FileResponse

from vigil.core import attachments as files

#: Served files are never sniffed or run by the browser: downloads, in a sandbox if opened anyway.
HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox; default-src 'none'"}


def download(found: files.Attachment) -> FileResponse:
    """The file as `Content-Disposition: attachment` with the type Vigil decided (never HTML or SVG)."""
    return FileResponse(
        files.open_content(found),
        media_type=found.content_type,
        filename=found.filename,
        content_disposition_type="attachment",
        headers=HEADERS,
    )


def thumbnail(found: files.Attachment) -> FileResponse:
    """A PNG Vigil drew itself from an image attachment: safe to show inline."""
    return FileResponse(files.thumbnail(found), media_type="image/png", headers=HEADERS)
