"""Issuer-side status lists: random, unique allocation (also under concurrency), the fill
limit, status changes and signed publication."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta
from statistics import mean

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from furusato_vc.core.statuslist import StatusType, verify_status_list_cwt, verify_status_list_jwt
from furusato_vc.core.statuslist.allocation import StatusSlot, draw_free_index, draw_index
from furusato_vc.issuer.status import InMemoryStatusLists, StatusListConfig
from furusato_vc.runtime import SystemRandom
from tests.helpers import FIXED_NOW, SeededRandom, fixed_signer
from tests.registration_fixtures import ISSUER_BASE, KESENNUMA

TEMPLATE = ISSUER_BASE + KESENNUMA + "/status/{list_id}"
SIGNER = fixed_signer("issuer-042056", kid="042056-2027")
NOW_S = int(FIXED_NOW.timestamp())


def _lists(size: int = 4096, max_fill: float = 0.5) -> InMemoryStatusLists:
    return InMemoryStatusLists(
        uri_template=TEMPLATE, config=StatusListConfig(size=size, bits=2, max_fill=max_fill)
    )


# --------------------------------------------------------------------------- drawing


@given(st.integers(min_value=1, max_value=2**40), st.binary(min_size=1, max_size=16))
def test_draw_index_stays_in_range(size: int, seed: bytes) -> None:
    assert 0 <= draw_index(SeededRandom(seed), size) < size


def test_draw_index_is_roughly_uniform() -> None:
    random = SeededRandom("uniform")
    draws = [draw_index(random, 10) for _ in range(20_000)]
    counts = [draws.count(value) for value in range(10)]
    assert min(counts) > 1_800
    assert max(counts) < 2_200


def test_draw_index_refuses_empty_lists() -> None:
    with pytest.raises(ValueError, match="positive"):
        draw_index(SeededRandom(), 0)


def test_draw_free_index_gives_up_when_everything_is_taken() -> None:
    assert draw_free_index(SeededRandom(), 8, taken=lambda _idx: True, max_draws=10) is None
    assert draw_free_index(SeededRandom(), 8, taken=lambda idx: idx != 5) == 5


# --------------------------------------------------------------------------- allocation


def test_indices_are_unique_and_not_sequential() -> None:
    lists = _lists()
    random = SeededRandom("many")
    slots = [lists.allocate(random=random) for _ in range(1000)]
    indices = [slot.idx for slot in slots]
    assert len(set(indices)) == len(indices)
    # L-9: neither sorted nor with a constant step; consecutive cards land far apart
    assert indices != sorted(indices)
    gaps = [abs(b - a) for a, b in itertools.pairwise(indices)]
    assert mean(gaps) > 1000
    triples = zip(indices, indices[1:], indices[2:], strict=False)
    assert not all(b - a == c - b for a, b, c in triples)


def test_a_list_closes_at_its_fill_limit_and_the_next_opens() -> None:
    lists = _lists(size=64, max_fill=0.5)
    random = SeededRandom("fill")
    slots = [lists.allocate(random=random) for _ in range(40)]
    first = [slot for slot in slots if slot.list_id == 1]
    assert len(first) == 32
    assert {slot.list_id for slot in slots} == {1, 2}
    assert all(slot.uri == TEMPLATE.format(list_id=slot.list_id) for slot in slots)
    assert lists.list_ids() == (1, 2)


def test_allocation_is_unique_under_concurrency() -> None:
    lists = _lists(size=1 << 14, max_fill=0.5)
    results: list[list[StatusSlot]] = [[] for _ in range(8)]
    barrier = threading.Barrier(8)

    def worker(out: list[StatusSlot]) -> None:
        random = SystemRandom()
        barrier.wait()
        out.extend(lists.allocate(random=random) for _ in range(1500))

    threads = [threading.Thread(target=worker, args=(out,)) for out in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    slots = [slot for out in results for slot in out]
    assert len(slots) == 12_000
    assert len({(slot.list_id, slot.idx) for slot in slots}) == 12_000
    assert {slot.list_id for slot in slots} == {1, 2}  # 8192 per list at half fill


# --------------------------------------------------------------------------- status changes


def test_status_changes_and_only_on_allocated_slots() -> None:
    lists = _lists()
    slot = lists.allocate(random=SeededRandom("change"))
    assert lists.status(slot) is StatusType.VALID
    lists.set_status(slot, StatusType.SUSPENDED)
    assert lists.status(slot) is StatusType.SUSPENDED
    lists.set_status(slot, StatusType.INVALID)
    assert lists.snapshot(1).get(slot.idx) == StatusType.INVALID
    stranger = StatusSlot(list_id=1, uri=slot.uri, idx=(slot.idx + 1) % 4096)
    with pytest.raises(ValueError, match="no card"):
        lists.set_status(stranger, StatusType.INVALID)
    with pytest.raises(ValueError, match="no card"):
        lists.set_status(StatusSlot(list_id=9, uri="x", idx=0), StatusType.INVALID)
    with pytest.raises(ValueError, match="no such"):
        lists.status(StatusSlot(list_id=9, uri="x", idx=0))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(list(StatusType)), min_size=1, max_size=30))
def test_published_lists_match_the_committed_statuses(changes: list[StatusType]) -> None:
    # L-10: whatever the sequence of changes, the published list says the last one
    lists = _lists(size=256)
    random = SeededRandom("model")
    slots = [lists.allocate(random=random) for _ in range(len(changes))]
    model = {}
    for slot, status in zip(slots, changes, strict=True):
        lists.set_status(slot, status)
        model[slot.idx] = status
    published = lists.publish(1, signer=SIGNER, issuer=None, now=FIXED_NOW)
    verified = verify_status_list_cwt(
        published.cwt, keys=[SIGNER.public_jwk], expected_uri=published.uri, now=NOW_S
    )
    for idx in range(256):
        assert verified.status_list.get(idx) == model.get(idx, StatusType.VALID)


def test_publication_in_both_forms() -> None:
    lists = _lists()
    slot = lists.allocate(random=SeededRandom("pub"))
    lists.set_status(slot, StatusType.INVALID)
    published = lists.publish(1, signer=SIGNER, issuer=ISSUER_BASE + KESENNUMA, now=FIXED_NOW)
    assert published.uri == TEMPLATE.format(list_id=1)
    for verified in (
        verify_status_list_jwt(
            published.jwt, keys=[SIGNER.public_jwk], expected_uri=published.uri, now=NOW_S
        ),
        verify_status_list_cwt(
            published.cwt, keys=[SIGNER.public_jwk], expected_uri=published.uri, now=NOW_S
        ),
    ):
        assert verified.status_list.get(slot.idx) == StatusType.INVALID
        assert verified.ttl == 12 * 3600
        assert verified.expires_at == NOW_S + 7 * 86_400
        assert verified.issuer == ISSUER_BASE + KESENNUMA


def test_an_unused_list_can_be_published() -> None:
    published = _lists().publish(1, signer=SIGNER, issuer=None, now=FIXED_NOW)
    verified = verify_status_list_cwt(
        published.cwt, keys=[SIGNER.public_jwk], expected_uri=published.uri, now=NOW_S
    )
    assert verified.status_list.histogram() == {0: 4096}


def test_configuration_is_checked() -> None:
    with pytest.raises(ValueError, match="bits"):
        StatusListConfig(bits=3)
    with pytest.raises(ValueError, match="max_fill"):
        StatusListConfig(max_fill=1.0)
    with pytest.raises(ValueError, match="ttl"):
        StatusListConfig(ttl=timedelta(days=8))
    with pytest.raises(ValueError, match="list_id"):
        InMemoryStatusLists(uri_template="https://x.example/status")
