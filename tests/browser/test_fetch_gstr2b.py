"""Demo mode in Chromium: the portal panel fetches October's GSTR-2B from the sandbox portal while the
demo client works on November; the 2B is kept under October, marked as coming from the portal."""

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
        page.get_by_label("GSTR-2B of").click()
        page.get_by_role("option", name="Oct 2025").click()
        wait_run_done(page)
        fetch = page.get_by_role("button", name="Fetch GSTR-2B for Oct 2025")
        fetch.click()
        wait_run_done(page)
        page.get_by_label("OTP").fill(otp)
        page.get_by_label("OTP").press("Enter")
        wait_run_done(page)
        fetch.click()
        wait_run_done(page)
        expect(page.get_by_text("Downloaded GSTR-2B for Oct 2025")).to_be_visible()
        expect(page.get_by_text("Kept as the GSTR-2B of Oct 2025")).to_be_visible()
        page.screenshot(path=str(shot_dir / "fetch_gstr2b.png"), full_page=True)

        ws = Workspace(Store(f"sqlite:///{tmp_path / 'workbench.db'}"), user="check")
        try:
            [client] = ws.clients()
            [record] = ws.imports(client.id, "102025")
            assert (record.source, record.origin) == ("gstr2b", "portal")
            assert f"Downloaded GSTR-2B for Oct 2025: {record.doc_count} documents" in page.inner_text("body")
        finally:
            ws.store.dispose()
        # October's Import page lists it like an uploaded 2B, marked as fetched from the portal.
        page.get_by_test_id("stSidebar").get_by_label("Return period").click()
        page.get_by_role("option", name="Oct 2025").click()
        wait_run_done(page)
        listed = page.get_by_test_id("stExpander").filter(has_text="GSTR2B")
        expect(listed).to_have_count(1)
        expect(listed).to_contain_text("· portal")
        page.screenshot(path=str(shot_dir / "fetch_gstr2b_listed.png"), full_page=True)
    finally:
        context.close()
        stop_server(process)
