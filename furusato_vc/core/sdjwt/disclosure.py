"""Disclosures (RFC 9901 §4.2.1 object properties, §4.2.2 array elements)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from furusato_vc.core.encoding import (
    DEFAULT_JSON_LIMITS,
    JsonLimits,
    b64url_decode,
    b64url_encode,
    dumps_compact,
    parse_json,
)
from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.frozen import slot_constructor

if TYPE_CHECKING:
    from collections.abc import Callable

    from furusato_vc.core.encoding import JSONValue

__all__ = ["Disclosure", "make_array_disclosure", "make_object_disclosure", "parse_disclosure"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Disclosure:
    """One Disclosure. ``encoded`` is the exact string as issued: digests are computed over it
    and it is never re-serialized (§4.2.1: there is no canonical form)."""

    encoded: str
    salt: str
    name: str | None  # None for an array element
    value: JSONValue

    @property
    def is_array_element(self) -> bool:
        return self.name is None


# (encoded, salt, name, value): six or so per presentation, on the verification hot path.
_new_disclosure: Callable[[str, str, str | None, JSONValue], Disclosure] = slot_constructor(
    Disclosure
)


def make_object_disclosure(*, salt: str, name: str, value: JSONValue) -> Disclosure:
    """``[salt, name, value]`` (§4.2.1)."""
    encoded = b64url_encode(dumps_compact([salt, name, value]).encode("utf-8"))
    return Disclosure(encoded=encoded, salt=salt, name=name, value=value)


def make_array_disclosure(*, salt: str, value: JSONValue) -> Disclosure:
    """``[salt, value]`` (§4.2.2)."""
    encoded = b64url_encode(dumps_compact([salt, value]).encode("utf-8"))
    return Disclosure(encoded=encoded, salt=salt, name=None, value=value)


def parse_disclosure(encoded: str, *, limits: JsonLimits = DEFAULT_JSON_LIMITS) -> Disclosure:
    """Decode one Disclosure string.

    Raises:
        FormatError: ``malformed_disclosure`` (not base64url, not a 2- or 3-element JSON array,
            salt or claim name not a string) and the JSON codes of
            :func:`~furusato_vc.core.encoding.parse_json` (duplicate keys, depth, numbers).
    """
    try:
        raw = b64url_decode(encoded, max_chars=limits.max_bytes * 4 // 3 + 4)
    except FormatError as exc:
        if exc.code is ErrorCode.INPUT_TOO_LARGE:
            raise
        raise FormatError(ErrorCode.MALFORMED_DISCLOSURE, "not base64url") from exc
    try:
        value = parse_json(raw, limits=limits)
    except FormatError as exc:
        if exc.code is ErrorCode.MALFORMED_JSON:
            raise FormatError(ErrorCode.MALFORMED_DISCLOSURE, "not JSON") from exc
        raise
    if not isinstance(value, list) or len(value) not in (2, 3):
        raise FormatError(ErrorCode.MALFORMED_DISCLOSURE, "not a 2- or 3-element array")
    salt = value[0]
    if not isinstance(salt, str):
        raise FormatError(ErrorCode.MALFORMED_DISCLOSURE, "salt is not a string")
    if len(value) == 2:
        return _new_disclosure(encoded, salt, None, value[1])
    name = value[1]
    if not isinstance(name, str):
        raise FormatError(ErrorCode.MALFORMED_DISCLOSURE, "claim name is not a string")
    return _new_disclosure(encoded, salt, name, value[2])
