"""The zip reader (issue 20): ``caseflow.evidence.zipstream`` against the standard library's ``zipfile``.

An evidence package is built as the evidence benchmark builds it (bulk requests in SQLite, exported
by ``export``), then read both ways, on the same package, in this process, the page cache warm
(one untimed round on each side first), rounds alternating between the two sides, medians of
``ROUNDS``:

- every member read and hashed (SHA-256) once: ``ZipReader`` (the directory parsed in the mapping,
  each stored member hashed as a view of it) against ``zipfile.ZipFile`` (``infolist``, then each
  member through ``ZipFile.open()``, read whole and hashed); opening the archive is in both;
- the whole verification (``verify_package``, one process: no worker processes on either side)
  with its reader, and the same verification reading through ``zipfile`` (an adapter giving the
  verification the same entries, each member read through ``ZipFile.open()``);
- the same read and hash on a package of large members (``LARGE_MEMBERS`` members of
  ``LARGE_MIB`` MiB each, as scans are, written by ``ZipWriter``): where ``zipfile``'s cost per
  member no longer counts, its CRC-32 and its copy of every byte still do;
- the memory of opening the archive and walking its central directory (``tracemalloc`` peak):
  ``zipfile`` keeps a ``ZipInfo`` per member, ``ZipReader`` nothing per member.

Figures: zipstream's rate, its anchor the same work through ``zipfile``; a ratio near 1 (within
10%) would mean ``zipfile`` does as well. ``--quick``: 1,000 requests (full: 10,000). Run it alone
with ``python -m bench.zip_reader_bench [--quick]``, or within ``caseflow bench``.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from bench.common import Figure, restore_env, set_env
from bench.evidence_bench import _measure, _setup
from caseflow.evidence import verify
from caseflow.evidence.zipstream import Entry, ZipReader, ZipWriter

ROUNDS = 7
MIB = 1024 * 1024
LARGE_MEMBERS, LARGE_MIB = 16, 4


class StdlibReader:
    """The reader's interface, as the verification uses it, over ``zipfile.ZipFile``: the same
    entries, every member read through ``ZipFile.open()`` (for the measurement only)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip = zipfile.ZipFile(path)
        self.data = range(path.stat().st_size)  # the verification asks only for its length
        self.count = len(self._zip.infolist())

    def __enter__(self) -> StdlibReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def entries(self) -> Iterator[Entry]:
        for info in self._zip.infolist():
            raw = info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
            yield (
                info.filename,
                raw,
                info.flag_bits,
                info.compress_type,
                info.compress_size,
                info.file_size,
                info.header_offset,
            )

    def read(self, entry: Entry) -> bytes:
        with self._zip.open(entry[0]) as member:
            return member.read()

    def view(self, entry: Entry) -> bytes:
        return self.read(entry)

    def chunks(self, entry: Entry) -> Iterator[bytes]:
        yield self.read(entry)

    def stream(self, entry: Entry) -> Iterator[bytes]:
        return self.chunks(entry)


@contextmanager
def _reading_with(reader: type[ZipReader] | type[StdlibReader]) -> Iterator[None]:
    """``verify_package`` reading through ``reader`` (restored afterwards)."""
    saved = getattr(verify, "ZipReader")  # noqa: B009 (not exported: the module's own reader)
    setattr(verify, "ZipReader", reader)  # noqa: B010 (the measurement swaps the reader only)
    try:
        yield
    finally:
        setattr(verify, "ZipReader", saved)  # noqa: B010


def _hash_zipstream(path: Path) -> int:
    sha256, hashed = hashlib.sha256, 0
    with ZipReader(path) as archive:
        for entry in archive.entries():
            sha256(archive.view(entry)).digest()
            hashed += entry[5]
    return hashed


def _hash_zipfile(path: Path) -> int:
    sha256, hashed = hashlib.sha256, 0
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            with archive.open(info) as member:
                sha256(member.read()).digest()
            hashed += info.file_size
    return hashed


def _verify_zipstream(path: Path) -> int:
    with _reading_with(ZipReader):
        return verify.verify_package(path, workers=0).events


def _verify_zipfile(path: Path) -> int:
    with _reading_with(StdlibReader):
        return verify.verify_package(path, workers=0).events


def _rounds(path: Path, sides: tuple[Callable[[Path], int], Callable[[Path], int]]) -> list[list[float]]:
    """Seconds of ``ROUNDS`` rounds of each side, alternating, after an untimed round of each (warm
    page cache); both sides must give the same answer."""
    answers = {side(path) for side in sides}
    assert len(answers) == 1, answers
    timed: list[list[float]] = [[], []]
    for _ in range(ROUNDS):
        for out, side in zip(timed, sides, strict=True):
            gc.collect()
            start = time.perf_counter()
            side(path)
            out.append(time.perf_counter() - start)
    return timed


def _directory_peak(path: Path, walk: Callable[[Path], int]) -> int:
    """``tracemalloc`` peak of opening ``path`` and walking its central directory."""
    gc.collect()
    tracemalloc.start()
    try:
        walk(path)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _walk_zipstream(path: Path) -> int:
    with ZipReader(path) as archive:
        return sum(1 for _ in archive.entries())


def _walk_zipfile(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return len(archive.infolist())


def build(work: Path, count: int) -> Path:
    """An evidence package of ``count`` bulk requests, built as the evidence benchmark builds it."""
    url = f"sqlite:///{work}/zip-reader.db"
    saved = set_env(CASEFLOW_DATA_DIR=str(work / "data"), CASEFLOW_LETTER_PDF="0", CASEFLOW_DATABASE_URL=url)
    try:
        _setup(url, {"zip": count})
        package = work / "package.zip"
        _measure("export", "zip", str(package), False)
    finally:
        restore_env(saved)
    return package


def build_large(work: Path) -> Path:
    """``LARGE_MEMBERS`` stored members of ``LARGE_MIB`` MiB of pseudo-random bytes (incompressible)."""
    path = work / "large.zip"
    seed = hashlib.sha256(b"zip reader bench").digest()
    with ZipWriter(path, dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC)) as writer:
        for n in range(LARGE_MEMBERS):
            block = hashlib.shake_256(seed + n.to_bytes(4, "big")).digest(LARGE_MIB * MIB)
            writer.add(f"data/documents/{hashlib.sha256(block).hexdigest()}", block)
    return path


def run(quick: bool) -> list[Figure]:
    count = 1_000 if quick else 10_000
    with tempfile.TemporaryDirectory(prefix="caseflow-zip-reader-bench-") as tmp:
        package = build(Path(tmp), count)
        size = package.stat().st_size
        with zipfile.ZipFile(package) as archive:
            members = len(archive.infolist())
        hashed = _rounds(package, (_hash_zipstream, _hash_zipfile))
        verified = _rounds(package, (_verify_zipstream, _verify_zipfile))
        large = build_large(Path(tmp))
        hashed_large = _rounds(large, (_hash_zipstream, _hash_zipfile))
        peaks = [_directory_peak(package, walk) for walk in (_walk_zipstream, _walk_zipfile)]
    hash_s = [statistics.median(r) for r in hashed]
    verify_s = [statistics.median(r) for r in verified]
    large_s = [statistics.median(r) for r in hashed_large]
    what = f"{count:,} requests, {members:,} members, {size / MIB:.1f} MiB"
    note = f"medians of {ROUNDS} rounds, alternating, page cache warm"
    return [
        Figure(
            f"zip reader: read + SHA-256 every member, packages/s ({what})",
            1 / hash_s[0],
            "/s",
            "zipfile: ZipFile.open() per member, read and hashed",
            1 / hash_s[1],
            "ratio > 1.1 keeps zipstream",
            f"{note}; zipstream {hash_s[0] * 1000:.0f} ms, zipfile {hash_s[1] * 1000:.0f} ms",
        ),
        Figure(
            f"zip reader: verify_package (one process), packages/s ({what})",
            1 / verify_s[0],
            "/s",
            "the same verification reading through zipfile.ZipFile.open()",
            1 / verify_s[1],
            "ratio > 1.1 keeps zipstream",
            f"{note}; zipstream {verify_s[0] * 1000:.0f} ms, zipfile {verify_s[1] * 1000:.0f} ms",
        ),
        Figure(
            f"zip reader: read + SHA-256, {LARGE_MEMBERS} members of {LARGE_MIB} MiB, packages/s",
            1 / large_s[0],
            "/s",
            "zipfile: ZipFile.open() per member, read and hashed",
            1 / large_s[1],
            "ratio > 1.1 keeps zipstream",
            f"{note}; zipstream {large_s[0] * 1000:.0f} ms, zipfile {large_s[1] * 1000:.0f} ms",
        ),
        Figure(
            f"zip reader: memory to open and list the directory ({members:,} members)",
            peaks[0] / MIB,
            "MiB",
            "zipfile.ZipFile (a ZipInfo per member)",
            peaks[1] / MIB,
            "ratio < 0.1 (flat, whatever the number of members)",
            f"tracemalloc peaks: zipstream {peaks[0] / 1024:.0f} KiB, zipfile {peaks[1] / 1024:.0f} KiB",
        ),
    ]


def main() -> None:
    for figure in run("--quick" in sys.argv):
        print(json.dumps(figure.to_json(), ensure_ascii=False))


if __name__ == "__main__":
    main()
