"""Evidence packages cannot blow up the verifier: a zip bomb is refused from its central directory
before anything is inflated or parsed, and a member whose declared size lies is stopped the moment it
inflates past it, in flat memory and quickly (a subprocess measures its own peak memory).

The bombs are made here with ``zipfile`` writing zeros a megabyte at a time, so the test itself stays
small: 1 GiB of zeros deflates to about 1 MB.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from caseflow.dates import SHANGHAI
from caseflow.evidence.casecheck import PackageProblem
from caseflow.evidence.export import MANIFEST, TAGMANIFEST
from caseflow.evidence.verify import verify_package
from caseflow.evidence.ziplimits import Limits, check_declared
from caseflow.evidence.zipstream import ZipLimit, ZipReader, ZipWriter

ROOT = Path(__file__).resolve().parents[2]
MIB = 1 << 20
BAGIT = b"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n"


def _bag_with(path: Path, member: str, zeros_mib: int, listed_digest: str = "0" * 64) -> Path:
    """A BagIt-shaped zip whose payload is ``member``: ``zeros_mib`` MiB of zeros, deflated."""
    manifest = f"{listed_digest}  {member}\n".encode()
    tags = (
        f"{hashlib.sha256(BAGIT).hexdigest()}  bagit.txt\n"
        f"{hashlib.sha256(manifest).hexdigest()}  {MANIFEST}\n"
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bagit.txt", BAGIT)
        archive.writestr(MANIFEST, manifest)
        archive.writestr(TAGMANIFEST, tags)
        with archive.open(member, "w") as out:
            block = bytes(MIB)
            for _ in range(zeros_mib):
                out.write(block)
    return path


def _declare(path: Path, member: str, size: int) -> None:
    """Patch the uncompressed size ``member`` declares, in its local header and the central directory."""
    data = bytearray(path.read_bytes())
    raw = member.encode()
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    local = info.header_offset
    assert data[local : local + 4] == b"PK\x03\x04"
    struct.pack_into("<L", data, local + 22, size)
    central = data.rfind(b"PK\x01\x02")
    while central >= 0:
        nlen = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46 : central + 46 + nlen]) == raw:
            struct.pack_into("<L", data, central + 24, size)
            break
        central = data.rfind(b"PK\x01\x02", 0, central)
    else:
        raise AssertionError(f"no central directory entry for {member}")
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1 GiB of zeros in one member, about 1 MB on disk."""
    path = _bag_with(tmp_path_factory.mktemp("bomb") / "bomb.zip", "data/bomb.bin", 1024)
    assert path.stat().st_size < 2 * MIB
    return path


@pytest.fixture
def liar(tmp_path: Path) -> Path:
    """64 MiB of zeros in a member that declares 1,000 bytes (within every declared limit)."""
    path = _bag_with(tmp_path / "liar.zip", "data/small.txt", 64)
    _declare(path, "data/small.txt", 1000)
    return path


def _verify_in_subprocess(path: Path) -> dict[str, object]:
    """Verify ``path`` in a fresh interpreter: its message, time and peak memory growth (maxrss)."""
    script = f"""
import json, resource, time
from pathlib import Path
from caseflow.evidence.verify import PackageProblem, verify_package
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.monotonic()
try:
    verify_package(Path({str(path)!r}))
    message = None
except PackageProblem as exc:
    message = str(exc)
seconds = time.monotonic() - start
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"message": message, "seconds": seconds, "grew_kib": after - before}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_a_zip_bomb_is_refused_before_anything_is_inflated(bomb: Path) -> None:
    result = _verify_in_subprocess(bomb)
    message = str(result["message"])
    assert "解压限制" in message and "data/bomb.bin" in message, message
    assert "1073741824" in message  # the declared size, named
    assert float(str(result["seconds"])) < 2.0, result
    assert int(str(result["grew_kib"])) < 20 * 1024, result  # flat: no member was inflated


def test_the_declared_checks_name_each_limit(bomb: Path, tmp_path: Path) -> None:
    with ZipReader(bomb) as archive:
        with pytest.raises(ZipLimit, match="超过单个文件的上限"):
            check_declared(archive)
        with pytest.raises(ZipLimit, match="压缩比为 .*超过上限 100:1"):
            check_declared(archive, Limits(max_member_size=2 << 30))
        with pytest.raises(ZipLimit, match="成员超过 3 个"):
            check_declared(archive, Limits(max_members=3))
        with pytest.raises(ZipLimit, match="总大小超过上限"):
            check_declared(archive, Limits(max_member_size=2 << 30, ratio_floor=2 << 30))
    # a stored member whose declared size differs from what is stored
    stored = tmp_path / "stored.zip"
    with zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("data/a.txt", b"x" * 5000)
    _declare(stored, "data/a.txt", 100)
    with (
        ZipReader(stored) as archive,
        pytest.raises(ZipLimit, match="声明的大小（100）与存储的大小（5000）不一致"),
    ):
        check_declared(archive)


def test_a_member_inflating_past_its_declared_size_is_stopped(liar: Path) -> None:
    with ZipReader(liar) as archive:
        check_declared(archive)  # the lie passes the declared checks...
        entry = next(e for e in archive.entries() if e[0] == "data/small.txt")
        with pytest.raises(ZipLimit, match="解压后超过目录声明的 1000 字节"):
            archive.read(entry)  # ...but inflating stops one byte past what was declared
        produced = 0
        with pytest.raises(ZipLimit, match="解压后超过目录声明的 1000 字节"):
            for chunk in archive.chunks(entry):
                produced += len(chunk)
        assert produced <= 1000
    result = _verify_in_subprocess(liar)
    message = str(result["message"])
    assert "解压后超过目录声明的 1000 字节" in message and "data/small.txt" in message, message
    assert int(str(result["grew_kib"])) < 20 * 1024, result
    assert float(str(result["seconds"])) < 2.0, result


def test_packages_as_exported_are_within_every_limit(tmp_path: Path) -> None:
    """The exporter stores members uncompressed: declared sizes are the stored ones, the total the
    file's own size; 30 MB of members pass (the limits are not about size as such)."""
    path = tmp_path / "stored.zip"
    with ZipWriter(path, dt.datetime(2026, 9, 28, 9, 30, tzinfo=SHANGHAI)) as writer:
        for n in range(3):
            writer.add(f"data/documents/{n:064x}", bytes([n]) * (10 * MIB))
        writer.add("data/case.json", b"{}")
    with ZipReader(path) as archive:
        check_declared(archive)
        sizes = [sum(len(c) for c in archive.chunks(e)) for e in archive.entries()]
    assert sizes == [10 * MIB] * 3 + [2]


def test_verify_package_refuses_a_lying_package_without_a_subprocess(liar: Path) -> None:
    start = time.monotonic()
    with pytest.raises(PackageProblem, match="证据包超出解压限制"):
        verify_package(liar)
    assert time.monotonic() - start < 2.0
