"""The issuer service under load (issue M4's figures), in one run on this machine:

* a fresh PostgreSQL database (``furusato_bench`` on 127.0.0.1:5432), migrated, with a few
  hosted bodies; optionally pre-filled with ``--prefill`` registrations (see
  ``issuer_prefill.py``) to see whether latency depends on the table sizes;
* ``--servers`` separate ``furusato-vc issuer serve`` processes (uvicorn, one event loop
  each), sharing nothing but the database: the scale-out shape of docs/issuer-deployment.md;
* the load generator (``issuer_loadgen.py``) in its own process on loopback, spreading the
  app flows (register → token → nonce → credential) over the servers the way a load
  balancer would;
* ``--kill-after S``: ``kill -9`` of the first server S seconds into the run and a restart
  one second later; then the check that every registration the service acknowledged is in
  the database, every credential the clients received has its status entry, and no status
  index was handed out twice.

Printed: issuances/s (target ≥ 500), p99 of the flow and of each request (target < 100 ms),
the ratio to the same load generator against a bare ASGI endpoint on the same servers'
stack (the framework floor), CPU seconds per process, and the check's result.

    python benchmarks/bench_issuer.py [--servers 2] [--concurrency 48] [--seconds 20]
        [--kill-after 8] [--prefill 10000000] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import issuer_prefill  # noqa: E402 (a sibling script)
from pgadmin import recreate_database  # noqa: E402

# four municipalities in four prefectures (each registration also records its prefecture)
BODIES = ("131016", "271004", "011002", "401005")  # 千代田区, 大阪市, 札幌市, 北九州市
PREFECTURES = ("130001", "270008", "010006", "400009")
BASE_PORT = 8101
PUBLIC_BASE_URL = "http://127.0.0.1:8100"  # what the load balancer would answer on
CLI = str(Path(sys.executable).parent / "furusato-vc")
TARGET_ISSUANCES = 500
TARGET_P99_MS = 100.0


def _cli(*args: str, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [CLI, *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    out: dict[str, Any] = json.loads(done.stdout)
    return out


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_cpu_seconds() -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip().startswith("postgres"):
                total += _cpu_seconds(int(entry.name))
        except OSError:
            continue
    return total


class Servers:
    def __init__(self, count: int, env: dict[str, str], url: str, app: str | None) -> None:
        self.env = env
        self.url = url
        self.app = app
        self.processes: list[subprocess.Popen[bytes]] = []
        self.cpu_of_dead = 0.0
        for i in range(count):
            self.processes.append(self._start(i))
        for i in range(count):
            self.wait_ready(i)

    def _start(self, i: int) -> subprocess.Popen[bytes]:
        if self.app is None:
            command = [
                CLI,
                "issuer",
                "serve",
                "--db",
                self.url,
                "--base-url",
                PUBLIC_BASE_URL,
                "--port",
                str(BASE_PORT + i),
                "--no-migrate",
            ]
        else:  # the framework floor: the same uvicorn stack with a bare endpoint
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "--port",
                str(BASE_PORT + i),
                "--log-level",
                "warning",
                "--no-access-log",
                "--app-dir",
                str(HERE),
                self.app,
            ]
        return subprocess.Popen(command, env=self.env)

    def wait_ready(self, i: int) -> None:
        path = "/" if self.app else f"/bodies/{BODIES[0]}/jwks.json"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{BASE_PORT + i}{path}", timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit(f"server {i} did not start")

    def kill_and_restart(self, i: int, pause: float) -> None:
        victim = self.processes[i]
        self.cpu_of_dead += _cpu_seconds(victim.pid)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        time.sleep(pause)
        self.processes[i] = self._start(i)
        self.wait_ready(i)

    def cpu(self) -> float:
        return self.cpu_of_dead + sum(_cpu_seconds(p.pid) for p in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _load(args: argparse.Namespace, out: Path, bodies: tuple[str, ...], seconds: float) -> Any:
    command = [
        sys.executable,
        str(HERE / "issuer_loadgen.py"),
        *(arg for i in range(args.servers) for arg in ("--target", f"127.0.0.1:{BASE_PORT + i}")),
        "--base-url",
        PUBLIC_BASE_URL,
        "--bodies",
        ",".join(bodies),
        "--concurrency",
        str(args.concurrency),
        "--rate",
        str(args.rate),
        "--seconds",
        str(seconds),
        "--warmup",
        str(args.warmup),
        "--copies",
        str(args.copies),
        "--out",
        str(out),
    ]
    return subprocess.Popen(command)


async def _check(url: str, result: dict[str, Any]) -> dict[str, Any]:
    """Everything acknowledged is in the database, once."""
    connection = await asyncpg.connect(url)
    try:
        acknowledged = result["acknowledged_registrations"]
        found = await connection.fetchval(
            "SELECT count(*) FROM registrations WHERE id = ANY($1::text[])", acknowledged
        )
        lists = {
            f"{issuer}/status/{list_id}": pk
            for pk, issuer, list_id in await connection.fetch(
                "SELECT l.id, b.issuer_id, l.list_id FROM status_lists l"
                " JOIN bodies b ON b.code = l.body_code"
            )
        }
        slots = [(lists.get(uri, -1), idx) for uri, idx in result["slots"]]
        stored = await connection.fetchval(
            "SELECT count(*) FROM status_entries e JOIN unnest($1::int[], $2::int[]) AS s(pk, idx)"
            " ON e.status_list_pk = s.pk AND e.idx = s.idx",
            [pk for pk, _ in slots],
            [idx for _, idx in slots],
        )
        duplicates_db = await connection.fetchval(
            "SELECT count(*) FROM (SELECT status_list_pk, idx FROM status_entries"
            " GROUP BY status_list_pk, idx HAVING count(*) > 1) d"
        )
        registrations = await connection.fetchval("SELECT count(*) FROM registrations")
        entries = await connection.fetchval("SELECT count(*) FROM status_entries")
    finally:
        await connection.close()
    return {
        "acknowledged_registrations": len(acknowledged),
        "acknowledged_found": found,
        "acknowledged_unique": len(set(acknowledged)) == len(acknowledged),
        "credentials_received": len(slots),
        "credential_slots_distinct": len(set(slots)),
        "credential_slots_stored": stored,
        "status_index_duplicates_in_db": duplicates_db,
        "registrations_in_db": registrations,
        "status_entries_in_db": entries,
    }


def _run_load(
    args: argparse.Namespace, servers: Servers, workdir: Path, name: str, seconds: float
) -> tuple[dict[str, Any], float, float, float]:
    out = workdir / f"{name}.json"
    cpu_servers = servers.cpu()
    cpu_pg = _postgres_cpu_seconds()
    started = time.monotonic()
    loadgen = _load(args, out, BODIES, seconds)
    killer = None
    if args.kill_after and name == "service":
        killer = threading.Timer(
            args.warmup + args.kill_after, servers.kill_and_restart, args=(0, 1.0)
        )
        killer.start()
    if loadgen.wait() != 0:
        raise SystemExit("load generator failed")
    if killer is not None:
        killer.join()
    wall = time.monotonic() - started
    result = json.loads(out.read_text())
    return result, servers.cpu() - cpu_servers, _postgres_cpu_seconds() - cpu_pg, wall


def _floor(args: argparse.Namespace, env: dict[str, str], workdir: Path) -> float:
    """Requests/s of the same load generator against a bare Starlette endpoint (no database,
    no crypto): the stack's floor on this machine."""
    servers = Servers(args.servers, env, "", "issuer_floor_app:app")
    try:
        result, _, _, _ = _run_load(args, servers, workdir, "floor", min(args.seconds, 10.0))
    finally:
        servers.stop()
    requests = result["all_requests"].get("count", 0)
    return float(requests) / float(result["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="furusato_bench")
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=48)
    parser.add_argument(
        "--rate", type=float, default=0.0, help="open loop: flows started per second"
    )
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--kill-after", type=float, default=0.0)
    parser.add_argument("--prefill", type=int, default=0, help="registrations before the run")
    parser.add_argument("--reuse", action="store_true", help="keep the database as it is")
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--pool", type=int, default=8, help="connections per server process")
    args = parser.parse_args()

    url = f"postgresql://postgres@127.0.0.1:5432/{args.database}"
    workdir = Path(tempfile.mkdtemp(prefix="furusato-bench-"))
    env = {
        **os.environ,
        "FURUSATO_SECRET": secrets.token_hex(32),
        "FURUSATO_KEY_ENCRYPTION_KEY": secrets.token_hex(32),
        "FURUSATO_RATE_LIMIT_PER_MINUTE": "0",  # the load balancer limits, not each process
        "FURUSATO_DATABASE_POOL_SIZE": str(args.pool),
    }
    # the secrets a --reuse run needs to open the signing keys of an earlier run's database
    secrets_path = HERE / f".bench-issuer-secrets-{args.database}.json"
    if args.reuse:
        env.update(json.loads(secrets_path.read_text()))
    else:
        asyncio.run(recreate_database(args.database))
        _cli("issuer", "migrate", "--db", url, env=env)
        for code in BODIES + PREFECTURES:
            _cli(
                "issuer",
                "host",
                "--db",
                url,
                "--base-url",
                PUBLIC_BASE_URL,
                "--body",
                code,
                env=env,
            )
        secrets_path.write_text(
            json.dumps({k: env[k] for k in ("FURUSATO_SECRET", "FURUSATO_KEY_ENCRYPTION_KEY")})
        )
        if args.prefill:
            seconds = asyncio.run(issuer_prefill.prefill(url, args.prefill, BODIES))
            print(f"prefilled {args.prefill:,} registrations in {seconds:.0f} s")

    floor = 0.0 if args.no_floor else _floor(args, env, workdir)
    servers = Servers(args.servers, env, url, None)
    try:
        result, cpu_servers, cpu_pg, wall = _run_load(
            args, servers, workdir, "service", args.seconds
        )
    finally:
        servers.stop()
    check = asyncio.run(_check(url, result))
    cpu_loadgen = result["loadgen_cpu_seconds"]
    flows = result["flow_latency"]
    shape = (
        f"flows started at {args.rate:.0f}/s (open loop)"
        if args.rate
        else f"{args.concurrency} concurrent app flows (closed loop)"
    )
    print(
        f"issuer service: {args.servers} server processes, 1 PostgreSQL, load generator with "
        f"{shape}, {args.seconds:.0f} s measured"
    )
    print(
        f"  issuances/s {result['issuances_per_second']:.0f} (target >= {TARGET_ISSUANCES}); "
        f"flows/s {result['flows_per_second']:.0f} ({args.copies} credential(s) per flow)"
    )
    print(
        f"  flow latency p50 {flows.get('p50_ms')} ms, p99 {flows.get('p99_ms')} ms; "
        f"every request p99 {result['all_requests'].get('p99_ms')} ms "
        f"(target < {TARGET_P99_MS:.0f})"
    )
    for step, figures in result["step_latency"].items():
        print(f"    {step:<10} p50 {figures.get('p50_ms')} ms  p99 {figures.get('p99_ms')} ms")
    requests_per_second = result["all_requests"].get("count", 0) / result["seconds"]
    if floor:
        print(
            f"  requests/s {requests_per_second:.0f} vs bare-endpoint floor {floor:.0f}: "
            f"{requests_per_second / floor:.2f}x"
        )
    print(
        f"  CPU seconds over {wall:.0f} s wall: servers {cpu_servers:.1f}, PostgreSQL "
        f"{cpu_pg:.1f}, load generator {cpu_loadgen:.1f} (2 cores = {2 * wall:.0f})"
    )
    print(f"  errors {result['errors'] or 'none'}, connection retries {result['retries']}")
    print(f"  check: {json.dumps(check)}")
    ok = (
        check["acknowledged_found"] == check["acknowledged_registrations"]
        and check["credential_slots_distinct"] == check["credentials_received"]
        and check["credential_slots_stored"] == check["credentials_received"]
        and check["status_index_duplicates_in_db"] == 0
    )
    print(f"  durability check {'PASSED' if ok else 'FAILED'}")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
