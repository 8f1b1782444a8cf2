"""The audit chain's keyring: HMAC keys held outside the database, from VIGIL_AUDIT_KEY or a key file."""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from vigil.core.config import get_settings
from vigil.core.errors import Invalid

log = logging.getLogger(__name__)

#: Random bytes in a generated key.
KEY_BYTES = 32
#: A bare VIGIL_AUDIT_KEY shorter than this is refused: the MAC is only as strong as its key.
MIN_SECRET_BYTES = 16
_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,16}$")
# A process that finds the key file just created by another waits this long for its first line.
_CREATE_WAIT_SECONDS = 2.0


@dataclass(frozen=True)
class Keyring:
    """Every known key by id; `current` MACs new records, the others still verify old ones."""

    keys: dict[str, bytes]
    current: str
    source: str

    @property
    def secret(self) -> bytes:
        return self.keys[self.current]


def fingerprint(secret: bytes) -> str:
    """A short, public id for a secret (12 hex digits); it reveals nothing usable about the key."""
    return hashlib.sha256(b"vigil-audit-key-id\x00" + secret).hexdigest()[:12]


def new_entry() -> str:
    """A fresh random key as one keyring entry, `key_id:base64secret`."""
    secret = secrets.token_bytes(KEY_BYTES)
    return f"{fingerprint(secret)}:{base64.b64encode(secret).decode()}"


def _entry(text: str, where: str) -> tuple[str, bytes]:
    key_id, sep, encoded = text.partition(":")
    if not sep or not _KEY_ID.match(key_id):
        raise Invalid(f"{where}: expected key_id:base64secret with a key_id of 1-16 letters or digits")
    try:
        secret = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid(f"{where}: the secret of key {key_id} is not valid base64") from exc
    if len(secret) < MIN_SECRET_BYTES:
        raise Invalid(f"{where}: the secret of key {key_id} is shorter than {MIN_SECRET_BYTES} bytes")
    return key_id, secret


def parse(text: str, source: str) -> Keyring:
    """Entries separated by newlines, commas or spaces; `#` starts a comment; the last entry is current.

    A value without any `:` is one bare secret (used as its UTF-8 bytes) whose id is its fingerprint.
    """
    lines = [line.split("#", 1)[0] for line in text.splitlines()]
    tokens = " ".join(lines).replace(",", " ").split()
    if len(tokens) >= 1 and ":" not in text:
        secret = text.strip().encode()
        if len(secret) < MIN_SECRET_BYTES:
            raise Invalid(f"{source}: the audit key is shorter than {MIN_SECRET_BYTES} bytes")
        return Keyring(keys={fingerprint(secret): secret}, current=fingerprint(secret), source=source)
    keys: dict[str, bytes] = {}
    for n, token in enumerate(tokens, 1):
        key_id, secret = _entry(token, f"{source}, entry {n}")
        if keys.get(key_id, secret) != secret:
            raise Invalid(f"{source}: key id {key_id} is given twice with different secrets")
        keys.pop(key_id, None)  # a repeated id moves to the end: dict order is the rotation order
        keys[key_id] = secret
    if not keys:
        raise Invalid(f"{source}: no audit key found")
    return Keyring(keys=keys, current=next(reversed(keys)), source=source)


def _create(path: Path) -> bool:
    """Write a first key with O_CREAT|O_EXCL; False when another process created the file first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    try:
        # One write of one short line: a reader sees the whole line or, briefly, an empty file.
        os.write(fd, (new_entry() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    log.info("created the audit key file %s: back it up, the audit log cannot be verified without it", path)
    return True


def _read(path: Path) -> str:
    """The file's text, waiting briefly while another process is still writing its first line."""
    deadline = time.monotonic() + _CREATE_WAIT_SECONDS
    while True:
        text = path.read_text(encoding="ascii")
        if text.endswith("\n") or time.monotonic() > deadline:
            return text
        time.sleep(0.01)


def _load_file(path: Path) -> Keyring:
    if not path.exists():
        _create(path)
    if path.stat().st_mode & 0o077:
        log.warning("the audit key file %s is readable by other users: chmod 600 it", path)
    return parse(_read(path), str(path))


def _source() -> tuple[str | None, Path]:
    settings = get_settings()
    inline = settings.audit_key.get_secret_value() if settings.audit_key else None
    return inline, Path(settings.audit_key_file)


_cache: dict[tuple[str | None, Path], Keyring] = {}


def keyring(*, reload: bool = False) -> Keyring:
    """The configured keyring, cached per process (and per configuration, which tests change)."""
    inline, path = _source()
    cached = _cache.get((inline, path))
    if cached is not None and not reload:
        return cached
    ring = parse(inline, "VIGIL_AUDIT_KEY") if inline else _load_file(path)
    _cache[(inline, path)] = ring
    return ring


def secret_for(key_id: str) -> bytes | None:
    """The secret of `key_id`, re-reading the keyring once if unknown: another process may have rotated."""
    found = keyring().keys.get(key_id)
    if found is None:
        found = keyring(reload=True).keys.get(key_id)
    return found


def reset_cache() -> None:
    """Forget loaded keyrings (tests, and after a rotation in this process)."""
    _cache.clear()


def rotate() -> str:
    """Append a new key to the key file and make it current; old keys stay to verify old records."""
    inline, path = _source()
    if inline:
        raise Invalid(
            "VIGIL_AUDIT_KEY is set, so the key file is not used: append a new entry to the variable"
            " (keep the old ones), e.g. " + new_entry()
        )
    keyring()  # creates the file with a first key when there is none yet
    entry = new_entry()
    # A hand-edited file may lack its final newline; the new entry must start a line of its own.
    lead = "" if path.read_text(encoding="ascii").endswith("\n") else "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, (lead + entry + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    reset_cache()
    return entry.partition(":")[0]
