"""The installed domains, lower layers first. A new domain is its own package plus one line here."""

from __future__ import annotations

from vigil.core import registry

INSTALLED = (
    "vigil.core.domain",
    "vigil.auth.domain",
    "vigil.cmdb.domain",
    "vigil.sla.domain",
    "vigil.incidents.domain",
    "vigil.auditlog.domain",
    "vigil.notifications.domain",
    "vigil.alerts.domain",
)


def register() -> list[registry.Domain]:
    """Register every installed domain (cheap: nothing but the declarations is imported)."""
    for path in INSTALLED:
        registry.register(registry.resolve(f"{path}:DOMAIN"))
    return registry.domains()


def load() -> list[str]:
    """Register the domains, import their job modules and subscribe their event handlers; return the
    names of the job handlers and periodic tasks the worker will run."""
    register()
    registry.load_settings()
    registry.load_jobs()
    queue = registry.resolve("vigil.core.jobs.queue")  # named: `register()` alone must not load the ORM
    return sorted({*queue.HANDLERS, *queue.PERIODIC})
