"""The printable check-in poster (:mod:`furusato_vc.issuer.poster`): the QR on it reads back to
exactly the signed activity QR text, in the PNG and in the PDF; the page is A4; the Japanese
title is drawn when a Japanese font exists, and the poster is still drawn without one."""

from __future__ import annotations

import dataclasses
import functools
import io
import re
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageChops, PdfParser

from furusato_vc.core.activity import ActivityName, verify_activity_token
from furusato_vc.core.registration.claims import JST
from furusato_vc.issuer import poster
from furusato_vc.issuer.activity import create_activity_qr
from furusato_vc.issuer.poster import (
    PosterContent,
    PosterFontWarning,
    find_cjk_font,
    render_poster_pdf,
    render_poster_png,
    signing_key_fingerprint,
)
from furusato_vc.qr.read import read_qr
from furusato_vc.qr.render import QUIET_ZONE, qr_version
from tests.activity_fixtures import EXP, NAME, NBF
from tests.registration_fixtures import KESENNUMA, NOW, issuing_body, trust_for

BODY = issuing_body(KESENNUMA)
TRUST = trust_for(KESENNUMA)
START = datetime.fromtimestamp(NBF, UTC)
END = datetime.fromtimestamp(EXP, UTC)
NO_FONT = Path("/nonexistent/fonts/no-such-font.ttf")
CJK_FONT = find_cjk_font()
DPI = 150  # the smallest allowed: keeps the tests fast


def _qr(name: ActivityName = NAME, *, start: datetime = START, end: datetime = END) -> str:
    return create_activity_qr(
        BODY,
        activity_id="2027-01-beach-cleanup",
        name=name,
        not_before=start,
        expires_at=end,
        designated=True,
        now=min(NOW, start - timedelta(days=1)),
    )


QR_TEXT = _qr()


def _content(**changes: object) -> PosterContent:
    template = PosterContent(
        qr_text=QR_TEXT,
        title=NAME,
        body_name_ja="気仙沼市",
        body_name_en="Kesennuma City",
        place="大谷海岸 (Oya beach)",
        window_start=START,
        window_end=END,
        key_fingerprint=signing_key_fingerprint(BODY.signer.public_jwk),
        capacity=30,
    )
    return dataclasses.replace(template, **changes)  # type: ignore[arg-type]


CONTENT = _content()
needs_cjk_font = pytest.mark.skipif(CJK_FONT is None, reason="no Japanese font installed")


@functools.cache
def _png(content: PosterContent = CONTENT, *, dpi: int = DPI, font: Path | None = None) -> bytes:
    return render_poster_png(content, dpi=dpi, font_path=font)


@functools.cache
def _pdf() -> bytes:
    return render_poster_pdf(CONTENT, dpi=DPI)


def _image(png: bytes) -> Image.Image:
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        return image


def _no_font_png(content: PosterContent = CONTENT) -> bytes:
    with pytest.warns(PosterFontWarning, match="no usable Japanese font"):
        return render_poster_png(content, dpi=DPI, font_path=NO_FONT)


def _title_band(png: bytes) -> Image.Image:
    """The top tenth of the page: the Japanese title (the English one starts below it)."""
    image = _image(png).convert("L")
    return image.crop((0, 0, image.width, image.height // 10))


def _ink(image: Image.Image) -> int:
    return sum(count for level, count in enumerate(image.histogram()) if level < 128)


# --------------------------------------------------------------------------- PNG


def test_png_qr_reads_back_to_exactly_the_qr_text() -> None:
    assert read_qr(_image(_png())).text == QR_TEXT


def test_qr_read_from_the_png_verifies_as_the_activity_token() -> None:
    verified = verify_activity_token(read_qr(_image(_png())).text, trust=TRUST, now=NOW)
    assert (verified.body_code, verified.activity_id, verified.name) == (
        KESENNUMA,
        "2027-01-beach-cleanup",
        NAME,
    )
    assert (verified.not_before, verified.expires_at) == (NBF, EXP)


@pytest.mark.parametrize(("dpi", "size"), [(150, (1240, 1754)), (300, (2480, 3508))])
def test_png_is_a4_portrait_at_the_dpi(dpi: int, size: tuple[int, int]) -> None:
    image = _image(_png(dpi=dpi))
    assert image.size == size  # 210 mm x 297 mm
    assert image.info["dpi"] == pytest.approx((dpi, dpi), abs=0.05)  # pixels per metre


def test_qr_is_drawn_in_whole_pixels_with_a_white_quiet_zone() -> None:
    image = _image(_png()).convert("L")
    (found,) = zxingcpp.read_barcodes(image)
    left, top = found.position.top_left.x, found.position.top_left.y
    right, bottom = found.position.bottom_right.x, found.position.bottom_right.y
    modules = 17 + 4 * qr_version(QR_TEXT, mode="byte")
    module = (right - left + 1) // modules
    assert module >= 5  # about 0.9 mm at 150 dpi: phones read it from a metre
    assert abs((right - left + 1) - module * modules) <= 1
    zone = QUIET_ZONE * module
    outer = image.crop((left - zone, top - zone, right + zone + 1, bottom + zone + 1))
    inner = (zone - 1, zone - 1, outer.width - zone + 1, outer.height - zone + 1)
    outer.paste(255, inner)  # blank the symbol: what remains is the quiet zone
    assert outer.getextrema() == (255, 255)
    symbol = image.crop((left, top, right + 1, bottom + 1))
    assert [level for level, count in enumerate(symbol.histogram()) if count] == [0, 255]


@needs_cjk_font
def test_japanese_title_is_drawn_with_the_japanese_font() -> None:
    other_name = ActivityName(ja="夏祭り運営ボランテア", en=NAME.en)  # same length, other kanji
    other = _content(qr_text=_qr(other_name), title=other_name)
    band, other_band = _title_band(_png()), _title_band(_png(other))
    assert _ink(band) > 0
    # Different characters draw differently: not blank, and not the same missing-glyph box.
    assert ImageChops.difference(band, other_band).getbbox() is not None


@needs_cjk_font
def test_the_title_band_holds_only_the_japanese_title() -> None:
    # Without the Japanese font the Japanese title is not drawn, so two posters that differ
    # only in it are identical there: the previous test measures the Japanese title.
    other_name = ActivityName(ja="夏祭り運営ボランテア", en=NAME.en)
    other = _content(qr_text=_qr(other_name), title=other_name)
    band, other_band = _title_band(_no_font_png()), _title_band(_no_font_png(other))
    assert ImageChops.difference(band, other_band).getbbox() is None


def test_default_font_lookup_draws_japanese_when_a_font_is_installed() -> None:
    if CJK_FONT is None:
        with pytest.warns(PosterFontWarning):
            render_poster_png(CONTENT, dpi=DPI)
    else:
        assert _png(font=None) == _png(font=CJK_FONT)


@pytest.mark.parametrize("font", [CJK_FONT, NO_FONT], ids=["japanese-font", "no-font"])
def test_longest_inputs_still_leave_a_readable_qr(font: Path | None) -> None:
    if font is None:
        pytest.skip("no Japanese font installed")
    longest = ActivityName(ja="海" * 64, en="W" * 64)
    content = _content(
        qr_text=_qr(longest),
        title=longest,
        place="大" * 64,
        body_name_ja="鹿" * 64,
        body_name_en="Averyveryverylongnamewithoutanyspacesatall-" + "m" * 21,
        capacity=100_000,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PosterFontWarning)
        png = render_poster_png(content, dpi=DPI, font_path=font)
    assert read_qr(_image(png)).text == content.qr_text


# --------------------------------------------------------------------------- without a font


def test_without_a_japanese_font_the_poster_is_drawn_and_warns() -> None:
    image = _image(_no_font_png())
    assert image.size == (1240, 1754)
    assert read_qr(image).text == QR_TEXT
    assert _ink(image.convert("L").crop((0, 0, image.width, image.height // 4))) > 0  # English


def test_a_file_that_is_not_a_font_falls_back_with_a_warning(tmp_path: Path) -> None:
    not_a_font = tmp_path / "broken.ttf"
    not_a_font.write_bytes(b"not a font")
    with pytest.warns(PosterFontWarning):
        png = render_poster_png(CONTENT, dpi=DPI, font_path=not_a_font)
    assert read_qr(_image(png)).text == QR_TEXT


LATIN_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.mark.skipif(not LATIN_FONT.is_file(), reason="DejaVu Sans not installed")
def test_a_font_without_japanese_glyphs_falls_back_with_a_warning() -> None:
    with pytest.warns(PosterFontWarning):
        png = render_poster_png(CONTENT, dpi=DPI, font_path=LATIN_FONT)
    # Drawn like the poster without any font: no Japanese lines, no missing-glyph boxes.
    band = _title_band(png)
    assert _ink(band) > 0
    assert ImageChops.difference(band, _title_band(_no_font_png())).getbbox() is None


def test_explicit_font_path_is_used_as_given() -> None:
    assert find_cjk_font(NO_FONT) is None
    if CJK_FONT is not None:
        assert find_cjk_font(CJK_FONT) == CJK_FONT


def test_no_known_font_and_no_fontconfig_finds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(poster, "KNOWN_CJK_FONTS", ())
    monkeypatch.setenv("PATH", "")
    assert find_cjk_font() is None


# --------------------------------------------------------------------------- PDF


def _pdf_image() -> tuple[Image.Image, list[float]]:
    parser = PdfParser.PdfParser(buf=_pdf())
    assert len(parser.pages) == 1
    page = parser.read_indirect(parser.pages[0])
    xobjects = page[b"Resources"][b"XObject"]
    (ref,) = xobjects.values()
    stream = parser.read_indirect(ref)
    assert stream.dictionary[b"Filter"] == b"FlateDecode"  # lossless, never DCT (JPEG)
    size = (stream.dictionary[b"Width"], stream.dictionary[b"Height"])
    image = Image.frombytes("L", size, stream.decode(max_length=size[0] * size[1]))
    return image, [float(value) for value in page[b"MediaBox"]]


def test_pdf_is_one_page() -> None:
    pdf = _pdf()
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf)) == 1


def test_pdf_page_is_a4() -> None:
    _, media_box = _pdf_image()
    assert media_box[:2] == [0, 0]
    # 210 x 297 mm = 595.28 x 841.89 pt; the page is the raster's own size (whole pixels).
    assert media_box[2:] == pytest.approx([595.28, 841.89], abs=0.5)


def test_pdf_embeds_the_png_raster_losslessly() -> None:
    image, _ = _pdf_image()
    assert ImageChops.difference(image, _image(_png()).convert("L")).getbbox() is None


def test_qr_in_the_pdf_reads_back_to_exactly_the_qr_text() -> None:
    image, _ = _pdf_image()
    assert read_qr(image).text == QR_TEXT


# --------------------------------------------------------------------------- text


def _at_jst(*fields: int) -> datetime:
    year, month, day, hour, minute = fields
    return datetime(year, month, day, hour, minute, tzinfo=JST)


def _windowed(start: datetime, end: datetime) -> PosterContent:
    return _content(qr_text=_qr(start=start, end=end), window_start=start, window_end=end)


def test_window_within_one_day_is_shown_in_japan_time() -> None:
    content = _windowed(_at_jst(2027, 1, 10, 10, 0), _at_jst(2027, 1, 10, 15, 0))
    assert content.window_ja == "2027年1月10日 10:00〜15:00"
    assert content.window_en == "10 Jan 2027 10:00–15:00"


def test_window_given_in_utc_is_shown_in_japan_time() -> None:
    start = datetime(2027, 1, 10, 1, 0, tzinfo=UTC)  # 10:00 JST
    content = _windowed(start, start + timedelta(hours=5))
    assert content.window_ja == "2027年1月10日 10:00〜15:00"


def test_window_over_midnight_shows_both_days() -> None:
    content = _windowed(_at_jst(2027, 3, 31, 18, 0), _at_jst(2027, 4, 1, 2, 30))
    assert content.window_ja == "2027年3月31日 18:00〜4月1日 02:30"
    assert content.window_en == "31 Mar 2027 18:00 – 1 Apr 2027 02:30"


def test_window_over_new_year_shows_both_years() -> None:
    content = _windowed(_at_jst(2027, 12, 31, 22, 0), _at_jst(2028, 1, 1, 1, 0))
    assert content.window_ja == "2027年12月31日 22:00〜2028年1月1日 01:00"


def test_fingerprint_is_the_start_of_the_rfc7638_thumbprint() -> None:
    fingerprint = signing_key_fingerprint(BODY.signer.public_jwk)
    assert len(fingerprint) == 8
    assert BODY.signer.public_jwk.thumbprint().startswith(fingerprint)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"qr_text": "FJ1:ABC"}, "FA1"),
        ({"qr_text": "FA1:not-a-jws"}, "not an activity token"),
        ({"qr_text": QR_TEXT + "\n"}, "printable ASCII"),
        ({"qr_text": "FA1:" + "a" * 3000}, "not an activity token"),
        ({"title": ActivityName(ja="夏祭り", en="Summer festival")}, "title"),
        ({"window_start": START + timedelta(minutes=1)}, "window"),
        ({"window_end": END + timedelta(hours=1)}, "window"),
        ({"window_start": START.replace(tzinfo=None)}, "timezone-aware"),
        ({"window_start": END, "window_end": START}, "after"),
        ({"place": ""}, "place"),
        ({"place": "x" * 65}, "place"),
        ({"place": "Oya\nbeach"}, "control"),
        ({"body_name_ja": " "}, "body_name_ja"),
        ({"body_name_en": "K" * 65}, "body_name_en"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 100_001}, "capacity"),
        ({"capacity": True}, "capacity"),
        ({"key_fingerprint": "abc"}, "key_fingerprint"),
        ({"key_fingerprint": "abc+def/"}, "key_fingerprint"),
    ],
)
def test_bad_content_is_a_value_error(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _content(**changes)


def test_no_capacity_is_allowed() -> None:
    assert _content(capacity=None).capacity is None


@pytest.mark.parametrize("dpi", [149, 601, 0])
def test_dpi_outside_150_to_600_is_a_value_error(dpi: int) -> None:
    with pytest.raises(ValueError, match="dpi"):
        render_poster_png(CONTENT, dpi=dpi)
    with pytest.raises(ValueError, match="dpi"):
        render_poster_pdf(CONTENT, dpi=dpi)
