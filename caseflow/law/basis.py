"""The instruments the law is cited from, the days their texts came into force, and how a legal
basis is written (``Basis``) and several are cited together (``cite``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

REGULATION = "《中华人民共和国政府信息公开条例》"
FEE_MEASURES = "《政府信息公开信息处理费管理办法》"
REVIEW_LAW = "《中华人民共和国行政复议法》"
LITIGATION_LAW = "《中华人民共和国行政诉讼法》"
CIVIL_CODE = "《中华人民共和国民法典》"

#: The Regulation first came into force on this day; no request can be received before it.
REGULATION_2007_IN_FORCE = dt.date(2008, 5, 1)
#: The revised Regulation applies to requests received on or after this day.
REGULATION_2019_IN_FORCE = dt.date(2019, 5, 15)
#: Since this day a refusal to disclose must first go to administrative review (Review Law Art. 23).
REVIEW_FIRST_IN_FORCE = dt.date(2024, 1, 1)
#: The Fee Measures came into force on this day (Fee Measures Art. 10): no fee for a request
#: received before it.
FEE_MEASURES_IN_FORCE = dt.date(2021, 1, 1)


@dataclass(frozen=True, slots=True)
class Basis:
    """A legal basis: the instrument and the article (with paragraph or item where it matters)."""

    instrument: str
    article: str
    label: str = field(init=False, compare=False)
    #: Words cited before the instrument: "参照" where a rule of civil law is applied by analogy.
    prefix: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", f"{self.prefix}{self.instrument}{self.article}")


def cite(bases: Iterable[Basis]) -> str:
    """Several bases as a letter cites them: each instrument's title once, its articles after it in
    the order given (a repeated article once), the instruments in order of first mention:
    《中华人民共和国政府信息公开条例》第十五条、第三十二条、第三十六条第三项; two instruments are joined
    by 和 (《条例》第四十二条和《办法》第三条、第七条)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for basis in bases:
        articles = groups.setdefault((basis.prefix, basis.instrument), [])
        if basis.article not in articles:
            articles.append(basis.article)
    parts = [f"{prefix}{instrument}{'、'.join(arts)}" for (prefix, instrument), arts in groups.items()]
    if len(parts) <= 2:
        return "和".join(parts)
    return "、".join(parts[:-1]) + "和" + parts[-1]
