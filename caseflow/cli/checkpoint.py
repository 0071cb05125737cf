"""``caseflow checkpoint``, and the ``--checkpoint`` checks of ``verify`` and ``evidence verify``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from caseflow.cli.common import console, err, fail

if TYPE_CHECKING:
    from caseflow.evidence.checkpoint import Checkpoint


def checkpoint(
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write the checkpoint file here (JSON).")
    ] = None,
) -> None:
    """Sign a checkpoint of every request's evidence chain head (RFC 9162 Merkle root), record it
    in the checkpoint log and write it to --out."""
    from sqlalchemy.exc import SQLAlchemyError

    from caseflow.dates import now
    from caseflow.db import session_scope
    from caseflow.evidence import anchor
    from caseflow.evidence.checkpoint import CheckpointProblem, public_key_file

    try:
        with session_scope() as session:
            made = anchor.make(session, now())
    except SQLAlchemyError as exc:
        raise fail(f"检查点未能记录：{exc.__class__.__name__}: {getattr(exc, 'orig', exc)}") from None
    except CheckpointProblem as exc:
        raise fail(exc.message) from None
    except anchor.Inconsistent as exc:
        raise fail(str(exc), 1) from None
    if made.consistency_note:
        err.print(f"[bold yellow]未核对延续性[/] {made.consistency_note}", highlight=False)
    if made.key_created:
        console.print(f"已创建检查点密钥，公钥 {public_key_file()}（请交审计人员保存）", highlight=False)
    row = made.row
    if out is not None:
        shutil.copyfile(made.path, out)
    console.print(
        f"检查点第{row.number}号：{row.tree_size}件申请，默克尔根 {row.root}，"
        f"前一检查点 {row.previous[:16]}…，密钥指纹 {row.key_id} -> {out or made.path}",
        highlight=False,
    )
    if made.timestamp_error:
        err.print(f"[bold yellow]未加盖时间戳[/] {made.timestamp_error}", highlight=False)
    elif row.tsa_token is not None:
        console.print(f"已加盖RFC 3161时间戳 -> {made.path.with_suffix('.tsr')}", highlight=False)


def _trusted_checkpoint(path: Path, key: Path | None) -> Checkpoint:
    """The checkpoint at ``path``, its signature checked with ``key`` or the configured key."""
    from caseflow.evidence.checkpoint import CheckpointProblem, configured_public_pem, load

    try:
        pem = key.read_bytes() if key else configured_public_pem()
    except OSError as exc:
        raise fail(f"无法读取检查点公钥 {key}：{exc.strerror}") from None
    if pem is None:
        raise fail("没有检查点公钥：用 --checkpoint-key 指定（或设置 CASEFLOW_CHECKPOINT_KEY_FILE）")
    try:
        return load(path, pem)
    except CheckpointProblem as exc:
        err.print(f"[bold red]检查点不可信[/] {exc.message}", highlight=False)
        raise typer.Exit(1) from None


def database_extends(path: Path, key: Path | None) -> bool:
    """``caseflow verify --checkpoint``: print every request whose chain in the database does not
    extend its checkpointed head; True when all do."""
    from sqlalchemy.exc import SQLAlchemyError

    from caseflow.db import session_scope
    from caseflow.evidence.anchor import check_database

    cp = _trusted_checkpoint(path, key)
    try:
        with session_scope() as session:
            problems = check_database(session, cp)
    except SQLAlchemyError as exc:
        raise fail(f"无法读取数据库：{exc.__class__.__name__}: {getattr(exc, 'orig', exc)}") from None
    for problem in problems:
        err.print(f"[bold red]NOT EXTENDED[/] {problem}", highlight=False)
    if problems:
        err.print(
            f"检查点第{cp.number}号（{cp.made_at}）：{len(problems)}件申请的证据链未延续检查点记录的链头",
            highlight=False,
        )
        return False
    console.print(
        f"检查点第{cp.number}号（{cp.made_at}）签名有效：其中{len(cp.leaves)}件申请的证据链均延续检查点记录的链头",
        highlight=False,
    )
    return True


def package_extends(package: Path, path: Path, key: Path | None) -> bool:
    """``caseflow evidence verify --checkpoint``: the same for the requests of a package."""
    from caseflow.evidence.anchor import check_package

    cp = _trusted_checkpoint(path, key)
    result = check_package(package, cp)
    for problem in result.problems:
        err.print(f"[bold red]NOT EXTENDED[/] {problem}", highlight=False)
    later = f"；{len(result.not_covered)}件在检查点之后受理，未覆盖" if result.not_covered else ""
    if result.problems:
        err.print(
            f"检查点第{cp.number}号（{cp.made_at}）：证据包中{len(result.problems)}件申请的证据链"
            f"未延续检查点记录的链头{later}",
            highlight=False,
        )
        return False
    console.print(
        f"检查点第{cp.number}号（{cp.made_at}）签名有效：证据包中{result.covered}件申请的证据链"
        f"均延续检查点记录的链头{later}",
        highlight=False,
    )
    return True
