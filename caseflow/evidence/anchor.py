"""Anchoring the evidence: make a checkpoint of every chain head, and check chains against one.

``make`` reads every request's (tracking number, event count, head hash) in tracking-number order,
in batches, spooling the leaves to a file while it computes their Merkle root (memory does not grow
with the number of requests), signs the statement with the checkpoint key, writes the file under
``$CASEFLOW_DATA_DIR/checkpoints/``, has it time-stamped when a TSA is configured, and appends the
row to the ``checkpoint`` table (append-only; ``number`` unique, so two checkpoints never fork).

``check_database`` and ``check_package`` name every request whose chain does not extend its
checkpointed head: missing, fewer events than checkpointed (truncated), or another hash at the
checkpointed position (rewritten or re-hashed).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import ColumnElement, func, tuple_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from caseflow.evidence import timestamp
from caseflow.evidence.chain import EVENT_TABLE, GENESIS, canonical
from caseflow.evidence.checkpoint import (
    Checkpoint,
    Leaf,
    ensure_key,
    leaf_bytes,
    sign,
    statement_hash,
    write_file,
)
from caseflow.evidence.merkle import Root
from caseflow.evidence.zipstream import ZipReader
from caseflow.models import Case
from caseflow.models import Checkpoint as CheckpointRow
from caseflow.settings import get_settings

BATCH = 500


def directory() -> Path:
    return get_settings().data_dir / "checkpoints"


def latest(session: Session) -> CheckpointRow | None:
    return session.exec(select(CheckpointRow).order_by(col(CheckpointRow.number).desc()).limit(1)).first()


def _leaves(session: Session) -> Iterator[Leaf]:
    """Every request's head, by tracking number in code-point order, ``BATCH`` at a time."""
    pg = session.get_bind().dialect.name == "postgresql"
    column: ColumnElement[str] = Case.__table__.c.tracking_no  # type: ignore[attr-defined]
    tracking = column.collate("C") if pg else column
    after: str | None = None
    while True:
        stmt = select(Case.tracking_no, Case.event_count, Case.last_hash)
        if after is not None:
            stmt = stmt.where(tracking > after)
        rows = session.exec(stmt.order_by(tracking).limit(BATCH)).all()
        session.rollback()  # end the read: on SQLite every transaction holds the write lock
        if not rows:
            return
        yield from rows
        after = rows[-1][0]


@dataclass(frozen=True)
class Made:
    row: CheckpointRow
    path: Path
    key_created: bool
    timestamp_error: str | None
    #: Why the database could not be checked against the previous checkpoint (its file is gone).
    consistency_note: str | None = None


class Inconsistent(Exception):
    """The database no longer extends the previous checkpoint: a new one would launder the rewrite."""

    def __init__(self, number: int, problems: list[str]) -> None:
        super().__init__(
            f"不签发新检查点：数据库中的证据链不再延续第{number}号检查点（{len(problems)}件申请）："
            + "；".join(problems[:20])
            + ("……" if len(problems) > 20 else "")
        )
        self.problems = problems


def _check_previous(session: Session, previous: CheckpointRow) -> str | None:
    """Refuse (``Inconsistent``) when a chain the previous checkpoint holds was rewritten or cut;
    the reason it could not be checked when its file is missing (e.g. after a restore)."""
    from caseflow.evidence.checkpoint import CheckpointProblem, load, public_key_file

    path = directory() / previous.file_name
    if not path.exists():
        return f"第{previous.number}号检查点文件 {path.name} 不在本机，未能核对新检查点是否延续它"
    try:
        prior = load(path, public_key_file().read_bytes())
    except CheckpointProblem as exc:
        return f"第{previous.number}号检查点文件无法采信，未能核对：{exc.message}"
    if prior.hash != previous.sha256:
        return f"第{previous.number}号检查点文件与检查点日志记录的哈希不符，未能核对"
    problems = check_database(session, prior)
    session.rollback()
    if problems:
        raise Inconsistent(previous.number, problems)
    return None


def make(session: Session, moment: dt.datetime) -> Made:
    """Make, sign, store and record the next checkpoint as of ``moment``."""
    settings = get_settings()
    key, created = ensure_key()
    previous = latest(session)
    number = previous.number + 1 if previous else 1
    previous_hash = previous.sha256 if previous else GENESIS
    session.rollback()
    note = _check_previous(session, previous) if previous is not None else None
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True)
    tree = Root()
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, suffix=".leaves") as spool:
        for leaf in _leaves(session):
            data = leaf_bytes(leaf)
            tree.add(data)
            spool.write(data.decode("utf-8") + "\n")
        spool.flush()
        statement = sign(
            key,
            number=number,
            made_at=moment,
            tree_size=tree.size,
            root=tree.digest().hex(),
            previous=previous_hash,
        )
        digest = statement_hash(statement)
        path = folder / f"checkpoint-{number:06d}-{digest[:12]}.json"
        write_file(path, statement, Path(spool.name))
    token: bytes | None = None
    problem: str | None = None
    if settings.tsa_url:
        try:
            token = timestamp.stamp(
                settings.tsa_url, canonical(statement).encode("utf-8"), settings.tsa_ca_file
            )
        except timestamp.TimestampProblem as exc:
            problem = str(exc)
    row = CheckpointRow(
        number=number,
        made_at=moment,
        tree_size=tree.size,
        root=statement["root"],
        previous=statement["previous"],
        sha256=digest,
        key_id=statement["key_id"],
        statement=canonical(statement),
        file_name=path.name,
        tsa_token=token,
    )
    session.add(row)
    try:
        session.commit()
    except Exception:
        session.rollback()
        path.unlink(missing_ok=True)  # another checkpoint took this number: this one never was
        raise
    if token is not None:
        tsr = path.with_suffix(".tsr")
        tsr.write_bytes(token)
        os.chmod(tsr, 0o644)
    return Made(row, path, created, problem, note)


# --- checking chains against a checkpoint --------------------------------------------------------


def check_database(session: Session, checkpoint: Checkpoint) -> list[str]:
    """Every request of the checkpoint whose chain in the database does not extend its head."""
    problems: list[str] = []
    for start in range(0, len(checkpoint.leaves), BATCH):
        batch = checkpoint.leaves[start : start + BATCH]
        found = {
            tracking_no: (case_id, stored)
            for case_id, tracking_no, stored in session.exec(
                select(Case.id, Case.tracking_no, Case.event_count).where(
                    col(Case.tracking_no).in_([leaf[0] for leaf in batch])
                )
            )
        }
        pairs = [(found[t][0], k) for t, k, _ in batch if t in found]
        ids = [case_id for case_id, _ in found.values()]
        heads: dict[tuple[int, int], str] = {}
        counts: dict[int, int] = {}
        if pairs:
            for case_id, seq, digest in session.execute(
                sa_select(EVENT_TABLE.c.case_id, EVENT_TABLE.c.seq, EVENT_TABLE.c.hash).where(
                    tuple_(EVENT_TABLE.c.case_id, EVENT_TABLE.c.seq).in_(pairs)
                )
            ):
                heads[(case_id, seq)] = digest
            for case_id, n in session.execute(
                sa_select(EVENT_TABLE.c.case_id, func.count())
                .where(EVENT_TABLE.c.case_id.in_(ids))
                .group_by(EVENT_TABLE.c.case_id)
            ):
                counts[case_id] = n
        session.rollback()
        for tracking_no, count, head in batch:
            if tracking_no not in found:
                problems.append(
                    f"{tracking_no}：数据库中没有这件申请"
                    f"（检查点记录它有{count}条证据记录，链头 {head[:12]}…）"
                )
                continue
            case_id = found[tracking_no][0]
            assert case_id is not None
            problem = _compare(tracking_no, count, head, counts.get(case_id, 0), heads.get((case_id, count)))
            if problem:
                problems.append(problem)
    return problems


def _compare(tracking_no: str, count: int, head: str, have: int, at_count: str | None) -> str | None:
    if at_count is None or have < count:
        return (
            f"{tracking_no}：证据链被截短：检查点记录了{count}条证据记录（链头 {head[:12]}…），"
            f"现在只有{have}条"
        )
    if at_count != head:
        return (
            f"{tracking_no}：证据链被改写：第{count}条证据记录的哈希为 {at_count[:12]}…，"
            f"检查点记录的是 {head[:12]}…"
        )
    return None


@dataclass
class PackageCheck:
    problems: list[str]
    covered: int  # requests of the package the checkpoint holds
    not_covered: list[str]  # requests of the package made after the checkpoint


def check_package(package: Path, checkpoint: Checkpoint) -> PackageCheck:
    """Every request of a (verified) package that is in the checkpoint must extend its head."""
    wanted = {t: (k, h) for t, k, h in checkpoint.leaves}
    result = PackageCheck([], 0, [])
    with ZipReader(package) as archive:
        for entry in archive.entries():
            name = entry[0]
            if not (name.startswith("data/") and name.endswith("events.jsonl")):
                continue
            tracking_no, count, digests = _chain(archive.read(entry))
            if tracking_no is None:
                continue
            if tracking_no not in wanted:
                result.not_covered.append(tracking_no)
                continue
            result.covered += 1
            want, head = wanted[tracking_no]
            problem = _compare(tracking_no, want, head, count, digests.get(want))
            if problem:
                result.problems.append(problem)
    return result


def _chain(events: bytes) -> tuple[str | None, int, dict[int, str]]:
    """(tracking number, number of events, hash by position) of a package's events.jsonl."""
    tracking_no: str | None = None
    digests: dict[int, str] = {}
    for line in events.splitlines():
        if not line.strip():
            continue
        event = json.loads(line)
        if tracking_no is None:
            tracking_no = json.loads(event["payload"])["case"]
        digests[int(event["seq"])] = str(event["hash"])
    return tracking_no, len(digests), digests


def summary_of(rows: Sequence[CheckpointRow]) -> list[dict[str, object]]:
    return [
        {
            "id": row.id,
            "number": row.number,
            "made_at": row.made_at.isoformat(),
            "tree_size": row.tree_size,
            "root": row.root,
            "previous": row.previous,
            "sha256": row.sha256,
            "key_id": row.key_id,
            "timestamped": row.tsa_token is not None,
        }
        for row in rows
    ]
