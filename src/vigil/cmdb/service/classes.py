"""CI classes: the built-in ones and those administrators add, each with the JSON Schema its CIs'
attributes are validated against on every write."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing.exceptions import Unresolvable
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.cmdb import policy
from vigil.cmdb.models import CIClass, ConfigurationItem
from vigil.cmdb.schemas import CIClassCreate, CIClassUpdate
from vigil.core import audit
from vigil.core.actor import Actor
from vigil.core.errors import Duplicate, Invalid, NotFound, check_version


def list_classes(*, session: Session) -> list[CIClass]:
    """Every class, services first, then by label."""
    return list(session.scalars(select(CIClass).order_by(CIClass.is_service.desc(), CIClass.label)))


def get_class(*, session: Session, key: str) -> CIClass:
    found = session.get(CIClass, key.strip().lower())
    if found is None:
        raise NotFound(f"CI class {key!r} not found")
    return found


def require_class(session: Session, key: str, *, field: str = "ci_class") -> CIClass:
    """The class named `key`; an unknown one is Invalid input naming the known ones."""
    found = session.get(CIClass, key.strip().lower())
    if found is None:
        known = ", ".join(sorted(session.scalars(select(CIClass.key))))
        raise Invalid(f"unknown CI class {key!r}; the classes are: {known}", field=field)
    return found


def _checked_schema(schema: dict[str, Any]) -> dict[str, Any]:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path)
        raise Invalid(
            f"not a valid JSON Schema: {exc.message}" + (f" (at {where})" if where else ""),
            field="attribute_schema",
        ) from None
    if schema and schema.get("type", "object") != "object":
        raise Invalid("the attribute schema must describe an object", field="attribute_schema")
    outside = _outside_refs(schema)
    if outside:
        raise Invalid(
            f"the attribute schema may only refer within itself ($ref '#/...'), not to {outside[0]!r}",
            field="attribute_schema",
        )
    return schema


def _outside_refs(node: Any) -> list[str]:
    """`$ref` values that point outside the schema (a URL or a file): Vigil fetches nothing."""
    if isinstance(node, dict):
        found = (
            [node["$ref"]] if isinstance(node.get("$ref"), str) and not node["$ref"].startswith("#") else []
        )
        return found + [ref for value in node.values() for ref in _outside_refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _outside_refs(value)]
    return []


def validate_attributes(
    ci_class: CIClass,
    attributes: dict[str, Any],
    *,
    field: str = "attributes",
    schema: dict[str, Any] | None = None,
) -> None:
    """Invalid, naming the first offending attribute, unless `attributes` fit the class's schema (or
    `schema`, a new one being tried)."""
    schema = ci_class.attribute_schema if schema is None else schema
    if not schema:
        return
    validator = Draft202012Validator(schema)
    try:
        errors = sorted(validator.iter_errors(attributes), key=lambda e: list(e.path))
    except Unresolvable as exc:
        raise Invalid(
            f"the {ci_class.label} class's attribute schema has a $ref that leads nowhere: {exc}", field=field
        ) from None
    if errors:
        first = errors[0]
        where = ".".join(str(p) for p in first.path)
        raise Invalid(
            f"{where + ': ' if where else ''}{first.message} (the {ci_class.label} class's attribute schema)",
            field=f"{field}.{where}" if where else field,
        )


def create_class(*, session: Session, actor: Actor, data: CIClassCreate) -> CIClass:
    policy.require(actor, "ci_class.write")
    if session.get(CIClass, data.key) is not None:
        raise Duplicate(f"a CI class {data.key!r} already exists")
    found = CIClass(
        key=data.key,
        label=data.label,
        description=data.description,
        is_service=data.is_service,
        requester_visible=data.requester_visible,
        builtin=False,
        attribute_schema=_checked_schema(data.attribute_schema),
    )
    session.add(found)
    session.flush()
    audit.record(
        session, actor, action="ci_class.create", object_type="ci_class", object_id=found.key,
        changes=audit.diff({}, data.model_dump()),
    )  # fmt: skip
    return found


def update_class(
    *,
    session: Session,
    actor: Actor,
    key: str,
    data: CIClassUpdate,
    expected_version: int | frozenset[int] | None = None,
) -> CIClass:
    """Change a class; a new attribute schema must still accept every existing CI's attributes."""
    policy.require(actor, "ci_class.write")
    found = get_class(session=session, key=key)
    check_version(f"CI class {found.key}", found.version, expected_version)
    fields = data.model_fields_set - {"version"}
    before = {k: getattr(found, k) for k in fields}
    if data.attribute_schema is not None:
        _check_existing(session, found, _checked_schema(data.attribute_schema))
        found.attribute_schema = data.attribute_schema
    for name in data.model_fields_set - {"attribute_schema", "version"}:
        value = getattr(data, name)
        if value is not None:
            setattr(found, name, value)
    changes = audit.diff(before, {k: getattr(found, k) for k in fields})
    if changes:
        session.flush()
        audit.record(
            session, actor, action="ci_class.update", object_type="ci_class", object_id=found.key,
            changes=changes,
        )  # fmt: skip
    return found


def _check_existing(session: Session, ci_class: CIClass, schema: dict[str, Any]) -> None:
    rows = session.execute(
        select(ConfigurationItem.name, ConfigurationItem.attributes).where(
            ConfigurationItem.ci_class == ci_class.key
        )
    )
    for name, attributes in rows:
        try:
            validate_attributes(ci_class, attributes or {}, field="attribute_schema", schema=schema)
        except Invalid as exc:
            raise Invalid(
                f"the new schema refuses the existing CI {name!r}: {exc}", field="attribute_schema"
            ) from None
