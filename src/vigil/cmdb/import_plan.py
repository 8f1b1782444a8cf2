"""The diff of a bulk import against the database: each item checked as the service would check it and
matched to an existing CI by external id, else by natural key (class, environment, name), in a few bulk
queries rather than one per row."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.auth import service as auth_service
from vigil.auth.models import Team
from vigil.cmdb.import_schemas import FieldChange, RowError, Where
from vigil.cmdb.import_values import CHUNK, chunks, typed_attributes
from vigil.cmdb.models import CIClass, CIExternalId, CIRelationship, ConfigurationItem
from vigil.cmdb.schemas import CIClassCreate, CICreate, ExternalId
from vigil.cmdb.service import records
from vigil.cmdb.service.classes import validate_attributes
from vigil.cmdb.vocabulary import Lifecycle
from vigil.core.errors import Invalid


@dataclass(frozen=True)
class Key:
    """A CI's natural key."""

    ci_class: str
    environment: str
    name: str


@dataclass(frozen=True)
class ExtRef:
    source: str
    external_id: str


#: How an import names a CI: its name or UUID (text), its natural key, or its id in another system.
CIKey = str | Key | ExtRef


@dataclass
class Item:
    where: Where
    data: CICreate
    #: The fields the file gave (only those change on an existing CI).
    given: frozenset[str]
    #: CSV: attribute values are text, typed by the class's attribute schema.
    raw_attributes: bool = False

    @property
    def key(self) -> Key:
        return Key(self.data.ci_class.strip().lower(), str(self.data.environment), self.data.name)

    @property
    def ext(self) -> list[ExtRef]:
        return [ExtRef(e.source, e.external_id) for e in self.data.external_ids]


@dataclass
class RelItem:
    where: Where
    source: CIKey
    kind: str
    target: CIKey


@dataclass
class Batch:
    items: list[Item] = field(default_factory=list)
    relationships: list[RelItem] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    #: Classes the import creates before its CIs, when missing (NetBox's site, rack, cluster).
    new_classes: list[CIClassCreate] = field(default_factory=list)
    #: Retire the CIs with an external id of this source that no item names (a NetBox re-run).
    retire_source: str | None = None
    #: Retire CIs even with open work on them (the source says they are gone).
    confirm: bool = False


@dataclass
class Node:
    """One end of a relationship: an existing CI, or the item that creates it."""

    label: str
    ci: ConfigurationItem | None = None
    item: Item | None = None


@dataclass
class Update:
    item: Item
    ci: ConfigurationItem
    fields: dict[str, Any]
    changes: list[FieldChange]


@dataclass
class Plan:
    errors: list[RowError]
    creates: list[Item] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    unchanged: list[tuple[Item, ConfigurationItem]] = field(default_factory=list)
    relationships: list[tuple[RelItem, Node, Node]] = field(default_factory=list)
    relationships_unchanged: int = 0
    retire: list[ConfigurationItem] = field(default_factory=list)
    missing_classes: list[CIClassCreate] = field(default_factory=list)
    #: The classes, held while the plan is applied: the session's identity map keeps only what is
    #: referenced, and the service looks each CI's class up by key (a query per row once collected).
    classes: dict[str, CIClass] = field(default_factory=dict)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


class _Planner:
    def __init__(self, session: Session, batch: Batch) -> None:
        self.session = session
        self.batch = batch
        self.plan = Plan(errors=list(batch.errors))
        self.classes = self.plan.classes = {c.key: c for c in session.scalars(select(CIClass))}
        for new in batch.new_classes:
            if new.key not in self.classes:
                self.plan.missing_classes.append(new)
                self.classes[new.key] = CIClass(key=new.key, label=new.label, attribute_schema={})
        self.teams: dict[str, Team | None] = {}
        self.by_ext: dict[ExtRef, ConfigurationItem] = {}
        self.by_key: dict[Key, ConfigurationItem] = {}
        #: Where each good item lands: its existing CI, or None when the import creates it.
        self.landing: dict[int, ConfigurationItem | None] = {}

    def error(self, where: Where, field_name: str, message: str) -> None:
        self.plan.errors.append(
            RowError(line=where.line, index=where.index, field=field_name, message=message)
        )

    def _team(self, ref: str) -> Team | None:
        if ref not in self.teams:
            try:
                self.teams[ref] = auth_service.resolve_team(self.session, ref, field="owner_team")
            except Invalid:
                self.teams[ref] = None
        return self.teams[ref]

    def check(self, item: Item) -> bool:
        """The service's own checks, per item: a known class, attributes its schema accepts, a known team."""
        ci_class = self.classes.get(item.key.ci_class)
        if ci_class is None:
            known = ", ".join(sorted(self.classes))
            self.error(
                item.where, "ci_class", f"unknown CI class {item.data.ci_class!r}; the classes are: {known}"
            )
            return False
        if item.raw_attributes:
            item.data = item.data.model_copy(
                update={"attributes": typed_attributes(ci_class, item.data.attributes)}
            )
        try:
            validate_attributes(ci_class, item.data.attributes)
        except Invalid as exc:
            self.error(item.where, str(exc.extra.get("field", "attributes")), exc.detail)
            return False
        if item.data.owner_team and self._team(item.data.owner_team) is None:
            self.error(item.where, "owner_team", f"unknown team {item.data.owner_team!r}")
            return False
        return True

    def repeats(self, items: list[Item]) -> list[Item]:
        """Items naming a CI an earlier item names are refused (the file says two things about it)."""
        seen_key: dict[Key, Where] = {}
        seen_ext: dict[ExtRef, Where] = {}
        kept = []
        for item in items:
            first = seen_key.get(item.key) or next((seen_ext[e] for e in item.ext if e in seen_ext), None)
            if first is not None:
                self.error(item.where, "name", f"{item.data.name!r} is already given at {first}")
                continue
            seen_key[item.key] = item.where
            seen_ext.update((e, item.where) for e in item.ext)
            kept.append(item)
        return kept

    def _load(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, ConfigurationItem]:
        found = self.session.scalars(
            select(ConfigurationItem).where(ConfigurationItem.id.in_(ids)).options(*records.LOAD_OPTIONS)
        )
        return {ci.id: ci for ci in found}

    def _external_ids(self, source: str, ids: list[str]) -> list[tuple[str, uuid.UUID]]:
        """(external id, CI id) of those of `ids` that are held. Many are read as all the source's ids in one
        scan: chunks of `IN (...)` were each a scan of the source's rows on PostgreSQL whenever its
        statistics were stale (a table just filled by a first import)."""
        stmt = select(CIExternalId.external_id, CIExternalId.ci_id).where(CIExternalId.source == source)
        if len(ids) <= CHUNK:
            return [(e, c) for e, c in self.session.execute(stmt.where(CIExternalId.external_id.in_(ids)))]
        wanted = set(ids)
        return [(e, c) for e, c in self.session.execute(stmt) if e in wanted]

    def lookup(self, items: list[Item]) -> None:
        """The existing CIs the items and relationships name, in a query per few hundred."""
        exts = {e for item in items for e in item.ext}
        exts |= {
            r for rel in self.batch.relationships for r in (rel.source, rel.target) if isinstance(r, ExtRef)
        }
        keys = {item.key for item in items}
        keys |= {
            r for rel in self.batch.relationships for r in (rel.source, rel.target) if isinstance(r, Key)
        }
        by_source: dict[str, list[str]] = defaultdict(list)
        for e in exts:
            by_source[e.source].append(e.external_id)
        for source, ids in by_source.items():
            holders = dict(self._external_ids(source, ids))
            loaded: dict[uuid.UUID, ConfigurationItem] = {}
            for part in chunks(sorted(set(holders.values()))):
                loaded |= self._load(part)
            self.by_ext.update((ExtRef(source, e), loaded[c]) for e, c in holders.items() if c in loaded)
        for part in chunks(sorted({k.name for k in keys})):
            found = self.session.scalars(
                select(ConfigurationItem)
                .where(ConfigurationItem.name.in_(part))
                .options(*records.LOAD_OPTIONS)
            )
            for ci in found:
                key = Key(ci.ci_class, ci.environment, ci.name)
                if key in keys:
                    self.by_key[key] = ci

    def match(self, index: int, item: Item) -> None:
        ci = next((self.by_ext[e] for e in item.ext if e in self.by_ext), None)
        holder = self.by_key.get(item.key)
        if ci is None:
            ci = holder
        elif holder is not None and holder.id != ci.id:
            self.error(
                item.where,
                "name",
                f"a {item.key.ci_class} named {item.data.name!r} already exists in {item.key.environment}",
            )
            return
        if ci is not None and ci.ci_class != item.key.ci_class:
            self.error(
                item.where,
                "ci_class",
                f"{ci.name} is a {ci.ci_class}; an import does not change a CI's class",
            )
            return
        self.landing[index] = ci
        if ci is None:
            self.plan.creates.append(item)
            return
        fields, changes = self._changes(item, ci)
        if changes:
            if self.batch.confirm:
                fields["confirm"] = True
            self.plan.updates.append(Update(item, ci, fields, changes))
        else:
            self.plan.unchanged.append((item, ci))

    def _changes(self, item: Item, ci: ConfigurationItem) -> tuple[dict[str, Any], list[FieldChange]]:
        data, given = item.data, item.given
        fields: dict[str, Any] = {}
        changes: list[FieldChange] = []
        for name in ("name", "environment", "status", "criticality", "description"):
            new = _plain(getattr(data, name))
            if name in given and getattr(ci, name) != new:
                fields[name] = new
                changes.append(FieldChange(field=name, old=getattr(ci, name), new=new))
        if "owner_team" in given:
            team = self._team(data.owner_team) if data.owner_team else None
            if (team.id if team else None) != ci.owner_team_id:
                fields["owner_team"] = str(team.id) if team else None
                old = ci.owner_team.name if ci.owner_team else None
                changes.append(FieldChange(field="owner_team", old=old, new=team.name if team else None))
        if "attributes" in given and data.attributes != (ci.attributes or {}):
            fields["attributes"] = data.attributes
            old_attrs = ci.attributes or {}
            for key in sorted(set(old_attrs) | set(data.attributes)):
                if old_attrs.get(key) != data.attributes.get(key):
                    changes.append(
                        FieldChange(
                            field=f"attributes.{key}", old=old_attrs.get(key), new=data.attributes.get(key)
                        )
                    )
        if "tags" in given and sorted(set(data.tags)) != sorted(ci.tags or []):
            fields["tags"] = sorted(set(data.tags))
            changes.append(FieldChange(field="tags", old=sorted(ci.tags or []), new=fields["tags"]))
        current = {(e.source, e.external_id) for e in ci.external_ids}
        wanted = current | {(e.source, e.external_id) for e in item.ext}
        if wanted != current:
            fields["external_ids"] = [ExternalId(source=s, external_id=i) for s, i in sorted(wanted)]
            changes.append(
                FieldChange(
                    field="external_ids",
                    old=sorted(f"{s}:{i}" for s, i in current),
                    new=sorted(f"{s}:{i}" for s, i in wanted),
                )
            )
        return fields, changes

    def node(self, ref: CIKey, rel: RelItem, role: str, items: dict[CIKey, Item]) -> Node | None:
        item = items.get(ref)
        if item is not None:
            landing = self.landing.get(id(item))
            return Node(label=item.data.name, ci=landing, item=None if landing else item)
        ci = (
            self.by_ext.get(ref)
            if isinstance(ref, ExtRef)
            else self.by_key.get(ref)
            if isinstance(ref, Key)
            else None
        )
        if ci is None and isinstance(ref, str):
            try:
                ci = records.resolve(self.session, ref, field=role)
            except Invalid as exc:
                self.error(rel.where, role, exc.detail)
                return None
        if ci is None:
            self.error(rel.where, role, f"unknown configuration item {ref}")
            return None
        return Node(label=ci.name, ci=ci)

    def relate(self, items: list[Item]) -> None:
        named: dict[CIKey, Item] = {}
        names: dict[str, list[Item]] = defaultdict(list)
        for item in items:
            named[item.key] = item
            named.update((e, item) for e in item.ext)
            names[item.data.name].append(item)
        named.update((name, found[0]) for name, found in names.items() if len(found) == 1)
        seen: set[tuple[int, str, int]] = set()
        for rel in self.batch.relationships:
            source = self.node(rel.source, rel, "source", named)
            target = self.node(rel.target, rel, "target", named)
            if source is None or target is None:
                continue
            ends = (id(source.ci or source.item), rel.kind, id(target.ci or target.item))
            if ends[0] == ends[2]:
                self.error(rel.where, "target", f"{source.label} cannot relate to itself")
            elif ends not in seen:
                seen.add(ends)
                self.plan.relationships.append((rel, source, target))
        self._drop_existing()

    def _drop_existing(self) -> None:
        """Relationships already recorded between existing CIs are left alone (a re-run adds nothing)."""
        sources = {s.ci.id for _, s, t in self.plan.relationships if s.ci is not None and t.ci is not None}
        have: set[tuple[uuid.UUID, uuid.UUID, str]] = set()
        for part in chunks(sorted(sources)):
            have.update(
                (a, b, k)
                for a, b, k in self.session.execute(
                    select(CIRelationship.source_id, CIRelationship.target_id, CIRelationship.kind).where(
                        CIRelationship.source_id.in_(part)
                    )
                )
            )
        kept = []
        for rel, s, t in self.plan.relationships:
            if s.ci is not None and t.ci is not None and (s.ci.id, t.ci.id, rel.kind) in have:
                self.plan.relationships_unchanged += 1
            else:
                kept.append((rel, s, t))
        self.plan.relationships = kept

    def gone(self, source: str) -> None:
        """The source's CIs that no item names any more, to retire."""
        kept = {ci.id for ci in self.landing.values() if ci is not None}
        found = self.session.scalars(
            select(ConfigurationItem)
            .join(CIExternalId, CIExternalId.ci_id == ConfigurationItem.id)
            .where(CIExternalId.source == source, ConfigurationItem.status != Lifecycle.RETIRED)
            .options(*records.LOAD_OPTIONS)
            .order_by(ConfigurationItem.name)
        ).unique()
        self.plan.retire = [ci for ci in found if ci.id not in kept]


def make_plan(session: Session, batch: Batch) -> Plan:
    """What applying `batch` would do, and every reason it cannot."""
    planner = _Planner(session, batch)
    good = planner.repeats([item for item in batch.items if planner.check(item)])
    planner.lookup(good)
    for item in good:
        planner.match(id(item), item)
    planner.relate(good)
    if batch.retire_source:
        planner.gone(batch.retire_source)
    return planner.plan
