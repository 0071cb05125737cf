"""Outcomes: the closed list of reply types (DOMAIN.md section 5) with their articles and report
rows, the review before disclosure (Art. 17), releasing records with redactions (Art. 37), and the
facts a reply must carry."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from caseflow.law.basis import REGULATION, Basis, cite
from caseflow.law.corrections import CORRECTION_BASIS, CORRECTION_GROUP, RequestKind
from caseflow.law.fees import FEE_BASIS_REGULATION, FEE_NOTICE_BASIS

# --- The review before disclosure (保密审查, Art. 17) --------------------------------------------


#: Art. 17: before information is disclosed it is reviewed under the State Secrets Law and other
#: laws, regulations and rules (保密审查), by a procedure with set responsibilities. caseflow records
#: the review (who, when, conclusion) of every draft of the outcome groups below before its issue.
DISCLOSURE_REVIEW = Basis(REGULATION, "第十七条")
DISCLOSURE_REVIEW_NAME = "保密审查"
DISCLOSURE_REVIEW_RULE = (
    f"公开政府信息前，应当依照《中华人民共和国保守国家秘密法》以及其他法律、法规和国家有关规定"
    f"对拟公开的政府信息进行审查（{DISCLOSURE_REVIEW.label}）"
)
#: The outcome groups that disclose information (予以公开, 部分公开): their drafts are reviewed.
DISCLOSURE_REVIEW_GROUPS = frozenset({"disclosed", "partial"})
#: The review's conclusions.
DISCLOSURE_REVIEW_CONCLUSIONS: dict[str, str] = {"agree": "同意公开", "disagree": "不同意公开"}
#: Where the office so sets (``Agency.handler_confirms_published``), the handler's own confirmation
#: suffices for these outcomes (information already published: nothing new is disclosed).
HANDLER_CONFIRMS_OUTCOMES = frozenset({"disclosed.public"})


# --- Outcomes: the closed list (DOMAIN.md section 5) ----------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """One legal reply type: what drives the letter, its basis, remedies and report row."""

    code: str
    report_row: str
    name: str
    basis: tuple[Basis, ...]
    needs_review: bool
    #: A refusal to disclose (不予公开): since 2024 review must come before litigation.
    refuses_disclosure: bool = False
    #: Concluded without a reply on the merits (deemed abandoned, withdrawn).
    without_reply: bool = False
    #: Whether its letter carries the remedies clause (a withdrawal is the applicant's own act).
    remedies: bool = True

    @property
    def group(self) -> str:
        """The report group (三(一)-(六)): disclosed, partial, withheld, unable, rejected, other."""
        return self.code.split(".", 1)[0]

    @property
    def kind(self) -> RequestKind:
        """The kind of request the outcome decides: a correction (Art. 41) or a disclosure request."""
        return RequestKind.CORRECTION if self.group == CORRECTION_GROUP else RequestKind.DISCLOSURE

    @property
    def template(self) -> str:
        return f"reply_{self.code.replace('.', '_')}"

    @property
    def basis_label(self) -> str:
        return cite(self.basis)


def _r(article: str) -> Basis:
    return Basis(REGULATION, article)


#: Art. 36(3): a decision not to disclose tells the applicant so and gives the reasons; every refusal
#: on a ground of Art. 14, 15 or 16 cites it after its ground.
WITHHOLDING_BASIS = _W = _r("第三十六条第三项")


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("disclosed.public", "三(一)", "予以公开（已主动公开）", (_r("第三十六条第一项"),), False),
    Outcome("disclosed.provided", "三(一)", "予以公开", (_r("第三十六条第二项"), _r("第四十条")), False),
    Outcome("partial", "三(二)", "部分公开", (_r("第三十七条"),), True, refuses_disclosure=True),
    Outcome("withheld.state_secret", "三(三)1", "属于国家秘密", (_r("第十四条"), _W), True, True),
    Outcome(
        "withheld.law_prohibited", "三(三)2", "其他法律行政法规禁止公开", (_r("第十四条"), _W), True, True
    ),
    Outcome("withheld.security_stability", "三(三)3", "危及“三安全一稳定”", (_r("第十四条"), _W), True, True),
    Outcome(
        "withheld.third_party",
        "三(三)4",
        "保护第三方合法权益",
        (_r("第十五条"), _r("第三十二条"), _W),
        True,
        True,
    ),
    Outcome(
        "withheld.internal_affairs", "三(三)5", "属于三类内部事务信息", (_r("第十六条第一款"), _W), True, True
    ),
    Outcome("withheld.process_info", "三(三)6", "属于四类过程性信息", (_r("第十六条第二款"), _W), True, True),
    Outcome(
        "withheld.enforcement_file", "三(三)7", "属于行政执法案卷", (_r("第十六条第二款"), _W), True, True
    ),
    Outcome("withheld.query_matter", "三(三)8", "属于行政查询事项", (_r("第三十六条第七项"),), True, True),
    # Art. 36(4) and 36(5) are two decisions counted in one row of table 三 (三(四)1): the
    # information does not exist (after a search), or another agency is responsible for it.
    Outcome("unable.not_held", "三(四)1", "经检索政府信息不存在", (_r("第三十六条第四项"),), True),
    Outcome("unable.not_ours", "三(四)1", "不属于本机关负责公开", (_r("第三十六条第五项"),), True),
    Outcome("unable.needs_creation", "三(四)2", "没有现成信息需要另行制作", (_r("第三十八条"),), True),
    Outcome("unable.still_unclear", "三(四)3", "补正后申请内容仍不明确", (_r("第三十条"),), True),
    Outcome("rejected.petition", "三(五)1", "信访举报投诉类申请", (_r("第三十九条第一款"),), True),
    Outcome("rejected.duplicate", "三(五)2", "重复申请", (_r("第三十六条第六项"),), True),
    Outcome("rejected.publication", "三(五)3", "要求提供公开出版物", (_r("第三十九条第二款"),), True),
    Outcome("rejected.excessive", "三(五)4", "无正当理由大量反复申请", (_r("第三十五条"),), True),
    Outcome(
        "rejected.confirmation",
        "三(五)5",
        "要求行政机关确认或重新出具已获取信息",
        (_r("第二条"),),
        True,
    ),
    Outcome(
        "other.no_supplement", "三(六)1", "申请人逾期不补正", (_r("第三十条"),), False, without_reply=True
    ),
    Outcome(
        "other.fee_unpaid",
        "三(六)2",
        "申请人逾期未按收费通知要求缴纳费用",
        (FEE_BASIS_REGULATION, FEE_NOTICE_BASIS),
        False,
        without_reply=True,
    ),
    # A withdrawal ends the request by the applicant's own act: no article of the Regulation decides it.
    Outcome("other.other", "三(六)3", "其他处理", (), False, without_reply=True, remedies=False),
    # Correction requests (Art. 41): not counted in table 三 (report_row ""), unless the installation
    # counts them as 其他处理 (``CORRECTION_REPORT_ROW``, setting ``count_corrections_in_report``).
    Outcome("correction.corrected", "", "审核属实，予以更正", (CORRECTION_BASIS,), False, remedies=False),
    Outcome(
        "correction.referred", "", "转送有权更正的行政机关处理", (CORRECTION_BASIS,), False, remedies=False
    ),
    Outcome("correction.elsewhere", "", "告知向有权更正的行政机关提出", (CORRECTION_BASIS,), True),
    Outcome(
        "correction.refused_evidence", "", "不予更正（证据不足以证明记载不准确）", (CORRECTION_BASIS,), True
    ),
    Outcome(
        "correction.refused_not_own",
        "",
        "不予更正（不属于与申请人自身相关的政府信息）",
        (CORRECTION_BASIS,),
        True,
    ),
    Outcome("correction.refused_accurate", "", "不予更正（经审核记载准确）", (CORRECTION_BASIS,), True),
)
OUTCOMES_BY_CODE: dict[str, Outcome] = {o.code: o for o in OUTCOMES}

#: The grounds of withholding (Art. 14, 15, 16, each cited with Art. 36(3)): what a partial reply
#: (Art. 37) names for the part it withholds.
WITHHOLDING_GROUNDS: tuple[str, ...] = tuple(
    o.code for o in OUTCOMES if o.group == "withheld" and WITHHOLDING_BASIS in o.basis
)


# --- Releasing records (区分处理, Art. 37) ----------------------------------------------------

#: The replies that hand records over (Art. 36(2), 37): the records released with them.
RELEASE_OUTCOMES: tuple[str, ...] = ("disclosed.provided", "partial")
#: The short label printed in a redaction box: the article and the ground, for each withholding ground
#: (Art. 37: the part that may not be disclosed is withheld, the rest provided; each box names why).
REDACTION_LABELS: dict[str, str] = {
    "withheld.state_secret": "第十四条 国家秘密",
    "withheld.law_prohibited": "第十四条 法律禁止公开",
    "withheld.security_stability": "第十四条 三安全一稳定",
    "withheld.third_party": "第十五条 第三方权益",
    "withheld.internal_affairs": "第十六条 内部事务",
    "withheld.process_info": "第十六条 过程性信息",
    "withheld.enforcement_file": "第十六条 行政执法案卷",
}
#: The ground of suggested boxes (identity numbers, phone numbers, names of natural persons: personal
#: privacy, Art. 15).
SUGGESTION_GROUND = "withheld.third_party"


def partial_basis(grounds: Iterable[str]) -> tuple[Basis, ...]:
    """A partial reply's basis at letter time: Art. 37 and the articles of its withheld part's grounds."""
    bases = list(OUTCOMES_BY_CODE["partial"].basis)
    for code in grounds:
        bases.extend(b for b in OUTCOMES_BY_CODE[code].basis if b not in bases)
    return tuple(sorted(bases, key=lambda b: (_article_number(b.article), b.article)))


_DIGITS = {d: i for i, d in enumerate("零一二三四五六七八九")}


def _article_number(article: str) -> int:
    """第三十六条第三项 -> 36 (an article's number, for citing articles in their order)."""
    numeral = article.removeprefix("第").split("条", 1)[0]
    tens, _, units = numeral.rpartition("十")
    if "十" not in numeral:
        return _DIGITS.get(numeral, 0)
    return (_DIGITS.get(tens, 1) if tens else 1) * 10 + _DIGITS.get(units, 0)


#: The report groups of table 三 in order, with their row labels.
OUTCOME_GROUPS: dict[str, str] = {
    "disclosed": "（一）予以公开",
    "partial": "（二）部分公开",
    "withheld": "（三）不予公开",
    "unable": "（四）无法提供",
    "rejected": "（五）不予处理",
    "other": "（六）其他处理",
}


def outcomes_for(kind: str) -> tuple[Outcome, ...]:
    """The outcomes a request of this kind (``RequestKind``) may take."""
    return tuple(o for o in OUTCOMES if o.kind == kind)


def outcome(code: str) -> Outcome:
    """The outcome with this code, or a clear error naming the valid codes."""
    try:
        return OUTCOMES_BY_CODE[code]
    except KeyError:
        raise ValueError(f"没有此答复类型：{code}（可选：{'、'.join(o.name for o in OUTCOMES)}）") from None


#: The draft facts a reply of an outcome must carry (content the law requires), with the refusal
#: naming the rule and its article.
REPLY_REQUIRED_FACTS: dict[str, tuple[tuple[str, str], ...]] = {
    "unable.not_held": (
        (
            "search_description",
            "经检索没有所申请公开信息的，告知申请人该政府信息不存在（《中华人民共和国政府信息公开条例》"
            "第三十六条第四项）：请说明在何处、以何种方式检索",
        ),
    ),
    "withheld.query_matter": (
        (
            "query_law",
            "告知申请人依照有关法律、行政法规的规定办理（《中华人民共和国政府信息公开条例》第三十六条第七项）："
            "请写明规定该查询事项的法律、行政法规",
        ),
        (
            "query_where",
            "告知申请人依照有关法律、行政法规的规定办理（《中华人民共和国政府信息公开条例》第三十六条第七项）："
            "请写明办理查询的机关或场所",
        ),
    ),
}
#: Art. 36(5): contact details are those of the responsible agency, which must then be named.
NOT_OURS_CONTACT_WITHOUT_AGENCY = (
    "能够确定负责公开该政府信息的行政机关的，告知申请人该行政机关的名称、联系方式"
    "（《中华人民共和国政府信息公开条例》第三十六条第五项）：填写了联系方式，请同时写明该机关的名称"
)
