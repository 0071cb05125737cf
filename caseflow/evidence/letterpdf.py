"""What ``letter_pdf`` events say about letter rows (``caseflow verify``; ``caseflow.cases.letter_pdf``).

A letter issued with its PDF rendered after the commit records ``pdf_sha256: null`` in its issuing
event; its PDF is bound to it by a later ``letter_pdf`` event naming the letter number, the HTML's
hash and the PDF's hash. The letter row's ``pdf_sha256`` must be that event's (or the issuing
event's, for a letter issued when the PDF was rendered inside the transition), or empty while the
PDF is still pending; every ``letter_pdf`` event names a letter of the request, by its HTML, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from caseflow.evidence.replay import Finding

ACTION = "letter_pdf"


def pdf_events(bodies: Iterable[Mapping[str, Any]]) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    """letter number -> [(seq, facts)] of the request's ``letter_pdf`` events, in chain order."""
    out: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for body in bodies:
        facts = body.get("facts")
        if body.get("action") == ACTION and isinstance(facts, dict):
            out.setdefault(str(facts.get("letter_no")), []).append((int(body.get("seq", 0)), facts))
    return out


def recorded_row(
    recorded: Mapping[str, Any], pdfs: Mapping[str, list[tuple[int, dict[str, Any]]]]
) -> Mapping[str, Any]:
    """What the letter row must hold: the issuing event's facts, the PDF from its ``letter_pdf`` event."""
    bound = pdfs.get(str(recorded.get("letter_no")))
    if recorded.get("pdf_sha256") is None and bound:
        return {**recorded, "pdf_sha256": bound[0][1].get("pdf_sha256")}
    return recorded


def findings(
    tracking_no: str,
    issued: Mapping[int, Mapping[str, Any]],
    pdfs: Mapping[str, list[tuple[int, dict[str, Any]]]],
) -> list[Finding]:
    """The ``letter_pdf`` events that bind no letter, bind one twice, or bind another HTML."""
    by_number = {str(facts.get("letter_no")): facts for facts in issued.values()}
    out: list[Finding] = []
    for letter_no, events in pdfs.items():
        seq, facts = events[0]
        issuing = by_number.get(letter_no)
        if issuing is None:
            message = f"PDF事件所记载的文书 {letter_no} 不是本申请签发的文书"
            out.append(Finding(tracking_no, ACTION, seq, ACTION, message))
            continue
        html = issuing.get("html_sha256")
        if facts.get("html_sha256") != html:
            message = (
                f"PDF事件记载其HTML为 {str(facts.get('html_sha256'))[:12]}…，"
                f"文书 {letter_no} 签发时的HTML为 {str(html)[:12]}…（PDF文本须由签发的HTML文本生成）"
            )
            out.append(Finding(tracking_no, f"{ACTION}.html_sha256", seq, ACTION, message))
        if issuing.get("pdf_sha256") is not None:
            out.append(
                Finding(
                    tracking_no, ACTION, seq, ACTION, f"文书 {letter_no} 签发时已记载PDF文本，不应再有PDF事件"
                )
            )
        for again, _facts in events[1:]:
            out.append(
                Finding(
                    tracking_no,
                    ACTION,
                    again,
                    ACTION,
                    f"文书 {letter_no} 的PDF文本已由事件{seq}记载，不应重复",
                )
            )
    return out
