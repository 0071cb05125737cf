"""One request of an evidence package: its chain, its recorded heads, the files its events cite.

``check_case`` is what verification does for each request's folder, given its ``case.json``, its
``events.jsonl`` and the digests of its ``documents/`` and ``letters/``. The chain is checked in
one of two ways with the same outcome:

- ``fast_chain`` reads the lines as the exporter writes them without building a JSON object per
  line: one regular expression for the columns before the payload and one for those after it, the
  payload taken out of its JSON string by replacing ``\\"`` (the only escape it then may hold),
  hashed, and compared with the columns through the canonical form's fixed head and tail; the
  parts in between (basis, documents, facts) are decoded with ``json``'s own scanner (texts already
  seen, such as the same basis again, are remembered), so the payload is still proven to be a JSON
  object with exactly the documented keys. Anything else
  (another layout, escapes, a moment in another zone...) makes it answer ``None``;
- ``exact_chain`` then parses every line and payload with ``json`` and applies
  ``chain.verify_events``, which names the first problem (the database's ``caseflow verify`` uses
  the same function).

A masked package (for external auditors) holds its register events written before the identity
commitment with the number masked and ``"redacted": "identity"``: their payloads no longer hash to
their recorded hashes, so those hashes are taken as recorded (the links to them, the next event's
``prev_hash`` and the recorded heads are still checked) and counted in ``CaseResult.redacted``.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from caseflow.evidence.chain import GENESIS, redacted_count, verify_events


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


#: (count, head, first moment, last moment, (seq, documents) of the events that cite documents,
#: events redacted: a masked package's register events written before the identity commitment)
Chain = tuple[int, str, str | None, str | None, list[tuple[int, object]], int]

# ASCII without '"' and '\' for the machine's words; any text but those and control characters for
# the actor; the hashes are compared with digests and the moment parsed, so they need no more here
_WORD = rb"[ !#-\[\]-~]*"
_HEAD = re.compile(
    rb'\{"action": "(%s)", "actor": "([^"\\\x00-\x1f]*)", "from_state": (null|"%s"), '
    rb'"hash": "(.{64})", "moment": "(%s)", "payload": "' % (_WORD, _WORD, _WORD)
)
_TAIL = re.compile(
    rb'", "prev_hash": "(.{64})", "role": "(%s)", "seq": ([1-9][0-9]*), "to_state": "(%s)"\}' % (_WORD, _WORD)
)
_PLAIN = re.compile(r'[^"\\\x00-\x1f]*')  # a string JSON writes as it is
_PAYLOAD_END = b'", "prev_hash": "'
_NO_DOCUMENTS = b'[],"facts":'
_FACTS = ',"facts":'
_scan = json.JSONDecoder().raw_decode
_sha256 = hashlib.sha256
_values: dict[bytes, None] = {}  # texts known to be one JSON value each (basis and facts repeat)


@functools.lru_cache(maxsize=128)
def _moment_ok(text: bytes) -> bool:
    try:
        return dt.datetime.fromisoformat(text.decode()).tzinfo is not None
    except ValueError:
        return False


def _one_value(text: bytes) -> bool:
    """Is ``text`` exactly one JSON value (as ``json`` reads it)?"""
    if text in _values:
        return True
    try:
        decoded = text.decode()
        if _scan(decoded, 0)[1] != len(decoded):
            return False
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    if len(_values) >= 128:
        _values.clear()
    _values[text] = None
    return True


def _cites(documents: object) -> bool:
    """A list of {"kind": str, "sha256": str, ...}?"""
    return isinstance(documents, list) and all(
        isinstance(d, dict) and isinstance(d.get("kind"), str) and isinstance(d.get("sha256"), str)
        for d in documents
    )


def fast_chain(tracking: str, data: bytes) -> Chain | None:
    """The chain of ``events.jsonl`` as written by the exporter, or ``None`` if in doubt."""
    if not data.endswith(b"\n") or b"\t" in data or b"\r" in data:
        return None  # JSON's other white space: not in the canonical form, nor in its lines
    quoted = f'"{tracking}"' if _PLAIN.fullmatch(tracking) else json.dumps(tracking, ensure_ascii=False)
    case_key = f',"case":{quoted},"documents":'.encode()
    prev = GENESIS.encode()
    first = last = b""
    cited: list[tuple[int, object]] = []
    lines = data.split(b"\n")
    lines.pop()
    for seq, line in enumerate(lines, 1):
        head = _HEAD.match(line)
        if head is None:
            return None
        start = head.end()
        end = line.rfind(_PAYLOAD_END, start)
        tail = _TAIL.fullmatch(line, end) if end >= 0 else None
        if tail is None:
            return None
        escaped = line[start:end]
        payload = escaped.replace(b'\\"', b'"')
        if b"\\" in payload or payload.count(b'"') != len(escaped) - len(payload):
            return None  # another escape, or a quote that would end the string
        action, actor, from_state, digest, moment = head.groups()
        prev_hash, role, seq_text, to_state = tail.groups()
        if prev_hash != prev or int(seq_text) != seq or _sha256(payload).hexdigest().encode() != digest:
            return None
        if not actor.isascii() and not _one_value(b'"%s"' % actor):
            return None  # not UTF-8
        # the canonical form: {"action","actor","basis","case","documents","facts",<fixed tail>}
        fixed_head = b'{"action":"%s","actor":"%s","basis":' % (action, actor)
        fixed_tail = b',"from":%s,"moment":"%s","prev_hash":"%s","role":"%s","seq":%s,"to":"%s","v":1}' % (
            from_state, moment, prev_hash, role, seq_text, to_state,
        )  # fmt: skip
        if not (payload.startswith(fixed_head) and payload.endswith(fixed_tail) and _moment_ok(moment)):
            return None
        basis_at, facts_end = len(fixed_head), len(payload) - len(fixed_tail)
        at = payload.find(case_key, basis_at, facts_end)
        if at < 0 or not _one_value(payload[basis_at:at]):
            return None
        at += len(case_key)
        if payload.startswith(_NO_DOCUMENTS, at):
            facts = payload[at + len(_NO_DOCUMENTS) : facts_end]
        else:
            try:
                rest = payload[at:facts_end].decode()
                documents, end = _scan(rest, 0)
            except ValueError:  # not UTF-8, or not JSON
                return None
            if not rest.startswith(_FACTS, end) or not _cites(documents):
                return None
            cited.append((seq, documents))
            facts = rest[end + len(_FACTS) :].encode()
        if not _one_value(facts):
            return None
        if not first or moment < first:
            first = moment
        if moment > last:
            last = moment
        prev = digest
    return len(lines), prev.decode(), first.decode(), last.decode(), cited, 0


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


def _load(data: bytes) -> object:
    """``json.loads(data)``, a little faster for a file that is one UTF-8 JSON object."""
    try:
        text = data.decode()
        if text.startswith("{"):
            value, end = _scan(text, 0)
            if not text[end:].strip(" \t\n\r"):
                return value
    except ValueError:
        pass
    return json.loads(data)


def _json_error(exc: ValueError) -> str:
    """Why a JSON file could not be read, in Chinese (where in the file, when ``json`` says)."""
    if isinstance(exc, json.JSONDecodeError):
        return f"第{exc.lineno}行第{exc.colno}列不是有效的JSON"
    if isinstance(exc, UnicodeDecodeError):
        return "不是UTF-8编码"
    return "不是有效的JSON"


def check_case(
    folder: str,
    case_json: bytes,
    events: bytes | None,
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
    count, head, first, last, cited, redacted = fast_chain(tracking, events) or exact_chain(tracking, events)
    if recorded is not None and tracking in recorded and recorded[tracking] != [str(count), head]:
        raise PackageProblem(
            f"{tracking}：证据链（{count}条事件，链头 {head[:12]}…）与 bag-info.txt 记载的链头不符"
            "（事件被删除或添加）"
        )
    if (case.get("event_count"), case.get("last_hash")) != (count, head):
        raise PackageProblem(f"{tracking}：case.json 记载的链头与 events.jsonl 不符")
    for seq, documents in cited:
        if not isinstance(documents, list):
            raise PackageProblem(f"{tracking} 第{seq}条事件：事件内容不是事件对象")
        for doc in documents:
            if not _cites([doc]):
                raise PackageProblem(f"{tracking} 第{seq}条事件：所引用的文件缺少类型或哈希值")
            kind, sha = doc["kind"], doc["sha256"]
            digest = held.get(f"{'letters' if kind.startswith('letter.') else 'documents'}/{sha}")
            if digest is None:
                raise PackageProblem(f"{tracking} 第{seq}条事件：所引用的 {kind} {sha[:12]}… 不在证据包中")
            if digest != sha:
                raise PackageProblem(
                    f"{tracking} 第{seq}条事件：{kind} {sha[:12]}… 与其哈希值不符（文件被改动）"
                )
    return CaseResult(tracking, count, head, first, last, redacted)
