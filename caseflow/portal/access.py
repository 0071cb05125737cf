"""The applicant's access to their request page: signed links.

An applicant reaches their request's page with the tracking number and query code, or with a signed
link sent by e-mail or SMS text. A link carries the request's id and the hash of its query code,
signed with ``CASEFLOW_SECRET_KEY`` (itsdangerous, timed): it stops working when it expires, when the
secret changes, or when the request's query code is changed. The page itself lives at
``/public/r/{token}``; a look-up by tracking number and code redirects there with a short-lived link.
"""

from __future__ import annotations

import hashlib
import hmac

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from caseflow.settings import get_settings

#: A link made after a look-up with tracking number and code: the browser session's working time.
LOOKUP_LINK_SECONDS = 2 * 3600
#: A link sent by e-mail or SMS text: long enough to follow a request to its reply and after.
SENT_LINK_SECONDS = 60 * 24 * 3600
_SALT = "caseflow.applicant-link"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=_SALT)


def _code_tag(query_code: str) -> str:
    return hashlib.sha256(query_code.strip().upper().encode()).hexdigest()[:16]


def sign_link(case_id: int, query_code: str, *, sent: bool = False) -> str:
    """A token for ``/public/r/{token}``: the request and (a tag of) its current query code. ``sent``:
    a link for e-mail or SMS text (valid ``SENT_LINK_SECONDS``), else after a look-up
    (``LOOKUP_LINK_SECONDS``)."""
    return _serializer().dumps([case_id, _code_tag(query_code), "sent" if sent else "lookup"])


class LinkError(Exception):
    """A link that is not valid: ``expired`` tells an expired one from a forged or damaged one."""

    def __init__(self, message: str, *, expired: bool) -> None:
        super().__init__(message)
        self.expired = expired


def open_link(token: str) -> tuple[int, str]:
    """The request id and code tag a token names, if its signature holds and it has not expired.
    The caller checks the tag against the request's current query code (``code_matches``)."""
    invalid = LinkError("链接无效，请使用查询编号和查询码查询", expired=False)
    serializer = _serializer()
    try:
        payload = serializer.loads(token, max_age=SENT_LINK_SECONDS)
    except SignatureExpired as exc:
        raise LinkError("该链接已过期，请使用查询编号和查询码重新查询", expired=True) from exc
    except (BadSignature, ValueError, TypeError) as exc:
        raise invalid from exc
    if not (isinstance(payload, list) and len(payload) == 3):
        raise invalid
    case_id, tag, kind = payload
    if not isinstance(case_id, int) or not isinstance(tag, str) or kind not in ("sent", "lookup"):
        raise invalid
    if kind == "lookup":
        try:
            serializer.loads(token, max_age=LOOKUP_LINK_SECONDS)
        except SignatureExpired as exc:
            raise LinkError("该链接已过期，请使用查询编号和查询码重新查询", expired=True) from exc
    return case_id, tag


def code_matches(tag: str, query_code: str) -> bool:
    return tag == _code_tag(query_code)


# --- an online application's status page (before and after confirmation) ----------------------

_SUBMISSION_SALT = "caseflow.submission-link"


def _submission_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=_SUBMISSION_SALT)


def sign_submission_link(submission_no: str, access_code_hash: str) -> str:
    """A token for ``/public/applications/view/{token}``, made after a look-up with the submission
    number and access code: the submission and a tag of its stored access-code hash, valid
    ``LOOKUP_LINK_SECONDS`` (the code itself never travels in a URL)."""
    return _submission_serializer().dumps([submission_no, access_code_hash[:16]])


def open_submission_link(token: str) -> tuple[str, str]:
    """The submission number and code tag a token names (``LinkError`` if forged, damaged or expired);
    the caller checks the tag with ``submission_code_matches``."""
    try:
        payload = _submission_serializer().loads(token, max_age=LOOKUP_LINK_SECONDS)
    except SignatureExpired as exc:
        raise LinkError("该链接已过期，请使用提交编号和访问码重新查询", expired=True) from exc
    except (BadSignature, ValueError, TypeError) as exc:
        raise LinkError("链接无效，请使用提交编号和访问码查询", expired=False) from exc
    if not (isinstance(payload, list) and len(payload) == 2 and all(isinstance(x, str) for x in payload)):
        raise LinkError("链接无效，请使用提交编号和访问码查询", expired=False)
    return payload[0], payload[1]


def submission_code_matches(tag: str, access_code_hash: str) -> bool:
    return hmac.compare_digest(tag, access_code_hash[:16])
