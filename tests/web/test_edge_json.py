"""The edge's JSON prefilter: a body it passes unparsed holds no character the field check refuses."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.web.edge import _BAD_IN_TEXT, _MAYBE_BAD_IN_JSON, _walk

# Text biased towards the edges: controls, DEL, surrogates, backslashes, the letters of escapes.
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0, max_codepoint=0x7F),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
        st.sampled_from("\\bfnrtu0D8é€😀"),
    ),
    max_size=12,
)
DOCUMENTS = st.recursive(
    st.one_of(TEXT, st.integers(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)


def _refused(document: Any) -> bool:
    return any(_BAD_IN_TEXT.search(text) for _, text in _walk(document, ""))


@settings(max_examples=400, deadline=None)
@given(DOCUMENTS, st.booleans())
def test_every_body_with_a_refused_character_is_parsed(document: Any, ascii_only: bool) -> None:
    body = json.dumps(document, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    if _refused(json.loads(body.decode("utf-8", "surrogatepass"))):
        assert _MAYBE_BAD_IN_JSON.search(body)


def test_a_plain_alert_batch_is_not_parsed_twice() -> None:
    body = json.dumps({"alerts": [{"labels": {"alertname": "Down", "instance": "db1:9100"}, "n": "a\nb\tc"}]})
    assert _MAYBE_BAD_IN_JSON.search(body.encode()) is None
    assert _MAYBE_BAD_IN_JSON.search(json.dumps({"a": "\x00"}).encode())
    assert _MAYBE_BAD_IN_JSON.search(json.dumps({"a": "\x08"}).encode())  # written as \b
