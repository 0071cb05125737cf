"""One request of an evidence package: its chain, its recorded heads, the files its events cite.

``check_case`` is what verification does for each request's folder, given its ``case.json``, its
``events.jsonl`` and the digests of its ``documents/`` and ``letters/``. The chain is checked in
one of two ways with the same outcome:

- ``fast_chain`` reads every line and payload with ``orjson`` (a C parser, stricter than ``json``
  and giving the same values where both read a text) and makes the checks of ``verify_events`` on
  them; anything in doubt (a check that fails, a text ``orjson`` refuses, a redacted event) makes
  it answer ``None``;
- ``exact_chain`` then parses every line and payload with ``json`` and applies
  ``chain.verify_events``, which names the first problem (the database's ``caseflow verify`` uses
  the same function).

A masked package (for external auditors) holds its register events written before the identity
commitment with the number masked and ``"redacted": "identity"``: their payloads no longer hash to
their recorded hashes, so those hashes are taken as recorded (the links to them, the next event's
``prev_hash`` and the recorded heads are still checked) and counted in ``CaseResult.redacted``.

The internal files of a release (``INTERNAL_KINDS``: a released record's original as uploaded and
its PDF conversion) are in a package only when the auditor asked for them: an event citing one that
the package does not hold is no break (the event keeps its hash; the signed manifest shows it was
not exported), it is counted in ``CaseResult.internal_absent``; one the package holds is checked.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import operator
from collections.abc import Mapping
from dataclasses import dataclass

import orjson

from caseflow.evidence.chain import GENESIS, redacted_count, verify_events
from caseflow.release import INTERNAL_KINDS

#: Kinds of files that never leave the office (``caseflow.release``): a released record's original and
#: its PDF conversion. An evidence package holds them only when the auditor asks, flagged internal.
#: What a package's ``case.json`` says of such a file.
INTERNAL_NOTE = "原件，仅供审计，不得对外提供"


class PackageProblem(Exception):
    """The first thing wrong with a package, said precisely."""


@dataclass(slots=True)
class CaseResult:
    tracking: str
    count: int
    head: str
    first: str | None  # earliest and latest event moments (ISO text, as in the payloads)
    last: str | None
    redacted: int = 0  # events whose payload stands redacted (identity), their hashes as recorded
    internal_absent: int = 0  # internal files (INTERNAL_KINDS) cited but not exported, by hash


#: (count, head, first moment, last moment, (seq, documents) of the events that cite documents,
#: events redacted: a masked package's register events written before the identity commitment)
Chain = tuple[int, str, str | None, str | None, list[tuple[int, object]], int]

_loads = orjson.loads
#: an event line as the exporter writes it, and the fields its columns and place repeat in the payload
_LINE_KEYS = {
    "action",
    "actor",
    "from_state",
    "hash",
    "moment",
    "payload",
    "prev_hash",
    "role",
    "seq",
    "to_state",
}
_line_fields = operator.itemgetter("action", "from_state", "to_state", "actor", "role", "moment")
_body_fields = operator.itemgetter(
    "prev_hash", "seq", "case", "action", "from", "to", "actor", "role", "moment"
)


def _cites(documents: object) -> bool:
    """A list of {"kind": str, "sha256": str, ...}?"""
    return isinstance(documents, list) and all(
        isinstance(d, dict) and isinstance(d.get("kind"), str) and isinstance(d.get("sha256"), str)
        for d in documents
    )


_sha256 = hashlib.sha256


@functools.lru_cache(maxsize=256)
def _moment_ok(text: str) -> bool:
    """An ISO moment with its zone (equal texts are then the same moment for ``verify_events``)."""
    try:
        return dt.datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False


def fast_chain(tracking: str, data: bytes | memoryview) -> Chain | None:
    """The chain of ``events.jsonl`` read with ``orjson``, or ``None`` if in doubt.

    ``orjson`` is stricter than ``json`` (no NaN, no lone surrogates, no byte order mark, integers
    of at most 64 bits) and reads anything both accept to the same values, the last of repeated
    keys winning in both; so every check of ``verify_events`` made here on its values holds for
    ``json``'s. Any check that fails, and any event standing redacted, answers ``None``:
    ``exact_chain`` then names the problem in its own words."""
    lines = bytes(data).split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    prev = GENESIS
    first: str | None = None
    last: str | None = None
    cited: list[tuple[int, object]] = []
    loads, sha256 = _loads, _sha256
    try:
        for seq, line in enumerate(lines, 1):
            ev = loads(line)
            if type(ev) is not dict or ev.keys() != _LINE_KEYS:
                return None  # another layout, or a redacted event: the exact check reads it
            payload = ev["payload"]
            if type(payload) is not str or ev["seq"] != seq or ev["prev_hash"] != prev:
                return None
            text = payload.encode()
            if sha256(text).hexdigest() != ev["hash"]:
                return None
            body = loads(text)
            if type(body) is not dict or _body_fields(body) != (prev, seq, tracking, *_line_fields(ev)):
                return None
            moment = body["moment"]
            if type(moment) is not str or not _moment_ok(moment):
                return None
            documents = body.get("documents", [])
            if documents != []:
                cited.append((ev["seq"], documents))
            first = min(first or moment, moment)
            last = max(last or moment, moment)
            prev = ev["hash"]
    except KeyError:  # a field missing from a payload
        return None
    except orjson.JSONDecodeError:
        return None
    return len(lines), prev, first, last, cited, 0


def exact_chain(tracking: str, data: bytes) -> Chain:
    """The chain of ``events.jsonl`` through ``json`` and ``verify_events``; raises the first problem."""
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    events = []
    for n, line in enumerate(lines, 1):
        try:
            event = json.loads(line)
        except ValueError:
            raise PackageProblem(f"{tracking}：events.jsonl 第{n}行不是JSON") from None
        if not isinstance(event, dict):
            raise PackageProblem(f"{tracking}：events.jsonl 第{n}行不是JSON对象")
        events.append(event)
    problem, count, head = verify_events(tracking, events)
    if problem:
        raise PackageProblem(str(problem))
    first: str | None = None
    last: str | None = None
    cited: list[tuple[int, object]] = []
    for event in events:
        body = json.loads(event["payload"])  # an object: verify_events has seen to that
        documents = body.get("documents", [])
        if documents != []:
            cited.append((event["seq"], documents))
        moment = body.get("moment")
        if isinstance(moment, str):
            first = min(first or moment, moment)
            last = max(last or moment, moment)
    return count, head, first, last, cited, redacted_count(events)


def _load(data: bytes | memoryview) -> object:
    """``json.loads(data)``: through ``orjson`` (stricter, the same values when both read it), else
    through ``json`` (which accepts a little more, and says where it fails)."""
    try:
        return _loads(data)
    except orjson.JSONDecodeError:
        pass
    return json.loads(bytes(data))


def _json_error(exc: ValueError) -> str:
    """Why a JSON file could not be read, in Chinese (where in the file, when ``json`` says)."""
    if isinstance(exc, json.JSONDecodeError):
        return f"第{exc.lineno}行第{exc.colno}列不是有效的JSON"
    if isinstance(exc, UnicodeDecodeError):
        return "不是UTF-8编码"
    return "不是有效的JSON"


def check_case(
    folder: str,
    case_json: bytes | memoryview,
    events: bytes | memoryview | None,
    held: Mapping[str, str],
    recorded: Mapping[str, list[str]] | None,
) -> CaseResult:
    """Check one request's folder; ``held`` maps ``documents/SHA`` and ``letters/SHA`` in it to the
    digests of those files, ``recorded`` the chain heads of ``bag-info.txt`` (None: not checked)."""
    where = folder.rsplit("/", 1)[-1]
    try:
        case = _load(case_json)
    except ValueError as exc:
        raise PackageProblem(f"{where}/case.json 无法读取：{_json_error(exc)}") from None
    if not isinstance(case, dict):
        raise PackageProblem(f"{where}/case.json 不是JSON对象")
    tracking = str(case.get("tracking_no", "?"))
    if events is None:
        raise PackageProblem(f"{tracking}：缺少 events.jsonl（证据记录被删除）")
    count, head, first, last, cited, redacted = fast_chain(tracking, events) or exact_chain(
        tracking, bytes(events)
    )
    if recorded is not None and tracking in recorded and recorded[tracking] != [str(count), head]:
        raise PackageProblem(
            f"{tracking}：证据链（{count}条事件，链头 {head[:12]}…）与 bag-info.txt 记载的链头不符"
            "（事件被删除或添加）"
        )
    if (case.get("event_count"), case.get("last_hash")) != (count, head):
        raise PackageProblem(f"{tracking}：case.json 记载的链头与 events.jsonl 不符")
    absent: set[str] = set()
    for seq, documents in cited:
        if not isinstance(documents, list):
            raise PackageProblem(f"{tracking} 第{seq}条事件：事件内容不是事件对象")
        for doc in documents:
            if not _cites([doc]):
                raise PackageProblem(f"{tracking} 第{seq}条事件：所引用的文件缺少类型或哈希值")
            kind, sha = doc["kind"], doc["sha256"]
            digest = held.get(f"{'letters' if kind.startswith('letter.') else 'documents'}/{sha}")
            if digest is None and kind in INTERNAL_KINDS:
                absent.add(sha)  # an original left out of the package (not asked for): not a break
                continue
            if digest is None:
                raise PackageProblem(f"{tracking} 第{seq}条事件：所引用的 {kind} {sha[:12]}… 不在证据包中")
            if digest != sha:
                raise PackageProblem(
                    f"{tracking} 第{seq}条事件：{kind} {sha[:12]}… 与其哈希值不符（文件被改动）"
                )
    return CaseResult(tracking, count, head, first, last, redacted, len(absent))
