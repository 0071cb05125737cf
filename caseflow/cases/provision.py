"""The form of provision (Regulation Art. 40) and how the reply states it (Art. 36(2)).

A reply that provides information (``law.PROVISION_OUTCOMES``) records the form actually used: the
form asked for unless the draft names another, which then needs its reason (Art. 40: the form asked
for would endanger the carrier or cost too much). The letter states the 方式、途径和时间: the place and
time for inspection or pick-up, the applicant's registered address for post, the e-mail address for
e-mail, and what is attached for electronic data or paper copies.
"""

from __future__ import annotations

from typing import Any

from caseflow import law
from caseflow.errors import FactsError
from caseflow.models import Applicant, Case

#: The draft's provision fields (kept with the draft and given to the letter).
FIELDS = ("provided_form", "provided_form_reason", "provision_place", "provision_time")


def resolve(case: Case, applicant: Applicant, draft: dict[str, Any]) -> dict[str, Any]:
    """The draft's provision fields, checked against the request: the form used (default: the form
    asked for), its reason when it differs, the place and time at the office, the applicant's contact.
    Raises ``FactsError`` naming the field; returns the fields to store with the draft."""
    if draft.get("outcome") not in law.PROVISION_OUTCOMES:
        return {}
    asked = law.ProvisionForm(case.provision_form)
    used = law.ProvisionForm(draft.get("provided_form") or asked)
    errors: list[tuple[str, str]] = []
    if used is not asked and not draft.get("provided_form_reason"):
        errors.append(
            (
                "provided_form_reason",
                f"未按照申请人要求的{law.PROVISION_FORM_NAMES[asked]}形式提供、改以"
                f"{law.PROVISION_FORM_NAMES[used]}形式提供的，应当说明理由（如按要求的形式提供可能危及"
                f"政府信息载体安全或者公开成本过高，{law.PROVISION_FORM_BASIS.label}）",
            )
        )
    if used in law.PROVISION_FORMS_AT_OFFICE:
        for name, what in (("provision_place", "地点"), ("provision_time", "时间")):
            if not draft.get(name):
                errors.append(
                    (
                        name,
                        f"以{law.PROVISION_FORM_NAMES[used]}形式提供的，答复应当告知{what}"
                        f"（{law.PROVISION_NOTICE_BASIS.label}）",
                    )
                )
    contact = law.PROVISION_FORM_CONTACT.get(used)
    if contact is not None and not getattr(applicant, contact[0]):
        errors.append(
            (
                "provided_form",
                f"申请人登记信息中没有{contact[1]}，不能以{law.PROVISION_FORM_NAMES[used]}形式提供；"
                f"请先补充申请人的{contact[1]}，或者以其他适当形式提供并说明理由"
                f"（{law.PROVISION_FORM_BASIS.label}）",
            )
        )
    if errors:
        raise FactsError(errors)
    return {
        "provided_form": used.value,
        "provided_form_reason": draft.get("provided_form_reason", "") if used is not asked else "",
        "provision_place": draft.get("provision_place", ""),
        "provision_time": draft.get("provision_time", ""),
    }


def how(used: law.ProvisionForm, applicant: Applicant, reply: dict[str, Any], you: str) -> str:
    """The 方式、途径和时间 of provision, as the letter states it (a clause; the template ends it)."""
    place = reply.get("provision_place") or ""
    time = reply.get("provision_time") or ""
    provided = reply.get("provided") or "相关政府信息"
    if used is law.ProvisionForm.INSPECTION:
        return f"请{you}于{time}到{place}当场查阅，可以抄录（请携带本答复书及身份证明）"
    if used is law.ProvisionForm.PICK_UP:
        return f"请{you}于{time}到{place}自行领取（请携带本答复书及身份证明）"
    if used is law.ProvisionForm.POST:
        return f"本机关将与本答复书一并邮寄至{you}登记的通信地址（{applicant.address}）"
    if used is law.ProvisionForm.EMAIL:
        return f"本机关于本答复书出具之日发送至{you}登记的电子邮箱（{applicant.email}）"
    if used is law.ProvisionForm.ELECTRONIC:
        return f"以电子数据形式随本答复书附送：{provided}"
    return f"以纸质文本形式随本答复书附送：{provided}"


def letter_context(case: Case, applicant: Applicant, reply: dict[str, Any], you: str) -> dict[str, Any]:
    """What the letter's provision paragraph (templates/replies/_provision.html) says."""
    asked = law.ProvisionForm(case.provision_form)
    used = law.ProvisionForm(reply.get("provided_form") or asked)
    return {
        "asked": law.PROVISION_FORM_NAMES[asked],
        "used": law.PROVISION_FORM_NAMES[used],
        "differs": used is not asked,
        "reason": reply.get("provided_form_reason") or "",
        "how": how(used, applicant, reply, you),
        "basis": law.PROVISION_FORM_BASIS.label,
        "notice_basis": law.PROVISION_NOTICE_BASIS.label,
    }
