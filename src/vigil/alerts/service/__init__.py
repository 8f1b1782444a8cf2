"""Alert intake use cases; every adapter (API, pages, CLI, library, jobs) calls these."""

from vigil.alerts.service import intake, integrations, records

__all__ = ["integrations", "intake", "records"]
