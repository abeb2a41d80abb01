"""The review grid on a 1366 × 768 laptop, on files written by hand the way a client sends them.

A Tally register with its company / title / period rows above the header, one invoice on two rate rows,
a Debit Note voucher and a supplier GSTIN mistyped in the books; the client's IMS download beside it.
One server and one page for the module; the tests run in order and build on each other.
"""

from __future__ import annotations

import csv
import json
import re

import polars as pl
import pytest
import requests
from playwright.sync_api import expect

from recon.gstin import check_char
from recon.store import Store
from recon.workspace import Workspace

from .conftest import GRID, cell, download_grid_csv, login, open_tab, start_server, stop_server, wait_run_done

pytestmark = pytest.mark.browser
expect.set_options(timeout=30_000)

PERIOD = "112025"
CLIENT_NAME = "Hind Tools Pvt Ltd"


def _gstin(body14: str) -> str:
    return body14 + check_char(body14)


CLIENT_GSTIN = _gstin("27AAHCH4321K1Z")
KAVERI = _gstin("27AAGFK1234A1Z")
MALABAR = _gstin("29AAJCM5678B1Z")
MALABAR_TYPO = MALABAR[:7] + ("N" if MALABAR[7] != "N" else "P") + MALABAR[8:]
DECCAN = _gstin("27AABCD9876E1Z")


def write_register(folder):
    lines = [
        "Hind Tools Pvt Ltd,,,,,,,,,,,,",
        "Purchase Register,,,,,,,,,,,,",
        "1-Nov-2025 to 30-Nov-2025,,,,,,,,,,,,",
        "Date,Particulars,Voucher Type,Voucher No.,Supplier Invoice No.,Supplier Invoice Date,GSTIN/UIN,"
        "Taxable Value,Integrated Tax Amount,Central Tax Amount,State Tax Amount,Cess Amount,Gross Total",
        # One invoice on two rate rows; 40 paise more tax than the supplier reported (within tolerance).
        f"5-Nov-2025,Kaveri Traders,Purchase,PUR/11,KT-501,5-Nov-2025,{KAVERI},10000,,250.20,250.20,,10500.40",
        f"5-Nov-2025,Kaveri Traders,Purchase,PUR/11,KT-501,5-Nov-2025,{KAVERI},20000,,1800,1800,,23600",
        f"12-Nov-2025,Kaveri Traders,Purchase,PUR/13,KT-502,12-Nov-2025,{KAVERI},40000,,3600,3600,,47200",
        f"8-Nov-2025,Malabar Steel,Purchase,PUR/12,MS-77,8-Nov-2025,{MALABAR_TYPO},50000,9000,,,,59000",
        f"15-Nov-2025,Deccan Packaging,Debit Note,DN/4,DP-9,15-Nov-2025,{DECCAN},5000,,450,450,,5900",
        f"18-Nov-2025,Deccan Packaging,Purchase,PUR/14,DP-31,18-Nov-2025,{DECCAN},"
        "123456.50,,11111.09,11111.09,,145678.68",
    ]
    path = folder / "purchase_register_nov.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def write_ims(folder):
    def record(stin, inum, idt, txval, iamt, camt, samt):
        return {
            "stin": stin,
            "inum": inum,
            "idt": idt,
            "inv_typ": "R",
            "pos": "27",
            "val": round(txval + iamt + camt + samt, 2),
            "txval": txval,
            "iamt": iamt,
            "camt": camt,
            "samt": samt,
            "cess": 0,
            "rtnprd": PERIOD,
            "srcform": "R1",
            "srcfilstatus": "Filed",
            "action": "N",
            "ispendactblocked": "N",
        }

    payload = {
        "b2b": [
            record(KAVERI, "KT-501", "05-11-2025", 30000.0, 0, 2050.0, 2050.0),
            # Two days later, more taxable value and more tax than the books: a mismatch.
            record(KAVERI, "KT-502", "14-11-2025", 42000.0, 0, 3780.0, 3780.0),
            record(MALABAR, "MS-77", "08-11-2025", 50000.0, 9000.0, 0, 0),
            record(DECCAN, "DP-31", "18-11-2025", 123456.5, 0, 11111.09, 11111.09),
            record(DECCAN, "DP-44", "25-11-2025", 8000.0, 0, 720.0, 720.0),
        ]
    }
    path = folder / "ims_nov.json"
    path.write_text(json.dumps(payload, indent=1))
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("workspace")
    url = f"sqlite:///{data / 'workbench.db'}"
    files = tmp_path_factory.mktemp("client_files")
    ws = Workspace(Store(url), user="tester")
    client = ws.create_client(CLIENT_NAME, CLIENT_GSTIN, PERIOD)
    for path, kind in ((write_register(files), "books"), (write_ims(files), "ims")):
        ws.import_file(client.id, PERIOD, path.read_bytes(), path.name, kind=kind)
    ws.store.dispose()
    process, address = start_server(data, demo=False)
    yield address, url
    stop_server(process)


@pytest.fixture(scope="module")
def page(chromium, server):
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(server[0])
    login(page)
    wait_run_done(page)
    open_reconcile(page)
    yield page
    context.close()


@pytest.fixture
def workspace(server):
    ws = Workspace(Store(server[1]), user="tester")
    yield ws
    ws.store.dispose()


def open_reconcile(page) -> None:
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Reconcile").click()
    wait_run_done(page)


def result_id(workspace, doc_no: str) -> str:
    review = workspace.review(workspace.clients()[0].id, PERIOD)
    return review.filter(pl.col("portal_doc_no") == doc_no)["result_id"].item()


def style_of(locator, prop: str) -> str:
    return locator.evaluate(f"e => getComputedStyle(e).getPropertyValue('{prop}')")


def shot(page, shot_dir, name: str) -> None:
    wait_run_done(page)
    page.wait_for_timeout(400)
    page.screenshot(path=str(shot_dir / f"grid_{name}.png"))


def pick_action(page, frame, row_id: str, label: str) -> None:
    frame.locator(f'.ag-pinned-left-cols-container .ag-row[row-id="{row_id}"] [col-id="action"]').click()
    frame.locator(".ag-cell-inline-editing .ag-picker-field-wrapper").click()
    frame.get_by_role("option", name=label, exact=True).click()


def test_the_differing_cells_of_a_mismatched_row_are_highlighted(page, workspace, shot_dir):
    frame = open_tab(page, "Mismatched with ITC")
    row = result_id(workspace, "KT-502")
    for column in ("books_doc_date", "portal_doc_date", "books_taxable_value", "portal_taxable_value"):
        expect(cell(frame, row, column)).to_have_class(re.compile(r"\bdiff-cell\b"))
    expect(cell(frame, row, "portal_doc_no")).not_to_have_class(re.compile(r"\bdiff-cell\b"))
    assert style_of(cell(frame, row, "portal_doc_date"), "background-color") == "rgb(253, 226, 225)"
    assert style_of(cell(frame, row, "portal_doc_no"), "background-color") != "rgb(253, 226, 225)"
    # Both sides' values, DD-MM-YYYY and grouped the Indian way.
    expect(cell(frame, row, "books_doc_date")).to_have_text("12-11-2025")
    expect(cell(frame, row, "portal_doc_date")).to_have_text("14-11-2025")
    expect(cell(frame, row, "portal_taxable_value")).to_have_text("42,000.00")
    shot(page, shot_dir, "01_mismatched")


def test_set_by_and_remarks_are_on_screen_without_scrolling(page):
    frame = page.frame_locator(GRID)
    assert frame.locator(".ag-center-cols-viewport").evaluate("e => e.scrollLeft") == 0
    box = page.locator(GRID).bounding_box()
    right_edge = min(box["x"] + box["width"], 1366)
    for column in ("set_by", "remarks", "action"):
        header = frame.locator(f'.ag-header-cell[col-id="{column}"]')
        expect(header).to_be_visible()
        place = header.bounding_box()
        assert box["x"] <= place["x"] and place["x"] + place["width"] <= right_edge + 1, column


def test_a_suggested_pending_is_confirmed_in_the_cell_and_survives_a_refresh(page, workspace, shot_dir):
    frame = page.frame_locator(GRID)
    row = result_id(workspace, "KT-502")
    expect(cell(frame, row, "action")).to_have_text("Pending")
    expect(cell(frame, row, "set_by")).to_have_text("suggested")
    pick_action(page, frame, row, "Pending")  # the value already shown
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Pending")
    dialog.get_by_role("button", name="Confirm Pending").click()
    wait_run_done(page)
    expect(page.get_by_role("dialog")).to_have_count(0)
    client = workspace.clients()[0]
    portal_doc = (
        workspace.review(client.id, PERIOD).filter(pl.col("result_id") == row)["portal_doc_id"].item()
    )
    saved = workspace.decisions(client.id).filter(pl.col("portal_doc_id") == portal_doc)
    assert saved["action"].to_list() == ["P"]

    page.reload()
    login(page)
    wait_run_done(page)
    open_reconcile(page)
    frame = open_tab(page, "Mismatched with ITC")
    expect(cell(frame, row, "action")).to_have_text("Pending")
    expect(cell(frame, row, "set_by")).to_have_text(re.compile(r"^you · \d{2}-\d{2}-\d{4} \d{2}:\d{2}$"))
    shot(page, shot_dir, "02_decided_after_refresh")


def test_a_decided_row_looks_different_from_a_suggested_one(page, workspace):
    frame = page.frame_locator(GRID)
    decided, suggested = result_id(workspace, "KT-502"), result_id(workspace, "MS-77")
    expect(cell(frame, suggested, "set_by")).to_have_text("suggested")
    decided_action, suggested_action = cell(frame, decided, "action"), cell(frame, suggested, "action")
    expect(decided_action).to_have_class(re.compile(r"\baction-decided\b"))
    expect(suggested_action).to_have_class(re.compile(r"\baction-suggested\b"))
    assert style_of(decided_action, "font-style") == "normal"
    assert style_of(suggested_action, "font-style") == "italic"
    assert style_of(decided_action, "background-color") != style_of(suggested_action, "background-color")
    expect(frame.locator(f'.ag-pinned-left-cols-container .ag-row[row-id="{decided}"]')).to_have_class(
        re.compile(r"\brow-decided\b")
    )


def test_bulk_buttons_show_their_whole_label(page, shot_dir):
    panel = page.get_by_role("tabpanel")
    buttons = panel.locator('[data-testid="stButton"] button:visible')
    labels = buttons.all_inner_texts()
    for label in (
        "Accept selected",
        "Reject selected",
        "Pending selected",
        "No Action selected",
        "Confirm pair",
    ):
        expect(panel.get_by_role("button", name=re.compile(label))).to_have_count(1)
    for index in range(buttons.count()):
        clipped = buttons.nth(index).evaluate(
            "b => [b, ...b.querySelectorAll('*')].filter(e => e.scrollWidth > e.clientWidth + 1"
            " && e.clientWidth > 0).map(e => e.textContent)"
        )
        assert clipped == [], (labels[index], clipped)
        place = buttons.nth(index).bounding_box()
        assert place["x"] + place["width"] <= 1366, labels[index]
    shot(page, shot_dir, "03_bulk_bar")


def test_reject_dialog_keeps_cancel_after_an_error(page, workspace, shot_dir):
    frame = page.frame_locator(GRID)
    row = result_id(workspace, "MS-77")
    pick_action(page, frame, row, "Reject")
    dialog = page.get_by_role("dialog")
    remarks = dialog.get_by_label(re.compile("Remarks for the supplier"))
    remarks.fill("")
    dialog.get_by_text("Confirm the action").click()  # leave the text area so its value is sent
    wait_run_done(page)
    dialog.get_by_role("button", name="Confirm Reject").click()
    wait_run_done(page)
    expect(dialog).to_contain_text("needs a remark")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_visible()
    shot(page, shot_dir, "04_reject_error")
    dialog.get_by_role("button", name="Cancel").click()
    wait_run_done(page)
    expect(page.get_by_role("dialog")).to_have_count(0)
    client = workspace.clients()[0]
    portal_doc = (
        workspace.review(client.id, PERIOD).filter(pl.col("result_id") == row)["portal_doc_id"].item()
    )
    assert workspace.decisions(client.id).filter(pl.col("portal_doc_id") == portal_doc).is_empty()


def test_no_rupee_minus_zero_and_amounts_in_lakh_grouping(page, workspace):
    texts = []
    for label in ("Matched with ITC", "Mismatched with ITC", "Not found in ITC", "New invoice in ITC"):
        frame = open_tab(page, label)
        texts += frame.locator(".ag-cell").all_inner_texts()
    negative_zero = [t for t in texts if re.fullmatch(r"\s*(₹\s*)?-\s*(₹\s*)?0(\.0+)?\s*", t) or "₹ -0" in t]
    assert negative_zero == []
    frame = open_tab(page, "Matched with ITC")
    kaveri, deccan = result_id(workspace, "KT-501"), result_id(workspace, "DP-31")
    expect(cell(frame, kaveri, "tax_difference")).to_have_text("-0.40")  # paise, not "₹ -0"
    expect(cell(frame, deccan, "books_taxable_value")).to_have_text("1,23,456.50")


def test_csv_export_is_named_for_client_period_and_tab_with_plain_numbers(page, workspace, tmp_path):
    frame = open_tab(page, "Mismatched with ITC")
    download = download_grid_csv(page, frame)
    assert download.suggested_filename == "Hind-Tools-Pvt-Ltd_112025_Mismatched-with-ITC.csv"
    target = tmp_path / "export.csv"
    download.save_as(target)
    rows = {r["Portal no."]: r for r in csv.DictReader(target.open(encoding="utf-8-sig"))}
    kt = rows["KT-502"]
    assert float(kt["Portal tax ₹"]) == 7560.0 and float(kt["Books taxable ₹"]) == 40000.0
    assert kt["Books date"] == "12-11-2025"


def test_confirm_pair_turns_a_suggested_pair_into_the_users_link(page, workspace, shot_dir):
    frame = open_tab(page, "Mismatched with ITC")
    row = result_id(workspace, "MS-77")
    expect(cell(frame, row, "pair_to_confirm")).to_have_text("to confirm")
    frame.locator(
        f'.ag-pinned-left-cols-container .ag-row[row-id="{row}"] .ag-selection-checkbox input'
    ).click()
    wait_run_done(page)
    button = page.get_by_role("tabpanel").get_by_role("button", name=re.compile("Confirm pair"))
    expect(button).to_be_enabled()
    button.click()
    wait_run_done(page)
    expect(page.get_by_text("pair(s) confirmed")).to_be_visible()
    client = workspace.clients()[0]
    steel = workspace.review(client.id, PERIOD).filter(pl.col("portal_doc_no") == "MS-77").row(0, named=True)
    assert (steel["books_doc_no"], steel["basis"], steel["pair_to_confirm"]) == ("MS-77", "manual", False)
    frame = open_tab(page, "Mismatched with ITC")
    expect(cell(frame, steel["result_id"], "pair_to_confirm")).to_have_text("")
    shot(page, shot_dir, "05_pair_confirmed")


# The grid component's script, named by its content's hash (views/_component_cache.py).
GRID_SCRIPT = re.compile(r"/component/st_aggrid\.AgGrid\.agGrid/static/js/main\.[0-9a-f]{8,}\.js$")


def test_a_tab_switch_takes_the_grids_script_from_the_browsers_cache(page, server):
    """Each tab's grid is a new frame; its 4.7 MB script comes from this browser's cache, not the server.
    The component's files without a content hash in their name are not kept: an upgrade reaches them."""
    open_tab(page, "Matched with ITC")  # fetched at least once by now
    cdp = page.context.new_cdp_session(page)
    loads: list[dict] = []
    served_from_cache: set[str] = set()
    cdp.on(
        "Network.responseReceived",
        lambda e: loads.append(e) if GRID_SCRIPT.search(e["response"]["url"]) else None,
    )
    cdp.on("Network.requestServedFromCache", lambda e: served_from_cache.add(e["requestId"]))
    cdp.send("Network.enable")
    try:
        open_tab(page, "Mismatched with ITC")
        open_tab(page, "Matched with ITC")
    finally:
        cdp.detach()
    assert len(loads) == 2, [e["response"]["url"] for e in loads]  # each switch mounts one grid
    over_the_wire = [
        e["response"]
        for e in loads
        if e["requestId"] not in served_from_cache and not e["response"].get("fromDiskCache")
    ]
    assert over_the_wire == [], [(r["status"], r["headers"].get("cache-control")) for r in over_the_wire]
    component = f"{server[0]}/component/st_aggrid.AgGrid.agGrid"
    for unhashed in ("index.html", "bootstrap.min.css"):
        answer = requests.get(f"{component}/{unhashed}", timeout=30)
        assert answer.status_code == 200 and "max-age" not in answer.headers.get("cache-control", ""), (
            unhashed
        )
