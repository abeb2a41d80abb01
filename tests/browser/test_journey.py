"""The consultant's journey in a real browser: client → files → four tabs → decisions → refresh → JSON.

One Streamlit server and one page for the module; the tests run in order and build on each other, as a
session in the app does. Expected counts come from the engine run on the documents the app stored.
"""

from __future__ import annotations

import json
import os
import re

import polars as pl
import pytest
from playwright.sync_api import expect

from recon.match import reconcile
from recon.match.result import CATEGORIES, CATEGORY_LABELS
from recon.store import Store
from recon.workspace import Workspace

from .conftest import login, tab, wait_run_done
from .conftest import open_grid as grid

pytestmark = pytest.mark.browser
# The machine is shared and a rerun of the app can take a few seconds: wait like a patient user.
expect.set_options(timeout=30_000)

CLIENT_NAME = "Sahyadri Auto Components"
REMARK = "Tax charged does not match the purchase order"


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    from recon.synth import demo_corpus, write_files

    corpus = demo_corpus()
    folder = tmp_path_factory.mktemp("client_files")
    files = write_files(corpus, folder, layouts=("tally",), formats=("xlsx",))
    broken = folder / "ims-broken.json"
    broken.write_text('{"b2b": [ {"stin": ')
    files["broken"] = broken
    return corpus, files


@pytest.fixture(scope="module")
def page(chromium, server):
    context = chromium.new_context(viewport={"width": 1500, "height": 1500}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    if os.environ.get("BROWSER_CPU_SLOWDOWN"):  # to rehearse a slow CI machine: 6 is about CI's pace
        rate = float(os.environ["BROWSER_CPU_SLOWDOWN"])
        context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": rate})
    page.goto(server[0])
    login(page)
    wait_run_done(page)
    yield page
    context.close()


@pytest.fixture
def workspace(server):
    ws = Workspace(Store(server[1]), user="test")
    yield ws
    ws.store.dispose()


def choose_file(page, index: int, path) -> None:
    """Put a file into the index-th uploader and wait until the server has rendered its section."""
    uploader = page.locator('[data-testid="stFileUploader"]').nth(index)
    uploader.locator('input[type="file"]').set_input_files(str(path))
    expect(page.get_by_text(f"Selected: {path.name}")).to_be_visible()
    wait_run_done(page)


def remove_file(page, index: int) -> None:
    """Take the file out of the index-th uploader (its chip's delete button), as a user clears a bad pick.

    Dropping a new file on an uploader that still holds one makes Streamlit 1.67 delete, rerun, then
    upload; on a slow machine the upload can be lost in that rerun, so the journey empties it first.
    """
    uploader = page.locator('[data-testid="stFileUploader"]').nth(index)
    uploader.get_by_test_id("stFileChipDeleteBtn").locator("button").click()
    expect(uploader.get_by_test_id("stFileChipDeleteBtn")).to_have_count(0)
    wait_run_done(page)


def open_page(page, name: str) -> None:
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=name).click()
    wait_run_done(page)


def shot(page, shot_dir, name: str) -> None:
    wait_run_done(page)
    page.wait_for_timeout(500)
    page.screenshot(path=str(shot_dir / f"{name}.png"))


def the_client(workspace):
    [client] = workspace.clients()
    return client


def test_create_a_client_and_a_bad_gstin_is_explained(page, demo_files, workspace, shot_dir):
    corpus, _ = demo_files
    open_page(page, "Clients")
    gstin = corpus.client.gstin
    page.get_by_role("textbox", name="Client name").fill(CLIENT_NAME)
    page.get_by_role("textbox", name="GSTIN", exact=True).fill(
        gstin[:-1] + ("A" if gstin[-1] != "A" else "B")
    )
    page.get_by_role("textbox", name="Return period (MMYYYY)").fill(corpus.client.period)
    page.get_by_role("button", name="Create client").click()
    wait_run_done(page)
    expect(page.get_by_text("fails the check character")).to_be_visible()
    assert workspace.clients() == []

    page.get_by_role("textbox", name="GSTIN", exact=True).fill(gstin)
    page.get_by_role("button", name="Create client").click()
    wait_run_done(page)
    expect(page.get_by_text(f"Client '{CLIENT_NAME}' created and selected")).to_be_visible()
    assert the_client(workspace).gstin == gstin
    shot(page, shot_dir, "01_clients")


def test_a_bad_file_shows_a_clear_error(page, demo_files, workspace):
    _, files = demo_files
    open_page(page, "Import")
    choose_file(page, 1, files["broken"])
    page.get_by_role("button", name="Import portal file").click()
    wait_run_done(page)
    expect(page.locator('[data-testid="stAlertContentError"]')).to_contain_text("ims-broken.json")
    assert workspace.imports(the_client(workspace).id, the_client(workspace).return_period) == []
    remove_file(page, 1)
    expect(page.get_by_text("Selected: ims-broken.json")).to_have_count(0)


def test_upload_books_and_ims(page, demo_files, workspace, shot_dir):
    corpus, files = demo_files
    choose_file(page, 0, files["books_tally.xlsx"])
    expect(page.get_by_text("Column mapping")).to_be_visible()
    shot(page, shot_dir, "02_import_mapping")
    page.get_by_role("button", name="Import books").click()
    wait_run_done(page)
    expect(page.get_by_text(f"Imported {corpus.books.height:,} documents from books")).to_be_visible()
    wait_run_done(page)  # the success shows early in the run; the uploaders are redrawn after it

    choose_file(page, 1, files["ims.json"])
    page.get_by_role("button", name="Import portal file").click()
    wait_run_done(page)
    expect(page.get_by_text(f"Imported {corpus.ims.height:,} documents from ims")).to_be_visible()
    wait_run_done(page)
    client = the_client(workspace)
    assert sorted(r.source for r in workspace.imports(client.id, client.return_period)) == ["books", "ims"]
    shot(page, shot_dir, "03_import_done")


def engine_counts(workspace) -> dict[str, int]:
    client = the_client(workspace)
    books = workspace.documents(client.id, client.return_period, "books")
    portal = workspace.documents(client.id, client.return_period, "ims")
    results = reconcile(books, portal).filter(pl.col("not_in_ims_reason").is_null())
    return {c: results.filter(pl.col("category") == c).height for c in CATEGORIES}


def test_the_four_tabs_show_the_engines_counts(page, workspace, shot_dir):
    open_page(page, "Reconcile")
    grid(page)
    counts = engine_counts(workspace)
    for category in CATEGORIES:
        expect(tab(page, CATEGORY_LABELS[category])).to_contain_text(f"· {counts[category]:,} ·")
    shot(page, shot_dir, "04_reconcile")


def test_select_all_then_bulk_accept(page, workspace, shot_dir):
    counts = engine_counts(workspace)
    frame = grid(page)
    frame.locator(".ag-header-select-all input[type=checkbox]").first.click()
    expect(page.get_by_role("tabpanel").get_by_text(f"{counts['matched']:,} selected")).to_be_visible()
    page.get_by_role("tabpanel").get_by_role("button", name="Accept selected").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"for {counts['matched']:,} document(s)")
    shot(page, shot_dir, "05_bulk_accept_dialog")
    dialog.get_by_role("button", name="Confirm Accept").click()
    wait_run_done(page)
    expect(page.get_by_role("dialog")).to_have_count(0)
    client = the_client(workspace)
    saved = workspace.decisions(client.id)
    assert saved.height == counts["matched"]
    assert set(saved["action"].to_list()) == {"A"}


def test_change_one_row_to_reject_with_a_remark(page, workspace, shot_dir):
    tab(page, "Mismatched with ITC").click()
    frame = grid(page)
    row = frame.locator('.ag-center-cols-container .ag-row[row-index="0"]')
    result_id = row.get_attribute("row-id")
    frame.locator(f'.ag-pinned-left-cols-container .ag-row[row-id="{result_id}"] [col-id="action"]').click()
    frame.locator(".ag-cell-inline-editing .ag-picker-field-wrapper").click()
    frame.get_by_role("option", name="Reject").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Rejecting loses this ITC")
    dialog.get_by_label(re.compile("Remarks for the supplier")).fill(REMARK)
    dialog.get_by_text("Confirm the action").click()  # leave the text area so its value is sent
    wait_run_done(page)
    shot(page, shot_dir, "06_reject_dialog")
    dialog.get_by_role("button", name="Confirm Reject").click()
    wait_run_done(page)
    expect(page.get_by_role("dialog")).to_have_count(0)
    client = the_client(workspace)
    review = workspace.review(client.id, client.return_period)
    portal_doc_id = review.filter(pl.col("result_id") == result_id)["portal_doc_id"].item()
    decided = (
        workspace.decisions(client.id).filter(pl.col("portal_doc_id") == portal_doc_id).row(0, named=True)
    )
    assert (decided["action"], decided["remarks"]) == ("R", REMARK)
    page.rejected = (result_id, portal_doc_id)  # for the next tests


def test_a_refresh_keeps_every_decision(page, workspace, shot_dir):
    result_id, _ = page.rejected
    page.reload()
    login(page)
    frame = grid(page)
    # Matched tab (the default): every row shows Accept set by the user ("you · DD-MM-YYYY HH:MM").
    set_by = frame.locator('.ag-pinned-right-cols-container [col-id="set_by"]')
    expect(set_by.first).to_have_text(re.compile(r"^you · "))
    sources = set_by.all_inner_texts()
    assert sources and all(s.startswith("you · ") for s in sources)
    tab(page, "Mismatched with ITC").click()
    frame = grid(page)
    cell = frame.locator(f'.ag-pinned-left-cols-container .ag-row[row-id="{result_id}"] [col-id="action"]')
    expect(cell).to_have_text("Reject")
    shot(page, shot_dir, "07_after_refresh")


def test_download_the_json_and_check_its_content(page, workspace, shot_dir, tmp_path):
    _, portal_doc_id = page.rejected
    client = the_client(workspace)
    open_page(page, "Upload")
    expect(page.get_by_text("What will be sent")).to_be_visible()
    shot(page, shot_dir, "08_upload")
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile(r"Download IMS_SAVE_")).click()
    name = download.value.suggested_filename
    assert name == f"IMS_SAVE_{client.gstin}_{client.return_period}.json"
    target = tmp_path / name
    download.value.save_as(target)
    payload = json.loads(target.read_text())
    assert payload["rtin"] == client.gstin and payload["reqtyp"] == "SAVE"
    records = [r for section in payload["invdata"].values() for r in section]
    rejected_doc = workspace.documents(client.id, client.return_period, "ims").filter(
        pl.col("doc_id") == portal_doc_id
    )
    rejected_no = rejected_doc["doc_no"].item()
    [rejected] = [r for r in records if str(r.get("inum") or r.get("nt_num")) == rejected_no]
    assert rejected["action"] == "R" and rejected["remarks"] == REMARK
    decided_accept = workspace.decisions(client.id).filter(pl.col("action") == "A")["portal_doc_id"].to_list()
    held = workspace.documents(client.id, client.return_period, "ims").filter(
        pl.col("doc_id").is_in(decided_accept) & (pl.col("ims_action").fill_null("N") != "A")
    )
    sent_numbers = {str(r.get("inum") or r.get("nt_num")) for r in records if r["action"] == "A"}
    assert set(held["doc_no"].to_list()) <= sent_numbers  # every accepted change is in the file


def test_dashboard_renders_its_charts(page, shot_dir):
    open_page(page, "Dashboard")
    expect(page.locator('[data-testid="stPlotlyChart"] .main-svg').first).to_be_visible()
    expect(page.get_by_text("ITC at risk").first).to_be_visible()
    shot(page, shot_dir, "09_dashboard")
