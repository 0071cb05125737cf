"""Who hears the remedies against an agency: the review body (from the agency tree, Review Law 2023
Art. 24, or the agency's own setting for the exceptions of Art. 27) and the court (Litigation Law
Art. 14/15: its level follows the agency's kind; the court itself is a setting, or none is named)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from caseflow import law
from caseflow.models import Agency


@dataclass(frozen=True, slots=True)
class ReviewBody:
    """The review body's name ("" when neither set nor derivable) and where it comes from."""

    name: str
    #: "setting" (the agency's review_body, e.g. Art. 27), "derived" (Art. 24), or "" (none).
    source: str
    basis: law.Basis | None


def kind_of(agency: Agency) -> law.AgencyKind:
    """The agency's kind (an unknown stored value counts as a department)."""
    try:
        return law.AgencyKind(agency.kind)
    except ValueError:
        return law.AgencyKind.DEPARTMENT


def ancestors(session: Session, agency: Agency) -> list[Agency]:
    """The agencies above ``agency`` in the tree, nearest first (from its materialised path)."""
    ids = [int(part) for part in agency.path.strip("/").split("/") if part]
    above = [i for i in ids if i != agency.id]
    if not above:
        return []
    found = {a.id: a for a in session.exec(select(Agency).where(col(Agency.id).in_(above)))}
    return [found[i] for i in reversed(above) if i in found]


def derived_review_body(session: Session, agency: Agency) -> str:
    """Review Law Art. 24: a department's own people's government (the nearest government above it);
    a government's, the government at the next level up. "" where the tree holds none."""
    for above in ancestors(session, agency):
        if kind_of(above) in law.GOVERNMENT_KINDS:
            return above.name
    return ""


def review_body(session: Session, agency: Agency) -> ReviewBody:
    """The review body the letters name: the setting when made (it overrides the derivation: the
    exceptions of Art. 27), otherwise derived from the agency tree (Art. 24)."""
    if agency.review_body:
        return ReviewBody(agency.review_body, "setting", None)
    derived = derived_review_body(session, agency)
    if derived:
        return ReviewBody(derived, "derived", law.REVIEW_BODY_BASIS)
    return ReviewBody("", "", None)


def court_level(agency: Agency) -> tuple[str, law.Basis]:
    """The level of court that tries a case against the agency at first instance (Art. 14/15)."""
    return law.COURT_LEVELS[kind_of(agency)]


def court_problem(kind: law.AgencyKind, court: str) -> str | None:
    """Why a configured court cannot be the court for an agency of this kind (None: it can). A case
    against a local government at county level or above goes to an intermediate court (Art. 15(1))."""
    level, basis = law.COURT_LEVELS[kind]
    if court and kind is law.AgencyKind.GOVERNMENT and level not in court:
        return (
            f"以县级以上地方人民政府为被告的行政案件由{level}管辖（{basis.label}）：管辖法院应为{level}"
            f"（收到：{court}）"
        )
    return None
