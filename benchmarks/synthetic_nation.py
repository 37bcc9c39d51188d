"""A synthetic nation: every body of the bundled table (47 prefectures, 1,741 municipalities),
each with its own ES256 key and 2-bit status lists, holding ``entries`` status entries in all
(default 100 million) of which ``revoked`` (default 1 %) are INVALID, and a national trust list
signed by a fresh anchor key. Written in the publication layout (trust-list.cwt/.jwt and the
status-lists.cbor aggregate) so that ``furusato-vc bundle sync`` can read it.

Sizes follow the issuer's defaults (:class:`furusato_vc.issuer.status.StatusListConfig`):
lists of 2**16 entries, filled to half before the next opens. Bodies get entries in
proportion to a log-normal weight (a few big cities, many small towns). Entries are not
issued one by one: each list gets its number of cards, and its revoked ones are set at
uniformly random indices — the same distribution random allocation produces.

    python benchmarks/synthetic_nation.py --out /tmp/nation [--entries N] [--seed S]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from furusato_vc.core.bundle import encode_status_aggregate
from furusato_vc.core.jose import SoftwareSigner, generate_es256_private_key
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.registration.bodies import load_bodies
from furusato_vc.core.statuslist import StatusList, StatusListTokenContent, sign_status_list_cwt
from furusato_vc.core.trustlist import (
    StatusListLocation,
    TrustedKey,
    sign_trust_list_cwt,
    sign_trust_list_jwt,
)
from furusato_vc.core.trustlist.edit import empty_trust_list, entry_for_body, next_version
from furusato_vc.issuer.status import StatusListConfig
from furusato_vc.publication import AGGREGATE_FILE, TRUST_LIST_CWT, TRUST_LIST_JWT

OPERATOR = "https://trust.furusato-vc.example"
ANCHOR_KID = "jp-trust-anchor-bench"
BASE = "https://issuer.furusato-vc.example/bodies/"
NOW = datetime(2027, 1, 15, 0, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class NationStats:
    bodies: int
    lists: int
    entries: int
    revoked: int
    slots: int
    seconds: float


def _entries_per_body(count: int, entries: int, rng: np.random.Generator) -> np.ndarray:
    weights = rng.lognormal(mean=0.0, sigma=1.5, size=count)
    shares = weights / weights.sum()
    per_body = np.floor(shares * entries).astype(np.int64)
    per_body[: entries - int(per_body.sum())] += 1  # the remainder, one each
    return np.asarray(per_body, dtype=np.int64)


def _list_bytes(config: StatusListConfig, revoked: int, rng: np.random.Generator) -> bytes:
    size = config.size
    data = np.zeros(size * config.bits // 8, dtype=np.uint8)
    if revoked:
        idx = rng.choice(size, size=revoked, replace=False)
        per_byte = 8 // config.bits
        np.bitwise_or.at(
            data, idx // per_byte, (1 << ((idx % per_byte) * config.bits)).astype(np.uint8)
        )  # value 1 = INVALID (draft -20 §7.1)
    return data.tobytes()


def build(out: Path, *, entries: int, revoked_share: float, seed: int) -> NationStats:
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    config = StatusListConfig()
    capacity = int(config.size * config.max_fill)
    now = to_numeric_date(NOW)
    registry = load_bodies()
    bodies = list(registry)
    per_body = _entries_per_body(len(bodies), entries, rng)
    anchor = SoftwareSigner(generate_es256_private_key(), kid=ANCHOR_KID)
    entries_out = []
    tokens: dict[str, bytes] = {}
    total_lists = total_revoked = 0
    for body, count in zip(bodies, per_body.tolist(), strict=True):
        signer = SoftwareSigner(generate_es256_private_key(), kid=f"{body.code}-2027")
        lists = max(1, -(-count // capacity))
        locations = []
        remaining = count
        for list_id in range(1, lists + 1):
            cards = min(capacity, remaining)
            remaining -= cards
            revoked = round(cards * revoked_share)
            total_revoked += revoked
            uri = f"{BASE}{body.code}/status/{list_id}"
            status_list = StatusList(bits=config.bits, data=_list_bytes(config, revoked, rng))
            tokens[uri] = sign_status_list_cwt(
                StatusListTokenContent(
                    uri=uri,
                    issuer=BASE + body.code,
                    issued_at=now,
                    expires_at=now + int(config.lifetime.total_seconds()),
                    ttl=int(config.ttl.total_seconds()),
                    status_list=status_list,
                ),
                signer=signer,
            )
            locations.append(StatusListLocation(list_id=list_id, uri=uri))
        total_lists += lists
        entries_out.append(
            entry_for_body(
                body,
                issuer=BASE + body.code,
                issuer_url=BASE + body.code,
                keys=(TrustedKey(jwk=signer.public_jwk, not_before=now - 30 * 86_400),),
                status_lists=tuple(locations),
            )
        )
    trust_list = dataclasses.replace(
        empty_trust_list(operator=OPERATOR), entries=tuple(entries_out)
    )
    signed = next_version(trust_list, now=now, next_update_in=86_400, valid_for=30 * 86_400)
    out.mkdir(parents=True, exist_ok=True)
    (out / TRUST_LIST_CWT).write_bytes(sign_trust_list_cwt(signed, signer=anchor))
    (out / TRUST_LIST_JWT).write_text(sign_trust_list_jwt(signed, signer=anchor), encoding="ascii")
    (out / AGGREGATE_FILE).write_bytes(encode_status_aggregate(tokens))
    (out / "anchors.json").write_text(
        json.dumps({"keys": [anchor.public_jwk.to_json()]}, indent=2) + "\n", encoding="utf-8"
    )
    return NationStats(
        bodies=len(bodies),
        lists=total_lists,
        entries=int(per_body.sum()),
        revoked=total_revoked,
        slots=total_lists * config.size,
        seconds=time.perf_counter() - start,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--entries", type=int, default=100_000_000)
    parser.add_argument("--revoked", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=2027)
    args = parser.parse_args(argv)
    stats = build(args.out, entries=args.entries, revoked_share=args.revoked, seed=args.seed)
    print(json.dumps(dataclasses.asdict(stats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
