"""The member import (issue 9 item 4): a generated members CSV of ``--rows`` rows (20,000 by
default, about 気仙沼ファンクラブ's 21,807) imported with the real command,
``furusato-vc issuer import-members``, as an operator runs it (process start, reading and
checking the file, the batches, the outbox on disk), then imported again, on a fresh SQLite
file and a fresh PostgreSQL database (127.0.0.1:5432).

Printed per backend: the wall time of the import and of the re-run (target < 60 s each),
rows/s, and the SQL counts after the re-run (each member exactly once: imported_members,
persons, offers = rows; registrations = 2 × rows with the prefecture's).

    python benchmarks/bench_import.py [--rows 20000] [--backends sqlite,postgresql] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from pgadmin import drop_database, recreate_database

BODY = "042056"  # 宮城県気仙沼市
CLI = str(Path(sys.executable).parent / "furusato-vc")
TARGET_SECONDS = 60.0
HEADER = (
    "member_number,family_name,given_name,family_name_kana,given_name_kana,birthdate,"
    "home_prefecture,relationship_types,interests,contact"
)
FAMILY = (("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"))
GIVEN = (("花子", "ハナコ"), ("一郎", "イチロウ"), ("美咲", "ミサキ"), ("翔太", "ショウタ"))
TABLES = ("imported_members", "persons", "registrations", "offers")


def members_csv(rows: int) -> bytes:
    """A fan club's export as Japanese Excel writes it: CP932, CRLF."""
    lines = [HEADER]
    for n in range(rows):
        family, family_kana = FAMILY[n % len(FAMILY)]
        given, given_kana = GIVEN[n % len(GIVEN)]
        lines.append(
            f"KF{n:06d},{family},{given},{family_kana},{given_kana},"
            f"{1950 + n % 50}/{1 + n % 12}/{1 + n % 28},{1 + n % 47:02d},"
            f"visits;purchase_or_donation,海;祭り,member{n}@example.jp"
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def _cli(*args: str, env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    done = subprocess.run(
        [CLI, "issuer", *args], env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"furusato-vc issuer {args[0]} failed: {done.stdout}{done.stderr}")
    return elapsed, json.loads(done.stdout)


async def _pg_counts(url: str) -> dict[str, int]:
    connection = await asyncpg.connect(url.replace("postgresql://", "postgres://"))
    try:
        return {name: await connection.fetchval(f"SELECT count(*) FROM {name}") for name in TABLES}
    finally:
        await connection.close()


def _sqlite_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as connection:
        return {
            name: connection.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            for name in TABLES
        }


def run_backend(backend: str, source: Path, rows: int, work: Path, *, keep: bool) -> dict[str, Any]:
    env = {
        **os.environ,
        "FURUSATO_SECRET": secrets.token_hex(32),
        "FURUSATO_KEY_ENCRYPTION_KEY": secrets.token_hex(32),
    }
    env.pop("FURUSATO_SECRETS_FILE", None)
    database = f"furusato_bench_import_{os.getpid()}"
    path = work / "issuer.db"
    if backend == "sqlite":
        url = f"sqlite:///{path}"
    else:
        url = f"postgresql://postgres@127.0.0.1:5432/{database}"
        asyncio.run(recreate_database(database))
    try:
        _cli("migrate", "--db", url, env=env)
        _cli("host", "--db", url, "--body", BODY, env=env)
        timings = []
        results = []
        for attempt in (1, 2):
            outbox = work / f"{backend}-outbox-{attempt}.csv"
            elapsed, result = _cli(
                *("import-members", "--db", url, "--body", BODY, str(source)),
                *("--outbox", str(outbox), "--quiet"),
                env=env,
            )
            timings.append(elapsed)
            results.append(result["summary"])
        counts = asyncio.run(_pg_counts(url)) if backend != "sqlite" else _sqlite_counts(path)
    finally:
        if backend != "sqlite" and not keep:
            asyncio.run(drop_database(database))
    exact = counts == {
        "imported_members": rows,
        "persons": rows,
        "registrations": 2 * rows,
        "offers": rows,
    }
    return {
        "backend": backend,
        "rows": rows,
        "import_s": round(timings[0], 2),
        "rerun_s": round(timings[1], 2),
        "rows_per_s": round(rows / timings[0]),
        "first": results[0],
        "rerun": results[1],
        "counts": counts,
        "exactly_once": exact,
        "under_target": max(timings) < TARGET_SECONDS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        work = Path(tmp)
        source = work / "members.csv"
        source.write_bytes(members_csv(args.rows))
        print(f"members CSV: {args.rows} rows, {source.stat().st_size:,} bytes (CP932)")
        outcomes = [
            run_backend(backend, source, args.rows, work, keep=args.keep)
            for backend in args.backends.split(",")
        ]
    print(f"{'backend':<11} {'import':>9} {'re-run':>9} {'rows/s':>8}  exactly once")
    for o in outcomes:
        print(
            f"{o['backend']:<11} {o['import_s']:>8.2f}s {o['rerun_s']:>8.2f}s "
            f"{o['rows_per_s']:>8}  {o['exactly_once']} {o['counts']}"
        )
    print(json.dumps(outcomes, ensure_ascii=False))
    if not all(o["exactly_once"] and o["under_target"] for o in outcomes):
        raise SystemExit(f"FAILED: over {TARGET_SECONDS:.0f} s or not exactly once")


if __name__ == "__main__":
    main()
