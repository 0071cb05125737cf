"""Files uploaded with an online application (网上申请): the ID document scan and attachments.

Every file is checked by its CONTENT (``filetype`` reads the leading bytes' signature; the name and
the media type the browser claims are not trusted): PDF, JPEG, PNG, WebP and HEIC images, Word,
Excel and PowerPoint documents (doc, docx, xls, xlsx, ppt, pptx) and OpenDocument text, spreadsheets
and presentations; each at most ``MAX_FILE_BYTES``, together at most ``MAX_TOTAL_BYTES``; at most one
ID scan and ``MAX_ATTACHMENTS`` attachments. Anything else is refused with a Chinese message naming
the file and the allowed types. The media type stored is the one the content shows.

The ID document scan (身份证明) is optional: the Regulation (Art. 29) asks for the applicant's
identity document details, which the form's ID type and number give; a scan helps the office but
an application is not refused without one.

The bytes go to the content-addressed document store (``caseflow.evidence.store``) in the
submission's transaction, linked by ``online_application_file`` rows; their hashes, names and sizes
are in the application's content before its hash is taken. On confirmation they become documents
of the registered request (``as_uploads``). They are never served to the public: only clerks of the
agency download them, as attachments (``caseflow.api.web.apply``).

A refused post of the public form keeps the files chosen (``keep_pending``): bound to the SHA-256 of
a random token the form carries in a hidden field (no account: whoever holds the form's token may
submit them with it, nobody can read them back), at most ``PENDING_PER_TOKEN`` per token, discarded
after ``PENDING_MAX_AGE`` by the ``pending`` job (``caseflow.scheduled.pending``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

import filetype  # type: ignore[import-untyped]
from sqlmodel import Session, col, select

from caseflow.cases.pending_uploads import size_text
from caseflow.cases.upload import Upload
from caseflow.dates import now as current_moment
from caseflow.errors import FactsError, NotFound
from caseflow.evidence.store import DocumentStore
from caseflow.models import OnlineApplicationFile, PortalPendingUpload

ID_SCAN, ATTACHMENT = "id_scan", "attachment"
#: kind -> the form's (and the multipart body's) field
FIELDS: dict[str, str] = {ID_SCAN: "id_scan", ATTACHMENT: "attachments"}
KIND_NAMES: dict[str, str] = {ID_SCAN: "身份证明扫描件", ATTACHMENT: "附件"}
#: kind -> the request document's kind once confirmed (``caseflow.casefile.UPLOAD_KIND_NAMES``)
CASE_KINDS: dict[str, str] = {ID_SCAN: "identity", ATTACHMENT: "attachment"}
MB = 1024 * 1024
MAX_FILE_BYTES = 10 * MB
#: Below the body limit (``caseflow.api.limits.MAX_BODY``, 20 MB), leaving room for the form's text.
MAX_TOTAL_BYTES = 18 * MB
MAX_ATTACHMENTS = 5
PENDING_MAX_AGE = dt.timedelta(hours=2)
PENDING_PER_TOKEN = 1 + MAX_ATTACHMENTS

_DOCX = "application/vnd.openxmlformats-officedocument"
_ODF = "application/vnd.oasis.opendocument"
#: media type (as ``filetype`` detects it) -> the file extensions it goes by
ALLOWED: dict[str, tuple[str, ...]] = {
    "application/pdf": ("pdf",),
    "image/jpeg": ("jpg", "jpeg", "jpe", "jfif"),
    "image/png": ("png",),
    "image/webp": ("webp",),
    "image/heic": ("heic",),
    "image/heif": ("heif", "heic"),
    "application/msword": ("doc", "wps"),
    "application/vnd.ms-excel": ("xls", "et"),
    "application/vnd.ms-powerpoint": ("ppt", "dps"),
    f"{_DOCX}.wordprocessingml.document": ("docx",),
    f"{_DOCX}.spreadsheetml.sheet": ("xlsx",),
    f"{_DOCX}.presentationml.presentation": ("pptx",),
    f"{_ODF}.text": ("odt",),
    f"{_ODF}.spreadsheet": ("ods",),
    f"{_ODF}.presentation": ("odp",),
}
ALLOWED_TEXT = (
    "PDF，JPEG、PNG、WebP、HEIC 图片，Word（doc、docx）、Excel（xls、xlsx）、PowerPoint（ppt、pptx）"
    "和 OpenDocument（odt、ods、odp）文档"
)
#: What the form's file inputs offer (``accept``): a hint only, the content decides.
ACCEPT = ",".join(f".{ext}" for exts in ALLOWED.values() for ext in exts)


@dataclass(frozen=True)
class Checked:
    """A file that passed the checks: its media type is the one its content shows."""

    kind: str
    filename: str
    media_type: str
    data: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)

    def described(self) -> dict[str, Any]:
        """What the application's hashed content says of the file."""
        return {
            "kind": self.kind,
            "filename": self.filename,
            "media_type": self.media_type,
            "size": self.size,
            "sha256": self.sha256,
        }


def _refuse(kind: str, message: str) -> FactsError:
    return FactsError([(FIELDS[kind], message)])


def _clean_name(filename: str, media_type: str, kind: str) -> str:
    """The file's own name (no folders: some browsers send ``C:\\fakepath\\…``), at most 300
    characters, ending in an extension of its real type (appended when the name says another)."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name.strip()
    extensions = ALLOWED[media_type]
    stem, dot, ext = name.rpartition(".")
    if not name:
        name = f"{kind}.{extensions[0]}"
    elif not dot or ext.lower() not in extensions:
        name = f"{name}.{extensions[0]}"
    if len(name) > 300:
        name = name[-300:]
    return name


def check(kind: str, filename: str, data: bytes) -> Checked:
    """Check one uploaded file by its content and size; ``FactsError`` naming the file otherwise."""
    if kind not in FIELDS:
        raise FactsError([("files", "没有这个上传栏目")])
    shown = PureWindowsPath(PurePosixPath(filename or "").name).name or KIND_NAMES[kind]
    if not data:
        raise _refuse(kind, f"文件“{shown}”是空文件，请重新选择")
    if len(data) > MAX_FILE_BYTES:
        raise _refuse(
            kind,
            f"文件“{shown}”大小为 {size_text(len(data))}，超过每个文件 {MAX_FILE_BYTES // MB} MB 的上限，"
            "请压缩或拆分后重新选择",
        )
    guessed = filetype.guess(data[:8192])
    media_type = guessed.mime if guessed is not None else ""
    if media_type not in ALLOWED:
        raise _refuse(
            kind,
            f"文件“{shown}”不是允许上传的文件类型（按文件内容识别，与文件名无关），未被接收。"
            f"允许的类型：{ALLOWED_TEXT}",
        )
    return Checked(
        kind=kind,
        filename=_clean_name(filename, media_type, kind),
        media_type=media_type,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def check_all(files: Sequence[Checked]) -> None:
    """The limits over all the files of one application: how many of each kind, their total size."""
    scans = [f for f in files if f.kind == ID_SCAN]
    attachments = [f for f in files if f.kind == ATTACHMENT]
    if len(scans) > 1:
        raise _refuse(ID_SCAN, f"身份证明扫描件只能上传一个文件（本次 {len(scans)} 个）")
    if len(attachments) > MAX_ATTACHMENTS:
        raise _refuse(ATTACHMENT, f"附件至多 {MAX_ATTACHMENTS} 个（本次 {len(attachments)} 个）")
    total = sum(f.size for f in files)
    if total > MAX_TOTAL_BYTES:
        kind = ATTACHMENT if attachments else ID_SCAN
        raise _refuse(
            kind,
            f"上传的文件合计 {size_text(total)}，超过 {MAX_TOTAL_BYTES // MB} MB 的上限，请压缩或减少文件",
        )


def store(
    session: Session, application_id: int, files: Sequence[Checked], docs: DocumentStore | None = None
) -> None:
    """The files' bytes and their rows, in the caller's transaction (the caller commits)."""
    documents = docs or DocumentStore()
    for item in files:
        documents.put(session, item.data, media_type=item.media_type, filename=item.filename)
        session.add(
            OnlineApplicationFile(
                application_id=application_id,
                kind=item.kind,
                sha256=item.sha256,
                filename=item.filename,
                media_type=item.media_type,
                size=item.size,
            )
        )


def files_of(session: Session, application_id: int) -> list[OnlineApplicationFile]:
    """The application's files: the ID scan first, then the attachments in the order uploaded."""
    rows = session.exec(
        select(OnlineApplicationFile)
        .where(col(OnlineApplicationFile.application_id) == application_id)
        .order_by(col(OnlineApplicationFile.id))
    )
    return sorted(rows, key=lambda r: r.kind != ID_SCAN)


def as_uploads(
    session: Session, application_id: int, docs: DocumentStore | None = None
) -> tuple[Upload, ...]:
    """The application's files as the uploads of its registration (bytes read back and checked)."""
    documents = docs or DocumentStore()
    return tuple(
        Upload(CASE_KINDS[row.kind], documents.read(row.sha256, session), row.media_type, row.filename)
        for row in files_of(session, application_id)
    )


def file_of(session: Session, application_id: int, sha256: str) -> OnlineApplicationFile:
    """One file of the application (404 when it has no file with that hash)."""
    row = session.exec(
        select(OnlineApplicationFile).where(
            col(OnlineApplicationFile.application_id) == application_id,
            col(OnlineApplicationFile.sha256) == sha256.lower()[:64],
        )
    ).first()
    if row is None:
        raise NotFound("该网上申请没有这个文件")
    return row


# --- files kept for the public form across a refused post ----------------------------------------


def new_token() -> str:
    """A form's token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def valid_token(token: str) -> bool:
    return 32 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum()


def pending_of(session: Session, token: str, *, now: dt.datetime | None = None) -> list[PortalPendingUpload]:
    """The unexpired files kept for the form ``token``, oldest first (none for an invalid token)."""
    if not valid_token(token):
        return []
    cutoff = (now or current_moment()) - PENDING_MAX_AGE
    return list(
        session.exec(
            select(PortalPendingUpload)
            .where(
                col(PortalPendingUpload.token_hash) == _token_hash(token),
                col(PortalPendingUpload.created_at) >= cutoff,
            )
            .order_by(col(PortalPendingUpload.id))
        )
    )


def keep_pending(
    session: Session, token: str, files: Sequence[Checked], *, now: dt.datetime | None = None
) -> None:
    """Keep ``files`` for the form ``token`` (the caller commits); beyond ``PENDING_PER_TOKEN`` for
    the token the oldest kept ones give way."""
    assert valid_token(token)
    if not files:
        return
    moment = now or current_moment()
    documents = DocumentStore()
    for item in files:
        documents.put(session, item.data, media_type=item.media_type, filename=item.filename)
        row = PortalPendingUpload(
            token_hash=_token_hash(token),
            kind=item.kind,
            sha256=item.sha256,
            filename=item.filename,
            media_type=item.media_type,
            size=item.size,
            created_at=moment,
        )
        session.add(row)
    session.flush()
    rows = pending_of(session, token, now=moment)
    for old in rows[: max(0, len(rows) - PENDING_PER_TOKEN)]:
        session.delete(old)
    session.flush()


def pending_as_checked(session: Session, rows: Iterable[PortalPendingUpload]) -> list[Checked]:
    """Kept files as checked files again (bytes read back from the store and checked by hash)."""
    documents = DocumentStore()
    out = []
    for row in rows:
        try:
            data = documents.read(row.sha256, session)
        except (FileNotFoundError, ValueError) as exc:
            raise _refuse(row.kind, f"已上传的文件“{row.filename}”已不可用，请重新选择文件") from exc
        out.append(Checked(row.kind, row.filename, row.media_type, data, row.sha256))
    return out


def abandoned_pending(session: Session, as_of: dt.datetime) -> list[PortalPendingUpload]:
    """The kept form files older than ``PENDING_MAX_AGE`` as of ``as_of``."""
    cutoff = as_of - PENDING_MAX_AGE
    return list(session.exec(select(PortalPendingUpload).where(col(PortalPendingUpload.created_at) < cutoff)))
