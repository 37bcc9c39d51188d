"""The QR text transport: ``FJ1:`` + Base45 (RFC 9285) of raw DEFLATE (RFC 1951) of CBOR bytes.

The text uses only QR alphanumeric-mode characters, so a QR code carries it in alphanumeric mode
(like the EU DCC's ``HC1:``). Unlike the DCC there is no zlib header or Adler-32 trailer (raw
DEFLATE, like SMART Health Cards' ``zip: DEF``): integrity comes from the signature inside the
CBOR, never from this layer.

Decoding is strict and bounded (security catalogue T-2, T-3, T-4): the text length, the
compressed length and the inflated length are capped before or while the work is done, so a
decompression bomb stops after ``max_inflated + 1`` bytes of output.

DEFLATE is not a canonical encoding: the padding bits after the last block (and before stored
blocks) are ignored by every inflater, so several QR texts can carry the same CBOR bytes. Never
use the QR text itself as an identifier (a replay-cache key, a log key); use the decoded,
verified content.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Final

from furusato_vc.core.base45 import BASE45_ALPHABET, b45decode, b45encode
from furusato_vc.core.errors import ErrorCode, FormatError

__all__ = [
    "DEFAULT_QR_TEXT_LIMITS",
    "QR_PREFIX",
    "QrTextLimits",
    "decode_qr_text",
    "encode_qr_text",
]

# Scheme and version of this transport; an incompatible change gets a new prefix (FJ2: …).
QR_PREFIX: Final = "FJ1:"

_ALPHANUMERIC = frozenset(BASE45_ALPHABET)  # the Base45 alphabet is QR alphanumeric mode
_RAW_DEFLATE_WBITS = -15  # negative: RFC 1951 stream with no zlib (RFC 1950) header or trailer


@dataclass(frozen=True, slots=True, kw_only=True)
class QrTextLimits:
    """Bounds checked before and while decoding untrusted QR text.

    The defaults are the capacities of the largest QR code, version 40 at ECC level L:
    4296 alphanumeric characters or 2953 bytes. With them the character cap is the binding one
    (4292 Base45 characters after the prefix carry at most 2861 bytes); ``max_compressed``
    matters when a caller raises ``max_chars``.
    """

    max_chars: int = 4296
    max_compressed: int = 2953
    max_inflated: int = 8192

    def __post_init__(self) -> None:
        # zlib reads an output cap of 0 as "unlimited", so a negative max_inflated would
        # silently disable the bomb protection.
        for name in ("max_chars", "max_compressed", "max_inflated"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")


DEFAULT_QR_TEXT_LIMITS = QrTextLimits()


def encode_qr_text(payload: bytes, *, prefix: str = QR_PREFIX) -> str:
    """Raw DEFLATE (level 9) then Base45, behind ``prefix``.

    The format always deflates, even when it makes incompressible CBOR a few bytes longer
    (a stored block costs 5 bytes, RFC 1951 §3.2.4).

    Raises:
        ValueError: ``prefix`` has characters outside QR alphanumeric mode (a programmer error).
    """
    if not _ALPHANUMERIC.issuperset(prefix):
        raise ValueError("prefix must use QR alphanumeric characters only")
    compressor = zlib.compressobj(9, zlib.DEFLATED, _RAW_DEFLATE_WBITS)
    compressed = compressor.compress(payload) + compressor.flush()
    return prefix + b45encode(compressed)


def decode_qr_text(
    text: str, *, limits: QrTextLimits = DEFAULT_QR_TEXT_LIMITS, prefix: str = QR_PREFIX
) -> bytes:
    """Strip the prefix, Base45-decode and inflate scanned QR text; return the CBOR bytes.

    Nothing is trimmed: a trailing newline or space added by a scanner is an error, so every
    component reads exactly the characters that were scanned.

    Raises:
        FormatError: ``input_too_large`` if ``text`` is longer than ``limits.max_chars``;
            ``qr_prefix_unknown`` if it does not start with exactly ``prefix``;
            ``malformed_base45`` for trailing whitespace, characters outside the Base45
            alphabet or a length of 1 (mod 3); ``base45_non_canonical`` for an out-of-range
            Base45 group; ``compressed_too_large`` if the Base45 text stands for more than
            ``limits.max_compressed`` bytes; ``inflated_too_large`` if the stream inflates to
            more than ``limits.max_inflated`` bytes; ``malformed_deflate`` for an invalid,
            truncated or over-long DEFLATE stream.
    """
    if len(text) > limits.max_chars:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, f"QR text over {limits.max_chars} chars")
    if not text.startswith(prefix):
        raise FormatError(ErrorCode.QR_PREFIX_UNKNOWN, "QR text has an unknown prefix")
    body = text[len(prefix) :]
    # A canonical Base45 string never ends in a space (RFC 9285 §4: the last character of a
    # group is at most 32, "W"), so trailing whitespace is always a scanner artefact.
    if body[-1:].isspace():
        raise FormatError(ErrorCode.MALFORMED_BASE45, "trailing whitespace")
    # Base45 length fixes the decoded length (RFC 9285 §4), so the cap is checked before decoding.
    groups, remainder = divmod(len(body), 3)
    if 2 * groups + (remainder >> 1) > limits.max_compressed:
        raise FormatError(
            ErrorCode.COMPRESSED_TOO_LARGE, f"compressed data over {limits.max_compressed} bytes"
        )
    compressed = b45decode(body, max_chars=limits.max_chars)
    inflater = zlib.decompressobj(_RAW_DEFLATE_WBITS)
    try:
        # The output cap makes a bomb stop after max_inflated + 1 bytes, whatever its ratio.
        inflated = inflater.decompress(compressed, limits.max_inflated + 1)
    except zlib.error as exc:
        raise FormatError(ErrorCode.MALFORMED_DEFLATE, "invalid DEFLATE stream") from exc
    if len(inflated) > limits.max_inflated:
        raise FormatError(
            ErrorCode.INFLATED_TOO_LARGE, f"inflates to over {limits.max_inflated} bytes"
        )
    # RFC 1951 §3.2.3: the stream ends with the block whose BFINAL bit is set; it must end
    # exactly where the data does.
    if not inflater.eof:
        raise FormatError(ErrorCode.MALFORMED_DEFLATE, "DEFLATE stream is truncated")
    if inflater.unused_data:
        raise FormatError(ErrorCode.MALFORMED_DEFLATE, "data after the end of the DEFLATE stream")
    return inflated
