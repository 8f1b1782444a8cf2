"""The SLA sweep benchmark's smoke run (`--quick`): it fills, sweeps exactly D due clocks per run (one
event and one outbox job each, checked by the benchmark) and finds them through the next_alert_at index."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import sla_sweep
from tests.dbutil import PG_URL, fresh_database


@pytest.mark.skipif(
    not PG_URL, reason="the SLA sweep benchmark needs PostgreSQL: set VIGIL_TEST_DATABASE_URL"
)
def test_quick_run_sweeps_exactly_the_due_clocks_through_the_index(tmp_path: Path) -> None:
    with fresh_database("postgresql", tmp_path) as url:
        section = sla_sweep.main(["--url", url, "--quick"])
    assert "| 2,000 | 100 |" in section
    assert "ix_sla_clock_next_alert_at" in section and "Seq Scan" not in section


def test_refuses_sqlite() -> None:
    with pytest.raises(SystemExit, match="PostgreSQL"):
        sla_sweep.main(["--url", "sqlite:///:memory:", "--quick"])
