"""The ``caseflow`` command line (INTERFACES.md)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from caseflow import clock, law
from caseflow.calendar import CalendarError, default_calendar, load_notice
from caseflow.dates import today, zh, zh_weekday

app = typer.Typer(
    help="caseflow: requests for government information (政府信息公开 依申请公开).",
    no_args_is_help=True,
    add_completion=False,
)
evidence_app = typer.Typer(
    help="Evidence packages: export (signed BagIt zip) and offline verification.", no_args_is_help=True
)
calendar_app = typer.Typer(
    help="The working-day calendar (State Council holiday notices).", no_args_is_help=True
)
app.add_typer(calendar_app, name="calendar")
app.add_typer(evidence_app, name="evidence")

console = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def _parse_event(text: str) -> dict[str, object]:
    """TYPE:DATE[:EXTRA]: pause_started:2026-10-14:consultation, extended:2026-11-02:20,
    deadline_set:2026-11-03:2026-12-31."""
    parts = text.split(":")
    if len(parts) < 2:
        raise ValueError(f"--event {text!r}: expected TYPE:DATE[:EXTRA]")
    event: dict[str, object] = {"type": parts[0], "date": parts[1]}
    if len(parts) > 2:
        extra = parts[2]
        if parts[0] == "pause_started":
            event["reason"] = extra
        elif parts[0] == "extended":
            if not extra.isdigit():
                raise ValueError(f"--event {text!r}: the extension's days must be a whole number")
            event["days"] = int(extra)
        elif parts[0] == "deadline_set":
            event["due"] = extra
    return event


def _batch(source: str) -> int:
    cal = default_calendar()
    stream = sys.stdin if source == "-" else None
    try:
        handle = stream or open(source, encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise _fail(f"cannot read {source}: {exc.strerror}") from None
    failed = 0
    out = sys.stdout
    try:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            result, ok = clock.batch_line(line, lineno, cal)
            failed += not ok
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
    except UnicodeDecodeError:
        raise _fail(f"{source}: not UTF-8 text") from None
    finally:
        if handle is not sys.stdin:
            handle.close()
    return 1 if failed else 0


@app.command()
def deadline(
    received: Annotated[str | None, typer.Argument(help="Receipt date YYYY-MM-DD (single timeline).")] = None,
    event: Annotated[
        list[str] | None,
        typer.Option(
            "--event",
            "-e",
            help="A clock event TYPE:DATE[:EXTRA], repeatable, in date order: supplement_requested:D, "
            "supplement_received:D, pause_started:D:consultation|fee, pause_ended:D, "
            "extended:D[:DAYS], deadline_set:D:DUE.",
        ),
    ] = None,
    rules: Annotated[str, typer.Option(help="auto (by receipt date), 2019 or 2007.")] = "auto",
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Count working days left as of this date (default: today in Asia/Shanghai)."
        ),
    ] = None,
    batch: Annotated[
        str | None,
        typer.Option("--batch", help="JSON Lines of {id, timeline}; '-' reads stdin. One answer per line."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Single timeline: print JSON.")] = False,
) -> None:
    """The statutory clock: reply deadline, supplement-notice deadline and the explanation."""
    if batch is not None:
        if received is not None or event:
            raise _fail("--batch reads timelines from the file; give no receipt date or --event")
        raise typer.Exit(_batch(batch))
    if received is None:
        raise _fail("give a receipt date (caseflow deadline 2026-09-28 ...) or --batch FILE")
    try:
        timeline = clock.Timeline.from_json(
            {"received": received, "rules": rules, "events": [_parse_event(e) for e in event or []]}
        )
        result = clock.compute(timeline)
        as_of_date = dt.date.fromisoformat(as_of) if as_of else today()
    except ValueError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        console.print_json(json.dumps(result.to_json(), ensure_ascii=False))
        return
    table = Table(title=f"答复期限说明（{law.REGULATION}）", show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("日期")
    table.add_column("说明")
    table.add_column("依据", style="dim")
    for i, step in enumerate(result.explanation, 1):
        table.add_row(str(i), zh(step.date) if step.date else "", step.text, step.basis)
    console.print(table)
    if result.reply_due is None:
        console.print("[bold]答复期限：[/]停止计算中")
    else:
        left = result.working_days_left(as_of_date)
        assert left is not None
        status = f"剩余{left}个工作日" if left >= 0 else f"已逾期{-left}个工作日"
        console.print(
            f"[bold]答复期限：{zh_weekday(result.reply_due)}[/]"
            f"{'（暂定）' if result.provisional else ''}；截至{zh(as_of_date)}{status}"
        )
    console.print(f"补正告知期限：{zh_weekday(result.supplement_notice_due)}")


@calendar_app.command("show")
def calendar_show(year: Annotated[int, typer.Argument(help="The year, e.g. 2026.")]) -> None:
    """List a year's holiday weekdays and working weekends, and where they come from."""
    try:
        info = default_calendar().year_info(year)
    except CalendarError as exc:
        raise _fail(str(exc)) from None
    console.print(
        f"[bold]{year}年[/]  来源：{info.source_label}" + ("" if info.official else "  [yellow](暂定)[/]"),
        highlight=False,
    )
    table = Table(show_header=True)
    table.add_column("日期")
    table.add_column("")
    table.add_column("名称")
    for day in info.holidays:
        table.add_row(zh_weekday(day.day), "放假", day.name)
    for day in info.working_weekends:
        table.add_row(zh_weekday(day.day), "[bold]上班[/]", day.name)
    console.print(table)
    console.print(
        f"工作日以外的周一至周五：{len(info.holidays)}天；调休上班的周末：{len(info.working_weekends)}天"
    )


@calendar_app.command("load")
def calendar_load(path: Annotated[Path, typer.Argument(help="A notice as JSON (see README).")]) -> None:
    """Load a State Council holiday notice; deadlines in its year are no longer provisional."""
    try:
        notice = load_notice(path)
    except CalendarError as exc:
        raise _fail(str(exc)) from None
    info = default_calendar().year_info(notice.year)
    console.print(
        f"已载入 {notice.title}：{len(info.holidays)}个放假工作日，"
        f"{len(info.working_weekends)}个调休上班日 -> {notice.source}",
        highlight=False,
    )
    from sqlalchemy.exc import SQLAlchemyError

    from caseflow.dates import now
    from caseflow.db import get_engine
    from caseflow.scheduled import JOBS
    from caseflow.scheduled.runs import run_job

    try:
        run, result = run_job(get_engine(), JOBS["calendar"], now())
    except SQLAlchemyError as exc:  # no database yet: the scheduler's calendar job will do it
        console.print(f"暂定期限未重算（数据库不可用：{exc.__class__.__name__}）", highlight=False)
        return
    for line in result.done:
        console.print(f"重算期限 {line}", highlight=False)
    for failure in run.failures:
        console.print(f"未能重算 {failure['tracking_no']}: {failure['error']}", highlight=False)
    console.print(f"暂定期限重算：{run.done}件已重算，{run.failed}件未能重算", highlight=False)


@app.command()
def init(
    admin_password: Annotated[
        str | None, typer.Option(help="The admin user's password (asked if omitted).")
    ] = None,
    agency_code: Annotated[
        str, typer.Option(help="Code of the top agency, if the database has none.")
    ] = "root",
    agency_name: Annotated[
        str, typer.Option(help="Name of the top agency, if the database has none.")
    ] = "本机关",
) -> None:
    """Create or migrate the database, create the signing key and the admin user."""
    from sqlmodel import col, select

    from caseflow.accounts import create_agency, create_user
    from caseflow.db import session_scope, upgrade
    from caseflow.errors import CaseflowError
    from caseflow.evidence.keys import ensure_signing_key
    from caseflow.models import Agency, User
    from caseflow.settings import get_settings

    settings = get_settings()
    upgrade()
    console.print(f"数据库已就绪：{_safe_url(settings.database_url)}")
    public, created = ensure_signing_key()
    console.print(f"签名密钥{'已创建' if created else '已存在'}：{public}")
    _prepare_letter_font()
    with session_scope() as session:
        if session.exec(select(User).where(col(User.username) == "admin")).first() is not None:
            console.print("管理员 admin 已存在")
            return
        if admin_password is None:
            if not sys.stdin.isatty():
                raise _fail("give --admin-password (no terminal to ask on)")
            admin_password = typer.prompt("admin 的密码", hide_input=True, confirmation_prompt=True)
        try:
            agency = session.exec(select(Agency).where(col(Agency.parent_id).is_(None))).first()
            if agency is None:
                agency = create_agency(session, code=agency_code, name=agency_name)
            create_user(
                session,
                username="admin",
                display_name="系统管理员",
                password=admin_password,
                roles=["admin"],
                agency_code=agency.code,
            )
            session.commit()
        except CaseflowError as exc:
            raise _fail(exc.message) from None
    console.print("已创建管理员 admin")


def _pdf_or_html_only() -> None:
    """PDF letters need WeasyPrint's system libraries and a CJK font; without them, say how to get
    them and issue the demo's letters as HTML only (``CASEFLOW_LETTER_PDF=0`` for this run)."""
    import os

    from caseflow.replies.fonts import FontMissing, find_source
    from caseflow.settings import get_settings

    if not get_settings().letter_pdf:
        return
    try:
        import weasyprint  # noqa: F401 - needs Pango from the system

        find_source()
    except (FontMissing, OSError, ImportError) as exc:
        err.print(f"[yellow]warning:[/] PDF letters are off for this run: {exc}", highlight=False)
        os.environ["CASEFLOW_LETTER_PDF"] = "0"
        get_settings.cache_clear()
        return
    _prepare_letter_font()


def _prepare_letter_font() -> None:
    from caseflow.replies.fonts import FontMissing, base_font

    try:
        with err.status("准备信函字体（首次约需一分钟）…"):
            path, covered = base_font()
    except FontMissing as exc:
        err.print(f"[yellow]warning:[/] {exc}", highlight=False)
        return
    console.print(f"信函字体已就绪：{path.name}（{len(covered)}个字符）")


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


def get_settings_url() -> str:
    from caseflow.settings import get_settings

    return get_settings().database_url


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


#: Up to this many demo requests are carried through the services one by one; beyond it, all but
#: ``SERVICE_PART`` of them are bulk history (valid chains, the engine's own hashing, no letters).
BULK_ABOVE = 2_000
SERVICE_PART = 300


@app.command()
def demo(
    cases: Annotated[int, typer.Option(help="How many requests.", min=1, max=10_000_000)] = 60,
    seed: Annotated[int, typer.Option(help="Random seed (the same seed gives the same data).")] = 7,
    password: Annotated[str | None, typer.Option(help="Password of the demo users.")] = None,
) -> None:
    """A demo agency tree, one user per role and N requests in every state and outcome (above 2,000,
    all but 300 are bulk-inserted history: a million requests take minutes)."""
    from collections import Counter

    from rich.progress import Progress
    from sqlmodel import col, func, select

    from caseflow.bulk import bulk_requests
    from caseflow.dates import today
    from caseflow.db import get_engine, session_scope, upgrade
    from caseflow.demo_data import DEFAULT_PASSWORD, ROLE_USERS, build_demo
    from caseflow.errors import CaseflowError
    from caseflow.evidence.keys import ensure_signing_key
    from caseflow.models import Agency, Case
    from caseflow.states.machine import STATE_NAMES, State

    upgrade()
    ensure_signing_key()
    _pdf_or_html_only()
    through_services = cases if cases <= BULK_ABOVE else SERVICE_PART
    with session_scope() as session, Progress(console=err) as progress:
        task = progress.add_task("创建演示数据（逐件办理）", total=through_services)
        try:
            result = build_demo(
                session,
                cases=through_services,
                seed=seed,
                password=password or DEFAULT_PASSWORD,
                progress=lambda n: progress.update(task, completed=n),
            )
        except CaseflowError as exc:
            raise _fail(exc.message) from None
        codes = list(session.exec(select(Agency.code)))
        if cases > through_services:
            bulk = progress.add_task("批量生成历史申请", total=cases - through_services)
            bulk_requests(
                get_engine(),
                count=cases - through_services,
                seed=seed,
                today=today(),
                agency_codes=codes,
                batch=5000,
                progress=lambda n: progress.update(bulk, completed=n),
            )
    with session_scope() as session:  # a fresh read: the bulk rows were written beside the session
        by_state = dict(session.exec(select(Case.state, func.count()).group_by(col(Case.state))).all())
        by_outcome = {
            o: n
            for o, n in session.exec(select(Case.outcome, func.count()).group_by(col(Case.outcome)))
            if o is not None
        }
    result.cases = sum(by_state.values())
    result.by_state, result.by_outcome = Counter(by_state), Counter(by_outcome)
    table = Table(title=f"演示数据：{result.cases}件依申请公开")
    table.add_column("状态")
    table.add_column("件数", justify="right")
    for state, count in sorted(result.by_state.items()):
        table.add_row(f"{STATE_NAMES[State(state)]}（{state}）", str(count))
    console.print(table)
    console.print(
        f"办理结果：{len(result.by_outcome)}类 — "
        + "、".join(f"{law.outcome(code).name} {n}" for code, n in sorted(result.by_outcome.items())),
        highlight=False,
    )
    console.print("用户（密码 " + result.password + "）：" + "、".join(u for u, _n, _r in ROLE_USERS))


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


@app.command()
def sweep(
    at: Annotated[
        str | None, typer.Option("--now", help="Run as of this moment (ISO 8601; default: now).")
    ] = None,
) -> None:
    """Run every scheduled job once as of that moment and print what it did (running it twice does
    nothing more): calendar updates, lapses, reminders, the daily digest, mail."""
    from caseflow.dates import SHANGHAI, now
    from caseflow.db import get_engine
    from caseflow.scheduled import run_all

    try:
        moment = dt.datetime.fromisoformat(at) if at else now()
    except ValueError:
        raise _fail(f"--now: {at!r} is not an ISO 8601 moment") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    failed = False
    for run, result in run_all(get_engine(), moment):
        for line in result.done:
            console.print(f"done    {run.job:<9} {line}", highlight=False)
        for failure in run.failures:
            console.print(
                f"skipped {run.job:<9} {failure['tracking_no']} {failure['action']}: {failure['error']}",
                highlight=False,
            )
        failed = failed or run.status == "failed"
        console.print(f"{run.job}: {run.status}, {run.done} done, {run.failed} skipped", highlight=False)
    console.print(f"sweep as of {moment.isoformat()}", highlight=False)
    if failed:
        raise typer.Exit(1)


@app.command()
def worker() -> None:
    """Run the scheduled jobs on time, without the web application (one instance leads)."""
    import signal
    import threading

    from caseflow.db import get_engine, upgrade
    from caseflow.scheduled.scheduler import Scheduler

    upgrade()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    scheduler = Scheduler(get_engine())
    scheduler.start()
    console.print(f"caseflow worker {scheduler.instance}: scheduled jobs running (Ctrl-C to stop)")
    stop.wait()
    scheduler.shutdown()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    with_demo: Annotated[
        bool, typer.Option("--demo", help="First fill an empty database with the demo data.")
    ] = False,
) -> None:
    """The web application and the JSON API (pages at /, API under /api/v1, OpenAPI at /docs), with
    the scheduled jobs unless CASEFLOW_SCHEDULER=false (then run `caseflow worker` somewhere)."""
    import uvicorn
    from sqlmodel import func, select

    from caseflow.db import session_scope, upgrade
    from caseflow.models import Agency

    upgrade()
    if with_demo:
        with session_scope() as session:
            empty = session.exec(select(func.count()).select_from(Agency)).one() == 0
        if empty:
            demo(cases=60, seed=7, password=None)
        else:
            console.print("数据库已有数据，跳过演示数据")
    console.print(f"caseflow: http://{host}:{port}/  (API /api/v1, docs /docs)")
    uvicorn.run(
        "api.main:served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


@app.command()
def bench(
    quick: Annotated[bool, typer.Option("--quick", help="A reduced run.")] = False,
    out: Annotated[Path | None, typer.Option(help="Also write the figures as JSON here.")] = None,
) -> None:
    """Run the benchmark suite and print each figure with its ratio to its anchor."""
    from bench.run import run

    raise typer.Exit(run(quick=quick, out=out, console=console))


from caseflow.cli_ops import backup, restore  # noqa: E402

app.command()(backup)
app.command()(restore)

from caseflow.cli_report import report_app  # noqa: E402

app.add_typer(report_app, name="report")


if __name__ == "__main__":  # pragma: no cover
    app()
