"""Small-cell suppression: the documented rule, cell by cell, and its guarantees."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from furusato_vc.issuer.dashboard import (
    suppress_count,
    suppress_flow_and_stock,
    suppress_table,
)


def test_cells_under_the_threshold_are_hidden_and_zero_is_shown() -> None:
    assert suppress_table([50, 0, 40, 30], threshold=10) == ((50, 0, 40, 30), 120)
    assert suppress_count(9, threshold=10) is None
    assert suppress_count(10, threshold=10) == 10
    assert suppress_count(0, threshold=10) == 0


def test_one_hidden_cell_takes_the_smallest_other_cell_with_it() -> None:
    # 3 is hidden; total − shown would reveal it, so the smallest non-zero cell (20) goes too
    assert suppress_table([50, 3, 0, 20, 30], threshold=10) == ((50, None, 0, None, 30), 103)


def test_hidden_cells_must_add_up_to_the_threshold() -> None:
    # 2 and 3 are hidden, but together 5 < 10: the next smallest (12) is hidden as well
    assert suppress_table([2, 3, 12, 40], threshold=10) == ((None, None, None, 40), 57)


def test_a_small_total_hides_the_whole_table() -> None:
    assert suppress_table([4, 0, 3], threshold=10) == ((None, None, None), None)


def test_no_cell_left_to_hide_hides_the_total() -> None:
    # 3 hidden, only a zero left to pair it with: the whole table goes
    assert suppress_table([3, 0], threshold=10, total=40) == ((None, None), None)


def test_an_explicit_total_for_multi_answer_cells() -> None:
    cells, total = suppress_table([30, 25, 5], threshold=10, total=40)
    assert cells == (30, None, None)
    assert total == 40


def test_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError, match="threshold"):
        suppress_table([1], threshold=0)


def test_a_small_month_is_merged_with_the_following_ones() -> None:
    flow = [20, 3, 4, 5, 30]
    stock = [20, 23, 27, 32, 62]
    shown_flow, shown_stock = suppress_flow_and_stock(flow, stock, threshold=10)
    # 3 + 4 + 5 = 12 >= 10: one group of three months; only its last stock is shown
    assert shown_flow == (20, None, None, None, 30)
    assert shown_stock == (20, None, None, 32, 62)


def test_a_short_group_at_the_end_joins_the_group_before() -> None:
    shown_flow, shown_stock = suppress_flow_and_stock([15, 12, 2], [15, 27, 29], threshold=10)
    assert shown_flow == (15, None, None)
    assert shown_stock == (15, None, 29)


def test_a_series_short_of_the_threshold_is_hidden_whole() -> None:
    assert suppress_flow_and_stock([1, 2], [1, 3], threshold=10) == ((None, None), (None, None))


@given(
    st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=12),
    st.integers(min_value=1, max_value=15),
)
def test_no_hidden_cell_can_be_recovered_from_the_total(counts: list[int], k: int) -> None:
    cells, total = suppress_table(counts, threshold=k)
    assert all(v is None or v == 0 or v >= k for v in cells)
    hidden = [c for c, v in zip(counts, cells, strict=True) if v is None]
    if total is not None and hidden:
        assert len(hidden) >= 2
        assert sum(hidden) >= k  # total − shown is a group of at least k
        assert total - sum(v for v in cells if v is not None) == sum(hidden)


@given(
    st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=24),
    st.integers(min_value=1, max_value=15),
)
def test_stock_differences_never_reveal_a_small_month(flow: list[int], k: int) -> None:
    stock = [sum(flow[: i + 1]) for i in range(len(flow))]
    shown_flow, shown_stock = suppress_flow_and_stock(flow, stock, threshold=k)
    assert all(v is None or v == 0 or v >= k for v in shown_flow)
    # between two shown stocks, the difference is a month shown anyway or a group >= k
    shown = [i for i, v in enumerate(shown_stock) if v is not None]
    for a, b in itertools.pairwise(shown):
        gap = stock[b] - stock[a]
        months = range(a + 1, b + 1)
        assert gap == 0 or gap >= k or all(shown_flow[m] is not None for m in months)


def test_a_small_last_month_after_a_zero_month_joins_until_the_group_is_large_enough() -> None:
    """Found by the property above: flow 2, 0, 1 with threshold 2 once showed stocks 2 and 3,
    so the hidden last two months were seen to add up to 1."""
    shown_flow, shown_stock = suppress_flow_and_stock([2, 0, 1], [2, 2, 3], threshold=2)
    assert shown_flow == (None, None, None)
    assert shown_stock == (None, None, 3)
