"""Nothing lost, in a real browser: a colleague's Reject survives a bulk Accept, and an upload survives kill -9.

The second test kills the Streamlit server with SIGKILL while it waits for the portal's answer to an
upload (a sandbox portal in this test process keeps answering "in progress"), starts it again on the same
database, and fetches the portal's answer from the Upload page.
"""

from __future__ import annotations

import signal
import time

import polars as pl
import pytest
from handwritten_files import CLIENT_A, SUPPLIERS, tally_register
from playwright.sync_api import expect

from recon.jsonio import loads_exact
from recon.store import Store
from recon.workspace import Workspace

from .conftest import GRID, login, start_server, stop_server, wait_run_done

pytestmark = pytest.mark.browser
expect.set_options(timeout=30_000)

PERIOD = "112025"
UPLOADED = 40


def new_page(chromium, url: str):
    context = chromium.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    login(page)  # every new browser session signs in; the address's page and client open after it
    wait_run_done(page)
    return context, page


def test_a_bulk_accept_over_a_colleagues_reject_is_stopped_and_decided(chromium, tmp_path, shot_dir):
    process, url = start_server(tmp_path, demo=True)
    context = None
    try:
        context, page = new_page(chromium, url)
        frame = page.frame_locator(GRID)
        expect(frame.locator(".ag-center-cols-container .ag-row").first).to_be_visible()
        asha = Workspace(Store(f"sqlite:///{tmp_path / 'workbench.db'}"), user="asha")
        [client] = asha.clients()
        review = asha.review(client.id, client.return_period)
        matched = review.filter(pl.col("category") == "matched")
        target = matched.filter((pl.col("doc_kind") == "invoice") & (pl.col("filing") == "Filed")).row(
            0, named=True
        )
        frame.locator(".ag-header-select-all input[type=checkbox]").first.click()
        expect(page.get_by_role("tabpanel").get_by_text(f"{matched.height:,} selected")).to_be_visible()
        # While the grid is open here, asha (another session) rejects one of the selected documents.
        asha.set_action(
            client.id,
            client.return_period,
            [target["portal_doc_id"]],
            "R",
            remarks="goods returned on 12-11",
            confirmed=True,
        )
        page.get_by_role("tabpanel").get_by_role("button", name="Accept selected").click()
        page.get_by_role("dialog").get_by_role("button", name="Confirm Accept").click()
        wait_run_done(page)
        panel = page.get_by_role("tabpanel")
        expect(panel).to_contain_text(f"Not saved: 1 of the {matched.height:,} document(s)")
        expect(panel).to_contain_text("asha set Reject")
        expect(panel).to_contain_text("goods returned on 12-11")
        page.wait_for_timeout(500)
        page.screenshot(path=str(shot_dir / "nothing_lost_1_conflict.png"))
        assert asha.decisions(client.id).height == 1, "nothing of the refused bulk was saved"

        panel.get_by_role(
            "button", name=f"Keep their change; Accept the other {matched.height - 1:,}"
        ).click()
        wait_run_done(page)
        decided = asha.decisions(client.id)
        assert decided.height == matched.height
        kept = decided.filter(pl.col("portal_doc_id") == target["portal_doc_id"]).row(0, named=True)
        assert (kept["action"], kept["remarks"], kept["decided_by"]) == (
            "R",
            "goods returned on 12-11",
            "asha",
        )
        assert set(decided.filter(pl.col("decided_by") != "asha")["action"].to_list()) == {"A"}
        asha.store.dispose()
    finally:
        if context is not None:
            context.close()
        stop_server(process)


def _portal_records() -> dict:
    b2b = []
    for i in range(UPLOADED):
        taxable = 1000 + i
        b2b.append(
            f'{{"stin": "{SUPPLIERS[i % 3]}", "inum": "AC/{i:04d}", "idt": "07-11-2025", "inv_typ": "R", '
            f'"pos": "27", "val": {taxable * 1.18:.2f}, "txval": {taxable}.00, "iamt": {taxable * 0.18:.2f}, '
            f'"camt": 0, "samt": 0, "cess": 0, "rtnprd": "112025", "srcform": "R1", "srcfilstatus": "Filed", '
            f'"action": "N", "ispendactblocked": "N"}}'
        )
    return loads_exact(f'{{"b2b": [{", ".join(b2b)}]}}')


def _workspace_ready_to_upload(db_url: str, portal) -> int:
    """A client whose IMS was fetched from the sandbox and whose every record is decided Accept."""
    from recon.portal.service import demo_connector, fetch_ims

    ws = Workspace(Store(db_url), user="asha")
    client = ws.create_client("Acme Traders", CLIENT_A, PERIOD)
    register = tally_register([(0, "AC/0000"), (1, "AC/0001"), (2, "AC/0002")])
    ws.import_file(client.id, PERIOD, register, "Purchase register.xlsx", kind="books", confirmed=True)
    connector = demo_connector(portal)
    connector.request_otp(CLIENT_A)
    fetched = fetch_ims(connector, CLIENT_A, otp=portal.otp)
    ws.import_read(client, PERIOD, fetched.result, mode="replace", origin="portal")
    ids = ws.documents(client.id, PERIOD, "ims")["doc_id"].to_list()
    ws.set_action(client.id, PERIOD, ids, "A", confirmed=True)
    ws.reconcile(client.id, PERIOD)
    assert ws.build_upload(client.id, PERIOD, "api").records.height == UPLOADED
    ws.store.dispose()
    return client.id


def _enter_otp_and_click(page, button: str, otp: str) -> None:
    page.get_by_role("button", name=button).click()
    wait_run_done(page)
    page.get_by_label("OTP").fill(otp)
    page.keyboard.press("Enter")
    wait_run_done(page)
    page.get_by_role("button", name=button).click()


def test_kill_9_mid_upload_then_the_next_start_fetches_and_records_the_portals_answer(
    chromium, tmp_path, shot_dir, monkeypatch
):
    from recon.portal.sandbox import start_background

    portal = start_background(port=0, seed_docs=_portal_records(), gstin=CLIENT_A, ip_polls=10_000)
    key = tmp_path / "sandbox_public.pem"
    key.write_text(portal.public_key_pem)
    for name, value in {
        "IMS_PORTAL_BASE_URL": portal.base_url,
        "IMS_PORTAL_CLIENT_ID": portal.client_id,
        "IMS_PORTAL_CLIENT_SECRET": portal.client_secret,
        "IMS_PORTAL_PUBLIC_KEY_PATH": str(key),
        "IMS_PORTAL_USERNAME": portal.usernames[CLIENT_A],
    }.items():
        monkeypatch.setenv(name, value)
    db_url = f"sqlite:///{tmp_path / 'workbench.db'}"
    client_id = _workspace_ready_to_upload(db_url, portal)
    store = Store(db_url)
    process, url = start_server(tmp_path, demo=False)
    contexts = []
    try:
        context, page = new_page(chromium, f"{url}/upload?client={client_id}&period={PERIOD}")
        contexts.append(context)
        _enter_otp_and_click(page, "Upload to portal", portal.otp)
        _wait_for(lambda: any(op["detail"].get("references") for op in store.open_operations()))
        process.send_signal(signal.SIGKILL)  # the portal has the actions; the answer never came back
        process.wait(10)
        assert store.uploads(client_id, PERIOD) == []

        process, url = start_server(tmp_path, demo=False)
        context, page = new_page(chromium, f"{url}/upload?client={client_id}&period={PERIOD}")
        contexts.append(context)
        expect(page.get_by_text(f"An upload of {UPLOADED} action(s) to the portal").first).to_be_visible()
        page.screenshot(path=str(shot_dir / "nothing_lost_2_after_kill.png"), full_page=True)
        portal.portal.ip_polls = 0  # the portal has finished processing meanwhile
        _enter_otp_and_click(page, "Fetch the portal's answer", portal.otp)
        wait_run_done(page)
        expect(page.get_by_text(f"the portal's answer was fetched: {UPLOADED} saved")).to_be_visible()
        expect(page.get_by_test_id("stMetricValue").first).to_have_text("0")  # nothing left to change
        page.screenshot(path=str(shot_dir / "nothing_lost_3_resumed.png"), full_page=True)
        [upload] = store.uploads(client_id, PERIOD)
        assert (upload["route"], upload["status"], len(upload["summary"]["actions"])) == (
            "portal",
            "saved",
            UPLOADED,
        )
        assert len(portal.portal.requests_of("SAVE")) == 1, "resuming did not send the actions again"
    finally:
        for context in contexts:
            context.close()
        stop_server(process)
        store.dispose()
        portal.stop()


def _wait_for(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("the upload's reference id was never stored")
