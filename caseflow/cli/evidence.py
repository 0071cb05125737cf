"""``caseflow letters``, ``verify`` and ``evidence export|verify``: what was issued and recorded."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from caseflow.cli.common import console, err, fail, get_settings_url, safe_url

evidence_app = typer.Typer(
    help="Evidence packages: export (signed BagIt zip) and offline verification.", no_args_is_help=True
)


def letters(
    case: Annotated[str, typer.Option("--case", help="The request's tracking number.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the letters into.")],
) -> None:
    """Write every letter issued for a request, exactly as issued (HTML and PDF), with a manifest."""
    from sqlmodel import col, select

    from caseflow.db import session_scope
    from caseflow.models import Case
    from caseflow.replies.issue import issued_files, issued_letters
    from caseflow.replies.pdf_after import render_pending_of

    with session_scope() as session:
        row = session.exec(select(Case).where(col(Case.tracking_no) == case)).first()
        if row is None or row.id is None:
            raise fail(f"no request {case}")
        case_id = row.id
        for which, reason in render_pending_of(session, [col(Case.id) == case_id]).failed:  # PDFs first
            err.print(f"[yellow]warning:[/] {which}: PDF 生成中, not rendered now: {reason}", highlight=False)
        found = issued_letters(session, case_id)
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
            "pdf_pending": letter.pdf_pending,
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


def verify(
    case: Annotated[str | None, typer.Option("--case", help="Only this tracking number.")] = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="Also: every chain extends its head in this signed checkpoint."),
    ] = None,
    checkpoint_key: Annotated[
        Path | None, typer.Option("--checkpoint-key", help="The checkpoint public key (PEM) to trust.")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Processes checking ranges of requests (default: min(CPUs, 4) above 50,000 requests).",
        ),
    ] = None,
) -> None:
    """Check everything the evidence claims: every hash chain and its head, the request rows, the
    order of moments, every stored document and letter. Exit 0 when intact, 1 naming every problem
    (request, field, event), one line each."""
    from sqlalchemy.exc import SQLAlchemyError

    from caseflow.db import get_engine
    from caseflow.evidence.dbcheck import check_database

    try:
        if workers is None and not case:
            from caseflow.evidence.dbworkers import default_workers

            workers = default_workers(get_engine())
        report = check_database(
            get_engine(), [case] if case else None, report=_print_problem, workers=workers or 1
        )
        checked = report.requests
    except SQLAlchemyError as exc:  # not a broken chain: the database could not be read (exit 2)
        raise fail(
            f"cannot read the database {safe_url(get_settings_url())}: "
            f"{exc.__class__.__name__}: {str(exc.orig) if hasattr(exc, 'orig') else exc}"
        ) from None
    if case and checked == 0:
        raise fail(f"no request {case}")
    anchored = True
    if checkpoint is not None:  # every request named whose chain does not extend its checkpointed head
        from caseflow.cli.checkpoint import database_extends

        anchored = database_extends(checkpoint, checkpoint_key)
    if not report.intact:
        err.print(
            f"发现{len(report.broken) + len(report.findings)}处问题（证据链断裂{len(report.broken)}处，"
            f"与证据链不符{len(report.findings)}处）；已核对{checked}件申请、{report.events}条证据记录",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    if not anchored:
        raise typer.Exit(1)
    console.print(
        f"证据链完整：{checked}件申请，全部哈希与链接一致；{report.events}条证据记录的时间顺序、"
        f"申请记录（状态、结果、日期、期限、经办人、申请人、申请内容）、{report.documents}份文件"
        f"和{report.letters}份文书均与证据链一致"
        + (f"（其中{report.bulk}件为批量生成的历史数据，只核对了其事件记载的字段）" if report.bulk else ""),
        highlight=False,
        soft_wrap=True,
    )


def _print_problem(item: object) -> None:
    """One line per problem, as it is found: a broken chain, or a row or file that contradicts it."""
    from rich.markup import escape

    from caseflow.evidence.chain import Problem

    label = "BROKEN" if isinstance(item, Problem) else "不一致"
    err.print(f"[bold red]{label}[/] {escape(str(item))}", highlight=False, soft_wrap=True)


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
    masked: Annotated[
        bool,
        typer.Option(
            "--masked",
            help="For external auditors: ID numbers masked, old register events redacted "
            "(their hashes taken as recorded).",
        ),
    ] = False,
    include_originals: Annotated[
        bool,
        typer.Option(
            "--include-originals",
            help="For the auditor only: also the originals of released records (as uploaded, and their "
            "PDF conversions), flagged internal in case.json; the export records it.",
        ),
    ] = False,
) -> None:
    """Export the evidence of one request or of an agency subtree as a signed BagIt zip (the released
    copies of records always; their originals only with --include-originals)."""
    from rich.progress import Progress
    from sqlmodel import col, select

    from caseflow import service
    from caseflow.db import session_scope
    from caseflow.errors import CaseflowError
    from caseflow.evidence.export import Scope, export
    from caseflow.models import User

    if (case is None) == (agency is None):
        raise fail("give either --case TRACKING_NO or --agency CODE")
    try:
        scope = Scope(
            tracking_no=case,
            agency=agency,
            received_from=dt.date.fromisoformat(date_from) if date_from else None,
            received_to=dt.date.fromisoformat(date_to) if date_to else None,
        )
    except ValueError as exc:
        raise fail(f"--from/--to: {exc}") from None
    with session_scope() as session, Progress(console=err, transient=True) as progress:
        actor = service.SYSTEM_ACTOR
        if user:
            row = session.exec(select(User).where(col(User.username) == user)).first()
            if row is None:
                raise fail(f"no user {user}")
            actor = service.Actor.of(session, row)
        task = progress.add_task("导出证据包", total=None)
        try:
            result = export(
                session=session,
                actor=actor,
                scope=scope,
                out=out,
                progress=lambda n, total: progress.update(task, completed=n, total=total),
                masked=masked,
                include_originals=include_originals,
            )
        # a stored file missing or altered, --out not writable: no package, nothing recorded
        except (CaseflowError, OSError, ValueError) as exc:
            raise fail(f"证据包未导出，未作记录：{getattr(exc, 'message', str(exc))}") from None
    console.print(
        f"已导出{result['cases']}件申请、{result['events']}条证据记录 -> {out}（签名密钥 {result['signer']}）"
        + ("；含公开材料的原件（内部文件，仅供审计，不得对外提供）" if include_originals else "")
    )


@evidence_app.command("verify")
def evidence_verify(
    package: Annotated[Path, typer.Argument(help="The evidence package (FILE.zip).")],
    key: Annotated[
        Path | None, typer.Option("--key", help="A trusted public key (PEM) to check the signer.")
    ] = None,
    allow_untrusted: Annotated[
        bool,
        typer.Option("--allow-untrusted", help="Without --key: exit 0 after an integrity check alone."),
    ] = False,
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="Also: each request extends its head in this signed checkpoint."),
    ] = None,
    checkpoint_key: Annotated[
        Path | None, typer.Option("--checkpoint-key", help="The checkpoint public key (PEM) to trust.")
    ] = None,
) -> None:
    """Verify a package offline: manifests, signature, every hash and link, every cited file.

    Without --key only its integrity is checked (the signer is not trusted): exit 2 unless
    --allow-untrusted. With --key: 0 when that key signed it, 1 otherwise."""
    from caseflow.evidence.verify import PackageProblem, verify_package

    try:
        summary = verify_package(package, key.read_bytes() if key else None)
    except PackageProblem as exc:
        err.print(f"[bold red]INVALID[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except OSError as exc:
        raise fail(str(exc)) from None
    console.print(
        f"证据包完整：{summary.cases}件申请，{summary.events}条证据记录，"
        f"{summary.first_moment} 至 {summary.last_moment}；导出人 {summary.exporter}；"
        f"签名密钥 {summary.signer}{'（受信任）' if summary.trusted else '（包内公钥）'}",
        highlight=False,
    )
    if summary.redacted:
        console.print(
            f"{summary.redacted} events redacted (identity), their hashes taken as recorded："
            f"脱敏包中{summary.redacted}条早期登记记录的身份证件号码已遮盖，其哈希按记录采信（无法重算），"
            "其后的链接与链头仍已校验",
            highlight=False,
        )
    if summary.internal_absent:
        console.print(
            f"{summary.internal_absent} internal originals not included："
            f"证据包未收入{summary.internal_absent}份公开材料的原件（内部文件，导出时未要求），"
            "其SHA-256记载于答复的证据记录中，不视为缺失",
            highlight=False,
        )
    from caseflow.evidence.trust import embedded_key_id, key_id

    if key is not None:
        console.print(f"签名密钥受信任：签名密钥指纹 {key_id(key.read_bytes())}", highlight=False)
    else:
        err.print(
            "[bold yellow]签名人不受信任[/] 未指定受信任的公钥（--key），只校验了证据包未在签名后被改动；"
            f"包内公钥（签名密钥指纹 {embedded_key_id(package)}）可由任何人替换，不能证明证据包由谁导出",
            highlight=False,
        )
    if checkpoint is not None:
        from caseflow.cli.checkpoint import package_extends

        if not package_extends(package, checkpoint, checkpoint_key):
            raise typer.Exit(1)
    if key is None and not allow_untrusted:
        raise typer.Exit(2)
