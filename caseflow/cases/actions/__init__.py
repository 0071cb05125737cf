"""The action table: one function per action, each applying its facts to the request inside
``engine.perform``'s transaction, and ``perform``, the one entry that runs them.

Each handler returns an ``Effect``: the clock event it adds to the ledger (if any), the facts it
derived (dates computed, numbers assigned) and the legal basis to record in the evidence. The
handlers are grouped by stage:

- ``supplement``: the intake side (Art. 30: supplement requested, received, lapsed);
- ``fees``: consultation and fees (the consultations themselves: ``caseflow.cases.consultations``);
- ``period``: the reply period extended (Art. 33), an Art. 35 date;
- ``reply``: the reply drafted, approved, returned and issued;
- ``closing``: after the reply (its delivery), a withdrawal, the archive;

and the handlers of ``caseflow.cases`` modules that hold one rule each (Art. 35 reasons, delivery of
notices, the Art. 17 review, assignment and remedies, the applicant's online steps, a letter's PDF).
Importing this package registers every handler and checks that each action of the state machine has
one; ``perform`` gives the engine the step that issues an action's letter (``caseflow.replies.issue``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session

from caseflow.calendar import WorkingCalendar
from caseflow.cases import applicant_decline as _applicant_decline  # noqa: F401 - issue 18
from caseflow.cases import applicant_download as _applicant_download  # noqa: F401 - issue 18
from caseflow.cases import art35 as _art35  # noqa: F401 - registers the Art. 35 handlers
from caseflow.cases import consultations as _consultations  # noqa: F401 - the consultation handlers
from caseflow.cases import delivery as _delivery  # noqa: F401 - registers the delivery handlers
from caseflow.cases import disclosure_review as _disclosure_review  # noqa: F401 - the Art. 17 review
from caseflow.cases import engine
from caseflow.cases import handling as _handling  # noqa: F401 - registers the other handlers
from caseflow.cases import lapses as _lapses  # noqa: F401 - the lapse proposals and keep_waiting
from caseflow.cases import letter_pdf as _letter_pdf  # noqa: F401 - a letter's PDF after commit
from caseflow.cases.actions import closing as _closing  # noqa: F401 - after the reply
from caseflow.cases.actions import fees as _fees  # noqa: F401 - consultation and fees
from caseflow.cases.actions import period as _period  # noqa: F401 - extension, Art. 35 date
from caseflow.cases.actions import reply as _reply  # noqa: F401 - the reply
from caseflow.cases.actions import supplement as _supplement  # noqa: F401 - the intake side
from caseflow.cases.actor import Actor
from caseflow.models import Case
from caseflow.replies.issue import issue_letter
from caseflow.states.actions import ACTIONS


def _require_all_handled() -> None:
    missing = set(ACTIONS) - set(engine.HANDLERS)
    if missing:
        raise RuntimeError(f"actions without a handler: {', '.join(sorted(missing))}")


_require_all_handled()


def perform(
    *,
    session: Session,
    case_id: int,
    actor: Actor,
    action: str,
    facts: BaseModel | dict[str, Any] | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
    calendar: WorkingCalendar | None = None,
    addon: engine.Addon | None = None,
) -> Case:
    """Take ``action`` on request ``case_id`` as ``actor``: one transaction, all or nothing
    (``engine.perform`` with the handlers above and the letter step)."""
    return engine.perform(
        session=session,
        case_id=case_id,
        actor=actor,
        action=action,
        facts=facts,
        expected_version=expected_version,
        now=now,
        calendar=calendar,
        addon=addon,
        issue_letter=issue_letter,
    )
