"""The one-pass check of an evidence package laid out as ``export`` writes it.

The central directory is parsed once, in order: the checks of ``ziplimits`` and of the bag's shape
are made on each entry as it comes, and the payload is checked request folder by request folder
(folders in ascending order, each read as views of the mapped zip, its chain read with ``orjson``).
The manifest and the chain heads of ``bag-info.txt`` are not compared line by line: the lines the
payload calls for (``SHA256  path`` a file, ``Caseflow-Chain-Head: ...`` a request) are hashed in
order and compared with the SHA-256 of the manifest and of the heads' lines in ``bag-info.txt``.

A large package is checked by worker processes (``ProcessPoolExecutor``), a batch of folders each,
their results merged in the order of the package: the same checks, so the same outcome.

Anything irregular (another layout, a declared size over the limits, a problem of the payload or
of a chain) raises ``Irregular``: ``verify`` then makes the indexed check, which names the first
problem in its own words. What this check finds itself is only what the old one-pass check did:
the bag's tag files and signature, checked by ``verify`` after the payload.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from caseflow.evidence import bagfiles
from caseflow.evidence.casecheck import CaseResult, PackageProblem, check_case
from caseflow.evidence.export import BAG_INFO, MANIFEST, SIGNATURE, TAGMANIFEST
from caseflow.evidence.ziplimits import PACKAGE_LIMITS
from caseflow.evidence.zipstream import STORED, Entry, ZipProblem, ZipReader

#: members from which a package is checked by worker processes (and folders in each batch)
PARALLEL_MEMBERS = 16_384
BATCH_FOLDERS = 512
HEAD_LINE = b"Caseflow-Chain-Head:"
LINE_CHUNK = 1 << 16


class Irregular(Exception):
    """Not for the one-pass check: another layout, or a problem the indexed check will name."""


@dataclass
class Summary:
    cases: int = 0
    events: int = 0
    first_moment: str | None = None
    last_moment: str | None = None
    signer: str = ""
    exporter: str = ""
    trusted: bool = False
    redacted: int = 0  # events of a masked package standing redacted (identity), hashes as recorded
    internal_absent: int = 0  # internal files (originals of released records) not exported
    _names: bytearray = field(default_factory=bytearray, repr=False)  # compact: an escaped name a line

    @property
    def tracking_nos(self) -> list[str]:
        """The requests verified, in the order of the package."""
        return [line.decode("unicode_escape") for line in self._names.split(b"\n")[:-1]]

    def add(self, case: CaseResult) -> None:
        self.cases += 1
        self.events += case.count
        self.redacted += case.redacted
        self.internal_absent += case.internal_absent
        self._names += case.tracking.encode("unicode_escape") + b"\n"
        if case.first is not None and (self.first_moment is None or case.first < self.first_moment):
            self.first_moment = case.first
        if case.last is not None and (self.last_moment is None or case.last > self.last_moment):
            self.last_moment = case.last


def place(name: str) -> tuple[str, str | None]:
    """(the request folder a payload file belongs to, its role there: ``case.json``,
    ``events.jsonl``, ``documents/SHA``, ``letters/SHA``, or None for any other file)."""
    folder, _, leaf = name.rpartition("/")
    if leaf == "case.json" or leaf == "events.jsonl":
        return folder, leaf
    parent, _, sub = folder.rpartition("/")
    if parent and (sub == "documents" or sub == "letters"):
        return parent, f"{sub}/{leaf}"
    return folder, None


@dataclass(slots=True)
class Folder:
    name: str
    files: list[tuple[str | None, Entry]] = field(default_factory=list)  # (role, entry)


@dataclass(slots=True)
class Batch:
    """What the folders of a batch call for: manifest lines, chain-head lines, their requests."""

    manifest: bytearray = field(default_factory=bytearray)
    heads: bytearray = field(default_factory=bytearray)
    cases: list[CaseResult] = field(default_factory=list)


@dataclass
class Payload:
    """The one-pass check's findings, for ``verify`` to check the bag's tag files and signature."""

    summary: Summary
    root: dict[str, Entry]
    tags: dict[str, str]
    known: dict[str, str]  # digests of tag files already hashed
    oxum: list[str]
    exporter: list[str]
    files: tuple[int, int]


def check(archive: ZipReader, workers: int | None = None) -> Payload:
    """The payload of ``archive`` checked in one pass; raises ``Irregular`` if not for this check.
    ``workers``: processes to use (None: by the package's size, 0 or 1: this process only)."""
    limits = PACKAGE_LIMITS
    file_size = len(archive.data)
    root: dict[str, Entry] = {}
    summary = Summary()
    manifest_lines, head_lines = hashlib.sha256(), hashlib.sha256()
    count = total = files = 0
    last = ""
    folder: Folder | None = None

    def merge(batch: Batch) -> None:
        manifest_lines.update(batch.manifest)
        head_lines.update(batch.heads)
        for case in batch.cases:
            summary.add(case)

    with _Checker(archive, workers, merge) as checker:
        for entry in archive.entries():
            name, _, _, method, csize, size, _ = entry
            count += 1
            total += size
            if count > limits.max_members or method != STORED or size != csize:
                raise Irregular  # ziplimits names what is over; a compressed member: another layout
            if size > limits.max_member_size or total > file_size:
                raise Irregular
            if name.startswith("/") or (".." in name and ".." in PurePosixPath(name).parts):
                raise Irregular
            top, sep, _ = name.partition("/")
            if not sep:
                if name in root:
                    raise Irregular
                root[name] = entry
                continue
            if top != "data":
                raise Irregular  # a file outside data/ that the tag manifest cannot list
            if name.endswith("/"):
                continue
            at, role = place(name)
            if folder is None or at != folder.name:
                if folder is not None:
                    if at <= last:
                        raise Irregular  # folders out of order: one may come back later
                    checker.add(folder)
                folder, last = Folder(at), at
            folder.files.append((role, entry))
            files += 1
        if folder is not None:
            checker.add(folder)
        checker.finish()
    if not summary.cases or any(n not in root for n in ("bagit.txt", TAGMANIFEST, MANIFEST, BAG_INFO)):
        raise Irregular
    try:
        tags = bagfiles.manifest(archive.read(root[TAGMANIFEST]).split(b"\n"), TAGMANIFEST)
        if any(n not in tags and n not in (TAGMANIFEST, SIGNATURE) for n in root):
            raise Irregular  # a file at the top that the tag manifest does not list
        manifest = hashlib.sha256(archive.view(root[MANIFEST])).hexdigest()
        info_digest, info_heads = hashlib.sha256(), hashlib.sha256()
        oxum: list[str] = []
        exporter: list[str] = []
        for line in _lines(archive, root[BAG_INFO], info_digest):
            key, colon, value = line.partition(b":")
            if not colon or key[:1].isspace():
                if not line.strip():
                    continue
                raise Irregular  # a folded line, or not a tag
            if line.startswith(HEAD_LINE):
                info_heads.update(line + b"\n")
            elif key.strip() == b"Caseflow-Exporter":
                exporter.append(value.decode().strip())
            elif key.strip() == b"Payload-Oxum":
                oxum.append(value.decode().strip())
    except (PackageProblem, UnicodeDecodeError, ZipProblem):
        raise Irregular from None
    if manifest != manifest_lines.hexdigest() or info_heads.digest() != head_lines.digest():
        raise Irregular  # files or requests listed otherwise, or not at all
    known = {MANIFEST: manifest, BAG_INFO: info_digest.hexdigest()}
    size = total - sum(e[5] for e in root.values())  # everything else is in data/
    return Payload(summary, root, tags, known, oxum, exporter, (files, size))


def _lines(archive: ZipReader, entry: Entry, digest: hashlib._Hash) -> Iterator[bytes]:
    """A stored member's lines, hashed on the way, read a small view at a time."""
    view = archive.view(entry)
    pieces = (view[at : at + LINE_CHUNK] for at in range(0, len(view), LINE_CHUNK))
    return bagfiles.lines(pieces, digest)


# --- the folders: in this process, or in worker processes ------------------------------------------


def check_batch(archive: ZipReader, folders: list[Folder]) -> Batch | None:
    """The folders' files hashed and their requests checked; None if anything is irregular."""
    out = Batch()
    try:
        for folder in folders:
            _close(folder, archive, out)
    except (Irregular, PackageProblem, UnicodeDecodeError, ZipProblem):
        return None
    return out


def _close(folder: Folder, archive: ZipReader, out: Batch) -> None:
    sha256 = hashlib.sha256
    case_json = events = None
    held: dict[str, str] = {}
    for role, entry in folder.files:
        view = archive.view(entry)
        digest = sha256(view).hexdigest()
        if role == "case.json" or role == "events.jsonl":
            if (case_json if role == "case.json" else events) is not None:
                raise Irregular
            if role == "case.json":
                case_json = view
            else:
                events = view
        elif role is not None:
            if role in held:
                raise Irregular
            held[role] = digest
        out.manifest += b"%s  %s\n" % (digest.encode(), entry[0].encode())
    if case_json is None:
        return  # not a request's folder: its files are in the manifest, that is all
    case = check_case(folder.name, case_json, events, held, None)
    out.heads += b"%s %s %d %s\n" % (HEAD_LINE, case.tracking.encode(), case.count, case.head.encode())
    out.cases.append(case)


_WORKER: ZipReader | None = None  # the package, mapped once in each worker process


def _open_in_worker(path: str) -> None:
    global _WORKER
    _WORKER = ZipReader(Path(path))


def _in_worker(folders: list[Folder]) -> Batch | None:
    assert _WORKER is not None
    return check_batch(_WORKER, folders)


class _Checker:
    """Folders checked as they come: here, or in batches by worker processes; their results merged
    in the order of the package, as they come (a few batches in flight at most: flat memory)."""

    def __init__(self, archive: ZipReader, workers: int | None, merge: Callable[[Batch], None]) -> None:
        self.archive = archive
        self.merge = merge
        if workers is None:
            cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
            # the main process parses the directory meanwhile: with 2 CPUs, workers measured slower
            workers = min(cpus - 1, 4) if archive.count >= PARALLEL_MEMBERS and cpus > 2 else 0
        if workers > 1 and "fork" not in multiprocessing.get_all_start_methods():
            workers = 0  # a new interpreter per worker costs more than it saves
        if multiprocessing.current_process().daemon:
            workers = 0  # a daemonic process (a multiprocessing.Pool's) may not have children
        self.pool: ProcessPoolExecutor | None = None
        if workers > 1:
            self.pool = ProcessPoolExecutor(
                workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_open_in_worker,
                initargs=(str(archive.path),),
            )
        self.limit = 2 * max(workers, 1)
        self.batch: list[Folder] = []
        self.pending: deque[Future[Batch | None]] = deque()

    def __enter__(self) -> _Checker:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def add(self, folder: Folder) -> None:
        if self.pool is None:
            self._take(check_batch(self.archive, [folder]))
            return
        self.batch.append(folder)
        if len(self.batch) >= BATCH_FOLDERS:
            self._submit()

    def _submit(self) -> None:
        assert self.pool is not None
        if self.batch:
            self.pending.append(self.pool.submit(_in_worker, self.batch))
            self.batch = []
        while len(self.pending) > self.limit:
            self._take(self.pending.popleft().result())

    def _take(self, batch: Batch | None) -> None:
        if batch is None:
            raise Irregular
        self.merge(batch)

    def finish(self) -> None:
        """The last batch submitted, and every result merged, in order."""
        if self.pool is not None:
            self._submit()
            while self.pending:
                self._take(self.pending.popleft().result())
