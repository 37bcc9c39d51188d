"""Evidence upload checks, on real files made here with Pillow (tests only: the core reads
headers itself) and on hand-built headers: types, polyglots, pixel bombs, truncation, PDF names."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from furusato_vc.core.errors import ErrorCode, FormatError, FurusatoError, RequestError
from furusato_vc.core.premium import (
    DEFAULT_EVIDENCE_POLICY,
    EvidenceInfo,
    EvidenceMediaType,
    EvidencePolicy,
    check_evidence,
)

PDF = EvidenceMediaType.PDF
JPEG = EvidenceMediaType.JPEG
PNG = EvidenceMediaType.PNG


def _image(kind: str, size: tuple[int, int] = (4, 3)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, kind)
    return out.getvalue()


PNG_FILE = _image("PNG")
JPEG_FILE = _image("JPEG")
PILLOW_PDF = _image("PDF")  # an image page: its drawing and pixels live in streams


def _pdf(*objects: bytes, version: bytes = b"1.7") -> bytes:
    """A PDF with a correct cross-reference table; object 1 is the catalog."""
    out = bytearray(b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _pdf_with_catalog(catalog_extra: bytes = b"", *more: bytes) -> bytes:
    page_content = b"BT /F1 12 Tf 72 720 Td (Side-job contract) Tj ET"
    return _pdf(
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(page_content) + page_content + b"\nendstream",
        *more,
    )


PDF_FILE = _pdf_with_catalog()


def _png_chunk(chunk_type: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body))
        + chunk_type
        + body
        + struct.pack(">I", zlib.crc32(chunk_type + body))
    )


def _png_header(width: int, height: int, depth: int = 8, colour: int = 2) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)


def _png_rebuilt(*chunks: bytes) -> bytes:
    """PNG_FILE's own IHDR, then ``chunks``; the default is PNG_FILE's IDAT and IEND."""
    return PNG_FILE[:33] + b"".join(chunks or (PNG_FILE[33:],))


def _jpeg_frame(width: int, height: int, marker: int = 0xC0) -> bytes:
    # SOFn: Lf=11, P=8, Y, X, Nf=1, one component (id 1, sampling 0x11, table 0).
    return (
        b"\xff" + bytes([marker]) + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    )


def _check(
    data: bytes, declared: str, policy: EvidencePolicy = DEFAULT_EVIDENCE_POLICY
) -> EvidenceInfo:
    return check_evidence(data, declared_type=declared, policy=policy)


def _not_allowed(data: bytes, declared: str = "image/png", **policy: object) -> str:
    with pytest.raises(RequestError) as caught:
        _check(data, declared, EvidencePolicy(**policy))  # type: ignore[arg-type]
    assert caught.value.code is ErrorCode.EVIDENCE_TYPE_NOT_ALLOWED
    return caught.value.detail


# --------------------------------------------------------------------------- accepted files


def test_a_png_is_accepted_with_its_dimensions_and_digest() -> None:
    info = _check(PNG_FILE, "image/png")
    assert info == EvidenceInfo(
        media_type=PNG,
        size=len(PNG_FILE),
        sha256=hashlib.sha256(PNG_FILE).hexdigest(),
        width=4,
        height=3,
    )


def test_a_jpeg_is_accepted_with_its_dimensions() -> None:
    info = _check(JPEG_FILE, "image/jpeg")
    assert (info.media_type, info.width, info.height) == (JPEG, 4, 3)
    assert info.sha256 == hashlib.sha256(JPEG_FILE).hexdigest()


def test_a_progressive_jpeg_is_accepted() -> None:
    out = io.BytesIO()
    Image.new("RGB", (33, 17), (1, 2, 3)).save(out, "JPEG", progressive=True)
    info = _check(out.getvalue(), "image/jpeg")
    assert (info.width, info.height) == (33, 17)


@pytest.mark.parametrize("mode", ["1", "L", "P", "LA", "RGBA", "I;16"])
def test_pngs_of_every_colour_type_are_accepted(mode: str) -> None:
    out = io.BytesIO()
    Image.new(mode, (7, 5)).save(out, "PNG")
    info = _check(out.getvalue(), "image/png")
    assert (info.width, info.height) == (7, 5)


def test_a_pdf_is_accepted_without_dimensions() -> None:
    info = _check(PDF_FILE, "application/pdf")
    assert (info.media_type, info.size, info.width, info.height) == (PDF, len(PDF_FILE), None, None)


def test_a_pillow_pdf_is_accepted() -> None:
    # Binary image data inside streams is not scanned for names.
    assert _check(PILLOW_PDF, "application/pdf").media_type is PDF


@pytest.mark.parametrize("version", [b"1.0", b"1.4", b"1.7", b"2.0"])
def test_pdf_versions_accepted(version: bytes) -> None:
    _check(_pdf(b"<< /Type /Catalog >>", version=version), "application/pdf")


def test_pdf_may_end_with_whitespace_after_eof() -> None:
    _check(PDF_FILE + b"\r\n\x00 \n", "application/pdf")


@pytest.mark.parametrize(
    "declared", ["IMAGE/PNG", " image/png ", "image/png; name=contract.png", "Image/Png;"]
)
def test_the_declared_type_ignores_case_whitespace_and_parameters(declared: str) -> None:
    assert _check(PNG_FILE, declared).media_type is PNG


def test_an_evidence_type_value_is_accepted_as_declared_type() -> None:
    assert _check(JPEG_FILE, JPEG).media_type is JPEG


# --------------------------------------------------------------------------- sizes


def test_empty_is_malformed() -> None:
    with pytest.raises(FormatError) as caught:
        _check(b"", "image/png")
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST


def test_over_max_bytes_is_too_large() -> None:
    policy = EvidencePolicy(max_bytes=len(PNG_FILE) - 1)
    with pytest.raises(RequestError) as caught:
        _check(PNG_FILE, "image/png", policy)
    assert caught.value.code is ErrorCode.REQUEST_TOO_LARGE


def test_exactly_max_bytes_is_allowed() -> None:
    _check(PNG_FILE, "image/png", EvidencePolicy(max_bytes=len(PNG_FILE)))


def test_the_default_limit_is_5_mib() -> None:
    assert DEFAULT_EVIDENCE_POLICY.max_bytes == 5 * 1024 * 1024
    assert DEFAULT_EVIDENCE_POLICY.max_image_pixels == 40_000_000
    assert DEFAULT_EVIDENCE_POLICY.allowed_types == {PDF, JPEG, PNG}
    with pytest.raises(RequestError) as caught:
        _check(b"%PDF-1.7\n" + b" " * (5 * 1024 * 1024), "application/pdf")
    assert caught.value.code is ErrorCode.REQUEST_TOO_LARGE


def test_size_is_checked_before_the_type() -> None:
    with pytest.raises(RequestError) as caught:
        _check(b"x" * 11, "text/plain", EvidencePolicy(max_bytes=10))
    assert caught.value.code is ErrorCode.REQUEST_TOO_LARGE


# --------------------------------------------------------------------------- declared types


@pytest.mark.parametrize(
    "declared",
    [
        "image/gif",
        "image/webp",
        "image/svg+xml",
        "text/html",
        "application/octet-stream",
        "",
        "image/pn",
        "png",
        "image/png" + " " * 300,
        "application/pdf\x00",
    ],
)
def test_a_declared_type_other_than_pdf_jpeg_png_is_refused(declared: str) -> None:
    _not_allowed(PNG_FILE, declared)


def test_a_type_the_policy_does_not_allow_is_refused() -> None:
    assert "not allowed here" in _not_allowed(
        PDF_FILE, "application/pdf", allowed_types={JPEG, PNG}
    )


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        (PNG_FILE, "image/jpeg"),
        (PNG_FILE, "application/pdf"),
        (JPEG_FILE, "image/png"),
        (JPEG_FILE, "application/pdf"),
        (PDF_FILE, "image/png"),
        (PDF_FILE, "image/jpeg"),
    ],
    ids=["png-as-jpeg", "png-as-pdf", "jpeg-as-png", "jpeg-as-pdf", "pdf-as-png", "pdf-as-jpeg"],
)
def test_content_must_match_the_declared_type(data: bytes, declared: str) -> None:
    _not_allowed(data, declared)


@pytest.mark.parametrize(
    "data",
    [b"GIF89a\x01\x00\x01\x00", b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"PK\x03\x04", b"x"],
)
def test_other_formats_are_refused_whatever_they_claim(data: bytes) -> None:
    for declared in EvidenceMediaType:
        _not_allowed(data, declared)


# --------------------------------------------------------------------------- polyglots


def test_a_pdf_header_inside_a_png_text_chunk_is_refused() -> None:
    text = _png_chunk(b"tEXt", b"Comment\x00%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj")
    polyglot = _png_rebuilt(text, PNG_FILE[33:])
    assert "PDF header" in _not_allowed(polyglot, "image/png")
    # ... and it is not a PDF either: the header must be at the very start.
    _not_allowed(polyglot, "application/pdf")


def test_a_pdf_appended_after_a_png_is_refused() -> None:
    assert "after its IEND" in _not_allowed(PNG_FILE + PDF_FILE, "image/png")


def test_a_pdf_in_a_jpeg_comment_is_refused() -> None:
    comment = b"%PDF-1.4 hidden"
    segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    polyglot = JPEG_FILE[:2] + segment + JPEG_FILE[2:]
    assert "PDF header" in _not_allowed(polyglot, "image/jpeg")


def test_a_png_after_a_pdf_header_is_not_a_png() -> None:
    _not_allowed(b"%PDF-1.4\n" + PNG_FILE, "image/png")


def test_a_pdf_header_later_in_the_file_is_not_a_pdf() -> None:
    # Readers accept a header anywhere in the first 1024 bytes; that is how polyglots work.
    _not_allowed(b"\n" + PDF_FILE, "application/pdf")


# --------------------------------------------------------------------------- pixel bombs


def test_a_png_header_declaring_100000_by_100000_is_refused_without_decoding() -> None:
    with pytest.raises(FormatError) as caught:
        _check(_png_header(100_000, 100_000), "image/png")
    assert caught.value.code is ErrorCode.INPUT_TOO_LARGE


def test_a_complete_png_over_the_pixel_limit_is_refused() -> None:
    with pytest.raises(FormatError) as caught:
        _check(_image("PNG", (4, 4)), "image/png", EvidencePolicy(max_image_pixels=15))
    assert caught.value.code is ErrorCode.INPUT_TOO_LARGE


def test_an_image_at_the_pixel_limit_is_accepted() -> None:
    _check(PNG_FILE, "image/png", EvidencePolicy(max_image_pixels=12))
    _check(JPEG_FILE, "image/jpeg", EvidencePolicy(max_image_pixels=12))


def test_a_jpeg_frame_declaring_65535_by_65535_is_refused() -> None:
    with pytest.raises(FormatError) as caught:
        _check(b"\xff\xd8" + _jpeg_frame(65535, 65535), "image/jpeg")
    assert caught.value.code is ErrorCode.INPUT_TOO_LARGE


@pytest.mark.parametrize(
    "marker", [0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF]
)
def test_every_frame_type_is_read_for_its_size(marker: int) -> None:
    with pytest.raises(FormatError) as caught:
        _check(b"\xff\xd8" + _jpeg_frame(10_000, 10_000, marker), "image/jpeg")
    assert caught.value.code is ErrorCode.INPUT_TOO_LARGE


def test_a_jpeg_frame_after_fill_bytes_and_restart_markers_is_found() -> None:
    data = b"\xff\xd8\xff\xff\xff\xd0" + b"\xff\xff" + _jpeg_frame(9000, 9000)
    with pytest.raises(FormatError) as caught:
        _check(data, "image/jpeg")
    assert caught.value.code is ErrorCode.INPUT_TOO_LARGE


def test_an_exif_thumbnail_frame_is_not_taken_for_the_image() -> None:
    # A frame header inside an APP1 segment is skipped with the segment.
    inner = b"Exif\x00\x00" + _jpeg_frame(60_000, 60_000)
    app1 = b"\xff\xe1" + struct.pack(">H", len(inner) + 2) + inner
    info = _check(JPEG_FILE[:2] + app1 + JPEG_FILE[2:], "image/jpeg")
    assert (info.width, info.height) == (4, 3)


# --------------------------------------------------------------------------- truncated, garbled


@pytest.mark.parametrize(
    ("data", "declared"),
    [(PNG_FILE, "image/png"), (JPEG_FILE, "image/jpeg"), (PDF_FILE, "application/pdf")],
    ids=["png", "jpeg", "pdf"],
)
def test_every_truncation_is_refused(data: bytes, declared: str) -> None:
    for length in range(1, len(data)):
        if declared == "application/pdf" and data[:length].rstrip().endswith(b"%%EOF"):
            continue  # only whitespace was cut
        _not_allowed(data[:length], declared)


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (PNG_FILE[:29] + b"\x00\x00\x00\x00" + PNG_FILE[33:], "checksum"),
        (_png_header(0, 3) + PNG_FILE[33:], "dimensions"),
        (_png_header(4, 2**31) + PNG_FILE[33:], "dimensions"),
        (_png_header(4, 3, depth=3) + PNG_FILE[33:], "IHDR fields"),
        (_png_header(4, 3, colour=5) + PNG_FILE[33:], "IHDR fields"),
        (PNG_FILE[:8] + _png_chunk(b"tEXt", b"a\x00b") + PNG_FILE[8:], "IHDR"),
        (_png_rebuilt(PNG_FILE[8:33], PNG_FILE[33:]), "second IHDR"),
        (_png_rebuilt(_png_chunk(b"IEND", b"")), "without image data"),
        (_png_rebuilt(_png_chunk(b"IE1D", b""), PNG_FILE[33:]), "garbled"),
        (_png_rebuilt(b"\x7f\xff\xff\xffIDAT" + PNG_FILE[41:]), "garbled"),
        (_png_rebuilt(_png_chunk(b"IEND", b"x")), "after its IEND"),
        (_png_rebuilt(_png_chunk(b"tEXt", b"") * 10_001), "too many"),
        (b"\x89PNG\r\n\x1a\r" + PNG_FILE[8:], "signature"),
    ],
)
def test_garbled_png_is_refused(data: bytes, detail: str) -> None:
    assert detail in _not_allowed(data, "image/png")


_SOS = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"\xff\xd8" + _SOS + b"\x00\xff\xd9", "frame header"),
        (b"\xff\xd8\xff\xd9", "frame header"),
        (b"\xff\xd8\xff\xd8" + JPEG_FILE[2:], "frame header"),
        (b"\xff\xd8\x00" + JPEG_FILE[2:], "marker"),
        (b"\xff\xd8\xff\xe0\x00\x01" + JPEG_FILE[2:], "segment"),
        (b"\xff\xd8\xff\xe0\xff\xff" + JPEG_FILE[2:], "segment"),
        (b"\xff\xd8\xff\xc0\x00\x06\x08\x00\x03\x00" + JPEG_FILE[2:], "frame header"),
        (b"\xff\xd8" + _jpeg_frame(4, 0) + JPEG_FILE[2:], "without dimensions"),
        (b"\xff\xd8" + _jpeg_frame(0, 3) + JPEG_FILE[2:], "without dimensions"),
        (JPEG_FILE + b"trailing", "end-of-image"),
        (JPEG_FILE[:-2], "end-of-image"),
        (b"\xff\xd8" + b"\xff\xd0" * 2000, "too many segments"),
        (b"\xff\xd9" + JPEG_FILE[2:], "start-of-image"),
    ],
)
def test_garbled_jpeg_is_refused(data: bytes, detail: str) -> None:
    assert detail in _not_allowed(data, "image/jpeg")


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"%PDF-1.8\n" + PDF_FILE[9:], "header"),
        (b"%PDF-3.0\n" + PDF_FILE[9:], "header"),
        (b"%PDF-1.75" + PDF_FILE[9:], "header"),
        (b"%pdf-1.7\n" + PDF_FILE[9:], "header"),
        (PDF_FILE.replace(b"%%EOF", b"%%EOX"), "%%EOF"),
        (PDF_FILE + b"<html>", "%%EOF"),
        (PDF_FILE + PNG_FILE, "%%EOF"),
        (PDF_FILE.replace(b"%%EOF", b"") + b"\n" * 1100 + b"%%EOF" + b" " * 1100, "%%EOF"),
        (PDF_FILE.replace(b"endstream", b"endstrea"), "without endstream"),
    ],
)
def test_garbled_pdf_is_refused(data: bytes, detail: str) -> None:
    assert detail in _not_allowed(data, "application/pdf")


# --------------------------------------------------------------------------- PDF content


@pytest.mark.parametrize(
    "catalog_extra",
    [
        b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
        b"/OpenAction 5 0 R",  # object 5 below: an indirect JavaScript action
        b"/Names << /JavaScript 6 0 R >>",
        b"/Names << /EmbeddedFiles 6 0 R >>",
        b"/AA << /O << /S /Launch /F (calc.exe) >> >>",
        b"/OpenAction<</S/JavaScript/JS(x)>>",
        b"/OpenAction << /S /J#61vaScript /J#53 (x) >>",
        b"/OpenAction << /S /#4a#61#76#61#53#63#72#69#70#74 >>",
        b"/X << /Type /EmbeddedFile >>",
        b"/X << /Type /RichMedia >>",
        b"/X [/JS]",
        b"/X /JS%comment",
    ],
)
def test_pdf_with_script_launch_or_embedded_files_is_refused(catalog_extra: bytes) -> None:
    data = _pdf_with_catalog(
        catalog_extra,
        b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>"
        if b"5 0 R" in catalog_extra
        else b"<< >>",
        b"<< /Names [] >>",
    )
    assert "script" in _not_allowed(data, "application/pdf")


@pytest.mark.parametrize(
    "catalog_extra",
    [
        b"/OpenAction [3 0 R /Fit]",  # open at page 1, fit to window: harmless and common
        b"/X /JSON /Launcher /JavaScripts /EmbeddedFileX",  # longer names are other names
        b"/X /J#53X",
        b"/X (JS JavaScript)",  # not names
    ],
)
def test_pdf_with_harmless_lookalikes_is_accepted(catalog_extra: bytes) -> None:
    assert _check(_pdf_with_catalog(catalog_extra), "application/pdf").media_type is PDF


def test_stream_data_is_not_scanned() -> None:
    # The documented limit of a coarse screen: names inside stream data (and so inside
    # compressed object streams) are not seen. It also keeps binary data from matching by chance.
    body = b"/JS (app.alert(1)) /JavaScript /Launch"
    stream = b"<< /Length %d >>\nstream\r\n" % len(body) + body + b"\nendstream"
    _check(_pdf_with_catalog(b"", stream), "application/pdf")


def test_the_word_stream_without_an_end_of_line_does_not_hide_names() -> None:
    assert "script" in _not_allowed(
        _pdf_with_catalog(b"/X (stream) /JS (x) (endstream)"), "application/pdf"
    )


def test_names_after_a_stream_are_scanned() -> None:
    body = b"q Q"
    stream = b"<< /Length 3 >>\nstream\n" + body + b"\nendstream"
    data = _pdf_with_catalog(b"", stream, b"<< /S /Launch /F (x) >>")
    assert "script" in _not_allowed(data, "application/pdf")


# --------------------------------------------------------------------------- policy, types


@pytest.mark.parametrize(
    "changes",
    [
        {"max_bytes": 0},
        {"max_bytes": 64 * 1024 * 1024 + 1},
        {"max_image_pixels": 0},
        {"allowed_types": frozenset()},
        {"allowed_types": frozenset({"image/gif"})},
    ],
)
def test_policy_out_of_range_is_a_configuration_error(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"must|not a valid"):
        EvidencePolicy(**changes)  # type: ignore[arg-type]


def test_non_bytes_data_is_a_programmer_error() -> None:
    with pytest.raises(TypeError, match="bytes"):
        check_evidence(bytearray(PNG_FILE), declared_type="image/png")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="string"):
        check_evidence(PNG_FILE, declared_type=b"image/png")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- properties

_DECLARED = st.sampled_from([*EvidenceMediaType, "image/gif"]) | st.text(max_size=20)
_FAMILY_CODES = {
    FormatError: {ErrorCode.MALFORMED_REQUEST, ErrorCode.INPUT_TOO_LARGE},
    RequestError: {ErrorCode.REQUEST_TOO_LARGE, ErrorCode.EVIDENCE_TYPE_NOT_ALLOWED},
}


def _only_documented_errors(data: bytes, declared: str, policy: EvidencePolicy) -> None:
    try:
        info = _check(data, declared, policy)
    except FurusatoError as error:
        family, code = type(error), error.code
    else:
        assert info.size == len(data)
        assert (info.width is None) == (info.media_type is PDF)
        return
    assert code in _FAMILY_CODES[family]


@given(st.binary(max_size=2048), _DECLARED)
def test_random_bytes_raise_only_furusato_errors(data: bytes, declared: str) -> None:
    _only_documented_errors(data, declared, DEFAULT_EVIDENCE_POLICY)


@given(
    st.sampled_from([(b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG), (b"%PDF-1.7\n", PDF)]),
    st.binary(max_size=2048),
)
def test_random_bytes_after_a_valid_signature_raise_only_furusato_errors(
    prefix: tuple[bytes, EvidenceMediaType], rest: bytes
) -> None:
    signature, media_type = prefix
    _only_documented_errors(signature + rest, media_type, EvidencePolicy(max_image_pixels=100))


@given(
    st.sampled_from([(PNG_FILE, PNG), (JPEG_FILE, JPEG), (PDF_FILE, PDF), (PILLOW_PDF, PDF)]),
    st.data(),
)
def test_mutated_files_raise_only_furusato_errors(
    sample: tuple[bytes, EvidenceMediaType], data: st.DataObject
) -> None:
    original, media_type = sample
    mutated = bytearray(original)
    for _ in range(data.draw(st.integers(min_value=1, max_value=8))):
        position = data.draw(st.integers(min_value=0, max_value=len(mutated) - 1))
        mutated[position] = data.draw(st.integers(min_value=0, max_value=255))
    cut = data.draw(st.integers(min_value=0, max_value=len(mutated)))
    _only_documented_errors(
        bytes(mutated[:cut] if cut else mutated), media_type, DEFAULT_EVIDENCE_POLICY
    )
