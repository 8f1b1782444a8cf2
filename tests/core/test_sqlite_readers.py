"""SQLite: a request that only reads runs beside a writer (WAL) instead of queueing for the writer slot,
and a request that changes something holds the slot for its change alone."""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select, text

from tests.factories.auth import api_token
from vigil import migrate
from vigil.app import create_app
from vigil.auth import service as auth_service
from vigil.auth.models import ApiToken
from vigil.core.db import Database


def test_a_read_is_not_held_up_by_a_writer_and_records_last_use_after(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'readers.db'}"
    migrate.upgrade(url)
    db = Database(url)
    try:
        with db.unit_of_work() as s:
            made = auth_service.ensure_first_admin(s, "admin@vigil.example", None, generate=False)
            assert made is not None
            token = api_token(s, made[0].id, "admin")
        with TestClient(create_app(db)) as client:
            client.headers["Authorization"] = f"Bearer {token}"
            number = client.post("/api/v1/incidents", json={"title": "Readers"}).json()["number"]
            answered = threading.Event()
            status: list[int] = []

            def read() -> None:
                status.append(client.get(f"/api/v1/incidents/{number}").status_code)
                answered.set()

            with db.unit_of_work() as writer:  # holds SQLite's writer slot until the block ends
                writer.execute(text("UPDATE incident SET title = 'Readers (edited)'"))
                reader = threading.Thread(target=read)
                reader.start()
                assert answered.wait(10), "a read queued behind the writer"
            reader.join()
            assert status == [200]
        with db.unit_of_work() as s:  # the token's last use, written after that read in its own transaction
            assert s.scalar(select(ApiToken.last_used_at)) is not None
    finally:
        db.dispose()
