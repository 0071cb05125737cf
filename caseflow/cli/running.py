"""``caseflow init``, ``demo``, ``serve``, ``worker``, ``sweep`` and ``bench``: running an installation."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from caseflow import law
from caseflow.cli.common import console, err, fail, safe_url

#: ``caseflow bench`` where the benchmarks (the checkout's ``bench/``, not in the wheel) are absent.
NO_BENCHMARKS = (
    "the benchmarks are not installed with caseflow: they run from a source checkout "
    "(git clone the repository, then pip install -e '.[dev]' and caseflow bench in it)"
)


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
    print_roles: Annotated[
        bool,
        typer.Option(
            "--print-roles", help="Only print the SQL creating the owner and application roles (PostgreSQL)."
        ),
    ] = False,
) -> None:
    """Create or migrate the database, create the signing key and the admin user.

    PostgreSQL: migrations run as CASEFLOW_MIGRATION_DATABASE_URL's owner role when it is set, and
    the application's role (CASEFLOW_DATABASE_URL) is then granted only what it needs.
    """
    from sqlmodel import col, select

    from caseflow.accounts import create_agency, create_user
    from caseflow.cli.operations import print_roles_sql, report_roles
    from caseflow.db import session_scope, upgrade
    from caseflow.errors import CaseflowError
    from caseflow.evidence.keys import ensure_signing_key
    from caseflow.models import Agency, User
    from caseflow.privileges import PrivilegeError
    from caseflow.settings import get_settings

    settings = get_settings()
    if print_roles:
        print_roles_sql(settings)
        return
    try:
        upgrade()
    except PrivilegeError as exc:
        raise fail(exc.message) from None
    console.print(f"数据库已就绪：{safe_url(settings.database_url)}")
    report_roles(settings)
    public, created = ensure_signing_key()
    console.print(f"签名密钥{'已创建' if created else '已存在'}：{public}")
    from caseflow.identity import ensure_key

    identity_key, created = ensure_key()
    console.print(
        f"身份证件号码加密密钥{'已创建' if created else '已存在'}：{identity_key}（请随备份妥善保管）"
    )
    _prepare_letter_font()
    with session_scope() as session:
        if session.exec(select(User).where(col(User.username) == "admin")).first() is not None:
            console.print("管理员 admin 已存在")
            return
        if admin_password is None:
            if not sys.stdin.isatty():
                raise fail("give --admin-password (no terminal to ask on)")
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
            raise fail(exc.message) from None
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


#: Up to this many demo requests are carried through the services one by one; beyond it, all but
#: ``SERVICE_PART`` of them are bulk history (valid chains, the engine's own hashing, no letters).
BULK_ABOVE = 2_000
SERVICE_PART = 300
#: Bulk requests per insert transaction (SQLite's WAL holds about one batch: see ``demo``).
BULK_BATCH = 2_000


def demo(
    cases: Annotated[int, typer.Option(help="How many requests.", min=1, max=10_000_000)] = 60,
    seed: Annotated[int, typer.Option(help="Random seed (the same seed gives the same data).")] = 7,
    password: Annotated[str | None, typer.Option(help="Password of the demo users.")] = None,
) -> None:
    """A demo agency tree, one user per role and N requests in every state and outcome.

    Above 2,000 requests, all but 300 are bulk-inserted history: a million take minutes.
    """
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
            raise fail(exc.message) from None
        codes = list(session.exec(select(Agency.code)))
        # End this session's read transaction before the bulk inserts: an open reader pins its
        # snapshot, so SQLite could checkpoint none of the WAL and it grew with every batch.
        session.rollback()
        if cases > through_services:
            bulk = progress.add_task("批量生成历史申请", total=cases - through_services)
            bulk_requests(
                get_engine(),
                count=cases - through_services,
                seed=seed,
                today=today(),
                agency_codes=codes,
                batch=BULK_BATCH,
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
    for made in result.online:  # issue 18: look them up at /public/applications (codes shown once)
        console.print(
            f"网上申请 {made.submission_no}（{made.status_name}）访问码 {made.access_code}", highlight=False
        )


def sweep(
    at: Annotated[
        str | None, typer.Option("--now", help="Run as of this moment (ISO 8601; default: now).")
    ] = None,
) -> None:
    """Run every scheduled job once as of that moment and print what it did.

    Calendar updates, lapses, reminders, the daily digest, mail; running it twice does nothing more.
    """
    from caseflow.dates import SHANGHAI, now
    from caseflow.db import get_engine
    from caseflow.scheduled import run_all

    try:
        moment = dt.datetime.fromisoformat(at) if at else now()
    except ValueError:
        raise fail(f"--now: {at!r} is not an ISO 8601 moment") from None
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


def worker() -> None:
    """Run the scheduled jobs on time, without the web application (one instance leads)."""
    import signal
    import threading

    from caseflow.db import get_engine, upgrade
    from caseflow.privileges import PrivilegeError, warn_if_privileged
    from caseflow.scheduled.scheduler import Scheduler

    try:
        upgrade()
    except PrivilegeError as exc:
        raise fail(exc.message) from None
    warn_if_privileged(get_engine())  # logged: a role that could disable the evidence triggers
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    scheduler = Scheduler(get_engine())
    scheduler.start()
    console.print(f"caseflow worker {scheduler.instance}: scheduled jobs running (Ctrl-C to stop)")
    stop.wait()
    scheduler.shutdown()


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    with_demo: Annotated[
        bool, typer.Option("--demo", help="First fill an empty database with the demo data.")
    ] = False,
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="Leave the scheduled jobs to `caseflow worker`.")
    ] = False,
) -> None:
    """The web application and the JSON API (pages at /, API under /api/v1, OpenAPI at /docs).

    It runs the scheduled jobs too, unless --no-scheduler or CASEFLOW_SCHEDULER=false.
    """
    import os

    import uvicorn
    from sqlmodel import func, select

    from caseflow.db import session_scope, upgrade
    from caseflow.models import Agency
    from caseflow.privileges import PrivilegeError
    from caseflow.settings import get_settings

    try:
        upgrade()
    except PrivilegeError as exc:
        raise fail(exc.message) from None
    if with_demo:
        with session_scope() as session:
            empty = session.exec(select(func.count()).select_from(Agency)).one() == 0
        if empty:
            demo(cases=60, seed=7, password=None)
        else:
            console.print("数据库已有数据，跳过演示数据")
    if no_scheduler:  # read by every worker process's settings (and this one's, afresh)
        os.environ["CASEFLOW_SCHEDULER"] = "false"
        get_settings.cache_clear()
    console.print(f"caseflow: http://{host}:{port}/  (API /api/v1, docs /docs)")
    from caseflow.accesslog import install as no_query_strings_in_access_log

    no_query_strings_in_access_log()  # query codes and search terms stay out of the access log
    uvicorn.run(
        "caseflow.api.main:served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


def bench(
    quick: Annotated[bool, typer.Option("--quick", help="A reduced run.")] = False,
    out: Annotated[Path | None, typer.Option(help="Also write the figures as JSON here.")] = None,
) -> None:
    """Run the benchmark suite and print each figure with its ratio to its anchor."""
    try:
        from bench.run import run
    except ModuleNotFoundError as exc:  # an installed wheel: the benchmarks stay in the checkout
        if exc.name not in ("bench", "bench.run"):
            raise
        from rich.markup import escape

        raise fail(escape(NO_BENCHMARKS)) from None

    raise typer.Exit(run(quick=quick, out=out, console=console))
