"""Background work and what it tells the staff: the runs of scheduled jobs, the background evidence
check (``verify_job``), and the in-app notifications (mailed too when SMTP is configured).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, text
from sqlmodel import Field, SQLModel

from caseflow.models.columns import AwareDateTime, moment_field


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
    created_at: dt.datetime = moment_field()
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
    started_at: dt.datetime = moment_field()
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
    started_at: dt.datetime = moment_field()
    #: The worker's last sign of life (after each batch of requests).
    heartbeat_at: dt.datetime = moment_field()
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
