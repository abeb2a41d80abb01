"""A client's months as one story, through the workspace: hand-written Aug–Oct files (tests/timeline_files.py).

An FY-to-date Tally register imported in October, August's and September's GSTR-2B, September's and
October's IMS inbox: what is settled is apart, what crossed months pairs and says so, last month's Pending
comes back with its remark and age, and the timeline and working paper tell the months.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import openpyxl
import polars as pl
import pytest
import sqlalchemy as sa
from timeline_files import CLIENT, OCTOBER_INBOX, SEPTEMBER_INBOX, fy_register, gstr2b, ims_inbox

from recon import figures
from recon.match import reconcile
from recon.store import Store, decisions
from recon.workspace import Workspace

AUG, SEP, OCT = "082025", "092025", "102025"


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace(Store(f"sqlite:///{tmp_path / 'w.db'}"), user="tester")
    yield workspace
    workspace.store.dispose()


def _import(ws, client_id, period, content: bytes, name: str) -> None:
    ws.import_file(client_id, period, content, name, mode="add", confirmed=True)


@pytest.fixture
def client(ws):
    """The whole story imported; September's Pending on SEP-2 decided with a remark, 34 days ago."""
    client = ws.create_client("Acme Industries", CLIENT, OCT)
    _import(ws, client.id, AUG, gstr2b(AUG, ["AUG-1"]), "2B_082025.json")
    _import(ws, client.id, SEP, gstr2b(SEP, ["AUG-2"]), "2B_092025.json")
    _import(ws, client.id, SEP, ims_inbox(SEPTEMBER_INBOX), "IMS_092025.json")
    # September's register booked AUG-2 at a wrong amount and held SEP-9, deleted from the books since.
    september_books = fy_register(["AUG-1", "AUG-2", "SEP-1", "SEP-2", "SEP-9"], taxable={"AUG-2": 24000.0})
    _import(ws, client.id, SEP, september_books, "Register_Sep.xlsx")
    sep_2 = ws.documents(client.id, SEP, "ims")["doc_id"].to_list()
    outcome = ws.set_action(client.id, SEP, sep_2, "P", remarks="Rate differs from PO; supplier to confirm")
    assert not outcome.refused
    _import(ws, client.id, OCT, fy_register(), "Register_FY.xlsx")
    _import(ws, client.id, OCT, ims_inbox(OCTOBER_INBOX), "IMS_102025.json")
    with ws.store.engine.begin() as conn:
        conn.execute(decisions.update().values(decided_at=datetime.now(UTC) - timedelta(days=34)))
    return client


def _row(review: pl.DataFrame, number: str) -> dict:
    return review.filter(pl.col("books_doc_no") == number).row(0, named=True)


def test_earlier_2bs_settle_their_documents_apart_from_the_four_tabs(ws, client):
    review = ws.review(client.id, OCT)
    settled = review.filter(pl.col("category") == "settled")
    assert sorted(settled["books_doc_no"]) == ["AUG-1", "AUG-2"]
    assert "in GSTR-2B of Sep 2025" in _row(review, "AUG-2")["explanation"]
    assert "in GSTR-2B of Aug 2025" in _row(review, "AUG-1")["explanation"]
    # Only OCT-2 (a Debit Note voucher no supplier reported) is New invoice in ITC and asked about.
    assert review.filter(pl.col("category") == "books_only")["books_doc_no"].to_list() == ["OCT-2"]
    assert list(ws.supplier_followups(client.id, OCT)) == [_row(review, "OCT-2")["supplier_gstin"]]
    totals = figures.tab_totals(review)
    assert sum(count for count, _ in totals.values()) == review.height - settled.height
    assert figures.itc_in_books(review) == round(
        review.filter(pl.col("category") != "settled")["itc"].sum(), 2
    )


def test_a_bill_booked_in_september_pairs_with_octobers_inbox_and_names_both_months(ws, client):
    row = _row(ws.review(client.id, OCT), "SEP-1")
    assert row["category"] == "matched"
    assert row["explanation"].startswith("booked Sep 2025; in IMS from the supplier's Oct 2025 GSTR-1.")


def test_last_months_pending_comes_back_with_its_remark_and_age(ws, client):
    row = _row(ws.review(client.id, OCT), "SEP-2")
    assert (row["category"], row["wanted_action"], row["action_source"]) == ("matched", "P", "user")
    assert row["remarks"] == "Rate differs from PO; supplier to confirm"
    assert row["memory"] == "decided 34 days ago, in Sep 2025"
    # A decision of this month carries no memory line.
    oct_1 = _row(ws.review(client.id, OCT), "OCT-1")
    assert oct_1["memory"] is None


def test_a_record_downloaded_again_with_other_amounts_is_flagged_not_sent(ws, client):
    changed = ims_inbox(OCTOBER_INBOX, taxable={"SEP-2": 9500.0})
    ws.import_file(client.id, OCT, changed, "IMS_102025_again.json", mode="replace", confirmed=True)
    row = _row(ws.review(client.id, OCT), "SEP-2")
    assert row["stale"] is True and row["stale_reason"]
    assert row["remarks"] == "Rate differs from PO; supplier to confirm"
    assert row["category"] == "mismatched"


def test_a_later_register_replaces_the_earlier_copy_of_the_same_documents(ws, client):
    # The FY register imported in October covers Aug–Oct: September's copy of those months is gone.
    books = ws.pool_books(client.id, OCT)
    assert books["doc_no"].sort().to_list() == ["AUG-1", "AUG-2", "OCT-1", "OCT-2", "SEP-1", "SEP-2"]
    assert books.filter(pl.col("doc_no") == "AUG-2")["taxable_value"].to_list() == [25000.0]
    review = ws.review(client.id, OCT)
    assert "SEP-9" not in review["books_doc_no"].to_list()
    assert _row(review, "AUG-2")["category"] == "settled"


def test_an_earlier_register_still_counts_for_months_no_later_register_covers(ws, client):
    ws.import_file(
        client.id,
        OCT,
        fy_register(["OCT-1", "OCT-2"]),
        "Register_Oct.xlsx",
        mode="replace",
        kind="books",
        confirmed=True,
    )
    books = ws.pool_books(client.id, OCT)
    assert "SEP-9" in books["doc_no"].to_list()  # September's register is the only copy of September now
    assert books.filter(pl.col("doc_no") == "AUG-2")["taxable_value"].to_list() == [24000.0]


def test_the_timeline_tells_each_month(ws, client):
    frame = ws.timeline(client.id, OCT)
    rows = {r["month"]: r for r in frame.iter_rows(named=True)}
    assert list(rows) == ["Aug 2025", "Sep 2025", "Oct 2025"]
    aug, sep, octo = rows["Aug 2025"], rows["Sep 2025"], rows["Oct 2025"]
    assert (aug["booked"], aug["settled"], aug["open"], aug["in_2b"]) == (2, 2, 0, 1)
    assert (sep["booked"], sep["settled"], sep["open"], sep["in_ims"], sep["in_2b"]) == (2, 0, 2, 1, 1)
    assert sep["oldest_open_days"] == (date(2025, 10, 31) - date(2025, 9, 10)).days
    assert sep["s16_deadline"] == date(2026, 11, 30)  # 30 November after FY 2025-26 ends
    assert (octo["booked"], octo["open"], octo["in_ims"]) == (2, 2, 2)
    assert octo["open_itc"] == octo["booked_itc"]  # nothing of October is settled yet
    # the credit note OCT-2 subtracts, with the figure the tabs use
    review = ws.review(client.id, OCT)
    oct_books = review.filter(pl.col("books_doc_no").is_in(["OCT-1", "OCT-2"]))
    assert octo["booked_itc"] == figures.itc_in_books(oct_books) < _row(review, "OCT-1")["itc"]


def test_the_working_paper_has_the_timeline_and_keeps_settled_documents_on_their_own_sheet(ws, client):
    book = openpyxl.load_workbook(io.BytesIO(ws.working_paper(client.id, OCT)))
    assert {"Timeline", "Settled in an earlier period"} <= set(book.sheetnames)
    settled = [r for r in book["Settled in an earlier period"].iter_rows(min_row=2, values_only=True)]
    assert sorted((r[2], r[5]) for r in settled) == [("AUG-1", "Aug 2025"), ("AUG-2", "Sep 2025")]
    new_invoices = [r for r in book["New invoice in ITC"].iter_rows(min_row=2, values_only=True)]
    assert not any("AUG-" in str(cell) for r in new_invoices for cell in r)
    months = [r[0] for r in book["Timeline"].iter_rows(min_row=2, values_only=True)]
    assert months == ["Aug 2025", "Sep 2025", "Oct 2025"]


def test_a_client_without_earlier_statements_is_reconciled_exactly_as_before(ws):
    client = ws.create_client("Acme Industries", CLIENT, OCT)
    _import(ws, client.id, OCT, fy_register(), "Register_FY.xlsx")
    _import(ws, client.id, OCT, ims_inbox(OCTOBER_INBOX), "IMS_102025.json")
    results = ws.results(client.id, OCT)
    plain = reconcile(ws.documents(client.id, OCT, "books"), ws.documents(client.id, OCT, "ims"))
    assert results.equals(plain)
    assert "books_period" not in results.columns
    with ws.store.engine.connect() as conn:  # the stored run's inputs carry nothing of the pool
        assert "history" not in conn.execute(sa.text("select inputs from results")).scalar()
