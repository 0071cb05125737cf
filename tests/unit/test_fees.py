"""Fees (Fee Measures): progressive per-page and per-application quotes, reductions, errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseflow.fees import FeeBand, FeeError, FeeMethod, FeeQuote, is_chargeable, quote


def test_worked_example_2219_pages_cost_83460_yuan() -> None:
    q = quote(FeeMethod.PER_PAGE, 2219)
    assert q.gross_yuan == 83460
    assert q.amount_yuan == 83460
    assert q.bands == (
        FeeBand(1, 30, 0, 30, 0),
        FeeBand(31, 100, 10, 70, 700),
        FeeBand(101, 200, 20, 100, 2000),
        FeeBand(201, None, 40, 2019, 80760),
    )


@pytest.mark.parametrize(
    ("pages", "expected"),
    [(1, 0), (30, 0), (31, 10), (100, 700), (101, 720), (200, 2700), (201, 2740)],
)
def test_per_page_boundaries(pages: int, expected: int) -> None:
    assert quote("per_page", pages).gross_yuan == expected
    assert is_chargeable("per_page", pages) is (expected > 0)


@pytest.mark.parametrize(
    ("ordinal", "expected"),
    [
        (1, 0),
        (10, 0),
        (11, 100),
        (12, 100),
        (30, 100),
        (31, 200),
        (35, 200),
        (40, 200),
        (41, 300),
        (45, 300),
        (51, 400),
    ],
)
def test_per_application_ordinals(ordinal: int, expected: int) -> None:
    q = quote("per_application", ordinal)
    assert q.method is FeeMethod.PER_APPLICATION
    assert q.gross_yuan == expected
    assert is_chargeable(FeeMethod.PER_APPLICATION, ordinal) is (expected > 0)


def test_per_application_bands_include_free_band_and_the_ordinals_band() -> None:
    assert quote("per_application", 5).bands == (FeeBand(1, 10, 0, 1, 0),)
    assert quote("per_application", 12).bands == (FeeBand(1, 10, 0, 0, 0), FeeBand(11, 30, 100, 1, 100))
    assert quote("per_application", 45).bands[-1] == FeeBand(41, 50, 300, 1, 300)


def test_reduction_lowers_amount_and_keeps_reason() -> None:
    q = quote("per_page", 101, reduction_yuan=220, reduction_reason="申请人经济困难")
    assert (q.gross_yuan, q.reduction_yuan, q.amount_yuan) == (720, 220, 500)
    assert q.reduction_reason == "申请人经济困难"
    assert "减免220元" in q.description_zh()
    assert "申请人经济困难" in q.description_zh()


def test_full_reduction_is_allowed() -> None:
    assert quote("per_page", 31, reduction_yuan=10, reduction_reason="全额减免").amount_yuan == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reduction_yuan": 100}, "reduction_reason"),
        ({"reduction_yuan": 100, "reduction_reason": "   "}, "reduction_reason"),
        ({"reduction_yuan": -1, "reduction_reason": "x"}, "reduction_yuan"),
        ({"reduction_yuan": 721, "reduction_reason": "x"}, "reduction_yuan"),
        ({"reduction_yuan": True, "reduction_reason": "x"}, "reduction_yuan"),
    ],
)
def test_bad_reductions_raise_naming_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(FeeError, match=field):
        quote("per_page", 101, **kwargs)  # type: ignore[arg-type]


def test_unknown_method_lists_the_valid_ones() -> None:
    with pytest.raises(FeeError, match="method") as info:
        quote("per_kilo", 10)
    assert "per_application" in str(info.value)
    assert "per_page" in str(info.value)


@pytest.mark.parametrize("units", [0, -1, True, 2.5, "5", None])
def test_bad_units_raise_naming_the_field(units: object) -> None:
    with pytest.raises(FeeError, match="units"):
        quote("per_page", units)  # type: ignore[arg-type]
    with pytest.raises(FeeError, match="units"):
        is_chargeable("per_application", units)  # type: ignore[arg-type]


def test_fee_error_is_a_value_error() -> None:
    assert issubclass(FeeError, ValueError)


def test_description_shows_each_charged_band_and_the_total() -> None:
    text = quote("per_page", 2219).description_zh()
    assert text.startswith("按量计收")
    for part in ("2219页", "每页10元计700元", "每页20元计2000元", "每页40元计80760元", "合计83460元"):
        assert part in text
    assert "本月第12件" in quote("per_application", 12).description_zh()
    assert "计100元" in quote("per_application", 12).description_zh()
    assert "计0元" in quote("per_application", 3).description_zh()
    assert "合计0元" in quote("per_page", 30).description_zh()


@given(st.integers(min_value=1, max_value=5000))
def test_per_page_gross_is_monotone_and_bands_sum_to_gross(pages: int) -> None:
    q: FeeQuote = quote(FeeMethod.PER_PAGE, pages)
    nxt = quote(FeeMethod.PER_PAGE, pages + 1)
    assert nxt.gross_yuan >= q.gross_yuan
    assert sum(b.subtotal_yuan for b in q.bands) == q.gross_yuan == q.amount_yuan
    assert sum(b.units_charged for b in q.bands) == pages
    assert str(q.gross_yuan) in q.description_zh()


@given(st.integers(min_value=1, max_value=500))
def test_per_application_gross_is_monotone_and_bands_sum_to_gross(ordinal: int) -> None:
    q = quote(FeeMethod.PER_APPLICATION, ordinal)
    assert quote(FeeMethod.PER_APPLICATION, ordinal + 1).gross_yuan >= q.gross_yuan
    assert sum(b.subtotal_yuan for b in q.bands) == q.gross_yuan


# --- A request split into several applications (Fee Measures Art. 4, 一事一申请) ----------------------


@pytest.mark.parametrize(
    ("first", "items", "expected"),
    [
        (1, 10, 0),  # all inside the free band
        (1, 11, 100),  # the 11th costs 100
        (9, 3, 100),  # 9 and 10 free, 11 at 100
        (29, 4, 100 + 100 + 200 + 200),  # 29, 30 at 100; 31, 32 at 200
        (13, 19, 18 * 100 + 200),
        (40, 2, 200 + 300),
    ],
)
def test_split_request_is_charged_for_each_of_its_applications(first: int, items: int, expected: int) -> None:
    q = quote("per_application", first, items=items)
    assert (q.gross_yuan, q.items, q.last_ordinal) == (expected, items, first + items - 1)
    assert sum(b.units_charged for b in q.bands) == items
    assert q.gross_yuan == sum(quote("per_application", n).gross_yuan for n in range(first, first + items))


def test_split_request_description_names_the_split_and_its_ordinals() -> None:
    text = quote("per_application", 29, items=4).description_zh()
    assert "拆分为4件" in text and "第29至32件" in text
    assert "第11至30件每件100元计2件200元" in text and "第31至40件每件200元计2件400元" in text
    assert "合计600元" in text
    assert (
        quote("per_application", 12, items=1).description_zh()
        == quote("per_application", 12).description_zh()
    )


@pytest.mark.parametrize(
    ("method", "items"),
    [("per_application", 0), ("per_application", -1), ("per_application", True), ("per_page", 2)],
)
def test_bad_split_raises_naming_items(method: str, items: object) -> None:
    with pytest.raises(FeeError, match="items"):
        quote(method, 40, items=items)  # type: ignore[arg-type]


@given(st.integers(min_value=1, max_value=200), st.integers(min_value=1, max_value=60))
def test_split_equals_the_sum_of_single_applications(first: int, items: int) -> None:
    q = quote(FeeMethod.PER_APPLICATION, first, items=items)
    singles = sum(quote(FeeMethod.PER_APPLICATION, n).gross_yuan for n in range(first, first + items))
    assert q.gross_yuan == singles == sum(b.subtotal_yuan for b in q.bands)
