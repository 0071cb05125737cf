"""The use cases, in one place for callers (CLI, API, scheduler, demo).

- ``register(...)``: a new request (Art. 29, 31), its first evidence event, the clock started;
- ``perform(action=..., ...)``: every other action (see ``caseflow.states.actions.ACTIONS``), each
  applied by its own function in the action table ``caseflow.cases.actions``, one transaction each;
- ``perform_grouped(...)``: the same, for concurrent callers (the web app and the API): on SQLite
  through the process's writer, which commits waiting transitions together (``caseflow.groupcommit``).
"""

from __future__ import annotations

from caseflow.cases.actions import perform
from caseflow.cases.actor import SYSTEM_ACTOR, Actor
from caseflow.cases.available import actions_for
from caseflow.cases.engine import load_visible
from caseflow.cases.intake import Application, check_when, register
from caseflow.cases.upload import Upload
from caseflow.groupcommit import perform as perform_grouped

__all__ = [
    "SYSTEM_ACTOR",
    "Actor",
    "Application",
    "Upload",
    "actions_for",
    "check_when",
    "load_visible",
    "perform",
    "perform_grouped",
    "register",
]
