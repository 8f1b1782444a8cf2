"""Reading a /metrics exposition in tests: sample values and the metric names it declares."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

#: The series each metric type exposes beside its family name.
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample: (name, its labels) -> value."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(text: str, name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels` (0 when there are none)."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples(text).items() if n == name and want <= ls)


def names(text: str) -> set[str]:
    """Every series name the exposition declares, samples or not (a counter with no labels set yet
    still has its HELP and TYPE lines)."""
    out = set()
    for family in text_string_to_metric_families(text):
        out.add(family.name)
        out.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ()))
        out.update(s.name for s in family.samples)
    return out
