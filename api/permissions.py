"""Who may call which route: one rule per route name, enforced by ``deps.authorize``.

A route whose name is missing here is refused to everyone (and the permission-matrix test fails),
so a new route cannot go out without a rule.
"""

from __future__ import annotations

PUBLIC = frozenset({"anonymous"})
ANY_USER = frozenset({"clerk", "reviewer", "supervisor", "auditor", "admin"})
CASEWORK = frozenset({"clerk", "reviewer", "supervisor", "auditor"})
ACTING = frozenset({"clerk", "reviewer", "supervisor", "auditor"})

PERMISSIONS: dict[str, frozenset[str]] = {
    # JSON API v1
    "auth_token": PUBLIC,
    "revoke_token": ANY_USER,
    "create_request": frozenset({"clerk"}),
    "list_requests": CASEWORK,
    "get_request": CASEWORK,
    "request_actions": CASEWORK,
    "perform_action": ACTING,
    "request_deadline": CASEWORK,
    "request_events": CASEWORK,
    "request_letters": CASEWORK,
    "preview_letter": frozenset({"clerk", "reviewer", "supervisor"}),
    "get_letter": CASEWORK,
    "request_evidence": CASEWORK,
    "evidence_public_key": PUBLIC,
    "dashboard": frozenset({"supervisor", "auditor"}),
    "annual_report": frozenset({"supervisor", "auditor"}),
    "finalize_annual_report": frozenset({"supervisor"}),
    "office_figures": frozenset({"supervisor", "auditor"}),
    "disclosure_candidates": frozenset({"supervisor", "auditor"}),
    "public_status": PUBLIC,
    "list_notifications": ANY_USER,
    "read_notification": ANY_USER,
    "read_all_notifications": ANY_USER,
    "job_status": frozenset({"supervisor", "auditor", "admin"}),
    # Pages
    "page_login": PUBLIC,
    "page_login_submit": PUBLIC,
    "page_logout": ANY_USER,
    "page_home": ANY_USER,
    "page_intake": frozenset({"clerk"}),
    "page_intake_submit": frozenset({"clerk"}),
    "page_cases": CASEWORK,
    "page_case": CASEWORK,
    "page_case_action": ACTING,
    "page_letter": CASEWORK,
    "page_letter_preview": frozenset({"clerk", "reviewer", "supervisor"}),
    "page_review": frozenset({"reviewer"}),
    "page_dashboard": frozenset({"supervisor", "auditor"}),
    "page_report_annual": frozenset({"supervisor", "auditor"}),
    "page_report_annual_download": frozenset({"supervisor", "auditor"}),
    "page_report_annual_finalize": frozenset({"supervisor"}),
    "page_report_figures": frozenset({"supervisor", "auditor"}),
    "page_report_candidates": frozenset({"supervisor", "auditor"}),
    "page_search": frozenset({"auditor", "supervisor"}),
    "page_verify": frozenset({"auditor", "supervisor"}),
    "page_verify_package": frozenset({"auditor", "supervisor"}),
    "page_case_evidence": CASEWORK,
    "page_admin": frozenset({"admin"}),
    "page_admin_user": frozenset({"admin"}),
    "page_admin_agency": frozenset({"admin"}),
    "page_admin_calendar": frozenset({"admin"}),
    "page_public_status": PUBLIC,
    "page_notifications": ANY_USER,
    "page_notifications_read": ANY_USER,
}
