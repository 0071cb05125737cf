"""The form of every letter after GB/T 9704-2012 (issue 15, item 10), on SQLite and PostgreSQL.

- the 文号 "某政办公开〔2026〕6号": year in full in 〔〕, no 第, no padding zeros (GB/T 9704 7.2.4);
- every template rendered with every outcome, for a natural person and for an organisation: no
  doubled punctuation ("。，", "。”。", "，，" ...), "您" for a natural person and "你单位" for an
  organisation (never "您（单位）"), free text that ends in its own full stop punctuated once;
- the last day of a period reads "2026年12月17日（含当日）前".

The PDF layout (signature with the last paragraph, one-page receipts, page numbers) is tested in
test_letter_pdf_layout.py.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from caseflow import law
from caseflow.dates import zh
from caseflow.models import Agency, Applicant, Case, Letter
from caseflow.replies import render
from caseflow.replies.context import clause, letter_number, until, you
from caseflow.replies.issue import compose, issued_files, issued_letters
from tests.integration.conftest import T0, World
from tests.integration.test_letters import (
    ACTED_ON,
    ART35_ASK,
    ART35_REASONS,
    EXTEND,
    PREFIX,
    art35_step,
    delivered,
    text_of,
)

D = dt.date
DAY = dt.timedelta(days=1)

ORGANISATION = {
    "applicant_name": "某某科技有限公司",
    "applicant_type": "commercial",
    "id_type": "统一社会信用代码",
    "id_number": "91110000MA0000000H",
}

#: Two marks of the same kind in a row, or a sentence's end inside a closing quote or bracket followed
#: by another mark ("。”。", "。），"): what a reader sees as doubled punctuation.
PUNCTUATION = "。，、；：！？,.;:!?"
DOUBLED = re.compile(f"[{PUNCTUATION}][”’）》」』)]?[{PUNCTUATION}]")

#: Free text as clerks type it: ending in its own full stop (the letter must not add a second one).
SAMPLE = "示例内容（甲）。"
SAMPLE_DATE = "2026年10月9日"


# --- 文号 -----------------------------------------------------------------------------------------


def test_document_number_has_no_di_and_the_full_year_in_hexagonal_brackets(world: World) -> None:
    agency = world.session.exec(select(Agency).where(col(Agency.code) == "city")).one()
    reply = law.DOCUMENT_TYPES_BY_CODE["reply"]
    receipt = law.DOCUMENT_TYPES_BY_CODE["receipt"]
    assert letter_number(agency, reply, 2026, 6) == "某政办公开〔2026〕6号"
    assert letter_number(agency, receipt, 2026, 12) == "某政办公开收〔2026〕12号"
    assert "第" not in letter_number(agency, reply, 2027, 1)

    case = world.new_case()
    (letter,) = issued_letters(world.session, case.id or 0)
    assert letter.letter_no == f"{PREFIX}收〔2026〕1号"
    assert f'<p class="docno">{PREFIX}收〔2026〕1号</p>' in render_issued(letter)


def render_issued(letter: Letter) -> str:
    return issued_files(letter)["html"].decode("utf-8")


# --- Helpers --------------------------------------------------------------------------------------


def test_helpers() -> None:
    assert you(law.ApplicantType.NATURAL_PERSON) == "您"
    for kind in law.ApplicantType:
        if kind is not law.ApplicantType.NATURAL_PERSON:
            assert you(kind) == "你单位", kind
    assert until(D(2026, 12, 17)) == "2026年12月17日（含当日）前"
    assert until("2026年12月17日") == "2026年12月17日（含当日）前"
    assert clause("理由如下。") == "理由如下"
    assert clause("见附件（第3页）；\n") == "见附件（第3页）"
    assert clause("“某某”。") == "“某某”"
    assert clause({"a": ["甲。", "乙"], "n": 3, "none": None}) == {"a": ["甲", "乙"], "n": 3, "none": None}


# --- Every template, every outcome, both kinds of applicant --------------------------------------


def _family_source(template: str) -> str:
    """The template and every template it extends or includes, as source text."""
    names = render._template_family(template, render.templates_dir())
    return "\n".join((render.templates_dir() / name).read_text(encoding="utf-8") for name in names)


def _sample(key: str) -> Any:
    if key == "to_supplement":
        return [SAMPLE, "所需信息的具体名称。"]
    if key.endswith(("_date", "_on", "due", "period_end")):
        return SAMPLE_DATE
    if key.endswith("days"):
        return 5
    return f"{key}{SAMPLE}"


def _parts(template: str, name: str) -> dict[str, Any]:
    """Every ``name.x`` (and ``name.get("x")``) the template family reads, with sample values."""
    source = _family_source(template)
    keys = set(re.findall(rf"\b{name}\.(\w+)", source)) | set(
        re.findall(rf"\b{name}\.get\(\s*[\"'](\w+)[\"']", source)
    )
    keys -= {"get", "items", "keys", "values"}
    return {key: _sample(key) for key in sorted(keys)}


def _variants(world: World, changes: dict[str, Any]) -> list[Case]:
    """Requests in the three states the Art. 35 letters know: no reasons step, reasons given, none."""
    plain = world.new_case(**changes)
    given = art35_step(world, world.new_case(**changes))
    silent = world.new_case(**changes)
    silent = world.act(silent, "request_art35_reasons", ART35_ASK)
    silent = world.act(silent, "record_notice_delivery", delivered("art35_reasons_notice"))
    silent = world.act(
        silent,
        "record_art35_reasons",
        {"answer": "not_given"},
        at=T0 + 20 * DAY,
    )
    assert ART35_REASONS["answer"] == "given"
    return [plain, given, silent]


def case_applicant(world: World, case: Case) -> str:
    applicant = world.session.get(Applicant, case.applicant_id)
    assert applicant is not None
    return applicant.name


def _every_letter(world: World, case: Case) -> list[tuple[str, str]]:
    """(what, HTML) of every document type and every reply outcome for ``case``, numbered."""
    out: list[tuple[str, str]] = []
    for doc in law.DOCUMENT_TYPES:
        if doc.code == "reply":
            continue
        template = f"{doc.code}.html"
        html = compose(
            world.session,
            case,
            doc.code,
            issue_date=ACTED_ON,
            number=f"{PREFIX}{doc.series_mark}〔2026〕6号",
            notice=_parts(template, "notice"),
        )[1]
        out.append((doc.code, html))
    for outcome in law.OUTCOMES:
        template = f"{outcome.template}.html"
        html = compose(
            world.session,
            case,
            "reply",
            issue_date=ACTED_ON,
            number=f"{PREFIX}〔2026〕6号",
            outcome_code=outcome.code,
            reply=_parts(template, "reply"),
            notice=_parts(template, "notice"),
        )[1]
        out.append((outcome.code, html))
    return out


@pytest.mark.parametrize("kind", ["natural_person", "organisation"])
def test_every_letter_reads_right(world: World, kind: str) -> None:
    changes = ORGANISATION if kind == "organisation" else {}
    checked = 0
    for case in _variants(world, changes):
        for what, html in _every_letter(world, case):
            text = text_of(html)
            where = f"{kind} {case.tracking_no} {what}"
            doubled = [m.group(0) for m in DOUBLED.finditer(text)]
            assert not doubled, f"{where}: doubled punctuation {doubled} in {text}"
            assert "您（单位）" not in text and "你（单位）" not in text, where
            assert "〕第" not in text, where
            # A consultation or a third party's notice is addressed to that party, not the applicant.
            consulted = f'<p class="to">{case_applicant(world, case)}：</p>' not in html
            if kind == "organisation":
                assert "您" not in text, f"{where}: 您 to an organisation"
                assert consulted or "你单位" in text, where
            else:
                assert "你单位" not in text, f"{where}: 你单位 to a natural person"
                assert consulted or "您" in text, where
            checked += 1
    assert checked == 3 * (len(law.DOCUMENT_TYPES) - 1 + len(law.OUTCOMES))


def test_free_text_ending_in_a_full_stop_is_punctuated_once(world: World) -> None:
    case = world.new_case(description="2025年本市道路维修工程的预算。")
    case = world.act(case, "extend", {"reason": "需要检索多年档案。"}, actor="supervisor")
    case = world.act(case, "draft_reply", {"outcome": "withheld.process_info", "reasons": "属于讨论记录。"})
    case = world.act(case, "approve_reply", {}, actor="reviewer")
    case = world.act(case, "issue_reply", {})
    letters = issued_letters(world.session, case.id or 0)
    assert [x.doc_type for x in letters] == ["receipt", "extension_notice", "reply"]
    for letter in letters:
        text = text_of(render_issued(letter))
        assert "申请获取“2025年本市道路维修工程的预算”。" in text or letter.doc_type == "receipt"
        assert not DOUBLED.search(text), (letter.doc_type, text)
    assert "因需要检索多年档案，" in text_of(render_issued(letters[1]))
    assert "理由：属于讨论记录。" in text_of(render_issued(letters[2]))


# --- Dates that end a period ---------------------------------------------------------------------


def test_last_days_of_periods_read_inclusive(world: World) -> None:
    case = world.new_case()
    receipt = text_of(render_issued(issued_letters(world.session, case.id or 0)[0]))
    assert case.reply_due == D(2026, 10, 30)
    assert "2026年10月30日（含当日）前" in receipt

    case = world.act(case, "extend", EXTEND, actor="supervisor")
    assert case.reply_due == D(2026, 11, 27)
    extension = text_of(render_issued(issued_letters(world.session, case.id or 0)[-1]))
    assert "本机关将于2026年11月27日（含当日）前作出答复" in extension

    other = art35_step(world, world.new_case())
    other = world.act(
        other,
        "set_delayed_date",
        {"due": "2026-12-31", "reason": "申请数量明显超过合理范围"},
        actor="supervisor",
    )
    art35 = text_of(render_issued(issued_letters(world.session, other.id or 0)[-1]))
    assert "将于2026年12月31日（含当日）前作出答复" in art35
    assert zh(D(2026, 12, 31)) + "前" not in art35.replace("（含当日）前", "")


def test_templates_address_the_applicant_only_through_you() -> None:
    """No template writes 您 or 你单位 itself: the context's ``you`` decides."""
    for path in sorted(Path(render.templates_dir()).glob("*.html")):
        source = path.read_text(encoding="utf-8")
        assert "您" not in source and "你单位" not in source, path.name
