"""QR rendering in :mod:`furusato_vc.qr.render`: alphanumeric mode, exact level, sizes, outputs.

The capacity table is checked against qr-measurements.md §3 and, independently, against segno
choosing a version on its own.
"""

from __future__ import annotations

import io
import math
import re

import pytest
import segno
from PIL import Image

from furusato_vc.qr.read import read_qr
from furusato_vc.qr.render import (
    ALPHANUMERIC_CHARS,
    QUIET_ZONE,
    ErrorLevel,
    capacity_chars,
    encode_qr,
    qr_version,
    render_png,
    render_svg,
    render_terminal,
)

PREFIX = "FJ1:"  # the QR text prefix of furusato_vc.core.qrtext
# 600 characters: exactly the capacity of v15-M.
TEXT_V15 = PREFIX + ("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:" * 14)[:596]
SHORT = PREFIX + "6BFOX"  # 9 characters: room for level H in version 1

# qr-measurements.md §3, "QR alphanumeric capacity": version -> (L, M, Q)
NOTE_CAPACITY = {
    12: (535, 419, 296),
    13: (619, 483, 352),
    14: (667, 528, 376),
    15: (758, 600, 426),
    16: (854, 656, 470),
    17: (938, 734, 531),
    18: (1046, 816, 574),
    19: (1153, 909, 644),
    20: (1249, 970, 702),
    22: (1460, 1134, 823),
    25: (1853, 1451, 1041),
    28: (2223, 1732, 1263),
}
LEVELS: tuple[ErrorLevel, ...] = ("L", "M", "Q", "H")


def _modules(version: int) -> int:
    return 17 + 4 * version


# --------------------------------------------------------------------------- capacity, version


@pytest.mark.parametrize("version", sorted(NOTE_CAPACITY))
def test_capacity_matches_the_measurement_note(version: int) -> None:
    assert (
        capacity_chars(version, "L"),
        capacity_chars(version, "M"),
        capacity_chars(version, "Q"),
    ) == NOTE_CAPACITY[version]


# Versions at the edges of the character-count-indicator ranges (1-9, 10-26, 27-40) and the
# sizes our presentations use.
@pytest.mark.parametrize(
    ("version", "level"),
    [(v, lvl) for v in (1, 9, 10, 26, 27) for lvl in LEVELS]
    + [(v, "M") for v in (15, 17, 18, 19, 20, 40)],
)
def test_capacity_is_where_segno_moves_to_the_next_version(version: int, level: ErrorLevel) -> None:
    capacity = capacity_chars(version, level)
    fits = segno.make_qr("A" * capacity, error=level, mode="alphanumeric", boost_error=False)
    assert fits.version == version
    if version < 40:
        overflows = segno.make_qr(
            "A" * (capacity + 1), error=level, mode="alphanumeric", boost_error=False
        )
        assert overflows.version == version + 1


def test_v15_m_holds_600_chars_and_v18_m_816() -> None:
    assert capacity_chars(15, "M") == 600
    assert capacity_chars(18, "M") == 816
    assert qr_version("A" * 600) == 15
    assert qr_version("A" * 601) == 16
    assert qr_version("A" * 816) == 18
    assert qr_version("A" * 817) == 19


def test_qr_version_depends_on_the_level() -> None:
    assert qr_version(TEXT_V15, error="L") == 13
    assert qr_version(TEXT_V15) == 15
    assert qr_version(TEXT_V15, error="Q") == 19


@pytest.mark.parametrize("version", [0, 41, -1])
def test_capacity_of_a_version_outside_1_to_40_is_a_value_error(version: int) -> None:
    with pytest.raises(ValueError, match="version"):
        capacity_chars(version, "M")


def test_unknown_level_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="error correction level"):
        qr_version(SHORT, error="m")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="error correction level"):
        capacity_chars(10, "X")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- symbol


def test_symbol_is_one_alphanumeric_segment_at_level_m() -> None:
    qr = encode_qr(TEXT_V15)
    assert qr.mode == "alphanumeric"
    assert qr.designator == "15-M"


def test_level_is_never_boosted() -> None:
    # segno's default would raise a 1-M symbol with room to spare to 1-H.
    assert segno.make_qr(SHORT, mode="alphanumeric").designator == "1-H"
    assert encode_qr(SHORT).designator == "1-M"


@pytest.mark.parametrize("level", LEVELS)
def test_level_is_configurable(level: ErrorLevel) -> None:
    qr = encode_qr(TEXT_V15, error=level)
    assert qr.designator == f"{qr_version(TEXT_V15, error=level)}-{level}"
    assert qr.mode == "alphanumeric"


@pytest.mark.parametrize(
    "text",
    ["fj1:abc", "FJ1:ä", "FJ1:A_B", "FJ1:A\nB", ""],
    ids=["lower-case", "non-ascii", "underscore", "newline", "empty"],
)
def test_text_outside_alphanumeric_mode_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="QR text"):
        encode_qr(text)
    with pytest.raises(ValueError, match="QR text"):
        qr_version(text)


def test_text_too_long_for_version_40_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        qr_version("A" * (capacity_chars(40, "M") + 1))
    with pytest.raises(ValueError, match="do not fit"):
        render_png("A" * (capacity_chars(40, "H") + 1), error="H")


def test_alphanumeric_chars_are_the_base45_alphabet() -> None:
    # RFC 9285 §4.2 Table 1 lists the same 45 characters in the same order.
    assert ALPHANUMERIC_CHARS == "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


# --------------------------------------------------------------------------- PNG, SVG


@pytest.mark.parametrize("scale", [1, 4, 7])
def test_png_is_scale_pixels_per_module_with_a_4_module_quiet_zone(scale: int) -> None:
    png = render_png(TEXT_V15, scale=scale)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as image:
        side = (_modules(15) + 2 * QUIET_ZONE) * scale
        assert image.size == (side, side)
        gray = image.convert("L")
    # The quiet zone is white, the top-left finder pattern starts right after it.
    assert gray.getpixel((0, 0)) == 255
    assert gray.getpixel((QUIET_ZONE * scale - 1, QUIET_ZONE * scale - 1)) == 255
    assert gray.getpixel((QUIET_ZONE * scale, QUIET_ZONE * scale)) == 0


def test_png_is_deterministic() -> None:
    assert render_png(TEXT_V15) == render_png(TEXT_V15)


@pytest.mark.parametrize("scale", [0, -2])
def test_scale_below_1_is_a_value_error(scale: int) -> None:
    with pytest.raises(ValueError, match="scale"):
        render_png(SHORT, scale=scale)
    with pytest.raises(ValueError, match="scale"):
        render_svg(SHORT, scale=scale)


def test_svg_has_the_symbol_size_and_an_opaque_background() -> None:
    svg = render_svg(TEXT_V15, scale=3)
    side = (_modules(15) + 2 * QUIET_ZONE) * 3
    assert "<svg" in svg
    assert svg.rstrip().endswith("</svg>")
    assert re.search(rf'width="{side}"', svg)
    assert re.search(rf'height="{side}"', svg)
    assert "#fff" in svg  # painted light modules, not transparent ones


# --------------------------------------------------------------------------- terminal


def _matrix(text: str) -> list[list[bool]]:
    return [
        [bool(module) for module in row]
        for row in encode_qr(text).matrix_iter(scale=1, border=QUIET_ZONE)
    ]


def test_terminal_unicode_is_two_modules_per_character() -> None:
    lines = render_terminal(TEXT_V15).split("\n")
    side = _modules(15) + 2 * QUIET_ZONE
    assert len(lines) == math.ceil(side / 2)
    assert {len(line) for line in lines} == {side}
    assert set("".join(lines)) <= set(" \u2580\u2584\u2588")


def test_terminal_ascii_is_two_characters_per_module() -> None:
    lines = render_terminal(TEXT_V15, charset="ascii").split("\n")
    side = _modules(15) + 2 * QUIET_ZONE
    assert len(lines) == side
    assert {len(line) for line in lines} == {2 * side}
    assert set("".join(lines)) <= {" ", "#"}


def test_terminal_has_no_final_newline() -> None:
    assert not render_terminal(SHORT).endswith("\n")
    assert not render_terminal(SHORT, charset="ascii").endswith("\n")


def test_terminal_unicode_draws_exactly_the_module_matrix() -> None:
    glyphs = {" ": (False, False), "\u2580": (True, False), "\u2584": (False, True)}
    glyphs["\u2588"] = (True, True)
    decoded: list[list[bool]] = []
    for line in render_terminal(TEXT_V15, ink="dark").split("\n"):
        decoded.append([glyphs[char][0] for char in line])
        decoded.append([glyphs[char][1] for char in line])
    matrix = _matrix(TEXT_V15)
    assert decoded[: len(matrix)] == matrix
    assert decoded[len(matrix) :] == [[False] * len(matrix)]  # the padding row is quiet zone


def test_terminal_ascii_draws_exactly_the_module_matrix() -> None:
    lines = render_terminal(TEXT_V15, charset="ascii", ink="dark").split("\n")
    assert [[line[i : i + 2] == "##" for i in range(0, len(line), 2)] for line in lines] == (
        _matrix(TEXT_V15)
    )


def test_terminal_light_ink_is_the_negative_of_dark_ink() -> None:
    swap = str.maketrans({" ": "\u2588", "\u2588": " ", "\u2580": "\u2584", "\u2584": "\u2580"})
    assert render_terminal(SHORT, ink="light") == render_terminal(SHORT, ink="dark").translate(swap)
    # With light ink the quiet zone is drawn: the first line is all full blocks.
    assert set(render_terminal(SHORT).split("\n")[0]) == {"\u2588"}


def test_terminal_unknown_charset_or_ink_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="charset"):
        render_terminal(SHORT, charset="utf8")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ink"):
        render_terminal(SHORT, ink="black")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- byte mode

# An activity QR text has the shape FA1: + base64url JWS (lower-case letters, '-', '_', '.').
BYTE_TEXT = "FA1:eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiJ4In0.abc-_xyz"


def test_byte_capacity_of_v18_m_is_560() -> None:
    # ISO/IEC 18004:2015 Table 7: 18-M holds 560 bytes.
    assert capacity_chars(18, "M", mode="byte") == 560


# Versions at the edges of the byte-mode character-count-indicator ranges (1-9, 10-40).
@pytest.mark.parametrize(
    ("version", "level"),
    [(v, lvl) for v in (1, 9, 10, 27) for lvl in LEVELS] + [(v, "M") for v in (18, 25, 40)],
)
def test_byte_capacity_is_where_segno_moves_to_the_next_version(
    version: int, level: ErrorLevel
) -> None:
    capacity = capacity_chars(version, level, mode="byte")
    fits = segno.make_qr("a" * capacity, error=level, mode="byte", boost_error=False)
    assert fits.version == version
    if version < 40:
        overflows = segno.make_qr("a" * (capacity + 1), error=level, mode="byte", boost_error=False)
        assert overflows.version == version + 1


def test_byte_symbol_is_one_byte_segment_at_the_level() -> None:
    qr = encode_qr(BYTE_TEXT, mode="byte")
    assert qr.mode == "byte"
    assert qr.designator == f"{qr_version(BYTE_TEXT, mode='byte')}-M"


def test_byte_mode_png_reads_back_exactly() -> None:
    with Image.open(io.BytesIO(render_png(BYTE_TEXT, mode="byte"))) as image:
        assert read_qr(image).text == BYTE_TEXT


def test_byte_mode_reaches_svg_and_terminal() -> None:
    side = _modules(qr_version(BYTE_TEXT, mode="byte")) + 2 * QUIET_ZONE
    assert f'width="{side}"' in render_svg(BYTE_TEXT, scale=1, mode="byte")
    assert len(render_terminal(BYTE_TEXT, charset="ascii", mode="byte").split("\n")) == side


@pytest.mark.parametrize(
    "text", ["FA1:ä", "FA1:a\nb", "FA1:\x7f", ""], ids=["non-ascii", "newline", "del", "empty"]
)
def test_text_that_is_not_printable_ascii_is_a_value_error_in_byte_mode(text: str) -> None:
    with pytest.raises(ValueError, match="QR text"):
        encode_qr(text, mode="byte")


def test_lower_case_text_is_still_refused_in_the_default_alphanumeric_mode() -> None:
    with pytest.raises(ValueError, match="alphanumeric"):
        encode_qr(BYTE_TEXT)


def test_unknown_mode_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="QR mode"):
        qr_version(SHORT, mode="kanji")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="QR mode"):
        capacity_chars(10, "M", mode="numeric")  # type: ignore[arg-type]


def test_byte_text_too_long_for_version_40_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        qr_version("a" * (capacity_chars(40, "M", mode="byte") + 1), mode="byte")
