"""A deterministic, layered CMDB of 100,000 CIs and 300,000 relationships for `bench.cmdb_impact`.

Business services depend on technical services, which are made of applications (part_of) that depend
on databases, certificates and one another and run on containers; containers run on VMs and connect to
databases; VMs are hosted on hosts and depend on storage volumes; hosts connect to top-of-rack switches,
which connect to a few core switches; volumes and hosts depend on one shared SAN. Some pairs depend on
each other both ways (cycles), as real CMDBs imported from several tools do.
"""

from __future__ import annotations

import random
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from vigil.cmdb.vocabulary import RelKind, impact_edge

#: CIs per class (sum 100,000), in layer order.
COUNTS: dict[str, int] = {
    "business_service": 50,
    "technical_service": 500,
    "application": 2_000,
    "database": 3_000,
    "certificate": 5_000,
    "container": 66_000,
    "virtual_machine": 20_000,
    "host": 3_000,
    "network_device": 300,  # 4 core switches, 296 top-of-rack switches
    "storage": 150,  # 1 shared SAN, 149 volumes
}
CORES = 4
RELATIONSHIPS = 300_000
ENVIRONMENTS = ("prod", "prod", "prod", "staging", "dev")


@dataclass
class Topology:
    cis: list[dict[str, Any]] = field(default_factory=list)
    rels: list[dict[str, Any]] = field(default_factory=list)
    ids: dict[str, list[uuid.UUID]] = field(default_factory=dict)
    _seen: set[tuple[uuid.UUID, uuid.UUID, str]] = field(default_factory=set)

    def relate(self, source: uuid.UUID, kind: RelKind, target: uuid.UUID, at: datetime) -> bool:
        key = (source, target, kind.value)
        if source == target or key in self._seen or len(self.rels) >= RELATIONSHIPS:
            return False
        self._seen.add(key)
        frm, to = impact_edge(kind, source, target)
        self.rels.append(
            {"id": uuid.uuid4(), "source_id": source, "target_id": target, "kind": kind.value,
             "impact_from_id": frm, "impact_to_id": to, "created_at": at}
        )  # fmt: skip
        return True

    def named(self, ci_class: str, index: int) -> uuid.UUID:
        return self.ids[ci_class][index]

    def upstream_counts(self, origins: list[uuid.UUID], depth: int) -> dict[uuid.UUID, int]:
        """For each origin, how many CIs a failure of it reaches within `depth` (a BFS in memory: to
        pick the origins only, never to check the answer)."""
        out: dict[uuid.UUID, list[uuid.UUID]] = {}
        for r in self.rels:
            out.setdefault(r["impact_from_id"], []).append(r["impact_to_id"])
        counts = {}
        for origin in origins:
            seen, frontier = {origin: 0}, deque([origin])
            while frontier:
                node = frontier.popleft()
                if seen[node] < depth:
                    for nxt in out.get(node, ()):
                        if nxt not in seen:
                            seen[nxt] = seen[node] + 1
                            frontier.append(nxt)
            counts[origin] = len(seen) - 1
        return counts


def _cis(t: Topology, rng: random.Random, at: datetime) -> None:
    for ci_class, count in COUNTS.items():
        t.ids[ci_class] = []
        for n in range(count):
            ci_id = uuid.uuid4()
            t.ids[ci_class].append(ci_id)
            name = _name(ci_class, n)
            t.cis.append(
                {"id": ci_id, "name": name, "ci_class": ci_class, "environment": _env(ci_class, n, rng),
                 "status": "active", "criticality": 1 + n % 4, "owner_team_id": None,
                 "description": f"{ci_class.replace('_', ' ')} {n} (bench.cmdb_impact)", "attributes": {},
                 "tags": [], "created_at": at, "updated_at": at, "version": 1}
            )  # fmt: skip


def _name(ci_class: str, n: int) -> str:
    if ci_class == "network_device":
        return f"core-switch-{n + 1}" if n < CORES else f"tor-switch-{n - CORES + 1:03d}"
    if ci_class == "storage":
        return "shared-san" if n == 0 else f"volume-{n:03d}"
    return f"{ci_class.replace('_', '-')}-{n:05d}"


def _env(ci_class: str, n: int, rng: random.Random) -> str:
    # Infrastructure is shared by every environment; names are unique per (class, environment) anyway.
    if ci_class in ("network_device", "storage", "host"):
        return "prod"
    return ENVIRONMENTS[rng.randrange(len(ENVIRONMENTS))]


def _layers(t: Topology, rng: random.Random, at: datetime) -> None:
    ids, rel = t.ids, t.relate
    bs, ts, app, db = ids["business_service"], ids["technical_service"], ids["application"], ids["database"]
    for n, b in enumerate(bs):  # each business service on ~10 technical services
        for k in range(10):
            rel(b, RelKind.DEPENDS_ON, ts[(n * 10 + k) % len(ts)], at)
    for n, s in enumerate(ts):  # technical services on one another, some both ways (cycles)
        rel(s, RelKind.DEPENDS_ON, ts[(n + 1 + rng.randrange(20)) % len(ts)], at)
        if n % 25 == 0:
            rel(ts[(n + 1) % len(ts)], RelKind.DEPENDS_ON, s, at)
            rel(s, RelKind.DEPENDS_ON, ts[(n + 1) % len(ts)], at)
    for n, a in enumerate(app):  # applications: part of a service, on databases, certificates, each other
        rel(a, RelKind.PART_OF, ts[n % len(ts)], at)
        for _ in range(2):
            rel(a, RelKind.DEPENDS_ON, db[rng.randrange(len(db))], at)
            rel(a, RelKind.DEPENDS_ON, app[rng.randrange(len(app))], at)
        if n % 20 == 0:
            rel(app[(n + 7) % len(app)], RelKind.DEPENDS_ON, a, at)
            rel(a, RelKind.DEPENDS_ON, app[(n + 7) % len(app)], at)
    _compute(t, rng, at)


def _compute(t: Topology, rng: random.Random, at: datetime) -> None:
    ids, rel = t.ids, t.relate
    app, db, cert, ctr = ids["application"], ids["database"], ids["certificate"], ids["container"]
    vm, host, net, sto = ids["virtual_machine"], ids["host"], ids["network_device"], ids["storage"]
    for n, c in enumerate(ctr):  # containers: run an application, on a VM, use a certificate
        rel(app[n % len(app)], RelKind.RUNS_ON, c, at)
        rel(c, RelKind.RUNS_ON, vm[n % len(vm)], at)
        rel(c, RelKind.DEPENDS_ON, cert[rng.randrange(len(cert))], at)
    for n, d in enumerate(db):
        rel(d, RelKind.HOSTED_ON, vm[(n * 7) % len(vm)], at)
    for n, v in enumerate(vm):
        rel(v, RelKind.HOSTED_ON, host[n % len(host)], at)
        rel(v, RelKind.DEPENDS_ON, sto[1 + n % (len(sto) - 1)], at)
    _infrastructure(t, rng, at, host, net, sto)


def _infrastructure(
    t: Topology, rng: random.Random, at: datetime, host: list[uuid.UUID], net: list[uuid.UUID],
    sto: list[uuid.UUID],
) -> None:  # fmt: skip
    rel, cores, tors = t.relate, net[:CORES], net[CORES:]
    for n, h in enumerate(host):
        rel(h, RelKind.CONNECTS_TO, tors[n % len(tors)], at)
        rel(h, RelKind.CONNECTS_TO, tors[(n + 1) % len(tors)], at)
        rel(h, RelKind.DEPENDS_ON, sto[1 + n % (len(sto) - 1)], at)
    for n, s in enumerate(tors):
        rel(s, RelKind.CONNECTS_TO, cores[n % CORES], at)
        rel(s, RelKind.CONNECTS_TO, cores[(n + 1) % CORES], at)
    for n, c in enumerate(cores):  # the core mesh: every pair both ways
        for other in cores[n + 1 :]:
            rel(c, RelKind.CONNECTS_TO, other, at)
            rel(other, RelKind.CONNECTS_TO, c, at)
    for n, v in enumerate(sto[1:]):  # volumes on the SAN, the SAN on two core switches
        rel(v, RelKind.DEPENDS_ON, sto[0], at)
        rel(v, RelKind.CONNECTS_TO, cores[n % CORES], at)
    rel(sto[0], RelKind.CONNECTS_TO, cores[0], at)
    rel(sto[0], RelKind.CONNECTS_TO, cores[1], at)


def _fill(t: Topology, rng: random.Random, at: datetime) -> None:
    """Up to RELATIONSHIPS: containers connecting to databases, the last kind a CMDB collects most of."""
    db, ctr = t.ids["database"], t.ids["container"]
    while len(t.rels) < RELATIONSHIPS:
        t.relate(ctr[rng.randrange(len(ctr))], RelKind.CONNECTS_TO, db[rng.randrange(len(db))], at)


def build(seed: int = 42) -> Topology:
    rng = random.Random(seed)
    at = datetime(2026, 12, 1, tzinfo=UTC)
    t = Topology()
    _cis(t, rng, at)
    _layers(t, rng, at)
    _fill(t, rng, at)
    assert len(t.cis) == sum(COUNTS.values()) and len(t.rels) == RELATIONSHIPS
    return t
