"""The Chinese message of each kind of pydantic validation error, for every place that shows one (the
engine's ``FactsError``, the API's 422, the pages' field errors). A model's own check (``value_error``)
already speaks Chinese at its source and is not in this table."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: A character of Chinese text (CJK ideographs and punctuation, full-width forms, CJK extension B+).
CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]|[\U00020000-\U0003ffff]")


def has_cjk(text: str) -> bool:
    return CJK.search(text) is not None


_DATE = "请填写有效的日期（如 2026-11-28）"
_DATETIME = "请填写有效的日期和时间（如 2026-11-28 09:30）"
_INTEGER = "请填写整数"
_NUMBER = "请填写数字"
_CHOICE = "请从列表中选择有效的选项"

#: The Chinese message of each kind of pydantic error (``{name}``: a value of the error's context).
ZH_BY_TYPE: dict[str, str] = {
    "missing": "必填",
    "string_too_short": "至少填写 {min_length} 个字符",
    "string_too_long": "内容过长（至多 {max_length} 个字符）",
    "string_type": "请填写文字",
    "string_unicode": "含有不允许的字符（孤立的代理码元）",
    "string_pattern_mismatch": "格式不正确",
    "string_not_ascii": "只能填写英文字母、数字和半角符号",
    "too_short": "至少填写 {min_length} 项",
    "too_long": "填写的项数过多（至多 {max_length} 项）",
    "list_type": "应为多项的列表",
    "dict_type": "格式不正确（应为键值对象）",
    "model_type": "格式不正确（应为键值对象）",
    "model_attributes_type": "格式不正确（应为键值对象）",
    "json_invalid": "不是有效的 JSON",
    "json_type": "不是有效的 JSON",
    "extra_forbidden": "不接受该字段",
    "enum": _CHOICE,
    "literal_error": _CHOICE,
    "union_tag_invalid": _CHOICE,
    "bool_parsing": "请选择“是”或“否”",
    "bool_type": "请选择“是”或“否”",
    "int_parsing": _INTEGER,
    "int_type": _INTEGER,
    "int_from_float": _INTEGER,
    "int_parsing_size": "数值过大",
    "float_parsing": _NUMBER,
    "float_type": _NUMBER,
    "finite_number": _NUMBER,
    "decimal_parsing": _NUMBER,
    "decimal_type": _NUMBER,
    "decimal_max_digits": "数字的位数过多（至多 {max_digits} 位）",
    "decimal_max_places": "小数位数过多（至多 {decimal_places} 位）",
    "decimal_whole_digits": "整数部分的位数过多（至多 {whole_digits} 位）",
    "multiple_of": "须为 {multiple_of} 的倍数",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "须小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "date_parsing": _DATE,
    "date_type": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": "只填写日期，不填写时间",
    "date_future": "须为将来的日期",
    "date_past": "须为过去的日期",
    "datetime_parsing": _DATETIME,
    "datetime_type": _DATETIME,
    "datetime_from_date_parsing": _DATETIME,
    "datetime_object_invalid": _DATETIME,
    "datetime_future": "须为将来的时间",
    "datetime_past": "须为过去的时间",
    "timezone_aware": _DATETIME,
    "timezone_naive": "时间不应带时区",
    "time_parsing": "请填写有效的时间（如 09:30）",
    "time_type": "请填写有效的时间（如 09:30）",
    "url_parsing": "请填写有效的网址",
    "url_type": "请填写有效的网址",
    "url_scheme": "网址的协议不正确",
    "url_too_long": "网址过长",
    "uuid_parsing": "编号格式不正确",
    "uuid_type": "编号格式不正确",
    "bytes_type": "格式不正确",
    "none_required": "此处应留空",
}


def _format(kind: str, ctx: Mapping[str, Any]) -> str:
    if kind == "string_too_short" and str(ctx.get("min_length")) == "1":
        return "不能为空"
    if kind == "too_short" and str(ctx.get("min_length")) == "1":
        return "至少填写一项"
    template = ZH_BY_TYPE[kind]
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):  # a context value missing: the message without it
        return re.sub(r"（[^（）]*\{[^}]*\}[^（）]*）|\{[^}]*\}", "", template).strip()


def zh_pydantic(error: Mapping[str, Any]) -> str | None:
    """The Chinese message of one pydantic error (a dict of ``ValidationError.errors()``), or None for
    a check of the model's own (``value_error``: its message is the model's, translated elsewhere)."""
    kind = str(error.get("type", ""))
    if kind in ZH_BY_TYPE:
        return _format(kind, error.get("ctx") or {})
    return None
