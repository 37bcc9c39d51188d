"""The Status List itself (draft-ietf-oauth-status-list-20 §4): a byte array of ``bits``-wide
status values, packed least-significant bit first, compressed with DEFLATE in the ZLIB format,
and carried in JSON (§4.2: ``lst`` base64url) or CBOR (§4.3: ``lst`` a byte string).

Decoding is strict and bounded (security catalogue L-3, L-5): ``bits`` must be 1, 2, 4 or 8;
``lst`` must be one complete ZLIB stream (RFC 1950 header and Adler-32 trailer, nothing after
it) whose output is capped before it is produced, so a decompression bomb stops early.
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Final

from furusato_vc.core.encoding import b64url_decode, b64url_encode
from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from furusato_vc.core.encoding import JSONObject, JSONValue

__all__ = [
    "DEFAULT_STATUS_LIST_LIMITS",
    "STATUS_LIST_DRAFT",
    "ParsedStatusList",
    "StatusList",
    "StatusListBuilder",
    "StatusListLimits",
    "StatusType",
    "parse_status_list_cbor",
    "parse_status_list_json",
]

# The revision every rule in this package follows (sections are cited from it).
STATUS_LIST_DRAFT: Final = "draft-ietf-oauth-status-list-20"

_ALLOWED_BITS = (1, 2, 4, 8)  # §4.1 step 1
_ZLIB_WBITS = 15  # RFC 1950 container only: raw DEFLATE and gzip are refused


class StatusType(IntEnum):
    """Registered Status Type values (§7.1). Other values fail closed at the verifier."""

    VALID = 0x00
    INVALID = 0x01
    SUSPENDED = 0x02


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusListLimits:
    """Bounds for untrusted status lists. The default admits 16 Mi entries at 8 bits (16 MiB
    inflated), far above the 2**20-entry lists we publish, and refuses more."""

    max_compressed_bytes: int = 8 * 1024 * 1024
    max_inflated_bytes: int = 16 * 1024 * 1024

    def __post_init__(self) -> None:
        # zlib reads a max_length of 0 as "unlimited": never let a limit disable the cap.
        if self.max_compressed_bytes <= 0 or self.max_inflated_bytes <= 0:
            raise ValueError("status list limits must be positive")


DEFAULT_STATUS_LIST_LIMITS = StatusListLimits()


class StatusList:
    """A decoded, read-only status list: ``get(idx)`` is O(1) (a byte load and two shifts).

    ``size`` is the number of entries the byte array holds (``len * 8 // bits``); an index at
    or beyond it is out of bounds (§8.3 step 6).
    """

    __slots__ = ("_compressed", "_data", "_mask", "_shift", "_sub", "bits", "size")

    def __init__(self, *, bits: int, data: bytes, compressed: bytes | None = None) -> None:
        if bits not in _ALLOWED_BITS:
            raise ValueError("bits must be 1, 2, 4 or 8")
        self.bits = bits
        self._data = data
        self._compressed = compressed
        self.size = len(data) * 8 // bits
        per_byte = 8 // bits
        self._shift = per_byte.bit_length() - 1  # idx >> shift is the byte index
        self._sub = per_byte - 1  # idx & sub is the slot inside the byte
        self._mask = (1 << bits) - 1

    @property
    def data(self) -> bytes:
        """The uncompressed byte array (§4.1 step 2)."""
        return self._data

    def get(self, idx: int) -> int:
        """The status value at ``idx``.

        Raises:
            VerificationError: ``status_index_out_of_range`` (§8.3 step 6: "MUST be rejected").
        """
        if not 0 <= idx < self.size:
            raise VerificationError(
                ErrorCode.STATUS_INDEX_OUT_OF_RANGE, "index outside the status list"
            )
        # §4.1 step 3: blocks are packed from the least significant bit of each byte.
        return (self._data[idx >> self._shift] >> ((idx & self._sub) * self.bits)) & self._mask

    def histogram(self) -> dict[int, int]:
        """How many entries hold each value (dashboards, benchmarks); one counting pass in C
        over the bytes, then per distinct byte value."""
        per_byte, bits, mask = 8 // self.bits, self.bits, self._mask
        counts: dict[int, int] = {}
        for byte, times in Counter(self._data).items():
            for slot in range(per_byte):
                value = (byte >> (slot * bits)) & mask
                counts[value] = counts.get(value, 0) + times
        return counts

    def count(self, value: int) -> int:
        return self.histogram().get(value, 0)

    def compress(self) -> bytes:
        """§4.1 step 4: DEFLATE in the ZLIB format, at the highest compression level (kept,
        so that signing the JWT and the CWT form compresses once)."""
        if self._compressed is None:
            self._compressed = zlib.compress(self._data, 9)
        return self._compressed

    def to_json(self, *, aggregation_uri: str | None = None) -> JSONObject:
        """§4.2: ``{"bits": n, "lst": base64url(zlib(bytes))}``."""
        out: JSONObject = {"bits": self.bits, "lst": b64url_encode(self.compress())}
        if aggregation_uri is not None:
            out["aggregation_uri"] = aggregation_uri
        return out

    def to_cbor_value(self, *, aggregation_uri: str | None = None) -> dict[str, object]:
        """§4.3: ``{"bits": n, "lst": h'…'}`` (text keys, as the draft's CDDL)."""
        out: dict[str, object] = {"bits": self.bits, "lst": self.compress()}
        if aggregation_uri is not None:
            out["aggregation_uri"] = aggregation_uri
        return out

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, StatusList) and self.bits == other.bits and self._data == other._data
        )

    def __hash__(self) -> int:
        return hash((self.bits, self._data))

    def __repr__(self) -> str:
        return f"StatusList(bits={self.bits}, size={self.size})"


class StatusListBuilder:
    """A mutable list for the Status Issuer: every entry starts VALID (0), the default the
    draft recommends so that unused and valid indices look alike (§13.3)."""

    __slots__ = ("_data", "_mask", "bits", "size")

    def __init__(self, *, size: int, bits: int) -> None:
        if bits not in _ALLOWED_BITS:
            raise ValueError("bits must be 1, 2, 4 or 8")
        if size <= 0 or size * bits % 8:
            # §13.4: the size in bits SHOULD be a whole number of bytes; we require it, so
            # that size round-trips through the byte array exactly.
            raise ValueError("size * bits must be a positive multiple of 8")
        self.bits = bits
        self.size = size
        self._mask = (1 << bits) - 1
        self._data = bytearray(size * bits // 8)

    @classmethod
    def from_entries(
        cls, entries: Mapping[int, int] | Iterable[tuple[int, int]], *, size: int, bits: int
    ) -> StatusListBuilder:
        builder = cls(size=size, bits=bits)
        items = entries.items() if hasattr(entries, "items") else entries
        for idx, value in items:
            builder.set(idx, value)
        return builder

    def set(self, idx: int, value: int) -> None:
        if not 0 <= idx < self.size:
            raise ValueError("index outside the status list")
        if not 0 <= value <= self._mask:
            raise ValueError(f"value does not fit in {self.bits} bits")
        per_byte = 8 // self.bits
        byte, slot = divmod(idx, per_byte)
        offset = slot * self.bits
        self._data[byte] = (self._data[byte] & ~(self._mask << offset)) | (value << offset)

    def get(self, idx: int) -> int:
        if not 0 <= idx < self.size:
            raise ValueError("index outside the status list")
        byte, slot = divmod(idx, 8 // self.bits)
        return (self._data[byte] >> (slot * self.bits)) & self._mask

    def freeze(self) -> StatusList:
        return StatusList(bits=self.bits, data=bytes(self._data))


def _inflate(compressed: bytes, limits: StatusListLimits) -> bytes:
    if len(compressed) > limits.max_compressed_bytes:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, "compressed status list too large")
    inflater = zlib.decompressobj(_ZLIB_WBITS)
    try:
        raw = inflater.decompress(compressed, limits.max_inflated_bytes + 1)
    except zlib.error as exc:
        raise FormatError(ErrorCode.MALFORMED_STATUS_LIST, "lst is not a ZLIB stream") from exc
    if len(raw) > limits.max_inflated_bytes:
        raise FormatError(ErrorCode.INFLATED_TOO_LARGE, "status list inflates too far")
    if not inflater.eof:
        raise FormatError(ErrorCode.MALFORMED_STATUS_LIST, "ZLIB stream is truncated")
    if inflater.unused_data:
        raise FormatError(ErrorCode.MALFORMED_STATUS_LIST, "data after the ZLIB stream")
    if not raw:
        raise FormatError(ErrorCode.MALFORMED_STATUS_LIST, "status list is empty")
    return raw


def _bits_of(value: object) -> int:
    if type(value) is not int or value not in _ALLOWED_BITS:
        raise FormatError(ErrorCode.MALFORMED_STATUS_LIST, "bits must be 1, 2, 4 or 8")
    return value


def _aggregation_uri(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise FormatError(ErrorCode.MALFORMED_STATUS_LIST, "aggregation_uri is not a string")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedStatusList:
    status_list: StatusList
    aggregation_uri: str | None


def parse_status_list_json(
    value: JSONValue, *, limits: StatusListLimits = DEFAULT_STATUS_LIST_LIMITS
) -> ParsedStatusList:
    """§4.2 JSON form.

    Raises:
        FormatError: ``malformed_status_list`` (not an object, bad ``bits``,
            ``lst`` not base64url or not one ZLIB stream, empty list), ``input_too_large``,
            ``inflated_too_large``.
    """
    if not isinstance(value, dict) or "bits" not in value or "lst" not in value:
        raise FormatError(ErrorCode.MALFORMED_STATUS_LIST, "status_list needs bits and lst")
    bits = _bits_of(value["bits"])
    lst = value["lst"]
    if not isinstance(lst, str):
        raise FormatError(ErrorCode.MALFORMED_STATUS_LIST, "lst is not a string")
    try:
        compressed = b64url_decode(lst, max_chars=limits.max_compressed_bytes * 4 // 3 + 4)
    except FormatError as exc:
        if exc.code is ErrorCode.INPUT_TOO_LARGE:
            raise
        raise FormatError(ErrorCode.MALFORMED_STATUS_LIST, "lst is not base64url") from exc
    return ParsedStatusList(
        status_list=StatusList(bits=bits, data=_inflate(compressed, limits)),
        aggregation_uri=_aggregation_uri(value.get("aggregation_uri")),
    )


def parse_status_list_cbor(
    value: object, *, limits: StatusListLimits = DEFAULT_STATUS_LIST_LIMITS
) -> ParsedStatusList:
    """§4.3 CBOR form (already decoded by the strict CBOR reader).

    Raises:
        FormatError: as :func:`parse_status_list_json`.
    """
    if not isinstance(value, dict) or "bits" not in value or "lst" not in value:
        raise FormatError(ErrorCode.MALFORMED_STATUS_LIST, "StatusList needs bits and lst")
    bits = _bits_of(value["bits"])
    lst = value["lst"]
    if not isinstance(lst, bytes):
        raise FormatError(ErrorCode.MALFORMED_STATUS_LIST, "lst is not a byte string")
    return ParsedStatusList(
        status_list=StatusList(bits=bits, data=_inflate(lst, limits)),
        aggregation_uri=_aggregation_uri(value.get("aggregation_uri")),
    )
