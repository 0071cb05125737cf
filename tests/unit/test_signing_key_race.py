"""Processes starting on a fresh data directory all try to create the signing key: one makes it, the
others use it (a second server started beside the first once failed with FileExistsError)."""

from __future__ import annotations

import multiprocessing
from multiprocessing.synchronize import Barrier
from pathlib import Path

from caseflow.evidence.keys import ensure_signing_key, key_paths

PROCESSES = 4


def _ensure(data_dir: str, barrier: Barrier, created: multiprocessing.SimpleQueue[bool]) -> None:
    barrier.wait()
    created.put(ensure_signing_key(Path(data_dir))[1])


def test_processes_racing_to_create_the_signing_key_make_exactly_one(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    for attempt in range(10):
        data_dir = tmp_path / f"data{attempt}"
        barrier = context.Barrier(PROCESSES)
        created: multiprocessing.SimpleQueue[bool] = context.SimpleQueue()
        racers = [
            context.Process(target=_ensure, args=(str(data_dir), barrier, created)) for _ in range(PROCESSES)
        ]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(30)
        assert [racer.exitcode for racer in racers] == [0] * PROCESSES  # none raised
        answers = [created.get() for _ in range(PROCESSES)]
        assert answers.count(True) == 1  # one made it; the others found it
        private, public = key_paths(data_dir)
        assert private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
        assert public.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
