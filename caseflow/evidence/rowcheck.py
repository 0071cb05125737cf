"""A request row compared with what its replayed events say (``caseflow.evidence.replay``).

``compare`` names every field of the row and of its applicant that the events contradict, the
ledger included; ``deadline_findings`` recomputes the deadline fields from the replayed ledger
with ``caseflow.clock``, as ``caseflow.cases.engine.apply_deadline`` does. The applicant's ID number
is compared by one function, ``_id_number_matches`` (its formats belong to ``caseflow.identity``).
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable, Mapping
from typing import Any

from caseflow import clock, identity
from caseflow.calendar import WorkingCalendar
from caseflow.evidence.replay import Expected, Finding, mismatch


def _id_number_matches(applicant: Any, facts: Mapping[str, Any]) -> bool:
    """Does the register event's ``facts`` name the stored applicant's ID number?

    New events carry a keyed commitment (``id_number_hmac``, compared by ``caseflow.identity.matches``)
    and the masked form; events written before carry the number in clear. Either way the stored
    number (encrypted, ``caseflow.identity``) must be the one its commitment column commits to, so
    neither the ciphertext nor the commitment can be swapped alone. Raises ``IdentityKeyError``
    when this installation's identity key cannot decrypt it.
    """
    masked = facts.get("id_number_masked")
    if masked is not None and masked != getattr(applicant, "id_number_masked", masked):
        return False
    keys = identity.load_keys(create=False)
    number = identity.decrypt(applicant.id_number_enc, keys)
    committed = identity.commitment(applicant.id_type, number, keys)
    if not hmac.compare_digest(committed, applicant.id_number_hmac):
        return False
    if "id_number_hmac" in facts:
        return identity.matches(applicant, facts)
    return hmac.compare_digest(number.encode(), str(facts.get("id_number")).encode())


def compare(
    tracking_no: str,
    expected: Expected,
    row: Mapping[str, Any],
    applicant: Any,
    names: Callable[[str, object], object],
) -> list[Finding]:
    """Every field of ``row`` (the request's columns) and ``applicant`` that its events contradict.

    ``names(kind, id)`` turns ``handler_id`` and ``agency_id`` into the username and agency code
    the events record."""
    found = list(expected.findings)
    for name, (value, seq, action) in expected.values.items():
        if name.startswith("applicant."):
            stored = getattr(applicant, name.split(".", 1)[1], None)
        elif name == "handler":
            stored = names("handler", row.get("handler_id"))
        elif name == "agency":
            stored = names("agency", row.get("agency_id"))
        else:
            stored = row.get(name)
        if not _same(stored, value):
            found.append(mismatch(tracking_no, name, seq, action, stored, value))
    facts = expected.register_facts
    if not expected.bulk and ("id_number" in facts or "id_number_hmac" in facts):
        try:
            same = _id_number_matches(applicant, facts)
            note = ""
        except (identity.IdentityKeyError, ValueError) as exc:
            same, note = False, f"无法核对：{exc}"
        if not same:
            found.append(
                mismatch(
                    tracking_no,
                    "applicant.id_number",
                    1,
                    "register",
                    getattr(applicant, "id_number_masked", "（已加密）"),
                    facts.get("id_number_masked", "（登记时的号码）"),
                    note or "库中证件号码与登记事件的承诺值（HMAC）不符",
                )
            )
    ledger = row.get("ledger")
    if ledger != expected.ledger:
        found.append(_ledger_finding(tracking_no, expected, ledger))
    return found


def _same(stored: object, expected: object) -> bool:
    if isinstance(stored, dt.datetime) and isinstance(expected, dt.datetime):
        if stored.tzinfo is None:  # a plain select on SQLite: UTC without its zone
            stored = stored.replace(tzinfo=dt.UTC)
        return stored == expected
    return stored == expected


def _ledger_finding(tracking_no: str, expected: Expected, ledger: object) -> Finding:
    stored = ledger if isinstance(ledger, list) else []
    for i, entry in enumerate(expected.ledger):
        if i >= len(stored) or stored[i] != entry:
            seq, action = expected.ledger_from[i]
            return mismatch(
                tracking_no, f"ledger[{i}]", seq, action, stored[i] if i < len(stored) else None, entry
            )
    seq, action = expected.ledger_set
    extra = stored[len(expected.ledger)] if len(stored) > len(expected.ledger) else ledger
    return mismatch(
        tracking_no,
        f"ledger[{len(expected.ledger)}]",
        seq,
        action,
        extra,
        None,
        "期限台账多出证据链未记载的一项",
    )


#: The request fields ``caseflow.cases.engine.apply_deadline`` derives from the ledger.
DEADLINE_FIELDS = (
    "rules",
    "reply_due",
    "supplement_notice_due",
    "paused",
    "pause_reason",
    "provisional",
    "extension_days",
)


def _deadline(received: dt.date, ledger: list[dict[str, Any]], cal: WorkingCalendar) -> dict[str, object]:
    timeline = clock.Timeline.from_json({"received": received.isoformat(), "events": ledger})
    d = clock.compute(timeline, cal)
    return {
        "rules": d.rules.code,
        "reply_due": d.reply_due,
        "supplement_notice_due": d.supplement_notice_due,
        "paused": d.paused,
        "pause_reason": d.pause_reason,
        "provisional": d.provisional,
        "extension_days": d.extended_days,
    }


def deadline_findings(
    tracking_no: str,
    expected: Expected,
    row: Mapping[str, Any],
    calendar: WorkingCalendar,
    estimate: Callable[[dt.date], WorkingCalendar],
    *,
    deadline: Callable[[dt.date, list[dict[str, Any]], WorkingCalendar], dict[str, object]] | None = None,
) -> list[Finding]:
    """The deadline fields recomputed from the replayed ledger, compared with the row.

    A deadline computed while a year's schedule was only estimated (``provisional``) keeps its
    answer until ``recalculate_deadline`` records the new one (only open requests are recalculated),
    so such a row may also match the calendar as it was before the notices for its years were
    loaded (``estimate(received)``). ``deadline`` computes them (default ``_deadline``; ``dbstream``
    passes one that remembers repeated ledgers).
    """
    compute = deadline or _deadline
    received = expected.values.get("receipt_date", (row.get("receipt_date"), 1, "register"))[0]
    if not isinstance(received, dt.date):
        return []
    seq, action = expected.ledger_set
    try:
        now = compute(received, expected.ledger, calendar)
    except clock.TimelineError as exc:
        return [Finding(tracking_no, "ledger", seq, action, f"证据链记载的期限台账不合法：{exc}")]
    stored = {name: row.get(name) for name in DEADLINE_FIELDS}
    if stored == now:
        return []
    if stored.get("provisional"):
        try:
            if stored == compute(received, expected.ledger, estimate(received)):
                return []
        except clock.TimelineError:
            pass
    return [
        mismatch(
            tracking_no,
            name,
            seq,
            action,
            stored[name],
            now[name],
            "由证据链记载的期限台账按现行日历重算"
            + ("（暂定期限，按推定日历重算亦不符）" if stored.get("provisional") else ""),
        )
        for name in DEADLINE_FIELDS
        if stored[name] != now[name]
    ]
