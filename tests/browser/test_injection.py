"""Markup and formulas in a supplier's name or number show as typed: in the grid, its CSV, the Reject
dialog and the dashboard's chart, and the page never fetches what the markup points at.

The client files are the hand-written Tally register and IMS download of tests/test_injection.py, whose
names and numbers are ``=HYPERLINK(...)``, ``+1+1``, ``@SUM(A1)``, ``-2+3``, ``<b>bold</b><img ...>``,
``[link](http://example.invalid)`` and ``![img](http://example.invalid/a.png)``. Every request the page
makes is recorded.
"""

from __future__ import annotations

import csv
import re

import polars as pl
import pytest
from playwright.sync_api import expect

from recon.safe_text import WORD_JOINER
from recon.store import Store
from recon.workspace import Workspace
from tests.test_injection import CLIENT, IN_BOTH, NAMES, NUMBERS, PERIOD, ims_download, tally_register

from .conftest import cell, download_grid_csv, login, open_tab, start_server, stop_server, wait_run_done

pytestmark = pytest.mark.browser
expect.set_options(timeout=30_000)

OUTSIDE = "example.invalid"
MISMATCHED = 3  # supplier 3: named '-2+3', numbered '<b>bold</b><img src=x onerror=alert(1)>'
IMS_ONLY = 5  # supplier 5: named '[link](http://example.invalid)', numbered '![img](...a.png)'
AT_RISK_WITH_TAGS = 4  # books-only, named '<b>bold</b><img ...>': a bar of the ITC-at-risk chart
# File names are the sender's words too: they are shown in the list of imports and in messages.
IMS_FILE_NAME = "<b>ims</b> [link](www.example.invalid) nov.json"
REGISTER_FILE_NAME = "<b>nov</b> ![img](x.png) [link](www.example.invalid).xlsx"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("workspace")
    url = f"sqlite:///{data / 'workbench.db'}"
    ws = Workspace(Store(url), user="tester")
    client = ws.create_client("Kaveri Components Pvt Ltd", CLIENT, PERIOD)
    ws.import_file(client.id, PERIOD, tally_register(), "purchase register nov.xlsx", kind="books")
    ws.import_file(client.id, PERIOD, ims_download(), IMS_FILE_NAME)
    ws.store.dispose()
    process, address = start_server(data, demo=False)
    yield address, url
    stop_server(process)


@pytest.fixture(scope="module")
def requests_made():
    return []


@pytest.fixture(scope="module")
def page(chromium, server, requests_made):
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = context.new_page()
    page.on("request", lambda request: requests_made.append(request.url))
    page.set_default_timeout(60_000)
    page.goto(server[0])
    login(page)
    wait_run_done(page)
    go_to(page, "Reconcile")
    yield page
    context.close()


@pytest.fixture
def workspace(server):
    ws = Workspace(Store(server[1]), user="tester")
    yield ws
    ws.store.dispose()


def go_to(page, name: str) -> None:
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=name).click()
    wait_run_done(page)


def row_of(workspace, supplier: int) -> str:
    review = workspace.review(workspace.clients()[0].id, PERIOD)
    number = pl.coalesce("portal_doc_no", "books_doc_no")
    return review.filter(number == NUMBERS[supplier])["result_id"].item()


def assert_no_markup(scope) -> None:
    """No element the markup would have made: bold, image, or a link to the outside address."""
    expect(scope.locator("b")).to_have_count(0)
    expect(scope.locator("img")).to_have_count(0)
    expect(scope.locator(f'a[href*="{OUTSIDE}"]')).to_have_count(0)


def shown_text(locator) -> str:
    """The text as a person reads it (the invisible word joiner that keeps an address a text, left out)."""
    return locator.evaluate("e => e.innerText").replace(WORD_JOINER, "")


def assert_nothing_fetched(requests_made: list[str], origin: str) -> None:
    outside = [
        u for u in requests_made if OUTSIDE in u or re.fullmatch(re.escape(origin) + r"/x(\.png)?/?", u)
    ]
    assert outside == []


def pick_action(frame, row_id: str, label: str) -> None:
    frame.locator(f'.ag-pinned-left-cols-container .ag-row[row-id="{row_id}"] [col-id="action"]').click()
    frame.locator(".ag-cell-inline-editing .ag-picker-field-wrapper").click()
    frame.get_by_role("option", name=label, exact=True).click()


def shot(page, shot_dir, name: str) -> None:
    wait_run_done(page)
    page.wait_for_timeout(400)
    page.screenshot(path=str(shot_dir / f"injection_{name}.png"))


def test_the_grid_shows_names_and_numbers_as_typed(page, workspace, requests_made, server, shot_dir):
    frame = open_tab(page, "Matched with ITC")
    for supplier in (s for s in IN_BOTH if s != MISMATCHED):
        row = row_of(workspace, supplier)
        expect(cell(frame, row, "supplier_name")).to_have_text(NAMES[supplier])
        expect(cell(frame, row, "books_doc_no")).to_have_text(NUMBERS[supplier])
        expect(cell(frame, row, "portal_doc_no")).to_have_text(NUMBERS[supplier])
    assert_no_markup(frame.locator(".ag-root"))
    frame = open_tab(page, "Mismatched with ITC")
    row = row_of(workspace, MISMATCHED)
    expect(cell(frame, row, "portal_doc_no")).to_have_text(NUMBERS[MISMATCHED])  # the tags, as characters
    cell(frame, row, "supplier_name").hover()  # the row's explanation as a tooltip, which quotes numbers
    page.wait_for_timeout(800)
    assert_no_markup(frame.locator("body"))
    shot(page, shot_dir, "01_grid_mismatched")
    frame = open_tab(page, "Not found in ITC")
    row = row_of(workspace, IMS_ONLY)
    expect(cell(frame, row, "supplier_name")).to_have_text(NAMES[IMS_ONLY])
    expect(cell(frame, row, "portal_doc_no")).to_have_text(NUMBERS[IMS_ONLY])
    assert_no_markup(frame.locator("body"))
    assert_nothing_fetched(requests_made, server[0])


@pytest.mark.parametrize(
    ("tab", "supplier"), [("Not found in ITC", IMS_ONLY), ("Mismatched with ITC", MISMATCHED)]
)
def test_the_reject_dialog_shows_markup_as_text(
    page, workspace, requests_made, server, shot_dir, tab, supplier
):
    frame = open_tab(page, tab)
    pick_action(frame, row_of(workspace, supplier), "Reject")
    wait_run_done(page)
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Reject")
    assert f"{NAMES[supplier]} · {NUMBERS[supplier]}" in shown_text(dialog)
    assert_no_markup(dialog)
    assert_nothing_fetched(requests_made, server[0])
    shot(page, shot_dir, f"02_reject_dialog_{supplier}")
    dialog.get_by_role("button", name="Cancel").click()
    wait_run_done(page)
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_the_grid_csv_marks_formulas_as_text_and_keeps_amounts_numbers(page, workspace, tmp_path):
    exported = {}
    for tab in ("Matched with ITC", "Mismatched with ITC"):
        frame = open_tab(page, tab)
        target = tmp_path / f"{tab}.csv"
        download_grid_csv(page, frame).save_as(target)
        exported |= {r["Portal no."]: r for r in csv.DictReader(target.open(encoding="utf-8-sig"))}
    assert exported["'-2+3"]["Supplier"] == "'@SUM(A1)"  # supplier 2: name and number both marked
    assert exported["'@SUM(A1)"]["Supplier"] == "'+1+1"
    assert exported['\'=HYPERLINK("http://x","y")']["Supplier"] == "![img](http://example.invalid/a.png)"
    mismatch = exported[NUMBERS[MISMATCHED]]  # tags are not a formula: as typed
    assert mismatch["Supplier"] == "'-2+3"
    assert float(mismatch["Tax diff. ₹"]) < 0 and not mismatch["Tax diff. ₹"].startswith("'")
    assert all(float(r["Books tax ₹"]) > 0 for r in exported.values())


def test_the_at_risk_chart_names_a_supplier_with_tags_as_typed(page, requests_made, server, shot_dir):
    go_to(page, "Dashboard")
    chart = page.locator(".js-plotly-plot").nth(1)
    expect(chart).to_be_visible()
    labels = chart.locator("g.ytick text")
    expect(labels.filter(has_text=NAMES[AT_RISK_WITH_TAGS])).to_have_count(1)
    assert_no_markup(chart)
    expect(chart.locator('[style*="bold"], tspan[style*="font-weight"]')).to_have_count(0)
    chart.scroll_into_view_if_needed()
    shot(page, shot_dir, "03_chart")
    assert_nothing_fetched(requests_made, server[0])


def test_import_messages_show_file_names_as_typed(page, requests_made, server, shot_dir):
    go_to(page, "Import")
    main = page.get_by_test_id("stMain")
    expander = main.get_by_test_id("stExpander").filter(has_text="ims")
    assert IMS_FILE_NAME in shown_text(expander.locator("summary"))
    # A register on the portal uploader is refused, naming the file.
    portal_uploader = main.get_by_test_id("stFileUploader").nth(1)
    portal_uploader.locator('input[type="file"]').set_input_files(
        {"name": REGISTER_FILE_NAME, "mimeType": "application/octet-stream", "buffer": tally_register()}
    )
    wait_run_done(page)
    error = main.get_by_test_id("stAlertContentError")
    expect(error).to_have_count(1)
    assert REGISTER_FILE_NAME in shown_text(error)
    assert f"Selected: {REGISTER_FILE_NAME}" in shown_text(main)
    assert_no_markup(main)
    shot(page, shot_dir, "04_import")
    assert_nothing_fetched(requests_made, server[0])
