"""The engine against the generator's ground truth: every defect kind, thousands of documents.

Thresholds are the product's promise (issue 3): pair precision ≥ 99.9 %, recall ≥ 99.5 %, no false
pair among confusable numbers (1 vs 11, 40 vs 45), and the right category for every clear-cut case.
"""

from __future__ import annotations

import polars as pl
import pytest

from recon.match import measures, reconcile
from recon.synth import generate

pytestmark = pytest.mark.slow

# Defects whose category follows from the documents alone (no judgement call).
CLEAR_CUT = (
    "exact",
    "number_format",
    "rounding",
    "value_diff",
    "date_diff",
    "credit_note",
    "debit_note",
    "rate_wise_lines",
    "ims_only",
    "books_only",
    "confusable_number",
    "duplicate_booking",
    "not_in_ims",
    "unfiled_supplier",
    "pending_blocked",
    "amendment",
)


@pytest.fixture(scope="module")
def reconciled():
    corpus = generate(seed=20251, n_docs=20_000)
    return corpus, reconcile(corpus.books, corpus.ims)


def test_pair_precision_and_recall(reconciled):
    corpus, results = reconciled
    pm = measures.pair_measures(results, corpus.truth)
    assert pm.true > 15_000
    assert pm.precision >= 0.999, f"precision {pm.precision:.4%}"
    assert pm.recall >= 0.995, f"recall {pm.recall:.4%}"


def test_no_false_pair_among_confusable_numbers(reconciled):
    corpus, results = reconciled
    wrong = measures.false_pairs(results, corpus.truth)
    confusable = wrong.filter(
        (pl.col("books_defect") == "confusable_number") | (pl.col("portal_defect") == "confusable_number")
    )
    assert confusable.height == 0, confusable


def test_every_clear_cut_case_lands_in_its_category(reconciled):
    corpus, results = reconciled
    outcomes = measures.category_outcomes(results, corpus.truth).filter(pl.col("defect").is_in(CLEAR_CUT))
    wrong = outcomes.filter(~pl.col("right").fill_null(False))
    assert outcomes.height > 15_000
    assert wrong.height == 0, wrong.select("defect", "expected_category", "category", "detail").head(20)


def test_duplicates_point_at_the_kept_booking(reconciled):
    corpus, results = reconciled
    expected = corpus.truth.filter(pl.col("duplicate_of").is_not_null()).select(
        "books_doc_id", "duplicate_of"
    )
    got = expected.join(
        results.select("books_doc_id", pl.col("duplicate_of").alias("got")), on="books_doc_id"
    )
    assert got.height == expected.height > 0
    assert (got["duplicate_of"] == got["got"]).all()


def test_gstin_cases_are_mismatches_to_confirm_never_matches(reconciled):
    corpus, results = reconciled
    cases = corpus.truth.filter(pl.col("defect").is_in(["branch_gstin", "mistyped_gstin"]))
    rows = cases.join(results, on=["books_doc_id", "portal_doc_id"], how="inner")
    assert rows.height == cases.height > 0
    assert set(rows["category"]) == {"mismatched"} and rows["needs_review"].all()
    assert all("supplier_gstin" in [d["field"] for d in diffs] for diffs in rows["differences"])
