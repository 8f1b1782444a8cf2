"""Integrations: create, change, rotate their token, and authenticate a monitoring system's request."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from vigil.alerts import policy
from vigil.alerts.mapping import Rules
from vigil.alerts.models import Integration, Kind
from vigil.alerts.schemas import IntegrationCreate, IntegrationCreated, IntegrationRead, IntegrationUpdate
from vigil.auth import service as auth_service
from vigil.core import audit, clock
from vigil.core.actor import Actor
from vigil.core.errors import Duplicate, Invalid, NotFound, Unauthorized

TOKEN_PREFIX = "vgla_"
#: Names the intake paths take (/integrations/alertmanager/{name}): no integration may be called so.
RESERVED = frozenset(k.value for k in Kind)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return raw, digest(raw)


def to_read(integration: Integration) -> IntegrationRead:
    return IntegrationRead(
        id=integration.id,
        name=integration.name,
        kind=Kind(integration.kind),
        recovery=integration.recovery,
        rules=Rules.model_validate(integration.rules),
        hmac=integration.hmac_secret is not None,
        active=integration.active,
        url=f"/api/v1/integrations/{integration.kind}/{integration.name}",
        created_at=integration.created_at,
        updated_at=integration.updated_at,
    )


def load(session: Session, name: str, *, for_update: bool = False) -> Integration:
    stmt = select(Integration).where(Integration.name == name)
    found = session.scalars(stmt.with_for_update() if for_update else stmt).one_or_none()
    if found is None:
        raise NotFound(f"integration {name!r} not found")
    return found


def get(*, session: Session, actor: Actor, name: str) -> Integration:
    policy.require(actor, "integration.manage")
    return load(session, name)


def list_integrations(*, session: Session, actor: Actor) -> list[Integration]:
    policy.require(actor, "integration.manage")
    return list(session.scalars(select(Integration).order_by(Integration.name)))


def create(*, session: Session, actor: Actor, data: IntegrationCreate) -> IntegrationCreated:
    policy.require(actor, "integration.manage")
    if data.name.lower() in RESERVED:
        raise Invalid(f"{data.name!r} is reserved (it names a kind of integration)", field="name")
    if session.scalar(select(Integration.id).where(Integration.name == data.name)) is not None:
        raise Duplicate(f"an integration named {data.name!r} already exists", field="name")
    if data.requester:
        requester = auth_service.resolve_user(session, data.requester, field="requester")
    elif actor.user_id is not None:
        requester = auth_service.load_user(session, actor.user_id)
    else:
        raise Invalid("a requester is required: no user is acting", field="requester")
    raw, hashed = _new_token()
    now = clock.now()
    integration = Integration(
        name=data.name,
        kind=data.kind,
        recovery=data.recovery,
        rules=data.rules.model_dump(mode="json"),
        token_hash=hashed,
        hmac_secret=data.hmac_secret,
        requester_id=requester.id,
        created_at=now,
        updated_at=now,
    )
    session.add(integration)
    session.flush()
    audit.record(
        session,
        actor,
        action="integration.create",
        object_type="alert_integration",
        object_id=integration.id,
        changes={"name": [None, data.name], "kind": [None, str(data.kind)]},
    )
    return IntegrationCreated(**to_read(integration).model_dump(), token=raw)


def update(*, session: Session, actor: Actor, name: str, data: IntegrationUpdate) -> Integration:
    policy.require(actor, "integration.manage")
    integration = load(session, name, for_update=True)
    changes: dict[str, list[object]] = {}
    for field in sorted(data.model_fields_set):
        value = getattr(data, field)
        if field == "rules":
            value = (value or Rules()).model_dump(mode="json")
        if value is None and field != "hmac_secret":
            raise Invalid(f"{field} cannot be null", field=field)
        old = getattr(integration, field)
        if old != value:
            setattr(integration, field, value)
            hidden = field == "hmac_secret"
            changes[field] = ["***" if hidden and old else old, "***" if hidden and value else value]
    if changes:
        integration.updated_at = clock.now()
        audit.record(
            session,
            actor,
            action="integration.update",
            object_type="alert_integration",
            object_id=integration.id,
            changes=changes,
        )
        session.flush()
    return integration


def rotate_token(*, session: Session, actor: Actor, name: str) -> IntegrationCreated:
    """A new token; the old one stops working at once."""
    policy.require(actor, "integration.manage")
    integration = load(session, name, for_update=True)
    raw, integration.token_hash = _new_token()
    integration.updated_at = clock.now()
    audit.record(
        session,
        actor,
        action="integration.rotate_token",
        object_type="alert_integration",
        object_id=integration.id,
    )
    session.flush()
    return IntegrationCreated(**to_read(integration).model_dump(), token=raw)


#: Every delivery looks its integration up by token: the statement is built once.
_BY_TOKEN = select(Integration).where(Integration.token_hash == bindparam("token_hash"))


def authenticate(
    session: Session, *, kind: str, name: str, token: str | None, signature: str | None, body: bytes
) -> Integration:
    """The integration a monitoring system's request is for, if its token (or HMAC signature of the
    body) is that integration's own. A bad credential is a 401 before anything else is said; a good
    token for another integration, or an unknown name, is a 404."""
    if token:
        found = session.scalars(_BY_TOKEN, {"token_hash": digest(token)}).one_or_none()
        if found is None or not found.active:
            raise Unauthorized("the integration token is invalid or was rotated")
        if found.name != name or found.kind != kind:
            raise NotFound(f"{kind} integration {name!r} not found")
        return found
    if not signature:
        raise Unauthorized(
            "send the integration's token as 'Authorization: Bearer vgla_...' "
            "(or 'X-Vigil-Signature: sha256=<hex HMAC of the body>')"
        )
    integration = session.scalars(
        select(Integration).where(Integration.name == name, Integration.kind == kind)
    ).one_or_none()
    if integration is None:
        raise NotFound(f"{kind} integration {name!r} not found")
    if not integration.active or not integration.hmac_secret:
        raise Unauthorized("this integration takes no HMAC signatures; send its bearer token")
    expected = "sha256=" + hmac.new(integration.hmac_secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        raise Unauthorized("the X-Vigil-Signature does not match the body")
    return integration
