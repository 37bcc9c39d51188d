"""The common result of identity proofing: derived facts only (issue 8, item 1).

Every backend (JPKI signing certificate, OpenID Connect) ends in a :class:`ProofedIdentity`.
It holds what the eligibility rules need and nothing else: how and when the person was proofed,
the 6-digit code of their address municipality, their birth year and a salted person key. The
certificate, the name, the full address, the birth date and every serial or 12-digit number are
dropped inside the backend and never reach this type (My Number Act Art. 20; APPI Art. 61).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from furusato_vc.core.errors import ErrorCode, VerificationError
from furusato_vc.core.registration.bodies import validate_body_code

if TYPE_CHECKING:
    from datetime import date

    from furusato_vc.core.registration.bodies import Body, BodyRegistry

__all__ = [
    "MIN_SECRET_LENGTH",
    "IdentityMethod",
    "ProofedIdentity",
    "derive_person_key",
    "municipality_code_from_address",
]

MIN_SECRET_LENGTH: Final = 32
_PERSON_KEY: Final = re.compile(r"[0-9a-f]{64}")
_KANA_SMALL: Final = str.maketrans({"ヶ": "ケ", "ヵ": "カ"})
_WHITESPACE: Final = re.compile(r"\s+")
_GUN: Final = "郡"
_MAX_GUN_NAME: Final = 8  # 郡 names have at most 4 characters before 郡 (東津軽郡); margin


class IdentityMethod(StrEnum):
    """How a person was proofed. Values are wire-stable (stored by the service)."""

    JPKI_SIGNING = "jpki_signing"
    OIDC = "oidc"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProofedIdentity:
    """The derived facts of one successful identity proofing.

    ``person_key`` is a lowercase hex HMAC-SHA-256 (see :func:`derive_person_key`); it is left
    out of ``repr`` so that it does not end up in logs by accident.
    """

    method: IdentityMethod
    verified_at: date
    address_municipality_code: str
    birth_year: int
    person_key: str = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.method, IdentityMethod):
            raise TypeError("method must be an IdentityMethod")
        validate_body_code(self.address_municipality_code)
        if not 1850 <= self.birth_year <= self.verified_at.year:
            raise ValueError("birth_year is out of range")
        if not _PERSON_KEY.fullmatch(self.person_key):
            raise ValueError("person_key must be 64 lowercase hex digits")


def derive_person_key(secret: bytes, label: str, *parts: str) -> str:
    """``HMAC-SHA-256(secret, label ‖ 0x00 ‖ part₁ ‖ 0x00 ‖ …)`` as lowercase hex.

    ``label`` separates backends and versions, so that keys of different methods never collide
    by construction. The parts must not contain NUL (they are text from a certificate or a token).

    Raises:
        ValueError: ``secret`` is shorter than :data:`MIN_SECRET_LENGTH` bytes, or a part
            contains NUL (programmer errors).
    """
    if len(secret) < MIN_SECRET_LENGTH:
        raise ValueError(f"the person-key secret must be at least {MIN_SECRET_LENGTH} bytes")
    if any("\0" in p for p in (label, *parts)):
        raise ValueError("person-key inputs must not contain NUL")
    message = "\0".join((label, *parts)).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _normalize_address(text: str) -> str:
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text)).translate(_KANA_SMALL)


def municipality_code_from_address(address: str, *, bodies: BodyRegistry) -> str:
    """The 6-digit code of the 市区町村 an address (住民票の住所, as on a JPKI certificate) lies in.

    Matching, on text normalised by NFKC, with whitespace removed and ヶ/ヵ folded to ケ/カ (both
    spellings occur for the same place, e.g. 龍ケ崎):

    1. the address must start with the Japanese name of one of the 47 prefectures;
    2. the rest must start with the name (with its 市/区/町/村 suffix) of a municipality of that
       prefecture (``札幌市中央区…`` → 札幌市, ``千代田区…`` → 千代田区); only if none does, the
       rest is read as one 郡 name followed by a 町/村 name (``上伊那郡南箕輪村…`` → 南箕輪村).
       Direct names go first so that 郡 inside a city name (蒲郡市, 郡山市) is never cut;
    3. exactly one body must match. In the bundled table no municipality name is a prefix of
       another in the same prefecture, so a match is never ambiguous; if it were, or nothing
       matched, the address is rejected rather than guessed.

    Wards of designated cities are not bodies (see :mod:`~furusato_vc.core.registration.bodies`),
    so an address in 札幌市中央区 yields 札幌市 (011002). Variant kanji (異体字) that the
    certificate writes differently from the table do not match; they are rejected, for staff to
    resolve.

    Raises:
        VerificationError: ``identity_address_unknown`` when no unique municipality matches.
    """
    text = _normalize_address(address)
    prefecture = next(
        (p for p in bodies.prefectures() if text.startswith(_normalize_address(p.name_ja))), None
    )
    if prefecture is None:
        raise VerificationError(ErrorCode.IDENTITY_ADDRESS_UNKNOWN, "no prefecture matches")
    rest = text[len(_normalize_address(prefecture.name_ja)) :]
    municipalities = bodies.municipalities_of(prefecture.code)
    matches = _matches(rest, municipalities)
    gun_end = rest.find(_GUN, 1, _MAX_GUN_NAME + 1)
    if not matches and gun_end > 0:
        matches = _matches(rest[gun_end + 1 :], municipalities)
    if len(matches) != 1:
        raise VerificationError(
            ErrorCode.IDENTITY_ADDRESS_UNKNOWN,
            "no municipality matches" if not matches else "several municipalities match",
        )
    return matches.pop()


def _matches(text: str, municipalities: tuple[Body, ...]) -> set[str]:
    return {b.code for b in municipalities if text.startswith(_normalize_address(b.name_ja))}
