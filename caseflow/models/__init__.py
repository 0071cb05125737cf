"""The database tables (SQLModel). Moments are aware datetimes; legal dates are dates.

One table per concept: agencies (a tree), users, applicants, requests (table ``request``, class
``Case``), documents (content-addressed) and their links to requests, consultations, fee
assessments, review and litigation records, the evidence events (append-only, hash-chained) and
the counters behind tracking numbers and letter numbers.

The tables live in one module per subject (``columns`` the shared column types, ``accounts``,
``cases``, ``documents``, ``proceedings``, ``evidence``, ``jobs``, ``portal``); importing this
package registers every table in ``SQLModel.metadata`` (Alembic and ``create_all`` rely on it) and
re-exports every model, so ``from caseflow.models import Case`` is the way to name one.
"""

from __future__ import annotations

from caseflow.models.accounts import AccountChange, Agency, AuthToken, LoginAttempt, RoleException, User
from caseflow.models.cases import Applicant, Case, Counter
from caseflow.models.columns import AwareDateTime
from caseflow.models.documents import (
    CaseDocument,
    Document,
    Letter,
    NoticeDelivery,
    PendingUpload,
    ReleaseRecord,
)
from caseflow.models.evidence import Checkpoint, EvidenceEvent, ReportLock
from caseflow.models.jobs import JobRun, Notification, VerifyJob
from caseflow.models.portal import (
    ApplicantMessage,
    ApplicantSubmission,
    OnlineApplication,
    OnlineApplicationFile,
    PortalPendingUpload,
    RateLimitCount,
)
from caseflow.models.proceedings import Art35Step, Consultation, FeeAssessment, RemedyRecord

__all__ = [
    "AccountChange",
    "Agency",
    "Applicant",
    "ApplicantMessage",
    "ApplicantSubmission",
    "Art35Step",
    "AuthToken",
    "AwareDateTime",
    "Case",
    "CaseDocument",
    "Checkpoint",
    "Consultation",
    "Counter",
    "Document",
    "EvidenceEvent",
    "FeeAssessment",
    "JobRun",
    "Letter",
    "LoginAttempt",
    "NoticeDelivery",
    "Notification",
    "OnlineApplication",
    "OnlineApplicationFile",
    "PendingUpload",
    "PortalPendingUpload",
    "RateLimitCount",
    "ReleaseRecord",
    "RemedyRecord",
    "ReportLock",
    "RoleException",
    "User",
    "VerifyJob",
]
