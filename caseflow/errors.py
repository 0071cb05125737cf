"""The engine's refusals. Each says exactly what is wrong; the API maps each class to one status."""

from __future__ import annotations

from collections.abc import Sequence


class CaseflowError(Exception):
    """Base of every refusal; ``message`` is for people (Chinese), ``code`` a stable machine name for
    programs (the API answers it beside the Chinese ``detail``), the other attributes for programs too.
    Each class has its code; a refusal may name a more specific one (e.g. ``extension_limit``)."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotFound(CaseflowError):
    """No such request, or one outside the actor's agencies (they are not told it exists)."""

    code = "not_found"


class Forbidden(CaseflowError):
    """The actor's roles do not allow this action."""

    code = "forbidden"


class IllegalTransition(CaseflowError):
    """The action is not allowed in the request's current state."""

    code = "illegal_transition"

    def __init__(
        self,
        action: str,
        state: str,
        allowed: Sequence[str],
        *,
        reason: str | None = None,
        code: str | None = None,
    ) -> None:
        from caseflow.states.actions import ACTIONS
        from caseflow.states.machine import STATE_NAMES, State

        def label(name: str) -> str:
            return ACTIONS[name].label if name in ACTIONS else name

        state_name = STATE_NAMES.get(State(state), state) if state in {s.value for s in State} else state
        allowed_text = "、".join(f"「{label(a)}」" for a in allowed) if allowed else "无"
        because = f"：{reason}" if reason else ""
        super().__init__(
            f"本申请当前处于「{state_name}」状态，不能进行「{label(action)}」{because}。现在可以进行的操作：{allowed_text}",
            code=code,
        )
        self.action = action
        self.state = state
        self.allowed = list(allowed)
        #: Why the state refuses it, when a rule of law says so (e.g. the extension was used).
        self.reason = reason


class StaleVersion(CaseflowError):
    """The caller saw an older version of the request than the one stored."""

    code = "stale_version"

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(
            f"该申请在您打开后已被修改（您看到的是第{expected}版，现为第{actual}版），请刷新后重试"
        )
        self.expected = expected
        self.actual = actual


class RuleViolation(CaseflowError):
    """The law refuses the action now (late extension, second supplement notice, ...)."""

    code = "rule_violation"


class FactsError(CaseflowError):
    """Missing or malformed facts; ``errors`` lists (field, message) pairs."""

    code = "invalid_facts"

    def __init__(self, errors: Sequence[tuple[str, str]], *, code: str | None = None) -> None:
        self.errors = list(errors)
        super().__init__("；".join(f"{field}：{msg}" for field, msg in self.errors), code=code)


class TooManyAttempts(CaseflowError):
    """Too many failed sign-ins for a user name or from an address: try again at ``retry_at``."""

    code = "sign_in_throttled"

    def __init__(self, message: str, retry_after: int, *, code: str | None = None) -> None:
        super().__init__(message, code=code)
        #: Seconds until an attempt will be taken again (the Retry-After header).
        self.retry_after = retry_after
