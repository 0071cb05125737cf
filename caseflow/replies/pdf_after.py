"""Letters' PDF/A rendered after the commit that issued them, and recorded by a ``letter_pdf`` event.

A letter-issuing transition commits the HTML letter (the letter of record) and marks the letter row
``pdf_pending``; WeasyPrint no longer runs while the request (and the letter counter) is locked.
Then, outside any transaction, ``render_letter`` renders the PDF/A from exactly the stored HTML bytes
and records it through ``engine.perform`` as the system (``caseflow.cases.letter_pdf``): the usual
lock, version and evidence, exactly once per letter (a second render records nothing). The engine
and that handler are below this module (``caseflow.replies.issue`` marks an issuing session here).

Who renders:
- a background thread in the process that issued the letter, woken after the commit (a session
  that issued a letter is marked; its ``after_commit`` wakes the thread, which scans the database
  for pending letters, so a spurious wakeup costs one indexed query);
- the scheduled job ``letter_pdfs`` (``caseflow.scheduled.letter_pdfs``): any letter still pending
  (a process died between the commit and the render) is rendered there;
- a command-line run that woke the thread renders what is still pending before it exits;
- tests and the evidence export call ``render_pending`` synchronously.
"""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Engine, event, literal_column
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from caseflow.cases.actor import SYSTEM_ACTOR
from caseflow.cases.engine import perform
from caseflow.cases.letter_pdf import PDF_EXISTS, hand_over
from caseflow.errors import CaseflowError
from caseflow.evidence.store import DocumentStore
from caseflow.models import Case, Letter
from caseflow.settings import get_settings

log = logging.getLogger("caseflow.letters.pdf")

#: Shown wherever a letter's PDF is not rendered yet (pages, API).
PENDING_LABEL = "PDF 生成中"
_ISSUED = "caseflow.letter_pdf_pending"  # Session.info key: this transaction issued a letter
#: The partial index's own predicate (``ix_letter_pdf_pending``), so SQLite uses the index.
_PENDING: ColumnElement[bool] = literal_column("pdf_pending")


@dataclass
class Rendered:
    """What a run rendered (letter numbers) and what failed (letter number, reason)."""

    done: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def mark_issued(session: Session) -> None:
    """The caller's transaction issues a letter whose PDF is pending: wake the renderer on commit."""
    session.info[_ISSUED] = True


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    if session.info.pop(_ISSUED, False):
        bind = session.get_bind()
        wake(bind if isinstance(bind, Engine) else bind.engine)


@event.listens_for(OrmSession, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    session.info.pop(_ISSUED, None)


def pending_letters(session: Session, case_ids: Iterable[int] | None = None) -> list[int]:
    """Ids of the letters whose PDF is still to be rendered (oldest first)."""
    stmt = select(Letter.id).where(_PENDING).order_by(col(Letter.id))
    if case_ids is not None:
        stmt = stmt.where(col(Letter.case_id).in_(list(case_ids)))
    return [i for i in session.exec(stmt).all() if i is not None]


def render_letter(
    engine: Engine, letter_id: int, *, store: DocumentStore | None = None, now: dt.datetime | None = None
) -> str | None:
    """Render one pending letter's PDF from its stored HTML and record it; its number, or None when
    there was nothing to do (not pending, or another process recorded its PDF first)."""
    from caseflow.replies.render import render_pdf

    with Session(engine) as session:
        row = session.exec(
            select(Letter.case_id, Letter.letter_no, Letter.html_sha256, Letter.pdf_pending).where(
                col(Letter.id) == letter_id
            )
        ).one_or_none()
    if row is None or not row[3]:
        return None
    case_id, letter_no, html_sha256 = int(row[0]), str(row[1]), str(row[2])
    docs = store or DocumentStore(engine)
    html = docs.read(html_sha256)  # exactly the bytes of record (verified against their hash)
    pdf = render_pdf(html.decode("utf-8"))
    hand_over(pdf)  # stored by the letter_pdf transition, in its one durable commit
    try:
        with Session(engine) as session:
            perform(  # the engine's own: recording a PDF issues no letter
                session=session,
                case_id=case_id,
                actor=SYSTEM_ACTOR,
                action="letter_pdf",
                facts={"letter_no": letter_no, "pdf_sha256": hashlib.sha256(pdf).hexdigest()},
                now=now,
                issue_letter=None,
            )
    except CaseflowError as exc:
        if exc.code == PDF_EXISTS:
            return None
        raise
    finally:
        hand_over(None)
    return letter_no


def render_pending(
    engine: Engine,
    *,
    case_ids: Iterable[int] | None = None,
    store: DocumentStore | None = None,
    now: dt.datetime | None = None,
) -> Rendered:
    """Render every pending letter (or those of ``case_ids``) now, one after the other."""
    out = Rendered()
    with Session(engine) as session:
        ids = pending_letters(session, case_ids)
    for letter_id in ids:
        _render_one(engine, letter_id, out, store=store, now=now)
    return out


def _render_one(
    engine: Engine, letter_id: int, out: Rendered, *, store: DocumentStore | None, now: dt.datetime | None
) -> None:
    try:
        done = render_letter(engine, letter_id, store=store, now=now)
    except Exception as exc:  # one letter's failure (a font missing, a file lost) stops no other
        log.warning("letter %s: PDF not rendered: %s", letter_id, exc)
        out.failed.append((f"letter #{letter_id}", str(getattr(exc, "message", exc))))
        return
    if done is not None:
        out.done.append(done)


def render_pending_of(session: Session, conditions: Sequence[ColumnElement[bool]]) -> Rendered:
    """Render the pending letters of the requests matching ``conditions`` (on ``Case``) before the
    caller reads them (an evidence export: the package then holds both files of every letter).
    The caller's transaction is ended first, so that it reads the recorded PDFs afterwards; what
    cannot be rendered now stays pending (and shows as such)."""
    stmt = select(Letter.id).join(Case, col(Case.id) == col(Letter.case_id)).where(_PENDING, *conditions)
    ids = [i for i in session.exec(stmt.order_by(col(Letter.id))).all() if i is not None]
    session.commit()
    out = Rendered()
    if ids:
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        for letter_id in ids:
            _render_one(engine, letter_id, out, store=None, now=None)
    return out


class _Renderer:
    """One background thread per process; a wakeup names the database to scan."""

    def __init__(self) -> None:
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()
        self._wakeup = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        self._woken: dict[str, Engine] = {}  # every database woken in this process (for the exit)

    def wake(self, engine: Engine) -> None:
        key = str(engine.url)
        with self._lock:
            self._engines[key] = engine
            self._woken[key] = engine
            self._idle.clear()
            if self._thread is None or not self._thread.is_alive():
                if self._thread is None:
                    atexit.register(self.finish)
                self._thread = threading.Thread(target=self._run, name="letter-pdf", daemon=True)
                self._thread.start()
        self._wakeup.set()

    def _run(self) -> None:
        while True:
            self._wakeup.wait()
            self._wakeup.clear()
            with self._lock:
                engines = list(self._engines.values())
                self._engines.clear()
            for engine in engines:
                try:
                    render_pending(engine)
                except Exception:  # the scheduled job renders whatever is left
                    log.exception("rendering pending letter PDFs failed")
            with self._lock:
                if not self._engines:
                    self._idle.set()

    def wait_idle(self, timeout: float | None = None) -> bool:
        return self._idle.wait(timeout)

    def finish(self) -> None:
        """At exit: render synchronously whatever this process issued and is still pending."""
        with self._lock:
            engines = list(self._woken.values())
        for engine in engines:
            try:
                render_pending(engine)
            except Exception:
                log.exception("rendering pending letter PDFs at exit failed")


_RENDERER = _Renderer()


def wake(engine: Engine) -> None:
    """Tell this process's renderer to look for pending letters in ``engine``'s database."""
    if get_settings().letter_pdf_worker:
        _RENDERER.wake(engine)


def wait_idle(timeout: float | None = None) -> bool:
    """Wait until the background renderer has nothing left to do (True) or ``timeout`` passed."""
    return _RENDERER.wait_idle(timeout)
