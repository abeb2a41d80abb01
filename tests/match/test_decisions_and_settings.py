"""Manual links and unlinks, tolerances, settings and determinism."""

from __future__ import annotations

from datetime import date

import polars as pl
from engine_docs import b, books, p, portal
from test_pairing import pairs_of, row_for

from recon.match import Settings, reconcile
from recon.present import format_rupees


def test_manual_link_wins_and_is_still_compared():
    bk = b("MISC-1", igst=0.0, cgst=900.0, sgst=900.0)
    exact_twin = p("MISC-1")
    chosen = p("XYZ-77", cgst=950.0, sgst=950.0)
    results = reconcile(books(bk), portal(exact_twin, chosen), links=[(bk["doc_id"], chosen["doc_id"])])
    row = row_for(results, bk)
    assert row["portal_doc_id"] == chosen["doc_id"]
    assert (row["basis"], row["score"], row["category"]) == ("manual", 100.0, "mismatched")
    assert {d["field"] for d in row["differences"]} == {"cgst", "sgst"}
    assert row_for(results, exact_twin)["category"] == "ims_only"


def test_unlink_forbids_the_pair_and_each_side_moves_on():
    bk1, bk2 = b("INV-5", 2), b("INV/5", 3, occurrence=0, taxable=10000.0)
    pt = p("INV-5")
    results = reconcile(books(bk1, bk2), portal(pt), unlinks=[(bk1["doc_id"], pt["doc_id"])])
    assert (bk1["doc_id"], pt["doc_id"]) not in pairs_of(results)
    assert row_for(results, bk2)["portal_doc_id"] == pt["doc_id"]
    left = row_for(results, bk1)
    assert left["category"] == "books_only" and "you unlinked this pair" in left["nearest_reason"]


def test_links_to_unknown_documents_are_ignored():
    bk, pt = b("INV-5"), p("INV-5")
    results = reconcile(books(bk), portal(pt), links=[("b-gone", pt["doc_id"])])
    assert pairs_of(results) == {(bk["doc_id"], pt["doc_id"])}


def test_one_rupee_is_rounding_one_rupee_one_paisa_is_a_difference():
    bk = b("INV-1", 2, cgst=900.0)
    at_limit = p("INV-1", cgst=901.0)
    assert row_for(reconcile(books(bk), portal(at_limit)), bk)["category"] == "matched"
    over = p("INV-1", cgst=901.01)
    row = row_for(reconcile(books(bk), portal(over)), bk)
    assert row["category"] == "mismatched"
    assert row["differences"][0]["field"] == "cgst" and abs(row["differences"][0]["difference"] - 1.01) < 1e-9


def test_tolerance_is_a_setting():
    bk, pt = b("INV-1", taxable=10000.0), p("INV-1", taxable=10004.0)
    assert row_for(reconcile(books(bk), portal(pt)), bk)["category"] == "mismatched"
    loose = Settings(tolerance_taxable=5.0)
    assert row_for(reconcile(books(bk), portal(pt), loose), bk)["category"] == "matched"


def test_date_difference_alone_is_mismatched_with_the_date_named():
    from datetime import date

    bk, pt = b("INV-2", on=date(2025, 11, 7)), p("INV-2", on=date(2025, 11, 9))
    row = row_for(reconcile(books(bk), portal(pt)), bk)
    assert row["category"] == "mismatched"
    assert row["differences"] == [
        {"field": "doc_date", "books": "2025-11-07", "portal": "2025-11-09", "difference": 2.0}
    ]
    assert "Date differs: books 07-11-2025, portal 09-11-2025 (+2 days)." in row["differences_text"]


def test_date_window_limits_fuzzy_suggestions():
    from datetime import date

    bk, pt = b("1045", on=date(2025, 11, 1)), p("GST/1045", on=date(2025, 11, 20))
    assert pairs_of(reconcile(books(bk), portal(pt))) == set()
    assert pairs_of(reconcile(books(bk), portal(pt), Settings(date_window_days=30))) == {
        (bk["doc_id"], pt["doc_id"])
    }


def test_place_of_supply_and_reverse_charge_differences_are_mismatches():
    bk, pt = b("INV-3", pos="27", rc=False), p("INV-3", pos="29", rc=True)
    row = row_for(reconcile(books(bk), portal(pt)), bk)
    assert row["category"] == "mismatched"
    assert [d["field"] for d in row["differences"]] == ["pos", "reverse_charge"]


def test_blank_place_of_supply_in_books_is_not_a_difference():
    bk, pt = b("INV-3", pos=None), p("INV-3", pos="27")
    assert row_for(reconcile(books(bk), portal(pt)), bk)["category"] == "matched"


def _mixed_case():
    from engine_docs import BRANCH, OTHER

    bks = [
        b("INV-1", 2),
        b("INV-1", 3, occurrence=1),
        b("INV/2025-26/0045", 4),
        b("1045", 5),
        b("INV-60", 6, supplier=BRANCH),
        b("A-101", 7),
        b("X-1", 8, supplier=OTHER),
        b("INV-11", 9),
    ]
    pts = [
        p("INV-1"),
        p("INV-45", cgst=950.0),
        p("GST/1045"),
        p("INV-60"),
        p("A-110", taxable=20.0),
        p("X-2", supplier=OTHER),
        p("INV-111"),
    ]
    return books(*bks), portal(*pts)


def test_shuffled_input_gives_identical_output():
    bk, pt = _mixed_case()
    first = reconcile(bk, pt)
    for seed in (1, 2, 3):
        again = reconcile(
            bk.sample(fraction=1.0, shuffle=True, seed=seed), pt.sample(fraction=1.0, shuffle=True, seed=seed)
        )
        assert again.equals(first)


def test_results_hold_every_document_exactly_once():
    bk, pt = _mixed_case()
    results = reconcile(bk, pt)
    assert sorted(results["books_doc_id"].drop_nulls().to_list()) == sorted(bk["doc_id"].to_list())
    assert sorted(results["portal_doc_id"].drop_nulls().to_list()) == sorted(pt["doc_id"].to_list())
    assert set(results["category"].unique()) <= {"matched", "mismatched", "ims_only", "books_only"}
    assert results["result_id"].n_unique() == results.height


def test_results_are_ordered_by_category_then_supplier_then_number():
    bk, pt = _mixed_case()
    categories = reconcile(bk, pt)["category"].to_list()
    order = ["matched", "mismatched", "ims_only", "books_only"]
    assert categories == sorted(categories, key=order.index)


def test_empty_inputs_give_empty_results_of_the_schema():
    from recon.match.result import RESULT_SCHEMA

    results = reconcile(books(), portal())
    assert results.height == 0 and dict(results.schema) == RESULT_SCHEMA


def test_indian_rupee_formatting():
    assert format_rupees(1800.0) == "₹1,800.00"
    assert format_rupees(123456.5) == "₹1,23,456.50"
    assert format_rupees(12345678.9) == "₹1,23,45,678.90"
    assert format_rupees(999.99) == "₹999.99"
    assert format_rupees(100.0, signed=True) == "+₹100.00"
    assert format_rupees(-1200.0, signed=True) == "-₹1,200.00"


def test_rupee_expression_agrees_with_scalar():
    from recon.present import rupees_expr

    values = [0, 5, 99, 100, 99_999, 100_000, 12_345_678, 123_456_789_012, -120_000, 10**17]
    # Every length of rupees the scalar (a float) still holds to the paisa, so every grouping.
    values += [7 * 10**k + 10**k // 3 for k in range(16)]
    frame = pl.DataFrame({"paise": values}).select(rupees_expr(pl.col("paise"), signed=True).alias("text"))
    assert frame["text"].to_list() == [format_rupees(v / 100, signed=True) for v in values]


def test_generated_period_reconciles_identically_when_rows_are_shuffled():
    from recon.synth import generate

    corpus = generate(seed=99, n_docs=1000)
    first = reconcile(corpus.books, corpus.ims)
    shuffled = reconcile(
        corpus.books.sample(fraction=1.0, shuffle=True, seed=5),
        corpus.ims.sample(fraction=1.0, shuffle=True, seed=6),
    )
    assert shuffled.equals(first)
    assert (
        first.filter(pl.col("needs_review")).height > 0
    )  # the corpus holds suggestions, not only exact pairs


def test_today_is_passed_to_the_suggested_actions():
    # An open ims_only invoice: whether its s.16(4) deadline is near depends only on the pinned day.
    bk, pt = b("INV-5"), p("INV-9", taxable=5000.0)
    far, near = date(2000, 1, 1), date(2099, 1, 1)
    early = reconcile(books(bk), portal(pt), today=far)
    late = reconcile(books(bk), portal(pt), today=near)
    assert early.equals(reconcile(books(bk), portal(pt), today=far))
    assert not early["action_warnings"].equals(late["action_warnings"])
    assert any("s.16(4)" in w for w in row_for(late, pt)["action_warnings"])
