"""The database tables (SQLModel). Moments are aware datetimes; legal dates are dates.

One table per concept: agencies (a tree), users, applicants, requests (table ``request``, class
``Case``), documents (content-addressed) and their links to requests, consultations, fee
assessments, review and litigation records, the evidence events (append-only, hash-chained) and
the counters behind tracking numbers and letter numbers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Computed,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

from caseflow.dates import SHANGHAI, now


class AwareDateTime(TypeDecorator[dt.datetime]):
    """A moment: refuses naive datetimes, stores UTC, reads back in Asia/Shanghai.

    SQLite keeps no time zone, so the value is normalised to UTC before it is written and the
    zone is attached again when it is read; PostgreSQL stores ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a moment must be timezone-aware, got {value!r}")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(SHANGHAI)


def _moment(**kwargs: Any) -> Any:
    return Field(default_factory=now, sa_column=Column(AwareDateTime(), nullable=False, **kwargs))


class Agency(SQLModel, table=True):
    """An administrative agency (行政机关); agencies form a tree via ``parent_id``."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=200)
    parent_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    #: Materialised path of ids, "/1/4/9/": the subtree of agency 4 is every path starting "/1/4/".
    path: str = Field(default="/", max_length=400, index=True)
    #: Letter settings: 文号 prefix (e.g. "乳政公开"), address, review body (复议机关), court.
    letter_prefix: str = Field(default="", max_length=40)
    address: str = Field(default="", max_length=300)
    review_body: str = Field(default="", max_length=200)
    court: str = Field(default="", max_length=200)
    #: What the agency is for the remedies against it (``law.AgencyKind``): a department, or a people's
    #: government (county level or above, or township). A department's review body is derived as its
    #: nearest government's name, a government's as the next government up (Review Law Art. 24);
    #: ``review_body``, when set, overrides the derivation (Art. 27: vertical, tax, state security).
    kind: str = Field(default="department", max_length=20)
    #: Art. 17 (保密审查): the office lets the handler's own confirmation stand for the review of a
    #: disclosed.public reply (already published); otherwise the reviewer role reviews every disclosure.
    handler_confirms_published: bool = False


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True, index=True)
    display_name: str = Field(max_length=120)
    password_hash: str = Field(max_length=300)
    #: Comma-separated roles from DOMAIN.md section 1: clerk, reviewer, supervisor, auditor, admin.
    roles: str = Field(max_length=200)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    active: bool = True
    #: Where reminders are mailed when SMTP is configured (empty: in-app only).
    email: str = Field(default="", max_length=200)
    created_at: dt.datetime = _moment()

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)


class Applicant(SQLModel, table=True):
    """The applicant as registered (Art. 29): stored as given, the ID number never in clear
    (``caseflow.identity``): encrypted with a key outside the database, a keyed commitment for
    look-ups, and its masked form for display."""

    id: int | None = Field(default=None, primary_key=True)
    type: str = Field(max_length=30)
    name: str = Field(max_length=200)
    id_type: str = Field(max_length=60)
    id_number_enc: str = Field(max_length=600)  # v1:<key id>:<base64 AES-256-GCM>
    id_number_hmac: str = Field(max_length=80, index=True)  # hmac-sha256:<hex>
    id_number_masked: str = Field(max_length=80)
    phone: str = Field(default="", max_length=60)
    email: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=300)
    created_at: dt.datetime = _moment()


_OPEN_SQL = (
    "state IN ('received', 'supplement-required', 'consultation', 'fee-pending', 'extended', "
    "'legal-review', 'ready-to-issue')"
)
_LIST_RANK = f"CASE WHEN {_OPEN_SQL} THEN CASE WHEN reply_due IS NULL THEN 1 ELSE 0 END ELSE 2 END"
_LIST_DUE = f"CASE WHEN {_OPEN_SQL} THEN coalesce(reply_due, receipt_date) END"
_LIST_DONE = f"CASE WHEN {_OPEN_SQL} THEN NULL ELSE coalesce(answered_on, closed_on, receipt_date) END"
_LIST_TIE = f"CASE WHEN {_OPEN_SQL} THEN id ELSE -id END"
_LIST_KEY = ("list_rank", "list_due", text("list_done DESC"), "list_tie")


def _generated(sql_type: Any, expression: str) -> Column[Any]:
    """A column the database computes (never written by the application)."""
    return Column(sql_type, Computed(expression), nullable=True)


class Case(SQLModel, table=True):
    """A request for government information: a state machine with a clock and an evidence chain."""

    __tablename__ = "request"
    __table_args__ = (
        # Covers the scoped lists and the dashboard (agency, state, deadline, handler) without table reads.
        Index("ix_request_scope", "agency_id", "state", "reply_due", "handler_id"),
        Index("ix_request_state_due", "state", "reply_due"),
        # The reminder sweep: requests whose 7-day supplement-notice limit is near.
        Index("ix_request_state_notice", "state", "supplement_notice_due"),
        # Calendar updates: the (few) requests whose deadline runs on an estimated calendar.
        Index("ix_request_provisional", "provisional", "state"),
        # The report lock's change check: the latest change to any request (caseflow.reports.lock).
        Index("ix_request_updated_at", "updated_at"),
        # The lists' order (``caseflow.queries.list_order``), scoped by agency, by handler, or whole.
        Index("ix_request_list_agency", "agency_id", *_LIST_KEY),
        Index("ix_request_list_handler", "handler_id", *_LIST_KEY),
        Index("ix_request_list", *_LIST_KEY),
        # The dashboard's counts of open requests, grouped in index order (caseflow.board): partial.
        Index(
            "ix_request_open_board",
            "agency_id",
            "state",
            "handler_id",
            "reply_due",
            "paused",
            "lapse_proposed",
            sqlite_where=text(_OPEN_SQL),
            postgresql_where=text(_OPEN_SQL),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    tracking_no: str = Field(max_length=60, unique=True, index=True)
    query_code: str = Field(max_length=20)
    agency_id: int = Field(foreign_key="agency.id")
    applicant_id: int = Field(foreign_key="applicant.id", index=True)
    handler_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    # Intake (Art. 29, 31)
    channel: str = Field(max_length=20)
    arrived_at: dt.datetime = _moment()
    receipt_date: dt.date = Field(index=True)
    receipt_proof: str = Field(default="", max_length=500)
    description: str = Field(sa_column=Column(Text, nullable=False))
    document_no_sought: str = Field(default="", max_length=200)
    provision_form: str = Field(max_length=30)
    #: What the request asks for (``law.RequestKind``): disclosure, or the correction of a record
    #: about the applicant (Art. 41; ``description`` says what is inaccurate, the uploads prove it).
    kind: str = Field(default="disclosure", max_length=20)
    # The machine
    state: str = Field(max_length=30)
    outcome: str | None = Field(default=None, max_length=40, index=True)
    complex: bool = False
    extended: bool = False
    version: int = 1
    #: The reply being prepared: outcome, reasons, where to obtain, reviewer comments.
    draft: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    #: The clock ledger (the timeline's events, as ``caseflow deadline`` reads them).
    ledger: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Derived from the ledger by caseflow.clock in the same transaction
    rules: str = Field(default="2019", max_length=10)
    reply_due: dt.date | None = None
    supplement_notice_due: dt.date | None = None
    paused: bool = False
    pause_reason: str | None = Field(default=None, max_length=20)
    provisional: bool = False
    extension_days: int = 0
    #: The applicant's supplement deadline, while a supplement is awaited: None until the notice's
    #: delivery is recorded (the period runs from the applicant's receipt, ``notice_delivery``).
    supplement_due: dt.date | None = None
    #: The supplement period the notice set (working days from the day after its receipt).
    supplement_days: int | None = None
    #: A lapse the sweep proposes and the clerk must confirm or answer (``law.LapseKind``), and when.
    lapse_proposed: str | None = Field(default=None, max_length=20)
    lapse_proposed_on: dt.date | None = None
    #: The clerk decided to keep waiting on that period (its kind); the sweep proposes again only
    #: after ``lapse_wait_until`` (never, when no date was given).
    lapse_waiting: str | None = Field(default=None, max_length=20)
    lapse_wait_until: dt.date | None = None
    answered_on: dt.date | None = None
    delivered_on: dt.date | None = None
    closed_on: dt.date | None = None
    # The lists' order, kept by the database on every write (generated columns, migration 0022):
    # 0 open with a running deadline, 1 open with its clock stopped, 2 concluded; then the deadline
    # (0) or the receipt date (1); the day it was concluded (2, newest first); the id (2: negated).
    list_rank: int | None = Field(default=None, sa_column=_generated(Integer, _LIST_RANK))
    list_due: dt.date | None = Field(default=None, sa_column=_generated(Date, _LIST_DUE))
    list_done: dt.date | None = Field(default=None, sa_column=_generated(Date, _LIST_DONE))
    list_tie: int | None = Field(default=None, sa_column=_generated(Integer, _LIST_TIE))
    # The evidence chain's head
    event_count: int = 0
    last_hash: str = Field(default="0" * 64, max_length=64)
    created_at: dt.datetime = _moment()
    updated_at: dt.datetime = _moment()


class Document(SQLModel, table=True):
    """A stored file, keyed by the SHA-256 of its content; the bytes are the table's ``content``
    column, written and read by ``caseflow.evidence.store`` only (not an attribute: reading a row
    through the ORM never loads up to 20 MB)."""

    sha256: str = Field(primary_key=True, max_length=64)
    size: int
    media_type: str = Field(max_length=100)
    filename: str = Field(default="", max_length=300)
    created_at: dt.datetime = _moment()


Document.__table__.append_column(Column("content", LargeBinary(), nullable=False))  # type: ignore[attr-defined]


class PendingUpload(SQLModel, table=True):
    """A file chosen on a form that has not been saved yet (the intake form after 计算期限 or a refused
    save): its bytes in the document store by SHA-256, bound to the user who uploaded it and the form's
    file field. Becomes the request's document on registration; abandoned ones are discarded by the
    ``pending`` job (``caseflow.scheduled.pending``)."""

    __tablename__ = "pending_upload"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    slot: str = Field(max_length=40)  # the form's file field: application_scan, envelope, proof
    sha256: str = Field(max_length=64, index=True)
    filename: str = Field(default="", max_length=300)
    media_type: str = Field(max_length=100)
    size: int
    created_at: dt.datetime = _moment(index=True)


class CaseDocument(SQLModel, table=True):
    """A document's role in a request: the application, an envelope, a letter, a receipt..."""

    __tablename__ = "case_document"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="request.id", index=True)
    sha256: str = Field(foreign_key="document.sha256", max_length=64)
    kind: str = Field(max_length=40)
    event_seq: int
    created_at: dt.datetime = _moment()


class Consultation(SQLModel, table=True):
    """A consultation of a third party (Art. 32), a co-producing agency (Art. 34) or another agency.

    ``party_kind``: "third_party", "co_producer" (silence is consent) or "agency" (another agency
    that did not co-produce the information; silence is no opinion)."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="request.id", index=True)
    party_kind: str = Field(max_length=20)
    party_name: str = Field(max_length=200)
    letter_date: dt.date
    #: The last day to answer: None until the letter's delivery is recorded (Art. 32, 34: the period
    #: runs from the day after the recipient received it).
    window_end: dt.date | None = None
    opinion_date: dt.date | None = None
    opinion: str | None = Field(default=None, max_length=20)
    opinion_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    #: The consultation letter (``letter.id``): its delivery starts this consultation's window. Several
    #: consultations may be open at once, each with its own letter (migration 0016 links the old rows).
    letter_id: int | None = Field(default=None, index=True)
    #: Art. 32, disclosure over this third party's objection: the 公开决定告知书 (``letter.id``), the
    #: working days it says the office waits after the third party receives it, and the last day of
    #: that wait (None until the notice's delivery is recorded). Disclosure only after that day.
    decision_letter_id: int | None = Field(default=None, index=True)
    decision_wait_days: int | None = None
    decision_wait_end: dt.date | None = None


class FeeAssessment(SQLModel, table=True):
    __tablename__ = "fee_assessment"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="request.id", index=True)
    method: str = Field(max_length=20)
    units: int
    #: Per application: the number of applications (件) the request counts as, where the agency
    #: split it by the 一事一申请 principle (Fee Measures Art. 4); 1 otherwise. Counted in the
    #: applicant's monthly ordinal of every later request.
    items_split: int = 1
    gross_yuan: int
    reduction_yuan: int = 0
    reduction_reason: str = Field(default="", max_length=500)
    amount_yuan: int
    notice_date: dt.date
    #: The last day to pay: None until the notice's delivery is recorded (Fee Measures: from the day
    #: after the applicant received it).
    pay_by: dt.date | None = None
    paid_on: dt.date | None = None
    status: str = Field(default="pending", max_length=20)


class Art35Step(SQLModel, table=True):
    """Art. 35: the applicant was asked to explain an excessive request (要求说明理由), and answered
    (``given``, with the reasons and the day they arrived) or let the period pass (``not_given``).
    The period runs in working days from the day after the applicant received the notice."""

    __tablename__ = "art35_step"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="request.id", index=True)
    notice_date: dt.date
    period_days: int
    asked: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=20)  # pending | given | not_given
    reasons: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    reasons_on: dt.date | None = None
    recorded_on: dt.date | None = None


class NoticeDelivery(SQLModel, table=True):
    """The recorded delivery (送达) of a letter that starts a period for its recipient.

    The letter row stays as issued; this says how and when its recipient received it (the day the
    period runs from), with the proof. One delivery per letter.
    """

    __tablename__ = "notice_delivery"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="request.id", index=True)
    letter_id: int = Field(foreign_key="letter.id", unique=True)
    doc_type: str = Field(max_length=40)
    method: str = Field(max_length=20)
    proof: str = Field(sa_column=Column(Text, nullable=False))
    received_on: dt.date
    recorded_at: dt.datetime = _moment()
    recorded_by: str = Field(max_length=80)


class RemedyRecord(SQLModel, table=True):
    """Administrative review (行政复议) or litigation (行政诉讼), at any time after registration."""

    __tablename__ = "remedy_record"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="request.id", index=True)
    kind: str = Field(max_length=20)  # review | litigation
    path: str = Field(default="", max_length=20)  # litigation: direct | after_review
    subject: str = Field(default="decision", max_length=20)  # law.REMEDY_SUBJECTS: decision | no_reply
    filed_on: dt.date
    body: str = Field(max_length=200)
    reference_no: str = Field(default="", max_length=100)
    result: str | None = Field(default=None, max_length=20)  # maintained | corrected | other
    concluded_on: dt.date | None = None


class EvidenceEvent(SQLModel, table=True):
    """One transition as archival evidence. Never updated or deleted (database triggers refuse).

    ``payload`` is the canonical JSON of the event (see ``caseflow.evidence.chain``) and
    ``hash`` = SHA-256(payload); the payload includes ``prev_hash``, chaining the case's events.
    """

    __tablename__ = "evidence_event"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_evidence_event_case_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="request.id", index=True)
    seq: int
    moment: dt.datetime = _moment()
    actor: str = Field(max_length=80)
    role: str = Field(max_length=20)
    action: str = Field(max_length=40)
    from_state: str | None = Field(default=None, max_length=30)
    to_state: str = Field(max_length=30)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, index=True)


class Counter(SQLModel, table=True):
    """Gap-free numbering per scope and key (tracking numbers, 文号 per agency, year and series)."""

    scope: str = Field(primary_key=True, max_length=40)
    key: str = Field(primary_key=True, max_length=120)
    value: int = 0


class Letter(SQLModel, table=True):
    """A letter as issued: its number, its template and the hashes of its HTML and PDF.

    The rendered files live in the document store; an issued letter is never rendered again.
    """

    __table_args__ = (
        UniqueConstraint("agency_id", "series", "year", "number", name="uq_letter_number"),
        # the PDF renderer's scan (caseflow.replies.pdf_after): only the few pending rows are indexed
        Index(
            "ix_letter_pdf_pending",
            "pdf_pending",
            sqlite_where=text("pdf_pending"),
            postgresql_where=text("pdf_pending"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="request.id", index=True)
    agency_id: int = Field(foreign_key="agency.id")
    doc_type: str = Field(max_length=40)
    outcome: str | None = Field(default=None, max_length=40)
    title: str = Field(max_length=100)
    series: str = Field(max_length=20)
    year: int
    number: int
    letter_no: str = Field(max_length=80)
    template: str = Field(max_length=80)
    template_sha256: str = Field(max_length=64)
    html_sha256: str = Field(foreign_key="document.sha256", max_length=64)
    #: None where the installation renders no PDF (``CASEFLOW_LETTER_PDF=0``, used by some tests).
    pdf_sha256: str | None = Field(default=None, foreign_key="document.sha256", max_length=64)
    #: Issued, its PDF not rendered yet (rendered after the commit and recorded by ``letter_pdf``).
    pdf_pending: bool = False
    issued_on: dt.date
    issued_at: dt.datetime = _moment()
    event_seq: int


class AuthToken(SQLModel, table=True):
    """An opaque bearer token (API) or browser session: only its SHA-256 is stored; revocable."""

    __tablename__ = "auth_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    kind: str = Field(max_length=10)  # api | web
    token_sha256: str = Field(max_length=64, unique=True, index=True)
    created_at: dt.datetime = _moment()
    expires_at: dt.datetime = Field(sa_column=Column(AwareDateTime(), nullable=False))
    revoked_at: dt.datetime | None = Field(default=None, sa_column=Column(AwareDateTime(), nullable=True))


class Notification(SQLModel, table=True):
    """An in-app reminder or digest for one user; mailed too when SMTP is configured.

    ``dedupe_key`` is unique: a reminder is created once per case, reason and deadline however often
    the job runs. Mail is sent at most once: ``mail_claimed_at`` is committed before sending and
    ``mailed_at`` after, so a crash in between leaves a claimed, unsent mail (reported, not resent).
    """

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=160, unique=True)
    user_id: int = Field(foreign_key="app_user.id")
    case_id: int | None = Field(default=None, foreign_key="request.id")
    reason: str = Field(max_length=30)
    #: The deadline (or, for a digest, the day) the notification is about.
    due_on: dt.date | None = None
    title: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = _moment()
    read_at: dt.datetime | None = Field(default=None, sa_column=Column(AwareDateTime(), nullable=True))
    mail_claimed_at: dt.datetime | None = Field(
        default=None, sa_column=Column(AwareDateTime(), nullable=True)
    )
    mailed_at: dt.datetime | None = Field(default=None, sa_column=Column(AwareDateTime(), nullable=True))
    mail_error: str = Field(default="", max_length=500)

    __table_args__ = (
        Index("ix_notification_user_unread", "user_id", "read_at"),
        Index("ix_notification_case_reason", "case_id", "reason", "due_on"),
    )


class JobRun(SQLModel, table=True):
    """One run of a scheduled job: when, by which instance, what it did and which requests failed."""

    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_job_started", "job", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=40)
    instance: str = Field(max_length=120)
    #: The moment the run acts as of (``caseflow sweep --now``), usually its start.
    as_of: dt.datetime = Field(sa_column=Column(AwareDateTime(), nullable=False))
    started_at: dt.datetime = _moment()
    finished_at: dt.datetime | None = Field(default=None, sa_column=Column(AwareDateTime(), nullable=True))
    status: str = Field(default="running", max_length=20)  # running | ok | errors | crashed
    done: int = 0
    failed: int = 0
    #: [{"tracking_no": ..., "action": ..., "error": ...}] for each request the run skipped.
    failures: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class VerifyJob(SQLModel, table=True):
    """A check of every request's evidence (``caseflow.evidence.verify_jobs``), run in the background.

    Its state lives here so that any process can show its progress; at most one runs at a time (a
    unique partial index on ``status = 'running'``). A run whose worker stops beating is marked
    ``interrupted`` and may be resumed from ``last_id``, the last request it checked."""

    __tablename__ = "verify_job"
    __table_args__ = (
        Index(
            "ux_verify_job_running",
            "status",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    started_by: int = Field(foreign_key="app_user.id")
    started_at: dt.datetime = _moment()
    #: The worker's last sign of life (after each batch of requests).
    heartbeat_at: dt.datetime = _moment()
    finished_at: dt.datetime | None = Field(default=None, sa_column=Column(AwareDateTime(), nullable=True))
    status: str = Field(default="running", max_length=20)  # running | done | interrupted | failed
    total: int = 0
    done: int = 0
    last_id: int = 0
    events: int = 0
    problems: int = 0
    #: The problems found (Chinese, one line each; the first ``verify_jobs.KEEP`` of them).
    findings: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class ReportLock(SQLModel, table=True):
    """A finalized annual report (period lock): its figures as finalized, their hash, who and when.

    Append-only (database triggers refuse UPDATE and DELETE): finalizing again after a correction
    adds the next ``version``, with its reason and the hash of the version it replaces.
    """

    __tablename__ = "report_lock"
    __table_args__ = (
        UniqueConstraint("agency_id", "year", "subtree", "version", name="uq_report_lock_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id")
    year: int
    #: The report covered the agency's whole subtree (True) or its own requests only.
    subtree: bool = True
    version: int = 1
    #: {"table3": ..., "table4": ...} exactly as finalized; ``sha256`` is over its canonical JSON.
    figures: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    sha256: str = Field(max_length=64)
    previous_sha256: str = Field(default="", max_length=64)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    finalized_by: str = Field(max_length=80)
    finalized_role: str = Field(max_length=20)
    finalized_at: dt.datetime = _moment()


class Checkpoint(SQLModel, table=True):
    """A signed checkpoint of every request's chain head (``caseflow.evidence.checkpoint``).

    Append-only (database triggers refuse UPDATE and DELETE); ``number`` is unique, so two
    checkpoints can never name the same predecessor. The leaves are in the checkpoint's JSON file
    (``file_name`` under ``$CASEFLOW_DATA_DIR/checkpoints/``); the signed statement is kept here.
    """

    __tablename__ = "checkpoint"

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True)
    made_at: dt.datetime = Field(sa_column=Column(AwareDateTime(), nullable=False))
    tree_size: int
    root: str = Field(max_length=64)
    previous: str = Field(max_length=64)
    sha256: str = Field(max_length=64, unique=True)
    key_id: str = Field(max_length=64)
    #: The signed statement as canonical JSON (the file's ``checkpoint`` object).
    statement: str = Field(sa_column=Column(Text, nullable=False))
    file_name: str = Field(max_length=200)
    #: The RFC 3161 time-stamp token over ``sha256`` (DER TimeStampResp), when a TSA is configured.
    tsa_token: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class LoginAttempt(SQLModel, table=True):
    """One sign-in attempt not (yet) known to have succeeded, counted per user name (``kind`` "user")
    and per client address ("address") before the password is checked; shared by every process.
    A success deletes the user's rows; rows older than the window are pruned."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_kind_key_at", "kind", "key", "attempted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)  # user | address
    key: str = Field(max_length=120)
    attempted_at: dt.datetime = Field(
        default_factory=now, sa_column=Column(AwareDateTime(), nullable=False, index=True)
    )


class AccountChange(SQLModel, table=True):
    """An admin's change to a user account: append-only (triggers refuse UPDATE and DELETE), no
    password material. ``action``: create, deactivate, activate, reset_password, set_roles,
    revoke_tokens."""

    __tablename__ = "account_change"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = _moment()
    actor: str = Field(max_length=80)
    action: str = Field(max_length=30)
    target_user_id: int = Field(foreign_key="app_user.id", index=True)
    target: str = Field(max_length=80)
    roles_before: str = Field(default="", max_length=200)
    roles_after: str = Field(default="", max_length=200)
    #: What else is worth knowing: the tokens revoked, the exception's reason.
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class RoleException(SQLModel, table=True):
    """A recorded exception to the separation of duties: one user holds both the drafting role
    (clerk) and the approving role (reviewer) in an agency, granted by an admin for a reason.
    Even then nobody approves a reply they drafted (``caseflow.cases.four_eyes``)."""

    __tablename__ = "role_exception"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    agency_id: int = Field(foreign_key="agency.id")
    roles: str = Field(max_length=200)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    granted_by: str = Field(max_length=80)
    granted_at: dt.datetime = _moment()


class OnlineApplication(SQLModel, table=True):
    """An application submitted on the public portal (网上申请), awaiting a clerk's confirmation
    (Art. 31(3): the day both sides confirm is the receipt date). ``content`` holds the Art. 29 content
    as submitted, less the ID number (sealed in ``id_number_enc`` like an applicant's); the access
    code is kept only as its SHA-256. Confirmed: ``case_id`` is the registered request; returned:
    ``return_reasons`` says why it is not an application (``caseflow.portal``)."""

    __tablename__ = "online_application"
    __table_args__ = (Index("ix_online_application_inbox", "agency_id", "status", "submitted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_no: str = Field(max_length=40, unique=True, index=True)
    access_code_hash: str = Field(max_length=64)
    agency_id: int = Field(foreign_key="agency.id")
    status: str = Field(max_length=30)  # awaiting_confirmation | confirmed | returned
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    id_number_enc: str = Field(sa_column=Column(Text, nullable=False))
    id_number_masked: str = Field(max_length=80)
    content_sha256: str = Field(max_length=64)
    client_address: str = Field(default="", max_length=100)
    submitted_at: dt.datetime = _moment()
    decided_at: dt.datetime | None = Field(default=None, sa_column=Column(AwareDateTime(), nullable=True))
    decided_by: str = Field(default="", max_length=80)
    case_id: int | None = Field(default=None, foreign_key="request.id")
    return_reasons: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    #: Returned: the return notice (退回告知书, HTML) in ``document`` (issue 18 / B, migration 0026).
    return_notice_sha256: str | None = Field(default=None, max_length=64)


class OnlineApplicationFile(SQLModel, table=True):
    """A file uploaded with an online application (``caseflow.portal.uploads``): the ID document scan
    (``id_scan``) or an attachment, its bytes in the document store by SHA-256, stored in the
    submission's transaction; its hash, name and size are also in the application's hashed content."""

    __tablename__ = "online_application_file"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="online_application.id", index=True)
    kind: str = Field(max_length=20)  # id_scan | attachment
    sha256: str = Field(foreign_key="document.sha256", max_length=64, index=True)
    filename: str = Field(default="", max_length=300)
    media_type: str = Field(max_length=100)
    size: int


class PortalPendingUpload(SQLModel, table=True):
    """A file chosen on the public application form that was not submitted yet (a refused post):
    bound to the form by the SHA-256 of a random token the form carries, never to a person; kept
    ``caseflow.portal.uploads.PENDING_MAX_AGE`` and discarded by the ``pending`` job after that."""

    __tablename__ = "portal_pending_upload"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=20)  # id_scan | attachment
    sha256: str = Field(max_length=64, index=True)
    filename: str = Field(default="", max_length=300)
    media_type: str = Field(max_length=100)
    size: int
    created_at: dt.datetime = _moment(index=True)


class ApplicantSubmission(SQLModel, table=True):
    """What an applicant sent on their request page (``caseflow.portal.followups``): an online
    supplement (补正, ``kind`` "supplement") or a withdrawal (``kind`` "withdrawal"). It waits
    (``status`` "pending") until a clerk records it through the engine ("recorded") or declines it
    ("declined", with a note the applicant sees). ``files``: [{sha256, filename, media_type, size}],
    the bytes in ``document``; ``content_sha256``: SHA-256 of the canonical JSON of kind, text, files."""

    __tablename__ = "applicant_submission"
    __table_args__ = (Index("ix_applicant_submission_case", "case_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="request.id")
    kind: str = Field(max_length=20)  # supplement | withdrawal
    text: str = Field(sa_column=Column(Text, nullable=False))
    files: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    content_sha256: str = Field(max_length=64)
    submitted_at: dt.datetime = _moment()
    client_address: str = Field(default="", max_length=100)
    status: str = Field(default="pending", max_length=20)  # pending | recorded | declined
    decided_at: dt.datetime | None = Field(default=None, sa_column=Column(AwareDateTime(), nullable=True))
    decided_by: str = Field(default="", max_length=80)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class ApplicantMessage(SQLModel, table=True):
    """A message to an applicant by e-mail or SMS text (``caseflow.portal.messages``): the receipt,
    a letter issued to them, or what the office awaits from them and until when. ``dedupe_key`` is
    unique, so a message is created once however often the job runs; it is sent at most once:
    ``claimed_at`` is committed before it is handed over and ``sent_at`` after (a crash in between
    leaves it claimed and unsent: never resent). ``recipient`` is only the masked address or number
    (the full one is read from the applicant at sending time); the signed link to the applicant's
    page is added at sending time too, never stored."""

    __tablename__ = "applicant_message"
    __table_args__ = (Index("ix_applicant_message_pending", "claimed_at", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=120, unique=True)
    case_id: int = Field(foreign_key="request.id", index=True)
    kind: str = Field(max_length=20)  # receipt | letter | awaited
    letter_id: int | None = Field(default=None, foreign_key="letter.id")
    channel: str = Field(max_length=10)  # email | sms
    recipient: str = Field(max_length=120)
    subject: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = _moment()
    claimed_at: dt.datetime | None = Field(default=None, sa_column=Column(AwareDateTime(), nullable=True))
    sent_at: dt.datetime | None = Field(default=None, sa_column=Column(AwareDateTime(), nullable=True))
    #: The Message-ID of the mail, or the id the SMS gateway answered with.
    provider_ref: str = Field(default="", max_length=200)
    error: str = Field(default="", max_length=500)


class RateLimitCount(SQLModel, table=True):
    """Calls counted in one fixed window of one scope (``submit``, ``lookup``, ``lookup_fail``), per
    key (a client address, ``*`` for everyone, or ``no:<number>`` for a looked-up number); shared
    by every process through the database (``caseflow.ratelimit``). ``window_start`` is the window's
    first second (Unix time); rows of past windows are pruned."""

    __tablename__ = "rate_limit"

    scope: str = Field(max_length=20, primary_key=True)
    key: str = Field(max_length=120, primary_key=True)
    window_start: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    count: int = Field(default=0)


class ReleaseRecord(SQLModel, table=True):
    """A record to hand over with a reply that provides information (``law.RELEASE_OUTCOMES``; Art. 37:
    区分处理), with its redactions (``caseflow.release``).

    ``original_sha256``: the file as uploaded (PDF, image, Word, Excel), content-addressed in
    ``document``; it never leaves the office. ``pdf_sha256``: the PDF the boxes are drawn on (the
    original itself, or its conversion). ``boxes``: the redactions as data, each
    ``{"page", "box": [x0, y0, x1, y1] (PDF points, origin top-left), "ground", "by", "at", "source"}``;
    ``suggestions``: boxes found in the text layer, each with its ``id``, ``text`` and ``status``
    (open / accepted / rejected) and who decided. ``released_sha256``: the copy made from the boxes as
    they are (``boxes_digest``): the PDF itself when nothing is boxed, else the burnt-in copy; empty
    until made. ``issued_seq``: the reply's evidence event that released it (frozen from then on)."""

    __tablename__ = "release_record"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="request.id", index=True)
    position: int = 0
    title: str = Field(max_length=200)
    filename: str = Field(default="", max_length=300)
    original_sha256: str = Field(foreign_key="document.sha256", max_length=64)
    pdf_sha256: str = Field(foreign_key="document.sha256", max_length=64)
    pages: int
    boxes: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    suggestions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    boxes_digest: str = Field(default="", max_length=64)
    released_sha256: str | None = Field(default=None, foreign_key="document.sha256", max_length=64)
    released_digest: str = Field(default="", max_length=64)
    redacted_pages: int = 0
    uploaded_by: str = Field(max_length=100)
    uploaded_at: dt.datetime = _moment()
    updated_by: str = Field(default="", max_length=100)
    updated_at: dt.datetime = _moment()
    issued_seq: int | None = None
