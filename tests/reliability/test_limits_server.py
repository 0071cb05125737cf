"""Limits held by a real server (``caseflow serve``, uvicorn on 127.0.0.1), on SQLite and PostgreSQL.

A 30 MB upload sent chunked (``Transfer-Encoding: chunked``, no ``Content-Length``) is refused with
413 once 20 MB have arrived, without the server's memory growing by the upload, and the server
answers afterwards; the access log names paths but never a query string (query codes, search terms).
"""

from __future__ import annotations

import re
import select
import socket
import time
from pathlib import Path

import httpx

from tests.integration.conftest import World
from tests.reliability.conftest import API, Server, new_server

MIB = 1 << 20
LIMIT = 20 * MIB


def _memory_kib(pid: int, field: str) -> int:
    """VmRSS (now) or VmHWM (the peak so far) of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def _send_chunked(
    server: Server, path: str, total: int, headers: dict[str, str], prefix: bytes = b""
) -> tuple[int, bytes, int]:
    """POST ``total`` bytes to ``path`` in 64 KiB chunks (no Content-Length), stopping as soon as
    the server answers; (status, head and body as far as read, bytes sent)."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    head = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}", "Transfer-Encoding: chunked"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    if prefix:
        sock.sendall(b"%x\r\n%s\r\n" % (len(prefix), prefix))
    piece = b"x" * (64 * 1024)
    sent = len(prefix)
    answer = b""
    try:
        while sent < total:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break  # the server has answered (or closed): stop sending
            size = min(len(piece), total - sent)
            sock.sendall(b"%x\r\n%s\r\n" % (size, piece[:size]))
            sent += size
        else:
            sock.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    sock.settimeout(30)
    try:
        while not _complete(answer):
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    except (ConnectionResetError, TimeoutError):
        pass
    sock.close()
    status = re.match(rb"HTTP/1\.1 (\d{3})", answer)
    assert status, f"no HTTP answer after {sent} bytes: {answer[:200]!r}"
    return int(status.group(1)), answer, sent


def _complete(answer: bytes) -> bool:
    head, sep, body = answer.partition(b"\r\n\r\n")
    length = re.search(rb"(?i)content-length: (\d+)", head)
    return bool(sep) and (length is None or len(body) >= int(length.group(1)))


def test_a_chunked_30_mb_upload_is_refused_with_413(
    db_url: str, world: World, tmp_path: Path, servers: list[Server]
) -> None:
    world.session.close()
    server = new_server(db_url, tmp_path / "data", tmp_path, "limits")
    servers.append(server.start())
    assert server.process is not None
    pid = server.process.pid
    resting = _memory_kib(pid, "VmRSS")

    # the API (JSON): the body is read before anything else, counted as it arrives
    status, answer, sent = _send_chunked(
        server, f"{API}/public/status", 30 * MIB, {"Content-Type": "application/json"}
    )
    assert status == 413, answer[:300]
    assert b"application/json" in answer and b"20 MB" in answer
    assert b"x-content-type-options: nosniff" in answer.lower()

    grew = _memory_kib(pid, "VmHWM") - resting
    assert grew < 40 * 1024, f"the server's peak memory grew by {grew} KiB for a refused upload"

    # a page (a form with a file, as the intake and the package check take): the error page; an
    # endless upload is cut off soon after the limit (what was sent beyond it sits in socket buffers)
    part = b'--B\r\nContent-Disposition: form-data; name="package"; filename="p.zip"\r\n\r\n'
    status, answer, sent = _send_chunked(
        server,
        "/login",
        200 * MIB,
        {"Content-Type": "multipart/form-data; boundary=B", "Accept": "text/html"},
        prefix=part,
    )
    assert status == 413, answer[:300]
    assert b"text/html" in answer and "上传的内容超过 20 MB".encode() in answer
    assert sent < 40 * MIB, f"{sent} bytes sent before the refusal"
    assert _memory_kib(pid, "VmHWM") - resting < 40 * 1024  # (a file part is spooled to disk)
    # and it still answers, at once
    started = time.monotonic()
    assert httpx.get(f"{server.base_url}{API}/evidence/public-key", timeout=10).status_code == 200
    assert time.monotonic() - started < 2.0
    # bodies under the limit are still read (a chunked lookup answers as usual)
    small = httpx.post(
        f"{server.base_url}{API}/public/status",
        content=iter([b'{"tracking_no": "CITY-2026-99999", ', b'"code": "ABCDEFGH"}']),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert small.status_code == 404, small.text


def test_the_access_log_shows_no_query_strings(
    db_url: str, world: World, tmp_path: Path, servers: list[Server]
) -> None:
    case = world.new_case()
    world.session.close()
    server = new_server(db_url, tmp_path / "data", tmp_path, "access")
    servers.append(server.start())
    token = server.token("auditor")
    term = "绿化养护合同XYZZY"
    with server.client(token) as auditor:
        assert auditor.get(f"{API}/requests", params={"q": term}).status_code == 200
    with server.client() as anonymous:
        old = anonymous.get(
            f"{API}/public/status", params={"tracking_no": case.tracking_no, "code": case.query_code}
        )
        assert old.status_code == 200  # the deprecated GET still answers
        posted = anonymous.post(
            f"{API}/public/status", json={"tracking_no": case.tracking_no, "code": case.query_code}
        )
        assert posted.status_code == 200 and posted.json()["tracking_no"] == case.tracking_no
        page = anonymous.post(
            "/public/status", data={"tracking_no": case.tracking_no, "code": case.query_code}
        )
        assert page.status_code == 200 and "办理状态" in page.text
        assert anonymous.get("/search", params={"q": term}).status_code in (303, 401)
    time.sleep(0.5)  # the access log is written after each response
    log = server.output()
    assert '"GET /api/v1/requests HTTP/1.1" 200' in log, log[-1500:]
    assert '"GET /api/v1/public/status HTTP/1.1" 200' in log
    assert '"POST /public/status HTTP/1.1" 200' in log
    for secret in (case.query_code, "XYZZY", "%E7%BB%BF", "q=", "code="):
        assert secret not in log, f"{secret!r} in the access log:\n{log[-1500:]}"
