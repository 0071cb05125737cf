"""Who acts on a request: a user (with roles and agency) or the system's scheduled jobs.

Below the engine (``caseflow.cases.engine``) and the refusals it gives (``caseflow.cases.refusals``),
which both name the actor.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from caseflow.errors import NotFound
from caseflow.models import Agency, User
from caseflow.states.roles import AUDITOR, SUPERVISOR, SYSTEM


@dataclass(frozen=True)
class Actor:
    """Who acts: a user (with roles and agency) or the system's scheduled jobs."""

    username: str
    roles: frozenset[str]
    agency_id: int | None
    agency_path: str
    user_id: int | None = None

    @classmethod
    def of(cls, session: Session, user: User) -> Actor:
        agency = session.get(Agency, user.agency_id)
        if agency is None:
            raise NotFound(f"用户 {user.username} 所属的机关不存在")
        return cls(user.username, user.role_set, agency.id, agency.path, user.id)

    def sees(self, agency_path: str) -> bool:
        """Supervisors and auditors see their agency's subtree; others their own agency."""
        if SYSTEM in self.roles:
            return True
        if self.roles & {SUPERVISOR, AUDITOR}:
            return agency_path.startswith(self.agency_path)
        return agency_path == self.agency_path


SYSTEM_ACTOR = Actor("system", frozenset({SYSTEM}), None, "/")
