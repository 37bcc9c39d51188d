# furusato-vc — the two README commands are `make demo` and `make test`.
# Both create a local virtualenv (.venv) and install the project from its own files.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: system-deps setup lint typecheck contracts pytest test fuzz demo bench bench-kiosk bench-issuer-scale bench-import bench-dashboard clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

# System packages, best effort: pyzbar needs Debian's libzbar0 (ZBar, the fallback QR reader);
# the kiosk page tests and benchmark drive Debian's chromium (/usr/bin/chromium) with
# Playwright, and its screenshots need a Japanese font (fonts-ipafont-gothic). Where they
# cannot be installed (no apt-get, no root and no password-less sudo) this warns and carries
# on; ZBar is then reported as unavailable and its tests skip, and so do the page tests.
system-deps:
	@export PATH="$$PATH:/sbin:/usr/sbin"; \
	missing=""; \
	ldconfig -p 2>/dev/null | grep -q 'libzbar.so.0' || missing="$$missing libzbar0"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi -e 'IPAGothic' -e 'Noto Sans CJK' || missing="$$missing fonts-ipafont-gothic"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" -eq 0 ]; then SUDO=""; \
	elif command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; \
	else SUDO="unavailable"; fi; \
	if [ "$$SUDO" != unavailable ] && command -v apt-get >/dev/null 2>&1 \
		&& $$SUDO apt-get update -qq \
		&& DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; then \
		echo "system-deps: installed$$missing"; \
	else \
		echo "WARNING: system-deps: could not install$$missing (needs apt-get and root or" \
			"password-less sudo); ZBar and the kiosk page tests will be skipped." >&2; \
	fi

setup: system-deps $(STAMP)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

contracts: setup
	$(BIN)/lint-imports

pytest: setup
	$(BIN)/pytest -q

# README: the one test command (lint + mypy strict + import contracts + pytest)
test: lint typecheck contracts pytest

# 10,000 random and mutated inputs through `furusato-vc verify` (make test runs 1,000 of them;
# one in-process call costs ~20 ms, so this takes a few minutes). FURUSATO_FUZZ_SEED varies it.
fuzz: setup
	FURUSATO_FUZZ_RUNS=10000 $(BIN)/pytest -q tests/test_cli_verify_fuzz.py

# README: the end-to-end demo; artifacts go to demo-out/
demo: setup
	$(BIN)/python examples/demo.py --out demo-out

# Benchmarks print ratios measured in one run (ours vs. baselines on this machine).
bench: setup
	$(BIN)/python benchmarks/bench_sdjwt.py
	$(BIN)/python benchmarks/bench_qr.py
	$(BIN)/python benchmarks/bench_base45.py
	$(BIN)/python benchmarks/bench_qr_scan.py --frames 60
	$(BIN)/python benchmarks/bench_kiosk.py
	$(BIN)/python benchmarks/bench_bundle.py
	$(BIN)/python benchmarks/bench_issuer.py --rate 55 --copies 10 --seconds 20
	$(BIN)/python benchmarks/bench_issuer.py --rate 40 --copies 10 --seconds 20 --kill-after 8
	$(BIN)/python benchmarks/bench_issuer.py --concurrency 48 --copies 1 --seconds 20

# Kiosk scan-to-verdict in headless Chromium (p50/p99 against the page's own no-op round trip)
bench-kiosk: setup
	$(BIN)/python benchmarks/bench_kiosk.py

# Dashboards on PostgreSQL with 1 million registrations across 50 bodies: seeds a fresh
# database (furusato_dash_bench, COPY), serves it, times each page and export (p50/p95) and
# checks every number shown against independent SQL; see docs/dashboard.md.
bench-dashboard: setup
	$(BIN)/python benchmarks/bench_dashboard.py --registrations 1000000 --loads 9
	$(BIN)/python benchmarks/bench_dashboard.py --reuse --loads 9 --max-age 600

# Issuance latency at 10 thousand and at 10 million registrations (about an hour: the
# prefill writes ~25 million rows); see docs/issuer-deployment.md.
bench-issuer-scale: setup
	$(BIN)/python benchmarks/bench_issuer.py --database furusato_scale --prefill 10000 \
		--concurrency 2 --seconds 20 --no-floor
	$(BIN)/python benchmarks/issuer_prefill.py --registrations 9990000 \
		--db postgresql://postgres@127.0.0.1:5432/furusato_scale
	$(BIN)/python benchmarks/bench_issuer.py --database furusato_scale --reuse \
		--concurrency 2 --seconds 20 --no-floor

# Member import (issue 9): 20,000 CSV rows and the re-run, through the CLI, on SQLite and
# PostgreSQL (127.0.0.1:5432); see docs/member-import.md
bench-import: setup
	$(BIN)/python benchmarks/bench_import.py --rows 20000

clean:
	rm -rf $(VENV) demo-out test-artifacts .mypy_cache .ruff_cache .pytest_cache .hypothesis
