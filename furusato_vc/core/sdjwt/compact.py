"""Compact serialization of SD-JWT and SD-JWT+KB (RFC 9901 §4)::

<Issuer-signed JWT>~<Disclosure 1>~...~<Disclosure N>~[<KB-JWT>]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from furusato_vc.core.encoding import JsonLimits
from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.frozen import slot_constructor
from furusato_vc.core.jose.jws import JwsLimits
from furusato_vc.core.sdjwt.constants import SEPARATOR

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["CompactSdJwt", "SdJwtLimits", "split_compact"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SdJwtLimits:
    """Bounds on an untrusted SD-JWT, checked before any decoding."""

    max_chars: int = 64 * 1024
    max_disclosures: int = 100
    max_depth: int = 32
    max_json_bytes: int = 32 * 1024
    # derived once, not per verification
    jws: JwsLimits = field(init=False, repr=False, compare=False)
    json: JsonLimits = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "jws", JwsLimits(max_chars=self.max_chars))
        object.__setattr__(
            self, "json", JsonLimits(max_bytes=self.max_json_bytes, max_depth=self.max_depth)
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CompactSdJwt:
    issuer_jwt: str
    disclosures: tuple[str, ...]
    kb_jwt: str | None

    def sd_hash_input(self) -> str:
        """``<Issuer-signed JWT>~<D1>~...~<Dn>~`` — the octets ``sd_hash`` covers (§4.3.1)."""
        return SEPARATOR.join((self.issuer_jwt, *self.disclosures)) + SEPARATOR

    def serialize(self) -> str:
        return self.sd_hash_input() + (self.kb_jwt or "")


_new_compact: Callable[[str, tuple[str, ...], str | None], CompactSdJwt] = slot_constructor(
    CompactSdJwt
)


def split_compact(text: str, *, limits: SdJwtLimits = SdJwtLimits()) -> CompactSdJwt:
    """Split without decoding.

    Raises:
        FormatError: ``input_too_large``; ``too_many_disclosures``; ``malformed_sd_jwt`` when
            there is no ``~``, the Issuer-signed JWT is empty, or a Disclosure is empty (``~~``).
    """
    if len(text) > limits.max_chars:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, f"SD-JWT over {limits.max_chars} chars")
    parts = text.split(SEPARATOR)
    if len(parts) < 2 or not parts[0]:
        raise FormatError(ErrorCode.MALFORMED_SD_JWT, "expected <JWT>~...~")
    disclosures = tuple(parts[1:-1])
    if len(disclosures) > limits.max_disclosures:
        raise FormatError(ErrorCode.TOO_MANY_DISCLOSURES, f"over {limits.max_disclosures}")
    if "" in disclosures:
        raise FormatError(ErrorCode.MALFORMED_SD_JWT, "empty disclosure")
    return _new_compact(parts[0], disclosures, parts[-1] or None)
