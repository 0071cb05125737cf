"""What people read when an evidence package or a calendar notice is refused is Chinese and precise.

The auditor's 校验证据包 upload names the first problem of a package (the file, the manifest, the
signature) in Chinese, without the temporary folder the upload was kept in; the admin's notice
upload names the field of the notice and what is wrong with it, without the temporary file it was
checked in, and installs nothing.
"""

from __future__ import annotations

import html
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from caseflow.calendar import default_calendar
from caseflow.evidence.export import Scope, export
from caseflow.evidence.keys import ensure_signing_key
from caseflow.settings import get_settings
from tests.integration.conftest import World
from tests.integration.webapp import Web, serve

ENGLISH = re.compile(r"[A-Za-z]{3,}(?: [A-Za-z]{2,}){2,}")  # three English words in a row
NOTICE = Path(__file__).resolve().parents[1] / "fixtures" / "notice-2027-test.json"


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch, db_url: str, world: World, engine: Engine) -> Iterator[Web]:
    with serve(monkeypatch, db_url) as application:
        yield Web(application, world, engine)


def _alert(page: str) -> str:
    """The text of the page's alert (the refusal people read)."""
    found = re.search(r'role="alert">(.*?)</', page, flags=re.S)
    assert found, page[:500]
    return html.unescape(found.group(1)).strip()


def _upload(web: Web, data: bytes) -> str:
    client = web.browser("auditor")
    csrf = web.csrf(client, "/search")
    response = client.post(
        "/search/verify-package",
        data={"csrf_token": csrf},
        files={"package": ("evidence.zip", data, "application/zip")},
    )
    assert response.status_code == 200, response.text
    return _alert(response.text)


def _package(world: World, tmp_path: Path) -> Path:
    ensure_signing_key()
    case = world.new_case()
    out = tmp_path / "genuine.zip"
    export(session=world.session, actor=world["auditor"], scope=Scope(tracking_no=case.tracking_no), out=out)
    world.session.commit()
    return out


def test_the_verify_page_names_a_package_problem_in_chinese(web: Web, tmp_path: Path) -> None:
    said = _upload(web, "这不是压缩文件".encode())
    assert said == (
        "发现问题：证据包校验未通过：package.zip：不是可读取的zip文件"
        "（找不到中央目录结束记录：不是zip文件，或文件被截断）"
    )
    assert "/tmp" not in said and tmp_path.name not in said
    # a file without a key of its own is not "signed by another key": its own problem is named
    assert "受信任" not in said

    genuine = _package(web.world, tmp_path)
    added = tmp_path / "added.zip"
    added.write_bytes(genuine.read_bytes())
    with zipfile.ZipFile(added, "a") as archive:
        archive.writestr("notes.txt", "导出后添加的说明")
    said = _upload(web, added.read_bytes())
    assert said == (
        "发现问题：证据包校验未通过：证据包中的文件 notes.txt 未列入标签清单 "
        "tagmanifest-sha256.txt（导出后被添加）"
    )
    assert not ENGLISH.search(said), said


def _post_notice(web: Web, notice: object) -> tuple[int, str]:
    client = web.browser("admin")
    csrf = web.csrf(client, "/admin")
    text = notice if isinstance(notice, str) else json.dumps(notice, ensure_ascii=False)
    response = client.post("/admin/calendar", data={"notice": text, "csrf_token": csrf})
    return response.status_code, _alert(response.text) if response.status_code != 200 else ""


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_admin_page_names_a_notice_problem_in_chinese(web: Web) -> None:
    notice = json.loads(NOTICE.read_text(encoding="utf-8"))
    weekday = json.loads(json.dumps(notice))
    weekday["festivals"][0]["workdays"] = ["2027-01-11"]  # a Monday
    bad_date = json.loads(json.dumps(notice))
    bad_date["festivals"][1]["to"] = "2027-02-30"
    refusals = {
        "通知无法载入：festivals[1].workdays：调休上班日 2027-01-11 是星期一；"
        "只有星期六或星期日可以调为上班日": weekday,
        "通知无法载入：festivals[2].to：'2027-02-30' 不是有效的日期（应为年-月-日，如2027-01-01）": bad_date,
        "通知无法载入：year：年度应为2008至2045之间的整数，实为 1999": {"year": 1999, "festivals": []},
        "通知无法载入：festivals：放假安排应为非空列表，每项是一个节日的放假时段": {"year": 2027},
        "通知无法载入：通知应为一个JSON对象，含 year（年度）、title（标题）和 festivals（放假安排）": [2027],
    }
    for expected, sent in refusals.items():
        status, said = _post_notice(web, sent)
        assert (status, said) == (422, expected)
        assert "notice.json" not in said and not ENGLISH.search(said), said
    calendar_dir = get_settings().data_dir / "calendar"
    assert not (calendar_dir / "2027.json").exists()  # nothing installed by a refused notice
    assert default_calendar().year_info(2027).source != "notice"
