"""Sign-in and per-client access in a real browser at 1366 x 768.

Two consultants of one firm: asha has Acme (client A), ravi has Bharat (client B), both with hand-written
books and IMS. Asha must never see Bharat through any page, the address's ``?client=N`` or a download; an
anonymous browser sees only the sign-in form; a wrong password is refused plainly; sign-out and the idle
timeout (a few seconds on a server of its own) return to the sign-in form.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from handwritten_files import CLIENT_A, CLIENT_B, ims_download, tally_register
from playwright.sync_api import expect

from recon.auth import Accounts
from recon.store import Store
from recon.workspace import Workspace

from .conftest import login, start_server, stop_server, wait_run_done

PERIOD = "112025"
PATHS = ("clients", "import", "reconcile", "dashboard", "upload")
ASHA = ("asha", "asha-password-1")
RAVI = ("ravi", "ravi-password-1")


def ims_with_numbers(numbers, gstin: str) -> bytes:
    """The hand-written IMS download with amounts as JSON numbers, as the portal writes them."""
    body = json.loads(ims_download(numbers, rtin=gstin))
    for record in body["b2b"]:
        for key in ("val", "txval", "iamt", "camt", "samt", "cess"):
            record[key] = float(record[key])
    return json.dumps(body).encode()


def prepare_firm(url: str) -> dict:
    store = Store(url)
    try:
        accounts = Accounts(store)
        admin = accounts.create_user(None, "partner", "partner-password", "admin")
        ws = Workspace(store).signed_in(admin)
        made = {}
        for name, gstin, numbers in (
            ("Acme Industries", CLIENT_A, [(0, "A-1"), (1, "A-2")]),
            ("Bharat Traders", CLIENT_B, [(0, "B-7"), (2, "B-8")]),
        ):
            client = ws.create_client(name, gstin, PERIOD)
            ws.import_file(client.id, PERIOD, tally_register(numbers), "Purchase Register.xlsx", kind="books")
            ws.import_file(client.id, PERIOD, ims_with_numbers(numbers, gstin), "ims.json", kind="ims")
            made[name.split()[0].lower()] = client
        asha = accounts.create_user(admin, *ASHA, "consultant", [made["acme"].id])
        accounts.create_user(admin, *RAVI, "consultant", [made["bharat"].id])
        # Asha has decided one of Acme's documents: the Upload page has a file to offer, the trail a row.
        mine = Workspace(store).signed_in(asha)
        doc_id = mine.documents(made["acme"].id, PERIOD, "ims")["doc_id"][0]
        outcome = mine.set_action(made["acme"].id, PERIOD, [doc_id], "A", confirmed=True)
        assert outcome.saved == 1, outcome.refused
        return made
    finally:
        store.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("access")
    url = f"sqlite:///{data / 'workbench.db'}"
    clients = prepare_firm(url)
    process, address = start_server(data, demo=False)
    yield address, clients, data
    stop_server(process)


@pytest.fixture
def page(chromium):
    """A fresh browser for each test: nobody is signed in."""
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def shot(page, shot_dir, name: str) -> None:
    wait_run_done(page)
    page.wait_for_timeout(500)
    page.screenshot(path=str(shot_dir / f"access_{name}.png"))


def everything_shown(page) -> str:
    """The text of the page and of every frame in it (the grid renders in an iframe)."""
    return "\n".join(
        frame.locator("body").inner_text() for frame in page.frames if frame.url != "about:blank"
    )


def sign_in_form(page):
    return page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Sign in"))


def test_an_anonymous_browser_sees_only_the_sign_in_form(page, server, shot_dir):
    address, clients, _ = server
    page.goto(f"{address}/reconcile?client={clients['bharat'].id}&period={PERIOD}")
    expect(sign_in_form(page)).to_be_visible()
    wait_run_done(page)
    expect(page.get_by_test_id("stSidebarNavItems")).to_have_count(0)
    text = everything_shown(page)
    for secret in ("Acme", "Bharat", CLIENT_A, CLIENT_B, "Reconcile"):
        assert secret not in text
    shot(page, shot_dir, "01_anonymous")


def test_a_wrong_password_is_refused_with_a_plain_message(page, server, shot_dir):
    page.goto(server[0])
    form = sign_in_form(page)
    form.get_by_label("User name").fill(ASHA[0])
    form.get_by_label("Password", exact=True).fill("not-her-password")
    form.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Wrong user name or password.")).to_be_visible()
    expect(sign_in_form(page).get_by_label("Password", exact=True)).to_have_value("")
    expect(page.get_by_test_id("stSidebarNavItems")).to_have_count(0)
    assert "Acme" not in everything_shown(page)
    shot(page, shot_dir, "02_wrong_password")
    login(page, *ASHA)
    log = (server[2] / "server.log").read_text()
    assert "not-her-password" not in log and ASHA[1] not in log


@pytest.mark.parametrize("path", PATHS)
def test_the_address_of_another_consultants_client_is_refused_on_every_page(page, server, shot_dir, path):
    address, clients, _ = server
    page.goto(f"{address}/{path}?client={clients['bharat'].id}&period={PERIOD}")
    login(page, *ASHA)
    wait_run_done(page)
    expect(page.get_by_text("not one of yours", exact=False)).to_be_visible()
    assert re.search(rf"/{path}\?client={clients['acme'].id}&", page.url), page.url  # her own client
    sidebar = page.get_by_test_id("stSidebar").get_by_role("combobox", name="Client")
    expect(sidebar).to_have_value(re.compile("Acme Industries"))
    text = everything_shown(page)
    assert "Bharat" not in text and CLIENT_B not in text
    shot(page, shot_dir, f"03_refused_{path}")


def test_the_sidebar_offers_only_her_clients(page, server):
    page.goto(server[0])
    login(page, *ASHA)
    wait_run_done(page)
    page.get_by_test_id("stSidebar").get_by_role("combobox", name="Client").click()
    options = page.get_by_role("option").all_inner_texts()
    assert options == [f"Acme Industries · {CLIENT_A}"]


def test_every_download_is_of_her_own_client(page, server, shot_dir, tmp_path):
    address, clients, _ = server
    page.goto(f"{address}/dashboard?client={clients['bharat'].id}&period={PERIOD}")
    login(page, *ASHA)
    wait_run_done(page)
    downloaded = {}
    for label in ("Working paper (Excel)", "Audit trail (CSV"):
        with page.expect_download() as info:
            page.get_by_role("button", name=re.compile(re.escape(label))).click()
        downloaded[info.value.suggested_filename] = info.value.path()
    shot(page, shot_dir, "04_dashboard_downloads")
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Upload").click()
    wait_run_done(page)
    json_button = page.get_by_role("button", name=re.compile(r"^Download .*\.json"))
    expect(json_button.first).to_be_visible()
    with page.expect_download() as info:
        json_button.first.click()
    downloaded[info.value.suggested_filename] = info.value.path()
    assert len(downloaded) == 3
    for name, path in downloaded.items():
        assert CLIENT_A in name and CLIENT_B not in name
        if not name.endswith(".xlsx"):  # the CSV and the JSON are plain text
            content = Path(path).read_bytes()
            assert CLIENT_B.encode() not in content and b"B-7" not in content
    trail = next(p for n, p in downloaded.items() if n.endswith(".csv"))
    assert b"asha" in Path(trail).read_bytes()  # the decision is hers, by name
    paper = next(p for n, p in downloaded.items() if n.endswith(".xlsx"))
    from openpyxl import load_workbook

    cells = " ".join(
        str(v)
        for sheet in load_workbook(io.BytesIO(Path(paper).read_bytes()), read_only=True)
        for row in sheet.iter_rows(values_only=True)
        for v in row
        if v is not None
    )
    assert "A-1" in cells and "B-7" not in cells and CLIENT_B not in cells and "Bharat" not in cells


def test_sign_out_returns_to_the_sign_in_form(page, server, shot_dir):
    page.goto(server[0])
    login(page, *RAVI)
    wait_run_done(page)
    expect(page.get_by_text("Bharat Traders").first).to_be_visible()
    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You signed out.")).to_be_visible()
    expect(sign_in_form(page)).to_be_visible()
    expect(page.get_by_test_id("stSidebarNavItems")).to_have_count(0)
    assert "Bharat" not in everything_shown(page)
    shot(page, shot_dir, "05_signed_out")


@pytest.fixture(scope="module")
def impatient_server(tmp_path_factory):
    """A server whose idle timeout is twelve seconds."""
    data = tmp_path_factory.mktemp("access_idle")
    clients = prepare_firm(f"sqlite:///{data / 'workbench.db'}")
    process, address = start_server(data, demo=False, env={"IMS_WORKBENCH_IDLE_MINUTES": "0.2"})
    yield address, clients
    stop_server(process)


def test_an_idle_session_is_signed_out(page, impatient_server, shot_dir):
    page.goto(impatient_server[0])
    login(page, *ASHA)
    wait_run_done(page)
    expect(page.get_by_text("Acme Industries").first).to_be_visible()
    # Working keeps the session: clicks spread over more than the timeout do not sign her out.
    for name in ("Import", "Dashboard", "Reconcile", "Import", "Dashboard", "Clients", "Dashboard"):
        page.wait_for_timeout(3_000)
        page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=name).click()
        wait_run_done(page)
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    expect(page.get_by_text("Signed in as asha")).to_be_visible()
    # Nobody touches the page: the sidebar's watch signs the session out by itself.
    expect(page.get_by_text("You were signed out after 12 seconds without activity.")).to_be_visible(
        timeout=30_000
    )
    expect(sign_in_form(page)).to_be_visible()
    assert "Acme" not in everything_shown(page)
    shot(page, shot_dir, "06_idle_signed_out")
