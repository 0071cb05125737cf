"""SMS texts to applicants: the gateway interface an office connects, and a logging implementation.

``CASEFLOW_SMS_GATEWAY`` chooses the gateway: ``""`` (the default) sends no texts; ``"log"`` writes
each text to the log (logger ``caseflow.sms``) and counts it sent, for trying the notifications out
or for an office that forwards its logs; ``"package.module:Class"`` names an office's own class,
made with no arguments, that implements ``SmsGateway``: ``send(phone, text)`` hands the text to the
operator and returns the operator's message id, or raises ``SmsRefused`` when the operator refused it
outright (the text is then tried again on the next run). Any other exception leaves the text's
sending uncertain: it is not tried again (``caseflow.scheduled.applicant_mail``).
"""

from __future__ import annotations

import importlib
import logging
import uuid
from typing import Protocol, runtime_checkable

log = logging.getLogger("caseflow.sms")

LOG_GATEWAY = "log"


class SmsRefused(Exception):
    """The gateway refused the text (a wrong number, an operator's refusal): it was not sent."""


@runtime_checkable
class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> str:
        """Hand ``text`` to the operator for ``phone``; the operator's message id."""
        ...


class LogGateway:
    """Writes each text to the log instead of sending it (``CASEFLOW_SMS_GATEWAY=log``)."""

    def send(self, phone: str, text: str) -> str:
        message_id = f"log-{uuid.uuid4().hex[:16]}"
        log.info("SMS %s to %s: %s", message_id, phone, text)
        return message_id


class GatewayError(Exception):
    """``CASEFLOW_SMS_GATEWAY`` names no usable gateway."""


def load_gateway(setting: str) -> SmsGateway | None:
    """The gateway ``setting`` names (None: SMS off); ``GatewayError`` when it cannot be loaded."""
    setting = setting.strip()
    if not setting:
        return None
    if setting == LOG_GATEWAY:
        return LogGateway()
    module_name, sep, class_name = setting.partition(":")
    if not sep or not module_name or not class_name:
        raise GatewayError(f"CASEFLOW_SMS_GATEWAY={setting!r}: expected 'log' or 'package.module:Class'")
    try:
        factory = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise GatewayError(f"CASEFLOW_SMS_GATEWAY={setting!r}: {exc}") from exc
    try:
        gateway = factory()
    except Exception as exc:  # not a class, one that wants arguments, or its own setup failed
        raise GatewayError(f"CASEFLOW_SMS_GATEWAY={setting!r}: {class_name} cannot be made: {exc}") from exc
    if not isinstance(gateway, SmsGateway):
        raise GatewayError(f"CASEFLOW_SMS_GATEWAY={setting!r}: {class_name} has no send(phone, text)")
    return gateway
