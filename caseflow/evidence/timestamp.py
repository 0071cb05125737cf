"""RFC 3161 time-stamping of checkpoints (``CASEFLOW_TSA_URL``), with ``rfc3161-client``.

The TSA is sent a request over the checkpoint statement's canonical bytes (SHA-256 message
imprint, i.e. the checkpoint's hash, with a nonce, asking for its certificate); its answer, a DER
``TimeStampResp``, is checked (granted, our imprint, our nonce; and its signature and certificate
chain when ``CASEFLOW_TSA_CA_FILE`` names the TSA's CA) and kept beside the checkpoint (``.tsr``):
``openssl ts -reply -in FILE.tsr -text`` shows it, ``openssl ts -verify`` verifies it.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from pathlib import Path

from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

CONTENT_TYPE = "application/timestamp-query"
TIMEOUT = 30.0


class TimestampProblem(Exception):
    """The TSA could not be reached, refused, or answered with a token that does not verify."""


def verify_token(token: bytes, data: bytes, ca_pem: bytes, nonce: int | None = None) -> TimeStampResponse:
    """The token stamps exactly ``data`` and is signed by a TSA certified by ``ca_pem``."""
    try:
        response = decode_timestamp_response(token)
        builder = VerifierBuilder(nonce=nonce)
        for cert in x509.load_pem_x509_certificates(ca_pem):
            builder = builder.add_root_certificate(cert)
        builder.build().verify_message(response, data)
    except (ValueError, VerificationError) as exc:
        raise TimestampProblem(f"时间戳令牌无效：{exc}") from None
    return response


def stamp(url: str, data: bytes, ca_file: Path | None = None) -> bytes:
    """Ask the TSA at ``url`` to stamp ``data``; returns its DER TimeStampResp, checked."""
    request = TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256).build()
    http = urllib.request.Request(
        url, data=request.as_bytes(), headers={"Content-Type": CONTENT_TYPE}, method="POST"
    )
    try:
        with urllib.request.urlopen(http, timeout=TIMEOUT) as answer:  # noqa: S310 - configured URL
            token: bytes = answer.read(1024 * 1024)
    except (urllib.error.URLError, OSError) as exc:
        raise TimestampProblem(f"时间戳服务 {url} 无法访问：{exc}") from None
    try:
        response = decode_timestamp_response(token)
    except ValueError as exc:
        raise TimestampProblem(f"时间戳服务的应答不是RFC 3161时间戳：{exc}") from None
    if response.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        raise TimestampProblem(f"时间戳服务拒绝：状态{response.status} {response.status_string}")
    info = response.tst_info
    if info.message_imprint.message != hashlib.sha256(data).digest() or info.nonce != request.nonce:
        raise TimestampProblem("时间戳服务的应答不是针对本检查点的（摘要或随机数不符）")
    if ca_file is not None:
        verify_token(token, data, ca_file.read_bytes(), request.nonce)
    return token
