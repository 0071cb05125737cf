"""The web application under test, pointed at the test's database (shared by the API, page and
permission tests).

``serve(monkeypatch, db_url)`` builds ``caseflow.api.main.create_app()`` against the per-test database of
``tests/integration/conftest.py``; ``Web`` signs users of the ``world`` fixture in by bearer token (API)
or by the login form (pages) and reads the CSRF token of a page. The failed-sign-in counts
and the public-status rate limit are emptied around every use so that tests stay fast and
independent.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, func, select

import caseflow.db
from caseflow.dates import SHANGHAI
from caseflow.evidence.keys import ensure_signing_key
from caseflow.models import Case, EvidenceEvent, Letter, LoginAttempt
from caseflow.settings import get_settings
from tests.integration.conftest import World

PASSWORD = "correct horse battery"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([0-9a-f]*)"')


def reset_limits() -> None:
    """Forget failed sign-ins and the portal's rate-limit counts (rows in the test's database)."""
    from caseflow import ratelimit

    with Session(caseflow.db.get_engine()) as session:
        session.execute(delete(LoginAttempt))
        session.commit()
    ratelimit.reset(caseflow.db.get_engine())


@contextmanager
def serve(monkeypatch: pytest.MonkeyPatch, db_url: str) -> Iterator[FastAPI]:
    """A fresh application whose settings and engine point at ``db_url``, in an installation with
    its signing key (as ``caseflow init`` leaves it; the data directory is the test's own)."""
    import caseflow.api.main

    monkeypatch.setenv("CASEFLOW_DATABASE_URL", db_url)
    get_settings.cache_clear()
    caseflow.db._engine_for.cache_clear()
    ensure_signing_key()
    reset_limits()
    try:
        yield caseflow.api.main.create_app()
    finally:
        caseflow.db._engine_for(db_url).dispose()
        caseflow.db._engine_for.cache_clear()
        get_settings.cache_clear()
        reset_limits()


@dataclass
class Web:
    """Clients of one application for the users of ``world``."""

    app: FastAPI
    world: World
    engine: Engine
    #: False: a server error is answered 500 (to be reported) rather than raised in the test.
    raise_server_exceptions: bool = True
    _tokens: dict[str, str] = field(default_factory=dict)

    # --- clients ---------------------------------------------------------------------------

    def client(self, **kwargs: Any) -> TestClient:
        kwargs.setdefault("follow_redirects", False)
        kwargs.setdefault("raise_server_exceptions", self.raise_server_exceptions)
        return TestClient(self.app, **kwargs)

    def token(self, username: str) -> str:
        if username not in self._tokens:
            response = self.client().post(
                "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            self._tokens[username] = response.json()["access_token"]
        return self._tokens[username]

    def api(self, username: str | None) -> TestClient:
        """A client calling the API as ``username`` (bearer token), or anonymously (None)."""
        client = self.client()
        if username is not None:
            client.headers["Authorization"] = f"Bearer {self.token(username)}"
        return client

    def browser(self, username: str | None) -> TestClient:
        """A client signed in through the login form (the session cookie kept), or anonymous."""
        client = self.client()
        if username is not None:
            response = client.post("/login", data={"username": username, "password": PASSWORD, "next": "/"})
            assert response.status_code == 303, response.text
        return client

    @staticmethod
    def csrf(client: TestClient, path: str = "/login") -> str:
        """The CSRF token of the signed-in session, from the hidden input of a page."""
        response = client.get(path)
        found = CSRF_INPUT.search(response.text)
        assert found and found.group(1), f"no csrf_token on {path}: {response.status_code}"
        return found.group(1)

    # --- the database, read afresh ----------------------------------------------------------

    def count(self, model: type[Any], *where: Any) -> int:
        with Session(self.engine) as s:
            return int(s.exec(select(func.count()).select_from(model).where(*where)).one())

    def requests(self) -> int:
        return self.count(Case)

    def events(self, case_id: int) -> int:
        return self.count(EvidenceEvent, col(EvidenceEvent.case_id) == case_id)

    def case(self, case_id: int) -> Case:
        with Session(self.engine, expire_on_commit=False) as s:
            found = s.get(Case, case_id)
            assert found is not None
            return found

    def letters(self, case_id: int) -> list[Letter]:
        with Session(self.engine) as s:
            return list(s.exec(select(Letter).where(col(Letter.case_id) == case_id).order_by(col(Letter.id))))


def now_moment(hours_ago: float = 1) -> dt.datetime:
    """A moment shortly before now in Asia/Shanghai (for applications registered "today")."""
    return dt.datetime.now(SHANGHAI) - dt.timedelta(hours=hours_ago)


def application(**changes: Any) -> dict[str, Any]:
    """A complete Art. 29 application as the API takes it (in person, arrived an hour ago)."""
    body: dict[str, Any] = {
        "applicant_type": "natural_person",
        "applicant_name": "李四",
        "id_type": "居民身份证",
        "id_number": "110101199001061234",
        "phone": "13912345678",
        "email": "lisi@example.cn",
        "address": "某市某区某路1号",
        "description": "2025年本市公园绿化养护合同",
        "provision_form": "electronic",
        "channel": "in_person",
        "arrived_at": now_moment().isoformat(),
    }
    body.update(changes)
    return body
