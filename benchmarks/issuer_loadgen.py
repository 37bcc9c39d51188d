"""The issuer service's load generator: a separate process that plays many wallet apps at once
against one or more server processes on loopback (issue M4).

Each *flow* is what an app does for a new person, over HTTP/1.1 keep-alive connections:

1. ``POST /registrations`` (with an Idempotency-Key) → registration id + credential offer;
2. ``POST /bodies/<code>/token`` (pre-authorized code + tx_code) → access token;
3. ``POST /bodies/<code>/nonce`` → c_nonce;
4. ``POST /bodies/<code>/credential`` with ``--copies`` proofs → that many credentials.

An *issuance* is one credential delivered, so with ``--copies 1`` (the default) issuances/s
equals flows/s. Requests that fail on the connection (a server killed under load) are retried
with the same Idempotency-Key on the next server, the way a load balancer and an app's retry
behave; the registration ids and status slots the service acknowledged are written out so the
orchestrator can check them against the database.

    python benchmarks/issuer_loadgen.py --target 127.0.0.1:8101 --target 127.0.0.1:8102 \\
        --bodies 131016,011002 --concurrency 64 --seconds 30 --out result.json

Prints nothing; writes one JSON document to ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import secrets
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvloop

from furusato_vc.core.jose import SoftwareSigner
from furusato_vc.core.jose.jwk import generate_es256_private_key
from furusato_vc.core.oid4vci.proof import create_proof_jwt

PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
STEPS = ("register", "token", "nonce", "credential")


class ConnectionLostError(Exception):
    """The server went away (closed, reset or refused) before answering."""


class Connection:
    """A minimal HTTP/1.1 client connection with keep-alive (the load generator must spend
    as little CPU as it can, so no general-purpose client library)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        try:
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            assert self.reader is not None
            lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
            lines += [f"{name}: {value}" for name, value in headers.items()]
            lines.append(f"Content-Length: {len(body)}")
            self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            status_line = await self.reader.readline()
            status = int(status_line.split(b" ", 2)[1])  # ValueError/IndexError when closed
            length = 0
            close = False
            while True:
                line = await self.reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                lowered = name.strip().lower()
                if lowered == b"content-length":
                    length = int(value.strip())
                elif lowered == b"connection" and value.strip().lower() == b"close":
                    close = True
            payload = await self.reader.readexactly(length) if length else b""
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            await self.close()
            raise ConnectionLostError(str(exc)) from exc
        if close:
            await self.close()
        return status, payload


@dataclass
class Results:
    started: float = 0.0
    measured_from: float = 0.0
    measured_until: float = 0.0
    flows: int = 0
    credentials: int = 0
    flow_latencies: list[float] = field(default_factory=list)
    step_latencies: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    errors: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    connections: int = 0
    acknowledged_registrations: list[str] = field(default_factory=list)
    slots: list[tuple[str, int]] = field(default_factory=list)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


class FlowFailedError(Exception):
    """A flow step got an unexpected answer."""


def _status_slot(sd_jwt: str) -> tuple[str, int]:
    """The (status list uri, index) of an issued SD-JWT VC (its issuer-signed JWT)."""
    payload = sd_jwt.split("~", 1)[0].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    ref = claims["status"]["status_list"]
    return str(ref["uri"]), int(ref["idx"])


class Worker:
    def __init__(
        self,
        targets: list[tuple[str, int]],
        first: int,
        args: argparse.Namespace,
        holders: list[SoftwareSigner],
        results: Results,
    ) -> None:
        self.connections = [Connection(host, port) for host, port in targets]
        self.current = first % len(targets)
        self.args = args
        self.holders = holders
        self.results = results
        self.count = 0

    async def send(
        self, step: str, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        """One request; on a lost connection, the next server after a short pause (the
        request carries its Idempotency-Key, so the retry cannot issue twice)."""
        for attempt in range(40):
            connection = self.connections[self.current]
            started = time.perf_counter()
            try:
                status, payload = await connection.request(method, path, body, headers)
            except ConnectionLostError:
                self.results.retries += 1
                self.current = (self.current + 1) % len(self.connections)
                await asyncio.sleep(min(0.05 * (attempt + 1), 0.5))
                continue
            elapsed = time.perf_counter() - started
            if started >= self.results.measured_from:
                self.results.step_latencies[step].append(elapsed)
            return status, payload
        raise FlowFailedError(f"{step}: no server answered")

    async def flow(self, body_code: str) -> int:
        args = self.args
        account = secrets.token_urlsafe(24)
        registration = json.dumps(
            {"account": account, "body_code": body_code, "relationship_types": ["visits"]}
        ).encode()
        json_headers = {"Content-Type": "application/json"}
        status, payload = await self.send(
            "register",
            "POST",
            "/registrations",
            registration,
            {**json_headers, "Idempotency-Key": secrets.token_hex(12)},
        )
        if status != 201:
            raise FlowFailedError(f"register {status} {_code(payload)}")
        registered = json.loads(payload)
        self.results.acknowledged_registrations.append(registered["registration_id"])
        grant = registered["credential_offer"]["grants"][PRE_AUTH]
        form = urllib.parse.urlencode(
            {
                "grant_type": PRE_AUTH,
                "pre-authorized_code": grant["pre-authorized_code"],
                "tx_code": registered["tx_code"],
            }
        ).encode()
        base = f"/bodies/{body_code}"
        status, payload = await self.send(
            "token",
            "POST",
            f"{base}/token",
            form,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status != 200:
            raise FlowFailedError(f"token {status} {_code(payload)}")
        access_token = json.loads(payload)["access_token"]
        status, payload = await self.send("nonce", "POST", f"{base}/nonce", b"", {})
        if status != 200:
            raise FlowFailedError(f"nonce {status} {_code(payload)}")
        c_nonce = json.loads(payload)["c_nonce"]
        issuer = f"{args.base_url}{base}"
        now = int(time.time())
        proofs = []
        for _ in range(args.copies):
            holder = self.holders[self.count % len(self.holders)]
            self.count += 1
            proofs.append(create_proof_jwt(holder, audience=issuer, nonce=c_nonce, issued_at=now))
        request = json.dumps(
            {"credential_configuration_id": args.configuration, "proofs": {"jwt": proofs}}
        ).encode()
        status, payload = await self.send(
            "credential",
            "POST",
            f"{base}/credential",
            request,
            {
                **json_headers,
                "Authorization": f"Bearer {access_token}",
                "Idempotency-Key": secrets.token_hex(12),
            },
        )
        if status != 200:
            raise FlowFailedError(f"credential {status} {_code(payload)}")
        credentials = [item["credential"] for item in json.loads(payload)["credentials"]]
        if args.configuration.endswith("_sd_jwt"):
            self.results.slots.extend(_status_slot(item) for item in credentials)
        return len(credentials)

    async def timed_flow(self, body_code: str, started: float, deadline: float) -> None:
        """One flow, its latency counted from ``started`` (its scheduled start in the
        open-loop mode, so a slow server cannot hide its queueing)."""
        try:
            issued = await self.flow(body_code)
        except FlowFailedError as exc:
            self.results.error(str(exc)[:120])
            return
        finished = time.perf_counter()
        if started >= self.results.measured_from and finished <= deadline:
            self.results.flows += 1
            self.results.credentials += issued
            self.results.flow_latencies.append(finished - started)

    async def run(self, deadline: float, bodies: list[str], index: int) -> None:
        n = index
        while time.perf_counter() < deadline:
            body_code = bodies[n % len(bodies)]
            n += 1
            started = time.perf_counter()
            errors = len(self.results.errors)
            await self.timed_flow(body_code, started, deadline)
            if len(self.results.errors) != errors:
                await asyncio.sleep(0.01)
        for connection in self.connections:
            await connection.close()


def _code(payload: bytes) -> str:
    try:
        return str(json.loads(payload).get("code"))
    except (ValueError, AttributeError):
        return payload[:80].decode(errors="replace")


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {
        "count": len(ordered),
        "p50_ms": pick(0.50),
        "p90_ms": pick(0.90),
        "p99_ms": pick(0.99),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


async def _open_loop(
    args: argparse.Namespace,
    targets: list[tuple[str, int]],
    bodies: list[str],
    holders: list[SoftwareSigner],
    results: Results,
    deadline: float,
) -> None:
    """Flows started at a fixed rate whatever the answers' speed (an open system, like the
    public arriving at launch), each on an idle connection or a new one."""
    idle: list[Worker] = []
    running: set[asyncio.Task[None]] = set()
    made = 0

    async def one(n: int, scheduled: float) -> None:
        nonlocal made
        if idle:
            worker = idle.pop()
        else:
            worker = Worker(targets, made, args, holders, results)
            made += 1
        await worker.timed_flow(bodies[n % len(bodies)], scheduled, deadline)
        idle.append(worker)

    interval = 1.0 / args.rate
    start = time.perf_counter()
    n = 0
    while True:
        scheduled = start + n * interval
        if scheduled >= deadline:
            break
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(running) < args.max_in_flight:
            task = asyncio.create_task(one(n, scheduled))
            running.add(task)
            task.add_done_callback(running.discard)
        else:
            results.error("load generator: too many flows in flight (server overloaded)")
        n += 1
    if running:
        await asyncio.wait(running)
    results.connections = made
    for worker in idle:
        for connection in worker.connections:
            await connection.close()


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    targets = []
    for target in args.target:
        host, _, port = target.rpartition(":")
        targets.append((host, int(port)))
    bodies = args.bodies.split(",")
    holders = [SoftwareSigner(generate_es256_private_key()) for _ in range(256)]
    results = Results()
    now = time.perf_counter()
    results.started = now
    results.measured_from = now + args.warmup
    deadline = results.measured_from + args.seconds
    results.measured_until = deadline
    cpu_before = os.times()
    if args.rate:
        await _open_loop(args, targets, bodies, holders, results, deadline)
    else:
        workers = [Worker(targets, i, args, holders, results) for i in range(args.concurrency)]
        await asyncio.gather(*(worker.run(deadline, bodies, i) for i, worker in enumerate(workers)))
    cpu_after = os.times()
    seconds = args.seconds
    return {
        "concurrency": args.concurrency,
        "rate": args.rate,
        "open_loop_workers": results.connections,
        "targets": args.target,
        "seconds": seconds,
        "copies": args.copies,
        "flows": results.flows,
        "issuances": results.credentials,
        "flows_per_second": round(results.flows / seconds, 1),
        "issuances_per_second": round(results.credentials / seconds, 1),
        "flow_latency": _percentiles(results.flow_latencies),
        "step_latency": {
            step: _percentiles(values) for step, values in results.step_latencies.items()
        },
        "all_requests": _percentiles(
            [v for values in results.step_latencies.values() for v in values]
        ),
        "errors": results.errors,
        "retries": results.retries,
        "loadgen_cpu_seconds": round(
            (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system), 2
        ),
        "acknowledged_registrations": results.acknowledged_registrations,
        "slots": results.slots,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", action="append", required=True, help="host:port")
    parser.add_argument("--base-url", default="http://127.0.0.1:8100")
    parser.add_argument("--bodies", required=True, help="comma-separated body codes")
    parser.add_argument("--concurrency", type=int, default=64, help="closed loop: flows at once")
    parser.add_argument("--rate", type=float, default=0.0, help="open loop: flows started per s")
    parser.add_argument("--max-in-flight", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--configuration", default="registration_basic_sd_jwt")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    uvloop.install()
    result = asyncio.run(_main(args))
    args.out.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
