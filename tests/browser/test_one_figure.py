"""One figure, one meaning, in the real browser at 1366 x 768.

The client's files are the hand-written ones of tests/test_figures.py (a Tally register with title rows,
two rate rows for one invoice and Debit Note vouchers; an IMS download with b2b and b2bcn records; a 2B
naming one supplier), with amounts in lakhs so that the short forms show. The Dashboard's ITC in IMS and
ITC at risk, the Reconcile tab labels and the working paper downloaded from the Dashboard must agree.
"""

from __future__ import annotations

import dataclasses
import io
import re

import openpyxl
import pytest
from playwright.sync_api import expect
from test_figures import (
    BOOKS,
    CLIENT_GSTIN,
    COSMO,
    IMS,
    PERIOD,
    gstr2b_statement,
    ims_download,
    tally_register,
)

from recon import figures
from recon.match.result import CATEGORIES, CATEGORY_LABELS
from recon.present import inr, inr_short, tab_label
from recon.store import Store
from recon.workspace import Workspace
from tests.paper_sheets import summary_table

from .conftest import login, start_server, stop_server, wait_run_done

pytestmark = pytest.mark.browser
expect.set_options(timeout=30_000)

SCALE = 150  # ₹ 9,000 of tax becomes ₹ 13.5 L: the figures show in lakh


def scaled(lines):
    return [
        dataclasses.replace(
            x, taxable=x.taxable * SCALE, igst=x.igst * SCALE, cgst=x.cgst * SCALE, sgst=x.sgst * SCALE
        )
        for x in lines
    ]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server whose workspace already holds the client's three files (imported as the Import page does)."""
    data = tmp_path_factory.mktemp("one_figure")
    url = f"sqlite:///{data / 'workbench.db'}"
    ws = Workspace(Store(url), user="test")
    client = ws.create_client("Asha Traders", CLIENT_GSTIN, PERIOD)
    ws.import_file(
        client.id, PERIOD, tally_register(scaled(BOOKS)), "Purchase Register Nov.xlsx", kind="books"
    )
    ws.import_file(client.id, PERIOD, ims_download(scaled(IMS)), "IMS_Nov.json", kind="ims")
    ws.import_file(client.id, PERIOD, gstr2b_statement(), "GSTR2B_Nov.json", kind="gstr2b")
    ws.store.dispose()
    process, address = start_server(data, demo=False)
    yield address
    stop_server(process)


@pytest.fixture(scope="module")
def page(chromium, server):
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(server)
    login(page)
    wait_run_done(page)
    yield page
    context.close()


def open_page(page, name: str) -> None:
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=name).click()
    wait_run_done(page)


def metric(page, name: str):
    return page.get_by_test_id("stMetric").filter(has=page.get_by_text(name, exact=True))


@pytest.fixture(scope="module")
def paper(page, tmp_path_factory):
    """The working paper as the consultant downloads it from the Dashboard."""
    open_page(page, "Dashboard")
    with page.expect_download() as download:
        page.get_by_role("button", name="Working paper (Excel)").click()
    path = tmp_path_factory.mktemp("paper") / "paper.xlsx"
    download.value.save_as(path)
    return openpyxl.load_workbook(io.BytesIO(path.read_bytes()))


def test_reconcile_tab_labels_are_the_working_papers_tab_totals(page, paper, shot_dir):
    open_page(page, "Reconcile")
    tabs = summary_table(paper["Summary"], "Tab")
    for category in CATEGORIES:
        count, itc = tabs[CATEGORY_LABELS[category]][:2]
        expect(page.get_by_role("tab", name=tab_label(category, count, itc), exact=True)).to_be_visible()
    page.screenshot(path=str(shot_dir / "one_figure_reconcile_tabs.png"))


def test_dashboard_headline_is_the_working_papers_figure_and_says_what_it_counts(page, paper, shot_dir):
    open_page(page, "Dashboard")
    definitions = summary_table(paper["Summary"], "Definitions")
    tabs = summary_table(paper["Summary"], "Tab")
    in_ims = definitions[figures.ITC_IN_IMS][0]
    at_risk = definitions[figures.ITC_AT_RISK][0]
    # The IMS side of the tabs adds up to the same ITC in IMS (credit notes subtracted on both).
    on_tabs = sum(tabs[CATEGORY_LABELS[c]][1] for c in ("matched", "mismatched", "ims_only"))
    assert on_tabs == pytest.approx(in_ims)
    expect(metric(page, figures.ITC_IN_IMS).get_by_test_id("stMetricValue")).to_have_text(inr_short(in_ims))
    expect(metric(page, figures.ITC_AT_RISK).get_by_test_id("stMetricValue")).to_have_text(inr_short(at_risk))
    # The help says the exact amount and the definition the working paper prints.
    metric(page, figures.ITC_AT_RISK).get_by_test_id("stTooltipHoverTarget").hover()
    tooltip = page.get_by_test_id("stTooltipContent")
    expect(tooltip).to_contain_text(inr(at_risk))
    expect(tooltip).to_contain_text("Credit the books claim that IMS does not support")
    page.wait_for_timeout(500)
    page.screenshot(path=str(shot_dir / "one_figure_dashboard_help.png"))


def test_risk_chart_names_suppliers_and_speaks_lakh_in_its_tooltip(page, shot_dir):
    open_page(page, "Dashboard")
    page.mouse.move(0, 0)
    chart = page.get_by_test_id("stPlotlyChart").nth(1)
    expect(chart.locator(".main-svg").first).to_be_visible()
    axis = chart.locator(".yaxislayer-above text, .ytick text")
    expect(axis.filter(has_text="Cosmo Packaging")).to_have_count(1)
    expect(axis.filter(has_text="Beta Chemicals")).to_have_count(1)
    assert not axis.filter(has_text=re.compile(r"^\d{2}[A-Z]{5}")).count()  # no bare GSTIN on the axis
    ticks = chart.locator(".xtick text").all_text_contents()
    assert any(t.endswith(" L") for t in ticks), ticks
    chart.scroll_into_view_if_needed()
    bar = chart.locator(".point path").first
    bar.hover(force=True)
    hover = chart.locator(".hoverlayer .hovertext")
    expect(hover).to_have_count(1)
    text = hover.text_content()
    # The largest bar: Cosmo's invoice the supplier has not reported, in lakh, with its GSTIN.
    assert re.search(rf"Cosmo Packaging.*GSTIN {COSMO}.*{figures.RISK_NOT_IN_IMS}: ₹ \d+\.\d\d L", text), text
    assert not re.search(r"\d(k|M)\b", text), text
    page.wait_for_timeout(300)
    page.screenshot(path=str(shot_dir / "one_figure_dashboard.png"))
