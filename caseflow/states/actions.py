"""The actions on a request as data: each one's label, the roles that may take it and the facts it
needs (``ACTIONS``), and the actions that only record something seen (``RECORD_ONLY``).
"""

from __future__ import annotations

from dataclasses import dataclass

from caseflow import law
from caseflow.states import facts as f
from caseflow.states import record_facts as rf
from caseflow.states.roles import AUDITOR, CLERK, REVIEWER, SUPERVISOR, SYSTEM


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    roles: frozenset[str]
    facts: type[f.Facts]


def _a(name: str, label: str, roles: tuple[str, ...], facts: type[f.Facts]) -> Action:
    return Action(name, label, frozenset(roles), facts)


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        _a("request_supplement", "发出补正告知", (CLERK,), f.RequestSupplementFacts),
        _a("receive_supplement", "收到补正", (CLERK,), f.ReceiveSupplementFacts),
        _a("lapse_supplement", "逾期未补正，视为放弃", (CLERK,), f.NoFacts),
        _a("start_consultation", "征求第三方或其他机关意见", (CLERK,), f.StartConsultationFacts),
        _a("receive_opinion", "收到意见", (CLERK,), f.ReceiveOpinionFacts),
        _a("lapse_consultation", "征求意见期限届满", (CLERK, SYSTEM), f.LapseConsultationFacts),
        _a(
            "notify_third_party_decision",
            "向第三方发出公开决定告知书（第三十二条）",
            (CLERK,),
            f.NotifyThirdPartyDecisionFacts,
        ),
        _a("assess_fee", "发出收费通知", (CLERK,), f.AssessFeeFacts),
        _a("record_payment", "收到缴费", (CLERK,), f.RecordPaymentFacts),
        _a("lapse_fee", "逾期未缴费，视为放弃", (CLERK,), f.NoFacts),
        _a("record_notice_delivery", "登记文书送达", (CLERK, SYSTEM), rf.RecordNoticeDeliveryFacts),
        _a("propose_lapse", "期限已过，提请确认", (SYSTEM,), rf.ProposeLapseFacts),
        _a("keep_waiting", "暂不认定逾期，继续等待", (CLERK,), rf.KeepWaitingFacts),
        _a("extend", "批准延期答复", (SUPERVISOR,), f.ExtendFacts),
        _a(
            "request_art35_reasons",
            f"要求申请人说明理由（{law.ART35_REASONS.basis.article}）",
            (CLERK,),
            f.RequestArt35ReasonsFacts,
        ),
        _a(
            "record_art35_reasons",
            f"登记申请人说明理由情况（{law.ART35_REASONS.basis.article}）",
            (CLERK,),
            f.RecordArt35ReasonsFacts,
        ),
        _a(
            "set_delayed_date",
            f"确定延迟答复期限（{law.ART35_DELAY.basis.article}）",
            (SUPERVISOR,),
            f.SetDelayedDateFacts,
        ),
        _a("draft_reply", "拟定答复", (CLERK,), f.DraftReplyFacts),
        _a("approve_reply", "审核通过", (REVIEWER,), f.ReviewCommentFacts),
        _a("return_reply", "退回修改", (REVIEWER,), f.ReturnReplyFacts),
        _a(
            "confidentiality_review",
            f"{law.DISCLOSURE_REVIEW_NAME}（{law.DISCLOSURE_REVIEW.article}）",
            (REVIEWER, CLERK),  # the clerk only where the office lets the handler confirm (disclosed.public)
            f.DisclosureReviewFacts,
        ),
        _a("issue_reply", "签发答复", (CLERK,), f.IssueReplyFacts),
        _a("record_delivery", "登记送达", (CLERK,), f.RecordDeliveryFacts),
        _a("withdraw", "申请人撤回申请", (CLERK,), f.WithdrawFacts),
        _a("archive", "归档", (CLERK, SUPERVISOR), f.NoFacts),
        _a("record_review", "登记行政复议", (CLERK, REVIEWER), rf.RecordReviewFacts),
        _a("record_litigation", "登记行政诉讼", (CLERK, REVIEWER), rf.RecordLitigationFacts),
        _a("conclude_remedy", "登记复议或诉讼结果", (CLERK, REVIEWER), rf.ConcludeRemedyFacts),
        _a("mark_complex", "列为重大复杂疑难", (CLERK, REVIEWER, SUPERVISOR), rf.MarkComplexFacts),
        _a("record_joint_opinion", "记录会商意见", (REVIEWER,), rf.JointOpinionFacts),
        _a("reassign", "改派经办人", (SUPERVISOR,), rf.ReassignFacts),
        _a("add_note", "补充说明（更正）", (CLERK, REVIEWER, SUPERVISOR), rf.NoteFacts),
        _a("view_identity", "查看完整身份证件号码", (CLERK, REVIEWER, SUPERVISOR, AUDITOR), f.NoFacts),
        _a("view_document", "查看申请材料", (CLERK, REVIEWER, SUPERVISOR, AUDITOR), rf.ViewDocumentFacts),
        _a("export_evidence", "导出证据包", (CLERK, REVIEWER, SUPERVISOR, AUDITOR, SYSTEM), rf.ExportFacts),
        _a("recalculate_deadline", "按国务院放假安排重新计算期限", (SYSTEM,), f.NoFacts),
        # A letter's PDF/A, rendered after the commit from its stored HTML (caseflow.replies.pdf_after).
        _a("letter_pdf", "生成PDF文本", (SYSTEM,), rf.LetterPdfFacts),
        # A letter downloaded by the applicant on the request page: its first download is its
        # electronic delivery (caseflow.portal.downloads, caseflow.cases.applicant_download).
        _a("applicant_download", "申请人在线下载", (SYSTEM,), rf.ApplicantDownloadFacts),
        # An applicant's online supplement or withdrawal declined by the clerk (not recorded as one):
        # the request is unchanged (caseflow.portal.followup_record, caseflow.cases.applicant_decline).
        _a(
            "decline_applicant_submission",
            "不予登记申请人在线提交",
            (CLERK,),
            rf.DeclineApplicantSubmissionFacts,
        ),
    )
}

#: Actions that only record that something was seen (not work on the request): not offered as actions.
RECORD_ONLY = frozenset(
    {
        "view_identity",
        "view_document",
        "export_evidence",
        "recalculate_deadline",
        "letter_pdf",
        "applicant_download",
        "decline_applicant_submission",
    }
)
