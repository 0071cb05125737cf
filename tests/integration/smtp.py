"""A real SMTP server on loopback (aiosmtpd) for the mail tests: the handler keeps what it accepts
and refuses one address; ``running_inbox`` points the settings at it for one test."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from caseflow.settings import get_settings

REFUSED = "gone@example.gov.cn"


class Inbox:
    """An SMTP server's handler: keeps what it accepts, refuses one address."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address == REFUSED:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """An SMTP server on a free loopback port, with CASEFLOW_SMTP_* set to it until the block ends."""
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("CASEFLOW_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CASEFLOW_SMTP_PORT", str(port))
    monkeypatch.setenv("CASEFLOW_SMTP_FROM", "gk@example.gov.cn")
    get_settings.cache_clear()
    try:
        yield handler
    finally:
        controller.stop()
        monkeypatch.undo()
        get_settings.cache_clear()
