"""The flat joined view and the truth measures, on small hand-made cases."""

from __future__ import annotations

import polars as pl
from engine_docs import b, books, p, portal

from recon.match import measures, reconcile
from recon.match.result import RESULT_SCHEMA
from recon.match.view import joined


def test_joined_view_puts_both_documents_beside_each_result_in_order():
    bk = books(b("INV-1", 5, taxable=100.0), b("INV-2", 6))
    pt = portal(p("INV-1", taxable=100.0), p("INV-3"))
    results = reconcile(bk, pt)
    table = joined(results, bk, pt)
    assert table.height == results.height
    assert table["result_id"].to_list() == results["result_id"].to_list()
    assert list(table.columns[: len(RESULT_SCHEMA)]) == list(RESULT_SCHEMA)
    pair = table.filter(pl.col("category") == "matched").row(0, named=True)
    assert pair["books_doc_no"] == "INV-1" and pair["portal_doc_no"] == "INV-1"
    assert pair["books_origin_rows"] == [5] and pair["portal_taxable_value"] == 100.0
    ims_only = table.filter(pl.col("category") == "ims_only").row(0, named=True)
    assert ims_only["books_doc_no"] is None and ims_only["portal_doc_no"] == "INV-3"


def test_measures_count_true_false_and_missed_pairs():
    results = pl.DataFrame(
        {
            "books_doc_id": ["b1", "b2", "b3", None],
            "portal_doc_id": ["p1", "p9", None, "p3"],
            "category": ["matched", "mismatched", "books_only", "ims_only"],
        }
    )
    truth = pl.DataFrame(
        {
            "books_doc_id": ["b1", "b2", "b3"],
            "portal_doc_id": ["p1", "p2", "p3"],
            "defect": ["exact", "exact", "x"],
            "expected_category": ["matched", "matched", "matched"],
        }
    )
    pm = measures.pair_measures(results, truth)
    assert (pm.made, pm.true, pm.correct) == (2, 3, 1)
    assert pm.precision == 0.5 and abs(pm.recall - 1 / 3) < 1e-12
    wrong = measures.false_pairs(results, truth)
    assert wrong.select("books_doc_id", "portal_doc_id").rows() == [("b2", "p9")]
    outcomes = measures.category_outcomes(results, truth)
    assert outcomes.filter(pl.col("right")).height == 1
