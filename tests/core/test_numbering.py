"""Human numbers: sequential per prefix, and a rolled-back allocation leaves no gap."""

from __future__ import annotations

from sqlalchemy.orm import Session

from vigil.core.numbering import next_number


def test_sequential_per_prefix_and_new_prefixes(session: Session) -> None:
    a, b = next_number(session, "INC"), next_number(session, "INC")
    assert int(b[4:]) == int(a[4:]) + 1
    assert next_number(session, "TST") == "TST-000001"
    assert next_number(session, "TST") == "TST-000002"


def test_rollback_leaves_no_gap(session: Session) -> None:
    before = next_number(session, "GAP")
    nested = session.begin_nested()
    next_number(session, "GAP")
    nested.rollback()
    after = next_number(session, "GAP")
    assert (before, after) == ("GAP-000001", "GAP-000002")
