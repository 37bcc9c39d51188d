"""Rendering QR text as a QR Code symbol (ISO/IEC 18004) with segno: PNG, SVG and terminal text.

Our QR text (``FJ1:`` + Base45) uses only the 45 characters of QR alphanumeric mode, so the symbol
is always a single alphanumeric segment: 11 bits per 2 characters instead of 16 in byte mode, and
no ZBar charset guessing (qr-measurements.md §5). The version and error-correction level are part
of our size contract (qr-measurements.md §7), so the level is never raised silently
(``boost_error=False``) and :func:`qr_version` answers from the capacity table without building a
symbol.

Text with lower-case letters (the activity QR, ``FA1:`` + a base64url JWS) needs byte mode:
``mode="byte"`` makes a single byte segment of printable ASCII text (one byte per character, so
no charset question arises either).

Nothing here does I/O: PNG comes back as bytes, SVG and terminal output as text; writing files is
the caller's job.
"""

from __future__ import annotations

import io
from typing import Final, Literal

import segno

__all__ = [
    "ALPHANUMERIC_CHARS",
    "QUIET_ZONE",
    "ErrorLevel",
    "QrMode",
    "capacity_chars",
    "encode_qr",
    "qr_version",
    "render_png",
    "render_svg",
    "render_terminal",
]

ErrorLevel = Literal["L", "M", "Q", "H"]
# The segment mode of the symbol: alphanumeric for FJ1: text, byte for printable-ASCII text.
QrMode = Literal["alphanumeric", "byte"]

# ISO/IEC 18004 alphanumeric mode, in code order (value i is ALPHANUMERIC_CHARS[i]). It is
# character for character the Base45 alphabet of RFC 9285.
ALPHANUMERIC_CHARS: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
# The quiet zone ISO/IEC 18004 requires around a QR Code symbol, in modules.
QUIET_ZONE: Final = 4

_ALPHANUMERIC = frozenset(ALPHANUMERIC_CHARS)
_LEVELS: Final[tuple[ErrorLevel, ...]] = ("L", "M", "Q", "H")
_MODES: Final[tuple[QrMode, ...]] = ("alphanumeric", "byte")
_MAX_VERSION: Final = 40

# ISO/IEC 18004:2015 Table 7: number of data codewords per version (1-40), levels L, M, Q, H.
_DATA_CODEWORDS: Final[tuple[tuple[int, int, int, int], ...]] = (
    (19, 16, 13, 9), (34, 28, 22, 16), (55, 44, 34, 26), (80, 64, 48, 36),
    (108, 86, 62, 46), (136, 108, 76, 60), (156, 124, 88, 66), (194, 154, 110, 86),
    (232, 182, 132, 100), (274, 216, 154, 122), (324, 254, 180, 140), (370, 290, 206, 158),
    (428, 334, 244, 180), (461, 365, 261, 197), (523, 415, 295, 223), (589, 453, 325, 253),
    (647, 507, 367, 283), (721, 563, 397, 313), (795, 627, 445, 341), (861, 669, 485, 385),
    (932, 714, 512, 406), (1006, 782, 568, 442), (1094, 860, 614, 464), (1174, 914, 664, 514),
    (1276, 1000, 718, 538), (1370, 1062, 754, 596), (1468, 1128, 808, 628),
    (1531, 1193, 871, 661), (1631, 1267, 911, 701), (1735, 1373, 985, 745),
    (1843, 1455, 1033, 793), (1955, 1541, 1115, 845), (2071, 1631, 1171, 901),
    (2191, 1725, 1231, 961), (2306, 1812, 1286, 986), (2434, 1914, 1354, 1054),
    (2566, 1992, 1426, 1096), (2702, 2102, 1502, 1142), (2812, 2216, 1582, 1222),
    (2956, 2334, 1666, 1276),
)  # fmt: skip

_MODE_INDICATOR_BITS: Final = 4

# Terminal glyphs: (upper module inked, lower module inked) -> character.
_HALF_BLOCKS: Final = {
    (False, False): " ",
    (True, False): "\u2580",  # ▀ upper half block
    (False, True): "\u2584",  # ▄ lower half block
    (True, True): "\u2588",  # █ full block
}
_ASCII_INK: Final = "##"
_ASCII_BLANK: Final = "  "


def _check_level(error: str) -> ErrorLevel:
    for level in _LEVELS:
        if error == level:
            return level
    raise ValueError(f"error correction level must be one of L, M, Q, H, not {error!r}")


def _check_mode(mode: str) -> QrMode:
    for known in _MODES:
        if mode == known:
            return known
    raise ValueError(f"QR mode must be 'alphanumeric' or 'byte', not {mode!r}")


def _check_text(text: str, mode: QrMode) -> None:
    if not text:
        raise ValueError("QR text is empty")
    if mode == "byte":
        # Printable ASCII only: one byte per character, and no charset for a reader to guess.
        if not (text.isascii() and text.isprintable()):
            raise ValueError("QR text for byte mode must be printable ASCII")
    elif not _ALPHANUMERIC.issuperset(text):
        raise ValueError("QR text has characters outside QR alphanumeric mode (0-9 A-Z $%*+-./:)")


def _char_count_bits(version: int, mode: QrMode) -> int:
    # ISO/IEC 18004:2015 Table 3: alphanumeric 9/11/13 bits, byte 8/16/16 bits.
    if mode == "byte":
        return 8 if version <= 9 else 16
    if version <= 9:
        return 9
    if version <= 26:
        return 11
    return 13


def capacity_chars(version: int, error: ErrorLevel, *, mode: QrMode = "alphanumeric") -> int:
    """How many characters a QR Code of ``version`` (1-40) holds at level ``error`` in ``mode``.

    This is the single-segment capacity (ISO/IEC 18004:2015 Table 7), e.g. 600 alphanumeric
    characters for v15-M and 816 for v18-M; 560 bytes for v18-M in byte mode.

    Raises:
        ValueError: a version outside 1-40, an unknown level or mode.
    """
    level = _check_level(error)
    checked_mode = _check_mode(mode)
    if not 1 <= version <= _MAX_VERSION:
        raise ValueError(f"QR version must be 1-{_MAX_VERSION}, not {version}")
    data_bits = 8 * _DATA_CODEWORDS[version - 1][_LEVELS.index(level)]
    bits = data_bits - _MODE_INDICATOR_BITS - _char_count_bits(version, checked_mode)
    if checked_mode == "byte":
        return bits // 8
    # 11 bits per pair of characters, 6 bits for a final odd character (§7.4.5).
    pairs, rest = divmod(bits, 11)
    return 2 * pairs + (1 if rest >= 6 else 0)


def qr_version(text: str, *, error: ErrorLevel = "M", mode: QrMode = "alphanumeric") -> int:
    """The smallest QR version that holds ``text`` in ``mode`` at level ``error``.

    Raises:
        ValueError: empty text, a character outside the mode (alphanumeric mode's 45
            characters, byte mode's printable ASCII), an unknown level or mode, or text longer
            than a version-40 symbol holds at that level.
    """
    level = _check_level(error)
    checked_mode = _check_mode(mode)
    _check_text(text, checked_mode)
    for version in range(1, _MAX_VERSION + 1):
        if len(text) <= capacity_chars(version, level, mode=checked_mode):
            return version
    raise ValueError(
        f"{len(text)} characters do not fit a QR code at level {level} "
        f"(at most {capacity_chars(_MAX_VERSION, level, mode=checked_mode)})"
    )


def encode_qr(text: str, *, error: ErrorLevel = "M", mode: QrMode = "alphanumeric") -> segno.QRCode:
    """The segno symbol for ``text``: one segment in ``mode``, exactly level ``error``.

    For callers that need an output segno offers and this module does not (EPS, PDF, …).

    Raises:
        ValueError: as :func:`qr_version`.
    """
    version = qr_version(text, error=error, mode=mode)
    # boost_error=False: the level is part of the size contract, never raised behind our back.
    # The version is pinned to the one computed from the table, so the two cannot disagree.
    return segno.make_qr(text, error=error, version=version, mode=mode, boost_error=False)


def _check_scale(scale: int) -> None:
    if scale < 1:
        raise ValueError(f"scale must be a positive integer (pixels per module), not {scale!r}")


def render_png(
    text: str, *, error: ErrorLevel = "M", scale: int = 4, mode: QrMode = "alphanumeric"
) -> bytes:
    """PNG bytes of the QR code for ``text``: black on white, ``scale`` pixels per module.

    The image includes the 4-module quiet zone, so it is ``(17 + 4·version + 8) · scale`` pixels
    square.

    Raises:
        ValueError: as :func:`qr_version`, or a scale below 1.
    """
    _check_scale(scale)
    buffer = io.BytesIO()
    encode_qr(text, error=error, mode=mode).save(buffer, kind="png", scale=scale, border=QUIET_ZONE)
    return buffer.getvalue()


def render_svg(
    text: str, *, error: ErrorLevel = "M", scale: int = 4, mode: QrMode = "alphanumeric"
) -> str:
    """An SVG document of the QR code for ``text``: black modules on an opaque white background.

    The background is painted (not transparent) so the code also scans on a dark page.

    Raises:
        ValueError: as :func:`qr_version`, or a scale below 1.
    """
    _check_scale(scale)
    buffer = io.BytesIO()
    encode_qr(text, error=error, mode=mode).save(
        buffer, kind="svg", scale=scale, border=QUIET_ZONE, dark="#000", light="#fff"
    )
    return buffer.getvalue().decode("utf-8")


def render_terminal(
    text: str,
    *,
    error: ErrorLevel = "M",
    charset: Literal["unicode", "ascii"] = "unicode",
    ink: Literal["light", "dark"] = "light",
    mode: QrMode = "alphanumeric",
) -> str:
    """The QR code for ``text`` as terminal text (lines joined by ``\\n``, no final newline).

    ``charset="unicode"`` draws two modules per character with the half blocks ▀ ▄ █, so a
    symbol of ``n`` modules plus the quiet zone is ``n + 8`` columns by ``ceil((n + 8) / 2)``
    lines. ``charset="ascii"`` draws one module as ``##`` or two spaces: ``2 · (n + 8)`` columns
    by ``n + 8`` lines.

    ``ink`` says which modules get a glyph. ``"light"`` (the default) suits the usual terminal
    with light text on a dark background: the glyphs paint the light modules and the quiet zone,
    and the dark background shows through as the dark modules. ``"dark"`` suits light-background
    terminals and printouts.

    Raises:
        ValueError: as :func:`qr_version`, or an unknown ``charset`` or ``ink``.
    """
    if charset not in ("unicode", "ascii"):
        raise ValueError(f"charset must be 'unicode' or 'ascii', not {charset!r}")
    if ink not in ("light", "dark"):
        raise ValueError(f"ink must be 'light' or 'dark', not {ink!r}")
    inked_when_dark = ink == "dark"
    rows = [
        [bool(module) is inked_when_dark for module in row]
        for row in encode_qr(text, error=error, mode=mode).matrix_iter(scale=1, border=QUIET_ZONE)
    ]
    if charset == "ascii":
        return "\n".join(
            "".join(_ASCII_INK if inked else _ASCII_BLANK for inked in row) for row in rows
        )
    if len(rows) % 2:
        # An odd number of module rows: the last line's lower half continues the quiet zone,
        # which is light, so it is inked exactly when the light modules are.
        rows.append([not inked_when_dark] * len(rows[0]))
    return "\n".join(
        "".join(_HALF_BLOCKS[upper, lower] for upper, lower in zip(top, bottom, strict=True))
        for top, bottom in zip(rows[0::2], rows[1::2], strict=True)
    )
