"""A client's months as one story, in a real browser at 1366 × 768 (issue 12).

Last month's work is on record (September's IMS inbox and register, a Pending with a remark decided 34
days ago, periods Aug and Sep opened). In the browser the consultant imports August's and September's
GSTR-2B into their months, then October's financial-year-to-date register (a hand-written Tally export
spanning Aug–Oct) and October's IMS inbox, and opens Reconcile: the cross-period pairs are on the tabs,
the settled documents are apart, and last month's Pending is still there with its remark and age.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from handwritten_files import CLIENT_B
from playwright.sync_api import expect
from timeline_files import CLIENT, OCTOBER_INBOX, SEPTEMBER_INBOX, fy_register, gstr2b, ims_inbox

from recon.store import Store, decisions
from recon.workspace import Workspace

from .conftest import GRID, login, tab, wait_run_done

pytestmark = pytest.mark.browser
expect.set_options(timeout=30_000)

NAME = "Acme Industries"
AUG, SEP, OCT = "082025", "092025", "102025"
REMARK = "Rate differs from PO; supplier to confirm"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("timeline_files")
    written = {
        "2B_082025.json": gstr2b(AUG, ["AUG-1"]),
        "2B_092025.json": gstr2b(SEP, ["AUG-2"]),
        "Purchase_Register_FY2025-26.xlsx": fy_register(),
        "IMS_102025.json": ims_inbox(OCTOBER_INBOX),
    }
    for name, content in written.items():
        (folder / name).write_bytes(content)
    return {name: folder / name for name in written}


@pytest.fixture(scope="module")
def last_month(server):
    """September as it was left: its inbox and register, SEP-2 kept Pending with a remark 34 days ago."""
    ws = Workspace(Store(server[1]), user="admin")
    client = ws.create_client(NAME, CLIENT, OCT)
    for period in (AUG, SEP):
        ws.store.ensure_period(client.id, period)
    ws.import_file(client.id, SEP, ims_inbox(SEPTEMBER_INBOX), "IMS_092025.json", confirmed=True)
    ws.import_file(
        client.id,
        SEP,
        fy_register(["AUG-1", "AUG-2", "SEP-1", "SEP-2"]),
        "Register_Sep.xlsx",
        kind="books",
        confirmed=True,
    )
    sep_2 = ws.documents(client.id, SEP, "ims")["doc_id"].to_list()
    assert not ws.set_action(client.id, SEP, sep_2, "P", remarks=REMARK).refused
    with ws.store.engine.begin() as conn:
        conn.execute(decisions.update().values(decided_at=datetime.now(UTC) - timedelta(days=34)))
    yield ws, client
    ws.store.dispose()


@pytest.fixture(scope="module")
def page(chromium, server, last_month):
    context = chromium.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(server[0])
    login(page)
    wait_run_done(page)
    yield page
    context.close()


def shot(page, shot_dir, name: str) -> None:
    wait_run_done(page)
    page.wait_for_timeout(500)
    page.screenshot(path=str(shot_dir / f"open_pool_{name}.png"))


def open_page(page, name: str) -> None:
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=name).click()
    wait_run_done(page)


def pick_period(page, label: str) -> None:
    box = page.get_by_test_id("stSidebar").get_by_role("combobox", name="Return period")
    box.click()
    page.get_by_role("option", name=label, exact=True).click()
    wait_run_done(page)
    expect(box).to_have_value(label)


def import_portal_file(page, path) -> None:
    uploader = page.get_by_test_id("stFileUploader").nth(1)
    uploader.locator('input[type="file"]').set_input_files(str(path))
    expect(page.get_by_text(f"Selected: {path.name}")).to_be_visible()
    wait_run_done(page)
    page.get_by_role("button", name="Import portal file").click()
    wait_run_done(page)
    expect(page.get_by_text(re.compile(r"Imported \d+ documents from"))).to_be_visible()
    wait_run_done(page)


def test_the_consultant_imports_two_2bs_the_fy_register_and_octobers_inbox(page, files, last_month, shot_dir):
    ws, client = last_month
    open_page(page, "Import")
    for label, name in (("Aug 2025", "2B_082025.json"), ("Sep 2025", "2B_092025.json")):
        pick_period(page, label)
        import_portal_file(page, files[name])
    pick_period(page, "Oct 2025")
    uploader = page.get_by_test_id("stFileUploader").nth(0)
    register = files["Purchase_Register_FY2025-26.xlsx"]
    uploader.locator('input[type="file"]').set_input_files(str(register))
    expect(page.get_by_text("Column mapping")).to_be_visible()
    wait_run_done(page)
    page.get_by_role("button", name="Import books").click()
    wait_run_done(page)
    expect(page.get_by_text("Imported 6 documents from books")).to_be_visible()
    wait_run_done(page)
    import_portal_file(page, files["IMS_102025.json"])
    shot(page, shot_dir, "01_october_imported")
    assert [r.source for r in ws.imports(client.id, AUG)] == ["gstr2b"]
    assert sorted(r.source for r in ws.imports(client.id, SEP)) == ["books", "gstr2b", "ims"]
    assert sorted(r.source for r in ws.imports(client.id, OCT)) == ["books", "ims"]


def test_reconcile_shows_cross_period_pairs_on_the_tabs_and_settled_documents_apart(
    page, last_month, shot_dir
):
    ws, client = last_month
    open_page(page, "Reconcile")
    expect(page.locator(GRID)).to_have_count(1)
    review = ws.review(client.id, OCT)
    counts = {c: review.filter(pl.col("category") == c).height for c in ("matched", "books_only", "settled")}
    assert counts == {"matched": 3, "books_only": 1, "settled": 2}
    expect(tab(page, "Matched with ITC")).to_contain_text("· 3 ·")
    expect(tab(page, "New invoice in ITC")).to_contain_text("· 1 ·")
    frame = page.frame_locator(GRID)
    sep_1 = review.filter(pl.col("books_doc_no") == "SEP-1").item(0, "result_id")
    row = frame.locator(f'.ag-center-cols-container .ag-row[row-id="{sep_1}"]')
    expect(row).to_contain_text("SEP-1")
    # The explanation, further right, names both months.
    frame.locator(".ag-body-horizontal-scroll-viewport").evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    expect(row.locator('[col-id="explanation"]')).to_contain_text(
        "booked Sep 2025; in IMS from the supplier's Oct 2025 GSTR-1"
    )
    row.locator('[col-id="explanation"]').scroll_into_view_if_needed()
    shot(page, shot_dir, "02_matched_tab")
    settled = page.get_by_test_id("stExpander").filter(has_text="Settled in an earlier period (2)")
    expect(settled).to_be_visible()
    settled.get_by_text("Settled in an earlier period (2)").click()
    wait_run_done(page)
    settled.scroll_into_view_if_needed()
    shot(page, shot_dir, "03_settled_apart")
    # Settled documents are on no tab: the New invoice tab holds only the Debit Note never reported.
    tab(page, "New invoice in ITC").click()
    new_rows = page.frame_locator(GRID).locator(".ag-center-cols-container .ag-row")
    expect(new_rows).to_have_count(1)
    expect(new_rows.first).to_contain_text("OCT-2")
    shot(page, shot_dir, "04_new_invoice_tab")


def test_last_months_pending_decision_and_remark_are_still_there(page, last_month, shot_dir):
    ws, client = last_month
    tab(page, "Matched with ITC").click()
    frame = page.frame_locator(GRID)
    review = ws.review(client.id, OCT)
    sep_2 = review.filter(pl.col("books_doc_no") == "SEP-2").row(0, named=True)
    assert (sep_2["wanted_action"], sep_2["remarks"]) == ("P", REMARK)
    action = frame.locator(
        f'.ag-pinned-left-cols-container .ag-row[row-id="{sep_2["result_id"]}"] [col-id="action"]'
    )
    expect(action).to_have_text("Pending")
    set_by = frame.locator(
        f'.ag-pinned-right-cols-container .ag-row[row-id="{sep_2["result_id"]}"] [col-id="set_by"]'
    )
    expect(set_by).to_contain_text("decided 34 days ago, in Sep 2025")
    remark = frame.locator(
        f'.ag-pinned-right-cols-container .ag-row[row-id="{sep_2["result_id"]}"] [col-id="remarks"]'
    )
    expect(remark).to_have_text(REMARK)
    shot(page, shot_dir, "05_pending_carried")


def test_the_timeline_panel_tells_the_months(page, shot_dir):
    panel = page.get_by_test_id("stExpander").filter(has_text="Timeline · 3 months")
    # Closed, the panel holds no table (every visit would draw it); opening it draws the months.
    expect(panel.get_by_test_id("stDataFrame")).to_have_count(0)
    panel.get_by_text("Timeline · 3 months").click()
    wait_run_done(page)
    panel.scroll_into_view_if_needed()
    expect(panel).to_contain_text("Carried forward")
    expect(panel.get_by_test_id("stDataFrame")).to_have_count(1)
    shot(page, shot_dir, "06_timeline")


def test_the_dashboard_and_upload_pages_work_with_settled_documents_on_record(page, last_month, shot_dir):
    ws, client = last_month
    for name in ("Dashboard", "Upload"):
        open_page(page, name)
        expect(page.get_by_test_id("stException")).to_have_count(0)
        shot(page, shot_dir, f"07_{name.lower()}")
    # The upload carries exactly the one decision taken, last month's Pending; no settled document.
    upload = ws.build_upload(client.id, OCT)
    assert upload.records.select("doc_no", "action").rows() == [("SEP-2", "P")]


def test_a_quarterly_client_is_created_in_the_form_and_its_timeline_shows_quarters(page, server, shot_dir):
    open_page(page, "Clients")
    page.get_by_role("textbox", name="Client name").fill("Bharat Traders")
    page.get_by_role("textbox", name="GSTIN", exact=True).fill(CLIENT_B)
    page.get_by_role("textbox", name="Return period (MMYYYY)").fill("012026")
    page.get_by_text("Quarterly (QRMP)").first.click()
    page.get_by_role("button", name="Create client").click()
    wait_run_done(page)
    expect(page.get_by_text("Client 'Bharat Traders' created and selected")).to_be_visible()
    shot(page, shot_dir, "08_quarterly_client_created")
    ws = Workspace(Store(server[1]), user="admin")
    client = ws.store.client_by_gstin(CLIENT_B)
    assert client.return_frequency == "quarterly"
    mine = {CLIENT.encode(): CLIENT_B.encode()}
    files = {
        SEP: [("2B_092025_GSTR2BQ.json", gstr2b(SEP, ["AUG-1", "AUG-2"]))],
        "012026": [("Register_FY.xlsx", fy_register()), ("IMS_012026.json", ims_inbox(OCTOBER_INBOX))],
    }
    for period, named in files.items():
        ws.store.ensure_period(client.id, period)
        for name, content in named:
            for old, new in mine.items():
                content = content.replace(old, new)
            # The same bills as Acme's (one set of hand-written files): confirmed past that question.
            ws.import_file(client.id, period, content, name, mode="add", confirmed=True)
    ws.store.dispose()
    open_page(page, "Reconcile")
    expect(page.locator(GRID)).to_have_count(1)
    panel = page.get_by_test_id("stExpander").filter(has_text="Timeline · 2 quarters")
    panel.get_by_text("Timeline · 2 quarters").click()
    wait_run_done(page)
    panel.scroll_into_view_if_needed()
    # The table is drawn on a canvas: its quarters' rows are seen in the screenshot.
    expect(panel).to_contain_text("Each document counts in the quarter it was booked")
    shot(page, shot_dir, "09_quarterly_timeline")
