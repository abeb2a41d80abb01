"""Clients never mix, and every file lands in the right place: walked in a real browser at 1366 × 768.

Two clients created through the Clients page; files written by hand (tests/handwritten_files.py: a Tally
register with title rows and Tally's column names, IMS downloads with and without 'rtin'). One server and
one page for the module; the tests run in order, as one consultant's session.
"""

from __future__ import annotations

import re

import pytest
from handwritten_files import CLIENT_A, CLIENT_B, ims_download, tally_register
from playwright.sync_api import expect

from recon.store import Store
from recon.workspace import Workspace

from .conftest import login, wait_run_done

pytestmark = pytest.mark.browser
expect.set_options(timeout=30_000)

ACME, BHARAT = "Acme Industries", "Bharat Castings"
A_INVOICES = [(0, "SF/901"), (1, "KA-3301"), (2, "GJ/77"), (0, "SF/902")]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("client_files")
    written = {
        "acme-register.xlsx": tally_register(A_INVOICES),
        "acme-ims.json": ims_download(A_INVOICES, rtin=CLIENT_A),
        "acme-ims-plain.json": ims_download(A_INVOICES),
    }
    for name, content in written.items():
        (folder / name).write_bytes(content)
    return {name: folder / name for name in written}


@pytest.fixture(scope="module")
def page(chromium, server):
    context = chromium.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(60_000)
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


def shot(page, shot_dir, name: str) -> None:
    wait_run_done(page)
    page.wait_for_timeout(500)
    page.screenshot(path=str(shot_dir / f"clients_{name}.png"))


def open_page(page, name: str) -> None:
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=name).click()
    wait_run_done(page)


def sidebar_client(page):
    return page.get_by_test_id("stSidebar").get_by_role("combobox", name="Client")


def shows(name: str) -> re.Pattern:
    return re.compile(re.escape(name))


def pick_client(page, name: str) -> None:
    sidebar_client(page).click()
    page.get_by_role("option", name=shows(name)).click()
    wait_run_done(page)
    expect(sidebar_client(page)).to_have_value(shows(name))


def uploader(page, index: int):
    return page.get_by_test_id("stFileUploader").nth(index)


def choose_file(page, index: int, path) -> None:
    uploader(page, index).locator('input[type="file"]').set_input_files(str(path))
    expect(page.get_by_text(f"Selected: {path.name}")).to_be_visible()
    wait_run_done(page)


def create_client(page, name: str, gstin: str) -> None:
    page.get_by_role("textbox", name="Client name").fill(name)
    page.get_by_role("textbox", name="GSTIN", exact=True).fill(gstin)
    page.get_by_role("textbox", name="Return period (MMYYYY)").fill("112025")
    page.get_by_role("button", name="Create client").click()
    wait_run_done(page)
    expect(page.get_by_text(f"Client '{name}' created and selected")).to_be_visible()


def test_a_created_client_is_selected_everywhere(page, workspace, shot_dir):
    open_page(page, "Clients")
    create_client(page, ACME, CLIENT_A)
    create_client(page, BHARAT, CLIENT_B)
    expect(sidebar_client(page)).to_have_value(shows(BHARAT))
    # The page's own picker agrees, so nothing offers to switch back to the client before.
    expect(page.get_by_role("combobox", name="Work on client")).to_have_value(shows(BHARAT))
    expect(page.get_by_role("button", name="Select this client")).to_have_count(0)
    shot(page, shot_dir, "01_created")
    for name in ("Import", "Reconcile", "Dashboard", "Upload", "Clients"):
        open_page(page, name)
        expect(sidebar_client(page)).to_have_value(shows(BHARAT))
    assert sorted(c.name for c in workspace.clients()) == [ACME, BHARAT]


def test_a_file_chosen_for_one_client_is_gone_after_switching(page, files, workspace, shot_dir):
    pick_client(page, ACME)
    open_page(page, "Import")
    choose_file(page, 0, files["acme-register.xlsx"])
    expect(page.get_by_text("Column mapping")).to_be_visible()
    shot(page, shot_dir, "02_file_for_acme")
    pick_client(page, BHARAT)
    expect(page.get_by_test_id("stCaptionContainer").filter(has_text=CLIENT_B).first).to_be_visible()
    expect(page.get_by_text("Selected: acme-register.xlsx")).to_have_count(0)
    expect(uploader(page, 0).get_by_test_id("stFileChipDeleteBtn")).to_have_count(0)
    expect(page.get_by_role("button", name="Import books")).to_have_count(0)
    shot(page, shot_dir, "03_switched_to_bharat")
    [bharat] = [c for c in workspace.clients() if c.name == BHARAT]
    assert workspace.imports(bharat.id, "112025") == []


def test_another_clients_download_is_refused_naming_both(page, files, workspace, shot_dir):
    choose_file(page, 1, files["acme-ims.json"])
    page.get_by_role("button", name="Import portal file").click()
    wait_run_done(page)
    error = page.get_by_test_id("stAlertContentError")
    for words in ("acme-ims.json", CLIENT_A, ACME, CLIENT_B, BHARAT):
        expect(error).to_contain_text(words)
    error.scroll_into_view_if_needed()
    expect(error).to_be_visible()  # said on the page, not folded away in the progress box
    shot(page, shot_dir, "04_other_clients_download")
    [bharat] = [c for c in workspace.clients() if c.name == BHARAT]
    assert workspace.imports(bharat.id, "112025") == []


def test_a_register_that_is_another_clients_data_is_asked_about_first(page, files, workspace, shot_dir):
    [acme, bharat] = sorted(workspace.clients(), key=lambda c: c.name)
    workspace.import_file(
        bharat.id,
        "112025",
        files["acme-register.xlsx"].read_bytes(),
        "bharat.xlsx",
        kind="books",
        confirmed=True,
    )
    pick_client(page, ACME)
    choose_file(page, 0, files["acme-register.xlsx"])
    page.get_by_role("button", name="Import books").click()
    wait_run_done(page)
    warning = page.get_by_test_id("stAlertContentWarning").filter(has_text="looks like the data of")
    expect(warning).to_contain_text(BHARAT)
    expect(warning).to_contain_text(f"{len(A_INVOICES)} of its {len(A_INVOICES)} documents")
    expect(page.get_by_role("button", name="Import anyway")).to_be_visible()
    warning.scroll_into_view_if_needed()
    shot(page, shot_dir, "05_asked_before_import")
    assert workspace.imports(acme.id, "112025") == []
    page.get_by_role("button", name="Cancel").click()
    wait_run_done(page)
    expect(page.get_by_text("Selected: acme-register.xlsx")).to_have_count(0)
    assert workspace.imports(acme.id, "112025") == []


def test_a_register_on_the_portal_uploader_is_refused_in_words(page, files, workspace, shot_dir):
    expect(page.get_by_text("Selected: acme-ims.json")).to_have_count(0)  # emptied by the switch to Acme
    choose_file(page, 1, files["acme-register.xlsx"])
    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_contain_text("this is a purchase register")
    expect(error).to_contain_text("purchase books uploader")
    expect(page.get_by_role("button", name="Import portal file")).to_have_count(0)
    shot(page, shot_dir, "06_register_on_portal_uploader")


def test_a_download_on_the_books_uploader_is_explained(page, files, workspace, shot_dir):
    choose_file(page, 0, files["acme-ims-plain.json"])  # accepted by the uploader, then explained
    error = page.get_by_test_id("stAlertContentError").filter(has_text="acme-ims-plain.json")
    expect(error).to_contain_text("this is an IMS download (JSON), not a purchase register")
    expect(error).to_contain_text("portal uploader")
    expect(page.get_by_role("button", name="Import books")).to_have_count(0)
    shot(page, shot_dir, "07_download_on_books_uploader")
    [acme] = [c for c in workspace.clients() if c.name == ACME]
    assert workspace.imports(acme.id, "112025") == []


def test_without_a_gsp_the_two_ways_to_the_portal_are_said_plainly(page, shot_dir):
    fetch = page.get_by_test_id("stAlert").filter(has_text="two ways to reach the portal")
    expect(fetch).to_contain_text("IMS Dashboard → Offline → Download JSON")
    expect(fetch).to_contain_text("administrator")
    expect(fetch).not_to_contain_text("secrets")
    fetch.scroll_into_view_if_needed()
    shot(page, shot_dir, "08_no_gsp")


@pytest.mark.parametrize(
    "path, title", [("reconcile", "Reconcile"), ("import", "Import"), ("upload", "Upload")]
)
def test_a_typed_address_opens_its_page_for_the_client_it_names(
    page, server, workspace, shot_dir, path, title
):
    [acme] = [c for c in workspace.clients() if c.name == ACME]
    page.goto(f"{server[0]}/{path}?client={acme.id}&period=112025")
    login(page)
    wait_run_done(page)
    expect(page.get_by_role("heading", name=title, exact=True).first).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(sidebar_client(page)).to_have_value(shows(ACME))
    assert re.search(rf"/{path}\?", page.url), page.url
    shot(page, shot_dir, f"09_typed_{path}")
