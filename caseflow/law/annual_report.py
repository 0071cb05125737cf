"""The annual report (Report Format 国办公开办函〔2021〕30号, tables 三 and 四): its columns, rows,
labels and titles, and where each outcome counts."""

from __future__ import annotations

from dataclasses import dataclass

from caseflow.law.basis import REGULATION, Basis
from caseflow.law.intake import APPLICANT_TYPE_NAMES, ApplicantType
from caseflow.law.outcomes import OUTCOME_GROUPS, OUTCOMES

REPORT_FORMAT = "国办公开办函〔2021〕30号"
REPORT_FORMAT_TITLE = "《中华人民共和国政府信息公开工作年度报告格式》"

#: Table 三's columns in order (JSON keys of the report): the applicant types, then the total.
REPORT_COLUMNS: tuple[str, ...] = (*(t.value for t in ApplicantType), "total")
REPORT_COLUMN_NAMES: dict[str, str] = {
    **{t.value: APPLICANT_TYPE_NAMES[t] for t in ApplicantType},
    "total": "总计",
}
#: The header over the organisation columns (商业企业 … 其他) and over all applicant columns.
REPORT_ORG_HEADER = "法人或其他组织"
REPORT_APPLICANT_HEADER = "申请人情况"
#: The check the format prints in the table's corner (一 + 二 = 三(七) + 四, per column).
REPORT_BALANCE_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"

TABLE3_TITLE = "三、收到和处理政府信息公开申请情况"
TABLE4_TITLE = "四、政府信息公开行政复议、行政诉讼情况"


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One row of table 三: its JSON key, its label in the format, and where it sits.

    ``section`` is 一, 二, 三 or 四; ``group`` the 三(一)-(七) group a sub-row belongs to; a row is
    either a whole row (一, 二, 四, and 三's (一), (二), (七)) or a numbered sub-row of a group.
    """

    key: str
    label: str
    section: str
    group: str | None = None


#: The official labels of table 三's numbered sub-rows (the wording of the format, which is longer
#: than the outcome's name in letters for 三(六)1 and 2).
OUTCOME_REPORT_LABELS: dict[str, str] = {
    "withheld.state_secret": "1.属于国家秘密",
    "withheld.law_prohibited": "2.其他法律行政法规禁止公开",
    "withheld.security_stability": "3.危及“三安全一稳定”",
    "withheld.third_party": "4.保护第三方合法权益",
    "withheld.internal_affairs": "5.属于三类内部事务信息",
    "withheld.process_info": "6.属于四类过程性信息",
    "withheld.enforcement_file": "7.属于行政执法案卷",
    "withheld.query_matter": "8.属于行政查询事项",
    "unable.not_held": "1.本机关不掌握相关政府信息",
    "unable.not_ours": "1.本机关不掌握相关政府信息",
    "unable.needs_creation": "2.没有现成信息需要另行制作",
    "unable.still_unclear": "3.补正后申请内容仍不明确",
    "rejected.petition": "1.信访举报投诉类申请",
    "rejected.duplicate": "2.重复申请",
    "rejected.publication": "3.要求提供公开出版物",
    "rejected.excessive": "4.无正当理由大量反复申请",
    "rejected.confirmation": "5.要求行政机关确认或重新出具已获取信息",
    "other.no_supplement": "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "other.fee_unpaid": "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other.other": "3.其他",
}
#: Outcomes that count in another outcome's numbered row of table 三: Art. 36(5) counts with 36(4)
#: in 三(四)1 (本机关不掌握相关政府信息); the office figures show them apart.
REPORT_ROW_SHARED: dict[str, str] = {"unable.not_ours": "unable.not_held"}
#: The row of table 三 (its JSON key) each outcome counts in.
REPORT_ROW_KEYS: dict[str, str] = {o.code: REPORT_ROW_SHARED.get(o.code, o.code) for o in OUTCOMES}
#: The groups' labels as the format prints them ((二) with its counting rule).
REPORT_GROUP_LABELS: dict[str, str] = {
    **OUTCOME_GROUPS,
    "partial": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
}
#: Groups the format prints as one row with figures; the others only label their numbered sub-rows.
REPORT_SINGLE_ROW_GROUPS = frozenset({"disclosed", "partial"})

TABLE3_ROWS: tuple[ReportRow, ...] = (
    ReportRow("received", "一、本年新收政府信息公开申请数量", "一"),
    ReportRow("carried_over", "二、上年结转政府信息公开申请数量", "二"),
    *(
        row
        for group in OUTCOME_GROUPS
        for row in (
            (ReportRow(group, REPORT_GROUP_LABELS[group], "三", group),)
            if group in REPORT_SINGLE_ROW_GROUPS
            else tuple(
                ReportRow(o.code, OUTCOME_REPORT_LABELS[o.code], "三", group)
                for o in OUTCOMES
                if o.group == group and REPORT_ROW_KEYS[o.code] == o.code
            )
        )
    ),
    ReportRow("total", "（七）总计", "三", "total"),
    ReportRow("carried_forward", "四、结转下年度继续办理", "四"),
)
TABLE3_RESULTS_LABEL = "三、本年度办理结果"
TABLE3_TOTAL_LABEL = "（七）总计"

#: Table 四: 行政复议, and 行政诉讼 without review first and after review, each with these columns.
TABLE4_SECTIONS: dict[str, str] = {
    "review": "行政复议",
    "litigation_direct": "未经复议直接起诉",
    "litigation_after_review": "复议后起诉",
}
TABLE4_LITIGATION_HEADER = "行政诉讼"
TABLE4_COLUMNS: dict[str, str] = {
    "maintained": "结果维持",
    "corrected": "结果纠正",
    "other": "其他结果",
    "pending": "尚未审结",
    "total": "总计",
}
#: The result a concluded review or litigation record carries -> its table 四 column.
REMEDY_RESULTS = ("maintained", "corrected", "other")

#: The channels offices report (当面, 网络, 信函, 传真, 其他), in that order.
REPORT_CHANNEL_COLUMNS: tuple[str, ...] = ("当面", "网络", "信函", "传真", "其他")

#: Information that several applicants asked the same agency for, and that can be disclosed, may be
#: made proactively public (Art. 44); offices review recurring requests for it (seeds 003, 004).
PROACTIVE_DISCLOSURE_BASIS = Basis(REGULATION, "第四十四条")
