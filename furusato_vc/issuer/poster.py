"""The printable check-in poster of an activity: the signed activity QR (``FA1:`` + JWS, see
:mod:`furusato_vc.core.activity`) on an A4 page with what staff and holders need to read
around it, Japanese first and English second. See docs/activity-poster.md.

The page is drawn once as a grayscale raster (Pillow) and delivered as PNG or as a one-page
PDF. The QR is drawn by :func:`furusato_vc.qr.render.render_png` (byte mode: the token is
base64url) at a whole number of pixels per module with its quiet zone, so it stays sharp.

The PDF is written here rather than by Pillow's PDF writer, which stores grayscale and RGB
images as JPEG (``DCTDecode``: lossy, it blurs module edges) and palette images as
uncompressed hex. Ours embeds the raster losslessly (``FlateDecode``, zlib) in a minimal
PDF 1.4 file (ISO 32000-1 §7.5 file structure, §8.9 image XObjects), sized so that one
raster pixel is exactly ``1/dpi`` inch on the A4 page.

Japanese needs a CJK font; :func:`find_cjk_font` is the only place that looks for one (the
only file-system and subprocess access here). Without one the poster is still drawn, with
its English lines, the QR and a notice on the page, and :class:`PosterFontWarning` is
issued.
"""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
import unicodedata
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypeAlias

from PIL import Image, ImageDraw, ImageFont

from furusato_vc.core.activity import (
    ACTIVITY_QR_PREFIX,
    MAX_ACTIVITY_TOKEN_CHARS,
    ActivityClaim,
    ActivityName,
)
from furusato_vc.core.encoding import JsonLimits, parse_json_object
from furusato_vc.core.errors import FurusatoError
from furusato_vc.core.jose.jws import JwsLimits, decode_unverified_jws
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.registration.claims import JST
from furusato_vc.qr.render import QUIET_ZONE, qr_version, render_png

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

    from furusato_vc.core.jose.jwk import PublicJwk

__all__ = [
    "A4_MM",
    "DEFAULT_POSTER_DPI",
    "KNOWN_CJK_FONTS",
    "MAX_CAPACITY",
    "MAX_POSTER_DPI",
    "MAX_POSTER_TEXT_CHARS",
    "MIN_POSTER_DPI",
    "QR_ERROR_LEVEL",
    "PosterContent",
    "PosterFontWarning",
    "find_cjk_font",
    "render_poster_pdf",
    "render_poster_png",
    "signing_key_fingerprint",
]

A4_MM: Final = (210, 297)
# 150 dpi keeps a version-25 module at about 1 mm in 5 whole pixels; 600 dpi (35 megapixels)
# is as fine as office printers go.
MIN_POSTER_DPI: Final = 150
MAX_POSTER_DPI: Final = 600
DEFAULT_POSTER_DPI: Final = 300
MAX_POSTER_TEXT_CHARS: Final = 64  # place and body names, like the activity name
MAX_CAPACITY: Final = 100_000
# Level M, as for the other QR codes: a larger level would mean a larger version and smaller
# modules on the same page.
QR_ERROR_LEVEL: Final = "M"
# Debian/Ubuntu paths: fonts-ipafont-gothic (proportional first: its Latin letters are
# narrower, so long English lines fit) and fonts-noto-cjk (face 0 of the collection is JP).
KNOWN_CJK_FONTS: Final[tuple[Path, ...]] = (
    Path("/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf"),
    Path("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"),
    Path("/usr/share/fonts/truetype/fonts-japanese-gothic.ttf"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)

INSTRUCTION_JA: Final = "アプリの『活動に参加』でこのコードを読み取ってください"
INSTRUCTION_EN: Final = "Scan this code with the app's 'Check in' button"
VALIDITY_JA: Final = "このコードは上記の日時の間だけ有効です"
VALIDITY_EN: Final = "This code is only valid during the time shown above"
NO_CJK_NOTICE: Final = "(Japanese text not shown: no Japanese font on the printing computer)"

_FINGERPRINT = re.compile(r"[A-Za-z0-9_-]{4,43}")  # a prefix of a base64url SHA-256
_MONTHS_EN: Final = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip
_JWS_LIMITS: Final = JwsLimits(max_chars=MAX_ACTIVITY_TOKEN_CHARS)
_PAYLOAD_LIMITS: Final = JsonLimits(max_bytes=2048, max_depth=2)
_FC_LIST_TIMEOUT_S: Final = 5

_Font: TypeAlias = ImageFont.FreeTypeFont | ImageFont.ImageFont


class PosterFontWarning(UserWarning):
    """No usable Japanese font: the poster was drawn with its English lines only."""


def signing_key_fingerprint(key: PublicJwk) -> str:
    """The first 8 characters of the key's RFC 7638 thumbprint (SHA-256, base64url): what the
    poster prints as 「署名鍵」, to compare with the thumbprint ``furusato-vc trust`` shows."""
    return key.thumbprint()[:8]


def _text_problem(value: str) -> str | None:
    if not value.strip() or len(value) > MAX_POSTER_TEXT_CHARS:
        return f"must be 1-{MAX_POSTER_TEXT_CHARS} characters"
    if any(unicodedata.category(c).startswith("C") for c in value):
        return "contains control characters"
    return None


def _signed_claims(qr_text: str) -> dict[str, object]:
    """The activity token's claims, read without checking the signature: the poster only
    compares them with its own text; wallets and the body verify the token."""
    if not (qr_text.isascii() and qr_text.isprintable()):
        raise ValueError("qr_text must be printable ASCII")
    if not qr_text.startswith(ACTIVITY_QR_PREFIX):
        raise ValueError("qr_text must be an activity QR text (FA1:)")
    try:
        token = decode_unverified_jws(qr_text[len(ACTIVITY_QR_PREFIX) :], limits=_JWS_LIMITS)
        return dict(parse_json_object(token.payload, limits=_PAYLOAD_LIMITS))
    except FurusatoError as error:
        raise ValueError(f"qr_text is not an activity token: {error.code}") from error


def _day_ja(moment: datetime, *, year: bool) -> str:
    return (f"{moment.year}年" if year else "") + f"{moment.month}月{moment.day}日"


def _day_en(moment: datetime) -> str:
    return f"{moment.day} {_MONTHS_EN[moment.month - 1]} {moment.year}"


@dataclass(frozen=True, slots=True, kw_only=True)
class PosterContent:
    """What one activity's poster shows.

    ``title``, ``window_start`` and ``window_end`` must be the signed ``name``, ``nbf`` and
    ``exp`` of ``qr_text`` (checked without verifying the signature), so the printed text
    cannot disagree with the code. Times are shown in Japan time.

    Raises:
        ValueError: ``qr_text`` is not an ``FA1:`` activity QR text or disagrees with the
            title or window; naive datetimes; an end not after the start; a place or body
            name outside 1-64 characters or with control characters; a capacity outside
            1-100,000; a fingerprint that is not 4-43 base64url characters.
    """

    qr_text: str
    title: ActivityName
    body_name_ja: str
    body_name_en: str
    place: str
    window_start: datetime
    window_end: datetime
    key_fingerprint: str
    capacity: int | None = None

    def __post_init__(self) -> None:
        start, end = to_numeric_date(self.window_start), to_numeric_date(self.window_end)
        if end <= start:
            raise ValueError("window_end must be after window_start")
        for label, value in (
            ("place", self.place),
            ("body_name_ja", self.body_name_ja),
            ("body_name_en", self.body_name_en),
        ):
            problem = _text_problem(value)
            if problem is not None:
                raise ValueError(f"{label} {problem}")
        if self.capacity is not None and not (
            type(self.capacity) is int and 1 <= self.capacity <= MAX_CAPACITY
        ):
            raise ValueError(f"capacity must be an integer 1-{MAX_CAPACITY} or None")
        if not _FINGERPRINT.fullmatch(self.key_fingerprint):
            raise ValueError("key_fingerprint must be 4-43 base64url characters")
        claims = _signed_claims(self.qr_text)
        signed_name = claims.get(ActivityClaim.NAME)
        if signed_name != {
            ActivityClaim.NAME_JA: self.title.ja,
            ActivityClaim.NAME_EN: self.title.en,
        }:
            raise ValueError("title differs from the signed activity name")
        if claims.get(ActivityClaim.NBF) != start or claims.get(ActivityClaim.EXP) != end:
            raise ValueError("window differs from the signed nbf and exp")

    @property
    def window_ja(self) -> str:
        """The window in Japan time, e.g. ``2027年1月10日 10:00〜15:00``."""
        start, end = self.window_start.astimezone(JST), self.window_end.astimezone(JST)
        text = f"{_day_ja(start, year=True)} {start:%H:%M}〜"
        if end.date() != start.date():
            text += _day_ja(end, year=end.year != start.year) + " "
        return text + f"{end:%H:%M}"

    @property
    def window_en(self) -> str:
        """The window in Japan time, e.g. ``10 Jan 2027 10:00–15:00``."""
        start, end = self.window_start.astimezone(JST), self.window_end.astimezone(JST)
        if end.date() == start.date():
            return f"{_day_en(start)} {start:%H:%M}–{end:%H:%M}"
        return f"{_day_en(start)} {start:%H:%M} – {_day_en(end)} {end:%H:%M}"


# --------------------------------------------------------------------------- fonts


def find_cjk_font(font_path: Path | None = None) -> Path | None:
    """The Japanese font file to draw with, or ``None`` if there is none.

    An explicit ``font_path`` is used as given (``None`` if it is not a file; nothing else
    is searched). Otherwise the first of :data:`KNOWN_CJK_FONTS` that exists, else the first
    (by path) of the fonts ``fc-list ':lang=ja'`` reports, if fontconfig is installed. The
    renderers still fall back to English only if the file found cannot be read as a font or
    has no Japanese glyphs.
    """
    if font_path is not None:
        return font_path if font_path.is_file() else None
    for known in KNOWN_CJK_FONTS:
        if known.is_file():
            return known
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listed = subprocess.run(  # noqa: S603  (fixed arguments, no shell)
            [fc_list, ":lang=ja", "file"],
            capture_output=True,
            text=True,
            timeout=_FC_LIST_TIMEOUT_S,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = sorted(
        Path(line.strip().removesuffix(":"))
        for line in listed.splitlines()
        if line.strip().lower().endswith((".ttf:", ".otf:", ".ttc:"))
    )
    return next((path for path in found if path.is_file()), None)


def _draws_japanese(font: _Font) -> bool:
    """Whether ``font`` has Japanese glyphs: a font without them draws every one of these
    characters as the same missing-glyph box (or nothing)."""
    drawn = set()
    for char in "海祭あ":
        image = Image.new("L", (48, 48), 0)
        ImageDraw.Draw(image).text((4, 4), char, font=font, fill=255)
        drawn.add(image.tobytes())
    return len(drawn) == 3


class _Fonts:
    """Fonts by pixel size: the CJK font if it loads and has Japanese glyphs, else Pillow's
    built-in Latin font."""

    def __init__(self, path: Path | None) -> None:
        self.cjk = False
        self._path: Path | None = None
        self._cache: dict[int, _Font] = {}
        if path is not None:
            try:
                font = ImageFont.truetype(path, 32)
            except OSError:  # not a font Pillow can read
                return
            if _draws_japanese(font):
                self.cjk = True
                self._path = path
                self._cache[32] = font

    def get(self, size: int) -> _Font:
        if size not in self._cache:
            if self._path is not None:
                self._cache[size] = ImageFont.truetype(self._path, size)
            else:
                self._cache[size] = ImageFont.load_default(size)
        return self._cache[size]


# --------------------------------------------------------------------------- layout

# A run of Latin letters, digits and punctuation with its trailing spaces, a run of spaces,
# or one other character (Japanese breaks between any two characters).
_TOKEN = re.compile(r"[\x21-\x7e\u00c0-\u024f]+ *| +|.", re.DOTALL)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Text:
    text: str
    points: float  # largest size
    min_points: float
    max_lines: int = 2
    bold: bool = False
    gap_after_mm: float = 1.5


def _wrap(text: str, font: _Font, width: int, draw: ImageDraw.ImageDraw) -> list[str]:
    """Greedy line breaking; a word wider than a line is broken between characters."""

    def fits(candidate: str) -> bool:
        return draw.textlength(candidate.rstrip(), font=font) <= width

    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text):
        if line.strip() and not fits(line + token):
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
        while not fits(line) and len(line.rstrip()) > 1:
            cut = next((i for i in range(len(line) - 1, 0, -1) if fits(line[:i])), 1)
            lines.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
    if line.strip():
        lines.append(line.rstrip())
    return lines


class _Page:
    def __init__(self, *, dpi: int, fonts: _Fonts) -> None:
        self.dpi = dpi
        self.fonts = fonts
        self.width = round(A4_MM[0] / 25.4 * dpi)
        self.height = round(A4_MM[1] / 25.4 * dpi)
        self.margin = self.px(15)
        self.image = Image.new("L", (self.width, self.height), 255)
        self.draw = ImageDraw.Draw(self.image)

    def px(self, mm: float) -> int:
        return round(mm / 25.4 * self.dpi)

    def _size(self, points: float) -> int:
        return max(1, round(points / 72 * self.dpi))

    def layout(self, item: _Text) -> tuple[_Font, list[str], int]:
        """The font, lines and line height for ``item``: the largest size (down to
        ``min_points``) at which it fits ``max_lines`` lines of the page width."""
        width = self.width - 2 * self.margin
        points = item.points
        while True:
            font = self.fonts.get(self._size(points))
            lines = _wrap(item.text, font, width, self.draw)
            if len(lines) <= item.max_lines or points <= item.min_points:
                return font, lines, round(self._size(points) * 1.35)
            points = max(item.min_points, points - 1)

    def height_of(self, items: list[_Text]) -> int:
        total = 0
        for item in items:
            _, lines, line_height = self.layout(item)
            total += len(lines) * line_height + self.px(item.gap_after_mm)
        return total

    def write(self, items: list[_Text], top: int) -> int:
        y = top
        for item in items:
            font, lines, line_height = self.layout(item)
            for line in lines:
                x = (self.width - self.draw.textlength(line, font=font)) / 2
                stroke = max(1, round(self.dpi / 150)) if item.bold else 0
                self.draw.text((x, y), line, font=font, fill=0, stroke_width=stroke, stroke_fill=0)
                y += line_height
            y += self.px(item.gap_after_mm)
        return y


def _without_cjk_font(items: list[_Text]) -> list[_Text]:
    """What Pillow's built-in font can draw: Latin-1 text (the en dash becomes a hyphen)."""
    kept = [dataclasses.replace(item, text=item.text.replace("–", "-")) for item in items]
    return [item for item in kept if all(ord(c) < 0x100 for c in item.text)]


def _sections(content: PosterContent, *, cjk: bool) -> tuple[list[_Text], list[_Text]]:
    """The text above and below the QR. Without a CJK font, lines with Japanese (or other
    non-Latin) text are left out rather than drawn as empty boxes."""
    place, fingerprint = content.place, content.key_fingerprint
    above = [
        _Text(text=content.title.ja, points=30, min_points=16, bold=True, gap_after_mm=1),
        _Text(text=content.title.en, points=18, min_points=11, gap_after_mm=5),
        _Text(
            text=f"場所 / Place: {place}" if cjk else f"Place: {place}", points=15, min_points=11
        ),
        _Text(text=f"日時：{content.window_ja}", points=16, min_points=12, gap_after_mm=1),
        _Text(text=f"When: {content.window_en}", points=14, min_points=11),
    ]
    if content.capacity is not None:
        above += [
            _Text(text=f"定員 {content.capacity:,}名", points=12, min_points=10, gap_after_mm=1),
            _Text(text=f"Capacity: {content.capacity:,}", points=12, min_points=10),
        ]
    above[-1] = dataclasses.replace(above[-1], gap_after_mm=5)
    above += [
        _Text(text=INSTRUCTION_JA, points=15, min_points=11, bold=True, gap_after_mm=1),
        _Text(text=INSTRUCTION_EN, points=13, min_points=10),
    ]
    below = [
        _Text(text=VALIDITY_JA, points=11, min_points=9, gap_after_mm=1),
        _Text(text=VALIDITY_EN, points=10, min_points=8, gap_after_mm=4),
        _Text(text=f"発行：{content.body_name_ja}", points=12, min_points=9, gap_after_mm=1),
        _Text(text=f"Issued by {content.body_name_en}", points=11, min_points=8),
        _Text(
            text=f"署名鍵 / Signing key: {fingerprint}" if cjk else f"Signing key: {fingerprint}",
            points=10,
            min_points=8,
        ),
    ]
    if not cjk:
        below.append(_Text(text=NO_CJK_NOTICE, points=9, min_points=7))
        above, below = _without_cjk_font(above), _without_cjk_font(below)
    return above, below


def _check_dpi(dpi: int) -> None:
    if type(dpi) is not int or not MIN_POSTER_DPI <= dpi <= MAX_POSTER_DPI:
        raise ValueError(f"dpi must be an integer {MIN_POSTER_DPI}-{MAX_POSTER_DPI}")


def _render(content: PosterContent, *, dpi: int, font_path: Path | None) -> Image.Image:
    _check_dpi(dpi)
    fonts = _Fonts(find_cjk_font(font_path))
    if not fonts.cjk:
        warnings.warn(
            "no usable Japanese font: the poster shows its English text only",
            PosterFontWarning,
            stacklevel=3,
        )
    page = _Page(dpi=dpi, fonts=fonts)
    above, below = _sections(content, cjk=fonts.cjk)
    top = page.write(above, page.margin) + page.px(3)
    bottom = page.height - page.margin - page.height_of(below)
    # The QR: as large as the space between the text blocks allows (at most 140 mm), a
    # whole number of pixels per module, its quiet zone included and kept white.
    modules = 17 + 4 * qr_version(content.qr_text, error=QR_ERROR_LEVEL, mode="byte")
    side = min(bottom - top - page.px(3), page.width - 2 * page.margin, page.px(140))
    scale = side // (modules + 2 * QUIET_ZONE)
    if scale < 2:  # pragma: no cover - bounded inputs always leave room
        raise ValueError("the text leaves no room for the QR code")
    png = render_png(content.qr_text, error=QR_ERROR_LEVEL, mode="byte", scale=scale)
    with Image.open(io.BytesIO(png)) as symbol:
        qr = symbol.convert("L")
    qr_top = top + (bottom - top - qr.height) // 2
    page.image.paste(qr, ((page.width - qr.width) // 2, qr_top))
    page.write(below, bottom)
    return page.image


def render_poster_png(
    content: PosterContent, *, dpi: int = DEFAULT_POSTER_DPI, font_path: Path | None = None
) -> bytes:
    """The poster as a grayscale A4 portrait PNG (``round(210/25.4·dpi)`` by
    ``round(297/25.4·dpi)`` pixels, with the dpi recorded).

    ``font_path`` names the Japanese font; by default :func:`find_cjk_font` looks for one.
    Without one, issues :class:`PosterFontWarning` and draws the English lines only.

    Raises:
        ValueError: ``dpi`` outside 150-600.
    """
    buffer = io.BytesIO()
    _render(content, dpi=dpi, font_path=font_path).save(buffer, format="PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def render_poster_pdf(
    content: PosterContent, *, dpi: int = DEFAULT_POSTER_DPI, font_path: Path | None = None
) -> bytes:
    """The poster as a one-page A4 PDF: the raster of :func:`render_poster_png`, embedded
    losslessly (Flate) and filling the page.

    Raises:
        ValueError: ``dpi`` outside 150-600.
    """
    return _pdf_of(_render(content, dpi=dpi, font_path=font_path), dpi=dpi)


# --------------------------------------------------------------------------- PDF


def _pdf_objects(image: Image.Image, *, dpi: int) -> Iterator[bytes]:
    width_pt = f"{image.width * 72 / dpi:.3f}"
    height_pt = f"{image.height * 72 / dpi:.3f}"
    pixels = zlib.compress(image.tobytes(), level=6)
    content = f"q {width_pt} 0 0 {height_pt} 0 0 cm /Im0 Do Q\n".encode("ascii")
    yield b"<< /Type /Catalog /Pages 2 0 R >>"
    yield b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
    yield (
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width_pt} {height_pt}]"
        " /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>"
    ).encode("ascii")
    yield (
        (
            f"<< /Type /XObject /Subtype /Image /Width {image.width} /Height {image.height}"
            f" /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode"
            f" /Length {len(pixels)} >>\nstream\n"
        ).encode("ascii")
        + pixels
        + b"\nendstream"
    )
    yield f"<< /Length {len(content)} >>\nstream\n".encode("ascii") + content + b"endstream"


def _pdf_of(image: Image.Image, *, dpi: int) -> bytes:
    # ISO 32000-1 §7.5: header, numbered objects, a cross-reference table of their byte
    # offsets (exactly 20 bytes per entry), trailer, startxref.
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(_pdf_objects(image, dpi=dpi), start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode("ascii") + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode("ascii")
    out += b"".join(f"{offset:010d} 00000 n \n".encode("ascii") for offset in offsets)
    out += f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R >>\n".encode("ascii")
    out += f"startxref\n{xref}\n%%EOF\n".encode("ascii")
    return bytes(out)
