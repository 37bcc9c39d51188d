"""Strict base64url and JSON, with bounded inputs.

CPython's ``base64.urlsafe_b64decode`` silently drops characters outside the alphabet and
accepts padding and non-zero trailing bits; ``json.loads`` keeps the last of duplicated names,
accepts ``NaN``/``Infinity``, turns ``1e400`` into ``inf``, accepts lone surrogates and raises
``RecursionError`` on deep nesting. Every one of those is a way for two components to read the
same bytes differently, so this module rejects them all with :class:`FormatError`.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from dataclasses import dataclass
from typing import TypeAlias

from furusato_vc.core.errors import ErrorCode, FormatError

__all__ = [
    "DEFAULT_JSON_LIMITS",
    "JSONObject",
    "JSONValue",
    "JsonLimits",
    "b64url_decode",
    "b64url_encode",
    "dumps_compact",
    "parse_json",
    "parse_json_object",
]

JSONValue: TypeAlias = "None | bool | int | float | str | list[JSONValue] | dict[str, JSONValue]"
JSONObject: TypeAlias = "dict[str, JSONValue]"

# RFC 4648 §5 alphabet, no padding (RFC 7515 §2 "Base64url Encoding").
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}

# I-JSON (RFC 7493 §2.2): integers outside ±(2**53 - 1) cannot be exchanged reliably.
_MAX_SAFE_INT = 2**53 - 1
_MAX_INT_DIGITS = 16


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonLimits:
    """Bounds checked before and while parsing untrusted JSON."""

    max_bytes: int = 64 * 1024
    max_depth: int = 32


DEFAULT_JSON_LIMITS = JsonLimits()


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, *, max_chars: int | None = None) -> bytes:
    """Decode canonical, unpadded base64url.

    Raises:
        FormatError: ``input_too_large`` if longer than ``max_chars``;
            ``malformed_base64url`` for padding, characters outside the alphabet, an
            impossible length, or non-zero unused trailing bits (non-canonical encodings).
    """
    if max_chars is not None and len(text) > max_chars:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, f"base64url text over {max_chars} chars")
    remainder = len(text) % 4
    if remainder == 1 or _B64URL.fullmatch(text) is None:
        raise FormatError(ErrorCode.MALFORMED_BASE64URL, "not unpadded base64url")
    if remainder:
        # 2 chars carry 1 byte (4 spare bits); 3 chars carry 2 bytes (2 spare bits).
        spare_mask = 0x0F if remainder == 2 else 0x03
        if _INDEX[text[-1]] & spare_mask:
            raise FormatError(ErrorCode.MALFORMED_BASE64URL, "non-zero trailing bits")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:  # pragma: no cover - excluded by the checks above
        raise FormatError(ErrorCode.MALFORMED_BASE64URL, "undecodable") from exc


def dumps_compact(value: JSONValue) -> str:
    """Serialize without whitespace, keeping non-ASCII text as UTF-8 (smaller for Japanese)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class _DuplicateKeyError(ValueError):
    pass


class _NumberRangeError(ValueError):
    pass


def _object_pairs(pairs: list[tuple[str, JSONValue]]) -> JSONObject:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateKeyError
    return result


def _reject_constant(_name: str) -> JSONValue:
    raise _NumberRangeError


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise _NumberRangeError
    value = int(text)
    if abs(value) > _MAX_SAFE_INT:
        raise _NumberRangeError
    return value


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NumberRangeError
    return value


_DECODER = json.JSONDecoder(
    object_pairs_hook=_object_pairs,
    parse_constant=_reject_constant,
    parse_int=_parse_int,
    parse_float=_parse_float,
    strict=True,
)


def _check_structure(value: JSONValue, max_depth: int) -> None:
    """Depth bound and well-formed Unicode (no lone surrogates), iteratively."""
    stack: list[tuple[JSONValue, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            if not node.isascii():
                _check_text(node)
        elif isinstance(node, dict):
            if depth > max_depth:
                raise FormatError(ErrorCode.JSON_TOO_DEEP, f"deeper than {max_depth}")
            for key, child in node.items():
                if not key.isascii():
                    _check_text(key)
                stack.append((child, depth + 1))
        elif isinstance(node, list):
            if depth > max_depth:
                raise FormatError(ErrorCode.JSON_TOO_DEEP, f"deeper than {max_depth}")
            stack.extend((child, depth + 1) for child in node)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise FormatError(ErrorCode.JSON_INVALID_STRING, "lone surrogate") from exc


def parse_json(data: bytes | str, *, limits: JsonLimits = DEFAULT_JSON_LIMITS) -> JSONValue:
    """Parse untrusted JSON strictly (RFC 8259 with the I-JSON restrictions of RFC 7493).

    Raises:
        FormatError: ``input_too_large``, ``malformed_json`` (syntax, invalid UTF-8, BOM),
            ``json_duplicate_key``, ``json_too_deep``, ``json_number_out_of_range``
            (``NaN``, ``Infinity``, overflowing floats, integers beyond ±(2**53-1)),
            ``json_invalid_string`` (lone surrogates).
    """
    if len(data) > limits.max_bytes:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, f"JSON over {limits.max_bytes} bytes")
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError(ErrorCode.MALFORMED_JSON, "not UTF-8") from exc
    else:
        text = data
    if text.startswith("\ufeff"):
        raise FormatError(ErrorCode.MALFORMED_JSON, "byte order mark")
    try:
        value: JSONValue = _DECODER.decode(text)
    except _DuplicateKeyError as exc:
        raise FormatError(ErrorCode.JSON_DUPLICATE_KEY, "duplicate member name") from exc
    except _NumberRangeError as exc:
        raise FormatError(ErrorCode.JSON_NUMBER_OUT_OF_RANGE, "number out of range") from exc
    except RecursionError as exc:
        raise FormatError(ErrorCode.JSON_TOO_DEEP, "nesting exhausted the parser") from exc
    except ValueError as exc:
        raise FormatError(ErrorCode.MALFORMED_JSON, "syntax error") from exc
    _check_structure(value, limits.max_depth)
    return value


def parse_json_object(data: bytes | str, *, limits: JsonLimits = DEFAULT_JSON_LIMITS) -> JSONObject:
    """:func:`parse_json`, requiring a top-level object.

    Raises:
        FormatError: as :func:`parse_json`; ``malformed_json`` if the top level is not an object.
    """
    value = parse_json(data, limits=limits)
    if not isinstance(value, dict):
        raise FormatError(ErrorCode.MALFORMED_JSON, "top level is not an object")
    return value
