"""The staff audit trail: append-only and hash-chained per body.

Each entry's hash is SHA-256 over the previous entry's hash and the canonical JSON of the
entry (body, sequence, time, actor, action, target, detail), so removing, reordering or
editing any entry breaks every later hash. ``UNIQUE (body_code, seq)`` makes two concurrent
appends fork-free: the loser's transaction fails and is retried from the start.
The log holds no personal data: targets are registration ids, details are codes and counts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select

from furusato_vc.issuer.service import schema as t

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["GENESIS", "AuditEntry", "append_audit", "entry_hash", "read_audit", "verify_chain"]

GENESIS: Final = bytes(32)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    body_code: str
    seq: int
    at: int
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    prev_hash: bytes
    hash: bytes


def entry_hash(
    *,
    prev_hash: bytes,
    body_code: str,
    seq: int,
    at: int,
    actor: str,
    action: str,
    target: str,
    detail: dict[str, Any],
) -> bytes:
    canonical = json.dumps(
        {
            "action": action,
            "actor": actor,
            "at": at,
            "body": body_code,
            "detail": detail,
            "seq": seq,
            "target": target,
        },
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    ).encode()
    return hashlib.sha256(prev_hash + canonical).digest()


async def append_audit(
    conn: AsyncConnection,
    *,
    body_code: str,
    at: int,
    actor: str,
    action: str,
    target: str,
    detail: dict[str, Any],
) -> AuditEntry:
    last = (
        await conn.execute(
            select(t.audit_log.c.seq, t.audit_log.c.hash)
            .where(t.audit_log.c.body_code == body_code)
            .order_by(t.audit_log.c.seq.desc())
            .limit(1)
        )
    ).first()
    seq = 1 if last is None else last[0] + 1
    prev_hash = GENESIS if last is None else bytes(last[1])
    digest = entry_hash(
        prev_hash=prev_hash,
        body_code=body_code,
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        target=target,
        detail=detail,
    )
    await conn.execute(
        t.audit_log.insert().values(
            body_code=body_code,
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            target=target,
            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True),
            prev_hash=prev_hash,
            hash=digest,
        )
    )
    return AuditEntry(
        body_code=body_code,
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        target=target,
        detail=detail,
        prev_hash=prev_hash,
        hash=digest,
    )


async def read_audit(conn: AsyncConnection, *, body_code: str) -> list[AuditEntry]:
    rows = (
        (
            await conn.execute(
                select(t.audit_log)
                .where(t.audit_log.c.body_code == body_code)
                .order_by(t.audit_log.c.seq)
            )
        )
        .mappings()
        .all()
    )
    return [
        AuditEntry(
            body_code=row["body_code"],
            seq=row["seq"],
            at=row["at"],
            actor=row["actor"],
            action=row["action"],
            target=row["target"],
            detail=json.loads(row["detail"]),
            prev_hash=bytes(row["prev_hash"]),
            hash=bytes(row["hash"]),
        )
        for row in rows
    ]


def verify_chain(entries: Sequence[AuditEntry]) -> int | None:
    """The sequence number of the first entry that does not chain, or None if all do."""
    prev = GENESIS
    for expected_seq, entry in enumerate(entries, start=1):
        recomputed = entry_hash(
            prev_hash=prev,
            body_code=entry.body_code,
            seq=entry.seq,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            target=entry.target,
            detail=entry.detail,
        )
        if entry.seq != expected_seq or entry.prev_hash != prev or entry.hash != recomputed:
            return entry.seq
        prev = entry.hash
    return None
