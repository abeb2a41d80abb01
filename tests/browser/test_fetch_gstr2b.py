"""Demo mode in Chromium: the portal panel offers this month's GSTR-2B and the earlier ones still
claimable; November's fetched from the sandbox portal replaces the demo's 2B file and is listed as
coming from the portal."""

from __future__ import annotations

import pytest

from recon.store import Store
from recon.workspace import Workspace

from .conftest import login, start_server, stop_server, wait_run_done

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_fetch_gstr2b_for_an_earlier_month_from_the_portal_panel(chromium, tmp_path, shot_dir):
    from playwright.sync_api import expect

    process, url = start_server(tmp_path, demo=True)
    context = chromium.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(url)
        login(page)
        wait_run_done(page)
        page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Import").click()
        wait_run_done(page)
        otp = page.get_by_text("its OTP is").inner_text().split("its OTP is ")[1].rstrip(").")
        month = page.get_by_label("GSTR-2B of")
        month.click()
        expect(page.get_by_role("option", name="Oct 2025")).to_be_visible()  # earlier months are offered
        page.get_by_role("option", name="Nov 2025").click()
        wait_run_done(page)
        fetch = page.get_by_role("button", name="Fetch GSTR-2B for Nov 2025")
        fetch.click()
        wait_run_done(page)
        page.get_by_label("OTP").fill(otp)
        page.get_by_label("OTP").press("Enter")
        wait_run_done(page)
        fetch.click()
        wait_run_done(page)
        expect(page.get_by_text("Downloaded GSTR-2B for Nov 2025")).to_be_visible()
        expect(page.get_by_text("Kept as the GSTR-2B of Nov 2025")).to_be_visible()
        # Listed with the month's imports like an uploaded 2B, marked as fetched from the portal.
        listed = page.get_by_test_id("stExpander").filter(has_text="GSTR2B")
        expect(listed).to_have_count(1)
        expect(listed).to_contain_text("· portal")
        listed.scroll_into_view_if_needed()
        page.screenshot(path=str(shot_dir / "fetch_gstr2b.png"), full_page=True)

        ws = Workspace(Store(f"sqlite:///{tmp_path / 'workbench.db'}"), user="check")
        try:
            [client] = ws.clients()
            [record] = [r for r in ws.imports(client.id, "112025") if r.source == "gstr2b"]
            assert record.origin == "portal"
            assert f"Downloaded GSTR-2B for Nov 2025: {record.doc_count} documents" in page.inner_text("body")
        finally:
            ws.store.dispose()
    finally:
        context.close()
        stop_server(process)
