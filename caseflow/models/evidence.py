"""The append-only records (database triggers refuse UPDATE and DELETE): the evidence events of each
request's hash chain, the signed checkpoints of every chain head, and the finalized annual reports.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from caseflow.models.columns import AwareDateTime, moment_field


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
    moment: dt.datetime = moment_field()
    actor: str = Field(max_length=80)
    role: str = Field(max_length=20)
    action: str = Field(max_length=40)
    from_state: str | None = Field(default=None, max_length=30)
    to_state: str = Field(max_length=30)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, index=True)


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
    finalized_at: dt.datetime = moment_field()
