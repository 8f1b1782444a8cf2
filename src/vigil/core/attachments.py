"""Files attached to records of any domain (and to their comments), kept outside the database.

Contents live in a content-addressed directory (`<dir>/ab/cd/<sha256>`): a file written twice is stored
once, and the row records its SHA-256, size and the type Vigil decided for it. Uploads stream to disk
with the size limit checked as they arrive. Domains decide who may see and add what.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError
from sqlalchemy import Index, String, Uuid, event, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from vigil.core import audit, clock
from vigil.core.actor import Actor
from vigil.core.config import get_settings
from vigil.core.db import Base, Database, UUIDPk
from vigil.core.errors import Invalid, NotFound, PayloadTooLarge

CHUNK = 64 * 1024
THUMBNAIL_SIZE = (320, 320)
#: Image formats Vigil thumbnails (never SVG: it is a document that can carry script).
IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
#: Declared types never kept: a browser would run them if they were ever served inline.
ACTIVE_TYPES = ("html", "svg", "xml", "javascript", "ecmascript", "xhtml")


class Attachment(UUIDPk, Base):
    """One file on a record (and possibly on one of its comments)."""

    __tablename__ = "attachment"
    __table_args__ = (
        Index("ix_attachment_record", "record_type", "record_id", "created_at"),
        Index("ix_attachment_sha256", "sha256"),
    )

    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    comment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    #: A raster image Vigil can thumbnail (decided by reading it, not from the name or declared type).
    image: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


@dataclass(frozen=True)
class Stored:
    """A file written to the store: what identifies it and what Vigil made of it."""

    sha256: str
    size: int
    content_type: str
    image: bool


def root() -> Path:
    return Path(get_settings().attachment_dir)


def path_of(sha256: str) -> Path:
    return root() / sha256[:2] / sha256[2:4] / sha256


def thumbnail_path(sha256: str) -> Path:
    return root() / "thumbnails" / sha256[:2] / f"{sha256}.png"


def store(stream: BinaryIO, declared_type: str | None, *, limit: int | None = None) -> Stored:
    """Copy `stream` into the store, hashing as it goes; over `limit` bytes is a 413 and keeps nothing."""
    limit = limit or get_settings().attachment_max_bytes
    base = root()
    base.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, tmp_name = tempfile.mkstemp(dir=base, prefix=".upload-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"the file is over the {limit:,} byte limit for attachments")
                digest.update(chunk)
                out.write(chunk)
        sha = digest.hexdigest()
        image_type = _image_type(tmp)
        final = path_of(sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)  # the same content twice is one file
    finally:
        tmp.unlink(missing_ok=True)
    return Stored(sha, size, image_type or _safe_type(declared_type), image_type is not None)


def _image_type(path: Path) -> str | None:
    try:
        with Image.open(path) as img:
            kind = img.format or ""
            img.verify()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        return None
    return IMAGE_TYPES.get(kind)


def _safe_type(declared: str | None) -> str:
    kind = (declared or "").split(";")[0].strip().lower()
    if not kind or "/" not in kind or len(kind) > 100 or any(word in kind for word in ACTIVE_TYPES):
        return "application/octet-stream"
    return kind


def clean_filename(name: str | None) -> str:
    """The file's own name, without any directory part or control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()[:255]
    if not base or base in (".", ".."):
        raise Invalid("the file needs a name", field="file")
    return base


def add(
    session: Session,
    actor: Actor,
    *,
    record_type: str,
    record_id: uuid.UUID,
    filename: str,
    stored: Stored,
    comment_id: uuid.UUID | None = None,
) -> Attachment:
    """Record a stored file on a record the caller has already loaded through its visibility."""
    attachment = Attachment(
        record_type=record_type,
        record_id=record_id,
        comment_id=comment_id,
        filename=clean_filename(filename),
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        image=stored.image,
        created_at=clock.now(),
        created_by_id=actor.user_id,
    )
    session.add(attachment)
    session.flush()
    audit.record(
        session,
        actor,
        action=f"{record_type}.attachment_add",
        object_type=record_type,
        object_id=record_id,
        changes={"attachments": [None, f"{attachment.filename} (sha256 {stored.sha256[:12]}…)"]},
    )
    return attachment


def of(session: Session, record_type: str, record_ids: Iterable[uuid.UUID]) -> list[Attachment]:
    """Attachments of the records, oldest first."""
    ids = list(record_ids)
    if not ids:
        return []
    stmt = (
        select(Attachment)
        .where(Attachment.record_type == record_type, Attachment.record_id.in_(ids))
        .order_by(Attachment.created_at, Attachment.id)
    )
    return list(session.scalars(stmt))


def one(session: Session, record_type: str, record_id: uuid.UUID, attachment_id: uuid.UUID) -> Attachment:
    found = session.get(Attachment, attachment_id)
    if found is None or found.record_type != record_type or found.record_id != record_id:
        raise NotFound("attachment not found")
    return found


def delete(session: Session, actor: Actor, attachment: Attachment) -> None:
    """Delete the row (audited); once the transaction commits, the file goes too unless still in use
    (a rolled-back delete keeps it)."""
    engine, sha = session.get_bind(), attachment.sha256

    def after_commit(_: Session) -> None:
        with Session(engine) as fresh:
            purge(fresh, sha)

    event.listen(session, "after_commit", after_commit, once=True)
    session.delete(attachment)
    session.flush()
    audit.record(
        session,
        actor,
        action=f"{attachment.record_type}.attachment_delete",
        object_type=attachment.record_type,
        object_id=attachment.record_id,
        changes={"attachments": [f"{attachment.filename} (sha256 {attachment.sha256[:12]}…)", None]},
    )


@contextmanager
def discarded_unless_kept(db: Database, stored: Stored) -> Iterator[None]:
    """Around the transaction that records a stored file: if it fails, the file leaves the store again
    (unless another attachment has the same content)."""
    try:
        yield
    except BaseException:
        with db.unit_of_work() as session:
            purge(session, stored.sha256)
        raise


def purge(session: Session, sha256: str) -> bool:
    """Remove the file (and its thumbnail) when no attachment refers to it any more; after commit."""
    in_use = session.scalar(select(func.count()).where(Attachment.sha256 == sha256))
    if in_use:
        return False
    path_of(sha256).unlink(missing_ok=True)
    thumbnail_path(sha256).unlink(missing_ok=True)
    return True


def open_content(attachment: Attachment) -> Path:
    path = path_of(attachment.sha256)
    if not path.is_file():
        raise NotFound("the attachment's file is missing from the store")
    return path


def thumbnail(attachment: Attachment) -> Path:
    """A PNG at most 320x320 of an image attachment, made once and kept beside the store."""
    if not attachment.image:
        raise NotFound("this attachment is not an image")
    out = thumbnail_path(attachment.sha256)
    if out.is_file():
        return out
    with Image.open(open_content(attachment)) as img:
        img.thumbnail(THUMBNAIL_SIZE)
        buffer = BytesIO()
        img.convert("RGBA").save(buffer, "PNG")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".thumb-")
    with os.fdopen(fd, "wb") as f:
        f.write(buffer.getvalue())
    os.replace(tmp, out)
    return out
