"""The dashboard snapshot codec: what it writes it reads back exactly; anything else fails
with SnapshotError (the service then counts the view again)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from furusato_vc.issuer.dashboard.build import BodyCounts, NationalCounts
from furusato_vc.issuer.dashboard.snapshot import SnapshotError, decode_counts, encode_counts

counts = st.integers(min_value=0, max_value=10**9)
tiers = st.sampled_from(["basic", "premium"])
homes = st.none() | st.sampled_from([f"{n:02d}" for n in range(1, 48)])
days = st.integers(min_value=0, max_value=40_000)
pairs = st.tuples(counts, counts)
months = st.sampled_from([f"2027-{m:02d}" for m in range(1, 13)])
codes = st.sampled_from(["042056", "041009", "203858"])

body_counts = st.builds(
    BodyCounts,
    current=st.dictionaries(st.tuples(tiers, homes, st.integers(0, 15)), counts, max_size=30),
    created_by_day=st.dictionaries(days, pairs, max_size=30),
    ending=st.dictionaries(st.tuples(tiers, st.dates().map(str)), counts, max_size=10),
    approved_by_day=st.dictionaries(days, pairs, max_size=10),
    by_body=st.dictionaries(codes, counts),
    own_direct=st.none() | counts,
    own_via=st.none() | counts,
    attendance_by_month=st.dictionaries(months, counts),
)
national_counts = st.builds(
    NationalCounts,
    persons=counts,
    chosen=counts,
    automatic=counts,
    by_tier=st.dictionaries(tiers, counts),
    hosted_bodies=counts,
)


@given(body_counts | national_counts)
def test_what_is_written_is_read_back_exactly(value: BodyCounts | NationalCounts) -> None:
    text = encode_counts(value)
    assert text.isascii()
    assert decode_counts(text) == value
    assert encode_counts(decode_counts(text)) == text  # one text per value


def _body() -> dict[str, object]:
    value = BodyCounts(
        current={("basic", "13", 1): 5, ("premium", None, 0): 2},
        created_by_day={20_000: (7, 6)},
        ending={("basic", "2027-03-01"): 1},
        approved_by_day={20_010: (2, 2)},
        attendance_by_month={"2027-01": 4},
    )
    document: dict[str, object] = json.loads(encode_counts(value))
    return document


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda d: d.update(v=2), "version"),
        (lambda d: d.update(kind="prefecture"), "kind"),
        (lambda d: d.pop("current"), "list"),
        (lambda d: d.update(current=[["basic", "13", 1]]), "list"),
        (lambda d: d.update(current=[["basic", "13", 1, -1]]), "non-negative"),
        (lambda d: d.update(current=[["basic", "13", 1, True]]), "non-negative"),
        (lambda d: d.update(current=[["basic", "13", 1, 1.5]]), "non-negative"),
        (lambda d: d.update(current=[["basic", 13, 1, 1]]), "string"),
        (lambda d: d.update(by_body=[["042056", 1], ["042056", 2]]), "twice"),
        (lambda d: d.update(created_by_day=[[1, 1, 1], [1, 2, 2]]), "twice"),
        (lambda d: d.update(own_direct="3"), "non-negative"),
    ],
)
def test_anything_else_is_refused(change: object, why: str) -> None:
    document = _body()
    assert callable(change)
    change(document)
    with pytest.raises(SnapshotError, match=why):
        decode_counts(json.dumps(document))


@pytest.mark.parametrize("text", ["", "not json", "[]", "[" * 100_000, '{"v": 1}'])
def test_text_that_is_not_a_snapshot_is_refused(text: str) -> None:
    with pytest.raises(SnapshotError):
        decode_counts(text)
