"""Human numbers: unique and increasing per prefix; new prefixes start at 1."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from vigil.core.numbering import next_number, sequence_name


def test_increasing_per_prefix_and_new_prefixes(session: Session) -> None:
    a, b = next_number(session, "INC"), next_number(session, "INC")
    assert int(b[4:]) > int(a[4:])
    first = next_number(session, "TSTA")
    assert first.startswith("TSTA-") and int(next_number(session, "TSTA")[5:]) == int(first[5:]) + 1


def test_a_rolled_back_number_is_never_reused(session: Session) -> None:
    before = next_number(session, "GAP")
    nested = session.begin_nested()
    lost = next_number(session, "GAP")
    nested.rollback()
    after = next_number(session, "GAP")
    assert int(after[4:]) > int(before[4:]) and after != before
    # PostgreSQL sequences skip the rolled-back number; SQLite's counter gives it out again.
    assert after == lost or int(after[4:]) > int(lost[4:])


def test_prefixes_are_validated_before_they_become_identifiers() -> None:
    assert sequence_name("INC") == "number_seq_inc"
    for bad in ("inc", "I", "INC1", "INC; DROP TABLE x", "TOOLONGPREFIX"):
        with pytest.raises(ValueError):
            sequence_name(bad)
