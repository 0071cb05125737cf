"""Package verification's fast paths give the reports of the exact ones (issue 17, item 6).

The one-pass check (the zip mapped, the directory parsed once, ``orjson`` for the chains) and its
worker processes must name exactly what the indexed check with ``json`` names: on every tamper of
the matrix, in the export's own layout (stored, payload first) and zipped again; with and without
worker processes; and a line that is not JSON is named by its number.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine

from caseflow.bulk import bulk_requests
from caseflow.evidence import casecheck, onepass
from caseflow.evidence.casecheck import PackageProblem
from caseflow.evidence.export import Scope, export
from caseflow.evidence.verify import Summary, verify_package
from tests.integration.conftest import T0, World
from tests.integration.test_evidence_package import (  # noqa: F401 - fixtures
    TAMPERS,
    Package,
    _installation,
    event_lines,
    package,
    reseal,
    signing_key,
    unzip,
    write_event_lines,
)

Outcome = tuple[str, int, int, str | None, str | None, str, list[str]] | str


def outcome(path: Path, workers: int | None = None) -> Outcome:
    """The report: the summary's figures, or the problem's words."""
    try:
        s: Summary = verify_package(path, workers=workers)
    except PackageProblem as exc:
        return str(exc)
    return (s.signer, s.cases, s.events, s.first_moment, s.last_moment, s.exporter, s.tracking_nos)


@contextmanager
def slow_paths(monkeypatch: pytest.MonkeyPatch, *, one_pass: bool, orjson: bool) -> Iterator[None]:
    """Turn the one-pass check (to the indexed check) and the orjson chain reader (to ``json``) off."""
    with monkeypatch.context() as m:
        if not one_pass:

            def irregular(*args: object) -> onepass.Payload:
                raise onepass.Irregular

            m.setattr(onepass, "check", irregular)
        if not orjson:
            m.setattr(casecheck, "fast_chain", lambda tracking, data: None)
        yield


def every_way(path: Path, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    """The report, the same with the fast paths on and off (else the test fails)."""
    reports = {}
    for one_pass in (True, False):
        for orjson in (True, False):
            with slow_paths(monkeypatch, one_pass=one_pass, orjson=orjson):
                reports[one_pass, orjson] = outcome(path)
    assert len(set(map(repr, reports.values()))) == 1, reports
    return reports[True, True]


def stored(bag: Path, order: list[str], out: Path) -> Path:
    """The bag zipped as the export zips it: stored, members in ``order`` (new files after them)."""
    files = {p.relative_to(bag).as_posix() for p in bag.rglob("*") if p.is_file()}
    names = [n for n in order if n in files] + sorted(files - set(order))
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in names:
            archive.write(bag / name, name)
    return out


def test_tamper_matrix_fast_and_exact_agree(package: Package, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    with zipfile.ZipFile(package.path) as archive:
        order = archive.namelist()
    untouched = every_way(package.path, monkeypatch)
    assert isinstance(untouched, tuple) and untouched[6] == [package.case.tracking_no]
    for name, tamper in TAMPERS.items():
        rezipped = every_way(package.tampered(tamper.change), monkeypatch)
        assert isinstance(rezipped, str) and all(w in rezipped for w in tamper.words), (name, rezipped)
        bag = package.extract()
        if "redone" in name:  # the change alone, resealed in the export's layout
            tamper.change.__wrapped__(bag)  # type: ignore[attr-defined]
            payload = [n for n in order if n.startswith("data/") and (bag / n).exists()]
            reseal(bag, payload, _installation())
        else:
            tamper.change(bag)
        in_layout = every_way(stored(bag, order, package.work / f"layout-{len(name)}.zip"), monkeypatch)
        assert in_layout == rezipped, name


def _not_json(bag: Path) -> None:
    lines = event_lines(bag)
    lines[1] = lines[1].replace('"seq": 2', '"seq": 2,', 1)  # a trailing comma: json and orjson refuse
    write_event_lines(bag, lines)


def _nan(bag: Path) -> None:
    lines = event_lines(bag)
    lines[2] = lines[2].replace('"seq": 3', '"seq": 3, "extra": NaN', 1)  # json reads it, orjson not
    write_event_lines(bag, lines)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (_not_json, "：events.jsonl 第2行不是JSON"),
        (_nan, None),  # json reads NaN: the chain verifies through the exact path
    ],
)
def test_malformed_line_is_named(
    package: Package,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[Path], None],
    words: str | None,
) -> None:
    with zipfile.ZipFile(package.path) as archive:
        order = archive.namelist()
    bag = package.extract()
    change(bag)
    reseal(bag, [n for n in order if n.startswith("data/")], _installation())
    report = every_way(stored(bag, order, package.work / "malformed.zip"), monkeypatch)
    if words is None:
        assert isinstance(report, tuple) and report[2] == package.case.event_count
    else:
        assert report == f"{package.case.tracking_no}{words}"


def test_workers_and_one_process_agree(
    world: World,
    signing_key: bytes,  # noqa: F811
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Some hundreds of requests in batches of 40 folders: two worker processes report what one
    process reports, for the package as exported and for one with a chain changed in the middle."""
    bulk_requests(engine, count=300, seed=17, today=T0.date(), agency_codes=["dept"])
    out = tmp_path / "city.zip"
    export(session=world.session, actor=world["auditor"], scope=Scope(agency="city"), out=out)
    monkeypatch.setattr(onepass, "BATCH_FOLDERS", 40)
    alone, pooled = outcome(out, workers=0), outcome(out, workers=2)
    assert isinstance(alone, tuple) and alone[1] == 300 and pooled == alone
    assert outcome(out) == alone  # below the threshold: one process

    with zipfile.ZipFile(out) as archive:
        order = archive.namelist()
    bag = unzip(out, tmp_path / "bag")
    victim = sorted(p.parent.name for p in (bag / "data" / "cases").glob("*/events.jsonl"))[200]
    events = bag / "data" / "cases" / victim / "events.jsonl"
    first = json.loads(events.read_text("utf-8").splitlines()[0])
    first["actor"] = "someone else"  # the column no longer what the hashed payload says
    rest = events.read_text("utf-8").splitlines(keepends=True)[1:]
    events.write_text(json.dumps(first, ensure_ascii=False, sort_keys=True) + "\n" + "".join(rest), "utf-8")
    reseal(bag, [n for n in order if n.startswith("data/")], _installation())
    changed = stored(bag, order, tmp_path / "changed.zip")
    alone = outcome(changed, workers=0)
    assert alone == f"{victim} 第1条事件：actor 列与已哈希的事件内容不一致（被修改）"
    assert outcome(changed, workers=2) == alone
