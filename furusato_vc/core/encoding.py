"""Strict base64url and JSON, with bounded inputs.

CPython's ``base64.urlsafe_b64decode`` silently drops characters outside the alphabet and
accepts padding and non-zero trailing bits; ``json.loads`` keeps the last of duplicated names,
accepts ``NaN``/``Infinity``, turns ``1e400`` into ``inf``, accepts lone surrogates and raises
``RecursionError`` on deep nesting. Every one of those is a way for two components to read the
same bytes differently, so this module rejects them all with :class:`FormatError`.
"""

from __future__ import annotations

import binascii
import json
import json.scanner
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

JSONValue: TypeAlias = "bool | int | float | str | list[JSONValue] | dict[str, JSONValue] | None"
JSONObject: TypeAlias = "dict[str, JSONValue]"

# RFC 4648 §5 alphabet, no padding (RFC 7515 §2 "Base64url Encoding").
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}
# To the standard alphabet for binascii. '+', '/' and '=' are valid there but not in unpadded
# base64url, so they become '!', which the strict decoder rejects like any other stray byte: one
# pass over the text instead of three membership tests.
_TO_STANDARD = bytes.maketrans(b"-_+/=", b"+/!!!")
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_LONG_BASE64URL = 256  # from here on, str.replace() beats bytes.translate() (measured)
_PADDING = (b"", b"", b"==", b"=")

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
    encoded = binascii.b2a_base64(data, newline=False).translate(_TO_URLSAFE)
    return encoded.rstrip(b"=").decode("ascii")


def b64url_decode(text: str, *, max_chars: int | None = None) -> bytes:
    """Decode canonical, unpadded base64url.

    Raises:
        FormatError: ``input_too_large`` if longer than ``max_chars``;
            ``malformed_base64url`` for padding, characters outside the alphabet, an
            impossible length, or non-zero unused trailing bits (non-canonical encodings).
    """
    length = len(text)
    if max_chars is not None and length > max_chars:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, f"base64url text over {max_chars} chars")
    remainder = length % 4
    if remainder == 1:
        raise FormatError(ErrorCode.MALFORMED_BASE64URL, "not unpadded base64url")
    # Everything outside the base64url alphabet (padding, '+', '/', whitespace, junk via
    # _TO_STANDARD; non-ASCII via encode) is rejected by strict mode.
    try:
        if length > _LONG_BASE64URL:
            # A JWT payload: memchr-based tests and replace() touch far fewer bytes than a
            # translate() of every one; '+', '/' and '=' are refused explicitly instead.
            if "+" in text or "/" in text or "=" in text:
                raise FormatError(ErrorCode.MALFORMED_BASE64URL, "not unpadded base64url")
            standard = text.replace("-", "+").replace("_", "/").encode("ascii")
        else:
            standard = text.encode("ascii").translate(_TO_STANDARD)
        raw = binascii.a2b_base64(standard + _PADDING[remainder], strict_mode=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise FormatError(ErrorCode.MALFORMED_BASE64URL, "not unpadded base64url") from exc
    # 2 chars carry 1 byte (4 spare bits); 3 chars carry 2 bytes (2 spare bits): canonical
    # encodings leave them zero.
    if remainder and _INDEX[text[-1]] & (0x0F if remainder == 2 else 0x03):
        raise FormatError(ErrorCode.MALFORMED_BASE64URL, "non-zero trailing bits")
    return raw


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
    if len(text) < _MAX_INT_DIGITS:  # at most 15 digits: below 10**15 < 2**53, nothing to check
        return int(text)
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
# The same C scanner json.loads uses (typeshed types its context as the scanner itself).
_SCAN = json.scanner.make_scanner(_DECODER)  # type: ignore[arg-type]
_JSON_WHITESPACE = " \t\n\r"  # RFC 8259 §2
_JSON_WHITESPACE_SET = frozenset(_JSON_WHITESPACE)


def _parse_padded(text: str) -> JSONValue:
    """The slow path for JSON with leading whitespace (same checks, through json's wrapper)."""
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
    return value


# Strings (with escapes) removed, then only brackets kept: what remains encodes the nesting.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NON_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")
# A lone surrogate can only come from a \u escape once the input decoded as strict UTF-8.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _check_depth(text: str, max_depth: int) -> None:
    """Container depth of well-formed JSON, without recursion: each pass deletes the innermost
    ``[]``/``{}`` pairs, so the number of passes to empty is the depth."""
    # Depth d needs d opening and d closing brackets, so short texts (most Disclosures) are
    # within any bound; and depth never exceeds the number of opening brackets.
    if len(text) <= 2 * max_depth + 1 or text.count("[") + text.count("{") <= max_depth:
        return
    brackets = _NON_BRACKET.sub("", _JSON_STRING.sub("", text))
    for _ in range(max_depth):
        if not brackets:
            return
        brackets = _INNERMOST.sub("", brackets)
    if brackets:
        raise FormatError(ErrorCode.JSON_TOO_DEEP, f"deeper than {max_depth}")


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise FormatError(ErrorCode.JSON_INVALID_STRING, "lone surrogate") from exc


def _check_strings(value: JSONValue) -> None:
    stack: list[JSONValue] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            _check_text(node)
        elif isinstance(node, dict):
            for key, child in node.items():
                _check_text(key)
                stack.append(child)
        elif isinstance(node, list):
            stack.extend(node)


def parse_json(data: bytes | str, *, limits: JsonLimits = DEFAULT_JSON_LIMITS) -> JSONValue:
    """Parse untrusted JSON strictly (RFC 8259 with the I-JSON restrictions of RFC 7493).

    Raises:
        FormatError: ``input_too_large``, ``malformed_json`` (syntax, invalid UTF-8, BOM),
            ``json_duplicate_key``, ``json_too_deep``, ``json_number_out_of_range``
            (``NaN``, ``Infinity``, overflowing floats, integers beyond ±(2**53-1)),
            ``json_invalid_string`` (lone surrogates).
    """
    if len(data) > limits.max_bytes:  # a str has at most as many characters as UTF-8 bytes
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, f"JSON over {limits.max_bytes} bytes")
    if isinstance(data, bytes):
        if data[:3] == b"\xef\xbb\xbf":
            raise FormatError(ErrorCode.MALFORMED_JSON, "byte order mark")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError(ErrorCode.MALFORMED_JSON, "not UTF-8") from exc
    else:
        text = data
        _check_text(text)  # a str may carry raw surrogates
        if not text.isascii() and len(text.encode("utf-8")) > limits.max_bytes:
            raise FormatError(ErrorCode.INPUT_TOO_LARGE, f"JSON over {limits.max_bytes} bytes")
        if text[:1] == "\ufeff":
            raise FormatError(ErrorCode.MALFORMED_JSON, "byte order mark")
    try:
        value: JSONValue
        value, end = _SCAN(text, 0)  # the C scanner without json.loads' Python wrappers
        if end != len(text) and text[end:].strip(_JSON_WHITESPACE):
            raise FormatError(ErrorCode.MALFORMED_JSON, "data after the JSON value")
    except StopIteration as exc:  # raised by the scanner for a syntax error at the start
        if text[:1] in _JSON_WHITESPACE_SET and text.strip(_JSON_WHITESPACE):
            value = _parse_padded(text)
        else:
            raise FormatError(ErrorCode.MALFORMED_JSON, "syntax error") from exc
    except _DuplicateKeyError as exc:
        raise FormatError(ErrorCode.JSON_DUPLICATE_KEY, "duplicate member name") from exc
    except _NumberRangeError as exc:
        raise FormatError(ErrorCode.JSON_NUMBER_OUT_OF_RANGE, "number out of range") from exc
    except RecursionError as exc:
        raise FormatError(ErrorCode.JSON_TOO_DEEP, "nesting exhausted the parser") from exc
    except ValueError as exc:
        raise FormatError(ErrorCode.MALFORMED_JSON, "syntax error") from exc
    max_depth = limits.max_depth
    if len(text) > 2 * max_depth + 1:  # shorter texts cannot nest deeper (see _check_depth)
        _check_depth(text, max_depth)
    # `"\\" in text` is a memchr; the regex only runs when there is an escape at all.
    if "\\" in text and _SURROGATE_ESCAPE.search(text):
        _check_strings(value)
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
