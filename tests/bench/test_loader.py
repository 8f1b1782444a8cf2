"""The bulk loader: a small load gives the counts it reports and an audit chain that verifies."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench import dataset, loader
from vigil.core import audit
from vigil.core.db import make_engine
from vigil.models import metadata


def test_loader_fills_counts_and_a_verifying_chain(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    summary = loader.load(url, 200, seed=3, requesters=50, agents=10, teams=4, cis=30)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            checked, problem = audit.verify(session)
            assert problem is None
            counts = {
                name: session.scalar(select(func.count()).select_from(metadata.tables[name]))
                for name in summary["rows"]
            }
            numbers = session.scalar(select(metadata.tables["number_sequence"].c.last_value))
            last = session.scalar(select(func.max(metadata.tables["incident"].c.number)))
    finally:
        engine.dispose()
    assert counts == summary["rows"]
    assert counts["incident"] == 200 and counts["user_account"] == 50 + 10 + 2 + 1
    assert checked == counts["audit_record"] >= 200
    assert numbers == 200 and last == "INC-000200"
    assert set(summary["rare_words"]) == set(dataset.RARE_WORDS)
    assert all(len(found) == 1 for found in summary["rare_words"].values())
