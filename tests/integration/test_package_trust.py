"""Evidence packages are trusted by key, not by content (issue 13, item 4).

Anyone can build a package that is intact in itself and sign it with a key of their own: the
public key inside proves nothing about who made it. The auditor's page checks against this
installation's key and names it; the command line without ``--key`` checks integrity only and
says that the signer is not trusted (exit 2 unless ``--allow-untrusted``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from caseflow.evidence import export as evidence_export
from caseflow.evidence.export import Scope, export
from caseflow.evidence.keys import ensure_signing_key, load_public_key, public_key_fingerprint
from caseflow.evidence.trust import UntrustedSigner, embedded_key_id, verify_trusted
from caseflow.evidence.verify import verify_package
from tests.integration.conftest import T0, World
from tests.integration.test_tamper import flat, run_cli
from tests.integration.webapp import Web, serve

DAY = dt.timedelta(days=1)


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch, db_url: str, world: World, engine: Engine) -> Iterator[Web]:
    with serve(monkeypatch, db_url) as application:
        yield Web(application, world, engine)


def _packages(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, str]:
    """(genuine package, the same request exported and signed with another key, that key's id)."""
    ensure_signing_key()
    case = world.new_case()
    case = world.act(case, "extend", {"reason": "需要会商"}, actor="supervisor", at=T0 + DAY)
    genuine = tmp_path / "genuine.zip"
    export(
        session=world.session, actor=world["auditor"], scope=Scope(tracking_no=case.tracking_no), out=genuine
    )
    other = Ed25519PrivateKey.generate()
    other_pub = tmp_path / "other.pub.pem"
    other_pub.write_bytes(
        other.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    forged = tmp_path / "forged.zip"
    with monkeypatch.context() as mp:  # a forger's installation: the same export, their own key
        mp.setattr(evidence_export, "load_private_key", lambda: other)
        mp.setattr(evidence_export, "key_paths", lambda: (tmp_path / "unused", other_pub))
        export(
            session=world.session,
            actor=world["auditor"],
            scope=Scope(tracking_no=case.tracking_no),
            out=forged,
        )
    world.session.commit()
    assert verify_package(forged).cases == 1  # intact in itself: its own key verifies it
    return genuine, forged, public_key_fingerprint(other.public_key())


def _upload(web: Web, package: Path) -> str:
    browser = web.browser("auditor")
    csrf = web.csrf(browser, "/search")
    response = browser.post(
        "/search/verify-package",
        data={"csrf_token": csrf},
        files={"package": ("package.zip", package.read_bytes(), "application/zip")},
    )
    assert response.status_code == 200, response.text
    return str(response.text)


def test_the_page_trusts_only_this_installations_key(
    web: Web, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    genuine, forged, other_id = _packages(web.world, tmp_path, monkeypatch)
    own_id = public_key_fingerprint(load_public_key())
    assert own_id != other_id and embedded_key_id(forged) == other_id

    page = _upload(web, genuine)
    assert "证据包完整：1件申请" in page and f"签名密钥指纹 <code>{own_id}</code>" in page
    assert "本系统的签名密钥验证" in page

    page = _upload(web, forged)
    assert "证据包完整" not in page and 'role="alert"' in page
    assert "证据包不是用受信任的密钥签名的，不予采信" in page
    assert other_id in page and own_id in page


def test_verify_trusted_refuses_another_key(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    genuine, forged, other_id = _packages(world, tmp_path, monkeypatch)
    own_pem = ensure_signing_key()[0].read_bytes()
    summary, key_id = verify_trusted(genuine, own_pem)
    assert summary.trusted and key_id == public_key_fingerprint(load_public_key())
    with pytest.raises(UntrustedSigner) as info:
        verify_trusted(forged, own_pem)
    assert info.value.signer == other_id and info.value.trusted == key_id


def test_cli_without_a_key_checks_integrity_but_does_not_trust(
    world: World, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    genuine, forged, other_id = _packages(world, tmp_path, monkeypatch)
    own = tmp_path / "own.pem"
    own.write_bytes(ensure_signing_key()[0].read_bytes())
    session = world.session

    for package, signer in ((genuine, public_key_fingerprint(load_public_key())), (forged, other_id)):
        result = run_cli(session, db_url, "evidence", "verify", str(package))
        assert result.exit_code == 2, result.output  # intact, but nobody vouches for the signer
        text = flat(result.output)
        assert "证据包完整" in text and "签名人不受信任" in text and signer in text
        result = run_cli(session, db_url, "evidence", "verify", str(package), "--allow-untrusted")
        assert result.exit_code == 0, result.output
        assert "签名人不受信任" in flat(result.output)

    result = run_cli(session, db_url, "evidence", "verify", str(genuine), "--key", str(own))
    assert result.exit_code == 0, result.output
    assert "签名人不受信任" not in flat(result.output) and "签名密钥受信任" in flat(result.output)
    result = run_cli(session, db_url, "evidence", "verify", str(forged), "--key", str(own))
    assert result.exit_code == 1, result.output
    assert "签名tagmanifest-sha256.txt.sig无法用受信任的公钥验证" in "".join(result.output.split())
    assert "证据包完整" not in flat(result.output)
