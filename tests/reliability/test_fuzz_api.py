"""API fuzzing: schemathesis against the application's own OpenAPI description (``/openapi.json``).

Every operation is called as each role (a bearer token of the demo user of that role) and
anonymously, with generated input, valid and invalid (schemathesis' examples, coverage and fuzzing
phases, bounded by ``MAX_EXAMPLES``), against a real SQLite database holding the demo data. Every
response must pass schemathesis' checks: no 5xx, a documented status code and content type, a body
that matches its schema, invalid input refused, the ``Allow`` header of a 405 complete.

Valid ids in the path are mostly replaced by ids that exist (requests, letters, notifications) and
action names by the state machine's, so that the fuzzing reaches real requests and not only 404s.

What schema-valid input the application may still refuse with a 422 is its business rules (an
application needs a contact, facts must fit their action); for the two operations that carry them,
``positive_data_acceptance`` is not checked (every other check still is).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import delete, text

import caseflow.api.main
import caseflow.db
from caseflow import ratelimit
from caseflow.calendar import reset_default_calendar
from caseflow.demo_data import DEFAULT_PASSWORD, ROLE_USERS, build_demo
from caseflow.evidence.keys import ensure_signing_key
from caseflow.models import LoginAttempt
from caseflow.settings import get_settings
from caseflow.states.actions import ACTIONS

MAX_EXAMPLES = 20
ROLES = (*(username for username, _name, _roles in ROLE_USERS), "anonymous")
#: Operations whose schema-valid bodies may break a business rule (answered 422 by design).
BUSINESS_RULES = {
    ("POST", "/api/v1/requests"),
    ("POST", "/api/v1/requests/{case_id}/actions/{action}"),
    # an online application: the same rules as a request's (ID check digits, a contact, a known agency)
    ("POST", "/api/v1/public/applications"),
    # a user name taken, or clerk and reviewer together without an exception reason (issue 13, item 8)
    ("POST", "/api/v1/admin/users"),
    ("PUT", "/api/v1/admin/users/{username}/roles"),
    # a page cursor is a token the API handed out: one naming no page (2026-02-30) is refused (422)
    ("GET", "/api/v1/requests"),
}
MAX_ID = 2_147_483_647

APP: FastAPI = caseflow.api.main.create_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@dataclass
class Deployment:
    url: str
    #: Existing ids per path parameter (filled once the demo data is built).
    ids: dict[str, list[int]] = field(default_factory=dict)


KNOWN = Deployment(url="")


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    """A valid generated id becomes, mostly, one that exists (an action name, mostly a real one);
    invalid generated values are kept as they are (they test the refusal)."""
    if not path_parameters:
        return st.just(path_parameters)
    choices: dict[str, Any] = {}
    for name, value in path_parameters.items():
        if name == "action" and isinstance(value, str):
            choices[name] = st.sampled_from([value, *ACTIONS])
        elif KNOWN.ids.get(name) and isinstance(value, int) and 1 <= value <= MAX_ID:
            choices[name] = st.sampled_from([value, *KNOWN.ids[name]])
        else:
            choices[name] = st.just(value)
    return st.fixed_dictionaries(choices)


def _forget() -> None:
    get_settings.cache_clear()
    caseflow.db._engine_for.cache_clear()
    reset_default_calendar()


@pytest.fixture(scope="session")
def _installation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A SQLite installation with the demo data (30 requests in every state), built once per test
    process: the fuzzing's tests are spread over the processes one by one, not as one module."""
    root = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{root / 'caseflow.db'}"
    with _installed(url, root / "data"):
        caseflow.db.upgrade()
        ensure_signing_key()
        with caseflow.db.session_scope() as session:
            build_demo(session, cases=30, seed=11)
            for name, table in (
                ("case_id", "request"),
                ("letter_id", "letter"),
                ("notification_id", "notification"),
            ):
                try:
                    rows = session.execute(text(f"SELECT id FROM {table} ORDER BY id LIMIT 40"))
                    KNOWN.ids[name] = [int(r[0]) for r in rows]
                except Exception:  # noqa: BLE001 - a table this installation does not have
                    session.rollback()
    KNOWN.url = url
    yield url, root / "data"
    KNOWN.ids.clear()


@contextmanager
def _installed(url: str, data_dir: Path) -> Iterator[None]:
    """The settings naming the installation while the block runs; nothing of it kept after."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CASEFLOW_DATABASE_URL", url)
        mp.setenv("CASEFLOW_DATA_DIR", str(data_dir))
        _forget()
        try:
            yield
        finally:
            caseflow.db._engine_for(url).dispose()
            _forget()


@pytest.fixture
def deployment(_installation: tuple[str, Path]) -> Iterator[Deployment]:
    """The installation, served by ``APP`` for one test."""
    with _installed(*_installation):
        yield KNOWN


def _reset_limits() -> None:
    """The sign-in limits and the status rate limit are tested elsewhere; here they would only make
    the run slow (and every 429 is documented anyway)."""
    with caseflow.db.session_scope() as session:
        session.execute(delete(LoginAttempt))
        session.commit()
    ratelimit.reset(caseflow.db.get_engine())


@pytest.fixture
def headers(deployment: Deployment, role: str) -> dict[str, str]:
    """A fresh token of the role's demo user (the fuzzing may revoke it: DELETE /auth/token)."""
    if role == "anonymous":
        return {}
    _reset_limits()
    response = TestClient(APP).post(
        "/api/v1/auth/token", data={"username": role, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@schema.parametrize()
@pytest.mark.parametrize("role", ROLES)
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_api_conforms_to_its_openapi(case: Any, role: str, headers: dict[str, str]) -> None:
    _reset_limits()
    excluded = []
    if (case.method.upper(), case.path) in BUSINESS_RULES:
        excluded.append(schemathesis.checks.positive_data_acceptance)
    case.call_and_validate(headers=headers, excluded_checks=excluded)


def test_the_fuzzing_reaches_real_requests(deployment: Deployment) -> None:
    """The ids the fuzzing draws from exist: without them it would only ever see 404s."""
    assert len(deployment.ids["case_id"]) >= 20 and deployment.ids["letter_id"]
    with TestClient(APP) as client:
        token = client.post("/api/v1/auth/token", data={"username": "clerk", "password": DEFAULT_PASSWORD})
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        found = client.get(f"/api/v1/requests/{deployment.ids['case_id'][0]}", headers=auth)
        assert found.status_code == 200, found.text
