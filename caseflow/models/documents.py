"""The stored files and what they are to a request: documents (content-addressed), uploads not saved
yet, a document's role in a request, the letters as issued and their recorded delivery, and the
records released with a reply (with their redactions).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from caseflow.models.columns import moment_field


class Document(SQLModel, table=True):
    """A stored file, keyed by the SHA-256 of its content; the bytes are the table's ``content``
    column, written and read by ``caseflow.evidence.store`` only (not an attribute: reading a row
    through the ORM never loads up to 20 MB)."""

    sha256: str = Field(primary_key=True, max_length=64)
    size: int
    media_type: str = Field(max_length=100)
    filename: str = Field(default="", max_length=300)
    created_at: dt.datetime = moment_field()


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
    created_at: dt.datetime = moment_field(index=True)


class CaseDocument(SQLModel, table=True):
    """A document's role in a request: the application, an envelope, a letter, a receipt..."""

    __tablename__ = "case_document"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="request.id", index=True)
    sha256: str = Field(foreign_key="document.sha256", max_length=64)
    kind: str = Field(max_length=40)
    event_seq: int
    created_at: dt.datetime = moment_field()


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
    issued_at: dt.datetime = moment_field()
    event_seq: int


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
    recorded_at: dt.datetime = moment_field()
    recorded_by: str = Field(max_length=80)


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
    uploaded_at: dt.datetime = moment_field()
    updated_by: str = Field(default="", max_length=100)
    updated_at: dt.datetime = moment_field()
    issued_seq: int | None = None
