"""Pairing that never suggests rejecting a genuine invoice, as the consultant sees it at 1366 x 768.

The shapes of a real client's walk, in a hand-written Tally register (title rows, Tally column names) and
IMS download: invoice "132" booked under one registration of a supplier, the IMS record with the same
date and amounts under its other registration (same PAN), and an unrelated ₹44.64 invoice "132" of the
books' GSTIN; an invoice booked twice next to a different portal document whose number normalises alike.
"""

from __future__ import annotations

import re

import polars as pl
import pytest
from playwright.sync_api import expect
from test_figures import BETA, CLIENT_GSTIN, PERIOD, UMBRA, UMBRA_KA, Line, ims_download, tally_register

from recon.store import Store
from recon.workspace import Workspace

from .conftest import cell, login, open_tab, start_server, stop_server, wait_run_done

pytestmark = pytest.mark.browser
expect.set_options(timeout=30_000)

BOOKS = [
    Line(UMBRA, "132", "05-11-2025", 25000, cgst=2250, sgst=2250, name="Umbra Traders", voucher="1"),
    Line(BETA, "B-9", "08-11-2025", 10000, igst=1800, name="Beta Chemicals", voucher="2"),
    Line(BETA, "B-9", "08-11-2025", 10000, igst=1800, name="Beta Chemicals", voucher="3"),  # booked twice
]
IMS = [
    Line(UMBRA, "132", "12-06-2025", 37.83, cgst=3.40, sgst=3.41),  # unrelated, same number and GSTIN
    Line(UMBRA_KA, "132", "05-11-2025", 25000, igst=4500),  # the genuine one, other registration
    Line(BETA, "B-9", "08-11-2025", 10000, igst=1800),
    Line(BETA, "B/9", "20-11-2025", 500, igst=90),  # another document: its key is B9 too
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("pairing_evidence")
    url = f"sqlite:///{data / 'workbench.db'}"
    ws = Workspace(Store(url), user="test")
    client = ws.create_client("Asha Traders", CLIENT_GSTIN, PERIOD)
    ws.import_file(client.id, PERIOD, tally_register(BOOKS), "Purchase Register Nov.xlsx", kind="books")
    ws.import_file(client.id, PERIOD, ims_download(IMS), "IMS_Nov.json", kind="ims")
    review = ws.review(client.id, PERIOD)
    ws.store.dispose()
    process, address = start_server(data, demo=False)
    yield address, review
    stop_server(process)


@pytest.fixture(scope="module")
def page(chromium, server):
    context = chromium.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(server[0])
    login(page)
    wait_run_done(page)
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Reconcile").click()
    wait_run_done(page)
    yield page
    context.close()


def row_of(review: pl.DataFrame, **match) -> dict:
    rows = review.filter(pl.all_horizontal([pl.col(k) == v for k, v in match.items()]))
    assert rows.height == 1, (match, rows.select("category", "books_doc_no", "portal_doc_no"))
    return rows.row(0, named=True)


def test_the_genuine_invoice_pairs_with_the_agreeing_record_of_the_other_registration(page, server, shot_dir):
    review = server[1]
    genuine = row_of(review, books_doc_no="132")
    assert genuine["portal_supplier_gstin"] == UMBRA_KA, "paired with the record whose date and amounts agree"
    frame = open_tab(page, "Mismatched with ITC")
    expect(cell(frame, genuine["result_id"], "action")).not_to_have_text("Reject")
    expect(cell(frame, genuine["result_id"], "pair_to_confirm")).to_have_text(re.compile("confirm"))
    page.screenshot(path=str(shot_dir / "pairing_01_mismatched.png"))


def test_the_unrelated_same_number_record_waits_for_review_and_is_never_a_suggested_reject(
    page, server, shot_dir
):
    review = server[1]
    unrelated = row_of(review, portal_doc_no="132", portal_supplier_gstin=UMBRA)
    assert unrelated["category"] == "ims_only"
    frame = open_tab(page, "Not found in ITC")
    expect(cell(frame, unrelated["result_id"], "action")).to_have_text("Pending")
    page.screenshot(path=str(shot_dir / "pairing_02_not_found.png"))


def test_a_double_booking_never_pairs_with_a_different_document(page, server, shot_dir):
    review = server[1]
    other = row_of(review, portal_doc_no="B/9")
    assert other["category"] == "ims_only", "the ₹590 document B/9 is not the second copy's partner"
    second = review.filter((pl.col("books_doc_no") == "B-9") & pl.col("portal_doc_id").is_null())
    assert second.height == 1 and second["duplicate_of"].item() is not None
    frame = open_tab(page, "New invoice in ITC")
    expect(cell(frame, second["result_id"].item(), "explanation")).to_contain_text(
        re.compile("duplicate|twice", re.IGNORECASE)
    )
    page.screenshot(path=str(shot_dir / "pairing_03_new_invoice.png"))


def test_no_tab_suggests_a_reject(page, server):
    assert "R" not in server[1]["suggested_action"].drop_nulls().to_list()
    for label in ("Matched with ITC", "Mismatched with ITC", "Not found in ITC"):
        frame = open_tab(page, label)
        expect(frame.locator('[col-id="action"]', has_text="Reject")).to_have_count(0)
