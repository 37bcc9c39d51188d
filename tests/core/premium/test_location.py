"""Check-in location: strict parsing of the wallet's fix, coarsening, the geofence rule per mode,
and haversine distances (known values and properties)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.premium import (
    COARSENING_ERROR_M,
    EARTH_MEAN_RADIUS_M,
    MAX_ACCEPTED_ACCURACY_M,
    CheckInMode,
    Geofence,
    LocationFix,
    check_location,
    coarsen,
    distance_m,
    parse_location_fix,
)

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONValue

TOKYO_STATION = LocationFix(lat=35.681236, lon=139.767125, accuracy_m=10)
SHINJUKU_STATION = LocationFix(lat=35.690921, lon=139.700258, accuracy_m=10)
FENCE = Geofence(lat=35.681236, lon=139.767125, radius_m=200)
ONE_DEGREE_M = EARTH_MEAN_RADIUS_M * math.pi / 180  # ≈ 111,195 m along any great circle

LOCATION_MODES = [CheckInMode.QR_AND_LOCATION, CheckInMode.LOCATION]


@dataclass(frozen=True)
class _Point:
    lat: float
    lon: float


def _fix_north_of(fence: Geofence, metres: float, *, accuracy_m: float = 10) -> LocationFix:
    # Due north along the meridian: exactly metres / ONE_DEGREE_M degrees of latitude.
    return LocationFix(lat=fence.lat + metres / ONE_DEGREE_M, lon=fence.lon, accuracy_m=accuracy_m)


# --------------------------------------------------------------------------- modes


def test_mode_values_are_the_wire_names() -> None:
    assert [m.value for m in CheckInMode] == ["qr", "qr_location", "location"]


def test_mode_requirements() -> None:
    assert (CheckInMode.QR.requires_qr, CheckInMode.QR.requires_location) == (True, False)
    assert CheckInMode.QR_AND_LOCATION.requires_qr
    assert CheckInMode.QR_AND_LOCATION.requires_location
    assert not CheckInMode.LOCATION.requires_qr
    assert CheckInMode.LOCATION.requires_location


def test_qr_mode_ignores_location_entirely() -> None:
    far_away = LocationFix(lat=-33.86, lon=151.21, accuracy_m=5000)
    check_location(CheckInMode.QR, geofence=None, fix=None)
    check_location(CheckInMode.QR, geofence=FENCE, fix=far_away)
    check_location(CheckInMode.QR, geofence=None, fix=far_away)


def test_mode_given_as_its_wire_string_is_accepted() -> None:
    check_location("qr_location", geofence=FENCE, fix=TOKYO_STATION)  # type: ignore[arg-type]


def test_unknown_mode_is_a_programmer_error() -> None:
    with pytest.raises(ValueError, match="gps"):
        check_location("gps", geofence=FENCE, fix=TOKYO_STATION)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", LOCATION_MODES)
def test_location_modes_accept_a_fix_inside(mode: CheckInMode) -> None:
    check_location(mode, geofence=FENCE, fix=TOKYO_STATION)


@pytest.mark.parametrize("mode", LOCATION_MODES)
def test_location_modes_require_a_fix(mode: CheckInMode) -> None:
    with pytest.raises(VerificationError) as caught:
        check_location(mode, geofence=FENCE, fix=None)
    assert caught.value.code is ErrorCode.ATTENDANCE_LOCATION_REQUIRED


@pytest.mark.parametrize("mode", LOCATION_MODES)
def test_location_modes_without_a_geofence_are_a_configuration_error(mode: CheckInMode) -> None:
    with pytest.raises(ValueError, match="geofence"):
        check_location(mode, geofence=None, fix=TOKYO_STATION)
    # ... reported even when the fix is missing too: the activity cannot work at all.
    with pytest.raises(ValueError, match="geofence"):
        check_location(mode, geofence=None, fix=None)


@pytest.mark.parametrize("mode", LOCATION_MODES)
def test_location_modes_refuse_a_fix_far_away(mode: CheckInMode) -> None:
    with pytest.raises(VerificationError) as caught:
        check_location(mode, geofence=FENCE, fix=SHINJUKU_STATION)
    assert caught.value.code is ErrorCode.ATTENDANCE_OUTSIDE_GEOFENCE


# --------------------------------------------------------------------------- the rule


def _accept(fence: Geofence, fix: LocationFix) -> None:
    check_location(CheckInMode.LOCATION, geofence=fence, fix=fix)


def _refuse(fence: Geofence, fix: LocationFix) -> None:
    with pytest.raises(VerificationError) as caught:
        check_location(CheckInMode.LOCATION, geofence=fence, fix=fix)
    assert caught.value.code is ErrorCode.ATTENDANCE_OUTSIDE_GEOFENCE


def test_the_margin_is_accuracy_plus_coarsening_capped_at_the_radius() -> None:
    # A centre on the 0.001° grid, and fixes due north by whole grid steps, so coarsening does
    # not move them and the distance is exactly known.
    fence = Geofence(lat=35.0, lon=139.0, radius_m=1000)
    step = ONE_DEGREE_M / 1000  # one 0.001° grid step, ≈ 111.2 m

    def fix(steps: int, accuracy: float) -> LocationFix:
        return LocationFix(lat=35.0 + steps / 1000, lon=139.0, accuracy_m=accuracy)

    # accuracy 10 m: margin 90 m, accept up to 1090 m; 9 steps = 1000.8 m, 10 steps = 1112 m
    _accept(fence, fix(9, 10))
    _refuse(fence, fix(10, 10))
    # accuracy 100 m: margin 180 m, limit 1180 m; 10 steps (1112 m) now pass, 11 (1223 m) not
    _accept(fence, fix(10, 100))
    _refuse(fence, fix(11, 100))
    # accuracy 1000 m: the margin is capped at the radius, limit 2000 m; 17 steps = 1890 m
    _accept(fence, fix(17, 1000))
    _refuse(fence, fix(18, 1000))
    assert 17 * step < 2000 < 18 * step


def test_a_fence_never_accepts_beyond_twice_its_radius() -> None:
    fence = Geofence(lat=35.0, lon=139.0, radius_m=500)
    _refuse(fence, LocationFix(lat=35.0 + 9 / 1000, lon=139.0, accuracy_m=1000))


def test_accuracy_worse_than_the_limit_is_refused_even_at_the_centre() -> None:
    fence = Geofence(lat=35.0, lon=139.0, radius_m=5000)
    at_limit = LocationFix(lat=35.0, lon=139.0, accuracy_m=MAX_ACCEPTED_ACCURACY_M)
    _accept(fence, at_limit)
    too_coarse = LocationFix(lat=35.0, lon=139.0, accuracy_m=MAX_ACCEPTED_ACCURACY_M + 0.5)
    _refuse(fence, too_coarse)


def test_the_check_uses_the_coarsened_fix() -> None:
    # Radius 50 m, accuracy 10 m: the limit is 50 + min(10 + 80, 50) = 100 m.
    fence = Geofence(lat=35.0, lon=139.0, radius_m=50)
    pushed_out = LocationFix(lat=35.0008, lon=139.0, accuracy_m=10)  # 89 m north
    assert distance_m(pushed_out, fence) < 100
    assert coarsen(pushed_out).lat == 35.001  # 111 m north
    _refuse(fence, pushed_out)
    # Radius 60 m: the limit is 120 m.
    fence = Geofence(lat=35.0, lon=139.0, radius_m=60)
    pulled_in = LocationFix(lat=35.00115, lon=139.0, accuracy_m=10)  # 128 m north
    assert distance_m(pulled_in, fence) > 120
    assert coarsen(pulled_in).lat == 35.001
    _accept(fence, pulled_in)


def test_a_fix_at_the_centre_passes_the_smallest_fence_at_the_worst_grid_offset() -> None:
    # The centre sits half a grid step off in both axes: coarsening moves the fix ≈ 78.6 m.
    fence = Geofence(lat=0.0005, lon=0.0005, radius_m=50)
    fix = LocationFix(lat=0.0005, lon=0.0005, accuracy_m=1)
    assert distance_m(coarsen(fix), fence) > 78
    _accept(fence, fix)


# --------------------------------------------------------------------------- coarsening


def test_coarsen_rounds_to_three_decimals_and_keeps_the_accuracy() -> None:
    fix = coarsen(LocationFix(lat=35.681236, lon=139.767525, accuracy_m=12.5))
    assert (fix.lat, fix.lon, fix.accuracy_m) == (35.681, 139.768, 12.5)


def test_coarsen_has_no_negative_zero() -> None:
    fix = coarsen(LocationFix(lat=-0.0001, lon=-0.0002, accuracy_m=1))
    assert math.copysign(1.0, fix.lat) == 1.0
    assert math.copysign(1.0, fix.lon) == 1.0


def test_coarsen_stays_in_range_at_the_edges() -> None:
    assert coarsen(LocationFix(lat=89.9999, lon=179.9999, accuracy_m=1)).lon == 180.0
    assert coarsen(LocationFix(lat=-89.9999, lon=-179.9999, accuracy_m=1)).lat == -90.0


def test_location_fix_repr_hides_the_position() -> None:
    assert "35.68" not in repr(TOKYO_STATION)
    assert "35.68" not in str(TOKYO_STATION)


# --------------------------------------------------------------------------- distances


def test_tokyo_station_to_shinjuku_station() -> None:
    # Independent estimate (equirectangular, fine at this scale): Δlat 0.009685° and Δlon
    # 0.066867° · cos(35.686°) give √(1077² + 6043²) ≈ 6,138 m.
    dlat = (35.690921 - 35.681236) * ONE_DEGREE_M
    dlon = (139.700258 - 139.767125) * ONE_DEGREE_M * math.cos(math.radians(35.686))
    expected = math.hypot(dlat, dlon)
    assert distance_m(TOKYO_STATION, SHINJUKU_STATION) == pytest.approx(expected, rel=0.01)
    assert distance_m(TOKYO_STATION, SHINJUKU_STATION) == pytest.approx(6134, rel=0.01)


def test_tokyo_station_to_shin_osaka_is_about_400_km() -> None:
    shin_osaka = _Point(lat=34.733486, lon=135.500137)
    assert distance_m(TOKYO_STATION, shin_osaka) == pytest.approx(402_000, rel=0.01)


def test_one_degree_along_the_equator_and_a_meridian() -> None:
    assert distance_m(_Point(0, 0), _Point(0, 1)) == pytest.approx(ONE_DEGREE_M, rel=1e-12)
    assert distance_m(_Point(0, 0), _Point(1, 0)) == pytest.approx(ONE_DEGREE_M, rel=1e-12)


def test_across_the_antimeridian_is_the_short_way() -> None:
    assert distance_m(_Point(0, 179.5), _Point(0, -179.5)) == pytest.approx(ONE_DEGREE_M)
    assert distance_m(_Point(0, 180), _Point(0, -180)) == pytest.approx(0, abs=1e-6)


def test_poles() -> None:
    north = _Point(90, 0)
    assert distance_m(north, _Point(90, 123.4)) == pytest.approx(0, abs=1e-6)
    assert distance_m(north, _Point(-90, 0)) == pytest.approx(math.pi * EARTH_MEAN_RADIUS_M)
    assert distance_m(north, _Point(0, 77)) == pytest.approx(math.pi / 2 * EARTH_MEAN_RADIUS_M)


def test_antipodes_do_not_fail() -> None:
    assert distance_m(_Point(35.0, 139.0), _Point(-35.0, -41.0)) == pytest.approx(
        math.pi * EARTH_MEAN_RADIUS_M
    )


latitudes = st.floats(min_value=-90, max_value=90, allow_nan=False)
longitudes = st.floats(min_value=-180, max_value=180, allow_nan=False)
points = st.builds(_Point, lat=latitudes, lon=longitudes)
accuracies = st.floats(min_value=0.01, max_value=MAX_ACCEPTED_ACCURACY_M)
radii = st.floats(min_value=50, max_value=5000)


@given(points, points)
def test_distance_is_symmetric_and_bounded(a: _Point, b: _Point) -> None:
    d = distance_m(a, b)
    assert 0 <= d <= math.pi * EARTH_MEAN_RADIUS_M + 1e-6
    assert d == pytest.approx(distance_m(b, a), abs=1e-6)


@given(points)
def test_distance_to_itself_is_zero(a: _Point) -> None:
    assert distance_m(a, a) == pytest.approx(0, abs=1e-6)


@given(points, points, points)
def test_triangle_inequality(a: _Point, b: _Point, c: _Point) -> None:
    # asin near 1 loses about 1e-8 rad for nearly antipodal pairs: allow a metre.
    assert distance_m(a, c) <= distance_m(a, b) + distance_m(b, c) + 1.0


@given(latitudes, longitudes, accuracies)
def test_coarsening_moves_a_fix_by_at_most_the_stated_error(
    lat: float, lon: float, accuracy: float
) -> None:
    fix = LocationFix(lat=lat, lon=lon, accuracy_m=accuracy)
    assert distance_m(fix, coarsen(fix)) <= COARSENING_ERROR_M


@given(latitudes, longitudes, accuracies)
def test_coarsening_is_idempotent(lat: float, lon: float, accuracy: float) -> None:
    once = coarsen(LocationFix(lat=lat, lon=lon, accuracy_m=accuracy))
    assert coarsen(once) == once


@given(latitudes, longitudes, radii, accuracies)
def test_a_fix_at_the_centre_is_inside_its_own_fence(
    lat: float, lon: float, radius: float, accuracy: float
) -> None:
    fence = Geofence(lat=lat, lon=lon, radius_m=radius)
    for mode in CheckInMode:
        check_location(mode, geofence=fence, fix=LocationFix(lat=lat, lon=lon, accuracy_m=accuracy))


@given(
    st.floats(min_value=-89, max_value=89),
    longitudes,
    st.floats(min_value=80, max_value=5000),
    st.floats(min_value=0, max_value=1),
    accuracies,
)
def test_a_genuine_fix_inside_a_fence_of_80_m_or_more_passes(
    lat: float, lon: float, radius: float, fraction: float, accuracy: float
) -> None:
    fence = Geofence(lat=lat, lon=lon, radius_m=radius)
    fix = _fix_north_of(fence, fraction * radius, accuracy_m=accuracy)
    check_location(CheckInMode.LOCATION, geofence=fence, fix=fix)


@given(
    st.floats(min_value=-80, max_value=80),
    longitudes,
    radii,
    st.floats(min_value=2.01, max_value=100),
    accuracies,
)
def test_nothing_beyond_twice_the_radius_passes(
    lat: float, lon: float, radius: float, factor: float, accuracy: float
) -> None:
    fence = Geofence(lat=lat, lon=lon, radius_m=radius)
    # Coarsening may pull the fix back by up to 80 m: start that much farther out.
    fix = _fix_north_of(fence, factor * radius + COARSENING_ERROR_M, accuracy_m=accuracy)
    with pytest.raises(VerificationError) as caught:
        check_location(CheckInMode.QR_AND_LOCATION, geofence=fence, fix=fix)
    assert caught.value.code is ErrorCode.ATTENDANCE_OUTSIDE_GEOFENCE


# --------------------------------------------------------------------------- parsing


def test_parse_a_fix() -> None:
    fix = parse_location_fix({"lat": 35.681236, "lon": 139.767125, "accuracy_m": 12})
    assert fix == LocationFix(lat=35.681236, lon=139.767125, accuracy_m=12.0)
    assert fix is not None
    assert isinstance(fix.accuracy_m, float)


def test_parse_absent_is_none() -> None:
    assert parse_location_fix(None) is None


def test_parse_accepts_the_range_bounds() -> None:
    assert parse_location_fix({"lat": -90, "lon": 180, "accuracy_m": 5000}) is not None
    assert parse_location_fix({"lat": 90, "lon": -180, "accuracy_m": 1e-9}) is not None


def _refused(value: JSONValue) -> None:
    with pytest.raises(FormatError) as caught:
        parse_location_fix(value)
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST


@pytest.mark.parametrize(
    "value",
    [[35.0, 139.0, 10], "35.0,139.0", 35.0, True, {}],
    ids=["array", "string", "number", "bool", "empty"],
)
def test_parse_refuses_a_non_object(value: JSONValue) -> None:
    _refused(value)


@pytest.mark.parametrize(
    "value",
    [
        {"lat": 35.0, "lon": 139.0},
        {"lat": 35.0, "accuracy_m": 10},
        {"lon": 139.0, "accuracy_m": 10},
        {"lat": 35.0, "lon": 139.0, "accuracy_m": 10, "alt": 40},
        {"lat": 35.0, "lon": 139.0, "accuracy_m": 10, "timestamp": 1},
        {"latitude": 35.0, "lon": 139.0, "accuracy_m": 10},
    ],
    ids=["no-accuracy", "no-lon", "no-lat", "extra-alt", "extra-timestamp", "renamed"],
)
def test_parse_refuses_other_members(value: JSONValue) -> None:
    _refused(value)


_BAD_NUMBERS: list[JSONValue] = [
    math.nan,
    math.inf,
    -math.inf,
    True,
    False,
    "35.0",
    None,
    [35.0],
    {"v": 35.0},
]


@pytest.mark.parametrize("member", ["lat", "lon", "accuracy_m"])
@pytest.mark.parametrize("bad", _BAD_NUMBERS, ids=repr)
def test_parse_refuses_a_member_that_is_not_a_finite_number(member: str, bad: JSONValue) -> None:
    value: dict[str, JSONValue] = {"lat": 35.0, "lon": 139.0, "accuracy_m": 10}
    value[member] = bad
    _refused(value)


@pytest.mark.parametrize(
    ("member", "bad"),
    [
        ("lat", 90.000001),
        ("lat", -90.5),
        ("lon", 180.000001),
        ("lon", -181),
        ("accuracy_m", 0),
        ("accuracy_m", 0.0),
        ("accuracy_m", -5),
        ("accuracy_m", 5000.5),
        ("lat", 10**400),  # a JSON integer too large for a float
        ("accuracy_m", -(10**400)),
    ],
)
def test_parse_refuses_out_of_range(member: str, bad: JSONValue) -> None:
    value: dict[str, JSONValue] = {"lat": 35.0, "lon": 139.0, "accuracy_m": 10}
    value[member] = bad
    _refused(value)


@given(
    st.recursive(
        st.none() | st.booleans() | st.floats() | st.integers() | st.text(),
        lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    )
)
def test_parse_raises_only_malformed_request(value: JSONValue) -> None:
    try:
        fix = parse_location_fix(value)
    except FormatError as error:
        code = error.code
    else:
        assert fix is None or isinstance(fix, LocationFix)
        return
    assert code is ErrorCode.MALFORMED_REQUEST


# --------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    "changes",
    [
        {"radius_m": 49.9},
        {"radius_m": 5000.1},
        {"radius_m": math.nan},
        {"radius_m": math.inf},
        {"lat": 91.0},
        {"lon": -180.5},
        {"lat": math.nan},
    ],
)
def test_geofence_out_of_range_is_a_configuration_error(changes: dict[str, float]) -> None:
    values = {"lat": 35.0, "lon": 139.0, "radius_m": 100.0} | changes
    with pytest.raises(ValueError, match="must be"):
        Geofence(**values)


@pytest.mark.parametrize("member", ["lat", "lon", "radius_m"])
def test_geofence_members_must_be_numbers(member: str) -> None:
    values: dict[str, object] = {"lat": 35.0, "lon": 139.0, "radius_m": 100.0, member: True}
    with pytest.raises(TypeError, match="number"):
        Geofence(**values)  # type: ignore[arg-type]


def test_geofence_radius_bounds_are_allowed() -> None:
    assert Geofence(lat=0, lon=0, radius_m=50).radius_m == 50
    assert Geofence(lat=0, lon=0, radius_m=5000).radius_m == 5000


@pytest.mark.parametrize(
    ("member", "bad", "error"),
    [
        ("lat", -91.0, ValueError),
        ("lon", math.inf, ValueError),
        ("accuracy_m", 0.0, ValueError),
        ("accuracy_m", 5001.0, ValueError),
        ("accuracy_m", "10", TypeError),
        ("lat", None, TypeError),
    ],
)
def test_location_fix_refuses_bad_members(member: str, bad: object, error: type[Exception]) -> None:
    values: dict[str, object] = {"lat": 35.0, "lon": 139.0, "accuracy_m": 10.0, member: bad}
    with pytest.raises(error):
        LocationFix(**values)  # type: ignore[arg-type]
