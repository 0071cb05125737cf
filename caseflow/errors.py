"""The engine's refusals. Each says exactly what is wrong; the API maps each class to one status."""

from __future__ import annotations

from collections.abc import Sequence


class CaseflowError(Exception):
    """Base of every refusal; ``message`` is for people, the attributes for programs."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(CaseflowError):
    """No such request, or one outside the actor's agencies (they are not told it exists)."""


class Forbidden(CaseflowError):
    """The actor's roles do not allow this action."""


class IllegalTransition(CaseflowError):
    """The action is not allowed in the request's current state."""

    def __init__(self, action: str, state: str, allowed: Sequence[str]) -> None:
        allowed_text = ", ".join(allowed) if allowed else "none"
        super().__init__(f"action {action!r} is not allowed in state {state!r}; allowed now: {allowed_text}")
        self.action = action
        self.state = state
        self.allowed = list(allowed)


class StaleVersion(CaseflowError):
    """The caller saw an older version of the request than the one stored."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(
            f"the request changed since you loaded it (you saw version {expected}, it is now "
            f"version {actual}); reload and try again"
        )
        self.expected = expected
        self.actual = actual


class RuleViolation(CaseflowError):
    """The law refuses the action now (late extension, second supplement notice, ...)."""


class FactsError(CaseflowError):
    """Missing or malformed facts; ``errors`` lists (field, message) pairs."""

    def __init__(self, errors: Sequence[tuple[str, str]]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(f"{field}: {msg}" for field, msg in self.errors))


class TooManyAttempts(CaseflowError):
    """Too many failed sign-ins for a user name or from an address: try again at ``retry_at``."""

    code = "sign_in_throttled"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        #: Seconds until an attempt will be taken again (the Retry-After header).
        self.retry_after = retry_after
