"""Result order: ties on category, supplier and number are broken by result_id."""

from __future__ import annotations

import random

import polars as pl

from recon.match import _SORT_KEYS, _arg_sort, _break_ties_by_id


def test_ties_broken_by_id_equal_one_sort_on_all_keys():
    rng = random.Random(3)
    n = 2000
    keys = pl.DataFrame(
        {
            "_category": [rng.randrange(4) for _ in range(n)],
            "_supplier": [rng.randrange(5) for _ in range(n)],
            "_doc_no": [rng.choice(["INV-1", "INV-2", "A/7", None]) for _ in range(n)],
            "result_id": [f"b{rng.randrange(10**6)}~p{i}" for i in range(n)],
        },
        schema_overrides={"_category": pl.Int8, "_supplier": pl.UInt32},
    )
    expected = keys.select(pl.arg_sort_by([*_SORT_KEYS, "result_id"], nulls_last=True)).to_series()
    assert _break_ties_by_id(keys, _arg_sort(keys, _SORT_KEYS)).to_list() == expected.to_list()
