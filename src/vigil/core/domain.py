"""The core's own tables and upkeep jobs, declared like a domain's."""

from vigil.core.registry import Domain

DOMAIN = Domain(
    name="core",
    models=(
        "vigil.core.audit",
        "vigil.core.idempotency",
        "vigil.core.numbering",
        "vigil.core.jobs.models",
        "vigil.core.links",
        "vigil.core.watchers",
        "vigil.core.attachments",
        "vigil.core.savedviews",
    ),
    jobs=("vigil.core.idempotency", "vigil.core.jobs.upkeep"),
    hooks=("vigil.core.auditseal", "vigil.core.jobs.metrics"),
)
