"""Files that used to crash, dropped on the import page in a real browser (issue 10, point 9).

A client already holds a Tally register (title rows, Tally's names, two rate rows of one invoice, a Debit
Note voucher). Then: an IMS JSON with a bare NaN amount and one nested 100,000 levels deep on the portal
uploader; a register with an amount 1e400 and a zip bomb named .xlsx on the register uploader. Each shows
one clear error naming the file (and the row and field where one is to blame), no traceback, and the
imports stay as they were. Last, a 2B with an ISD invoice and an ISD credit note of one number imports
as two documents whose net tax is the invoice's less the note's. Screenshots at 1366 x 768.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from recon.store import Store
from recon.workspace import Workspace

from .conftest import login, start_server, stop_server
from .test_journey import choose_file, open_page, remove_file, wait_run_done

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "readers"))
from books_files import CLIENT, csv_text, tally_grid, tally_row  # noqa: E402
from hostile_corpus import bomb_xlsx, ims_json  # noqa: E402

pytestmark = pytest.mark.browser
expect.set_options(timeout=30_000)

PERIOD = "102025"
ISD = "27AAPFU0939F1ZV"
ERROR = '[data-testid="stAlertContentError"]'


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("client_files")
    register = [
        tally_row("UM-1", 1000, igst=180.0, cgst=0.0),
        tally_row("UM-1", 500, igst=25.0, cgst=0.0),
        tally_row("CN-4", 100, vtype="Debit Note", voucher="D/1", igst=18.0, cgst=0.0),
    ]
    huge = [row.copy() for row in register]
    huge[1][7] = "1e400"
    isd_docs = [
        {
            "doctyp": "ISDI",
            "docnum": "ISD/014",
            "docdt": "05-10-2025",
            "igst": 1800.0,
            "cgst": 0,
            "sgst": 0,
            "cess": 0,
            "itcelg": "Y",
        },
        {
            "doctyp": "ISDC",
            "docnum": "ISD/014",
            "docdt": "20-10-2025",
            "igst": 300.0,
            "cgst": 0,
            "sgst": 0,
            "cess": 0,
            "itcelg": "Y",
        },
    ]
    isd = {
        "data": {"gstin": CLIENT, "rtnprd": PERIOD, "docdata": {"isd": [{"ctin": ISD, "doclist": isd_docs}]}}
    }
    contents = {
        "tally-register.csv": csv_text(tally_grid(register)).encode(),
        "register-huge.csv": csv_text(tally_grid(huge)).encode(),
        "register-bomb.xlsx": bomb_xlsx(),
        "ims-oct.json": ims_json(val="NaN"),
        "ims-deep.json": b"[" * 100_000 + b"]" * 100_000,
        "2b-isd.json": json.dumps(isd, indent=1).encode(),
    }
    for name, content in contents.items():
        (folder / name).write_bytes(content)
    return {name: folder / name for name in contents}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("workspace")
    process, url = start_server(data, demo=False)
    ws = Workspace(Store(f"sqlite:///{data / 'workbench.db'}"), user="test")
    ws.create_client("Acme Industries", CLIENT, PERIOD)
    yield url, ws
    ws.store.dispose()
    stop_server(process)


@pytest.fixture(scope="module")
def page(chromium, server):
    context = chromium.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(server[0])
    login(page)
    wait_run_done(page)
    open_page(page, "Import")
    yield page
    context.close()


def imports(ws: Workspace) -> list[tuple[str, str, int]]:
    [client] = ws.clients()
    return [(r.source, r.file_name, r.doc_count) for r in ws.imports(client.id, PERIOD)]


def shot(page, shot_dir, name: str) -> None:
    wait_run_done(page)
    page.wait_for_timeout(300)
    page.screenshot(path=str(shot_dir / f"hostile_{name}.png"))


def refused(
    page, uploader: int, button: str | None, path: Path, words: list[str], shot_dir, name: str
) -> None:
    choose_file(page, uploader, path)
    if button:
        page.get_by_role("button", name=button).click()
        wait_run_done(page)
    error = page.locator(ERROR)
    if not error.is_visible():
        # The import page puts the error inside its collapsed "Could not import" status: open it, as a
        # user must (views/import.py; reported to the lead, not this branch's file).
        page.get_by_text(re.compile("^Could not import")).click()
    error.scroll_into_view_if_needed()
    expect(error).to_be_visible()
    expect(error).to_contain_text(path.name)
    for word in words:
        expect(error).to_contain_text(word)
    expect(page.get_by_text("Traceback")).to_have_count(0)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    shot(page, shot_dir, name)
    remove_file(page, uploader)


def test_the_register_imports(page, files, server):
    choose_file(page, 0, files["tally-register.csv"])
    page.get_by_role("button", name="Import books").click()
    wait_run_done(page)
    expect(page.get_by_text("Imported 2 documents from books")).to_be_visible()
    assert [(s, n) for s, n, _ in imports(server[1])] == [("books", "tally-register.csv")]


def test_bare_nan_on_the_portal_uploader(page, files, server, shot_dir):
    before = imports(server[1])
    refused(page, 1, "Import portal file", files["ims-oct.json"], ["NaN", "field 'val'"], shot_dir, "nan")
    assert imports(server[1]) == before


def test_json_nested_100000_deep_on_the_portal_uploader(page, files, server, shot_dir):
    before = imports(server[1])
    refused(page, 1, "Import portal file", files["ims-deep.json"], ["nested too deeply"], shot_dir, "deep")
    assert imports(server[1]) == before


def test_amount_1e400_on_the_register_uploader(page, files, server, shot_dir):
    before = imports(server[1])
    words = ["row 7", "Taxable Value", "1e400", "too large"]
    refused(page, 0, "Import books", files["register-huge.csv"], words, shot_dir, "1e400")
    assert imports(server[1]) == before


def test_zip_bomb_named_xlsx_is_refused_before_reading(page, files, server, shot_dir):
    before = imports(server[1])
    # The page guesses the layout as soon as a register is chosen: the refusal comes then.
    refused(page, 0, None, files["register-bomb.xlsx"], ["refused before reading"], shot_dir, "bomb")
    assert imports(server[1]) == before


def test_isd_credit_note_subtracts(page, files, server, shot_dir):
    choose_file(page, 1, files["2b-isd.json"])
    page.get_by_role("button", name="Import portal file").click()
    wait_run_done(page)
    expect(page.get_by_text("Imported 2 documents from gstr2b")).to_be_visible()
    expect(page.get_by_text("1 credit note, 1 isd").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"tax ₹\s?1,500\b")).first).to_be_visible()  # 1,800 less 300
    shot(page, shot_dir, "isd")
    [client] = server[1].clients()
    assert server[1].documents(client.id, PERIOD, "gstr2b")["doc_kind"].sort().to_list() == [
        "credit_note",
        "isd",
    ]
    assert date(2025, 10, 20) in server[1].documents(client.id, PERIOD, "gstr2b")["doc_date"].to_list()
