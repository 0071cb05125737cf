"""Correction requests (Art. 41): what a request asks for (``RequestKind``), and a correction
request's basis, period and titles."""

from __future__ import annotations

from enum import StrEnum

from caseflow.law.basis import REGULATION, REGULATION_2019_IN_FORCE, Basis


class RequestKind(StrEnum):
    """What a request asks for: disclosure (Art. 27 ff.) or the correction of a record (Art. 41)."""

    DISCLOSURE = "disclosure"
    CORRECTION = "correction"


REQUEST_KIND_NAMES: dict[RequestKind, str] = {
    RequestKind.DISCLOSURE: "政府信息公开申请",
    RequestKind.CORRECTION: "更正申请（第四十一条）",
}
#: Art. 41: a person with evidence that government information about themselves that an agency
#: provided is recorded inaccurately may ask for its correction; the competent agency corrects it
#: and tells the applicant, or (not its function) refers it or tells the applicant where to apply.
CORRECTION_BASIS = Basis(REGULATION, "第四十一条")
#: The outcomes of a correction request share this code prefix (their group).
CORRECTION_GROUP = "correction"
#: Art. 41 is an article of the 2019 text: a correction request received before it is refused.
CORRECTION_IN_FORCE = REGULATION_2019_IN_FORCE
#: The Regulation sets no period for a correction request. caseflow applies the reply period of a
#: disclosure request (20 working days, extension and pauses as the clock counts them) as the
#: office's own practice, never as a statutory rule: its letters say so and cite no article for it.
CORRECTION_PERIOD_PRACTICE = (
    "《中华人民共和国政府信息公开条例》未规定更正申请的办理期限，"
    "本机关按照工作惯例，参照政府信息公开申请的答复期限办理"
)
#: Where a counted correction request goes in table 三 when the office counts them (三(六)3 其他).
CORRECTION_REPORT_ROW = "other.other"
#: The titles of a correction request's receipt and reply.
CORRECTION_RECEIPT_TITLE = "政府信息更正申请登记回执"
CORRECTION_REPLY_TITLE = "政府信息更正申请答复书"
