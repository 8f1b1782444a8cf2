"""The CMDB's fixed words: built-in CI classes, environments, lifecycle statuses, relationship kinds."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Environment(StrEnum):
    PROD = "prod"
    STAGING = "staging"
    DEV = "dev"


class Lifecycle(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    MAINTENANCE = "maintenance"
    RETIRED = "retired"


class RelKind(StrEnum):
    DEPENDS_ON = "depends_on"
    RUNS_ON = "runs_on"
    HOSTED_ON = "hosted_on"
    CONNECTS_TO = "connects_to"
    PART_OF = "part_of"


#: How each kind reads from its source and, inverted, from its target ("is depended on by").
REL_LABELS: dict[RelKind, tuple[str, str]] = {
    RelKind.DEPENDS_ON: ("depends on", "is depended on by"),
    RelKind.RUNS_ON: ("runs on", "runs"),
    RelKind.HOSTED_ON: ("is hosted on", "hosts"),
    RelKind.CONNECTS_TO: ("connects to", "is connected from"),
    RelKind.PART_OF: ("is part of", "has part"),
}

#: Kinds whose failure travels from the source to the target (a part's failure reaches the whole); for the
#: others it travels from the target to the source (a host's failure reaches what runs on it).
SOURCE_TO_TARGET = frozenset({RelKind.PART_OF})


def impact_edge(kind: str, source: object, target: object) -> tuple[object, object]:
    """(from, to) of the relationship in the direction a failure travels."""
    return (source, target) if kind in SOURCE_TO_TARGET else (target, source)


@dataclass(frozen=True)
class BuiltinClass:
    key: str
    label: str
    is_service: bool = False
    requester_visible: bool = False


BUILTIN_CLASSES: tuple[BuiltinClass, ...] = (
    BuiltinClass("business_service", "Business service", is_service=True, requester_visible=True),
    BuiltinClass("technical_service", "Technical service", is_service=True, requester_visible=True),
    BuiltinClass("application", "Application", requester_visible=True),
    BuiltinClass("host", "Host"),
    BuiltinClass("virtual_machine", "Virtual machine"),
    BuiltinClass("container", "Container"),
    BuiltinClass("database", "Database"),
    BuiltinClass("network_device", "Network device"),
    BuiltinClass("storage", "Storage"),
    BuiltinClass("certificate", "Certificate"),
)

#: The deepest impact traversal asked for (a bound keeps every traversal finite, cycles or not).
MAX_DEPTH = 25
