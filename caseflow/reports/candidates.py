"""Candidates for proactive disclosure (Regulation Art. 44): information that several applicants asked
the same agency for, found by comparing what the requests describe, near-duplicates included.

Descriptions are normalised (full-width to half-width, case, punctuation and whitespace dropped, the
stock phrases of applications such as "申请公开" or "请提供" removed) and compared as sets of
character bigrams (Chinese has no spaces to split words on). Identical wordings count once. Within
one agency and the years a description names (a 2024 budget is not the 2025 budget), wordings are
grouped in one pass, oldest first: each joins the most similar earlier group leader whose Jaccard
similarity reaches the threshold (default 0.5), or leads a group of its own. Leaders are found by
prefix filtering (only leaders sharing one of the wording's rarest bigrams are compared), so the
work grows with the groups, not with the square of the requests. A group is a candidate when it
comes from at least ``min_applicants`` different applicants (by identity document). Whether its
information was disclosed is shown with it: Art. 44 is about information that can be disclosed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from caseflow import law
from caseflow.errors import FactsError
from caseflow.models import Agency, Applicant, Case
from caseflow.reports.scope import agency_condition

#: Phrases every application uses, which say nothing about the information (longest first).
STOCK_PHRASES: tuple[str, ...] = tuple(
    sorted(
        (
            "依申请公开",
            "本人申请公开",
            "申请公开",
            "请求公开",
            "要求公开",
            "请予公开",
            "希望公开",
            "申请获取",
            "申请提供",
            "请提供",
            "请公开",
            "政府信息",
            "相关信息",
            "有关信息",
            "相关",
            "有关",
            "关于",
            "具体",
            "全部",
            "的",
        ),
        key=len,
        reverse=True,
    )
)
YEARS = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
#: At most this many requests are compared in one call (the most recent ones).
MAX_REQUESTS = 50_000
CASES_LISTED = 50


def normalize(text: str) -> str:
    """What a description says, without form, punctuation or stock phrases."""
    folded = unicodedata.normalize("NFKC", text).lower()
    kept = "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PSZC")
    for phrase in STOCK_PHRASES:
        kept = kept.replace(phrase, "")
    return kept


def shingles(normalized: str) -> frozenset[str]:
    """Character bigrams (the text itself when it is a single character)."""
    if len(normalized) < 2:
        return frozenset({normalized}) if normalized else frozenset()
    return frozenset(normalized[i : i + 2] for i in range(len(normalized) - 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _prefix(tokens: frozenset[str], threshold: float, frequency: Counter[str]) -> list[str]:
    """The rarest |S| - ceil(t|S|) + 1 tokens: two sets with Jaccard >= t share one of them."""
    ordered = sorted(tokens, key=lambda t: (frequency[t], t))
    return ordered[: len(tokens) - math.ceil(threshold * len(tokens)) + 1]


def cluster(sets: list[frozenset[str]], threshold: float) -> list[int]:
    """Each set's group, as the index of the group's first set (its leader).

    One pass in order: a set joins the most similar earlier leader with Jaccard >= ``threshold``,
    or leads a new group. Only leaders are indexed (by their prefix tokens, prefix filtering), so
    a set is compared with the few leaders sharing a rare token with it, never with every set:
    a thousand copies of one request cost a thousand comparisons, not half a million.
    """
    frequency: Counter[str] = Counter(token for s in sets for token in s)
    index: dict[str, list[int]] = defaultdict(list)
    leader = list(range(len(sets)))
    for j, s in enumerate(sets):
        if not s:
            continue
        prefix = _prefix(s, threshold, frequency)
        best, best_value = None, threshold
        for i in {i for token in prefix for i in index.get(token, ())}:
            other = sets[i]
            if threshold * len(s) <= len(other) <= len(s) / threshold:
                value = jaccard(other, s)
                if value > best_value or (value == best_value and (best is None or i < best)):
                    best, best_value = i, value
        if best is None:
            for token in prefix:
                index[token].append(j)
        else:
            leader[j] = best
    return leader


def candidates(
    session: Session,
    agency: Agency,
    *,
    start: dt.date,
    end: dt.date,
    subtree: bool = True,
    min_applicants: int = 2,
    threshold: float = 0.5,
) -> dict[str, Any]:
    """Groups of requests received in [start, end] asking one agency for the same information."""
    if not 0.1 <= threshold <= 1.0:
        raise FactsError([("threshold", "相似度阈值须在0.1至1.0之间")])
    if min_applicants < 2:
        basis = law.PROACTIVE_DISCLOSURE_BASIS.label
        raise FactsError([("min_applicants", f"至少为2（{basis}针对多个申请人申请公开相同政府信息的情形）")])
    rows = session.execute(
        sa_select(
            col(Case.id),
            col(Case.tracking_no),
            col(Case.receipt_date),
            col(Case.outcome),
            col(Case.description),
            col(Agency.code),
            col(Agency.name),
            col(Applicant.id_number_hmac),
        )
        .select_from(Case)
        .join(Applicant, col(Applicant.id) == col(Case.applicant_id))
        .join(Agency, col(Agency.id) == col(Case.agency_id))
        .where(agency_condition(agency, subtree), col(Case.receipt_date).between(start, end))
        .order_by(col(Case.receipt_date).desc(), col(Case.id).desc())
        .limit(MAX_REQUESTS + 1)
    ).all()
    truncated = len(rows) > MAX_REQUESTS
    rows = rows[:MAX_REQUESTS][::-1]  # oldest first: a group is led by its earliest wording
    texts = [normalize(r.description) for r in rows]
    # Identical wordings are one item; items are compared within an agency and the years they name.
    items: dict[tuple[str, str, frozenset[str]], list[int]] = defaultdict(list)
    for i, (row, text) in enumerate(zip(rows, texts, strict=True)):
        years = frozenset(YEARS.findall(unicodedata.normalize("NFKC", row.description)))
        items[(row.code, text, years)].append(i)
    buckets: dict[tuple[str, frozenset[str]], list[tuple[str, list[int]]]] = defaultdict(list)
    for (code, text, years), positions in items.items():
        buckets[(code, years)].append((text, positions))
    sets = [shingles(t) for t in texts]
    found = []
    for members in buckets.values():
        leaders = cluster([shingles(text) for text, _ in members], threshold)
        groups: dict[int, list[int]] = defaultdict(list)
        for n, (_, positions) in enumerate(members):
            groups[leaders[n]].extend(positions)
        for lead, positions in groups.items():
            people = {rows[i].id_number_hmac for i in positions}  # keyed commitments, never numbers
            if len(people) >= min_applicants:
                found.append(
                    _candidate(rows, texts, sets, sorted(positions), members[lead][1][0], len(people))
                )
    found.sort(key=lambda c: (not c["disclosable"], -c["applicants"], -c["requests"], c["description"]))
    return {
        "agency": agency.code,
        "agency_name": agency.name,
        "subtree": subtree,
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "min_applicants": min_applicants,
        "threshold": threshold,
        "requests_compared": len(rows),
        "truncated": truncated,
        "basis": law.PROACTIVE_DISCLOSURE_BASIS.label,
        "candidates": found,
    }


def _candidate(
    rows: Any,
    texts: list[str],
    sets: list[frozenset[str]],
    positions: list[int],
    anchor: int,
    applicants: int,
) -> dict[str, Any]:
    """One group: its leading wording (the earliest request using it) and its requests."""
    outcomes = Counter(rows[i].outcome or "open" for i in positions)
    groups = {law.OUTCOMES_BY_CODE[o].group for o in outcomes if o in law.OUTCOMES_BY_CODE}
    ordered = sorted(positions, key=lambda i: (rows[i].receipt_date, rows[i].id))
    return {
        "agency": rows[anchor].code,
        "agency_name": rows[anchor].name,
        "description": rows[anchor].description,
        "requests": len(positions),
        "applicants": applicants,
        "exact": len({texts[i] for i in positions}) == 1,
        "first_received": rows[ordered[0]].receipt_date.isoformat(),
        "last_received": rows[ordered[-1]].receipt_date.isoformat(),
        "outcomes": dict(outcomes.most_common()),
        "disclosable": bool(groups & {"disclosed", "partial"}),
        "already_public": outcomes.get("disclosed.public", 0),
        "cases": [
            {
                "id": rows[i].id,
                "tracking_no": rows[i].tracking_no,
                "receipt_date": rows[i].receipt_date.isoformat(),
                "outcome": rows[i].outcome,
                "description": rows[i].description,
                "similarity": round(jaccard(sets[anchor], sets[i]), 2),
            }
            for i in ordered[:CASES_LISTED]
        ],
    }
