"""Reading a QR code from an image with zxing-cpp (preferred) or ZBar (pyzbar, fallback).

zxing-cpp decodes far more camera frames than ZBar, which is sensitive to perspective tilt
(qr-measurements.md §4.2: at v18-M in the 640×480 scenario S1, 100 % against 68 %), and it is
about 7 times faster (§4.4). Both are optional: each reader is imported on first use, and one
whose import fails (pyzbar raises ``ImportError`` when Debian's ``libzbar0`` is missing, or
``OSError`` when the library will not load) is simply not available.

Only QR Code symbols are read, never other symbologies. The result is the symbol's data exactly,
as ASCII: our payloads are Base45 in alphanumeric mode, which both readers return unchanged
(§5). Byte-mode data is not trusted to ZBar, which transcodes it through a charset guess
(Latin-1 or Shift-JIS), so non-ASCII data is rejected from either reader.

Opening image files is the caller's job (``PIL.Image.open``); this module takes an image.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from PIL import Image

from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError

__all__ = [
    "MAX_IMAGE_PIXELS",
    "READERS",
    "ZBAR",
    "ZXING_CPP",
    "ScanResult",
    "available_readers",
    "read_qr",
]

ZXING_CPP: Final = "zxing-cpp"
ZBAR: Final = "zbar"
# Every reader this module knows, in order of preference.
READERS: Final[tuple[str, ...]] = (ZXING_CPP, ZBAR)

# Bound on the work one call may do: a 48-megapixel phone photo is 8064 × 6048 ≈ 48.8 MP.
MAX_IMAGE_PIXELS: Final = 50_000_000

# A decoder takes an 8-bit grayscale image and returns the data of every QR code it found.
_Decoder = Callable[[Image.Image], list[bytes]]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanResult:
    """The data of one QR code, and which reader decoded it."""

    text: str
    reader: str


def _zxing_cpp_decoder() -> _Decoder:
    import zxingcpp  # noqa: PLC0415  (optional dependency, imported on first use)

    # zxing-cpp 3 treats QRCode as a family that includes Micro QR and rMQR; search the family
    # and keep only (Model 2) QR Code symbols, the only kind ZBar reads too.
    qr_family = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    accepted = frozenset({zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.QRCodeModel2})

    def decode(image: Image.Image) -> list[bytes]:
        found = zxingcpp.read_barcodes(image, formats=qr_family)
        # .bytes is the symbol's data without any charset interpretation.
        return [barcode.bytes for barcode in found if barcode.valid and barcode.format in accepted]

    return decode


def _zbar_decoder() -> _Decoder:
    # Raises ImportError ("Unable to find zbar shared library") without libzbar0.
    from pyzbar import pyzbar  # noqa: PLC0415

    symbols = [pyzbar.ZBarSymbol.QRCODE]

    def decode(image: Image.Image) -> list[bytes]:
        found = pyzbar.decode((image.tobytes(), image.width, image.height), symbols=symbols)
        return [bytes(symbol.data) for symbol in found if symbol.type == "QRCODE"]

    return decode


_LOADERS: Final[dict[str, Callable[[], _Decoder]]] = {
    ZXING_CPP: _zxing_cpp_decoder,
    ZBAR: _zbar_decoder,
}


# Cached: a failed import is retried on every call otherwise, and pyzbar's library lookup
# runs ``ldconfig -p`` each time.
@functools.cache
def _decoder(reader: str) -> _Decoder | None:
    try:
        return _LOADERS[reader]()
    except (ImportError, OSError):
        return None


def available_readers() -> tuple[str, ...]:
    """The readers that can be used on this machine, in order of preference."""
    return tuple(reader for reader in READERS if _decoder(reader) is not None)


def _grayscale(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        # Transparent pixels are light, as on a screen or paper: a QR rendered with a transparent
        # background would otherwise turn into dark modules on black.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        background.alpha_composite(rgba)
        return background.convert("L")
    return image.convert("L")


def read_qr(
    image: Image.Image, *, reader: str | None = None, max_pixels: int = MAX_IMAGE_PIXELS
) -> ScanResult:
    """Decode the QR code in ``image`` (a PIL image of any mode).

    ``reader`` names one of :data:`READERS`; by default the first available one is used (there
    is no second attempt with another reader). If the image holds several QR codes, the first
    one the reader reports with ASCII data wins.

    Raises:
        ValueError: ``reader`` is not one of :data:`READERS`.
        FormatError: ``input_too_large`` for an image over ``max_pixels`` pixels;
            ``qr_not_found`` when the reader finds no QR code; ``qr_prefix_unknown`` when the
            QR codes it finds hold non-ASCII data, which is never one of our payloads.
        VerificationError: ``qr_reader_unavailable`` when no reader (or the one named) is
            installed.
    """
    if reader is not None and reader not in READERS:
        raise ValueError(f"unknown QR reader {reader!r}; known readers: {', '.join(READERS)}")
    available = available_readers()
    if reader is None:
        if not available:
            raise VerificationError(
                ErrorCode.QR_READER_UNAVAILABLE,
                "neither zxing-cpp nor pyzbar with libzbar0 is installed",
            )
        reader = available[0]
    elif reader not in available:
        raise VerificationError(ErrorCode.QR_READER_UNAVAILABLE, f"{reader} is not installed")
    decode = _decoder(reader)
    if decode is None:  # pragma: no cover - available_readers() just said it loads
        raise VerificationError(ErrorCode.QR_READER_UNAVAILABLE, f"{reader} is not installed")

    if image.width * image.height > max_pixels:
        raise FormatError(
            ErrorCode.INPUT_TOO_LARGE,
            f"image of {image.width}x{image.height} pixels is over {max_pixels} pixels",
        )
    found = decode(_grayscale(image))
    if not found:
        raise FormatError(ErrorCode.QR_NOT_FOUND, f"{reader} found no QR code in the image")
    for data in found:
        if data.isascii():
            return ScanResult(text=data.decode("ascii"), reader=reader)
    raise FormatError(ErrorCode.QR_PREFIX_UNKNOWN, "the QR code holds non-ASCII data")
