"""``caseflow letters``, ``verify`` and ``evidence export|verify``: what was issued and recorded."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from caseflow.cli import _fail, app, console, err, evidence_app
from caseflow.cli_run import _safe_url, get_settings_url


@app.command()
def letters(
    case: Annotated[str, typer.Option("--case", help="The request's tracking number.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the letters into.")],
) -> None:
    """Write every letter issued for a request, exactly as issued (HTML and PDF), with a manifest."""
    from sqlmodel import col, select

    from caseflow.db import session_scope
    from caseflow.models import Case
    from caseflow.replies.issue import issued_files, issued_letters

    with session_scope() as session:
        row = session.exec(select(Case).where(col(Case.tracking_no) == case)).first()
        if row is None or row.id is None:
            raise _fail(f"no request {case}")
        found = issued_letters(session, row.id)
    out.mkdir(parents=True, exist_ok=True)
    manifest = []
    for i, letter in enumerate(found, 1):
        files: dict[str, dict[str, str | None]] = {}
        entry: dict[str, object] = {
            "letter_no": letter.letter_no,
            "doc_type": letter.doc_type,
            "outcome": letter.outcome,
            "issued_on": letter.issued_on.isoformat(),
            "template": letter.template,
            "template_sha256": letter.template_sha256,
            "files": files,
        }
        for kind, data in issued_files(letter).items():
            name = f"{i:02d}-{letter.doc_type}.{kind}"
            (out / name).write_bytes(data)
            files[kind] = {
                "name": name,
                "sha256": letter.html_sha256 if kind == "html" else letter.pdf_sha256,
            }
        manifest.append(entry)
    (out / "letters.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    console.print(f"{case}：已写出{len(found)}份文书至 {out}")


@app.command()
def verify(
    case: Annotated[str | None, typer.Option("--case", help="Only this tracking number.")] = None,
) -> None:
    """Recompute every evidence hash chain: exit 0 when intact, 1 naming the first broken link."""
    from sqlalchemy.exc import SQLAlchemyError

    from caseflow.db import session_scope
    from caseflow.evidence.chain import verify_all

    try:
        with session_scope() as session:
            checked, problem = verify_all(session, [case] if case else None)
    except SQLAlchemyError as exc:  # not a broken chain: the database could not be read (exit 2)
        raise _fail(
            f"cannot read the database {_safe_url(get_settings_url())}: "
            f"{exc.__class__.__name__}: {str(exc.orig) if hasattr(exc, 'orig') else exc}"
        ) from None
    if case and checked == 0:
        raise _fail(f"no request {case}")
    if problem:
        err.print(f"[bold red]BROKEN[/] {problem}", highlight=False)
        raise typer.Exit(1)
    console.print(f"证据链完整：{checked}件申请，全部哈希与链接一致")


@evidence_app.command("export")
def evidence_export(
    out: Annotated[Path, typer.Option("--out", help="The package to write (FILE.zip).")],
    case: Annotated[str | None, typer.Option("--case", help="One request's tracking number.")] = None,
    agency: Annotated[
        str | None, typer.Option("--agency", help="An agency code: it and its subtree.")
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="Received on or after (YYYY-MM-DD).")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Received on or before (YYYY-MM-DD).")] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Export as this user (default: the system).")
    ] = None,
) -> None:
    """Export the evidence of one request or of an agency subtree as a signed BagIt zip."""
    from rich.progress import Progress
    from sqlmodel import col, select

    from caseflow import service
    from caseflow.db import session_scope
    from caseflow.errors import CaseflowError
    from caseflow.evidence.export import Scope, export
    from caseflow.models import User

    if (case is None) == (agency is None):
        raise _fail("give either --case TRACKING_NO or --agency CODE")
    try:
        scope = Scope(
            tracking_no=case,
            agency=agency,
            received_from=dt.date.fromisoformat(date_from) if date_from else None,
            received_to=dt.date.fromisoformat(date_to) if date_to else None,
        )
    except ValueError as exc:
        raise _fail(f"--from/--to: {exc}") from None
    with session_scope() as session, Progress(console=err, transient=True) as progress:
        actor = service.SYSTEM_ACTOR
        if user:
            row = session.exec(select(User).where(col(User.username) == user)).first()
            if row is None:
                raise _fail(f"no user {user}")
            actor = service.Actor.of(session, row)
        task = progress.add_task("导出证据包", total=None)
        try:
            result = export(
                session=session,
                actor=actor,
                scope=scope,
                out=out,
                progress=lambda n, total: progress.update(task, completed=n, total=total),
            )
        except (CaseflowError, FileNotFoundError) as exc:
            raise _fail(getattr(exc, "message", str(exc))) from None
    console.print(
        f"已导出{result['cases']}件申请、{result['events']}条证据记录 -> {out}（签名密钥 {result['signer']}）"
    )


@evidence_app.command("verify")
def evidence_verify(
    package: Annotated[Path, typer.Argument(help="The evidence package (FILE.zip).")],
    key: Annotated[
        Path | None, typer.Option("--key", help="A trusted public key (PEM) to check the signer.")
    ] = None,
) -> None:
    """Verify a package offline: manifests, signature, every hash and link, every cited file."""
    from caseflow.evidence.verify import PackageProblem, verify_package

    try:
        summary = verify_package(package, key.read_bytes() if key else None)
    except PackageProblem as exc:
        err.print(f"[bold red]INVALID[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except OSError as exc:
        raise _fail(str(exc)) from None
    console.print(
        f"证据包完整：{summary.cases}件申请，{summary.events}条证据记录，"
        f"{summary.first_moment} 至 {summary.last_moment}；导出人 {summary.exporter}；"
        f"签名密钥 {summary.signer}{'（受信任）' if summary.trusted else '（包内公钥）'}",
        highlight=False,
    )
