"""The audit keyring: a key file created once (0600, race-free), VIGIL_AUDIT_KEY first, rotation, parsing."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from vigil.core import auditkey
from vigil.core.config import get_settings
from vigil.core.errors import Invalid


def test_the_key_file_is_created_0600_on_first_use(key_file: Path) -> None:
    ring = auditkey.keyring()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    lines = key_file.read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith(ring.current + ":")
    assert len(ring.current) <= 16 and ring.current == auditkey.fingerprint(ring.secret)
    assert len(ring.secret) == auditkey.KEY_BYTES and ring.source == str(key_file)
    assert auditkey.keyring() is ring, "cached per process"


def test_a_file_created_by_another_process_is_read_not_replaced(key_file: Path) -> None:
    assert auditkey.keyring() is not None
    first = key_file.read_text()
    auditkey.reset_cache()
    assert auditkey._create(key_file) is False  # O_EXCL: the second creator loses and reads instead
    assert key_file.read_text() == first and auditkey.keyring().current in first


def test_two_processes_starting_at_once_agree_on_the_key(key_file: Path) -> None:
    code = "from vigil.core import auditkey; print(auditkey.keyring().current)"
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=os.environ)
        for _ in range(2)
    ]
    ids = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert len(ids) == 1 and key_file.read_text().count("\n") == 1


def test_two_keys_in_the_file_the_last_is_current(key_file: Path) -> None:
    old, new = auditkey.new_entry(), auditkey.new_entry()
    key_file.parent.mkdir()
    key_file.write_text(f"# rotated 2026-11-23\n{old}\n\n{new}\n")
    key_file.chmod(0o600)
    ring = auditkey.keyring()
    assert list(ring.keys) == [old.split(":")[0], new.split(":")[0]] and ring.current == new.split(":")[0]
    assert auditkey.secret_for(old.split(":")[0]) == base64.b64decode(old.split(":")[1])


def test_rotation_appends_and_keeps_old_keys(key_file: Path) -> None:
    first = auditkey.keyring().current
    second = auditkey.rotate()
    ring = auditkey.keyring()
    assert ring.current == second != first and set(ring.keys) == {first, second}
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_an_unknown_key_id_is_looked_up_again_in_case_another_process_rotated(key_file: Path) -> None:
    auditkey.keyring()
    entry = auditkey.new_entry()
    with key_file.open("a") as f:
        f.write(entry + "\n")
    assert auditkey.secret_for(entry.split(":")[0]) is not None
    assert auditkey.secret_for("nosuchkey") is None


def test_the_inline_key_takes_precedence(key_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_AUDIT_KEY", "a passphrase of more than sixteen bytes")
    get_settings.cache_clear()
    ring = auditkey.keyring()
    assert ring.source == "VIGIL_AUDIT_KEY" and ring.secret == b"a passphrase of more than sixteen bytes"
    assert not key_file.exists(), "no key file is created when the key is inline"
    with pytest.raises(Invalid, match="append a new entry"):
        auditkey.rotate()
    old, new = auditkey.new_entry(), auditkey.new_entry()
    monkeypatch.setenv("VIGIL_AUDIT_KEY", f"{old},{new}")
    get_settings.cache_clear()
    assert auditkey.keyring().current == new.split(":")[0] and len(auditkey.keyring().keys) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("short", "shorter than 16 bytes"),
        ("k1:bm90IGJhc2U2NA==", "shorter than 16 bytes"),
        ("k1:***", "not valid base64"),
        ("keyidthatisfartoolong:" + base64.b64encode(b"x" * 32).decode(), "key_id"),
        (f"k1:{base64.b64encode(b'x' * 32).decode()} k1:{base64.b64encode(b'y' * 32).decode()}", "twice"),
        ("# only a comment: nothing else", "no audit key"),
    ],
)
def test_malformed_keyrings_are_refused(text: str, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        auditkey.parse(text, "test")
