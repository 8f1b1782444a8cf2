"""Deterministic, realistic rows for the bulk loader: people, teams, CIs, incidents, comments, audit."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from vigil.core import audit
from vigil.incidents.settings import DEFAULT_PRIORITY_MATRIX

#: Words most incidents are written with (searching one of them hits a large share of the table).
COMMON_WORDS = (
    "error timeout server login password email printer network slow outage vpn access disk "
    "database backup certificate update install laptop screen account license request failed "
    "cannot unable connection service users report portal invoice sync queue latency memory "
    "restart crash warning alert payment mobile app browser wifi storage permission"
).split()
#: The word most often used (about one incident in five carries it): the `search_common` query.
COMMON_WORD = "timeout"
#: Invented words planted in about one incident of every 100,000 each (at least once): `search_rare`.
RARE_WORDS = ("quixolantra", "zembroviak", "flumptacore", "ostravinex", "kelbrathium")
RARE_EVERY = 100_000
_PLAIN = tuple(w for w in COMMON_WORDS if w != COMMON_WORD)

EMAIL_DOMAIN = "bench.example.com"
#: Built-in CI classes (migration 0017 seeds them).
CI_TYPES = (
    "business_service", "host", "database", "application", "network_device", "storage", "virtual_machine",
)  # fmt: skip
TAGS = ("vip", "security", "regression", "customer", "hardware", "monitoring")
RESOLUTIONS = ("fixed", "workaround", "not_reproducible", "duplicate", "resolved_by_caller")
LEVELS = ("high", "medium", "low")
LEVEL_WEIGHTS = (1, 3, 6)
#: Status mix for incidents older than two weeks, and for recent ones.
OLD_STATUS = (
    ("closed", 85),
    ("resolved", 4),
    ("cancelled", 5),
    ("open", 2),
    ("in_progress", 3),
    ("on_hold", 1),
)
NEW_STATUS = (
    ("open", 25),
    ("in_progress", 30),
    ("on_hold", 10),
    ("resolved", 25),
    ("closed", 5),
    ("cancelled", 5),
)


@dataclass
class People:
    """The users, teams and CIs incidents refer to (ids plus what the audit shows of them)."""

    requesters: list[dict[str, Any]] = field(default_factory=list)
    agents: list[dict[str, Any]] = field(default_factory=list)
    managers: list[dict[str, Any]] = field(default_factory=list)
    teams: list[dict[str, Any]] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)
    cis: list[dict[str, Any]] = field(default_factory=list)
    team_agents: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)


def _user(role: str, n: int, created: datetime) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "email": f"{role}{n:05d}@{EMAIL_DOMAIN}",
        "display_name": f"{role.title()} {n:05d}",
        "role": role,
        "active": True,
        "created_at": created,
        "updated_at": created,
        "password_hash": None,
        "password_changed_at": None,
    }


def people(rng: random.Random, start: datetime, requesters: int, agents: int, teams: int, cis: int) -> People:
    """Users (requesters, agents, managers, one admin), teams with agents as members, and CIs."""
    p = People()
    p.requesters = [_user("requester", i, start) for i in range(1, requesters + 1)]
    p.agents = [_user("agent", i, start) for i in range(1, agents + 1)]
    p.managers = [_user("manager", i, start) for i in range(1, max(2, teams // 4) + 1)]
    p.managers.append(_user("admin", 1, start))
    for t in range(1, teams + 1):
        manager = p.managers[t % (len(p.managers) - 1)]
        team = {
            "id": uuid.uuid4(),
            "name": f"Team {t:02d}",
            "manager_id": manager["id"],
            "created_at": start,
            "updated_at": start,
        }
        p.teams.append(team)
        p.team_agents[team["id"]] = []
    for i, agent in enumerate(p.agents):
        for team in {p.teams[i % teams]["id"], rng.choice(p.teams)["id"]}:
            p.members.append({"team_id": team, "user_id": agent["id"]})
            p.team_agents[team].append(agent)
    p.cis = [
        {
            "id": uuid.uuid4(),
            "name": f"{CI_TYPES[i % len(CI_TYPES)]}-{i:05d}",
            "ci_class": CI_TYPES[i % len(CI_TYPES)],
            "status": "active",
            "attributes": {},
            "tags": [],
            "created_at": start,
            "updated_at": start,
        }
        for i in range(1, cis + 1)
    ]
    return p


def users(p: People) -> list[dict[str, Any]]:
    return p.requesters + p.agents + p.managers


def text(rng: random.Random, words: int, rare: str | None = None) -> str:
    """A sentence from the vocabulary (COMMON_WORD in about one text of five), plus `rare` if given."""
    chosen = rng.choices(_PLAIN, k=words)
    if rng.random() < 0.2:
        chosen.insert(rng.randrange(len(chosen) + 1), COMMON_WORD)
    if rare:
        chosen.insert(rng.randrange(len(chosen) + 1), rare)
    return " ".join(chosen).capitalize()


@dataclass
class Batch:
    """Rows of each table for a run of consecutive incidents, in insertion order."""

    incident: list[dict[str, Any]] = field(default_factory=list)
    incident_ci: list[dict[str, Any]] = field(default_factory=list)
    incident_comment: list[dict[str, Any]] = field(default_factory=list)
    audit_record: list[dict[str, Any]] = field(default_factory=list)


def _lifecycle(rng: random.Random, created: datetime, now: datetime) -> dict[str, Any]:
    """Status and the timestamps consistent with it."""
    mix = NEW_STATUS if now - created < timedelta(days=14) else OLD_STATUS
    status = rng.choices([s for s, _ in mix], weights=[w for _, w in mix])[0]
    row: dict[str, Any] = dict.fromkeys(("acknowledged_at", "resolved_at", "closed_at", "resolution_code"))
    row.update(status=status, resolution_notes=None)
    if status != "open":
        row["acknowledged_at"] = min(now, created + timedelta(minutes=rng.randint(2, 480)))
    if status in ("resolved", "closed"):
        row["resolved_at"] = min(now, row["acknowledged_at"] + timedelta(minutes=rng.randint(10, 14400)))
        row["resolution_code"] = rng.choice(RESOLUTIONS)
        row["resolution_notes"] = "Resolved: " + text(rng, 6)
    if status == "closed":
        row["closed_at"] = min(now, row["resolved_at"] + timedelta(days=rng.randint(3, 7)))
    if status == "cancelled":
        row["closed_at"] = min(now, created + timedelta(hours=rng.randint(1, 72)))
    stamps = [created] + [row[k] for k in ("acknowledged_at", "resolved_at", "closed_at") if row[k]]
    row["updated_at"] = max(stamps)
    return row


@dataclass
class Generator:
    """Streams batches of incidents numbered 1..total, created over the year before `now`."""

    rng: random.Random
    people: People
    total: int
    now: datetime
    categories: list[str]
    #: Rare word by position within every run of `every` incidents; `planted` lists where each went.
    rare: dict[int, str] = field(default_factory=dict)
    planted: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.every = min(RARE_EVERY, self.total)
        for k, word in enumerate(RARE_WORDS):
            self.rare[self.every * (k + 1) // (len(RARE_WORDS) + 1)] = word
            self.planted[word] = []

    def rare_word(self, n: int) -> str | None:
        word = self.rare.get((n - 1) % self.every)
        if word is not None:
            self.planted[word].append(f"INC-{n:06d}")
        return word

    def batches(self, size: int) -> Iterator[Batch]:
        for first in range(1, self.total + 1, size):
            batch = Batch()
            for n in range(first, min(self.total, first + size - 1) + 1):
                self._incident(batch, n)
            yield batch

    def created_at(self, n: int) -> datetime:
        span = timedelta(days=365).total_seconds()
        offset = span * (n - 1) / max(1, self.total) + self.rng.uniform(0, 60)
        return self.now - timedelta(days=365) + timedelta(seconds=offset)

    def _incident(self, batch: Batch, n: int) -> None:
        rng, p = self.rng, self.people
        created = self.created_at(n)
        impact, urgency = rng.choices(LEVELS, LEVEL_WEIGHTS, k=2)
        team = rng.choice(p.teams)
        life = _lifecycle(rng, created, self.now)
        assignee = (
            rng.choice(p.team_agents[team["id"]]) if life["status"] != "open" or rng.random() < 0.5 else None
        )
        requester = rng.choice(p.requesters)
        row = {
            "id": uuid.uuid4(),
            "number": f"INC-{n:06d}",
            "title": text(rng, rng.randint(4, 9), self.rare_word(n)),
            "description": text(rng, rng.randint(15, 40)),
            "category": rng.choice(self.categories),
            "impact": impact,
            "urgency": urgency,
            "priority": DEFAULT_PRIORITY_MATRIX[impact][urgency],
            "requester_id": requester["id"],
            "assigned_to_id": assignee["id"] if assignee else None,
            "assignment_group_id": team["id"],
            "created_at": created,
            "tags": sorted(set(rng.sample(TAGS, k=rng.choice((0, 0, 0, 1, 2))))),
            "version": 1,
            **life,
        }
        cis = rng.sample(p.cis, k=rng.choice((0, 1, 1, 1, 2)))
        batch.incident.append(row)
        batch.incident_ci.extend({"incident_id": row["id"], "ci_id": ci["id"]} for ci in cis)
        batch.audit_record.append(_create_audit(row, requester, assignee, team, cis))
        self._comments(batch, row, requester, assignee)

    def _comments(self, batch: Batch, row: dict[str, Any], requester: dict[str, Any], assignee: Any) -> None:
        rng = self.rng
        end = row["closed_at"] or row["resolved_at"] or self.now
        for _ in range(rng.choice((0, 1, 2, 2, 3, 4))):
            internal = assignee is not None and rng.random() < 0.3
            author = assignee if internal or (assignee and rng.random() < 0.5) else requester
            at = row["created_at"] + (end - row["created_at"]) * rng.random()
            comment = {
                "id": uuid.uuid4(),
                "incident_id": row["id"],
                "author_id": author["id"],
                "author_name": author["display_name"],
                "body": text(rng, rng.randint(5, 25)),
                "internal": internal,
                "created_at": at,
            }
            batch.incident_comment.append(comment)
            action = "incident.work_note" if internal else "incident.comment"
            changes = {"comment_id": [None, str(comment["id"])]}
            batch.audit_record.append(_audit(author, at, action, row["id"], changes))


def _create_audit(
    row: dict[str, Any], requester: dict[str, Any], assignee: Any, team: dict[str, Any], cis: list[Any]
) -> dict[str, Any]:
    shown = {
        "title": row["title"],
        "description": row["description"],
        "category": row["category"],
        "impact": row["impact"],
        "urgency": row["urgency"],
        "priority": row["priority"],
        "status": "open",
        "requester": requester["email"],
        "assigned_to": assignee["email"] if assignee else None,
        "assignment_group": team["name"],
        "affected_cis": sorted(ci["name"] for ci in cis),
        "tags": row["tags"],
    }
    changes = {k: [None, v] for k, v in shown.items() if v not in (None, "", [])}
    return _audit(assignee or requester, row["created_at"], "incident.create", row["id"], changes)


def _audit(actor: dict[str, Any], at: datetime, action: str, object_id: Any, changes: Any) -> dict[str, Any]:
    return {
        "occurred_at": at.astimezone(UTC),
        "actor_id": actor["id"],
        "actor_name": actor["display_name"],
        "action": action,
        "object_type": "incident",
        "object_id": audit.object_key(object_id),
        "changes": changes,
        "channel": "api",
        "request_id": None,
    }


@dataclass
class Chain:
    """Seals audit rows in Python exactly as `audit.seal` would: seq, prev_hash, hash, key_id, entry_mac."""

    key_id: str
    secret: bytes
    seq: int
    prev: str

    def seal(self, row: dict[str, Any]) -> None:
        entry = SimpleNamespace(**row, seq=None)
        row["key_id"] = self.key_id
        row["entry_mac"] = audit.record_mac(self.secret, audit.ENTRY, audit.hashed_fields(cast(Any, entry)))
        self.seq += 1
        entry.seq = self.seq
        row["seq"], row["prev_hash"] = self.seq, self.prev
        row["hash"] = self.prev = audit.record_mac(
            self.secret, self.prev, audit.hashed_fields(cast(Any, entry))
        )
