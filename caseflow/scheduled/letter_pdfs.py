"""Rendering the PDFs of letters still pending (``caseflow.replies.pdf_after``).

A letter's PDF/A is rendered after the commit that issued it, by a thread of the process that
issued it. Should that process die between the commit and the render (or the render fail), the
letter stays ``pdf_pending``; this job renders it from its stored HTML and records its
``letter_pdf`` event. Idempotent: a letter whose PDF is recorded is not pending any more.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from caseflow.replies.pdf_after import render_pending
from caseflow.scheduled.runs import Failure, JobResult


def render_pending_pdfs(engine: Engine, now: dt.datetime) -> JobResult:
    """Render every letter whose PDF is still pending (``now`` is the run's moment, not the event's:
    the event is recorded at the time it is written, like every other)."""
    rendered = render_pending(engine)
    result = JobResult(done=[f"{no} PDF rendered" for no in rendered.done])
    result.failed = [Failure(which, "letter_pdf", reason) for which, reason in rendered.failed]
    return result
