"""RFC 3161 time-stamps on checkpoints, against ``openssl ts`` acting as a local TSA.

The test makes a throwaway CA and a TSA certificate with the openssl command line, serves
``openssl ts -reply`` over HTTP on 127.0.0.1, and checks the stored token with ``openssl ts -verify``
and with rfc3161-client.
"""

from __future__ import annotations

import http.server
import json
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import select

from caseflow.evidence import anchor
from caseflow.evidence.chain import canonical
from caseflow.evidence.timestamp import TimestampProblem, verify_token
from caseflow.models import Checkpoint as CheckpointRow
from caseflow.settings import get_settings
from tests.integration.conftest import World
from tests.integration.test_tamper import Cases, cases, flat, run_cli

__all__ = ["cases"]

OPENSSL = shutil.which("openssl")

TSA_CONFIG = """
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.crt
certs = $dir/tsa.crt
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _openssl(*args: str, cwd: Path) -> None:
    assert OPENSSL is not None
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@dataclass
class Tsa:
    url: str
    dir: Path
    requests: list[bytes]

    @property
    def ca(self) -> Path:
        return self.dir / "ca.crt"


@pytest.fixture
def tsa(tmp_path: Path) -> Iterator[Tsa]:
    if OPENSSL is None:
        pytest.skip("openssl is not installed")
    home = tmp_path / "tsa"
    home.mkdir()
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
        "-subj", "/CN=caseflow test TSA CA", "-days", "2",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=home,
    )  # fmt: skip
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr",
        "-subj", "/CN=caseflow test TSA", cwd=home,
    )  # fmt: skip
    (home / "ext.cnf").write_text(
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n"
    )
    _openssl(
        "x509", "-req", "-in", "tsa.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "tsa.crt", "-days", "2", "-extfile", "ext.cnf", cwd=home,
    )  # fmt: skip
    (home / "serial").write_text("01\n")
    (home / "tsa.cnf").write_text(TSA_CONFIG.format(dir=home))
    seen: list[bytes] = []
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server interface
            query = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                seen.append(query)
                (home / "q.tsq").write_bytes(query)
                _openssl(
                    "ts", "-reply", "-config", "tsa.cnf", "-queryfile", "q.tsq", "-out", "r.tsr", cwd=home
                )
                reply = (home / "r.tsr").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Tsa(f"http://127.0.0.1:{server.server_address[1]}/tsr", home, seen)
    finally:
        server.shutdown()
        server.server_close()


def test_checkpoint_is_time_stamped_by_the_tsa(
    world: World, cases: Cases, db_url: str, tmp_path: Path, tsa: Tsa, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASEFLOW_TSA_URL", tsa.url)
    monkeypatch.setenv("CASEFLOW_TSA_CA_FILE", str(tsa.ca))
    get_settings.cache_clear()
    out = tmp_path / "cp.json"
    result = run_cli(world.session, db_url, "checkpoint", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "已加盖RFC 3161时间戳" in flat(result.output) and len(tsa.requests) == 1

    statement = canonical(json.loads(out.read_text(encoding="utf-8"))["checkpoint"]).encode("utf-8")
    row = world.session.exec(select(CheckpointRow)).one()
    world.session.commit()
    tsr = anchor.directory() / row.file_name.replace(".json", ".tsr")
    assert row.tsa_token is not None and tsr.read_bytes() == row.tsa_token
    # openssl verifies the stored token over the statement's bytes, chained to the CA
    (tmp_path / "statement.bin").write_bytes(statement)
    assert OPENSSL is not None
    checked = subprocess.run(
        [OPENSSL, "ts", "-verify", "-data", str(tmp_path / "statement.bin"), "-in", str(tsr),
         "-CAfile", str(tsa.ca), "-untrusted", str(tsa.dir / "tsa.crt")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert checked.returncode == 0 and "Verification: OK" in checked.stdout, checked.stdout + checked.stderr
    # and so does rfc3161-client; another statement (or another CA) does not verify
    response = verify_token(row.tsa_token, statement, tsa.ca.read_bytes())
    assert response.tst_info.message_imprint.message == bytes.fromhex(row.sha256)
    with pytest.raises(TimestampProblem):
        verify_token(row.tsa_token, statement.replace(b'"number":1', b'"number":2'), tsa.ca.read_bytes())
    with pytest.raises(TimestampProblem):
        verify_token(row.tsa_token, statement, (tsa.dir / "tsa.crt").read_bytes())


def test_an_unreachable_tsa_leaves_the_checkpoint_unstamped(
    world: World, cases: Cases, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("CASEFLOW_TSA_URL", f"http://127.0.0.1:{port}/tsr")
    get_settings.cache_clear()
    result = run_cli(world.session, db_url, "checkpoint", "--out", str(tmp_path / "cp.json"))
    assert result.exit_code == 0, result.output
    assert "未加盖时间戳" in flat(result.output) and "无法访问" in flat(result.output)
    row = world.session.exec(select(CheckpointRow)).one()
    world.session.commit()
    assert row.tsa_token is None and row.number == 1
