"""A reproducible camera simulator: a QR code on a phone screen, seen by a 640×480 kiosk camera.

This is the camera model of qr-measurements.md §4.1, for tests and benchmarks only (it needs
numpy, which is a development dependency, never a runtime one; nothing else in the package
imports this module). Every random draw comes from ``numpy.random.default_rng(seed)`` in a fixed
order, so one seed gives the same frame bit for bit (on the same Pillow/libjpeg build).

Pipeline of :func:`simulate_frame`:

1. **Phone.** The QR image (render it with ``render_png(..., scale=4)`` to match the note: 4 px
   per module, 4-module quiet zone) on a white screen area with an 8 % margin, inside a dark
   bezel, in front of a mid-grey background.
2. **Geometry.** A pinhole camera with focal length = frame width looks at the phone: in-plane
   rotation (random sign), perspective tilt about both axes, the symbol (without its quiet zone)
   spanning a random share of the frame width, centre jitter. The pose is drawn again until the
   symbol plus a 1-module margin lies inside the frame. The phone is warped by the exact
   plane-to-image homography, bilinear, at ``oversample``× the frame resolution.
3. **Optics.** Gaussian blur (σ in frame pixels), then area downsampling to the frame size.
4. **Photometry.** Screen black and white map to a reduced range (contrast loss); brightness
   gain; a linear illumination gradient in a random direction; an optional saturated glare disc
   on the symbol (S5); Gaussian sensor noise.
5. **Compression.** Grayscale JPEG at a random quality, decoded again.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final

import numpy as np
from PIL import Image, ImageFilter

from furusato_vc.qr.render import ALPHANUMERIC_CHARS

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "S1",
    "S4",
    "S5",
    "SCENARIOS",
    "CameraScenario",
    "random_alphanumeric",
    "simulate_frame",
]

# Screen-space grey levels (0 = screen black, 255 = screen white) before photometry.
_BEZEL_LEVEL: Final = 10
_BACKGROUND_LEVEL: Final = 110
_SCREEN_MARGIN: Final = 0.08  # white screen around the quiet zone, share of the QR image width
_BEZEL_WIDTH: Final = 0.06  # share of the screen width
_MAX_POSE_DRAWS: Final = 1000
_GLARE_EDGE: Final = 0.2  # soft edge of the glare disc, share of its radius
_GLARE_BOOST: Final = 2.0 * 255.0  # added at the disc centre: saturates whatever is below
_FINDER_MODULES: Final = 7  # a finder pattern is 7 modules wide (ISO/IEC 18004)


def _check_range(name: str, value: tuple[float, float], low: float, high: float) -> None:
    if not low <= value[0] <= value[1] <= high:
        raise ValueError(f"{name} must be an ordered range within [{low}, {high}], not {value}")


@dataclass(frozen=True, slots=True, kw_only=True)
class CameraScenario:
    """Parameter ranges of the camera model; each frame draws uniformly from every range."""

    name: str
    frame_size: tuple[int, int] = (640, 480)
    # Width of the symbol without its quiet zone, as a share of the frame width.
    symbol_width: tuple[float, float] = (0.45, 0.55)
    # Symbol centre offset, as a share of the frame width and height (each axis, ±).
    centre_jitter: float = 0.04
    # In-plane rotation in degrees; the sign is drawn separately (±).
    rotation_deg: tuple[float, float] = (5.0, 15.0)
    # Perspective tilt about each of the two in-plane axes, in degrees (±).
    tilt_deg: float = 10.0
    blur_sigma: tuple[float, float] = (0.5, 1.5)  # frame pixels
    black_level: tuple[float, float] = (15.0, 70.0)  # where screen black lands (0-255)
    white_level: tuple[float, float] = (150.0, 245.0)  # where screen white lands (0-255)
    gain: tuple[float, float] = (0.6, 1.3)
    gradient: float = 0.30  # illumination varies by up to ± this share across the frame
    noise_sigma: tuple[float, float] = (2.0, 6.0)  # grey levels
    jpeg_quality: tuple[int, int] = (40, 70)
    # Area of the saturated glare disc as a share of the symbol area; None: no glare.
    glare_area: tuple[float, float] | None = None
    oversample: int = 3

    def __post_init__(self) -> None:
        width, height = self.frame_size
        if width < 16 or height < 16:
            raise ValueError(f"frame_size is too small: {self.frame_size}")
        _check_range("symbol_width", self.symbol_width, 0.01, 1.0)
        _check_range("rotation_deg", self.rotation_deg, 0.0, 180.0)
        _check_range("blur_sigma", self.blur_sigma, 0.0, 50.0)
        _check_range("black_level", self.black_level, 0.0, 255.0)
        _check_range("white_level", self.white_level, 0.0, 255.0)
        _check_range("gain", self.gain, 0.0, 10.0)
        _check_range("noise_sigma", self.noise_sigma, 0.0, 255.0)
        _check_range("jpeg_quality", self.jpeg_quality, 1, 95)
        if self.glare_area is not None:
            _check_range("glare_area", self.glare_area, 0.0, 1.0)
        if not 0.0 <= self.centre_jitter < 0.5:
            raise ValueError(f"centre_jitter must be in [0, 0.5), not {self.centre_jitter}")
        if not 0.0 <= self.tilt_deg < 60.0:
            raise ValueError(f"tilt_deg must be in [0, 60), not {self.tilt_deg}")
        if not 0.0 <= self.gradient < 1.0:
            raise ValueError(f"gradient must be in [0, 1), not {self.gradient}")
        if self.oversample < 1:
            raise ValueError(f"oversample must be at least 1, not {self.oversample}")


# qr-measurements.md §4.1: the main scenario, the phone on a stand, and S1 plus glare.
S1: Final = CameraScenario(name="S1")
S4: Final = replace(S1, name="S4", tilt_deg=3.0)
S5: Final = replace(S1, name="S5", glare_area=(0.02, 0.06))
SCENARIOS: Final[tuple[CameraScenario, ...]] = (S1, S4, S5)


def random_alphanumeric(length: int, *, seed: int) -> str:
    """``length`` random characters of QR alphanumeric mode (= the Base45 alphabet), seeded.

    Random Base45-alphabet text behaves like compressed data armoured with Base45, which is
    what our QR codes carry (it need not be decodable Base45).
    """
    if length < 0:
        raise ValueError(f"length must be non-negative, not {length}")
    indices = np.random.default_rng(seed).integers(0, len(ALPHANUMERIC_CHARS), size=length)
    return "".join(ALPHANUMERIC_CHARS[int(index)] for index in indices)


@dataclass(frozen=True, slots=True)
class _Phone:
    image: Image.Image  # "L", screen-space grey levels
    symbol: tuple[float, float, float, float]  # left, top, right, bottom (pixel edges)
    module: float  # pixels per module


def _qr_image(qr_png_or_image: bytes | Image.Image) -> Image.Image:
    if isinstance(qr_png_or_image, bytes | bytearray):
        with Image.open(io.BytesIO(qr_png_or_image)) as opened:
            return opened.convert("L")
    return qr_png_or_image.convert("L")


def _phone(qr: Image.Image) -> _Phone:
    dark = np.asarray(qr) < 128
    rows = np.flatnonzero(dark.any(axis=1))
    cols = np.flatnonzero(dark.any(axis=0))
    if rows.size == 0:
        raise ValueError("the QR image has no dark modules")
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    left, right = int(cols[0]), int(cols[-1]) + 1
    # The top-left finder pattern starts the first dark row: a run of 7 dark modules.
    first_row = dark[top, left:right]
    light = np.flatnonzero(~first_row)
    run = int(light[0]) if light.size else int(first_row.size)
    module = run / _FINDER_MODULES

    margin = round(_SCREEN_MARGIN * qr.width)
    screen_width, screen_height = qr.width + 2 * margin, qr.height + 2 * margin
    bezel = round(_BEZEL_WIDTH * screen_width)
    image = Image.new("L", (screen_width + 2 * bezel, screen_height + 2 * bezel), _BEZEL_LEVEL)
    image.paste(255, (bezel, bezel, bezel + screen_width, bezel + screen_height))
    offset = bezel + margin
    image.paste(qr, (offset, offset))
    return _Phone(
        image=image,
        symbol=(left + offset, top + offset, right + offset, bottom + offset),
        module=module,
    )


def _rotation(rotation: float, tilt_x: float, tilt_y: float) -> NDArray[np.float64]:
    cz, sz = math.cos(rotation), math.sin(rotation)
    cx, sx = math.cos(tilt_x), math.sin(tilt_x)
    cy, sy = math.cos(tilt_y), math.sin(tilt_y)
    about_z = np.array([[cz, -sz, 0.0], [sz, cz, 0.0], [0.0, 0.0, 1.0]])
    about_x = np.array([[1.0, 0.0, 0.0], [0.0, cx, -sx], [0.0, sx, cx]])
    about_y = np.array([[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]])
    combined: NDArray[np.float64] = about_x @ about_y @ about_z
    return combined


def _project(homography: NDArray[np.float64], points: NDArray[np.float64]) -> NDArray[np.float64]:
    """Apply a 3×3 homography to an (n, 2) array of points."""
    homogeneous = np.column_stack([points, np.ones(len(points))]) @ homography.T
    projected: NDArray[np.float64] = homogeneous[:, :2] / homogeneous[:, 2:3]
    return projected


def _pose(phone: _Phone, scenario: CameraScenario, rng: np.random.Generator) -> NDArray[np.float64]:
    """Draw a camera pose; return the homography from phone pixels to frame pixels."""
    width, height = scenario.frame_size
    focal = float(width)
    left, top, right, bottom = phone.symbol
    centre_u, centre_v = (left + right) / 2, (top + bottom) / 2
    side = right - left
    margin = phone.module  # the symbol plus a 1-module margin must stay inside the frame
    corners = np.array(
        [
            [left - margin, top - margin],
            [right + margin, top - margin],
            [right + margin, bottom + margin],
            [left - margin, bottom + margin],
        ]
    )
    intrinsics = np.array([[focal, 0.0, width / 2], [0.0, focal, height / 2], [0.0, 0.0, 1.0]])
    to_centre = np.array([[1.0, 0.0, -centre_u], [0.0, 1.0, -centre_v], [0.0, 0.0, 1.0]])
    for _ in range(_MAX_POSE_DRAWS):
        share = rng.uniform(*scenario.symbol_width)
        sign = 1.0 if rng.random() < 0.5 else -1.0
        rotation = math.radians(sign * rng.uniform(*scenario.rotation_deg))
        tilt_x = math.radians(rng.uniform(-scenario.tilt_deg, scenario.tilt_deg))
        tilt_y = math.radians(rng.uniform(-scenario.tilt_deg, scenario.tilt_deg))
        jitter_x = rng.uniform(-scenario.centre_jitter, scenario.centre_jitter)
        jitter_y = rng.uniform(-scenario.centre_jitter, scenario.centre_jitter)
        # Phone pixels are world units; at distance z the symbol spans `share` of the width.
        distance = focal * side / (share * width)
        translation = np.array(
            [jitter_x * width * distance / focal, jitter_y * height * distance / focal, distance]
        )
        rotation_matrix = _rotation(rotation, tilt_x, tilt_y)
        # Points on the phone plane (u, v, 0): camera = R·(u, v, 0) + t = [r1 r2 t]·(u, v, 1).
        extrinsics = np.column_stack([rotation_matrix[:, 0], rotation_matrix[:, 1], translation])
        homography: NDArray[np.float64] = intrinsics @ extrinsics @ to_centre
        projected = _project(homography, corners)
        inside_x = (projected[:, 0] >= 0) & (projected[:, 0] <= width)
        inside_y = (projected[:, 1] >= 0) & (projected[:, 1] <= height)
        if bool(np.all(inside_x & inside_y)):
            return homography
    raise ValueError(f"scenario {scenario.name}: no pose keeps the symbol inside the frame")


def _warp(phone: _Phone, homography: NDArray[np.float64], scenario: CameraScenario) -> Image.Image:
    width, height = scenario.frame_size
    factor = scenario.oversample
    to_oversampled = np.diag([float(factor), float(factor), 1.0])
    # PIL's PERSPECTIVE maps output pixels back to input pixels: the inverse homography,
    # normalised so that its bottom-right entry is 1.
    inverse = np.linalg.inv(to_oversampled @ homography)
    inverse /= inverse[2, 2]
    coefficients = tuple(float(value) for value in inverse.flatten()[:8])
    return phone.image.transform(
        (width * factor, height * factor),
        Image.Transform.PERSPECTIVE,
        coefficients,
        resample=Image.Resampling.BILINEAR,
        fillcolor=_BACKGROUND_LEVEL,
    )


def _glare(
    phone: _Phone,
    homography: NDArray[np.float64],
    area_share: float,
    rng: np.random.Generator,
    size: tuple[int, int],
) -> NDArray[np.float32]:
    """A saturating glare disc centred on a random point of the symbol (0 outside)."""
    left, top, right, bottom = phone.symbol
    symbol = _project(
        homography, np.array([[left, top], [right, top], [right, bottom], [left, bottom]])
    )
    x, y = symbol[:, 0], symbol[:, 1]
    symbol_area = 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))
    radius = math.sqrt(area_share * symbol_area / math.pi)
    point = np.array([[rng.uniform(left, right), rng.uniform(top, bottom)]])
    centre_x, centre_y = _project(homography, point)[0]
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    distance = np.hypot(xs + 0.5 - centre_x, ys + 0.5 - centre_y)
    edge = max(1.0, _GLARE_EDGE * radius)
    weight = np.clip((radius + edge / 2 - distance) / edge, 0.0, 1.0)
    boost: NDArray[np.float32] = (weight * _GLARE_BOOST).astype(np.float32)
    return boost


def simulate_frame(
    qr_png_or_image: bytes | Image.Image, *, seed: int, scenario: CameraScenario = S1
) -> Image.Image:
    """One simulated camera frame (mode ``"L"``, ``scenario.frame_size``) of a QR code.

    ``qr_png_or_image`` is a clean render: PNG bytes or a PIL image, dark modules on white with
    a quiet zone; render with ``render_png(text, scale=4)`` to reproduce the note's numbers. The
    same seed and scenario give the same frame bit for bit.

    Raises:
        ValueError: a negative seed, an image without dark modules, or a scenario in which no
            pose keeps the symbol inside the frame.
    """
    if seed < 0:
        raise ValueError(f"seed must be non-negative, not {seed}")
    rng = np.random.default_rng(seed)
    phone = _phone(_qr_image(qr_png_or_image))
    width, height = scenario.frame_size

    homography = _pose(phone, scenario, rng)
    warped = _warp(phone, homography, scenario)

    blur = rng.uniform(*scenario.blur_sigma)
    if blur > 0:
        # Pillow's GaussianBlur radius is the standard deviation, here in oversampled pixels.
        warped = warped.filter(ImageFilter.GaussianBlur(radius=blur * scenario.oversample))
    if scenario.oversample > 1:
        warped = warped.reduce(scenario.oversample)  # box filter: area downsampling

    screen = np.asarray(warped, dtype=np.float32) / np.float32(255.0)
    black = rng.uniform(*scenario.black_level)
    white = rng.uniform(*scenario.white_level)
    gain = rng.uniform(*scenario.gain)
    pixels = (black + (white - black) * screen) * np.float32(gain)

    amplitude = rng.uniform(0.0, scenario.gradient)
    direction = rng.uniform(0.0, 2.0 * math.pi)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    along = (xs + 0.5 - width / 2) * math.cos(direction) + (ys + 0.5 - height / 2) * math.sin(
        direction
    )
    half_diagonal = math.hypot(width, height) / 2
    pixels *= np.float32(1.0) + np.float32(amplitude / half_diagonal) * along

    if scenario.glare_area is not None:
        share = rng.uniform(*scenario.glare_area)
        pixels += _glare(phone, homography, share, rng, scenario.frame_size)

    noise = rng.uniform(*scenario.noise_sigma)
    pixels += rng.normal(0.0, noise, size=pixels.shape).astype(np.float32)
    frame = Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8))

    quality = int(rng.integers(scenario.jpeg_quality[0], scenario.jpeg_quality[1], endpoint=True))
    buffer = io.BytesIO()
    frame.save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as jpeg:
        return jpeg.convert("L")
