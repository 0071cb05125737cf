"""Which requests an actor may see: the filter on ``Case`` every list, figure and export applies."""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from caseflow.cases.actor import Actor
from caseflow.models import Agency, Case
from caseflow.states.roles import AUDITOR, SUPERVISOR, SYSTEM


def visible_agencies(session: Session, actor: Actor) -> ColumnElement[bool]:
    """A filter on Case for the actor's agencies."""
    if SYSTEM in actor.roles:
        return col(Case.id).is_not(None)
    if actor.roles & {SUPERVISOR, AUDITOR}:
        ids = select(Agency.id).where(col(Agency.path).startswith(actor.agency_path))
        return col(Case.agency_id).in_(ids)
    return col(Case.agency_id) == actor.agency_id
