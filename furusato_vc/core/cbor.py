"""Strict, bounded CBOR decoding (RFC 8949) for untrusted QR payloads.

Every item we accept must be definite-length (SD-CWT -07 §"Definite Length CBOR Required"),
free of duplicate map keys (RFC 8949 §5.6; SD-CWT -07 §"Duplicate map key detection"), in
*preferred* serialization (RFC 8949 §4.1: shortest integer and length forms), within a depth
and a map/array size bound, and followed by nothing. Re-encoding the decoded value must give
back the input bytes exactly, which closes every malleability gap at once (non-minimal
lengths, trailing bytes) and costs about a microsecond for our payload sizes.
"""

from __future__ import annotations

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
    """Preferred serialization (definite lengths, shortest forms; map order as given)."""
    return cbor2.dumps(value)


def check_items(container: Sized, limits: CborLimits) -> None:
    """Bound one map or array. Readers call this on each container they accept (checking
    the few containers a schema reads is far cheaper than walking every decoded item).

    Raises:
        FormatError: ``cbor_map_too_large``.
    """
    if len(container) > limits.max_items:
        raise FormatError(ErrorCode.CBOR_MAP_TOO_LARGE, f"over {limits.max_items} entries")


def decode_cbor(
    data: bytes, *, limits: CborLimits = DEFAULT_CBOR_LIMITS, canonical: bool = True
) -> object:
    """Decode one CBOR data item, strictly.

    With ``canonical`` (the default) the input must be exactly the preferred serialization of
    what it decodes to, which also rules out trailing bytes. Byte strings that are covered by
    a signature may be decoded with ``canonical=False``: their exact bytes are already
    authenticated, and skipping the re-encoding halves the cost.

    Raises:
        FormatError: ``input_too_large``; ``cbor_indefinite_length``; ``cbor_duplicate_key``;
            ``cbor_too_deep``; ``cbor_trailing_bytes``; ``malformed_cbor`` for anything else
            (truncation, reserved values, invalid UTF-8 text, non-preferred serialization).
    """
    if len(data) > limits.max_bytes:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, f"CBOR over {limits.max_bytes} bytes")
    try:
        value = cbor2.loads(
            data,
            allow_indefinite=False,
            allow_duplicate_keys=False,
            max_depth=limits.max_depth,
        )
    except cbor2.CBORDecodeError as exc:
        message = str(exc).lower()
        if "indefinite" in message:
            raise FormatError(ErrorCode.CBOR_INDEFINITE_LENGTH, "indefinite length") from exc
        if "duplicate" in message:
            raise FormatError(ErrorCode.CBOR_DUPLICATE_KEY, "duplicate map key") from exc
        if "depth" in message:
            raise FormatError(ErrorCode.CBOR_TOO_DEEP, f"deeper than {limits.max_depth}") from exc
        raise FormatError(ErrorCode.MALFORMED_CBOR, "not well-formed CBOR") from exc
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise FormatError(ErrorCode.MALFORMED_CBOR, "not well-formed CBOR") from exc
    if not canonical:
        return value
    try:
        preferred = cbor2.dumps(value)
    except (cbor2.CBOREncodeError, ValueError, TypeError) as exc:
        raise FormatError(ErrorCode.MALFORMED_CBOR, "value cannot be re-encoded") from exc
    if preferred != data:
        if data.startswith(preferred):
            raise FormatError(ErrorCode.CBOR_TRAILING_BYTES, "bytes after the data item")
        raise FormatError(ErrorCode.MALFORMED_CBOR, "not in preferred serialization")
    return value
