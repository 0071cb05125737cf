"""Download names (RFC 5987) and notification links (own paths only): the pure helpers."""

from __future__ import annotations

import email.message
import email.utils

import pytest

from caseflow.api.downloads import ascii_fallback, content_disposition
from caseflow.scheduled.links import body_lines, mail_body, own_path


def _extended_name(header: str) -> str:
    message = email.message.Message()
    message["Content-Disposition"] = header
    value = [v for k, v in message.get_params(header="content-disposition") or [] if isinstance(v, tuple)]
    return email.utils.collapse_rfc2231_value(value[0])


@pytest.mark.parametrize(
    "name",
    [
        "某政办公开〔2026〕12号.pdf",
        "CITY-2026-00001-evidence.zip",
        'quote " and ; semicolon\\ back.html',
        "名 with spaces and %41 percent.xlsx",
        "𠀾王小明.txt",
    ],
)
def test_any_name_round_trips_through_a_latin1_header(name: str) -> None:
    header = content_disposition(name)
    header.encode("latin-1")
    assert header.isascii() and "\n" not in header and "\r" not in header
    assert header.startswith('attachment; filename="')
    assert _extended_name(header) == name
    plain = header.split('filename="', 1)[1].split('"', 1)[0]
    assert plain == ascii_fallback(name) and '"' not in plain and "\\" not in plain


def test_inline_and_explicit_fallback() -> None:
    header = content_disposition("某政办公开〔2026〕12号.pdf", inline=True, fallback="letter-7.pdf")
    assert header.startswith("inline; filename=\"letter-7.pdf\"; filename*=UTF-8''")
    assert ascii_fallback("年度报告.xlsx") == "download.xlsx"
    assert ascii_fallback("city-2025年度.xlsx") == "city-2025.xlsx"


@pytest.mark.parametrize("path", ["/cases/12", "/dashboard", "/notifications?x=1", "/"])
def test_own_paths_are_links(path: str) -> None:
    assert own_path(path) == path


@pytest.mark.parametrize(
    "text",
    [
        "https://evil.example/",
        "http://127.0.0.1:8000/cases/1",
        "//evil.example/x",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        " /cases/1",
        "/cases/1 ",
        "javascript:alert(1)",
        "cases/1",
        "/cases/1\n",
        "",
        "/\u3000/evil",
    ],
)
def test_anything_else_is_text(text: str) -> None:
    assert own_path(text) is None


def test_body_lines_and_mail() -> None:
    body = "答复期限临近\n/cases/12\nhttps://evil.example/x"
    assert [line["href"] for line in body_lines(body)] == [None, "/cases/12", None]
    assert mail_body(body, "https://gk.example.gov.cn/") == (
        "答复期限临近\nhttps://gk.example.gov.cn/cases/12\nhttps://evil.example/x"
    )
