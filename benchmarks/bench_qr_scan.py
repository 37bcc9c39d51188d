"""Single-frame QR decode rates and decode times, zxing-cpp vs ZBar, on simulated camera frames.

For each scenario (S1 main, S4 phone on a stand, S5 glare; qr-measurements.md §4.1) and each QR
version at error correction M, a random Base45-alphabet payload that fills the version exactly
(``FJ1:`` + random characters, seeded by the version) is rendered at 4 px/module, and ``--frames``
simulated 640×480 frames (seeded per scenario, version and frame) are given to every available
reader. A frame counts as decoded only if exactly the payload comes back. Decode times are the
wall time of :func:`furusato_vc.qr.read_qr` per frame, hit or miss.

Usage: ``python benchmarks/bench_qr_scan.py [--frames N] [--versions 10-20]
[--scenarios S1,S4,S5] [--workers K] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Final

from furusato_vc.core.errors import FormatError
from furusato_vc.qr.camera import SCENARIOS, CameraScenario, random_alphanumeric, simulate_frame
from furusato_vc.qr.read import available_readers, read_qr
from furusato_vc.qr.render import QUIET_ZONE, ErrorLevel, capacity_chars, render_png

PREFIX = "FJ1:"  # the QR text prefix of furusato_vc.core.qrtext
LEVEL: Final[ErrorLevel] = "M"
SCALE = 4  # px/module of the render, as in the note
PACKAGES = ("segno", "pillow", "numpy", "zxing-cpp", "pyzbar")


@dataclass(frozen=True, slots=True, kw_only=True)
class Cell:
    scenario: str
    version: int
    frames: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ReaderResult:
    reader: str
    hits: int
    wrong: int  # decoded, but not the payload
    rate: float
    median_ms: float
    p95_ms: float
    times_ms: tuple[float, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CellResult:
    scenario: str
    version: int
    level: str
    chars: int
    modules: int
    frames: int
    simulate_median_ms: float
    readers: tuple[ReaderResult, ...]


def payload(version: int) -> str:
    return PREFIX + random_alphanumeric(capacity_chars(version, LEVEL) - len(PREFIX), seed=version)


def frame_seed(scenario_index: int, version: int, frame: int) -> int:
    return scenario_index * 10_000_000 + version * 100_000 + frame


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run_cell(cell: Cell) -> CellResult:
    scenarios = {scenario.name: scenario for scenario in SCENARIOS}
    scenario = scenarios[cell.scenario]
    scenario_index = list(scenarios).index(cell.scenario) + 1
    text = payload(cell.version)
    png = render_png(text, error=LEVEL, scale=SCALE)
    readers = available_readers()
    hits = dict.fromkeys(readers, 0)
    wrong = dict.fromkeys(readers, 0)
    times: dict[str, list[float]] = {reader: [] for reader in readers}
    simulate_times: list[float] = []
    for frame_index in range(cell.frames):
        start = time.perf_counter()
        frame = simulate_frame(
            png, seed=frame_seed(scenario_index, cell.version, frame_index), scenario=scenario
        )
        simulate_times.append(time.perf_counter() - start)
        for reader in readers:
            start = time.perf_counter()
            try:
                decoded = read_qr(frame, reader=reader).text
            except FormatError:
                decoded = None
            times[reader].append((time.perf_counter() - start) * 1000)
            hits[reader] += decoded == text
            wrong[reader] += decoded is not None and decoded != text
    return CellResult(
        scenario=cell.scenario,
        version=cell.version,
        level=LEVEL,
        chars=len(text),
        modules=17 + 4 * cell.version,
        frames=cell.frames,
        simulate_median_ms=statistics.median(simulate_times) * 1000,
        readers=tuple(
            ReaderResult(
                reader=reader,
                hits=hits[reader],
                wrong=wrong[reader],
                rate=hits[reader] / cell.frames,
                median_ms=statistics.median(times[reader]),
                p95_ms=_percentile(times[reader], 0.95),
                times_ms=tuple(times[reader]),
            )
            for reader in readers
        ),
    )


def parse_versions(text: str) -> list[int]:
    versions: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        versions.extend(range(int(low), int(high or low) + 1))
    if not versions or not all(1 <= version <= 40 for version in versions):
        raise argparse.ArgumentTypeError(f"versions must be within 1-40: {text!r}")
    return versions


def parse_scenarios(text: str) -> list[CameraScenario]:
    known = {scenario.name: scenario for scenario in SCENARIOS}
    try:
        return [known[name.strip()] for name in text.split(",")]
    except KeyError as missing:
        raise argparse.ArgumentTypeError(
            f"unknown scenario {missing}; known: {', '.join(known)}"
        ) from None


def _print_rates(results: list[CellResult], readers: tuple[str, ...]) -> None:
    scenarios = list(dict.fromkeys(result.scenario for result in results))
    by_cell = {(result.scenario, result.version): result for result in results}
    versions = sorted({result.version for result in results})
    header = f"{'ver':>4} {'mod':>4} {'px/mod':>6} {'chars':>6}"
    for scenario in scenarios:
        for reader in readers:
            header += f" {scenario + ' ' + reader:>14}"
    print(header)
    for version in versions:
        modules = 17 + 4 * version
        chars = capacity_chars(version, LEVEL)
        # S1-S5 place the symbol (without quiet zone) at 45-55 % of a 640-px frame width.
        line = f"{version:>4} {modules:>4} {0.5 * 640 / modules:>6.1f} {chars:>6}"
        for scenario in scenarios:
            result = by_cell.get((scenario, version))
            for reader in readers:
                if result is None:
                    line += f" {'-':>14}"
                    continue
                rate = next(r.rate for r in result.readers if r.reader == reader)
                line += f" {rate:>14.0%}"
        print(line)


def _print_times(results: list[CellResult], readers: tuple[str, ...]) -> None:
    print(f"\n{'decode time per 640x480 frame':<34}{'median ms':>10}{'p95 ms':>10}{'frames':>8}")
    for reader in readers:
        times = [
            t
            for result in results
            for r in result.readers
            if r.reader == reader
            for t in r.times_ms
        ]
        print(
            f"{reader:<34}{statistics.median(times):>10.1f}"
            f"{_percentile(times, 0.95):>10.1f}{len(times):>8}"
        )
    for reader in readers:
        wrong = sum(r.wrong for result in results for r in result.readers if r.reader == reader)
        print(f"{reader + ' wrong decodes':<34}{wrong:>10}")
    simulate = [result.simulate_median_ms for result in results]
    print(f"{'simulate_frame (median of cells)':<34}{statistics.median(simulate):>10.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=60, help="frames per cell (default 60)")
    parser.add_argument(
        "--versions", type=parse_versions, default=parse_versions("10-20"), help="e.g. 10-20"
    )
    parser.add_argument(
        "--scenarios",
        type=parse_scenarios,
        default=list(SCENARIOS),
        help="comma-separated names of camera scenarios (default S1,S4,S5)",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="parallel processes (timings share the CPU)"
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)

    readers = available_readers()
    if not readers:
        print("no QR reader is available (install zxing-cpp; ZBar needs libzbar0)")
        return 1
    cells = [
        Cell(scenario=scenario.name, version=version, frames=args.frames)
        for scenario in args.scenarios
        for version in args.versions
    ]
    started = time.perf_counter()
    if args.workers > 1:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            results = list(pool.map(run_cell, cells))
    else:
        results = [run_cell(cell) for cell in cells]
    elapsed = time.perf_counter() - started

    print(
        f"single-frame decode rate at EC {LEVEL}, {args.frames} frames per cell, "
        f"readers: {', '.join(readers)}"
    )
    _print_rates(results, readers)
    _print_times(results, readers)
    print(f"\n{len(cells) * args.frames} frames in {elapsed:.0f} s with {args.workers} worker(s)")

    if args.json is not None:
        document = {
            "meta": {
                "level": LEVEL,
                "scale_px_per_module": SCALE,
                "quiet_zone_modules": QUIET_ZONE,
                "frames_per_cell": args.frames,
                "workers": args.workers,
                "elapsed_s": round(elapsed, 1),
                "readers": list(readers),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "packages": {name: metadata.version(name) for name in PACKAGES},
                "scenarios": [asdict(scenario) for scenario in args.scenarios],
            },
            "cells": [
                {
                    **{key: value for key, value in asdict(result).items() if key != "readers"},
                    "readers": [
                        {key: value for key, value in asdict(r).items() if key != "times_ms"}
                        for r in result.readers
                    ],
                }
                for result in results
            ],
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
