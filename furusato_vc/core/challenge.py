"""The verifier's challenge QR (challenge mode, issue M2 §3 and M6): a kiosk shows
``FN1:`` + a fresh nonce; the wallet scans it and binds its next QR presentation to that nonce
(the SD-KBT's ``cnonce``), so a card shown on another phone, or recorded earlier, fails.

The nonce is 80 random bits in RFC 4648 Base32 without padding (16 characters of
``A–Z2–7``), so the whole text stays in the QR alphanumeric mode.
"""

from __future__ import annotations

import re
from typing import Final

from furusato_vc.core.errors import ErrorCode, FormatError

__all__ = ["CHALLENGE_PREFIX", "encode_challenge_qr", "parse_challenge_qr"]

CHALLENGE_PREFIX: Final = "FN1:"
_NONCE: Final = re.compile(r"[A-Z2-7]{16}")


def encode_challenge_qr(nonce: str) -> str:
    """The QR text for ``nonce`` (a 16-character Base32 nonce); ``ValueError`` otherwise."""
    if not _NONCE.fullmatch(nonce):
        raise ValueError("a challenge nonce is 16 characters of RFC 4648 Base32")
    return CHALLENGE_PREFIX + nonce


def parse_challenge_qr(text: str) -> str:
    """The nonce in a challenge QR text (a trailing newline from a scanner is ignored).

    Raises:
        FormatError: ``qr_prefix_unknown`` (not a challenge QR), ``malformed_request`` (the
            nonce is not 16 Base32 characters).
    """
    text = text.removesuffix("\n").removesuffix("\r")
    if not text.startswith(CHALLENGE_PREFIX):
        raise FormatError(ErrorCode.QR_PREFIX_UNKNOWN, "not a challenge QR (FN1:)")
    nonce = text[len(CHALLENGE_PREFIX) :]
    if not _NONCE.fullmatch(nonce):
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "challenge nonce")
    return nonce
