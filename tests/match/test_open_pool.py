"""The open pool (recon.pool): earlier GSTR-2B statements settle books documents, the rest meet IMS.

Each test builds the few documents of one situation a consultant meets across months and checks the tab
and the sentence they would see.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from engine_docs import OTHER, SUPPLIER, books, p, portal
from engine_docs import b as books_doc

from recon.match import reconcile
from recon.pool import POOL_COLUMNS, SETTLED, reconcile_open_pool
from recon.synth import generate

TODAY = date(2025, 11, 15)


def b(doc_no: str, *, booked: date | None = None, **kw) -> dict:
    """A books document booked on ``booked`` (its voucher date), by default on its own date."""
    doc = books_doc(doc_no, **kw)
    return {**doc, "voucher_date": booked or doc["doc_date"]}


def ims(*docs: dict, period: str = "102025") -> pl.DataFrame:
    """An inbox whose records carry the supplier period ``period`` unless a doc says otherwise."""
    frame = portal(*docs)
    return frame.with_columns(pl.col("supplier_period").fill_null(period))


def gstr2b(*docs: dict) -> pl.DataFrame:
    return portal(*docs)


def two_b(doc_no: str, **kw) -> dict:
    return p(doc_no, source="gstr2b", **kw)


def row_of(result: pl.DataFrame, books_id: str | None = None, portal_id: str | None = None) -> dict:
    chosen = result
    if books_id is not None:
        chosen = chosen.filter(pl.col("books_doc_id") == books_id)
    if portal_id is not None:
        chosen = chosen.filter(pl.col("portal_doc_id") == portal_id)
    assert chosen.height == 1, chosen.select("category", "books_doc_id", "portal_doc_id")
    return chosen.row(0, named=True)


def test_without_history_the_rows_are_the_engines_exactly():
    corpus = generate(seed=31, n_docs=800, period="102025")
    expected = reconcile(corpus.books, corpus.ims, today=TODAY)
    pooled = reconcile_open_pool(corpus.books, corpus.ims, [], today=TODAY)
    assert pooled.drop(POOL_COLUMNS).equals(expected)
    assert pooled.filter(pl.col("portal_doc_id").is_not_null())["portal_source"].unique().to_list() == ["ims"]


def test_a_document_in_an_earlier_2b_is_settled_not_a_new_invoice():
    booked = b("INV-101", on=date(2025, 9, 12))
    statement = two_b("INV-101", on=date(2025, 9, 12))
    other = p("INV-300", on=date(2025, 10, 3))
    result = reconcile_open_pool(books(booked), ims(other), [("092025", gstr2b(statement))], today=TODAY)
    settled = row_of(result, books_id=booked["doc_id"])
    assert settled["category"] == SETTLED
    assert settled["portal_doc_id"] == statement["doc_id"]
    assert (settled["portal_source"], settled["portal_period"], settled["books_period"]) == (
        "gstr2b",
        "092025",
        "092025",
    )
    assert settled["explanation"].startswith("booked Sep 2025; in GSTR-2B of Sep 2025.")
    assert settled["suggested_action"] is None  # not in the inbox any more: nothing to act on
    assert result.filter(pl.col("category") == "books_only").is_empty()
    assert row_of(result, portal_id=other["doc_id"])["category"] == "ims_only"


def test_a_bill_booked_before_the_supplier_filed_pairs_across_months():
    booked = b("INV-55", on=date(2025, 9, 28))
    record = p("INV-55", on=date(2025, 9, 28))  # in the supplier's October GSTR-1
    earlier = two_b("INV-20", on=date(2025, 9, 2))
    result = reconcile_open_pool(
        books(booked, b("INV-20", row=3, on=date(2025, 9, 2))),
        ims(record, period="102025"),
        [("092025", gstr2b(earlier))],
        today=TODAY,
    )
    pair = row_of(result, books_id=booked["doc_id"])
    assert pair["category"] == "matched" and pair["portal_doc_id"] == record["doc_id"]
    assert pair["explanation"].startswith("booked Sep 2025; in IMS from the supplier's Oct 2025 GSTR-1.")
    assert (pair["portal_source"], pair["portal_period"]) == ("ims", "102025")
    assert pair["suggested_action"] == "A"


def test_a_pending_record_of_last_month_meets_its_booking_of_last_month():
    booked = b("INV-7", on=date(2025, 8, 20), cgst=800.0, sgst=800.0)
    pending = {**p("INV-7", on=date(2025, 8, 20)), "ims_action": "P", "supplier_period": "082025"}
    result = reconcile_open_pool(
        books(booked), ims(pending), [("082025", gstr2b()), ("092025", gstr2b())], today=TODAY
    )
    pair = row_of(result, books_id=booked["doc_id"])
    assert pair["category"] == "mismatched" and pair["portal_doc_id"] == pending["doc_id"]
    assert pair["portal_period"] == "082025"


def test_a_2b_document_never_booked_is_history_not_this_runs_ims_only():
    unbooked = two_b("INV-999", supplier=OTHER, on=date(2025, 8, 5), igst=1800.0, cgst=0.0, sgst=0.0)
    record = p("INV-1", on=date(2025, 10, 2))
    result = reconcile_open_pool(
        books(b("INV-1", on=date(2025, 10, 2))), ims(record), [("082025", gstr2b(unbooked))], today=TODAY
    )
    assert unbooked["doc_id"] not in result["portal_doc_id"].to_list()
    assert result["category"].to_list() == ["matched"]


def test_the_same_number_in_the_previous_financial_year_never_pairs():
    last_year = b("INV-77", on=date(2025, 2, 10), taxable=4000.0, cgst=360.0, sgst=360.0)
    this_year = p("INV-77", on=date(2025, 10, 8))
    in_2b = two_b("INV-78", on=date(2025, 9, 8))
    result = reconcile_open_pool(books(last_year), ims(this_year), [("092025", gstr2b(in_2b))], today=TODAY)
    assert row_of(result, books_id=last_year["doc_id"])["category"] == "books_only"
    assert row_of(result, portal_id=this_year["doc_id"])["category"] == "ims_only"
    # Nor does a statement of this year settle last year's entry of that number.
    this_year_2b = two_b("INV-77", on=date(2025, 9, 8))
    result = reconcile_open_pool(books(last_year), ims(), [("092025", gstr2b(this_year_2b))], today=TODAY)
    assert result["category"].to_list() == ["books_only"]


def test_an_invoice_past_the_s16_4_deadline_is_kept_out_of_the_pool_and_says_why():
    old_invoice = b("INV-5", on=date(2023, 6, 15))
    old_note = b("CN-5", row=3, kind="credit_note", on=date(2023, 6, 15))
    record = p("INV-5", on=date(2023, 6, 15))
    note = p("CN-5", kind="credit_note", on=date(2023, 6, 15))
    result = reconcile_open_pool(books(old_invoice, old_note), ims(record, note), [], today=TODAY)
    kept_out = row_of(result, books_id=old_invoice["doc_id"])
    assert kept_out["category"] == "books_only"
    assert kept_out["explanation"].startswith(
        "Past the s.16(4) deadline of 30 Nov 2024 for the return of Oct 2025"
    )
    # A credit note reduces ITC: no deadline keeps it from its supplier's record.
    assert row_of(result, books_id=old_note["doc_id"])["category"] == "matched"


def test_a_rejected_2b_document_settles_nothing():
    booked = b("INV-40", on=date(2025, 9, 4))
    rejected = {**two_b("INV-40", on=date(2025, 9, 4)), "ims_action": "R"}
    result = reconcile_open_pool(books(booked), ims(), [("092025", gstr2b(rejected))], today=TODAY)
    assert row_of(result, books_id=booked["doc_id"])["category"] == "books_only"


def test_a_second_booking_of_a_settled_document_stays_a_duplicate():
    first = b("INV-60", on=date(2025, 8, 6))
    second = b("INV-60", row=3, on=date(2025, 8, 6), occurrence=1)
    statement = two_b("INV-60", on=date(2025, 8, 6))
    result = reconcile_open_pool(books(first, second), ims(), [("082025", gstr2b(statement))], today=TODAY)
    assert row_of(result, books_id=first["doc_id"])["category"] == SETTLED
    copy = row_of(result, books_id=second["doc_id"])
    assert copy["category"] == "books_only" and copy["duplicate_of"] == first["doc_id"]


def test_a_mismatch_in_an_earlier_2b_settles_with_its_differences():
    booked = b("INV-90", on=date(2025, 8, 16), taxable=10500.0, cgst=945.0, sgst=945.0)
    statement = two_b("INV-90", on=date(2025, 8, 16))
    result = reconcile_open_pool(books(booked), ims(), [("082025", gstr2b(statement))], today=TODAY)
    settled = row_of(result, books_id=booked["doc_id"])
    assert settled["category"] == SETTLED
    assert {d["field"] for d in settled["differences"]} >= {"taxable_value", "cgst", "sgst"}


def test_statements_settle_whatever_order_they_are_given_in():
    aug, sep = b("INV-1", on=date(2025, 8, 1)), b("INV-2", row=3, on=date(2025, 9, 1))
    history = [
        ("092025", gstr2b(two_b("INV-2", on=date(2025, 9, 1)))),
        ("082025", gstr2b(two_b("INV-1", on=date(2025, 8, 1)))),
    ]
    result = reconcile_open_pool(books(aug, sep), ims(), history, today=TODAY)
    periods = dict(zip(result["books_doc_id"], result["portal_period"], strict=True))
    assert periods == {aug["doc_id"]: "082025", sep["doc_id"]: "092025"}


def test_a_users_link_to_an_inbox_record_wins_over_an_earlier_statement():
    booked = b("INV-3", on=date(2025, 9, 9))
    statement = two_b("INV-3", on=date(2025, 9, 9))
    record = p("INV-3-R", on=date(2025, 9, 9))
    result = reconcile_open_pool(
        books(booked),
        ims(record),
        [("092025", gstr2b(statement))],
        today=TODAY,
        links=[(booked["doc_id"], record["doc_id"])],
    )
    pair = row_of(result, books_id=booked["doc_id"])
    assert (pair["category"], pair["basis"], pair["portal_doc_id"]) == ("matched", "manual", record["doc_id"])


def test_a_statement_period_that_is_not_mmyyyy_is_refused():
    with pytest.raises(ValueError, match="Sep-25"):
        reconcile_open_pool(books(), ims(), [("Sep-25", gstr2b())], today=TODAY)


def test_the_booking_month_is_the_voucher_dates_not_the_invoices():
    late = b("INV-8", on=date(2025, 9, 28), booked=date(2025, 10, 2))
    result = reconcile_open_pool(books(late), ims(), [], today=TODAY, import_period="112025")
    assert result["books_period"].to_list() == ["102025"]


def test_books_without_a_voucher_date_take_the_import_month_not_their_own_date():
    unbooked = {**b("INV-8", on=date(2025, 9, 28)), "voucher_date": None}
    undated = {**b("INV-9"), "doc_date": None, "voucher_date": None}
    result = reconcile_open_pool(books(unbooked, undated), ims(), [], today=TODAY, import_period="102025")
    assert result["books_period"].to_list() == ["102025", "102025"]


def test_without_an_import_month_the_register_belongs_to_the_period_worked_on():
    unbooked = {**b("INV-8", on=date(2025, 9, 28)), "voucher_date": None}
    inbox = ims(p("INV-70", on=date(2025, 11, 4)), period="112025")
    result = reconcile_open_pool(books(unbooked), inbox, [], today=TODAY)
    assert row_of(result, books_id=unbooked["doc_id"])["books_period"] == "112025"


def test_the_supplier_of_another_gstin_is_never_settled():
    booked = b("INV-4", supplier=OTHER, on=date(2025, 9, 3), igst=1800.0, cgst=0.0, sgst=0.0)
    statement = two_b("INV-4", supplier=SUPPLIER, on=date(2025, 9, 3))
    result = reconcile_open_pool(books(booked), ims(), [("092025", gstr2b(statement))], today=TODAY)
    assert row_of(result, books_id=booked["doc_id"])["category"] == "books_only"


def test_a_pair_the_user_unlinked_does_not_settle_again():
    booked = b("INV-12", on=date(2025, 9, 9))
    statement = two_b("INV-12", on=date(2025, 9, 9))
    result = reconcile_open_pool(
        books(booked),
        ims(),
        [("092025", gstr2b(statement))],
        today=TODAY,
        unlinks=[(booked["doc_id"], statement["doc_id"])],
    )
    assert row_of(result, books_id=booked["doc_id"])["category"] == "books_only"


# ---------------------------------------------------------------------------------------------------
# Quarterly (QRMP) recipients: one GSTR-2B per quarter (docs/reference/ims-rules.md §8)
# ---------------------------------------------------------------------------------------------------


def test_a_quarterly_2b_settles_every_month_of_its_quarter_and_names_the_quarter():
    july = b("INV-7", on=date(2025, 7, 4))
    august = b("INV-8", row=3, on=date(2025, 8, 19))
    statement = gstr2b(two_b("INV-7", on=date(2025, 7, 4)), two_b("INV-8", on=date(2025, 8, 19)))
    # Filed under the quarter's first month: still the July–September statement.
    result = reconcile_open_pool(
        books(july, august), ims(period="102025"), [("072025", statement)], today=TODAY, quarterly=True
    )
    for doc, month in ((july, "Jul"), (august, "Aug")):
        row = row_of(result, books_id=doc["doc_id"])
        assert (row["category"], row["portal_period"]) == (SETTLED, "092025")
        assert row["explanation"].startswith(f"booked {month} 2025; in GSTR-2B of Jul–Sep 2025.")


def test_a_quarterly_clients_s16_4_window_is_judged_from_the_quarters_start():
    """A 2024-25 invoice's deadline is 30 Nov 2025: past for December's monthly return, inside the
    October–December quarter's."""
    old = b("INV-24", on=date(2024, 12, 5))
    record = p("INV-24", on=date(2024, 12, 5))
    monthly = reconcile_open_pool(books(old), ims(record, period="122025"), [], today=TODAY)
    assert row_of(monthly, books_id=old["doc_id"])["explanation"].startswith("Past the s.16(4) deadline")
    quarterly = reconcile_open_pool(books(old), ims(record, period="122025"), [], today=TODAY, quarterly=True)
    assert row_of(quarterly, books_id=old["doc_id"])["category"] == "matched"


def test_a_statement_is_earlier_by_quarter_for_a_quarterly_client():
    from recon.pool import is_earlier_statement

    assert is_earlier_statement("102025", "112025")  # monthly: October's 2B is before November
    assert not is_earlier_statement("102025", "112025", quarterly=True)  # the same quarter's statement
    assert is_earlier_statement("092025", "102025", quarterly=True)
    assert is_earlier_statement("122025", "012026", quarterly=True)


# ---------------------------------------------------------------------------------------------------
# An inbox downloaded before the earlier month's GSTR-3B still lists records that 2B holds
# ---------------------------------------------------------------------------------------------------

STALE = "already in GSTR-2B of Sep 2025; the IMS download predates its GSTR-3B."


def test_an_inbox_copy_of_a_2b_document_never_booked_is_settled_alone_with_nothing_suggested():
    booked = b("INV-1", on=date(2025, 10, 2))
    statement = two_b("INV-40", on=date(2025, 9, 20))
    copy = {**p("INV/040", on=date(2025, 9, 20)), "supplier_period": "092025"}
    result = reconcile_open_pool(
        books(booked),
        ims(copy, p("INV-1", on=date(2025, 10, 2))),
        [("092025", gstr2b(statement))],
        today=TODAY,
    )
    row = row_of(result, portal_id=copy["doc_id"])
    assert (row["category"], row["books_doc_id"], row["suggested_action"]) == (SETTLED, None, None)
    assert row["explanation"].startswith(STALE)
    # The inbox's own record (it counts in the download's figures), in September's 2B.
    assert (row["portal_source"], row["portal_period"]) == ("ims", "092025")
    assert result.filter(pl.col("category") == "ims_only").is_empty()


def test_an_amendment_keeping_its_originals_number_is_a_new_record_not_a_stale_copy():
    statement = two_b("INV-40", on=date(2025, 9, 20))
    amended = p("INV-40", on=date(2025, 9, 20), section="b2ba", original_no="INV-40", taxable=9000.0)
    result = reconcile_open_pool(books(), ims(amended), [("092025", gstr2b(statement))], today=TODAY)
    assert row_of(result, portal_id=amended["doc_id"])["category"] == "ims_only"


def test_the_same_number_in_another_financial_year_is_no_stale_copy():
    statement = two_b("INV-40", on=date(2025, 9, 20))
    last_year = p("INV-40", on=date(2025, 2, 20))
    result = reconcile_open_pool(books(), ims(last_year), [("092025", gstr2b(statement))], today=TODAY)
    assert row_of(result, portal_id=last_year["doc_id"])["category"] == "ims_only"


def test_a_users_link_to_a_stale_copy_is_kept_and_the_pair_is_settled():
    booked = b("INV-40", on=date(2025, 9, 20))
    statement = two_b("INV-40", on=date(2025, 9, 20))
    copy = {**p("INV-40", on=date(2025, 9, 20)), "supplier_period": "092025"}
    result = reconcile_open_pool(
        books(booked),
        ims(copy),
        [("092025", gstr2b(statement))],
        today=TODAY,
        links=[(booked["doc_id"], copy["doc_id"])],
    )
    pair = row_of(result, books_id=booked["doc_id"])
    assert (pair["category"], pair["portal_doc_id"], pair["basis"]) == (SETTLED, copy["doc_id"], "manual")
    assert pair["explanation"].startswith(f"booked Sep 2025; {STALE}")
    assert result.height == 1
