"""The scheduled jobs' names and titles, in the order ``caseflow sweep`` runs them.

Below ``jobs`` (which binds each name to its function and timing) so that what reports on the jobs,
the job status of the pages and the supervisors' digest (``status``, ``reminders.digest``), lists
them without importing the jobs themselves.
"""

from __future__ import annotations

JOB_TITLES: dict[str, str] = {
    "calendar": "按新放假安排重算暂定期限",
    "lapses": "补正、缴费、征求意见期限届满",
    "reminders": "期限提醒与逾期督办",
    "digest": "每日督办汇总",
    "portal_reminders": "网上申请超过下一个工作日未确认的提醒",
    "checkpoint": "签发证据链检查点",
    "mail": "发送提醒邮件",
    "applicant_mail": "通知申请人（邮件、短信）",
    "letter_pdfs": "生成尚未生成的文书PDF文本",
    "pending": "清理超过24小时未登记的上传文件",
    "orphans": "清理无引用的存储文件",
}
