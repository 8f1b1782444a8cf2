"""Identity's parts: tables, endpoints, pages, CLI groups and upkeep jobs."""

from vigil.core.registry import Domain

DOMAIN = Domain(
    name="auth",
    models=("vigil.auth.models",),
    api=("vigil.auth.api:router",),
    ui=("vigil.auth.ui:router", "vigil.auth.admin_ui:router"),
    cli=(
        ("user", "vigil.auth.cli:user_app", "People: create, list, change role, disable, set a password."),
        ("team", "vigil.auth.cli:team_app", "Teams (assignment groups): list, show, create, update."),
        ("token", "vigil.auth.cli:token_app", "Personal access tokens for the API."),
    ),
    jobs=("vigil.auth.jobs",),
    settings="vigil.auth.settings:get_auth_settings",
    facets=(("users", "vigil.auth.library:Users"), ("teams", "vigil.auth.library:Teams")),
)
