"""Identity data under PIPL (issue 13 item 6) on SQLite and PostgreSQL.

- a new register event and the database hold no ID number in clear (every text column of every
  table read with plain SQL; the data directory's files too): the applicant row holds it encrypted,
  its keyed commitment and its masked form; the event the commitment and the masked form;
- events written before (the number in clear in the register payload, stored unchanged: hash-
  chained) are masked on output by the events API, and the chain still verifies;
- the masked evidence package verifies (its old register events redacted, their hashes taken as
  recorded, and reported) and holds no clear number anywhere in its bytes; the full one does;
- a redaction marker anywhere but on an identity-masked register event is refused;
- duplicate detection (the fee ordinal) and the disclosure candidates match on the commitment;
- a key rotation keeps old ciphertexts readable and look-ups stable, ``reencrypt`` moves rows to the
  new key; a backup carries the key; ``caseflow init`` creates it (0600);
- migration 0009 seals the numbers of existing rows (and its downgrade restores them).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, col, select
from typer.testing import CliRunner

import caseflow.db
from caseflow import identity, queries
from caseflow.cli import app as cli_app
from caseflow.evidence import chain
from caseflow.evidence.export import Scope, export
from caseflow.evidence.keys import ensure_signing_key, key_paths
from caseflow.evidence.verify import verify_package
from caseflow.models import Agency, Applicant, Case, EvidenceEvent
from caseflow.reports import candidates as candidates_module
from caseflow.settings import get_settings
from tests.conftest import require
from tests.integration.conftest import PG_URL, T0, World, _admin_engine, _postgres_available
from tests.integration.webapp import Web, serve

NUMBER = "110101199001061234"
OTHER = "110101198801194321"
PASSPORT = "E98765432"
DAY = dt.timedelta(days=1)


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch, db_url: str, world: World, engine: Engine) -> Iterator[Web]:
    with serve(monkeypatch, db_url) as application:
        assert isinstance(application, FastAPI)
        yield Web(application, world, engine)


def register_before_commitments(world: World, number: str, **changes: Any) -> Case:
    """A request registered as caseflow did before the identity commitment: the application's
    ``id_number`` in clear in the register event's facts (the event chained as it was then)."""
    real_append = chain.append

    def old_append(session: Session, case: Case, record: chain.EventRecord, moment: dt.datetime) -> str:
        if record.action == "register":
            facts = {k: v for k, v in record.facts.items() if k not in ("id_number_hmac", "id_number_masked")}
            record = dataclasses.replace(record, facts={**facts, "id_number": number})
        return real_append(session, case, record, moment)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(chain, "append", old_append)
        return world.new_case(id_number=number, **changes)


def first_payload(session: Session, case: Case) -> str:
    return session.exec(
        select(EvidenceEvent.payload).where(
            col(EvidenceEvent.case_id) == case.id, col(EvidenceEvent.seq) == 1
        )
    ).one()


def every_stored_text(engine: Engine) -> str:
    """Every value of every table, read with plain SQL, as one text."""
    values: list[str] = []
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                values.extend(str(v) for v in row)
    return "\n".join(values)


# --- what is stored ------------------------------------------------------------------------------


def test_new_register_event_and_database_hold_no_clear_number(
    world: World, engine: Engine, isolated_data_dir: Path
) -> None:
    case = world.new_case(id_number=NUMBER)
    passport = world.new_case(id_type="护照", id_number=PASSPORT, applicant_name="John Smith")
    world.act(case, "add_note", {"text": "核对身份证件"})
    world.session.expire_all()

    payload = first_payload(world.session, case)
    facts = json.loads(payload)["facts"]
    applicant = world.session.get(Applicant, case.applicant_id)
    assert applicant is not None
    assert NUMBER not in payload and "id_number" not in facts
    assert facts["id_number_masked"] == "1101**********1234" == applicant.id_number_masked
    assert facts["id_number_hmac"] == applicant.id_number_hmac == identity.commitment("居民身份证", NUMBER)
    assert facts["id_number_hmac"].startswith("hmac-sha256:")
    assert PASSPORT not in first_payload(world.session, passport)

    stored = every_stored_text(engine)
    assert NUMBER not in stored and PASSPORT not in stored
    assert "1101**********1234" in stored and "E9*****32" in stored  # what is stored is masked
    for path in isolated_data_dir.rglob("*"):  # documents, letters as issued, keys
        if path.is_file():
            data = path.read_bytes()
            assert NUMBER.encode() not in data and PASSPORT.encode() not in data, path
    # the number is there, encrypted with the key outside the database
    assert identity.reveal(applicant) == NUMBER
    assert applicant.id_number_enc.startswith("v1:")
    assert chain.verify_all(world.session) == (2, None)


# --- old payloads on output ----------------------------------------------------------------------


def test_events_api_masks_old_clear_payloads_and_the_chain_still_verifies(web: Web) -> None:
    world = web.world
    old = register_before_commitments(world, NUMBER)
    old = world.act(old, "add_note", {"text": "登记后补充说明"})
    assert old.id is not None
    stored = first_payload(world.session, old)
    assert f'"id_number":"{NUMBER}"' in stored  # as it was written then, and it stays so
    assert chain.verify_all(world.session) == (1, None)

    response = web.api("auditor").get(f"/api/v1/requests/{old.id}/events")
    assert response.status_code == 200
    assert NUMBER not in response.text
    events = response.json()
    first = events[0]
    assert first["redacted"] == "identity" and "redacted" not in events[1]
    assert json.loads(first["payload"])["facts"]["id_number"] == "1101**********1234"
    assert first["hash"] == chain.sha256_hex(stored)  # the stored hash, not the redacted text's
    assert events[1]["prev_hash"] == first["hash"]
    # what the API hands out still verifies: links and later hashes recomputed, the redacted hash
    # taken as recorded
    problem, count, head = chain.verify_events(old.tracking_no, events)
    assert (problem, count, head) == (None, 2, web.case(old.id).last_hash)
    assert chain.redacted_count(events) == 1
    # the page shows the number masked, the stored chain is untouched
    page = web.browser("clerk").get(f"/cases/{old.id}")
    assert page.status_code == 200 and NUMBER not in page.text
    assert first_payload(world.session, old) == stored
    # the replay's question (does this event name this applicant?) for both formats
    applicant = world.session.get(Applicant, old.applicant_id)
    assert applicant is not None
    assert identity.matches(applicant, json.loads(stored)["facts"])
    assert not identity.matches(applicant, {"id_number": OTHER})
    new = world.new_case(id_number=OTHER)
    new_facts = json.loads(first_payload(world.session, new))["facts"]
    assert not identity.matches(applicant, new_facts)
    new_applicant = world.session.get(Applicant, new.applicant_id)
    assert new_applicant is not None and identity.matches(new_applicant, new_facts)


def test_a_redaction_marker_is_accepted_only_on_a_masked_register_event(world: World) -> None:
    old = register_before_commitments(world, NUMBER)
    old = world.act(old, "add_note", {"text": "说明"})
    assert old.id is not None
    events = queries.events(world.session, old.id)
    assert chain.verify_events(old.tracking_no, events)[0] is None

    # a later event marked redacted (its content changed): refused, not taken as recorded
    changed = json.loads(events[1]["payload"])
    changed["facts"] = {"text": "改写的说明"}
    forged = [events[0], {**events[1], "payload": chain.canonical(changed), "redacted": "identity"}]
    problem = chain.verify_events(old.tracking_no, forged)[0]
    assert problem is not None and problem.seq == 2 and "标记为已遮蔽，但不是" in problem.message
    # the register event marked redacted but its number left whole: refused
    body = json.loads(events[0]["payload"])
    body["facts"]["id_number"] = NUMBER
    body["facts"]["id_number_redacted"] = True
    unmasked = [{**events[0], "payload": chain.canonical(body)}, events[1]]
    problem = chain.verify_events(old.tracking_no, unmasked)[0]
    assert problem is not None and problem.seq == 1
    # and without the marker a redacted payload is an edited event
    plain = [{k: v for k, v in events[0].items() if k != "redacted"}, events[1]]
    problem = chain.verify_events(old.tracking_no, plain)[0]
    assert problem is not None and "内容与其哈希值不符（事件被修改）" in problem.message


# --- evidence packages ---------------------------------------------------------------------------


def test_masked_package_verifies_and_holds_no_clear_number(
    world: World, db_url: str, isolated_data_dir: Path, tmp_path: Path
) -> None:
    ensure_signing_key()
    old = register_before_commitments(world, NUMBER)
    world.act(old, "add_note", {"text": "登记后补充说明"})
    world.new_case(id_number=OTHER, at=T0 + DAY)
    auditor, scope = world["auditor"], Scope(agency="city")

    full_zip, masked_zip = tmp_path / "full.zip", tmp_path / "masked.zip"
    export(session=world.session, actor=auditor, scope=scope, out=full_zip)
    export(session=world.session, actor=auditor, scope=scope, out=masked_zip, masked=True)

    full = verify_package(full_zip)
    assert (full.cases, full.redacted) == (2, 0)
    assert NUMBER.encode() in full_zip.read_bytes() and OTHER.encode() in full_zip.read_bytes()
    masked = verify_package(masked_zip, key_paths()[1].read_bytes())
    assert (masked.cases, masked.events, masked.redacted) == (2, full.events + 2, 1)  # + 2 exports
    data = masked_zip.read_bytes()  # members are stored uncompressed: the bytes are the texts
    assert NUMBER.encode() not in data and OTHER.encode() not in data
    assert b"1101**********1234" in data and b"Caseflow-Identity: masked" in data
    assert b"Caseflow-Identity: full" in full_zip.read_bytes()
    # the export records which variant went out
    last = world.session.exec(
        select(EvidenceEvent.payload)
        .where(col(EvidenceEvent.case_id) == old.id)
        .order_by(col(EvidenceEvent.seq).desc())
    ).first()
    assert last is not None and json.loads(last)["facts"]["masked"] is True

    # the command line: --masked, and verification says what it took as recorded
    world.session.rollback()
    out = tmp_path / "cli-masked.zip"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CASEFLOW_DATABASE_URL", db_url)
        get_settings.cache_clear()
        caseflow.db._engine_for.cache_clear()
        try:
            exported = CliRunner().invoke(
                cli_app, ["evidence", "export", "--case", old.tracking_no, "--out", str(out), "--masked"]
            )
            assert exported.exit_code == 0, exported.output
            checked = CliRunner().invoke(
                cli_app, ["evidence", "verify", str(out), "--key", str(key_paths()[1])]
            )
        finally:
            caseflow.db._engine_for(db_url).dispose()
            get_settings.cache_clear()
    assert checked.exit_code == 0, checked.output
    assert "1 events redacted (identity), their hashes taken as recorded" in " ".join(checked.output.split())
    assert NUMBER.encode() not in out.read_bytes()


def test_masked_package_from_the_api(web: Web, tmp_path: Path) -> None:
    old = register_before_commitments(web.world, NUMBER)
    assert old.id is not None
    response = web.api("auditor").post(f"/api/v1/requests/{old.id}/evidence", params={"masked": "true"})
    assert response.status_code == 200, response.text
    assert NUMBER.encode() not in response.content
    package = tmp_path / "masked.zip"
    package.write_bytes(response.content)
    assert verify_package(package).redacted == 1
    # and from the case page: the form's masked variant
    browser = web.browser("auditor")
    csrf = web.csrf(browser, f"/cases/{old.id}")
    page = browser.post(f"/cases/{old.id}/evidence", data={"csrf_token": csrf, "masked": "1"})
    assert page.status_code == 200 and page.content[:2] == b"PK"
    assert NUMBER.encode() not in page.content


# --- look-ups by commitment ----------------------------------------------------------------------


def test_duplicate_applicants_and_candidates_match_on_the_commitment(world: World) -> None:
    description = "申请公开2026年本市道路维修工程的预算"
    one = world.new_case(id_number=NUMBER, description=description)
    again = world.new_case(
        id_number="１１０１０１１９９００１０６１２３４", description=description, at=T0 + DAY
    )
    other = world.new_case(id_number=OTHER, description=description, at=T0 + 2 * DAY)
    rows = {c.id: world.session.get(Applicant, c.applicant_id) for c in (one, again, other)}
    hmacs = {case_id: row.id_number_hmac for case_id, row in rows.items() if row is not None}
    assert hmacs[one.id] == hmacs[again.id] != hmacs[other.id]
    city = world.session.exec(select(Agency).where(col(Agency.code) == "city")).one()
    found = candidates_module.candidates(
        world.session, city, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31)
    )
    assert [(c["requests"], c["applicants"]) for c in found["candidates"]] == [(3, 2)]
    # two requests of one person only: no candidate (Art. 44 is about several applicants)
    assert (
        candidates_module.candidates(world.session, city, start=dt.date(2026, 1, 1), end=(T0 + DAY).date())[
            "candidates"
        ]
        == []
    )


def test_rotation_and_reencryption_keep_numbers_and_look_ups(world: World) -> None:
    before = world.new_case(id_number=NUMBER)
    old_kid = identity.load_keys().current
    new_kid = identity.rotate_key()
    after = world.new_case(id_number=NUMBER, at=T0 + DAY)
    rows = [world.session.get(Applicant, c.applicant_id) for c in (before, after)]
    assert [identity.key_id(r.id_number_enc) for r in rows if r] == [old_kid, new_kid]
    assert identity.reencrypt(world.session) == 1
    world.session.expire_all()
    rows = [world.session.get(Applicant, c.applicant_id) for c in (before, after)]
    assert all(r is not None and identity.key_id(r.id_number_enc) == new_kid for r in rows)
    assert all(r is not None and identity.reveal(r) == NUMBER for r in rows)
    assert rows[0] is not None and rows[1] is not None
    assert rows[0].id_number_hmac == rows[1].id_number_hmac  # look-ups unchanged
    assert identity.reencrypt(world.session) == 0
    assert chain.verify_all(world.session) == (2, None)


def test_backup_holds_the_identity_key(world: World, db_url: str, tmp_path: Path) -> None:
    """Without the key no full number can be read back: a backup must carry it (``keys/``)."""
    import tarfile

    from caseflow.backup import backup

    world.new_case(id_number=NUMBER)
    world.session.rollback()
    archive = tmp_path / "backup.tar"
    backup(db_url, archive)
    with tarfile.open(archive) as tar:
        member = tar.extractfile("data/keys/identity.key")
        assert member is not None and member.read() == identity.key_path().read_bytes()


def test_init_creates_the_identity_key(tmp_path: Path) -> None:
    from tests.integration.test_cli_db import run_cli

    data_dir = tmp_path / "data"
    url = f"sqlite:///{tmp_path / 'init.db'}"
    result = run_cli(url, data_dir, "init", "--admin-password", "a long enough password")
    assert result.exit_code == 0, result.output
    key = data_dir / "keys" / "identity.key"
    assert key.exists() and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "身份证件号码加密密钥已创建" in "".join(result.output.split())
    again = run_cli(url, data_dir, "init", "--admin-password", "a long enough password")
    assert again.exit_code == 0 and "身份证件号码加密密钥已存在" in "".join(again.output.split())


# --- migration 0009 ------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def blank_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no schema) of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    require("PostgreSQL", _postgres_available())
    name = f"cf_identity_{os.getpid()}_{tmp_path.name[-20:]}".lower().replace("-", "_")
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def alembic(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(caseflow.db.migrations_dir()))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def test_migration_0009_seals_existing_numbers(blank_url: str, isolated_data_dir: Path) -> None:
    config = alembic(blank_url)
    command.upgrade(config, "0008")
    engine = create_engine(blank_url)
    people = [
        (1, "居民身份证", NUMBER),
        (2, "护照", PASSPORT),
        (3, "居民身份证", "１１０１０１１９９００１０６１２３４"),
    ]
    with engine.begin() as conn:
        for row_id, id_type, number in people:
            conn.execute(
                text(
                    "INSERT INTO applicant (id, type, name, id_type, id_number, phone, email, address, "
                    "created_at) VALUES (:id, 'natural_person', '王小明', :t, :n, '', '', '', :at)"
                ),
                {"id": row_id, "t": id_type, "n": number, "at": T0},
            )
    command.upgrade(config, "0009")
    with engine.connect() as conn:
        columns = list(conn.execute(text("SELECT * FROM applicant ORDER BY id")).keys())
        rows = conn.execute(
            text("SELECT id_type, id_number_enc, id_number_hmac, id_number_masked FROM applicant ORDER BY id")
        ).all()
        dump = "\n".join(str(v) for row in conn.execute(text("SELECT * FROM applicant")) for v in row)
    assert "id_number" not in columns
    assert NUMBER not in dump and PASSPORT not in dump
    for (_, id_type, number), (stored_type, enc, commitment, masked) in zip(people, rows, strict=True):
        assert stored_type == id_type
        assert identity.decrypt(enc) == number
        assert commitment == identity.commitment(id_type, number)
        assert masked == identity.mask(number)
    assert rows[0][2] == rows[2][2]  # one person, however the digits were typed

    command.downgrade(config, "0008")
    with engine.connect() as conn:
        restored = conn.execute(text("SELECT id_type, id_number FROM applicant ORDER BY id")).all()
    assert [tuple(r) for r in restored] == [(t, n) for _, t, n in people]
    engine.dispose()
