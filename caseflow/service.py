"""The use cases, in one place for callers (CLI, API, scheduler, demo).

- ``register(...)``: a new request (Art. 29, 31), its first evidence event, the clock started;
- ``perform(action=..., ...)``: every other action (see ``caseflow.states.machine.ACTIONS``), each
  applied by its own function in ``caseflow.cases.actions``, one transaction each.
"""

from __future__ import annotations

from caseflow.cases import actions as _actions  # noqa: F401 - registers the action handlers
from caseflow.cases.engine import SYSTEM_ACTOR, Actor, actions_for, load_visible, perform
from caseflow.cases.intake import Application, Upload, check_when, register

__all__ = [
    "SYSTEM_ACTOR",
    "Actor",
    "Application",
    "Upload",
    "actions_for",
    "check_when",
    "load_visible",
    "perform",
    "register",
]
