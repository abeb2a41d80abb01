"""Which documents the engine pairs, and which it refuses: the classic traps of the field."""

from __future__ import annotations

from datetime import date

import polars as pl
from engine_docs import BRANCH, OTHER, SUPPLIER, b, books, p, portal

from recon.match import reconcile


def pairs_of(results: pl.DataFrame) -> set[tuple[str, str]]:
    paired = results.filter(pl.col("books_doc_id").is_not_null() & pl.col("portal_doc_id").is_not_null())
    return set(zip(paired["books_doc_id"], paired["portal_doc_id"], strict=True))


def only(results: pl.DataFrame, category: str) -> pl.DataFrame:
    return results.filter(pl.col("category") == category)


def row_for(results: pl.DataFrame, doc: dict) -> dict:
    col = "books_doc_id" if doc["source"] == "books" else "portal_doc_id"
    found = results.filter(pl.col(col) == doc["doc_id"])
    assert found.height == 1, f"{doc['doc_no']} appears {found.height} times"
    return found.row(0, named=True)


# --- exact and normalised ---------------------------------------------------------------------------


def test_exact_number_pairs_and_is_matched():
    bk, pt = b("INV-45"), p("INV-45")
    results = reconcile(books(bk), portal(pt))
    row = row_for(results, bk)
    assert (row["category"], row["basis"], row["score"]) == ("matched", "exact", 100.0)
    assert row["portal_doc_id"] == pt["doc_id"]


def test_case_only_difference_is_the_same_number():
    bk, pt = b("inv001"), p("INV001")
    row = row_for(reconcile(books(bk), portal(pt)), bk)
    assert row["portal_doc_id"] == pt["doc_id"] and row["category"] == "matched"


def test_fy_token_and_zeros_pair_on_normalised_number():
    bk, pt = b("INV/2425/017", on=date(2024, 11, 5)), p("INV/017", on=date(2024, 11, 5))
    row = row_for(reconcile(books(bk), portal(pt)), bk)
    assert row["portal_doc_id"] == pt["doc_id"]
    assert row["basis"] == "normalised" and row["category"] == "matched"
    assert "INV17" in row["explanation"] and "INV/2425/017" in row["explanation"]


def test_normalised_pair_with_value_difference_explains_it():
    bk = b("INV/2025-26/0045", igst=1800.0, cgst=0.0, sgst=0.0)
    pt = p("INV-45", igst=1900.0, cgst=0.0, sgst=0.0)
    row = row_for(reconcile(books(bk), portal(pt)), bk)
    assert row["category"] == "mismatched"
    assert row["differences"] == [
        {"field": "igst", "books": "1800.00", "portal": "1900.00", "difference": 100.0}
    ]
    assert row["explanation"] == (
        "Paired on the normalised number INV45 (books INV/2025-26/0045, portal INV-45). "
        "IGST differs: books ₹1,800.00, portal ₹1,900.00 (+₹100.00)."
    )


def test_dot_in_number_is_formatting():
    bk, pt = b("A.123"), p("A123")
    assert pairs_of(reconcile(books(bk), portal(pt))) == {(bk["doc_id"], pt["doc_id"])}


# --- confusable numbers: never paired ----------------------------------------------------------------


def _never_paired(books_no: str, portal_no: str, **amounts) -> None:
    bk, pt = b(books_no, **amounts), p(portal_no, **amounts)
    results = reconcile(books(bk), portal(pt))
    assert pairs_of(results) == set()
    assert row_for(results, bk)["category"] == "books_only"
    assert row_for(results, pt)["category"] == "ims_only"


def test_1_vs_11_not_paired_even_with_same_amount_and_date():
    _never_paired("1", "11")


def test_123_vs_1234_not_paired():
    _never_paired("123", "1234")


def test_bill_40_vs_45_not_paired_even_with_same_amount_and_date():
    _never_paired("BILL-23-00040", "BILL-23-00045")


def test_same_amount_same_day_different_numbers_not_paired():
    _never_paired("INV-7", "INV-8")


def test_a101_vs_a110_with_different_amounts_not_paired():
    bk, pt = b("A-101", taxable=5000.0), p("A-110", taxable=5200.0)
    assert pairs_of(reconcile(books(bk), portal(pt))) == set()


def test_when_both_confusable_documents_exist_each_pairs_with_itself():
    b1, b11 = b("1", 2), b("11", 3)
    p1, p11 = p("1"), p("11")
    results = reconcile(books(b1, b11), portal(p11, p1))
    assert pairs_of(results) == {(b1["doc_id"], p1["doc_id"]), (b11["doc_id"], p11["doc_id"])}


def test_leftover_names_nearest_candidate_and_why_not():
    bk, pt = b("INV-45"), p("INV-40", taxable=11200.0)
    results = reconcile(books(bk), portal(pt))
    row = row_for(results, bk)
    assert row["nearest_doc_id"] == pt["doc_id"]
    assert "INV-45 vs INV-40: digits differ" in row["nearest_reason"]
    assert "taxable value differs by ₹1,200.00" in row["nearest_reason"]


def test_leftover_without_any_document_of_the_supplier_says_so():
    bk, pt = b("INV-45"), p("INV-45", supplier=OTHER)
    row = row_for(reconcile(books(bk), portal(pt)), bk)
    assert row["nearest_doc_id"] is None
    assert "No document of this supplier in IMS" in row["nearest_reason"]


# --- fuzzy: suggestions to confirm --------------------------------------------------------------------


def test_partial_number_in_books_is_suggested_when_amounts_agree():
    bk, pt = b("1045"), p("GST/1045")
    row = row_for(reconcile(books(bk), portal(pt)), bk)
    assert row["portal_doc_id"] == pt["doc_id"]
    assert row["basis"] == "fuzzy" and row["needs_review"] is True
    assert row["score"] < 100


def test_partial_number_with_different_amounts_is_not_paired():
    bk, pt = b("1045", taxable=10000.0), p("GST/1045", taxable=10500.0)
    assert pairs_of(reconcile(books(bk), portal(pt))) == set()


def test_letter_typo_paired_as_fuzzy_suggestion():
    bk, pt = b("INVO045"), p("INV-045")  # letter O typed for a zero-like gap
    row = row_for(reconcile(books(bk), portal(pt)), bk)
    assert row["portal_doc_id"] == pt["doc_id"] and row["basis"] == "fuzzy" and row["needs_review"]


def test_swapped_digits_suggested_only_when_everything_agrees_exactly():
    bk, pt = b("INV-1234"), p("INV-1243")
    row = row_for(reconcile(books(bk), portal(pt)), bk)
    assert row["portal_doc_id"] == pt["doc_id"] and row["basis"] == "fuzzy" and row["needs_review"]
    assert "swapped" in row["review_reason"]


def test_swapped_digits_with_a_paisa_difference_not_paired():
    bk, pt = b("INV-1234", cgst=900.0), p("INV-1243", cgst=900.01)
    assert pairs_of(reconcile(books(bk), portal(pt))) == set()


def test_fuzzy_never_crosses_suppliers():
    bk, pt = b("1045"), p("GST/1045", supplier=OTHER)
    assert pairs_of(reconcile(books(bk), portal(pt))) == set()


# --- kinds and signs ---------------------------------------------------------------------------------


def test_credit_note_pairs_only_with_credit_note():
    # The reader stores a negative purchase return as a positive credit note; the portal note is positive.
    bk = b("CN-7", kind="credit_note")
    pt_invoice, pt_note = p("CN-7"), p("CN-7", kind="credit_note")
    results = reconcile(books(bk), portal(pt_invoice, pt_note))
    assert pairs_of(results) == {(bk["doc_id"], pt_note["doc_id"])}
    assert row_for(results, pt_invoice)["category"] == "ims_only"


def test_debit_note_does_not_pair_with_invoice_of_same_number():
    bk, pt = b("DN-3", kind="debit_note"), p("DN-3")
    assert pairs_of(reconcile(books(bk), portal(pt))) == set()


# --- duplicates --------------------------------------------------------------------------------------


def test_double_booking_pairs_once_and_the_copy_is_a_duplicate():
    first, copy = b("INV-9", 4), b("inv/9", 9, occurrence=1)
    pt = p("INV-9")
    results = reconcile(books(copy, first), portal(pt))
    assert pairs_of(results) == {(first["doc_id"], pt["doc_id"])}
    dup = row_for(results, copy)
    assert dup["category"] == "books_only"
    assert dup["duplicate_of"] == first["doc_id"]
    assert "duplicate of row 4" in dup["explanation"]


def test_double_booking_without_portal_document_marks_the_later_copy():
    first, copy = b("INV-9", 4), b("INV-9", 9, occurrence=1)
    results = reconcile(books(first, copy), portal())
    assert row_for(results, first)["duplicate_of"] is None
    assert row_for(results, copy)["duplicate_of"] == first["doc_id"]


# --- amendments --------------------------------------------------------------------------------------


def test_amendment_pairs_through_original_number_and_date():
    bk = b("INV-50", on=date(2025, 11, 3))
    amended = p(
        "INV-50A",
        section="b2ba",
        on=date(2025, 11, 20),
        original_no="INV-50",
        original_date=date(2025, 11, 3),
    )
    row = row_for(reconcile(books(bk), portal(amended)), bk)
    assert row["portal_doc_id"] == amended["doc_id"]
    assert row["category"] == "matched"
    assert "original number INV-50" in row["explanation"]


def test_amendment_with_reduced_value_is_mismatched_on_the_new_amounts():
    bk = b("INV-51", taxable=10000.0)
    amended = p(
        "INV-51", section="b2ba", taxable=9000.0, original_no="INV-51", original_date=date(2025, 11, 7)
    )
    row = row_for(reconcile(books(bk), portal(amended)), bk)
    assert row["category"] == "mismatched"
    assert [d["field"] for d in row["differences"]] == ["taxable_value"]


# --- FY boundary -------------------------------------------------------------------------------------


def test_31_march_vs_1_april_is_a_suggestion_with_the_date_named():
    bk, pt = b("S-88", on=date(2025, 3, 31)), p("S-88", on=date(2025, 4, 1))
    row = row_for(reconcile(books(bk), portal(pt)), bk)
    assert row["portal_doc_id"] == pt["doc_id"]
    assert row["needs_review"] is True and row["category"] == "mismatched"
    assert [d["field"] for d in row["differences"]] == ["doc_date"]
    assert "financial year" in row["review_reason"]


def test_same_number_a_year_apart_is_not_paired():
    bk, pt = b("S-88", on=date(2024, 11, 7)), p("S-88", on=date(2025, 11, 7))
    assert pairs_of(reconcile(books(bk), portal(pt))) == set()


# --- PAN level ---------------------------------------------------------------------------------------


def test_branch_gstin_of_same_pan_is_a_gstin_mismatch_never_matched():
    bk = b("INV-60", supplier=BRANCH, igst=0.0, cgst=900.0, sgst=900.0)
    pt = p("INV-60", supplier=SUPPLIER, igst=1800.0, cgst=0.0, sgst=0.0)
    row = row_for(reconcile(books(bk), portal(pt)), bk)
    assert row["portal_doc_id"] == pt["doc_id"]
    assert (row["basis"], row["category"], row["needs_review"]) == ("pan", "mismatched", True)
    fields = [d["field"] for d in row["differences"]]
    assert fields[0] == "supplier_gstin" and {"igst", "cgst", "sgst"} <= set(fields)


def test_mistyped_books_gstin_pairs_at_pan_level():
    typo = SUPPLIER[:5] + ("B" if SUPPLIER[5] != "B" else "C") + SUPPLIER[6:]
    bk, pt = b("INV-61", supplier=typo), p("INV-61")
    assert bk["gstin_valid"] is False
    row = row_for(reconcile(books(bk), portal(pt)), bk)
    assert row["portal_doc_id"] == pt["doc_id"] and row["basis"] == "pan" and row["category"] == "mismatched"
    assert "check character" in row["review_reason"]


def test_pan_matching_can_be_switched_off():
    from recon.match import Settings

    bk, pt = b("INV-60", supplier=BRANCH), p("INV-60")
    results = reconcile(books(bk), portal(pt), Settings(pan_matching=False))
    assert pairs_of(results) == set()


# --- not in IMS --------------------------------------------------------------------------------------


def test_reverse_charge_book_entry_is_not_missing_from_ims():
    bk = b("RCM-1", rc=True)
    row = row_for(reconcile(books(bk), portal()), bk)
    assert row["category"] == "books_only"
    assert row["not_in_ims_reason"] == "reverse charge — not an IMS record, reconcile against 2B"


def test_2b_record_with_itc_not_available_carries_reason():
    pt = p("INV-70", source="gstr2b", itc_available="N")
    row = row_for(reconcile(books(), portal(pt)), pt)
    assert row["category"] == "ims_only" and row["not_in_ims_reason"].startswith("ITC not available")


def test_entries_without_a_number_are_neither_pairs_nor_duplicates():
    first, second = b("", 2), b("", 3, occurrence=1)
    pt = p("INV-9", taxable=55.0)
    results = reconcile(books(first, second), portal(pt))
    assert pairs_of(results) == set()
    assert row_for(results, second)["duplicate_of"] is None
