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
    "request_identity": frozenset({"clerk", "reviewer", "supervisor", "auditor"}),
    "request_actions": CASEWORK,
    "perform_action": ACTING,
    "request_deadline": CASEWORK,
    "request_events": CASEWORK,
    "request_letters": CASEWORK,
    "preview_letter": frozenset({"clerk", "reviewer", "supervisor"}),
    "get_letter": CASEWORK,
    "request_evidence": CASEWORK,
    "request_evidence_download": CASEWORK,
    "evidence_public_key": PUBLIC,
    "dashboard": frozenset({"supervisor", "auditor"}),
    "annual_report": frozenset({"supervisor", "auditor"}),
    "finalize_annual_report": frozenset({"supervisor"}),
    "office_figures": frozenset({"supervisor", "auditor"}),
    "disclosure_candidates": frozenset({"supervisor", "auditor"}),
    "public_status": PUBLIC,
    "favicon": PUBLIC,  # caseflow.api.web.offline
    "public_status_lookup": PUBLIC,
    "list_notifications": ANY_USER,
    "read_notification": ANY_USER,
    "read_all_notifications": ANY_USER,
    "job_status": frozenset({"supervisor", "auditor", "admin"}),
    "list_checkpoints": frozenset({"auditor"}),
    "checkpoint_public_key": frozenset({"auditor"}),
    "get_checkpoint": frozenset({"auditor"}),
    "get_checkpoint_timestamp": frozenset({"auditor"}),
    "admin_list_users": frozenset({"admin"}),
    "admin_create_user": frozenset({"admin"}),
    "admin_deactivate_user": frozenset({"admin"}),
    "admin_activate_user": frozenset({"admin"}),
    "admin_reset_password": frozenset({"admin"}),
    "admin_set_roles": frozenset({"admin"}),
    "admin_revoke_tokens": frozenset({"admin"}),
    "admin_account_changes": frozenset({"admin"}),
    # Online applications (caseflow.portal): the applicant's side needs no account
    "public_submit_application": PUBLIC,
    "public_application_status": PUBLIC,
    "list_online_applications": frozenset({"clerk"}),
    "confirm_online_application": frozenset({"clerk"}),
    "return_online_application": frozenset({"clerk"}),
    # The applicant's online supplement and withdrawal (caseflow.portal.followups), recorded by the clerk
    # (ACTING: the service refuses all but clerks, after the 404 for another agency's request)
    "list_applicant_submissions": CASEWORK,
    "record_applicant_submission": ACTING,
    "decline_applicant_submission": ACTING,
    "page_applicant_supplement": PUBLIC,
    "page_applicant_withdraw": PUBLIC,
    "page_applicant_submission_record": ACTING,
    "page_applicant_submission_decline": ACTING,
    "page_applicant_submission_file": CASEWORK,
    # The clerks' inbox page (issue 18 / B) and the applicant's download of a return notice
    "page_inbox": frozenset({"clerk"}),
    "page_inbox_confirm": frozenset({"clerk"}),
    "page_inbox_return": frozenset({"clerk"}),
    "public_return_notice": PUBLIC,
    # Pages
    "page_login": PUBLIC,
    "page_login_submit": PUBLIC,
    "page_logout": ANY_USER,
    "page_home": ANY_USER,
    "page_intake": frozenset({"clerk"}),
    "page_intake_submit": frozenset({"clerk"}),
    "page_cases": CASEWORK,
    "page_case": CASEWORK,
    "page_case_identity": frozenset({"clerk", "reviewer", "supervisor", "auditor"}),
    "page_case_action": ACTING,
    "page_letter": CASEWORK,
    "page_case_document": CASEWORK,
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
    "page_verify_jobs": frozenset({"auditor", "supervisor"}),
    "page_verify_start": frozenset({"auditor", "supervisor"}),
    "page_verify_resume": frozenset({"auditor", "supervisor"}),
    "page_case_verify": CASEWORK,  # anyone who may read the request may check its evidence
    "page_checkpoints": frozenset({"auditor"}),
    "page_case_evidence": CASEWORK,
    "page_admin": frozenset({"admin"}),
    "page_admin_user": frozenset({"admin"}),
    "page_admin_agency": frozenset({"admin"}),
    "page_admin_calendar": frozenset({"admin"}),
    "page_admin_user_active": frozenset({"admin"}),
    "page_admin_user_password": frozenset({"admin"}),
    "page_admin_user_roles": frozenset({"admin"}),
    "page_admin_user_revoke": frozenset({"admin"}),
    "page_public_status": PUBLIC,
    "page_public_status_lookup": PUBLIC,
    "page_public_apply": PUBLIC,  # caseflow.api.web.apply: the online application form
    "page_public_apply_submit": PUBLIC,
    "page_application_file": frozenset({"clerk"}),  # an online application's upload, downloaded
    # The applicant's request page (issue 18 / C): access by tracking number + code or signed link
    "page_applicant_lookup": PUBLIC,
    "page_applicant_lookup_submit": PUBLIC,
    "page_applicant_request": PUBLIC,
    "page_applicant_letter": PUBLIC,
    "page_applicant_released": PUBLIC,  # a released record's copy, behind the request's signed link
    # The applicant's page of an online application (issue 18 / H): submission number + access code
    "page_submission_lookup": PUBLIC,
    "page_submission_lookup_submit": PUBLIC,
    "page_submission_status": PUBLIC,
    "page_submission_return_notice": PUBLIC,
    "page_notifications": ANY_USER,
    "page_notifications_read": ANY_USER,
    "page_forms_script": PUBLIC,
    # The records released with a reply (issue 19, caseflow.api.web.release): the request's handler and the
    # agency's reviewers change them; supervisors and auditors look (the page refuses supervisors and
    # other clerks with 403: the rule names supervisors so that another agency's get 404, not 403)
    "page_release": CASEWORK,
    "page_release_editor": CASEWORK,
    "page_release_page": CASEWORK,
    "page_release_download": CASEWORK,
    "page_release_upload": frozenset({"clerk", "reviewer", "supervisor"}),
    "page_release_prepare": frozenset({"clerk", "reviewer", "supervisor"}),
    "page_release_remove": frozenset({"clerk", "reviewer", "supervisor"}),
    "page_release_boxes": frozenset({"clerk", "reviewer", "supervisor"}),
    "page_release_decide": frozenset({"clerk", "reviewer", "supervisor"}),
}
