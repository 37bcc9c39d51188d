"""Digest algorithms for Disclosures (RFC 9901 §4.1.1, §4.2.3, §9.4).

Names come from the IANA "Named Information Hash Algorithm" registry. Only ``sha-256`` is
implemented (HAIP 1.0 §8 requires it); truncated variants such as ``sha-256-32`` are unfit
(RFC 9901 §9.4) and are rejected like any unknown name.
"""

from __future__ import annotations

import binascii
import hashlib
from enum import StrEnum
from typing import TYPE_CHECKING

from furusato_vc.core.errors import ErrorCode, VerificationError
from furusato_vc.core.sdjwt.constants import SD_ALG_KEY

if TYPE_CHECKING:
    from collections.abc import Iterable

    from furusato_vc.core.encoding import JSONObject

__all__ = ["SdAlg", "digest", "digests", "sd_alg_of"]


_sha256 = hashlib.sha256
_b2a_base64 = binascii.b2a_base64
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")


class SdAlg(StrEnum):
    SHA_256 = "sha-256"


_SHA_256_ALG = SdAlg.SHA_256  # enum member access is slow in 3.11: looked up once
_SHA_256 = _SHA_256_ALG.value


def digest(alg: SdAlg, text: str) -> str:
    """base64url(H(ASCII(text))) — over the encoded string, not the decoded bytes (§4.2.3)."""
    return digests(alg, (text,))[0]


def digests(alg: SdAlg, texts: Iterable[str]) -> list[str]:
    """:func:`digest` of each text, in order: one call for all Disclosures of a presentation
    (the same expression inlined, without a Python call per Disclosure)."""
    del alg  # only sha-256 exists; the argument keeps call sites honest when more are added
    # A 32-byte digest is 43 base64 characters plus one "=": sliced off (hot path).
    return [
        _b2a_base64(_sha256(text.encode("ascii")).digest(), newline=False)[:43]
        .translate(_TO_URLSAFE)
        .decode("ascii")
        for text in texts
    ]


def sd_alg_of(payload: JSONObject) -> SdAlg:
    """The payload's ``_sd_alg`` (default ``sha-256`` when absent, §4.1.1).

    Raises:
        VerificationError: ``sd_alg_unsupported`` for any value but ``sha-256``.
    """
    value = payload.get(SD_ALG_KEY, _SHA_256)
    if value != _SHA_256:
        raise VerificationError(ErrorCode.SD_ALG_UNSUPPORTED, "only sha-256 is accepted")
    return _SHA_256_ALG
