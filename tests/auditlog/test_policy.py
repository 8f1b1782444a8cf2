"""Role x action matrix of the audit trail: administrators only."""

from __future__ import annotations

import pytest

from vigil.auditlog import policy
from vigil.auth.roles import Role
from vigil.core.actor import Actor, Channel
from vigil.core.errors import Forbidden


@pytest.mark.parametrize("action", sorted(policy.ACTIONS))
@pytest.mark.parametrize("role", list(Role))
def test_only_admins(role: Role, action: str) -> None:
    actor = Actor(user_id=None, roles=frozenset({role}), channel=Channel.API)
    assert policy.can(actor, action) is (role == Role.ADMIN)
    if role == Role.ADMIN:
        policy.require(actor, action)
    else:
        with pytest.raises(Forbidden, match=action):
            policy.require(actor, action)
