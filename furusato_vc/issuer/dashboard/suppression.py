"""Small-cell suppression (秘匿処理) for the dashboards. Pure functions on counts.

The rule (docs/dashboard.md repeats it), with ``k`` the threshold (default 10):

Tables (a set of cells and their total; a table whose cells do not add up to a shown total,
such as the multi-answer relationship types, is treated as if their sum were shown):

1. If ``0 < total < k``, the total and every cell, zeros included, are hidden.
2. Primary: every cell with ``0 < n < k`` is hidden. Zero is shown (it singles out no one).
3. Complementary: if any cell is hidden, more cells are hidden, the smallest non-zero shown
   cell first (ties: the first in table order), until at least two cells are hidden and the
   hidden cells add up to at least ``k``; so ``total − shown cells`` never reveals a hidden
   cell or a group of fewer than ``k``. If no shown non-zero cell is left first, the whole
   table (total included) is hidden.

Monthly series of a flow (new registrations per month) and its stock (registrations at the end
of each month), where ``stock[m] − stock[m−1]`` would reveal ``flow[m]``:

4. A month whose flow is ``0 < n < k`` opens a group that takes the following months until
   the group's flow adds up to at least ``k``. In a group of more than one month every flow
   value is hidden, and every stock value except the group's last month's. A group still
   short of ``k`` at the end of the series is merged into the group before it; with no group
   before it, the whole series is hidden.
5. Then every stock value with ``0 < n < k`` is hidden (primary).

Single counts (the national totals) follow rule 2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["DEFAULT_THRESHOLD", "suppress_count", "suppress_flow_and_stock", "suppress_table"]

DEFAULT_THRESHOLD = 10


def _check(threshold: int) -> None:
    if threshold < 1:
        raise ValueError("threshold must be at least 1")


def suppress_count(count: int, *, threshold: int) -> int | None:
    """One count on its own: hidden when ``0 < count < threshold``."""
    _check(threshold)
    return None if 0 < count < threshold else count


def suppress_table(
    counts: Sequence[int], *, threshold: int, total: int | None = None
) -> tuple[tuple[int | None, ...], int | None]:
    """The table's cells and total after rules 1–3. ``total`` defaults to the cells' sum
    (pass it when it differs, e.g. for multi-answer cells)."""
    _check(threshold)
    if any(count < 0 for count in counts):
        raise ValueError("counts must not be negative")
    whole = sum(counts) if total is None else total
    if 0 < whole < threshold:
        return tuple(None for _ in counts), None
    hidden = {i for i, count in enumerate(counts) if 0 < count < threshold}
    if hidden:
        candidates = sorted(
            (i for i, count in enumerate(counts) if count > 0 and i not in hidden),
            key=lambda i: (counts[i], i),
        )
        while len(hidden) < 2 or sum(counts[i] for i in hidden) < threshold:
            if not candidates:
                return tuple(None for _ in counts), None
            hidden.add(candidates.pop(0))
    return tuple(None if i in hidden else count for i, count in enumerate(counts)), whole


def suppress_flow_and_stock(
    flow: Sequence[int], stock: Sequence[int], *, threshold: int
) -> tuple[tuple[int | None, ...], tuple[int | None, ...]]:
    """A monthly flow and its stock after rules 4–5 (equal lengths, oldest month first)."""
    _check(threshold)
    if len(flow) != len(stock):
        raise ValueError("flow and stock must have one value per month")
    groups: list[list[int]] = []
    month = 0
    while month < len(flow):
        group = [month]
        total = flow[month]
        month += 1
        if 0 < total < threshold:
            while total < threshold and month < len(flow):
                group.append(month)
                total += flow[month]
                month += 1
        groups.append(group)
    # a small last group joins the groups before it until the joined group reaches the
    # threshold (a group before it may hold only zero months, e.g. flow 2, 0, 1 with k 2)
    while groups and 0 < sum(flow[m] for m in groups[-1]) < threshold:
        if len(groups) == 1:
            return tuple(None for _ in flow), tuple(None for _ in stock)
        last = groups.pop()
        groups[-1].extend(last)
    flow_out: list[int | None] = list(flow)
    stock_out: list[int | None] = list(stock)
    for group in groups:
        if len(group) > 1:
            for m in group:
                flow_out[m] = None
            for m in group[:-1]:
                stock_out[m] = None
    for m, value in enumerate(stock):
        if 0 < value < threshold:
            stock_out[m] = None
    return tuple(flow_out), tuple(stock_out)
