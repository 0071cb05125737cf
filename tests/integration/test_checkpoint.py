"""Signed checkpoints anchor the evidence outside the database (issue 13, item 1).

A database owner who drops the append-only triggers can rewrite a whole chain consistently (every
event re-hashed, the request's head updated) or cut its last events off and roll the head back:
``caseflow verify`` alone cannot tell. A checkpoint signed with a key kept outside the database
can: ``verify --checkpoint`` names every request whose chain does not extend its checkpointed head.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from caseflow.backup import backup
from caseflow.evidence import anchor
from caseflow.evidence.chain import GENESIS, canonical, sha256_hex
from caseflow.evidence.checkpoint import (
    Checkpoint,
    key_file,
    load,
    parse,
    public_key_file,
    public_pem,
    sign,
    statement_hash,
)
from caseflow.evidence.keys import ensure_signing_key
from caseflow.models import Case, Notification, User
from caseflow.models import Checkpoint as CheckpointRow
from caseflow.notifications import as_json
from caseflow.scheduled import JOBS
from caseflow.scheduled.runs import run_job
from caseflow.settings import get_settings
from tests.integration.conftest import T0, World
from tests.integration.smtp import Inbox
from tests.integration.test_tamper import Cases, _drop_triggers, _events, _sql, cases, flat, run_cli
from tests.integration.webapp import Web, serve

__all__ = ["cases"]  # the fixture, imported for its use below (``inbox``: tests/integration/conftest.py)

DAY = dt.timedelta(days=1)


def _checkpoint(session: Session, db_url: str, out: Path) -> dict[str, Any]:
    result = run_cli(session, db_url, "checkpoint", "--out", str(out))
    assert result.exit_code == 0, result.output
    body: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return body


def _rehash_chain(session: Session, case: Case) -> None:
    """Rewrite every event of the request consistently: a fact changed in the second, every payload
    re-linked and re-hashed, the request's head moved to the new last hash."""
    assert case.id is not None
    prev = GENESIS
    for event in _events(session, case.id):
        body = json.loads(event["payload"])
        if event["seq"] == 2:
            body["facts"]["reason"] = "无需会商"
        body["prev_hash"] = prev
        payload = canonical(body)
        digest = sha256_hex(payload)
        _sql(
            session,
            "UPDATE evidence_event SET payload = :p, prev_hash = :prev, hash = :h WHERE id = :id",
            p=payload, prev=prev, h=digest, id=event["id"],
        )  # fmt: skip
        prev = digest
    _sql(session, "UPDATE request SET last_hash = :h WHERE id = :id", h=prev, id=case.id)


def _truncate(session: Session, case: Case, keep: int) -> None:
    assert case.id is not None
    events = _events(session, case.id)
    _sql(session, "DELETE FROM evidence_event WHERE case_id = :c AND seq > :k", c=case.id, k=keep)
    _sql(
        session, "UPDATE request SET event_count = :n, last_hash = :h WHERE id = :id",
        n=keep, h=events[keep - 1]["hash"], id=case.id,
    )  # fmt: skip


# --- making checkpoints --------------------------------------------------------------------------


def test_checkpoint_is_signed_logged_and_chained(
    world: World, cases: Cases, db_url: str, tmp_path: Path, isolated_data_dir: Path
) -> None:
    session = world.session
    first = _checkpoint(session, db_url, tmp_path / "cp1.json")
    statement = first["checkpoint"]
    assert statement["number"] == 1 and statement["previous"] == GENESIS
    assert statement["tree_size"] == 2
    # the leaves: every request's (tracking number, event count, head), in tracking-number order
    expected = sorted([[c.tracking_no, c.event_count, c.last_hash] for c in (cases.tampered, cases.intact)])
    assert first["leaves"] == expected
    assert dt.datetime.fromisoformat(statement["made_at"]).tzinfo is not None
    # the key: outside the database and outside the backed-up keys/ folder
    assert key_file().exists() and not key_file().is_relative_to(isolated_data_dir / "keys")
    verified = load(tmp_path / "cp1.json", public_key_file().read_bytes())
    assert verified.number == 1 and [list(leaf) for leaf in verified.leaves] == expected

    # a second checkpoint names the first; the log holds both, append-only
    world.act(
        cases.intact, "draft_reply", {"outcome": "disclosed.provided", "provided": "表"}, at=T0 + 2 * DAY
    )
    second = _checkpoint(session, db_url, tmp_path / "cp2.json")
    assert second["checkpoint"]["number"] == 2
    assert second["checkpoint"]["previous"] == statement_hash(statement)
    assert {t: n for t, n, _ in second["leaves"]}[cases.intact.tracking_no] == 3
    rows = session.exec(select(CheckpointRow).order_by(col(CheckpointRow.number))).all()
    session.commit()
    assert [r.number for r in rows] == [1, 2]
    assert rows[1].previous == rows[0].sha256 == statement_hash(statement)
    assert json.loads(rows[0].statement) == statement
    assert (anchor.directory() / rows[1].file_name).read_bytes() == (tmp_path / "cp2.json").read_bytes()
    for statement_sql in (
        "UPDATE checkpoint SET root = :z WHERE number = 1",
        "DELETE FROM checkpoint WHERE number = 1",
    ):
        with pytest.raises(DBAPIError) as info:
            session.execute(text(statement_sql), {"z": "0" * 64})
        session.rollback()
        assert "append-only" in str(info.value)
    assert len(session.exec(select(CheckpointRow)).all()) == 2
    session.commit()


def test_untouched_database_extends_its_checkpoint(
    world: World, cases: Cases, db_url: str, tmp_path: Path
) -> None:
    _checkpoint(world.session, db_url, tmp_path / "cp.json")
    world.act(
        cases.intact, "draft_reply", {"outcome": "disclosed.provided", "provided": "表"}, at=T0 + 2 * DAY
    )
    world.new_case(at=T0 + 3 * DAY)  # a request after the checkpoint: not in it, not a problem
    result = run_cli(world.session, db_url, "verify", "--checkpoint", str(tmp_path / "cp.json"))
    assert result.exit_code == 0, result.output
    assert "检查点第1号" in flat(result.output) and "2件申请的证据链均延续" in flat(result.output)


# --- what a checkpoint catches -------------------------------------------------------------------


def test_whole_chain_rewrite_is_caught(world: World, cases: Cases, db_url: str, tmp_path: Path) -> None:
    session = world.session
    _checkpoint(session, db_url, tmp_path / "cp.json")
    _drop_triggers(session)
    _rehash_chain(session, cases.tampered)
    plain = run_cli(session, db_url, "verify")
    assert plain.exit_code == 0, plain.output  # consistent: the chain alone cannot tell

    result = run_cli(session, db_url, "verify", "--checkpoint", str(tmp_path / "cp.json"))
    assert result.exit_code == 1, result.output
    text_ = flat(result.output)
    assert f"{cases.tampered.tracking_no}：证据链被改写：第5条证据记录的哈希" in text_
    assert cases.intact.tracking_no not in text_.replace("NOT EXTENDED", "")
    assert "1件申请的证据链未延续" in text_


def test_truncation_is_caught(world: World, cases: Cases, db_url: str, tmp_path: Path) -> None:
    session = world.session
    _checkpoint(session, db_url, tmp_path / "cp.json")
    _drop_triggers(session)
    _truncate(session, cases.tampered, keep=2)
    _truncate(session, cases.intact, keep=1)
    # (the heads were rolled back to match, so the chains link; whether plain `verify` also notices
    # depends on what else the owner rolled back on the request rows: the checkpoint does not care)

    result = run_cli(session, db_url, "verify", "--checkpoint", str(tmp_path / "cp.json"))
    assert result.exit_code == 1, result.output
    text_ = flat(result.output)
    assert (
        f"{cases.tampered.tracking_no}：证据链被截短：检查点记录了5条证据记录" in text_
        and "现在只有2条" in text_
    )
    assert (
        f"{cases.intact.tracking_no}：证据链被截短：检查点记录了2条证据记录" in text_
        and "现在只有1条" in text_
    )
    assert "2件申请的证据链未延续" in text_


def test_a_request_missing_from_the_database_is_named(world: World, cases: Cases, tmp_path: Path) -> None:
    leaves = sorted(
        [(c.tracking_no, c.event_count, c.last_hash) for c in (cases.tampered, cases.intact)]
        + [("CITY-2026-99999", 3, "ab" * 32)]
    )
    problems = anchor.check_database(world.session, Checkpoint({}, leaves))
    assert problems == [
        "CITY-2026-99999：数据库中没有这件申请（检查点记录它有3条证据记录，链头 abababababab…）"
    ]


def test_a_forged_or_altered_checkpoint_is_refused(
    world: World, cases: Cases, db_url: str, tmp_path: Path
) -> None:
    session = world.session
    genuine = _checkpoint(session, db_url, tmp_path / "cp.json")

    def refused(body: dict[str, Any], *extra: str) -> str:
        path = tmp_path / "forged.json"
        path.write_text(json.dumps(body), encoding="utf-8")
        result = run_cli(session, db_url, "verify", "--checkpoint", str(path), *extra)
        assert result.exit_code == 1, result.output
        assert "检查点不可信" in result.output and "Traceback" not in result.output
        return flat(result.output)

    # a leaf altered (a forger's "the chain was always this long"): the signed root does not match
    tampered = json.loads(json.dumps(genuine))
    tampered["leaves"][0][1] = 1
    assert "叶子与签名的默克尔根不符" in refused(tampered)
    # the statement altered under its signature
    altered = json.loads(json.dumps(genuine))
    altered["checkpoint"]["made_at"] = (T0 - DAY).isoformat()
    assert "检查点签名无效" in refused(altered)
    # a whole checkpoint made and signed by another key (what a forger without the key can do)
    other = Ed25519PrivateKey.generate()
    s = genuine["checkpoint"]
    forged = {
        "checkpoint": sign(
            other, number=s["number"], made_at=T0, tree_size=s["tree_size"], root=s["root"],
            previous=s["previous"],
        ),
        "leaves": genuine["leaves"],
    }  # fmt: skip
    assert "不是用受信任的检查点密钥签名的" in refused(forged)
    # ... even when it names the configured key's id and carries its public key
    forged["checkpoint"]["key_id"] = s["key_id"]
    forged["checkpoint"]["public_key"] = s["public_key"]
    assert "检查点签名无效" in refused(forged)
    # the genuine checkpoint against another trusted key
    other_pem = tmp_path / "other.pem"
    other_pem.write_bytes(public_pem(other.public_key()))
    assert "不是用受信任的检查点密钥签名的" in refused(genuine, "--checkpoint-key", str(other_pem))
    # with the right key given explicitly it verifies
    mine = tmp_path / "mine.pem"
    mine.write_bytes(public_key_file().read_bytes())
    result = run_cli(
        session, db_url, "verify", "--checkpoint", str(tmp_path / "cp.json"), "--checkpoint-key", str(mine)
    )
    assert result.exit_code == 0, result.output
    assert base64.b64decode(s["public_key"]) and len(s["signature"]) > 40


# --- packages ------------------------------------------------------------------------------------


def test_package_chains_checked_against_the_checkpoint(
    world: World, cases: Cases, db_url: str, tmp_path: Path
) -> None:
    session = world.session
    _checkpoint(session, db_url, tmp_path / "cp.json")
    trusted = tmp_path / "trusted.pem"
    trusted.write_bytes(ensure_signing_key()[0].read_bytes())
    good = tmp_path / "good.zip"
    result = run_cli(session, db_url, "evidence", "export", "--agency", "city", "--out", str(good))
    assert result.exit_code == 0, result.output
    result = run_cli(
        session, db_url, "evidence", "verify", str(good), "--key", str(trusted), "--checkpoint",
        str(tmp_path / "cp.json"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "证据包中2件申请的证据链均延续检查点记录的链头" in flat(result.output)

    # the database rewritten, then exported: a package intact in itself, signed by this installation
    _drop_triggers(session)
    _rehash_chain(session, cases.tampered)
    bad = tmp_path / "bad.zip"
    result = run_cli(session, db_url, "evidence", "export", "--agency", "city", "--out", str(bad))
    assert result.exit_code == 0, result.output
    result = run_cli(session, db_url, "evidence", "verify", str(bad), "--key", str(trusted))
    assert result.exit_code == 0, result.output  # nothing inside the package shows it
    result = run_cli(
        session, db_url, "evidence", "verify", str(bad), "--key", str(trusted), "--checkpoint",
        str(tmp_path / "cp.json"),
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    text_ = flat(result.output)
    assert f"{cases.tampered.tracking_no}：证据链被改写" in text_
    assert "证据包中1件申请的证据链未延续" in text_


def test_a_new_checkpoint_must_extend_the_previous_one(
    world: World, cases: Cases, db_url: str, engine: Engine, tmp_path: Path
) -> None:
    """Like a CT log's consistency: a rewrite between two checkpoints is not laundered by the next."""
    session = world.session
    _checkpoint(session, db_url, tmp_path / "cp1.json")
    _drop_triggers(session)
    _rehash_chain(session, cases.tampered)
    refused = run_cli(session, db_url, "checkpoint", "--out", str(tmp_path / "cp2.json"))
    assert refused.exit_code == 1, refused.output
    text_ = flat(refused.output)
    assert "不签发新检查点" in text_ and "证据链被改写" in text_
    assert cases.tampered.tracking_no in text_ and cases.intact.tracking_no not in text_
    assert not (tmp_path / "cp2.json").exists()
    later = max(T0, dt.datetime.now(dt.UTC)) + 2 * DAY  # the CLI's checkpoint was made today
    run, _ = run_job(engine, JOBS["checkpoint"], later)
    assert run.status == "errors" and "不签发新检查点" in run.failures[0]["error"]
    with Session(engine) as s:
        assert [r.number for r in s.exec(select(CheckpointRow))] == [1]


def test_a_checkpoint_whose_predecessor_file_is_gone_is_made_with_a_note(
    world: World, cases: Cases, engine: Engine
) -> None:
    world.session.commit()
    first = anchor.make(world.session, T0 + DAY)
    first.path.unlink()
    second = anchor.make(world.session, T0 + 2 * DAY)
    assert second.row.number == 2 and second.consistency_note is not None
    assert first.path.name in second.consistency_note


# --- the scheduled job, the auditors' copies -----------------------------------------------------


def test_daily_job_makes_one_checkpoint_a_day_and_tells_the_auditors(
    world: World, cases: Cases, engine: Engine
) -> None:
    world.session.commit()
    job = JOBS["checkpoint"]
    moment = T0 + 3 * DAY
    run, result = run_job(engine, job, moment)
    assert run.status == "ok", run.failures
    assert result.done[0].startswith("checkpoint 1: 2 requests")
    again, _ = run_job(engine, job, moment + dt.timedelta(hours=5))
    assert again.status == "ok" and again.done == 0  # made today already
    run_job(engine, job, moment + DAY)
    with Session(engine) as s:
        rows = s.exec(select(CheckpointRow).order_by(col(CheckpointRow.number))).all()
        assert [r.number for r in rows] == [1, 2] and rows[1].previous == rows[0].sha256
        notes = s.exec(select(Notification).where(col(Notification.reason) == "checkpoint")).all()
        users = {n.user_id for n in notes}
        assert len(notes) == 2 and len(users) == 1  # the one auditor, once per checkpoint
        assert rows[0].statement in notes[0].body and f"/api/v1/checkpoints/{rows[0].id}" in notes[0].body
        assert as_json(notes[0])["reason_name"] == "证据链检查点"


def test_the_checkpoint_key_is_never_in_a_backup(
    world: World,
    cases: Cases,
    db_url: str,
    tmp_path: Path,
    isolated_data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _checkpoint(world.session, db_url, tmp_path / "cp.json")
    secret = key_file().read_bytes()

    def members(archive: Path) -> dict[str, bytes]:
        with tarfile.open(archive) as tar:
            return {
                m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
                for m in tar.getmembers()
                if m.isfile()
            }

    ensure_signing_key()
    world.session.commit()
    held = members(backup(db_url, tmp_path / "b1.tar", data_dir=isolated_data_dir).archive)
    assert "data/keys/signing-key.pem" in held  # the evidence signing key is kept ...
    assert secret not in held.values() and not any("checkpoint" in n for n in held)  # ... not this one

    # even when it is configured inside the backed-up keys/ folder
    inside = isolated_data_dir / "keys" / "checkpoint.pem"
    monkeypatch.setenv("CASEFLOW_CHECKPOINT_KEY_FILE", str(inside))
    get_settings.cache_clear()
    _checkpoint(world.session, db_url, tmp_path / "cp2.json")
    assert inside.exists()
    world.session.commit()
    held = members(backup(db_url, tmp_path / "b2.tar", data_dir=isolated_data_dir).archive)
    assert inside.read_bytes() not in held.values() and "data/keys/checkpoint.pem" not in held
    assert "data/keys/signing-key.pem" in held


# --- auditors download them, and get them by mail ------------------------------------------------


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch, db_url: str, world: World, engine: Engine) -> Iterator[Web]:
    with serve(monkeypatch, db_url) as application:
        yield Web(application, world, engine)


def test_auditors_download_checkpoints(web: Web, cases: Cases, db_url: str, tmp_path: Path) -> None:
    world = web.world
    world.session.commit()
    run_job(web.engine, JOBS["checkpoint"], T0 + 3 * DAY)
    auditor = web.api("auditor")
    listed = auditor.get("/api/v1/checkpoints")
    assert listed.status_code == 200, listed.text
    (item,) = listed.json()["items"]
    assert item["number"] == 1 and item["tree_size"] == 2 and item["previous"] == GENESIS
    downloaded = auditor.get(f"/api/v1/checkpoints/{item['id']}")
    assert downloaded.status_code == 200 and downloaded.headers["content-type"] == "application/json"
    key = auditor.get("/api/v1/checkpoints/key")
    assert key.status_code == 200 and key.content == public_key_file().read_bytes()
    checked = parse(downloaded.content, key.content)
    assert checked.hash == item["sha256"] and checked.number == 1
    assert auditor.get(f"/api/v1/checkpoints/{item['id']}/timestamp").status_code == 404  # no TSA set
    assert auditor.get("/api/v1/checkpoints/999").status_code == 404
    for other in ("clerk", "supervisor", "admin"):
        assert web.api(other).get("/api/v1/checkpoints").status_code == 403, other
        assert web.api(other).get(f"/api/v1/checkpoints/{item['id']}").status_code == 403, other
    assert web.api(None).get("/api/v1/checkpoints").status_code == 401
    # the auditor's pages link to them
    browser = web.browser("auditor")
    assert 'href="/checkpoints"' in browser.get("/search").text
    page = browser.get("/checkpoints")
    assert page.status_code == 200 and f'href="/api/v1/checkpoints/{item["id"]}"' in page.text
    assert 'href="/checkpoints"' not in web.browser("supervisor").get("/search").text


def test_checkpoint_is_mailed_to_auditors(world: World, cases: Cases, engine: Engine, inbox: Inbox) -> None:
    with Session(engine) as s:
        s.execute(
            update(User).where(col(User.username).in_(["auditor", "clerk"])).values(email="x@example.gov.cn")
        )
        s.execute(update(User).where(col(User.username) == "auditor").values(email="audit@example.gov.cn"))
        s.commit()
    world.session.commit()
    moment = T0 + 3 * DAY
    run_job(engine, JOBS["checkpoint"], moment)
    run, _ = run_job(engine, JOBS["mail"], moment)
    assert run.status == "ok" and run.done == 1
    (message,) = inbox.messages
    assert "audit@example.gov.cn" in str(message["To"])
    assert "证据链检查点第1号" in message["Subject"]
    with Session(engine) as s:
        row = s.exec(select(CheckpointRow)).one()
    assert row.statement in message.get_content()


def test_sweep_runs_the_checkpoint_job(world: World, cases: Cases, db_url: str) -> None:
    moment = (T0 + 3 * DAY).isoformat()
    result = run_cli(world.session, db_url, "sweep", "--now", moment)
    assert result.exit_code == 0, result.output
    assert "checkpoint 1: 2 requests" in flat(result.output)
    result = run_cli(world.session, db_url, "sweep", "--now", moment)
    assert result.exit_code == 0 and "checkpoint 2" not in flat(result.output)
    assert len(world.session.exec(select(CheckpointRow)).all()) == 1
    world.session.commit()
