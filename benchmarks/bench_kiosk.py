"""Kiosk scan-to-verdict in headless Chromium, against the page's own no-op round trip.

Scan-to-verdict is measured by the page itself: from the scanner's Enter key event (a real
``keydown`` on the hidden input, sent by Playwright) to the first frame with the verdict
painted (``requestAnimationFrame`` then a task, after the DOM update). It covers the POST, the
server's verification against a synced bundle (Base45, inflate, CBOR, two ES256 signatures,
status, policy, replay cache), the JSON answer and the rendering. The text is put into the
input before Enter: how fast a scanner types its ~600 characters is a setting of the scanner
(typically 0.1–0.6 s), not something the kiosk controls.

The baseline, measured in the same run and the same page, is a POST of the same text to
``/ping`` (the server answers ``{}`` at once) followed by a DOM update and the same paint wait.
The ratio ``scan / baseline`` is what verification and the verdict cost over the bare round
trip. Every scan uses a distinct QR code (a fresh key-binding token), as at a real kiosk.

    .venv/bin/python benchmarks/bench_kiosk.py [--scans 200] [--profile shop]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from playwright.sync_api import sync_playwright

from furusato_vc.anchor import TrustWorkspace
from furusato_vc.core.jose import SoftwareSigner, generate_es256_private_key
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.profiles import builtin_profile
from furusato_vc.core.registration.bodies import load_bodies
from furusato_vc.core.registration.claims import (
    JST,
    PersonName,
    RegistrationClaims,
    RelationshipType,
    Tier,
)
from furusato_vc.core.trustlist import StatusListLocation, TrustedKey
from furusato_vc.core.trustlist.edit import add_entry, entry_for_body
from furusato_vc.issuer import IssuingBody, issue_registration_credentials
from furusato_vc.issuer.status import InMemoryStatusLists
from furusato_vc.publication import DirectorySource, status_list_path
from furusato_vc.runtime import SystemClock, SystemRandom
from furusato_vc.verifier.bundle_store import BundleDirectory
from furusato_vc.verifier.kiosk import KioskServer, KioskService, KioskSettings
from furusato_vc.wallet import HeldCredential, accept_credential, present_qr

CHROMIUM = "/usr/bin/chromium"
ISSUER = "https://issuer.furusato-vc.example/bodies/042056"
BODY = "042056"  # 宮城県気仙沼市
TARGET_MS = 200.0

BASELINE_JS = """
async (text) => {
  const t0 = performance.now();
  const response = await fetch("/ping", {method: "POST", body: JSON.stringify({text}),
    headers: {"Content-Type": "application/json"}, cache: "no-store"});
  const answer = await response.json();
  document.getElementById("code").textContent = JSON.stringify(answer);
  return await new Promise((resolve) => requestAnimationFrame(
    () => setTimeout(() => resolve(performance.now() - t0), 0)));
}
"""


@dataclass(slots=True)
class ManualClock:
    current: datetime

    def now(self) -> datetime:
        return self.current


def _setup(
    root: Path, now: datetime, random: SystemRandom
) -> tuple[BundleDirectory, HeldCredential, SoftwareSigner]:
    """One municipality on a fresh trust anchor, published and synced; one card held."""
    signer = SoftwareSigner(generate_es256_private_key(), kid="042056-bench")
    body = IssuingBody(
        code=BODY,
        issuer_id=ISSUER,
        signer=signer,
        status_list_uri=ISSUER + "/status/1",
        status_list_id=1,
    )
    lists = InMemoryStatusLists(uri_template=ISSUER + "/status/{list_id}")
    workspace = TrustWorkspace.create(root / "anchor", operator="https://trust.example", kid="a")
    keys_from = to_numeric_date(now) - 86_400 - to_numeric_date(now) % 86_400
    trust_list = add_entry(
        workspace.load(),
        entry_for_body(
            load_bodies().get(BODY),
            issuer=ISSUER,
            issuer_url=ISSUER,
            keys=(TrustedKey(jwk=signer.public_jwk, not_before=keys_from),),
            status_lists=(StatusListLocation(list_id=1, uri=body.status_list_uri),),
        ),
    )
    workspace.save(trust_list)
    slot = lists.allocate(random=random)
    publication = root / "publication"
    published = lists.publish(1, signer=signer, issuer=ISSUER, now=now)
    path = publication / status_list_path(BODY, 1, "cwt")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(published.cwt)
    workspace.sign(out=publication, now=now, next_update_in=86_400, valid_for=30 * 86_400)
    workspace.aggregate(status_dir=publication, out=publication, now=now)
    directory = BundleDirectory(root / "bundle")
    directory.pin_anchors(workspace.anchors())
    result = directory.sync(DirectorySource(publication), now=now)
    holder = SoftwareSigner(generate_es256_private_key())
    today = now.astimezone(JST).date()
    registration = RegistrationClaims(
        issuing_body=BODY,
        tier=Tier.BASIC,
        registration_id="BENCH-basic-0001",
        valid_from=today,
        relationship_types=(RelationshipType.VISITS,),
        name=PersonName(family="山田", given="花子", family_kana="ヤマダ", given_kana="ハナコ"),
        birthdate=date(1988, 4, 2),
        member_number="KSN-2027-000123",
    )
    issued = issue_registration_credentials(
        registration,
        body=body,
        holder_key=holder.public_jwk,
        status_slot=slot,
        now=now,
        random=random,
        bodies=load_bodies(),
    )
    held = accept_credential(
        issued.sd_jwt_vc.serialize(),
        holder_key=holder.public_jwk,
        trust=result.bundle.trust,
        now=now,
        compact=issued.compact.encode(),
    )
    return directory, held, holder


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(values), 2),
        "p99_ms": round(_percentile(values, 0.99), 2),
        "max_ms": round(max(values), 2),
        "n": len(values),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scans", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--profile", default="shop")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    random = SystemRandom()
    start = SystemClock().now()
    profile = builtin_profile(args.profile)
    with tempfile.TemporaryDirectory(prefix="bench-kiosk-") as tmp:
        directory, held, holder = _setup(Path(tmp), start, random)
        clock = ManualClock(start)
        service = KioskService(
            settings=KioskSettings(profile=profile, clear_after=timedelta(minutes=10)),
            directory=directory,
            clock=clock,
            random=random,
        )
        server = KioskServer(service, port=0)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        total = args.warmup + args.scans
        texts = []
        for i in range(total):
            # a new key-binding token per scan (one second apart; the kiosk's clock follows)
            at = start + timedelta(seconds=i)
            texts.append(
                (at, present_qr(held, disclose=profile.requested, holder=holder,
                                audience=profile.default_audience, now=at))
            )  # fmt: skip
        server_ms: list[float] = []
        scan_ms: list[float] = []
        answer_ms: list[float] = []
        baseline_ms: list[float] = []
        try:
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True)
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(server.url)
                page.wait_for_selector("body[data-ready=true]")
                for i, (at, text) in enumerate(texts):
                    clock.current = at
                    page.evaluate("delete document.getElementById('verdict').dataset.scanMs")
                    page.fill("#scan", text)
                    page.keyboard.press("Enter")
                    page.wait_for_selector("#verdict[data-scan-ms]")
                    result = page.get_attribute("#verdict", "data-result")
                    if result != "verified":
                        code = page.get_attribute("#verdict", "data-code")
                        print(f"scan {i} was {result} ({code})", file=sys.stderr)
                        return 1
                    if i >= args.warmup:
                        scan_ms.append(
                            float(page.get_attribute("#verdict", "data-scan-ms") or "nan")
                        )
                        answer_ms.append(
                            float(page.get_attribute("#verdict", "data-answer-ms") or "nan")
                        )
                    # the baseline interleaved with the scans, so both see the same machine
                    elapsed = page.evaluate(BASELINE_JS, text)
                    if i >= args.warmup:
                        baseline_ms.append(float(elapsed))
                browser.close()
            # the server's share, in process: verification of fresh codes without HTTP
            for i in range(args.scans):
                at = start + timedelta(seconds=total + i)
                clock.current = at
                text = present_qr(held, disclose=profile.requested, holder=holder,
                                  audience=profile.default_audience, now=at)  # fmt: skip
                t0 = time.perf_counter()
                service.scan_text(text)
                server_ms.append((time.perf_counter() - t0) * 1000)
        finally:
            server.shutdown()
            server.server_close()

    scan = _summary(scan_ms)
    baseline = _summary(baseline_ms)
    verify = _summary(server_ms)
    answer = _summary(answer_ms)
    results = {
        "profile": args.profile,
        "qr_chars": len(texts[-1][1]),
        "scan_to_verdict": scan,
        "scan_to_answer_parsed": answer,
        "baseline_noop_round_trip": baseline,
        "server_verification_in_process": verify,
        "ratio_p50_scan_over_baseline": round(scan["p50_ms"] / baseline["p50_ms"], 2),
        "target_ms": TARGET_MS,
        "meets_target_p99": scan["p99_ms"] < TARGET_MS,
    }
    print(f"kiosk scan-to-verdict, profile {args.profile}, {args.scans} scans "
          f"(QR text {results['qr_chars']} chars), headless Chromium")  # fmt: skip
    rows = (
        ("scan → verdict painted", scan),
        ("  of which answer parsed", answer),
        ("baseline /ping + paint", baseline),
        ("server verify (no HTTP)", verify),
    )
    for label, row in rows:
        print(f"  {label:<25} p50 {row['p50_ms']:7.2f} ms   p99 {row['p99_ms']:7.2f} ms")
    met = "met" if results["meets_target_p99"] else "NOT met"
    ratio = results["ratio_p50_scan_over_baseline"]
    print(f"  ratio scan/baseline (p50) {ratio:.2f}; target p99 < {TARGET_MS:.0f} ms: {met}")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
