"""Build ``furusato_vc/issuer/dashboard/data/prefectures.json`` from the prefecture outlines
that the ``japanmap`` package (PyPI, Apache-2.0) ships as ``japanmap/japan.json``.

    python -m pip download --no-deps japanmap==0.6.0 && unzip japanmap-0.6.0-*.whl
    python tools/make_prefecture_shapes.py japanmap/japan.json

That file holds shared boundary arcs (points in longitude/latitude) and, per prefecture, the
arcs around the part of it that holds the prefectural office (islands are not included).
Each arc is simplified once (Douglas-Peucker, tolerance below) so that two neighbours keep an
identical border, then projected (equirectangular at 36°N, north up) into a 1000-unit-wide
box; Okinawa is moved north-east into an inset, as Japanese maps usually show it. The output is
``{"viewbox": [w, h], "inset": [x, y, w, h], "shapes": {"01": "x,y x,y …", …}}``.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

TOLERANCE = 0.03  # degrees (about 3 km); the whole map is drawn ~1000 px wide
OKINAWA_SHIFT = (6.0, 5.0)  # degrees east and north
OUT = Path(__file__).resolve().parents[1] / "furusato_vc/issuer/dashboard/data/prefectures.json"


def _distance(p: list[float], a: list[float], b: list[float]) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    if dx == dy == 0:
        return math.hypot(p[0] - a[0], p[1] - a[1])
    return abs(dy * p[0] - dx * p[1] + b[0] * a[1] - b[1] * a[0]) / math.hypot(dx, dy)


def _simplify(indices: list[int], points: list[list[float]]) -> list[int]:
    if len(indices) <= 2:
        return indices
    first, last = points[indices[0]], points[indices[-1]]
    far, at = 0.0, 0
    for position in range(1, len(indices) - 1):
        d = _distance(points[indices[position]], first, last)
        if d > far:
            far, at = d, position
    if far <= TOLERANCE:
        return [indices[0], indices[-1]]
    return _simplify(indices[: at + 1], points)[:-1] + _simplify(indices[at:], points)


def main(source: Path) -> None:
    qp, qo = json.loads(source.read_text(encoding="utf-8"))
    points = [list(item[0]) for item in qp]
    kept: dict[tuple[int, ...], list[int]] = {}
    rings: dict[str, list[list[float]]] = {}
    for number, arcs in enumerate(qo, start=1):
        ring: list[int] = []
        for _neighbour, indices in arcs:
            key = tuple(indices) if indices[0] <= indices[-1] else tuple(reversed(indices))
            if key not in kept:
                kept[key] = _simplify(list(key), points)
            arc = kept[key] if key == tuple(indices) else list(reversed(kept[key]))
            ring.extend(arc[:-1])
        shift = OKINAWA_SHIFT if number == 47 else (0.0, 0.0)
        rings[f"{number:02d}"] = [[points[i][0] + shift[0], points[i][1] + shift[1]] for i in ring]
    scale_x = math.cos(math.radians(36.0))
    every = [p for ring in rings.values() for p in ring]
    west, east = min(p[0] for p in every), max(p[0] for p in every)
    south, north = min(p[1] for p in every), max(p[1] for p in every)
    unit = 1000 / ((east - west) * scale_x)

    def project(p: list[float]) -> tuple[int, int]:
        return round((p[0] - west) * scale_x * unit) + 10, round((north - p[1]) * unit) + 10

    shapes = {}
    for code, outline in rings.items():
        projected = [project(p) for p in outline]
        deduplicated = [q for i, q in enumerate(projected) if i == 0 or q != projected[i - 1]]
        shapes[code] = " ".join(f"{x},{y}" for x, y in deduplicated)
    okinawa = [project(p) for p in rings["47"]]
    xs, ys = [q[0] for q in okinawa], [q[1] for q in okinawa]
    inset = [min(xs) - 15, min(ys) - 15, max(xs) - min(xs) + 30, max(ys) - min(ys) + 30]
    size = [1020, round((north - south) * unit) + 20]
    OUT.write_text(
        json.dumps({"viewbox": size, "inset": inset, "shapes": shapes}, separators=(",", ":"))
        + "\n",
        encoding="utf-8",
    )
    print(f"{OUT}: {OUT.stat().st_size} bytes, {sum(len(r) for r in rings.values())} points")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
