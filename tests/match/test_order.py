"""Result order: category, supplier, number; ties broken by result_id."""

from __future__ import annotations

import random

import polars as pl
import pytest

from recon.match import _SORT_KEYS, _arg_sort, _break_ties_by_id

SHORT = ["INV-1", "INV-2", "A/7", "a/7", "INV-10", "INV-1 ", "", None]
LONG = [*SHORT, "INV/2025-26/000000017", "INV/2025-26/000000017A", "INV/2025-26/00000001"]
NON_ASCII = [*SHORT, "बिल-7", "INV-१", "ÄB-1"]
INNER_NUL = [*SHORT, "A", "A\x00B", "A\x00\x00B"]  # a zero byte inside: still sorted as integers
ENDING_NUL = [*SHORT, "A", "A\x00", "A\x00\x00"]  # would pad alike: sorted as text


@pytest.mark.parametrize(
    ("supplier_span", "numbers"),
    [
        (5, SHORT),  # numbers sorted as integers, category and supplier packed into one integer
        (2**60, SHORT),  # too wide to pack: sorted on the columns as they are
        (5, LONG),  # longer than the integers hold: sorted as text
        (5, NON_ASCII),  # not ASCII: sorted as text
        (5, INNER_NUL),
        (5, ENDING_NUL),
    ],
)
def test_ties_broken_by_id_equal_one_sort_on_all_keys(supplier_span, numbers):
    rng = random.Random(3)
    n = 2000
    suppliers = [rng.randrange(supplier_span) for _ in range(5)]
    keys = pl.DataFrame(
        {
            "_category": [rng.randrange(4) for _ in range(n)],
            "_supplier": [rng.choice(suppliers) for _ in range(n)],
            "_doc_no": [rng.choice(numbers) for _ in range(n)],
            "result_id": [f"b{rng.randrange(10**6)}~p{i}" for i in range(n)],
        },
        schema_overrides={"_category": pl.Int8, "_supplier": pl.UInt64},
    )
    expected = keys.select(pl.arg_sort_by([*_SORT_KEYS, "result_id"], nulls_last=True)).to_series()
    assert _break_ties_by_id(keys, _arg_sort(keys, _SORT_KEYS)).to_list() == expected.to_list()
