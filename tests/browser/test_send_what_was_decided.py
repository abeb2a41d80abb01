"""In the real browser: what is sent is what a person decided, and an odd record never blocks the rest.

A hand-made client (tests/send_files.py: a Tally register with a title block, two rate rows and a Debit
Note voucher; an IMS download with one number longer than GST allows). The consultant rejects one
document with a remark in the grid and accepts the matched ones in one click; the Upload page counts
exactly those, the downloaded file holds that many records with no suggested Reject or Pending, and the
over-long number is listed as left out with its reason. Screens at 1366 x 768.
"""

from __future__ import annotations

import json
import re

import polars as pl
import pytest
from playwright.sync_api import expect
from send_files import MATCHED_FILED, OVERLONG, PERIOD, RECIPIENT, write

from recon.store import Store
from recon.workspace import Workspace

from .conftest import login, start_server, stop_server, tab, wait_run_done
from .conftest import open_grid as grid

pytestmark = pytest.mark.browser
expect.set_options(timeout=30_000)

REMARK = "Not our purchase: no order placed"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("send_workspace")
    # The client exists before the first page load, as it would after an earlier session.
    books, ims = write(tmp_path_factory.mktemp("send_files"))
    ws = Workspace(Store(f"sqlite:///{data / 'workbench.db'}"), user="setup")
    client = ws.create_client("Godavari Forgings", RECIPIENT, PERIOD)
    ws.import_file(client.id, PERIOD, books.read_bytes(), books.name, kind="books")
    outcome = ws.import_file(client.id, PERIOD, ims.read_bytes(), ims.name, kind="ims")
    assert any(OVERLONG in w for w in outcome.warnings)
    ws.store.dispose()
    process, url = start_server(data, demo=False)
    yield url, f"sqlite:///{data / 'workbench.db'}"
    stop_server(process)


@pytest.fixture(scope="module")
def page(chromium, server):
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
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


def test_reject_one_document_with_a_remark_in_the_grid(page, workspace, shot_dir):
    open_page(page, "Reconcile")
    tab(page, "Not found in ITC").click()
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
    dialog.get_by_role("button", name="Confirm Reject").click()
    wait_run_done(page)
    expect(page.get_by_role("dialog")).to_have_count(0)
    decided = workspace.decisions(the_client(workspace).id)
    assert decided.select("action", "remarks").rows() == [("R", REMARK)]


def test_accept_matched_in_one_click(page, workspace, shot_dir):
    button = page.get_by_role(
        "button", name=f"Accept matched where the supplier has filed ({len(MATCHED_FILED)})"
    )
    expect(button).to_be_visible()
    # The panel says what is still only suggested before anything is applied.
    listed = page.get_by_text(re.compile(r"Open suggestions nobody has decided yet: .*Reject 1"))
    expect(listed).to_be_visible()
    listed.click()  # the rows "Apply these suggestions" would save, shown before its button
    expect(page.get_by_test_id("stDataFrame").filter(has_text="Remark to the supplier")).to_be_visible()
    page.get_by_role("heading", name="Reconcile").scroll_into_view_if_needed()
    shot(page, shot_dir, "send_01_reconcile_suggestions")
    listed.click()
    button.click()
    wait_run_done(page)
    expect(page.get_by_text(f"{len(MATCHED_FILED)} document(s) saved as your decisions")).to_be_visible()
    client = the_client(workspace)
    decided = workspace.decisions(client.id)
    assert decided.height == len(MATCHED_FILED) + 1
    assert sorted(decided["action"].to_list()) == ["A"] * len(MATCHED_FILED) + ["R"]
    expect(
        page.get_by_role("button", name="Accept matched where the supplier has filed (0)")
    ).to_be_disabled()
    page.get_by_role("heading", name="Reconcile").scroll_into_view_if_needed()
    shot(page, shot_dir, "send_02_reconcile_after_accept")


def test_upload_counts_what_was_decided_and_leaves_out_the_overlong_number(
    page, workspace, shot_dir, tmp_path
):
    open_page(page, "Upload")
    expect(page.get_by_text("What will be sent")).to_be_visible()
    metric = page.get_by_test_id("stMetric").filter(has_text="Documents to change")
    counted = int(metric.get_by_test_id("stMetricValue").inner_text().replace(",", ""))
    # The over-long number is listed with its reason and left out; the rest is offered.
    expect(page.get_by_text("1 document(s) are left out of this upload")).to_be_visible()
    left_out = page.get_by_test_id("stDataFrame").filter(has_text="Why the portal would refuse it")
    expect(left_out).to_be_visible()
    shot(page, shot_dir, "send_03_upload")
    page.get_by_role(
        "button", name="Download the list of left-out documents (CSV)"
    ).scroll_into_view_if_needed()
    shot(page, shot_dir, "send_04_upload_left_out")

    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile(r"Download IMS_SAVE_")).click()
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    records = [r for rs in json.loads(target.read_text())["invdata"].values() for r in rs]
    assert counted == len(records) == len(MATCHED_FILED)  # three Accepts and the Reject; over-long left out
    numbers = {r.get("inum") or r.get("nt_num"): r["action"] for r in records}
    assert OVERLONG not in numbers
    assert sorted(numbers.values()) == ["A", "A", "A", "R"]
    assert [r["remarks"] for r in records if r["action"] == "R"] == [REMARK]
    assert "P" not in numbers.values()  # KA-55's suggested Pending was never chosen

    with page.expect_download() as listed:
        page.get_by_role("button", name="Download the list of left-out documents (CSV)").click()
    listed.value.save_as(tmp_path / "left_out.csv")
    table = pl.read_csv(tmp_path / "left_out.csv")
    assert table["Document number"].to_list() == [OVERLONG]
    assert "1 to 16" in table["Why it is left out"].item()
