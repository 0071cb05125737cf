"""Information processing fees (Fee Measures): a pure, progressive fee calculator.

The numbers live in ``caseflow.law``; this module only applies them. Fees are charged only where
the applicant's volume or frequency is clearly excessive, by one method per request, never both.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from caseflow.law import (
    FEE_PER_APPLICATION_BAND_SIZE,
    FEE_PER_APPLICATION_BAND_STEP,
    FEE_PER_APPLICATION_FIRST_BAND,
    FEE_PER_APPLICATION_FREE,
    FEE_PER_PAGE_BANDS,
)


class FeeError(ValueError):
    """A fee cannot be quoted from these inputs; the message names the offending field."""


class FeeMethod(StrEnum):
    PER_APPLICATION = "per_application"
    PER_PAGE = "per_page"


@dataclass(frozen=True)
class FeeBand:
    """One band of the progressive scale and what this quote charged in it."""

    first: int
    last: int | None
    unit_yuan: int
    units_charged: int
    subtotal_yuan: int

    def range_zh(self, unit_zh: str) -> str:
        if self.last is None:
            return f"{self.first}{unit_zh}以上"
        return f"{self.first}至{self.last}{unit_zh}"


@dataclass(frozen=True)
class FeeQuote:
    """The fee for one request: per application, ``units`` is the applicant's ordinal that calendar
    month at that agency of the request's first application (件) and ``items`` the number of
    applications the request was split into (Fee Measures Art. 4, 一事一申请); per page, ``units`` is
    the number of pages."""

    method: FeeMethod
    units: int
    bands: tuple[FeeBand, ...]
    gross_yuan: int
    reduction_yuan: int
    reduction_reason: str
    amount_yuan: int
    items: int = 1

    @property
    def last_ordinal(self) -> int:
        """Per application: the ordinal of the request's last application that month."""
        return self.units + self.items - 1

    def description_zh(self) -> str:
        charged = [b for b in self.bands if b.unit_yuan > 0 and b.units_charged > 0]
        if self.method is FeeMethod.PER_APPLICATION and self.items > 1:
            head = (
                f"按件计收：本申请按“一事一申请”原则拆分为{self.items}件，"
                f"为本月第{self.units}至{self.last_ordinal}件申请"
            )
            parts = [
                f"第{b.range_zh('件')}每件{b.unit_yuan}元计{b.units_charged}件{b.subtotal_yuan}元"
                for b in charged
            ]
            free = f"每月{FEE_PER_APPLICATION_FREE}件以内免费"
            body = (f"{free}，" + "，".join(parts)) if parts else free
            body += f"，合计{self.gross_yuan}元"
        elif self.method is FeeMethod.PER_APPLICATION:
            head = f"按件计收：本月第{self.units}件申请"
            if charged:
                b = charged[0]
                body = f"第{b.range_zh('件')}每件{b.unit_yuan}元，计{self.gross_yuan}元"
            else:
                body = f"每月{FEE_PER_APPLICATION_FREE}件以内免费，计0元"
        else:
            head = f"按量计收：共{self.units}页"
            free_last = FEE_PER_PAGE_BANDS[0][1]
            parts = [f"{b.range_zh('页')}每页{b.unit_yuan}元计{b.subtotal_yuan}元" for b in charged]
            body = (f"{free_last}页以内免费，" + "，".join(parts)) if parts else f"{free_last}页以内免费"
            body += f"，合计{self.gross_yuan}元"
        text = f"{head}，{body}"
        if self.reduction_yuan:
            text += (
                f"；减免{self.reduction_yuan}元（理由：{self.reduction_reason}），实收{self.amount_yuan}元"
            )
        return text


def _method(method: FeeMethod | str) -> FeeMethod:
    try:
        return FeeMethod(method)
    except ValueError:
        valid = ", ".join(m.value for m in FeeMethod)
        raise FeeError(f"method: 没有此计收方式：{method}（可选：{valid}）") from None


def _check_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FeeError(f"{name}: 须为整数（收到：{value!r}）")
    return value


def _per_application_band(ordinal: int) -> tuple[int, int, int]:
    """The band (first, last, yuan each) an ordinal falls in."""
    if ordinal <= FEE_PER_APPLICATION_FREE:
        return 1, FEE_PER_APPLICATION_FREE, 0
    first, last, unit = FEE_PER_APPLICATION_FIRST_BAND
    if ordinal > last:
        # Each further band of BAND_SIZE ordinals costs BAND_STEP more per application.
        step = (ordinal - last - 1) // FEE_PER_APPLICATION_BAND_SIZE
        first = last + 1 + step * FEE_PER_APPLICATION_BAND_SIZE
        last = first + FEE_PER_APPLICATION_BAND_SIZE - 1
        unit += FEE_PER_APPLICATION_BAND_STEP * (step + 1)
    return first, last, unit


def _per_application_bands(ordinal: int, items: int = 1) -> tuple[FeeBand, ...]:
    """The free band, then each band that the ordinals ``ordinal .. ordinal + items - 1`` reach."""
    top = ordinal + items - 1
    free_count = max(0, min(top, FEE_PER_APPLICATION_FREE) - ordinal + 1)
    bands = [FeeBand(1, FEE_PER_APPLICATION_FREE, 0, free_count, 0)]
    current = max(ordinal, FEE_PER_APPLICATION_FREE + 1)
    while current <= top:
        first, last, unit = _per_application_band(current)
        count = min(top, last) - current + 1
        bands.append(FeeBand(first, last, unit, count, count * unit))
        current = last + 1
    return tuple(bands)


def _per_page_bands(pages: int) -> tuple[FeeBand, ...]:
    bands: list[FeeBand] = []
    for first, last, unit in FEE_PER_PAGE_BANDS:
        if pages < first:
            break
        top = pages if last is None else min(pages, last)
        count = top - first + 1
        bands.append(FeeBand(first, last, unit, count, count * unit))
    return tuple(bands)


def quote(
    method: FeeMethod | str,
    units: int,
    *,
    items: int = 1,
    reduction_yuan: int = 0,
    reduction_reason: str = "",
) -> FeeQuote:
    """Quote the fee for one request (per application: ``items`` applications from the ordinal
    ``units`` on, one by default; a request split into several counts as several, Art. 4)."""
    fee_method = _method(method)
    units = _check_int("units", units)
    if units < 1:
        raise FeeError(f"units: 至少为1（收到：{units}）")
    items = _check_int("items", items)
    if items < 1:
        raise FeeError(f"items: 至少为1（收到：{items}）")
    if items > 1 and fee_method is not FeeMethod.PER_APPLICATION:
        raise FeeError("items: 仅按件计收时才将一个申请拆分为多件（一事一申请）")
    reduction_yuan = _check_int("reduction_yuan", reduction_yuan)
    if reduction_yuan < 0:
        raise FeeError(f"reduction_yuan: 减免金额不能为负数（收到：{reduction_yuan}）")
    if fee_method is FeeMethod.PER_APPLICATION:
        bands = _per_application_bands(units, items)
    else:
        bands = _per_page_bands(units)
    gross = sum(b.subtotal_yuan for b in bands)
    if reduction_yuan > gross:
        raise FeeError(f"reduction_yuan: 减免金额{reduction_yuan}元超过应收金额{gross}元")
    if not isinstance(reduction_reason, str):
        raise FeeError(f"reduction_reason: 须为文字（收到：{reduction_reason!r}）")
    reason = reduction_reason.strip()
    if reduction_yuan > 0 and not reason:
        raise FeeError("reduction_reason: 减免收费的，须写明减免理由")
    return FeeQuote(fee_method, units, bands, gross, reduction_yuan, reason, gross - reduction_yuan, items)


def is_chargeable(method: FeeMethod | str, units: int) -> bool:
    """Whether a fee is due at all: only beyond the free band (volume or frequency clearly excessive)."""
    return quote(method, units).gross_yuan > 0
