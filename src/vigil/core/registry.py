"""The domain registry: each domain declares its parts once; the app, CLI, library, worker and Alembic
read them from here instead of naming every domain themselves.

Parts are named as import paths ("vigil.incidents.api:router"), imported only by the face that needs
them: `import vigil.core.clock` loads no domain, and the CLI never imports Jinja or FastAPI routers it
does not serve.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Subscription:
    """Deliver every `event` ("module:Class") to the job handler `job` (a durable job per event)."""

    event: str
    job: str


@dataclass(frozen=True)
class Domain:
    """Everything Vigil needs to know about one domain package."""

    name: str
    #: Modules whose import registers tables on `Base.metadata`.
    models: tuple[str, ...] = ()
    #: FastAPI routers ("module:attribute"): REST endpoints, then web pages.
    api: tuple[str, ...] = ()
    ui: tuple[str, ...] = ()
    #: CLI command groups: (command name, "module:typer_app", one line of help). The help is shown by
    #: `vigil --help` without importing the module (so the CLI starts fast).
    cli: tuple[tuple[str, str, str], ...] = ()
    #: Modules whose import registers job handlers and periodic tasks.
    jobs: tuple[str, ...] = ()
    #: Modules whose import registers the domain with core services (link targets and kinds, say).
    hooks: tuple[str, ...] = ()
    #: Event subscriptions, delivered as durable jobs.
    subscriptions: tuple[Subscription, ...] = ()
    #: Its settings' getter ("module:function"), called at startup so bad configuration stops the start.
    settings: str | None = None
    #: The library's facets: (attribute on `Vigil`, "module:class" taking the connection's transport).
    facets: tuple[tuple[str, str], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


_domains: dict[str, Domain] = {}


def register(domain: Domain) -> Domain:
    """Add (or replace) a domain. Registering twice with the same name is harmless."""
    _domains[domain.name] = domain
    return domain


def unregister(name: str) -> None:
    _domains.pop(name, None)


def domains() -> list[Domain]:
    """Registered domains, in registration order (lower layers first)."""
    return list(_domains.values())


def resolve(path: str) -> Any:
    """Import "package.module:attribute" (or a bare module path) and return it."""
    module_name, _, attribute = path.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


def objects(part: str) -> Iterator[Any]:
    """Every object of one kind of part ("api", "ui", "models", "jobs") across the domains."""
    for domain in domains():
        for path in getattr(domain, part):
            yield resolve(path)


def load_settings() -> None:
    """Read every domain's settings once: a bad value (say an incomplete priority matrix) fails here."""
    for domain in domains():
        if domain.settings:
            resolve(domain.settings)()


def load_jobs() -> None:
    """Import every domain's hooks and job modules and subscribe its event handlers (idempotent)."""
    for domain in domains():
        for path in domain.hooks:
            resolve(path)
        for path in domain.jobs:
            resolve(path)
        for sub in domain.subscriptions:
            # Named, not imported at the top: reading the declarations must not load the ORM.
            resolve("vigil.core.events:subscribe")(resolve(sub.event), sub.job)
