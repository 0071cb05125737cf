"""An agency's settings as an admin keeps them: what the letters need (文号前缀, the review body when
the agency tree gives none), what is missing and who may set it, and a save that writes only what
changed (each change recorded in ``account_change`` with the fields' old and new values)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from caseflow import law
from caseflow.accounts import check_agency_kind
from caseflow.errors import FactsError, NotFound
from caseflow.models import AccountChange, Agency, User

#: Where an admin fills the settings in (the admin page's section).
SETTINGS_PLACE = "系统管理 → 机关设置"
#: The settings a person can change, with the names the admin page gives them.
LABELS: dict[str, str] = {
    "name": "名称",
    "kind": "类别",
    "letter_prefix": "文号前缀",
    "review_body": "行政复议机关",
    "court": "管辖法院",
    "address": "地址",
    "handler_confirms_published": "已主动公开的信息由经办人确认",
}
TEXT_FIELDS = ("name", "letter_prefix", "review_body", "court", "address")
MAX_LENGTH = {"name": 200, "letter_prefix": 40, "review_body": 200, "court": 200, "address": 300}
#: The account-change record of a settings change (``account_admin.ACTION_NAMES`` names it).
CHANGE_ACTION = "agency_settings"
CHANGE_ACTION_NAME = "修改机关设置"


def missing(session: Session, agency: Agency) -> list[str]:
    """The names of the letter settings the agency lacks: 文号前缀 always (every letter is numbered
    with it), the review body when neither its setting nor the agency tree gives one (the remedies
    clause names it; Review Law Art. 24/27). The court is never missing (依法向人民法院提起行政诉讼)."""
    from caseflow.replies.remedy_bodies import review_body

    out = []
    if not agency.letter_prefix.strip():
        out.append(LABELS["letter_prefix"])
    if not review_body(session, agency).name:
        out.append(
            f"{LABELS['review_body']}（机关树中没有可据以确定的人民政府，{law.REVIEW_BODY_BASIS.label}）"
        )
    return out


def missing_message(names: list[str], agency_name: str = "本机关", *, refused: bool = True) -> str:
    """What to set and who may set it, e.g. 本机关尚未设置：文号前缀；请联系系统管理员在“…”中填写."""
    after = "（本次未出具任何文书，未占用文号）" if refused else "；设置之前，不能登记申请、出具文书"
    return f"{agency_name}尚未设置：{'、'.join(names)}；请联系系统管理员在“{SETTINGS_PLACE}”中填写{after}"


def explain_missing(session: Session, agency_id: int) -> str | None:
    """For the pages of an agency's staff: what its settings lack and who may set them (None: complete)."""
    agency = session.get(Agency, agency_id)
    names = missing(session, agency) if agency is not None else []
    return missing_message(names, "本机关", refused=False) if names else None


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str

    def __str__(self) -> str:
        return f"{LABELS[self.field]}：{self.before or '（空）'} → {self.after or '（空）'}"


def _shown(value: str | bool) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def update(session: Session, *, actor: User, code: str, values: dict[str, str | bool]) -> list[Change]:
    """Save the settings of agency ``code`` that differ from what is stored; fields not in ``values``
    stay as they are. Refuses (nothing written) a blank name, a required letter setting left blank,
    an unknown kind, a court of the wrong level. Records one account change listing every field
    changed (none when nothing changed). The caller commits."""
    from caseflow.replies.remedy_bodies import court_problem

    agency = session.exec(select(Agency).where(col(Agency.code) == code)).first()
    if agency is None:
        raise NotFound(f"没有代码为 {code} 的机关")
    wanted: dict[str, str | bool] = {}
    for key, value in values.items():
        if key not in LABELS:
            continue
        wanted[key] = value.strip() if isinstance(value, str) else value
    errors: list[tuple[str, str]] = []
    for key in TEXT_FIELDS:
        typed = wanted.get(key)
        if isinstance(typed, str) and len(typed) > MAX_LENGTH[key]:
            errors.append((key, f"{LABELS[key]}不能超过{MAX_LENGTH[key]}个字"))
    if "name" in wanted and not wanted["name"]:
        errors.append(("name", "名称不能为空"))
    kind = str(wanted.get("kind") or agency.kind)
    try:
        check_agency_kind(kind)
    except FactsError as exc:
        errors.extend(exc.errors)
        kind = agency.kind
    court = str(wanted.get("court", agency.court))
    problem = court_problem(law.AgencyKind(kind), court)
    if problem:
        errors.append(("court", problem))
    if "letter_prefix" in wanted and not wanted["letter_prefix"]:
        errors.append(("letter_prefix", "文号前缀为必填项：每份文书的文号都以它开头，不能清空"))
    if errors:
        raise FactsError(errors)
    changes = []
    for key, value in wanted.items():
        if key == "kind" and not value:
            continue
        before = getattr(agency, key)
        if before != value:
            changes.append(Change(key, _shown(before), _shown(value)))
            setattr(agency, key, value)
    blanked = any(c.field == "review_body" and not c.after for c in changes)
    if blanked and not _review_body_known(session, agency):
        session.rollback()
        raise FactsError(
            [
                (
                    "review_body",
                    "行政复议机关为必填项：机关树中没有可据以确定的人民政府"
                    f"（{law.REVIEW_BODY_BASIS.label}），不能清空",
                )
            ]
        )
    if changes:
        assert actor.id is not None
        session.add(agency)
        session.add(
            AccountChange(
                actor=actor.username,
                action=CHANGE_ACTION,
                target_user_id=actor.id,
                target=f"机关 {agency.code}"[:80],
                detail="；".join(str(c) for c in changes),
            )
        )
    return changes


def _review_body_known(session: Session, agency: Agency) -> bool:
    from caseflow.replies.remedy_bodies import review_body

    return bool(review_body(session, agency).name)
