"""The request (table ``request``, class ``Case``) with the columns the database keeps for the lists'
order, its applicant, and the counters behind tracking numbers and letter numbers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Computed, Date, Index, Integer, Text, text
from sqlmodel import Field, SQLModel

from caseflow.models.columns import moment_field


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
    created_at: dt.datetime = moment_field()


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
    arrived_at: dt.datetime = moment_field()
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
    created_at: dt.datetime = moment_field()
    updated_at: dt.datetime = moment_field()


class Counter(SQLModel, table=True):
    """Gap-free numbering per scope and key (tracking numbers, 文号 per agency, year and series)."""

    scope: str = Field(primary_key=True, max_length=40)
    key: str = Field(primary_key=True, max_length=120)
    value: int = 0
