"""Strict, bounded CBOR decoding (RFC 8949) for untrusted QR payloads.

Every item we accept must be definite-length (SD-CWT -07 §"Definite Length CBOR Required"),
free of duplicate map keys (RFC 8949 §5.6; SD-CWT -07 §"Duplicate map key detection"),
within a depth and a map/array size bound, and followed by nothing. Unsigned bytes must also
be the deterministic encoding (RFC 8949 §4.2.1) of what they decode to, which closes every
malleability gap (non-minimal lengths, unsorted keys, long floats) at once.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cbor2

from furusato_vc.core.errors import ErrorCode, FormatError

if TYPE_CHECKING:
    from collections.abc import Sized

__all__ = ["CborLimits", "check_items", "decode_cbor", "encode_cbor"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CborLimits:
    max_bytes: int = 8192
    max_depth: int = 16
    max_items: int = 64  # entries of any one map or array


DEFAULT_CBOR_LIMITS = CborLimits()


def encode_cbor(value: object) -> bytes:
    """Core deterministic encoding (RFC 8949 §4.2.1): definite lengths, shortest integer,
    length and float forms, sorted map keys."""
    return cbor2.dumps(value, canonical=True)


def check_items(container: Sized, limits: CborLimits) -> None:
    """Bound one map or array. Readers call this on each container they accept (checking
    the few containers a schema reads is far cheaper than walking every decoded item).

    Raises:
        FormatError: ``cbor_map_too_large``.
    """
    if len(container) > limits.max_items:
        raise FormatError(ErrorCode.CBOR_MAP_TOO_LARGE, f"over {limits.max_items} entries")


_INDEFINITE_CONTAINERS = ("array", "map", "byte string", "text string")


def decode_cbor(
    data: bytes, *, limits: CborLimits = DEFAULT_CBOR_LIMITS, canonical: bool = True
) -> object:
    """Decode exactly one CBOR data item, strictly.

    With ``canonical`` (the default) the input must be the deterministic encoding (RFC 8949
    §4.2.1, as :func:`encode_cbor` writes it) of what it decodes to. Byte strings covered by
    a signature may be decoded with ``canonical=False``: their bytes are authenticated as
    sent, so only well-formedness and the absence of trailing bytes are checked.

    Raises:
        FormatError: ``input_too_large``; ``cbor_indefinite_length``; ``cbor_duplicate_key``;
            ``cbor_too_deep``; ``cbor_trailing_bytes``; ``malformed_cbor`` for anything else
            (truncation, not-well-formed heads, invalid UTF-8 text, non-deterministic
            encoding).
    """
    if len(data) > limits.max_bytes:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, f"CBOR over {limits.max_bytes} bytes")
    stream = io.BytesIO(data)
    try:
        value = cbor2.CBORDecoder(
            stream,
            allow_indefinite=False,
            allow_duplicate_keys=False,
            max_depth=limits.max_depth,
        ).decode()
    except cbor2.CBORDecodeError as exc:
        message = str(exc).lower()
        if "indefinite" in message and any(kind in message for kind in _INDEFINITE_CONTAINERS):
            raise FormatError(ErrorCode.CBOR_INDEFINITE_LENGTH, "indefinite length") from exc
        if "duplicate" in message:
            raise FormatError(ErrorCode.CBOR_DUPLICATE_KEY, "duplicate map key") from exc
        if "depth" in message:
            raise FormatError(ErrorCode.CBOR_TOO_DEEP, f"deeper than {limits.max_depth}") from exc
        # includes 0x1f/0x3f/0xdf (additional info 31 on an integer or tag: not well-formed)
        raise FormatError(ErrorCode.MALFORMED_CBOR, "not well-formed CBOR") from exc
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise FormatError(ErrorCode.MALFORMED_CBOR, "not well-formed CBOR") from exc
    if stream.tell() != len(data):
        raise FormatError(ErrorCode.CBOR_TRAILING_BYTES, "bytes after the data item")
    if canonical:
        try:
            deterministic = encode_cbor(value)
        except (cbor2.CBOREncodeError, ValueError, TypeError) as exc:
            raise FormatError(ErrorCode.MALFORMED_CBOR, "value cannot be re-encoded") from exc
        if deterministic != data:
            raise FormatError(ErrorCode.MALFORMED_CBOR, "not the deterministic encoding")
    return value
