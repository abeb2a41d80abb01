"""A number with unrelated amounts never wins over a document that agrees, and never earns a Reject.

The shapes come from a real client's walk: invoice "132" of one registration paired with an unrelated
₹44.64 invoice "132" of the same GSTIN while the agreeing record sat under the supplier's other
registration; a double-booked copy paired with a different portal document of unrelated amount.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from engine_docs import BRANCH, OTHER, SUPPLIER, b, books, p, portal

from recon.match import Settings, reconcile

TODAY = date(2025, 12, 5)
BILLED = date(2025, 11, 3)


def pairs_of(results: pl.DataFrame) -> set[tuple[str, str]]:
    paired = results.filter(pl.col("books_doc_id").is_not_null() & pl.col("portal_doc_id").is_not_null())
    return set(zip(paired["books_doc_id"], paired["portal_doc_id"], strict=True))


def row_for(results: pl.DataFrame, doc: dict) -> dict:
    col = "books_doc_id" if doc["source"] == "books" else "portal_doc_id"
    found = results.filter(pl.col(col) == doc["doc_id"])
    assert found.height == 1, f"{doc['doc_no']} appears {found.height} times"
    return found.row(0, named=True)


def genuine(source: str, doc_no: str, **kw) -> dict:
    """A ₹25,000 + 18 % intra-state invoice dated 3 November."""
    values = {"taxable": 25000.0, "cgst": 2250.0, "sgst": 2250.0, "on": BILLED, **kw}
    return b(doc_no, **values) if source == "books" else p(doc_no, **values)


def small_unrelated(doc_no: str, **kw) -> dict:
    """The ₹44.64 invoice (₹37.83 + 18 %) of June that happens to carry the same number."""
    values = {"taxable": 37.83, "cgst": 3.40, "sgst": 3.41, "on": date(2025, 6, 12), **kw}
    return p(doc_no, **values)


# --- 1. one PAN, two registrations, one number ------------------------------------------------------


def test_the_agreeing_record_of_the_other_registration_wins_over_an_unrelated_same_gstin_invoice():
    booked = genuine("books", "132", rows=[14])
    unrelated = small_unrelated("132")
    # The supplier billed from its Karnataka registration: IGST instead of CGST + SGST, same total.
    agreeing = genuine("ims", "132", supplier=BRANCH, cgst=0.0, sgst=0.0, igst=4500.0)
    results = reconcile(books(booked), portal(unrelated, agreeing), today=TODAY)

    assert pairs_of(results) == {(booked["doc_id"], agreeing["doc_id"])}
    pair = row_for(results, agreeing)
    assert (pair["category"], pair["basis"], pair["needs_review"]) == ("mismatched", "pan", True)
    # Nothing is sent until the consultant confirms the pair, and the reason says why this partner.
    assert pair["suggested_action"] == "N"
    assert (
        "another registration of this supplier (same PAN) has the same amounts and the same date"
        in pair["action_reason"]
    )
    assert (
        "the portal's document 132 under the books GSTIN has unrelated amounts (taxable ₹37.83)"
        in pair["action_reason"]
    )
    assert "Confirm or unlink the pair first" in pair["action_reason"]

    left = row_for(results, unrelated)
    assert left["category"] == "ims_only"
    assert left["suggested_action"] == "P"
    assert "never rejected automatically" in left["action_reason"]
    assert "R" not in set(results["suggested_action"].drop_nulls())


def test_the_same_holds_when_the_books_carry_the_number_under_both_registrations():
    # The portal's record is the agreeing one; the books hold an unrelated small bill under its GSTIN.
    record = genuine("ims", "132")
    unrelated_entry = b("132", rows=[9], taxable=37.83, cgst=3.40, sgst=3.41, on=date(2025, 6, 12))
    # Booked two days after the supplier's date, under the Karnataka registration.
    booked_branch = genuine("books", "132", rows=[15], supplier=BRANCH, on=date(2025, 11, 5))
    results = reconcile(books(unrelated_entry, booked_branch), portal(record), today=TODAY)

    assert pairs_of(results) == {(booked_branch["doc_id"], record["doc_id"])}
    pair = row_for(results, record)
    assert (pair["basis"], pair["suggested_action"]) == ("pan", "N")
    assert "(same PAN) has the same amounts and dates 2 days apart" in pair["action_reason"]
    assert (
        "your books' entry 132 under the portal's GSTIN has unrelated amounts (taxable ₹37.83)"
        in pair["action_reason"]
    )
    assert row_for(results, unrelated_entry)["category"] == "books_only"


def test_without_an_agreeing_registration_the_number_still_pairs_but_is_not_rejected():
    booked = genuine("books", "132", rows=[14])
    unrelated = small_unrelated("132")
    results = reconcile(books(booked), portal(unrelated), today=TODAY)

    pair = row_for(results, unrelated)
    assert (pair["category"], pair["basis"], pair["books_doc_id"]) == (
        "mismatched",
        "exact",
        booked["doc_id"],
    )
    assert pair["suggested_action"] == "P"
    assert "the taxable value and the date differ as well" in pair["action_reason"]
    assert "A Reject needs the number, taxable value and date to agree" in pair["action_reason"]


def test_a_registration_that_does_not_agree_in_date_does_not_take_the_pair():
    booked = genuine("books", "132", rows=[14])
    unrelated = small_unrelated("132")
    months_later = genuine("ims", "132", supplier=BRANCH, on=date(2026, 2, 20))
    results = reconcile(books(booked), portal(unrelated, months_later), today=TODAY)

    assert pairs_of(results) == {(booked["doc_id"], unrelated["doc_id"])}
    assert row_for(results, months_later)["category"] == "ims_only"


def test_an_unlinked_registration_pair_is_not_made_again():
    booked = genuine("books", "132", rows=[14])
    unrelated = small_unrelated("132")
    agreeing = genuine("ims", "132", supplier=BRANCH)
    results = reconcile(
        books(booked),
        portal(unrelated, agreeing),
        unlinks=[(booked["doc_id"], agreeing["doc_id"])],
        today=TODAY,
    )
    assert pairs_of(results) == {(booked["doc_id"], unrelated["doc_id"])}


# --- 2. a double booking next to an unrelated document of the same number ---------------------------


def test_a_double_booked_copy_does_not_pair_with_an_unrelated_portal_document_of_the_same_number():
    first = b("INV-77", rows=[5], taxable=12000.0, cgst=1080.0, sgst=1080.0)
    # The same invoice booked again weeks later, on two rate rows of the register.
    again = b("INV-77", rows=[40, 41], taxable=12000.0, cgst=1080.0, sgst=1080.0, occurrence=1)
    invoice = p("INV-77", taxable=12000.0, cgst=1080.0, sgst=1080.0)
    unrelated = p("INV/077", taxable=37.83, cgst=3.40, sgst=3.41, on=date(2025, 9, 1))
    results = reconcile(books(first, again), portal(invoice, unrelated), today=TODAY)

    assert pairs_of(results) == {(first["doc_id"], invoice["doc_id"])}
    assert row_for(results, invoice)["category"] == "matched"
    copy = row_for(results, again)
    assert (copy["category"], copy["duplicate_of"]) == ("books_only", first["doc_id"])
    assert "duplicate of row 5" in copy["explanation"]
    left = row_for(results, unrelated)
    assert (left["category"], left["suggested_action"]) == ("ims_only", "P")


def test_two_copies_each_with_an_agreeing_document_both_pair():
    # Same key, different invoices (A/1003 and A10/03): each agrees with its own portal record.
    one = b("A/1003", rows=[3], taxable=5000.0, cgst=450.0, sgst=450.0)
    two = b("A10/03", rows=[8], taxable=7300.0, cgst=657.0, sgst=657.0)
    results = reconcile(
        books(one, two),
        portal(
            p("A/1003", taxable=5000.0, cgst=450.0, sgst=450.0),
            p("A10/03", taxable=7300.0, cgst=657.0, sgst=657.0),
        ),
        today=TODAY,
    )
    assert len(pairs_of(results)) == 2
    assert set(results["category"]) == {"matched"}


# --- 3. a Reject only on strong evidence; review when a better candidate is left over ---------------


def wrong_rate_pair() -> tuple[dict, dict]:
    """Books at 18 %; the supplier reported 36 % on the same number, value and date."""
    booked = b("2127", rows=[22], taxable=612.0, cgst=55.08, sgst=55.08, on=BILLED)
    reported = p("2127", taxable=612.0, cgst=110.16, sgst=110.16, on=BILLED)
    return booked, reported


def test_a_wrong_rate_on_the_same_number_value_and_date_is_rejected_and_says_why():
    booked, reported = wrong_rate_pair()
    results = reconcile(books(booked), portal(reported), today=TODAY)

    pair = row_for(results, reported)
    assert (pair["category"], pair["suggested_action"]) == ("mismatched", "R")
    assert (
        "the tax amounts are more than 20% apart) on the document in your books "
        "(the number, taxable value and date agree)" in pair["action_reason"]
    )


def test_a_suggested_reject_becomes_review_when_a_better_candidate_is_unpaired():
    booked, reported = wrong_rate_pair()
    # Another record of the same PAN, same day, whose amounts agree with the book entry (95 paise off).
    better = p("5521", supplier=BRANCH, taxable=612.95, igst=110.16, cgst=0.0, sgst=0.0, on=BILLED)
    unrelated_supplier = p("9001", supplier=OTHER, taxable=612.0, cgst=55.08, sgst=55.08, on=BILLED)
    results = reconcile(books(booked), portal(reported, better, unrelated_supplier), today=TODAY)

    assert pairs_of(results) == {(booked["doc_id"], reported["doc_id"])}
    pair = row_for(results, reported)
    assert (pair["category"], pair["needs_review"], pair["suggested_action"]) == ("mismatched", True, "N")
    assert (
        f"a better candidate is unpaired: the IMS document 5521 of {BRANCH} dated 03-11-2025 "
        "(the same date as your books' entry) has the amounts of your books' entry, where this pair's "
        "amounts differ" in pair["action_reason"]
    )
    assert "check which document this is before acting" in pair["action_reason"]
    assert "reject" not in pair["action_reason"].lower()
    assert row_for(results, better)["suggested_action"] == "P"


def test_with_pan_matching_off_another_registration_is_no_better_candidate():
    booked, reported = wrong_rate_pair()
    better = p("5521", supplier=BRANCH, taxable=612.0, igst=110.16, cgst=0.0, sgst=0.0, on=BILLED)
    results = reconcile(books(booked), portal(reported, better), Settings(pan_matching=False), today=TODAY)
    pair = row_for(results, reported)
    assert (pair["needs_review"], pair["suggested_action"]) == (False, "R")


def test_a_leftover_book_entry_that_agrees_with_the_portal_record_also_asks_for_review():
    booked, reported = wrong_rate_pair()
    # The books also hold the supplier's document under its own number at the portal's figures.
    other_entry = b("2172-A", rows=[30], taxable=612.0, cgst=110.16, sgst=110.16, on=date(2025, 11, 5))
    results = reconcile(books(booked, other_entry), portal(reported), today=TODAY)

    pair = row_for(results, reported)
    assert pair["books_doc_id"] == booked["doc_id"] and pair["suggested_action"] == "N"
    assert (
        f"the book entry 2172-A of {SUPPLIER} dated 05-11-2025 (2 days from this IMS record) has the amounts "
        "of this IMS record" in pair["action_reason"]
    )


# --- together, and in any row order -----------------------------------------------------------------


def the_real_walk() -> tuple[list[dict], list[dict]]:
    """'132' booked twice next to both registrations' records, plus a wrong-rate pair with a better leftover."""
    booked = [
        genuine("books", "132", rows=[14]),
        genuine("books", "132", rows=[51], occurrence=1),
        b("2127", rows=[22], taxable=612.0, cgst=55.08, sgst=55.08, on=BILLED),
    ]
    reported = [
        small_unrelated("132"),
        genuine("ims", "132", supplier=BRANCH, cgst=0.0, sgst=0.0, igst=4500.0),
        p("2127", taxable=612.0, cgst=110.16, sgst=110.16, on=BILLED),
        p("5521", supplier=BRANCH, taxable=612.0, igst=110.16, cgst=0.0, sgst=0.0, on=BILLED),
    ]
    return booked, reported


def test_a_double_booked_132_pairs_once_with_the_agreeing_registration_and_rejects_nothing():
    booked, reported = the_real_walk()
    results = reconcile(books(*booked), portal(*reported), today=TODAY)

    first, again, _ = booked
    unrelated, agreeing, _, _ = reported
    assert (first["doc_id"], agreeing["doc_id"]) in pairs_of(results)
    copy = row_for(results, again)
    assert (copy["category"], copy["duplicate_of"]) == ("books_only", first["doc_id"])
    assert row_for(results, unrelated)["category"] == "ims_only"
    assert "R" not in set(results["suggested_action"].drop_nulls())


def test_the_outcome_does_not_depend_on_the_order_of_the_rows():
    booked, reported = the_real_walk()
    expected = reconcile(books(*booked), portal(*reported), today=TODAY)
    for seed in range(6):
        shuffled_books = books(*booked).sample(fraction=1.0, shuffle=True, seed=seed)
        shuffled_portal = portal(*reported).sample(fraction=1.0, shuffle=True, seed=seed + 100)
        assert reconcile(shuffled_books, shuffled_portal, today=TODAY).equals(expected)
