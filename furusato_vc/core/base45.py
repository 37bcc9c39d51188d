"""Strict Base45 (RFC 9285), the text layer of the QR transport.

Base45 maps 2 bytes to 3 characters and a final odd byte to 2 characters, over the 45 characters
of QR alphanumeric mode. RFC 9285 §6 asks decoders to reject characters outside the alphabet and
groups whose value does not fit the bytes they stand for (``GGW`` = 65 536); a length of
1 (mod 3) cannot come from the encoder either. Every string this module decodes is therefore
the one and only encoding of its bytes: ``b45encode(b45decode(s)) == s``.

The decoder does no per-character work in Python: a verifier decodes ~600 characters per scan,
so the three character streams are laid out as 24-bit lanes of three big integers and combined
with one big-integer expression (see :func:`b45decode`).
"""

from __future__ import annotations

from furusato_vc.core.errors import ErrorCode, FormatError

__all__ = ["BASE45_ALPHABET", "b45decode", "b45encode"]

# RFC 9285 §4.2, Table 1: value i is BASE45_ALPHABET[i]. Upper case only.
BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

_INVALID = 0xFF
# byte -> value 0..44, anything else -> 0xFF (one bytes.translate per input)
_DECODE_TABLE = bytes(
    BASE45_ALPHABET.find(chr(byte)) if chr(byte) in BASE45_ALPHABET else _INVALID
    for byte in range(256)
)
# value 0..44 -> alphabet byte (the other 211 entries are never looked up)
_ENCODE_TABLE = BASE45_ALPHABET.encode("ascii").ljust(256, b"\0")


def b45encode(data: bytes) -> str:
    """Encode bytes as Base45 (RFC 9285 §4)."""
    pairs_end = len(data) & ~1
    digits: list[int] = []
    append_group = digits.extend  # a simple loop is enough: wallets encode once per refresh
    # RFC 9285 §4: n = a·256 + b = c + d·45 + e·45², emitted as c d e.
    for high, low in zip(data[0:pairs_end:2], data[1:pairs_end:2], strict=True):
        e, rest = divmod(high << 8 | low, 2025)
        append_group((rest % 45, rest // 45, e))
    if pairs_end != len(data):
        # RFC 9285 §4: a final single byte a = c + d·45, emitted as c d.
        append_group((data[-1] % 45, data[-1] // 45))
    return bytes(digits).translate(_ENCODE_TABLE).decode("ascii")


def b45decode(text: str, *, max_chars: int | None = None) -> bytes:
    """Decode canonical Base45 (RFC 9285 §4, with the rejections of §6).

    Raises:
        FormatError: ``input_too_large`` if ``text`` is longer than ``max_chars`` (checked
            first); ``malformed_base45`` for a length of 1 (mod 3) or any character outside the
            45-character alphabet (lower case, whitespace other than space, non-ASCII);
            ``base45_non_canonical`` for a 3-character group over 65535 or a final
            2-character group over 255, which no encoder produces.
    """
    length = len(text)
    if max_chars is not None and length > max_chars:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, f"Base45 text over {max_chars} chars")
    groups, remainder = divmod(length, 3)
    if remainder == 1:
        raise FormatError(ErrorCode.MALFORMED_BASE45, "length is 1 (mod 3)")
    try:
        values = text.encode("ascii").translate(_DECODE_TABLE)
    except UnicodeEncodeError as exc:
        raise FormatError(ErrorCode.MALFORMED_BASE45, "non-ASCII character") from exc
    if _INVALID in values:
        raise FormatError(ErrorCode.MALFORMED_BASE45, "character outside the Base45 alphabet")

    end = 3 * groups
    out = bytearray(2 * groups + (remainder >> 1))
    if groups:
        # Each group becomes one 3-byte big-endian lane; the c, d and e streams are placed in
        # the low byte of their lanes and combined as c + 45·d + 2025·e over all lanes at once.
        # A lane holds at most 44·(1 + 45 + 2025) = 91124 < 2**24, so no lane carries into the
        # next one.
        lanes = bytearray(end)
        lanes[2::3] = values[0:end:3]
        c = int.from_bytes(lanes)
        lanes[2::3] = values[1:end:3]
        d = int.from_bytes(lanes)
        lanes[2::3] = values[2:end:3]
        e = int.from_bytes(lanes)
        combined = (c + 45 * d + 2025 * e).to_bytes(end)
        # RFC 9285 §6: a group over 65535 (a non-zero top byte in its lane) is invalid.
        if combined[0::3].count(0) != groups:
            raise FormatError(ErrorCode.BASE45_NON_CANONICAL, "3-character group over 65535")
        out[0 : 2 * groups : 2] = combined[1::3]
        out[1 : 2 * groups : 2] = combined[2::3]
    if remainder:
        last = values[end] + 45 * values[end + 1]
        if last > 0xFF:
            raise FormatError(ErrorCode.BASE45_NON_CANONICAL, "final 2-character group over 255")
        out[-1] = last
    return bytes(out)
