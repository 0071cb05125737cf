"""A fixed scenario through every kind of transition that writes rows, and a dump of what it wrote.

Used by ``test_write_path_identical.py`` (the write path today against the golden record written by
the code before the lean write path) and run as a script to write that golden record::

    PYTHONPATH=<old checkout> python tests/integration/writepath_scenario.py sqlite:///x.db golden.json

Everything random is fixed: the identity key (a constant test key), the query codes (a counter),
the moments (``now=``). The dump holds what the evidence binds and what a transition writes: every
event (payload and hashes), the request rows, the letters, ``case_document`` and ``document`` rows,
with surrogate ids replaced by what they stand for (a tracking number, an agency code, a username).
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, Table, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # a Monday
KEY_ID = "kgolden1"
#: A constant identity key: the HMAC commitments in the events are then the same on every run.
KEY_DOCUMENT = {
    "format": "caseflow-identity-key/1",
    "current": KEY_ID,
    "commitment": KEY_ID,
    "keys": {KEY_ID: base64.b64encode(bytes(range(32))).decode()},
}
SCAN = b"%PDF-1.4\n% a scanned application form\n" + bytes(range(256)) * 4
PHOTO = b"\x89PNG\r\n\x1a\n" + b"identity card copy " * 64

#: Columns that are not the write path's to decide (surrogate keys, the applicant's ciphertext with
#: its random nonce); the rest is compared.
SKIP = {
    "request": {"id", "agency_id", "applicant_id", "handler_id"},
    "letter": {"id", "case_id", "agency_id"},
    "case_document": {"id", "case_id", "created_at"},
    "evidence_event": {"id", "case_id"},
    "document": {"data", "stored_at", "created_at"},
}


@contextmanager
def fixed_environment(workdir: Path) -> Iterator[None]:
    """The identity key and the data folder under ``workdir``, PDF letters off, query codes counted."""
    from caseflow.calendar import reset_default_calendar
    from caseflow.cases import intake
    from caseflow.settings import get_settings

    key = workdir / "identity.key"
    key.write_text(json.dumps(KEY_DOCUMENT), encoding="utf-8")
    names = ("CASEFLOW_IDENTITY_KEY_FILE", "CASEFLOW_DATA_DIR", "CASEFLOW_LETTER_PDF")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(
        CASEFLOW_IDENTITY_KEY_FILE=str(key), CASEFLOW_DATA_DIR=str(workdir / "data"), CASEFLOW_LETTER_PDF="0"
    )
    get_settings.cache_clear()
    reset_default_calendar()
    codes = itertools.count(1)
    original = intake.new_query_code
    intake.new_query_code = lambda: f"GOLD{next(codes):04d}"
    try:
        yield
    finally:
        intake.new_query_code = original
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()
        reset_default_calendar()


def _world(session: Session) -> dict[str, Any]:
    from caseflow import service
    from caseflow.accounts import create_agency
    from caseflow.models import User

    create_agency(
        session,
        code="city",
        name="某市人民政府办公室",
        letter_prefix="某政办公开",
        review_body="某市人民政府",
        court="某市中级人民法院",
    )
    session.commit()
    for name, roles in (("clerk", "clerk"), ("reviewer", "reviewer"), ("supervisor", "supervisor")):
        session.add(User(username=name, display_name=name, password_hash="x", roles=roles, agency_id=1))
    session.commit()
    return {u.username: service.Actor.of(session, u) for u in session.exec(select(User))}


def _application(name: str, at: dt.datetime) -> dict[str, Any]:
    return {
        "applicant_type": "natural_person",
        "applicant_name": name,
        "id_type": "居民身份证",
        "id_number": "11010119900107123X",
        "phone": "13800000000",
        "address": "某市某区某路1号",
        "description": "2025年本市道路维修工程的预算",
        "provision_form": "electronic",
        "channel": "in_person",
        "arrived_at": at.isoformat(),
    }


def run(engine: Engine) -> None:
    """Three requests through intake (with uploads), supplement, extension, consultation, fee, a
    reviewed and an approved reply with their letters, delivery, a record of looking, withdrawal,
    archiving."""
    from caseflow import service
    from caseflow.cases.upload import Upload
    from caseflow.models import CaseDocument

    with Session(engine, expire_on_commit=False) as session:
        actors = _world(session)
        day = itertools.count(1)

        def at() -> dt.datetime:
            return T0 + dt.timedelta(days=next(day), minutes=7)

        def act(case_id: int, action: str, facts: dict[str, Any] | None = None, who: str = "clerk") -> None:
            service.perform(
                session=session, case_id=case_id, actor=actors[who], action=action, facts=facts, now=at()
            )

        uploads = (
            Upload(kind="application", data=SCAN, media_type="application/pdf", filename="申请表.pdf"),
            Upload(kind="identity", data=PHOTO, media_type="image/png", filename="身份证.png"),
        )
        first = service.register(
            session=session,
            actor=actors["clerk"],
            agency_code="city",
            application=_application("王小明", T0),
            uploads=uploads,
            now=T0,
        )
        second = service.register(
            session=session,
            actor=actors["clerk"],
            agency_code="city",
            application=_application("李四", T0),
            now=T0 + dt.timedelta(minutes=30),
        )
        third = service.register(
            session=session,
            actor=actors["clerk"],
            agency_code="city",
            application=_application("张三", T0),
            now=T0 + dt.timedelta(minutes=45),
        )
        assert first.id and second.id and third.id
        a, b, c = first.id, second.id, third.id
        scan = session.exec(
            select(CaseDocument.id).where(col(CaseDocument.case_id) == a).order_by(col(CaseDocument.id))
        ).first()
        assert scan is not None
        act(a, "view_document", {"document_id": scan})
        act(a, "request_supplement", {"items": ["申请人身份证明复印件", "所需信息的具体名称或文号"]})
        act(a, "receive_supplement", {"summary": "补充了身份证明"})
        act(a, "extend", {"reason": "需要检索多年档案，正常期限内难以答复"}, "supervisor")
        act(
            a,
            "start_consultation",
            {"party_kind": "third_party", "party_name": "某公司", "matters": "商业信息"},
        )
        act(a, "receive_opinion", {"opinion": "consent"})
        act(a, "draft_reply", {"outcome": "withheld.process_info", "reasons": "属于讨论记录，不予公开"})
        act(a, "approve_reply", {"comments": "同意"}, "reviewer")
        act(a, "issue_reply", {})
        act(a, "record_delivery", {"method": "post", "proof": "EMS1234567890CN"})
        act(a, "archive")
        act(b, "assess_fee", {"method": "per_page", "pages": 50})
        act(b, "record_payment", {"payment_ref": "POS-0001"})
        act(b, "draft_reply", {"outcome": "disclosed.provided", "provided": "预算表（电子版）"})
        act(b, "confidentiality_review", {"conclusion": "agree", "comments": "不涉及国家秘密"}, "reviewer")
        act(b, "issue_reply", {})
        act(b, "record_delivery", {"method": "email", "proof": "送达回执"})
        act(c, "withdraw", {"reason": "申请人书面撤回申请"})


def _value(value: Any) -> Any:
    """A column's value as JSON, the same from SQLite and PostgreSQL (moments in UTC)."""
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def dump(engine: Engine) -> dict[str, Any]:
    """What the scenario wrote, keyed by what the rows stand for (never by surrogate ids)."""
    with engine.connect() as conn:
        tracking: dict[int, str] = dict(conn.execute(text("SELECT id, tracking_no FROM request")).all())

        def rows(table: str, order: str) -> list[dict[str, Any]]:
            reflected = Table(table, MetaData(), autoload_with=conn)
            result = conn.execute(sa_select(reflected).order_by(reflected.c[order])).mappings()
            out = []
            for row in result:
                item = {k: _value(v) for k, v in row.items() if k not in SKIP[table]}
                if "case_id" in row:
                    item["case"] = tracking[row["case_id"]]
                out.append(item)
            return out

        requests = rows("request", "tracking_no")
        for item in requests:
            item.pop("id_number_enc", None)
        return {
            "request": requests,
            "evidence_event": sorted(rows("evidence_event", "id"), key=lambda r: (r["case"], r["seq"])),
            "letter": rows("letter", "letter_no"),
            "case_document": sorted(
                rows("case_document", "id"), key=lambda r: (r["case"], r["event_seq"], r["kind"], r["sha256"])
            ),
            "document": rows("document", "sha256"),
        }


def main(url: str, out: str) -> None:
    import tempfile

    from caseflow.db import make_engine, upgrade

    with tempfile.TemporaryDirectory() as tmp, fixed_environment(Path(tmp)):
        upgrade(url)
        engine = make_engine(url)
        run(engine)
        Path(out).write_text(
            json.dumps(dump(engine), ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8"
        )
        engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
