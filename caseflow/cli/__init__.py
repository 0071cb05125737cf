"""The ``caseflow`` command line (INTERFACES.md): the Typer ``app``, assembled from the command groups.

Each group lives in its own module and knows nothing of this one: ``cases`` (the clock and the
calendar), ``running`` (init, demo, serve, worker, sweep, bench), ``evidence`` (letters, verify and
evidence packages) with ``checkpoint``, ``operations`` (backup, restore, the identity key), ``reports``
(the annual report, the search index) and ``redact``; ``common`` holds what they share. The commands
are registered here, in the order ``caseflow --help`` lists them.
"""

from __future__ import annotations

import typer

from caseflow.cli import cases, checkpoint, evidence, operations, redact, reports, running

app = typer.Typer(
    help="caseflow: requests for government information (政府信息公开 依申请公开).",
    no_args_is_help=True,
    add_completion=False,
)

app.command()(cases.deadline)
app.command()(checkpoint.checkpoint)
app.command()(running.init)
app.command()(running.demo)
app.command()(running.sweep)
app.command()(running.worker)
app.command()(running.serve)
app.command()(running.bench)
app.command()(evidence.letters)
app.command()(evidence.verify)
app.command()(operations.backup)
app.command()(operations.restore)
app.command()(redact.redact)

app.add_typer(cases.calendar_app, name="calendar")
app.add_typer(evidence.evidence_app, name="evidence")
app.add_typer(reports.report_app, name="report")
app.add_typer(reports.search_app, name="search-index")
app.add_typer(operations.identity_app, name="identity-key")
