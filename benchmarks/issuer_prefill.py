"""Fill an issuer database with N registrations, shaped like what the service writes, so that
issuance latency can be compared at 10 thousand and 10 million rows (issue M4).

Per person (N / 2 of them): the person, a municipality registration and its prefecture
record (2 registration rows), the redeemed offer, the registration's idempotency record and
one issued credential's status entry. The rows belong to bodies that the benchmark does not
host (real codes from the bundled table), in closed status lists filled to the usual half,
so the service's indexes and tables have the full size while the hosted bodies' own open
lists stay as they are. PostgreSQL only (``generate_series``); chunks of 500,000 persons.

    python benchmarks/issuer_prefill.py --db postgresql://postgres@127.0.0.1:5432/furusato_bench \\
        --registrations 10000000
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import TYPE_CHECKING

import asyncpg  # type: ignore[import-untyped]

from furusato_vc.core.registration.bodies import load_bodies, prefecture_code_of

if TYPE_CHECKING:
    from collections.abc import Sequence

CHUNK = 500_000
LIST_SIZE = 65_536
PER_LIST = LIST_SIZE // 2
PREFILL_BODIES = 40


async def prefill(url: str, registrations: int, hosted: Sequence[str]) -> float:
    """Returns the seconds it took."""
    started = time.monotonic()
    persons = registrations // 2
    chosen = [
        body.code for body in load_bodies() if not body.is_prefecture and body.code not in hosted
    ][:PREFILL_BODIES]
    connection = await asyncpg.connect(url.replace("postgresql://", "postgres://"))
    try:
        known = {
            row["code"]
            for row in await connection.fetch(
                "SELECT code FROM bodies WHERE code = ANY($1)", chosen
            )
        }
        now = int(time.time())
        for code in chosen:
            if code not in known:
                await connection.execute(
                    "INSERT INTO bodies (code, issuer_id, accepting, created_at)"
                    " VALUES ($1, $2, true, $3)",
                    code,
                    f"http://prefill.invalid/bodies/{code}",
                    now,
                )
        lists = -(-persons // PER_LIST)
        first_pk = await connection.fetchval("SELECT coalesce(max(id), 0) + 1 FROM status_lists")
        await connection.execute(
            "INSERT INTO status_lists (id, body_code, list_id, size, bits, allocated, open,"
            " created_at) SELECT $1 + g, ($2::text[])[1 + g % $3], 1000 + g, $4, 2, $5,"
            " false, $6 FROM generate_series(0, $7 - 1) g",
            first_pk,
            chosen,
            len(chosen),
            LIST_SIZE,
            PER_LIST,
            now,
            lists,
        )
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence('status_lists', 'id'),"
            " (SELECT max(id) FROM status_lists))"
        )
        offset = await connection.fetchval("SELECT count(*) FROM persons")
        for start in range(0, persons, CHUNK):
            stop = min(persons, start + CHUNK)
            args = (offset + start, offset + stop - 1)
            async with connection.transaction():
                await connection.execute(
                    "INSERT INTO persons (id, person_ref, created_at)"
                    " SELECT 'pf' || g, sha256(('pf' || g)::bytea), $3"
                    " FROM generate_series($1::bigint, $2::bigint) g",
                    *args,
                    now,
                )
                await connection.execute(
                    "INSERT INTO registrations (id, body_code, person_id, tier, state,"
                    " valid_from, valid_until, relationship_types, interests, profile,"
                    " via_registration_id, premium_approved_at, created_at, updated_at)"
                    " SELECT 'rf' || g, ($3::text[])[1 + g % $4], 'pf' || g, 'basic', 'active',"
                    " '2027-01-04', '2030-01-03', '[\"visits\"]', '[]', '{}',"
                    " NULL::text, NULL::bigint,"
                    " $5 - g % 86400, $5 FROM generate_series($1::bigint, $2::bigint) g"
                    " UNION ALL"
                    " SELECT 'qf' || g, ($6::text[])[1 + g % $7], 'pf' || g, 'basic', 'active',"
                    " '2027-01-04', '2030-01-03', '[\"visits\"]', '[]', '{}',"
                    " 'rf' || g, NULL::bigint,"
                    " $5 - g % 86400, $5 FROM generate_series($1::bigint, $2::bigint) g",
                    *args,
                    chosen,
                    len(chosen),
                    now,
                    [prefecture_code_of(code) for code in chosen],
                    len(chosen),
                )
                await connection.execute(
                    "INSERT INTO offers (code_hash, registration_id, body_code, tx_code_hash,"
                    " configuration_ids, expires_at, used_at, failed_attempts)"
                    " SELECT sha256(('of' || g)::bytea), 'rf' || g, ($3::text[])[1 + g % $4],"
                    " sha256(('tx' || g)::bytea), '[\"registration_basic_sd_jwt\"]', $5, $5, 0"
                    " FROM generate_series($1::bigint, $2::bigint) g",
                    *args,
                    chosen,
                    len(chosen),
                    now,
                )
                await connection.execute(
                    "INSERT INTO idempotency_keys (scope, key, request_hash, status_code,"
                    " content_type, response_body, created_at)"
                    " SELECT 'registrations', 'kf' || g, sha256(('kf' || g)::bytea), 201,"
                    " 'application/json', convert_to('{}', 'UTF8'), $3"
                    " FROM generate_series($1::bigint, $2::bigint) g",
                    *args,
                    now,
                )
                await connection.execute(
                    "INSERT INTO status_entries (status_list_pk, idx, registration_id, value,"
                    " created_at)"
                    " SELECT $3 + (g - $4) / $5, ((g - $4) % $5) * 2, 'rf' || g, 0, $6"
                    " FROM generate_series($1::bigint, $2::bigint) g",
                    *args,
                    first_pk,
                    offset,
                    PER_LIST,
                    now,
                )
            print(f"  prefill: {stop * 2:,} of {registrations:,} registrations", flush=True)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--registrations", type=int, required=True)
    args = parser.parse_args()
    seconds = asyncio.run(prefill(args.db, args.registrations, ()))
    print(f"prefilled {args.registrations:,} registrations in {seconds:.0f} s")


if __name__ == "__main__":
    main()
