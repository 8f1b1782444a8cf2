"""CMDB bulk import: CSV and JSON files parsed into items, diffed against the database by natural key
(`vigil.cmdb.import_plan`) and, when no item has an error, applied through the CMDB service (the one
write path, so every change is audited) in the caller's unit of work."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from vigil.cmdb import policy, service
from vigil.cmdb.import_plan import Batch, CIKey, ExtRef, Item, Key, Node, Plan, RelItem, make_plan
from vigil.cmdb.import_schemas import (
    ChangedCI,
    ImportCounts,
    ImportedCI,
    ImportedRelationship,
    ImportFormat,
    ImportReport,
    RowError,
    Where,
)
from vigil.cmdb.models import ConfigurationItem
from vigil.cmdb.schemas import CICreate, CIUpdate
from vigil.cmdb.vocabulary import Lifecycle, RelKind
from vigil.core import validation
from vigil.core.actor import Actor
from vigil.core.errors import Invalid, VigilError

#: CSV columns copied as they are into a CI's fields.
PLAIN_COLUMNS = ("name", "ci_class", "environment", "status", "criticality", "owner_team", "description")
EXTRA_COLUMNS = ("tags", "external_source", "external_id")
#: Called with (done, total) while an import is applied (the CLI's progress bar).
Progress = Callable[[int, int], None]


def _error(where: Where, field: str, message: str) -> RowError:
    return RowError(line=where.line, index=where.index, field=field, message=message)


def _item(batch: Batch, where: Where, raw: dict[str, Any], *, raw_attributes: bool = False) -> Item | None:
    try:
        data = CICreate.model_validate(raw)
    except ValidationError as exc:
        batch.errors += [_error(where, f, m) for f, m in validation.field_errors(exc)]
        return None
    item = Item(where=where, data=data, given=frozenset(raw), raw_attributes=raw_attributes)
    batch.items.append(item)
    return item


def _csv_row(row: dict[str, str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """A CSV row as CICreate fields (empty cells are not given), and its (kind, target) relationships."""
    raw: dict[str, Any] = {k: v.strip() for k in PLAIN_COLUMNS if (v := row.get(k) or "").strip()}
    if (tags := row.get("tags") or "").strip():
        raw["tags"] = [t.strip() for t in tags.split(";") if t.strip()]
    attrs = {k[5:]: v for k, v in row.items() if k.startswith("attr.") and v and v.strip()}
    if attrs or any(k.startswith("attr.") for k in row):
        raw["attributes"] = attrs
    source, ext_id = (row.get("external_source") or "").strip(), (row.get("external_id") or "").strip()
    if source or ext_id:
        raw["external_ids"] = [{"source": source, "external_id": ext_id}]
    rels = [
        (k[4:], target.strip())
        for k, v in row.items()
        if k.startswith("rel.") and v
        for target in v.split(";")
        if target.strip()
    ]
    return raw, rels


def _check_header(batch: Batch, header: list[str]) -> bool:
    where = Where(line=1)
    if "name" not in header:
        batch.errors.append(_error(where, "name", "the header row has no name column"))
    kinds = {str(k) for k in RelKind}
    for column in header:
        known = column in PLAIN_COLUMNS or column in EXTRA_COLUMNS or column.startswith("attr.")
        if column.startswith("rel.") and column[4:] not in kinds:
            batch.errors.append(
                _error(where, column, f"unknown relationship kind; the kinds are: {', '.join(sorted(kinds))}")
            )
        elif not known and not column.startswith("rel."):
            batch.errors.append(_error(where, column, "unknown column"))
    return not batch.errors


def parse_csv(text: str) -> Batch:
    """A header row, then a CI per row: name, ci_class, environment, status, criticality, owner_team,
    description, tags (;-separated), attr.<key>, external_source + external_id, rel.<kind> (target names,
    ;-separated). Lines are numbered as an editor shows them, the header being line 1."""
    batch = Batch()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:  # reading the header parses its line too, and a line can be malformed (a cell over csv's limit)
        header = [h.strip() for h in reader.fieldnames or []]
        reader.fieldnames = header
        if not _check_header(batch, header):
            return batch
        for row in reader:
            where = Where(line=reader.line_num)
            if None in row:
                batch.errors.append(_error(where, "form", "more cells than the header has columns"))
                continue
            raw, rels = _csv_row(row)
            item = _item(batch, where, raw, raw_attributes=True)
            if item is not None:
                batch.relationships += [RelItem(where, item.key, kind, target) for kind, target in rels]
    except csv.Error as exc:
        batch.errors.append(_error(Where(line=max(reader.line_num, 1)), "form", f"not CSV: {exc}"))
    return batch


def _ref(value: Any) -> CIKey | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, dict):
        if isinstance(value.get("source"), str) and isinstance(value.get("external_id"), str):
            return ExtRef(value["source"], value["external_id"])
        if isinstance(value.get("name"), str):
            return Key(
                str(value.get("ci_class", "business_service")),
                str(value.get("environment", "prod")),
                value["name"],
            )
    return None


def _json_relationship(batch: Batch, index: int, raw: Any) -> None:
    where = Where(index=index)
    if not isinstance(raw, dict):
        batch.errors.append(
            _error(where, "relationships", "a relationship is an object {source, kind, target}")
        )
        return
    source, target, kind = _ref(raw.get("source")), _ref(raw.get("target")), raw.get("kind")
    if kind not in {str(k) for k in RelKind}:
        batch.errors.append(_error(where, "relationships.kind", f"unknown relationship kind {kind!r}"))
    elif source is None or target is None:
        field = "relationships.source" if source is None else "relationships.target"
        batch.errors.append(
            _error(where, field, "a CI's name or id, {name, ci_class, environment} or {source, external_id}")
        )
    else:
        batch.relationships.append(RelItem(where, source, str(kind), target))


def parse_json(text: str) -> Batch:
    """A list of CIs shaped as for `POST /cis`, or `{"cis": [...], "relationships": [{source, kind,
    target}]}`; items are numbered from 0."""
    batch = Batch()
    try:
        doc = json.loads(text)
    except ValueError as exc:
        batch.errors.append(_error(Where(), "form", f"not JSON: {exc}"))
        return batch
    cis, rels = (
        (doc, [])
        if isinstance(doc, list)
        else (doc.get("cis"), doc.get("relationships") or [])
        if isinstance(doc, dict)
        else (None, None)
    )
    if not isinstance(cis, list) or not isinstance(rels, list):
        batch.errors.append(
            _error(Where(), "form", 'expected a list of CIs or {"cis": [...], "relationships": [...]}')
        )
        return batch
    for index, raw in enumerate(cis):
        if isinstance(raw, dict):
            _item(batch, Where(index=index), raw)
        else:
            batch.errors.append(_error(Where(index=index), "form", "a CI is an object"))
    for index, raw in enumerate(rels):
        _json_relationship(batch, index, raw)
    return batch


def parse(fmt: ImportFormat | str, text: str) -> Batch:
    return parse_csv(text) if ImportFormat(fmt) is ImportFormat.CSV else parse_json(text)


def _read(ci: ConfigurationItem | None, item: Item | None = None) -> ImportedCI:
    if ci is not None:
        where = item.where if item else Where()
        return ImportedCI(
            **where.model_dump(), name=ci.name, ci_class=ci.ci_class, environment=ci.environment, id=ci.id
        )
    assert item is not None
    k = item.key
    return ImportedCI(**item.where.model_dump(), name=k.name, ci_class=k.ci_class, environment=k.environment)


def report(
    plan: Plan, *, dry_run: bool, applied: bool, made: dict[int, ConfigurationItem] | None = None
) -> ImportReport:
    made = made or {}
    rels = [
        ImportedRelationship(**rel.where.model_dump(), source=s.label, kind=RelKind(rel.kind), target=t.label)
        for rel, s, t in plan.relationships
    ]
    return ImportReport(
        dry_run=dry_run,
        applied=applied,
        counts=ImportCounts(
            created=len(plan.creates), changed=len(plan.updates), unchanged=len(plan.unchanged),
            retired=len(plan.retire), relationships=len(rels),
            relationships_unchanged=plan.relationships_unchanged, errors=len(plan.errors),
        ),
        created=[_read(made.get(id(item)), item) for item in plan.creates],
        changed=[ChangedCI(**_read(u.ci, u.item).model_dump(), changes=u.changes) for u in plan.updates],
        unchanged=[_read(ci, item) for item, ci in plan.unchanged],
        retired=[_read(ci) for ci in plan.retire],
        relationships=rels,
        classes_created=[c.key for c in plan.missing_classes],
        errors=sorted(plan.errors, key=lambda e: (e.line or 0, e.index or 0)),
    )  # fmt: skip


def _at(where: Where, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run one write; a refusal names the line or item it came from (and the whole import rolls back)."""
    try:
        return work(*args, **kwargs)
    except VigilError as exc:
        raise type(exc)(f"{where}: {exc.detail}", **exc.extra) from None


def _end(node: Node, made: dict[int, ConfigurationItem]) -> ConfigurationItem:
    if node.ci is not None:
        return node.ci
    assert node.item is not None
    return made[id(node.item)]


def apply(
    session: Session, actor: Actor, plan: Plan, progress: Progress | None = None
) -> dict[int, ConfigurationItem]:
    """Write the plan through the service; the CIs it created, by item."""
    total = (
        len(plan.missing_classes)
        + len(plan.creates)
        + len(plan.updates)
        + len(plan.relationships)
        + len(plan.retire)
    )
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None and (done % 100 == 0 or done == total):
            progress(done, total)

    # The service flushes each write itself; autoflush would add a flush before each of its lookups.
    with session.no_autoflush:
        for new in plan.missing_classes:
            plan.classes[new.key] = service.create_class(session=session, actor=actor, data=new)
            step()
        made: dict[int, ConfigurationItem] = {}
        for item in plan.creates:
            made[id(item)] = _at(item.where, service.create, session=session, actor=actor, data=item.data)
            step()
        for u in plan.updates:
            data = CIUpdate(**u.fields)
            _at(
                u.item.where,
                lambda u=u, data=data: service.update(
                    session=session, actor=actor, ref=str(u.ci.id), data=data
                ),
            )
            step()
        for rel, s, t in plan.relationships:
            _at(rel.where, service.add, session, actor, _end(s, made), rel.kind, _end(t, made))
            step()
        for ci in plan.retire:
            retire = CIUpdate(status=Lifecycle.RETIRED, confirm=True)
            service.update(session=session, actor=actor, ref=str(ci.id), data=retire)
            step()
    return made


def run(
    session: Session, actor: Actor, batch: Batch, *, dry_run: bool = False, progress: Progress | None = None
) -> ImportReport:
    """Diff `batch` against the database and, unless `dry_run` or any item has an error, apply it. With
    errors nothing is written and the report says why."""
    plan = make_plan(session, batch)
    if dry_run or plan.errors:
        return report(plan, dry_run=dry_run, applied=False)
    made = apply(session, actor, plan, progress)
    return report(plan, dry_run=False, applied=True, made=made)


def import_text(
    *, session: Session, actor: Actor, fmt: ImportFormat | str, content: str, dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:  # fmt: skip
    """Import a CSV or JSON text (administrators and CMDB managers)."""
    policy.require(actor, "ci.import")
    return run(session, actor, parse(fmt, content), dry_run=dry_run, progress=progress)


def refuse(result: ImportReport) -> ImportReport:
    """The report, or, when it has errors, an Invalid carrying them (each naming its line or item)."""
    if not result.errors:
        return result
    errors = [
        {
            "field": e.field,
            "message": f"{Where(line=e.line, index=e.index)}: {e.message}",
            "line": e.line,
            "index": e.index,
        }
        for e in result.errors
    ]
    first = errors[0]["message"]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    raise Invalid(f"nothing was imported: {first}{more}", errors=errors)
