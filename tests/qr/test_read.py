"""QR reading in :mod:`furusato_vc.qr.read`: render → read round trips with each reader, and every
way a read fails (no QR code, another symbology, non-ASCII data, no reader, an unknown reader).

A reader is skipped only when it is genuinely unavailable on this machine (ZBar needs Debian's
``libzbar0``: ``make system-deps``); in CI both are present.
"""

from __future__ import annotations

import dataclasses
import io
import subprocess
import sys
from typing import TYPE_CHECKING

import numpy as np
import pytest
import segno
import zxingcpp
from PIL import Image

from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.qr import read as read_module
from furusato_vc.qr.read import (
    READERS,
    ZBAR,
    ZXING_CPP,
    ScanResult,
    available_readers,
    read_qr,
)
from furusato_vc.qr.render import render_png

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

TEXT = "FJ1:" + ("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:" * 14)[:596]  # v15-M
UNAVAILABLE_REASON = {
    ZXING_CPP: "zxing-cpp is not installed",
    ZBAR: "pyzbar cannot load ZBar (libzbar0 missing: run `make system-deps`)",
}


@pytest.fixture(params=READERS)
def reader(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name not in available_readers():
        pytest.skip(UNAVAILABLE_REASON[name])
    return name


@pytest.fixture
def fresh_loader_cache() -> Iterator[None]:
    read_module._decoder.cache_clear()
    yield
    read_module._decoder.cache_clear()


def _png_image(text: str = TEXT, *, scale: int = 4) -> Image.Image:
    with Image.open(io.BytesIO(render_png(text, scale=scale))) as image:
        image.load()
        return image


def _code(call: Callable[[], object]) -> ErrorCode:
    with pytest.raises((FormatError, VerificationError)) as info:
        call()
    return info.value.code


# --------------------------------------------------------------------------- round trips


def test_png_round_trip(reader: str) -> None:
    assert read_qr(_png_image(), reader=reader) == ScanResult(text=TEXT, reader=reader)


@pytest.mark.parametrize("mode", ["1", "L", "P", "RGB", "RGBA", "I", "F"])
def test_round_trip_from_any_image_mode(reader: str, mode: str) -> None:
    assert read_qr(_png_image().convert(mode), reader=reader).text == TEXT


def test_transparent_background_reads_as_light(reader: str) -> None:
    # Black modules on a fully transparent background (RGB of the transparent pixels black):
    # flattening without the alpha channel would leave a black square.
    dark = _png_image().convert("L").point(lambda value: 255 - value)
    rgba = Image.new("RGBA", dark.size, (0, 0, 0, 0))
    rgba.putalpha(dark)
    assert read_qr(rgba, reader=reader).text == TEXT


def test_short_text_round_trip(reader: str) -> None:
    assert read_qr(_png_image("FJ1:6BFOX", scale=6), reader=reader).text == "FJ1:6BFOX"


def test_rendered_level_is_m() -> None:
    # zxing-cpp reports the level it decoded; the renderer must not have boosted it.
    barcodes = zxingcpp.read_barcodes(_png_image("FJ1:6BFOX").convert("L"))
    assert [barcode.ec_level for barcode in barcodes] == ["M"]


def test_default_reader_is_the_first_available() -> None:
    available = available_readers()
    if not available:
        pytest.skip("no QR reader is installed")
    assert read_qr(_png_image()).reader == available[0]


def test_available_readers_keep_the_order_of_preference() -> None:
    available = available_readers()
    assert READERS == (ZXING_CPP, ZBAR)
    assert available == tuple(name for name in READERS if name in available)


def test_scan_result_is_frozen_and_keyword_only() -> None:
    result = ScanResult(text="FJ1:A", reader=ZXING_CPP)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.text = "FJ1:B"  # type: ignore[misc]
    with pytest.raises(TypeError):
        ScanResult("FJ1:A", ZXING_CPP)  # type: ignore[call-arg]
    assert not hasattr(result, "__dict__")


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_blank_image_is_qr_not_found(reader: str, mode: str) -> None:
    blank = Image.new(mode, (640, 480), "white")
    assert _code(lambda: read_qr(blank, reader=reader)) is ErrorCode.QR_NOT_FOUND


def test_other_symbology_is_qr_not_found(reader: str) -> None:
    # A Data Matrix with our text in it is not a QR code.
    bitmap = zxingcpp.write_barcode_to_image(
        zxingcpp.create_barcode(TEXT[:40], zxingcpp.BarcodeFormat.DataMatrix), scale=4
    )
    data_matrix = Image.fromarray(np.asarray(bitmap))
    assert [b.format for b in zxingcpp.read_barcodes(data_matrix)] == [
        zxingcpp.BarcodeFormat.DataMatrix
    ]
    assert _code(lambda: read_qr(data_matrix, reader=reader)) is ErrorCode.QR_NOT_FOUND


def test_micro_qr_is_qr_not_found(reader: str) -> None:
    buffer = io.BytesIO()
    segno.make_micro("FJ1:AB").save(buffer, kind="png", scale=6, border=2)
    with Image.open(buffer) as micro:
        assert _code(lambda: read_qr(micro, reader=reader)) is ErrorCode.QR_NOT_FOUND


@pytest.mark.parametrize(
    "data", [b"\xc3\xa9t\xc3\xa9", b"\x00\xff\x80FJ1:"], ids=["utf-8", "binary"]
)
def test_non_ascii_data_is_qr_prefix_unknown(reader: str, data: bytes) -> None:
    # ZBar would hand back a charset guess here (qr-measurements.md §5); neither reader's
    # answer is trusted.
    buffer = io.BytesIO()
    segno.make_qr(data, mode="byte").save(buffer, kind="png", scale=4)
    with Image.open(buffer) as image:
        assert _code(lambda: read_qr(image, reader=reader)) is ErrorCode.QR_PREFIX_UNKNOWN


def test_image_over_the_pixel_bound_is_input_too_large() -> None:
    image = _png_image()
    too_few = image.width * image.height - 1
    assert _code(lambda: read_qr(image, max_pixels=too_few)) is ErrorCode.INPUT_TOO_LARGE


def test_unknown_reader_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown QR reader"):
        read_qr(_png_image(), reader="opencv")


def test_no_reader_installed_is_qr_reader_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(read_module, "available_readers", lambda: ())
    assert _code(lambda: read_qr(_png_image())) is ErrorCode.QR_READER_UNAVAILABLE


@pytest.mark.parametrize("name", READERS)
def test_named_reader_not_installed_is_qr_reader_unavailable(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    others = tuple(other for other in READERS if other != name)
    monkeypatch.setattr(read_module, "available_readers", lambda: others)
    error = _code(lambda: read_qr(_png_image(), reader=name))
    assert error is ErrorCode.QR_READER_UNAVAILABLE


@pytest.mark.parametrize("exception", [ImportError, OSError])
@pytest.mark.usefixtures("fresh_loader_cache")
def test_reader_that_fails_to_load_is_not_available(
    monkeypatch: pytest.MonkeyPatch, exception: type[Exception]
) -> None:
    def fail() -> Callable[[Image.Image], list[bytes]]:
        raise exception("Unable to find zbar shared library")

    monkeypatch.setitem(read_module._LOADERS, ZBAR, fail)
    assert ZBAR not in available_readers()
    assert _code(lambda: read_qr(_png_image(), reader=ZBAR)) is ErrorCode.QR_READER_UNAVAILABLE


def test_library_modules_do_not_import_numpy() -> None:
    # numpy is a development dependency; only furusato_vc.qr.camera may use it. Run in a fresh
    # interpreter, since this test session has imported numpy already.
    script = (
        "import io, sys\n"
        "from PIL import Image\n"
        "import furusato_vc.qr as qr\n"
        "png = qr.render_png('FJ1:ABC')\n"
        "qr.render_svg('FJ1:ABC'); qr.render_terminal('FJ1:ABC')\n"
        "for name in qr.available_readers():\n"
        "    assert qr.read_qr(Image.open(io.BytesIO(png)), reader=name).text == 'FJ1:ABC'\n"
        "print(sorted(m for m in sys.modules if m == 'numpy' or m.startswith('numpy.')))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert completed.stdout.strip() == "[]"
