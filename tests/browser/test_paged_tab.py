"""A tab larger than a page in a real browser: the grid gets one page, the search covers the whole tab, and
"Accept the M found (of N in this tab)" saves exactly the M documents the dialog names.

The client's files are written here: a Busy-style purchase register (CSV, its own column names) of 1,240
invoices from five suppliers and the IMS download with the same invoices, so the Matched tab holds more
rows than one server page (recon.paging.PAGE_SIZE).
"""

from __future__ import annotations

import json
import re

import polars as pl
import pytest
from playwright.sync_api import expect

from recon.gstin import check_char
from recon.paging import PAGE_SIZE
from recon.store import Store
from recon.workspace import Workspace

from .conftest import GRID, login, open_grid, start_server, stop_server, wait_run_done

pytestmark = pytest.mark.browser
expect.set_options(timeout=60_000)

PERIOD = "112025"


def _gstin(body14: str) -> str:
    return body14 + check_char(body14)


CLIENT_GSTIN = _gstin("27AAHCH4321K1Z")
SUPPLIERS = {  # name -> GSTIN; Narmada's invoices are the ones the test searches for
    "Kaveri Traders": _gstin("27AAGFK1234A1Z"),
    "Malabar Steel": _gstin("29AAJCM5678B1Z"),
    "Deccan Packaging": _gstin("27AABCD9876E1Z"),
    "Narmada Castings": _gstin("24AAECN2468F1Z"),
    "Zenith Paper Mills": _gstin("33AAFCZ1357G1Z"),
}
INVOICES = 1_240
NARMADA_EVERY = 4  # one invoice in four is Narmada's: 310 of them, more than a grid page of 100


def invoices() -> list[dict]:
    names = list(SUPPLIERS)
    rows = []
    for n in range(INVOICES):
        name = "Narmada Castings" if n % NARMADA_EVERY == 0 else names[n % 5 if n % 5 != 3 else 0]
        taxable = 1000 + (n * 37) % 9000
        rows.append(
            {
                "name": name,
                "gstin": SUPPLIERS[name],
                "number": f"B/{n + 1:05d}",
                "day": 1 + n % 28,
                "taxable": float(taxable),
                "tax": round(taxable * 0.09, 2),
            }
        )
    return rows


def write_register(folder, rows):
    header = (
        "Bill Date,Party Name,Party GSTIN,Bill No,Taxable Amt,CGST Amt,SGST Amt,IGST Amt,Cess Amt,Bill Amt"
    )
    lines = [header]
    for r in rows:
        lines.append(
            f"{r['day']:02d}/11/2025,{r['name']},{r['gstin']},{r['number']},{r['taxable']:.2f},"
            f"{r['tax']:.2f},{r['tax']:.2f},0,0,{r['taxable'] + 2 * r['tax']:.2f}"
        )
    path = folder / "busy_purchase_register.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def write_ims(folder, rows):
    records = [
        {
            "stin": r["gstin"],
            "inum": r["number"],
            "idt": f"{r['day']:02d}-11-2025",
            "inv_typ": "R",
            "pos": "27",
            "val": round(r["taxable"] + 2 * r["tax"], 2),
            "txval": r["taxable"],
            "iamt": 0,
            "camt": r["tax"],
            "samt": r["tax"],
            "cess": 0,
            "rtnprd": PERIOD,
            "srcform": "R1",
            "srcfilstatus": "Filed",
            "action": "N",
            "ispendactblocked": "N",
        }
        for r in rows
    ]
    path = folder / "ims_nov.json"
    path.write_text(json.dumps({"b2b": records}))
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("workspace")
    url = f"sqlite:///{data / 'workbench.db'}"
    files = tmp_path_factory.mktemp("client_files")
    rows = invoices()
    ws = Workspace(Store(url), user="tester")
    client = ws.create_client("Hind Tools Pvt Ltd", CLIENT_GSTIN, PERIOD)
    for path, kind in ((write_register(files, rows), "books"), (write_ims(files, rows), "ims")):
        ws.import_file(client.id, PERIOD, path.read_bytes(), path.name, kind=kind)
    ws.store.dispose()
    process, address = start_server(data, demo=False)
    yield address, url
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
    yield page
    context.close()


@pytest.fixture
def workspace(server):
    ws = Workspace(Store(server[1]), user="tester")
    yield ws
    ws.store.dispose()


def matched(workspace) -> pl.DataFrame:
    client = workspace.clients()[0]
    return workspace.review(client.id, PERIOD).filter(pl.col("category") == "matched")


def grid_row_count(frame) -> int:
    """How many rows the grid holds (its pagination panel: '1 to 1,000 of 1,000')."""
    text = frame.locator(".ag-paging-row-summary-panel").inner_text()
    return int(text.split(" of ")[-1].replace(",", ""))


def test_the_grid_holds_one_page_and_the_bar_says_where_it_is(page, workspace, shot_dir):
    total = matched(workspace).height
    assert total == INVOICES and total > PAGE_SIZE, "every invoice pairs with its IMS record"
    frame = open_grid(page)
    pages = -(-total // PAGE_SIZE)
    expect(page.get_by_text(f"Page 1 of {pages}")).to_be_visible()
    expect(page.get_by_text(f"rows 1–{PAGE_SIZE:,} of {total:,} in this tab")).to_be_visible()
    assert grid_row_count(frame) == PAGE_SIZE
    expect(page.get_by_role("button", name=f"Accept all {total:,} in this tab")).to_be_visible()
    page.get_by_placeholder("Search supplier, GSTIN or number").scroll_into_view_if_needed()
    page.screenshot(path=str(shot_dir / "paged_tab_first_page.png"))
    page.get_by_role("button", name="Next").click()
    frame = open_grid(page)
    expect(page.get_by_text(f"Page 2 of {pages}")).to_be_visible()
    assert grid_row_count(frame) == total - PAGE_SIZE


def test_accept_all_after_a_search_saves_every_row_found_and_no_other(page, workspace, shot_dir):
    rows = matched(workspace)
    narmada = rows.filter(pl.col("supplier_gstin") == SUPPLIERS["Narmada Castings"])
    assert PAGE_SIZE > narmada.height > 100
    search = page.get_by_placeholder("Search supplier, GSTIN or number")
    search.fill("narmada")
    search.press("Enter")
    open_grid(page)
    expect(page.get_by_text(f"of {narmada.height:,} found by the search (of {rows.height:,}")).to_be_visible()
    button = page.get_by_role(
        "button", name=f"Accept the {narmada.height:,} found (of {rows.height:,} in this tab)"
    )
    button.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"for {narmada.height:,} document(s)")
    page.screenshot(path=str(shot_dir / "paged_tab_accept_all_dialog.png"))
    dialog.get_by_role("button", name="Confirm Accept").click()
    wait_run_done(page)
    expect(page.get_by_role("dialog")).to_have_count(0)
    saved = workspace.decisions(workspace.clients()[0].id)
    assert sorted(saved["portal_doc_id"].to_list()) == sorted(narmada["portal_doc_id"].to_list())
    assert set(saved["action"].to_list()) == {"A"}
    # The grid shows the saved decisions: every row of the search now reads Accept, set by the user.
    frame = page.frame_locator(GRID)
    set_by = frame.locator('.ag-pinned-right-cols-container [col-id="set_by"]')
    expect(set_by.first).to_have_text(re.compile(r"^you · "))
