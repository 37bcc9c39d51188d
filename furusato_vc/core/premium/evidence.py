"""Evidence uploads for premium activities done outside check-in (a side-job contract, say):
checks on the bytes before the service stores them for the staff review queue.

Only PDF, JPEG and PNG are accepted (:class:`EvidenceMediaType`), and the content must be the
type the upload declared. The checks read headers and structure only; nothing is decoded,
decompressed or rendered, and the core never imports an image library. In order:

1. size: empty is ``malformed_request``; over ``max_bytes`` (5 MiB) is ``request_too_large``;
2. the declared type must be one the policy allows;
3. the file must be that type, structurally (below); any failure, including a truncated or
   garbled header, is ``evidence_type_not_allowed``: the bytes are not an acceptable file of
   that type, whatever else they may be;
4. images: width × height read from the header must be at most ``max_image_pixels`` (40 Mpx),
   else ``input_too_large``: a small file can declare an image that takes gigabytes to decode
   when a reviewer opens it. This is checked as soon as the header is read;
5. images must not contain a PDF header anywhere (an image/PDF polyglot);
6. PDFs must not contain the names ``/JavaScript``, ``/JS``, ``/Launch``, ``/EmbeddedFile(s)``
   or ``/RichMedia`` outside stream data (``#xx`` escapes are decoded); an ``/OpenAction`` that
   runs JavaScript is caught by its ``/JS``.

The PDF check is a **coarse screen, not a sanitiser**: names inside compressed object streams
(PDF 1.5) or other streams are not seen, and a hostile file can hide script there. Reviewers open
evidence in a viewer with JavaScript disabled; see docs/activity-location-and-evidence.md.

The codes ``request_too_large`` and ``evidence_type_not_allowed`` are in the request family
(:class:`RequestError`): the service refuses the upload as made (HTTP 413 and 415).
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, NoReturn

from furusato_vc.core.errors import ErrorCode, FormatError, RequestError

__all__ = [
    "DEFAULT_EVIDENCE_POLICY",
    "DEFAULT_MAX_EVIDENCE_BYTES",
    "DEFAULT_MAX_IMAGE_PIXELS",
    "EvidenceInfo",
    "EvidenceMediaType",
    "EvidencePolicy",
    "check_evidence",
]

DEFAULT_MAX_EVIDENCE_BYTES: Final = 5 * 1024 * 1024
DEFAULT_MAX_IMAGE_PIXELS: Final = 40_000_000
# A policy may lower the limits, and raise them only this far: every check scans the whole file.
_MAX_POLICY_BYTES: Final = 64 * 1024 * 1024
_MAX_DECLARED_TYPE_CHARS: Final = 255


class EvidenceMediaType(StrEnum):
    """The media types an evidence file may have (wire-stable: stored and served as-is)."""

    PDF = "application/pdf"
    JPEG = "image/jpeg"
    PNG = "image/png"


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidencePolicy:
    """Limits for one deployment. The defaults suit a phone photo or a scanned contract.

    ``max_bytes`` may be at most 64 MiB; ``allowed_types`` may only narrow the three types.

    Raises:
        ValueError: a limit is out of range, or ``allowed_types`` is empty or names another
            type (configuration errors).
    """

    max_bytes: int = DEFAULT_MAX_EVIDENCE_BYTES
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
    allowed_types: frozenset[EvidenceMediaType] = frozenset(EvidenceMediaType)

    def __post_init__(self) -> None:
        if not 1 <= self.max_bytes <= _MAX_POLICY_BYTES:
            raise ValueError(f"max_bytes must be 1-{_MAX_POLICY_BYTES}")
        if self.max_image_pixels < 1:
            raise ValueError("max_image_pixels must be >= 1")
        if not self.allowed_types:
            raise ValueError("allowed_types must not be empty")
        for media_type in self.allowed_types:
            EvidenceMediaType(media_type)  # ValueError for anything else


DEFAULT_EVIDENCE_POLICY = EvidencePolicy()


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceInfo:
    """What the checks established about an accepted file. ``width``/``height`` are the image's
    pixel dimensions from its header (``None`` for a PDF); ``sha256`` is lower-case hex of the
    exact bytes checked, for storage and de-duplication."""

    media_type: EvidenceMediaType
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None


def check_evidence(
    data: bytes, *, declared_type: str, policy: EvidencePolicy = DEFAULT_EVIDENCE_POLICY
) -> EvidenceInfo:
    """Check an uploaded evidence file before it is stored (see the module docstring).

    ``declared_type`` is the upload's media type; case and parameters (``; name=…``) are
    ignored. The service should also stop reading the upload at ``policy.max_bytes`` rather than
    buffer more and call this.

    Raises:
        FormatError: ``malformed_request`` if ``data`` is empty; ``input_too_large`` if an
            image's header declares more than ``policy.max_image_pixels`` pixels.
        RequestError: ``request_too_large`` if ``data`` is longer than ``policy.max_bytes``;
            ``evidence_type_not_allowed`` if the declared type is not allowed, or the bytes are
            not a well-formed file of that type, or an image contains a PDF header, or a PDF
            contains a forbidden name.
        TypeError: ``data`` is not ``bytes``.
    """
    if not isinstance(data, bytes):
        raise TypeError("data must be bytes")
    if not data:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "the evidence file is empty")
    if len(data) > policy.max_bytes:
        raise RequestError(
            ErrorCode.REQUEST_TOO_LARGE, f"the evidence file is over {policy.max_bytes} bytes"
        )
    media_type = _declared_type(declared_type, policy)
    width: int | None = None
    height: int | None = None
    if media_type is EvidenceMediaType.PDF:
        _check_pdf(data)
    else:
        if media_type is EvidenceMediaType.PNG:
            width, height = _png_dimensions(data, policy.max_image_pixels)
        else:
            width, height = _jpeg_dimensions(data, policy.max_image_pixels)
        if _PDF_SIGNATURE in data:
            _not_allowed("an image that also holds a PDF header")
    return EvidenceInfo(
        media_type=media_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        width=width,
        height=height,
    )


def _not_allowed(detail: str) -> NoReturn:
    raise RequestError(ErrorCode.EVIDENCE_TYPE_NOT_ALLOWED, detail)


def _declared_type(declared_type: str, policy: EvidencePolicy) -> EvidenceMediaType:
    if not isinstance(declared_type, str):
        raise TypeError("declared_type must be a string")
    if len(declared_type) > _MAX_DECLARED_TYPE_CHARS:
        _not_allowed("declared type is too long")
    # RFC 9110 §8.3.1: type/subtype are case-insensitive; parameters follow a ';'.
    essence = declared_type.split(";", 1)[0].strip(" \t").lower()
    try:
        media_type = EvidenceMediaType(essence)
    except ValueError:
        _not_allowed("declared type is not PDF, JPEG or PNG")
    if media_type not in policy.allowed_types:
        _not_allowed(f"declared type {media_type.value} is not allowed here")
    return media_type


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise FormatError(
            ErrorCode.INPUT_TOO_LARGE,
            f"image of {width}x{height} pixels is over {max_pixels} pixels",
        )


# --------------------------------------------------------------------------- PNG
# PNG (ISO/IEC 15948, W3C PNG 3rd ed.) §5.2 signature, §5.3 chunk layout, §11.2.2 IHDR.

_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_PNG_CHUNK_HEADER: Final = struct.Struct(">I4s")
_PNG_IHDR: Final = struct.Struct(">IIBBBBB")
_PNG_MAX_LENGTH: Final = 2**31 - 1
# Bit depths allowed for each colour type (§11.2.2 table 11.1).
_PNG_DEPTHS: Final = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
# Encoders split image data into chunks of 8-64 KiB: a 5 MiB file has well under a thousand.
_PNG_MAX_CHUNKS: Final = 10_000


def _png_dimensions(data: bytes, max_pixels: int) -> tuple[int, int]:
    if not data.startswith(_PNG_SIGNATURE):
        _not_allowed("not a PNG file (signature)")
    ihdr_end = len(_PNG_SIGNATURE) + _PNG_CHUNK_HEADER.size + _PNG_IHDR.size + 4
    if len(data) < ihdr_end:
        _not_allowed("truncated PNG header")
    length, chunk_type = _PNG_CHUNK_HEADER.unpack_from(data, len(_PNG_SIGNATURE))
    if chunk_type != b"IHDR" or length != _PNG_IHDR.size:
        _not_allowed("PNG does not start with an IHDR chunk")
    fields_at = len(_PNG_SIGNATURE) + _PNG_CHUNK_HEADER.size
    (crc,) = struct.unpack_from(">I", data, fields_at + _PNG_IHDR.size)
    if zlib.crc32(data[fields_at - 4 : fields_at + _PNG_IHDR.size]) != crc:
        _not_allowed("PNG IHDR checksum mismatch")
    width, height, depth, colour, compression, filtering, interlace = _PNG_IHDR.unpack_from(
        data, fields_at
    )
    if not (0 < width <= _PNG_MAX_LENGTH and 0 < height <= _PNG_MAX_LENGTH):
        _not_allowed("PNG dimensions out of range")
    if depth not in _PNG_DEPTHS.get(colour, ()) or compression or filtering or interlace > 1:
        _not_allowed("PNG IHDR fields out of range")
    _check_pixels(width, height, max_pixels)
    _walk_png_chunks(data, ihdr_end)
    return width, height


def _walk_png_chunks(data: bytes, pos: int) -> None:
    # The chunks after IHDR must tile the file exactly and end with IEND: no truncation, and no
    # bytes after IEND (where polyglots and appended payloads live).
    seen_idat = False
    for _ in range(_PNG_MAX_CHUNKS):
        if len(data) - pos < 12:
            _not_allowed("truncated PNG (no IEND chunk)")
        length, chunk_type = _PNG_CHUNK_HEADER.unpack_from(data, pos)
        end = pos + 12 + length
        if length > _PNG_MAX_LENGTH or not chunk_type.isalpha() or end > len(data):
            _not_allowed("truncated or garbled PNG chunk")
        if chunk_type == b"IHDR":
            _not_allowed("PNG with a second IHDR chunk")
        if chunk_type == b"IDAT":
            seen_idat = True
        elif chunk_type == b"IEND":
            if length != 0 or end != len(data):
                _not_allowed("PNG with data after its IEND chunk")
            if not seen_idat:
                _not_allowed("PNG without image data")
            return
        pos = end
    _not_allowed("PNG with too many chunks")


# --------------------------------------------------------------------------- JPEG
# ITU-T T.81 (JPEG) Annex B: §B.1.1.2 markers (0xFF, optional 0xFF fill bytes, a code) and
# segment lengths; §B.2.2 the frame header (SOFn) with the image's height and width.

_JPEG_SOI: Final = b"\xff\xd8"
_JPEG_EOI: Final = b"\xff\xd9"
_JPEG_FILL: Final = re.compile(rb"\xff+")
# Markers that stand alone, without a length: TEM and RST0-7 (§B.1.1.3).
_JPEG_STANDALONE: Final = frozenset({0x01, *range(0xD0, 0xD8)})
# SOF0-3, 5-7, 9-11, 13-15; 0xC4 (DHT), 0xC8 (JPG) and 0xCC (DAC) share the range but are not.
_JPEG_SOF: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_FRAME: Final = struct.Struct(">HBHH")  # Lf, P, Y (lines), X (samples per line)
# A camera JPEG has a dozen segments before its frame header (APPn, DQT, DHT, DRI, COM).
_JPEG_MAX_SEGMENTS: Final = 1024


def _jpeg_dimensions(data: bytes, max_pixels: int) -> tuple[int, int]:
    if not data.startswith(_JPEG_SOI):
        _not_allowed("not a JPEG file (no start-of-image marker)")
    pos = len(_JPEG_SOI)
    for _ in range(_JPEG_MAX_SEGMENTS):
        fill = _JPEG_FILL.match(data, pos)
        if fill is None or fill.end() >= len(data):
            _not_allowed("truncated or garbled JPEG marker")
        marker = data[fill.end()]
        pos = fill.end() + 1
        if marker in _JPEG_STANDALONE:
            continue
        if marker in {0x00, 0xD8, 0xD9, 0xDA}:
            # Stuffed zero, a second SOI, EOI or the scan itself before any frame header.
            _not_allowed("JPEG without a frame header before its data")
        if pos + 2 > len(data):
            _not_allowed("truncated JPEG segment")
        (length,) = struct.unpack_from(">H", data, pos)
        if length < 2 or pos + length > len(data):
            _not_allowed("truncated or garbled JPEG segment")
        if marker in _JPEG_SOF:
            if length < _JPEG_FRAME.size + 1:
                _not_allowed("garbled JPEG frame header")
            _, _, height, width = _JPEG_FRAME.unpack_from(data, pos)
            if height == 0 or width == 0:
                # Height 0 defers the line count to a DNL marker after the scan: refused rather
                # than searched for, so the pixel limit always applies.
                _not_allowed("JPEG frame header without dimensions")
            _check_pixels(width, height, max_pixels)
            if not data.endswith(_JPEG_EOI):
                _not_allowed("truncated JPEG or data after its end-of-image marker")
            return width, height
        pos += length
    _not_allowed("JPEG with too many segments before its frame header")


# --------------------------------------------------------------------------- PDF
# ISO 32000-2 §7.5.2 header, §7.5.5 trailer (%%EOF), §7.3.5 names (with #xx escapes since
# PDF 1.2), §7.3.8 streams; the actions of §12.6.4 that run code or other files.

_PDF_SIGNATURE: Final = b"%PDF-"
_PDF_HEADER: Final = re.compile(rb"%PDF-(?:1\.[0-7]|2\.0)[\t\n\x0c\r ]")
_PDF_WHITESPACE: Final = b"\x00\t\n\x0c\r "
# Readers look for %%EOF in the last 1024 bytes; only whitespace may follow it here.
_PDF_EOF_WINDOW: Final = 1024
_PDF_FORBIDDEN_NAMES: Final = (
    b"JavaScript",
    b"JS",
    b"Launch",
    b"EmbeddedFile",
    b"EmbeddedFiles",
    b"RichMedia",
)
# 'stream' (not 'endstream') followed by CRLF or LF (§7.3.8.1) starts stream data.
_PDF_STREAM: Final = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\n)")
_PDF_ENDSTREAM: Final = b"endstream"


def _escapable(name: bytes) -> bytes:
    # Each character of a name may be written as itself or as '#' and two hex digits.
    parts: list[bytes] = []
    for char in name:
        high, low = divmod(char, 16)
        hex_pair = f"#[{high:x}{high:X}][{low:x}{low:X}]".encode("ascii")
        parts.append(b"(?:" + re.escape(bytes([char])) + b"|" + hex_pair + b")")
    return b"".join(parts)


# The name must end there: the next byte is whitespace, a delimiter or the end (§7.2.3).
_PDF_FORBIDDEN: Final = re.compile(
    rb"/(?:"
    + b"|".join(_escapable(name) for name in _PDF_FORBIDDEN_NAMES)
    + rb")(?![^\x00\t\n\x0c\r ()<>\[\]{}/%])"
)


def _check_pdf(data: bytes) -> None:
    if not _PDF_HEADER.match(data):
        _not_allowed("not a PDF file (no %PDF-1.x or %PDF-2.0 header)")
    tail = data[-_PDF_EOF_WINDOW:]
    eof = tail.rfind(b"%%EOF")
    if eof < 0 or tail[eof + len(b"%%EOF") :].strip(_PDF_WHITESPACE):
        _not_allowed("truncated PDF or data after its last %%EOF")
    pos = 0
    while True:
        stream = _PDF_STREAM.search(data, pos)
        segment_end = stream.start() if stream is not None else len(data)
        found = _PDF_FORBIDDEN.search(data, pos, segment_end)
        if found is not None:
            _not_allowed("PDF with script, launch or embedded-file content")
        if stream is None:
            return
        end = data.find(_PDF_ENDSTREAM, stream.end())
        if end < 0:
            _not_allowed("PDF stream without endstream")
        pos = end + len(_PDF_ENDSTREAM)
