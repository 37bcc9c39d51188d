"""Location at activity check-in: the geofence staff set and the coarse fix a wallet sends.

The national design lets each body choose, per activity, how attendance is proved
(:class:`CheckInMode`): the activity QR code only (the default we recommend), the QR code and a
location fix, or a location fix only. See docs/activity-location-and-evidence.md.

The rule (:func:`check_location`), with ``d`` the great-circle distance from the *coarsened* fix
(:func:`coarsen`) to the geofence centre and ``a`` the accuracy the wallet reported::

    accept  iff  a <= MAX_ACCEPTED_ACCURACY_M
            and  d <= radius + min(a + COARSENING_ERROR_M, radius)

- Coarsening moves a point by at most :data:`COARSENING_ERROR_M` (about 79 m at the equator, less
  further north), so the coarsened point is that much less certain than the wallet said; the
  margin is ``min(uncertainty, radius)``. A fix at the centre therefore always passes (the limit
  is at least 50 m + 50 m), and a genuine fix anywhere inside a fence of radius ≥ 80 m passes
  at any accepted accuracy.
  Below that, someone near the edge can be refused: staff set the radius to the venue's extent
  plus about 80 m, and no fence ever accepts farther out than twice its radius.
- Fail closed: a fix that reports an accuracy worse than 1 km (typically a cell-tower or IP
  estimate) is refused as outside the geofence, whatever its point.

Location is privacy-heavy and easy to spoof (GPS spoofing apps); the service checks a fix and then
discards it — it is never stored or logged, and in QR mode it is ignored unchecked.

Distances are haversine on a sphere of the IUGG mean Earth radius (6,371,008.8 m); against the
WGS84 ellipsoid that is within 0.5 %, far below the fix's own accuracy. Pure: no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final, Protocol

from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONValue

__all__ = [
    "COARSENING_ERROR_M",
    "COARSEN_DECIMALS",
    "EARTH_MEAN_RADIUS_M",
    "MAX_ACCEPTED_ACCURACY_M",
    "MAX_FIX_ACCURACY_M",
    "MAX_GEOFENCE_RADIUS_M",
    "MIN_GEOFENCE_RADIUS_M",
    "CheckInMode",
    "Geofence",
    "LatLon",
    "LocationFix",
    "check_location",
    "coarsen",
    "distance_m",
    "parse_location_fix",
]

# IUGG mean Earth radius R1 = (2a + b) / 3 of the WGS84 ellipsoid.
EARTH_MEAN_RADIUS_M: Final = 6_371_008.8
# Fixes are rounded to 3 decimal places of a degree: 0.001° of latitude is about 111 m.
COARSEN_DECIMALS: Final = 3
# The farthest coarsening can move a point: half a grid step in latitude and in longitude,
# √2 · 0.0005° · π/180 · R ≈ 78.6 m at the equator (longitude steps shrink towards the poles);
# rounded up for the float error of round().
COARSENING_ERROR_M: Final = 80.0
# A wallet reporting a worse accuracy than this is refused, not trusted to be nearby.
MAX_ACCEPTED_ACCURACY_M: Final = 1000.0

MIN_GEOFENCE_RADIUS_M: Final = 50.0
MAX_GEOFENCE_RADIUS_M: Final = 5000.0
# The largest accuracy a fix may state and still be well-formed (it is then refused by the rule).
MAX_FIX_ACCURACY_M: Final = 5000.0

# The members of a location fix on the wire, exactly these.
_FIX_LAT: Final = "lat"
_FIX_LON: Final = "lon"
_FIX_ACCURACY: Final = "accuracy_m"
_FIX_MEMBERS: Final = frozenset({_FIX_LAT, _FIX_LON, _FIX_ACCURACY})


class CheckInMode(StrEnum):
    """How attendance at one activity is proved; chosen by the body per activity.

    Wire-stable values (activity configuration, APIs).
    """

    QR = "qr"
    QR_AND_LOCATION = "qr_location"
    LOCATION = "location"

    @property
    def requires_qr(self) -> bool:
        """Whether the holder must present the activity's QR token."""
        return self is not CheckInMode.LOCATION

    @property
    def requires_location(self) -> bool:
        """Whether the holder must send a location fix inside the activity's geofence."""
        return self is not CheckInMode.QR


class LatLon(Protocol):
    """Anything with a WGS84 latitude and longitude in degrees."""

    @property
    def lat(self) -> float: ...

    @property
    def lon(self) -> float: ...


def _require_coordinate(name: str, value: float, limit: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number")
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise ValueError(f"{name} must be a finite number in [-{limit}, {limit}]")


@dataclass(frozen=True, slots=True, kw_only=True)
class Geofence:
    """The circle staff set for an activity: centre (WGS84 degrees) and radius in metres.

    ``radius_m`` is 50-5000. Set it to the venue's extent plus about 80 m: fixes are coarsened
    to about 100 m before they are checked (see the module docstring).

    Raises:
        TypeError, ValueError: a coordinate or the radius is not a finite number in range
            (configuration errors, not bad input).
    """

    lat: float
    lon: float
    radius_m: float

    def __post_init__(self) -> None:
        _require_coordinate("lat", self.lat, 90.0)
        _require_coordinate("lon", self.lon, 180.0)
        if isinstance(self.radius_m, bool) or not isinstance(self.radius_m, int | float):
            raise TypeError("radius_m must be a number")
        if not MIN_GEOFENCE_RADIUS_M <= self.radius_m <= MAX_GEOFENCE_RADIUS_M:
            raise ValueError(
                f"radius_m must be {MIN_GEOFENCE_RADIUS_M:g}-{MAX_GEOFENCE_RADIUS_M:g} m"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class LocationFix:
    """A position a wallet reports: WGS84 degrees and the device's accuracy radius in metres.

    Build it from wire input with :func:`parse_location_fix`. Personal data: check it and drop
    it; never store or log it.

    Raises:
        TypeError, ValueError: a member is not a finite number in range (use
            :func:`parse_location_fix` for untrusted input).
    """

    lat: float
    lon: float
    accuracy_m: float

    def __post_init__(self) -> None:
        _require_coordinate("lat", self.lat, 90.0)
        _require_coordinate("lon", self.lon, 180.0)
        if isinstance(self.accuracy_m, bool) or not isinstance(self.accuracy_m, int | float):
            raise TypeError("accuracy_m must be a number")
        if not 0.0 < self.accuracy_m <= MAX_FIX_ACCURACY_M:
            raise ValueError(f"accuracy_m must be in (0, {MAX_FIX_ACCURACY_M:g}]")

    def __repr__(self) -> str:
        # Keep positions out of logs and tracebacks that print the object.
        return "LocationFix(<redacted>)"


def _member(value: JSONValue, name: str, low: float, high: float, *, open_low: bool) -> float:
    # bool is an int in Python; JSON true is not a number.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FormatError(ErrorCode.MALFORMED_REQUEST, f"location {name} must be a number")
    # Range before float(): a huge JSON integer would overflow float() and math.isfinite().
    if isinstance(value, float) and not math.isfinite(value):
        raise FormatError(ErrorCode.MALFORMED_REQUEST, f"location {name} must be finite")
    below = value <= low if open_low else value < low
    if below or value > high:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, f"location {name} is out of range")
    return float(value)


def parse_location_fix(value: JSONValue | None) -> LocationFix | None:
    """Read the location member of a check-in request: ``None`` (absent) or exactly
    ``{"lat": …, "lon": …, "accuracy_m": …}``.

    ``lat`` is in [-90, 90], ``lon`` in [-180, 180] and ``accuracy_m`` in (0, 5000]; each a
    finite JSON number (not a boolean or a string). Members other than these three are refused,
    so a wallet cannot slip extra position data (altitude, a timestamp) into the request.

    Raises:
        FormatError: ``malformed_request`` if the value is not such an object.
    """
    if value is None:
        return None
    if not isinstance(value, dict):
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "location must be an object")
    if set(value) != _FIX_MEMBERS:
        raise FormatError(
            ErrorCode.MALFORMED_REQUEST, "location must have exactly lat, lon and accuracy_m"
        )
    return LocationFix(
        lat=_member(value[_FIX_LAT], _FIX_LAT, -90.0, 90.0, open_low=False),
        lon=_member(value[_FIX_LON], _FIX_LON, -180.0, 180.0, open_low=False),
        accuracy_m=_member(
            value[_FIX_ACCURACY], _FIX_ACCURACY, 0.0, MAX_FIX_ACCURACY_M, open_low=True
        ),
    )


def coarsen(fix: LocationFix) -> LocationFix:
    """``fix`` with latitude and longitude rounded to :data:`COARSEN_DECIMALS` decimal places
    (a grid of about 100 m); the accuracy is unchanged.

    The point moves by at most :data:`COARSENING_ERROR_M`, which :func:`check_location` allows
    for. Coarsening is done before the check so that nothing finer than ~100 m is ever used.
    """
    return LocationFix(
        lat=round(fix.lat, COARSEN_DECIMALS) + 0.0,  # + 0.0 turns -0.0 into 0.0
        lon=round(fix.lon, COARSEN_DECIMALS) + 0.0,
        accuracy_m=fix.accuracy_m,
    )


def distance_m(a: LatLon, b: LatLon) -> float:
    """Great-circle distance in metres between two WGS84 points (haversine formula on a sphere
    of radius :data:`EARTH_MEAN_RADIUS_M`). Correct across the antimeridian and at the poles."""
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(b.lon - a.lon) / 2
    h = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    # Rounding can push h a hair above 1 for antipodal points; asin would then fail.
    return 2 * EARTH_MEAN_RADIUS_M * math.asin(math.sqrt(min(1.0, max(0.0, h))))


def check_location(
    mode: CheckInMode, *, geofence: Geofence | None, fix: LocationFix | None
) -> None:
    """Check a check-in's location against the activity's geofence, as ``mode`` requires.

    In :attr:`CheckInMode.QR` the location is not part of the proof: this returns without looking
    at ``geofence`` or ``fix``, and the service must discard any fix a wallet sent. Otherwise the
    coarsened fix must satisfy the rule in the module docstring.

    Raises:
        ValueError: ``mode`` needs a location but the activity has no ``geofence`` (a
            configuration error: such an activity cannot be checked into at all).
        VerificationError: ``attendance_location_required`` if ``mode`` needs a location and
            ``fix`` is ``None``; ``attendance_outside_geofence`` if the fix is too far from the
            centre or its accuracy is worse than :data:`MAX_ACCEPTED_ACCURACY_M`.
    """
    mode = CheckInMode(mode)
    if not mode.requires_location:
        return
    if geofence is None:
        raise ValueError(f"check-in mode {mode.value!r} needs a geofence for the activity")
    if fix is None:
        raise VerificationError(ErrorCode.ATTENDANCE_LOCATION_REQUIRED, f"mode {mode.value}")
    if fix.accuracy_m > MAX_ACCEPTED_ACCURACY_M:
        raise VerificationError(
            ErrorCode.ATTENDANCE_OUTSIDE_GEOFENCE, "location accuracy is too poor to check"
        )
    margin = min(fix.accuracy_m + COARSENING_ERROR_M, geofence.radius_m)
    if distance_m(coarsen(fix), geofence) > geofence.radius_m + margin:
        raise VerificationError(ErrorCode.ATTENDANCE_OUTSIDE_GEOFENCE, "too far from the centre")
