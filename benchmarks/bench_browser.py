"""Real-browser timings of the review workflow at lakh scale (prints figures; asserts nothing).

    python benchmarks/bench_browser.py                 # 50,000 documents per side
    python benchmarks/bench_browser.py --docs 5000     # a quick run

What is timed, each from the click until the page shows the result:
* upload → four tabs: books file chosen → imported → IMS file imported → Reconcile page with its grid;
* tab switch: clicking another tab until its grid shows rows;
* paging: the server's next page of a large tab until its grid shows rows;
* select-all: header checkbox (the page shown) until Streamlit shows "N selected" (the return carries ids);
* edit: picking another action in a row's open dropdown until the decision is saved (toast);
* bulk Accept of a whole tab ("Accept all N in this tab"): confirm until the dialog closes and the grid shows.

Goals: ≤ 10 s to the first tabs, ≤ 1 s per tab switch and per select-all or edit round trip.
The data comes from ``recon.synth.generate(fast=True)``; the books are written as a plain CSV register.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

from recon.paging import PAGE_SIZE  # noqa: E402
from recon.store import Store  # noqa: E402
from recon.synth import generate  # noqa: E402
from recon.workspace import Workspace  # noqa: E402
from tests.browser.conftest import ARGS, CHROMIUM, login, start_server, stop_server  # noqa: E402

SKIP_BULK = False
GRID = 'iframe[title="st_aggrid.AgGrid.agGrid"]:visible'
VOUCHER = {"invoice": "Purchase", "credit_note": "Credit Note", "debit_note": "Debit Note"}


def write_books_csv(books: pl.DataFrame, path: Path) -> None:
    """The canonical books as a purchase register export (one row per document)."""
    register = books.select(
        pl.col("supplier_gstin").alias("Supplier GSTIN"),
        pl.col("supplier_name").alias("Supplier Name"),
        pl.col("doc_no").alias("Supplier Invoice No"),
        pl.col("doc_date").dt.strftime("%d-%m-%Y").alias("Invoice Date"),
        pl.col("doc_kind").replace_strict(VOUCHER, default="Purchase").alias("Voucher Type"),
        pl.col("taxable_value").alias("Taxable Value"),
        pl.col("igst").alias("IGST"),
        pl.col("cgst").alias("CGST"),
        pl.col("sgst").alias("SGST"),
        pl.col("cess").alias("Cess"),
        pl.col("doc_value").alias("Invoice Value"),
    )
    register.write_csv(path)


def write_ims_json(ims: pl.DataFrame, gstin: str, path: Path) -> None:
    """An IMS download: the portal records exactly as generated (raw JSON), grouped by section."""
    parts = []
    for section, frame in ims.group_by("section", maintain_order=True):
        parts.append(f'"{section[0]}":[' + ",".join(frame["raw"].to_list()) + "]")
    path.write_text('{"rtin":"' + gstin + '",' + ",".join(parts) + "}")


def wait_run_done(page) -> None:
    page.wait_for_timeout(100)
    expect(page.locator('[data-testid="stApp"]')).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=300_000
    )


def grid_ready(page):
    wait_run_done(page)
    expect(page.locator(GRID)).to_have_count(1, timeout=300_000)
    frame = page.frame_locator(GRID)
    expect(frame.locator(".ag-center-cols-container .ag-row").first).to_be_visible(timeout=300_000)
    return frame


def timed(label: str, results: dict, action) -> float:
    start = time.perf_counter()
    action()
    elapsed = time.perf_counter() - start
    results.setdefault(label, []).append(elapsed)
    print(f"  {label:<34} {elapsed:7.2f} s", flush=True)
    return elapsed


def choose_file(page, index: int, path: Path) -> None:
    page.locator('[data-testid="stFileUploader"]').nth(index).locator('input[type="file"]').set_input_files(
        str(path)
    )
    expect(page.get_by_text(f"Selected: {path.name}")).to_be_visible(timeout=300_000)
    wait_run_done(page)


def run(docs: int, seed: int, grid_only: bool = False) -> dict:
    corpus = generate(seed=seed, n_docs=docs, fast=True)
    print(f"corpus: {corpus.books.height:,} books documents, {corpus.ims.height:,} IMS documents", flush=True)
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as folder:
        folder = Path(folder)
        books_file, ims_file = folder / "purchase_register.csv", folder / "ims.json"
        write_books_csv(corpus.books, books_file)
        write_ims_json(corpus.ims, corpus.client.gstin, ims_file)
        process, url = start_server(folder, demo=False)
        try:
            ws = Workspace(Store(f"sqlite:///{folder / 'workbench.db'}"))
            client = ws.create_client(corpus.client.name, corpus.client.gstin, corpus.client.period)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
                page = browser.new_page(viewport={"width": 1500, "height": 1200})
                page.set_default_timeout(300_000)
                page.goto(url)
                login(page)
                wait_run_done(page)
                if grid_only:
                    # Documents go in through the workspace API (untimed): time only the review screen.
                    for path, kind in ((books_file, "books"), (ims_file, "ims")):
                        ws.import_file(
                            client.id, client.return_period, path.read_bytes(), path.name, kind=kind
                        )
                    ws.reconcile(client.id, client.return_period)
                page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Import").click()
                wait_run_done(page)
                journey(page, ws, client, books_file, ims_file, results, grid_only=grid_only)
                browser.close()
            ws.store.dispose()
        finally:
            stop_server(process)
    return results


def journey(page, ws, client, books_file, ims_file, results, *, grid_only: bool = False) -> None:
    def import_books():
        choose_file(page, 0, books_file)
        page.get_by_role("button", name="Import books").click()
        expect(page.get_by_text(re.compile(r"Imported [\d,]+ documents from books"))).to_be_visible(
            timeout=300_000
        )
        wait_run_done(page)

    def import_ims():
        choose_file(page, 1, ims_file)
        page.get_by_role("button", name="Import portal file").click()
        expect(page.get_by_text(re.compile(r"Imported [\d,]+ documents from ims"))).to_be_visible(
            timeout=300_000
        )
        wait_run_done(page)

    def open_reconcile():
        page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Reconcile").click()
        grid_ready(page)

    if grid_only:
        timed("Reconcile page, first tab shown", results, open_reconcile)
    else:
        print("upload → four tabs", flush=True)
        start = time.perf_counter()
        timed("books file imported", results, import_books)
        timed("IMS file imported", results, import_ims)
        timed("reconcile + first tab shown", results, open_reconcile)
        results["upload → four tabs (total)"] = [time.perf_counter() - start]
        print(f"  {'upload → four tabs (total)':<34} {results['upload → four tabs (total)'][0]:7.2f} s")
    labels = [t.inner_text() for t in page.get_by_role("tab").all()]
    print("  tabs: " + " | ".join(labels), flush=True)

    print("tab switches", flush=True)
    for name in ("Mismatched with ITC", "Matched with ITC", "Not found in ITC", "Matched with ITC"):
        timed(
            "tab switch",
            results,
            lambda n=name: (page.get_by_role("tab", name=re.compile(n)).click(), grid_ready(page)),
        )

    grid_ready(page)
    print("paging (the server's pages of a large tab)", flush=True)
    where = page.get_by_text(re.compile(r"^Page \d+ of")).first
    for _ in range(3):

        def next_page():
            before = where.inner_text()
            page.get_by_role("button", name="Next", exact=True).click()
            expect(where).not_to_have_text(before)
            grid_ready(page)

        timed("next page", results, next_page)

    frame = grid_ready(page)
    matched = review_count(ws, client, "matched")
    shown = min(matched, PAGE_SIZE)  # select-all in the grid selects the page shown
    print("select-all round trips", flush=True)
    checkbox = frame.locator(".ag-header-select-all input[type=checkbox]").first
    for _ in range(2):
        timed(
            "select all",
            results,
            lambda: (
                checkbox.click(),
                expect(page.get_by_role("tabpanel").get_by_text(f"{shown:,} selected")).to_be_visible(),
            ),
        )
        timed(
            "unselect all",
            results,
            lambda: (
                checkbox.click(),
                expect(page.get_by_role("tabpanel").get_by_text("0 selected")).to_be_visible(),
            ),
        )

    print("edit round trips", flush=True)
    for index in range(3):
        row = frame.locator('.ag-pinned-left-cols-container .ag-row [col-id="action"]').nth(index)
        target = "Accept" if row.inner_text().strip() == "No Action" else "No Action"

        # The previous edit's toast must be gone, so the one awaited below is this edit's.
        expect(page.locator('[data-testid="stToast"]')).to_have_count(0, timeout=30_000)
        row.click()  # open the editor and its list (the user's own clicks, not the round trip)
        frame.locator(".ag-cell-inline-editing .ag-picker-field-wrapper").click()

        def edit(target=target):
            frame.get_by_role("option", name=target, exact=True).click()
            expect(page.get_by_text(re.compile(rf"{target}: 1 document\(s\) saved")).last).to_be_visible()

        timed("edit one action (saved)", results, edit)
        wait_run_done(page)

    if SKIP_BULK:
        return
    print("bulk Accept of the whole Matched tab", flush=True)

    def bulk_accept():
        page.get_by_role("button", name=f"Accept all {matched:,} in this tab").click()
        page.get_by_role("dialog").get_by_role("button", name="Confirm Accept").click()
        expect(page.get_by_role("dialog")).to_have_count(0, timeout=300_000)
        grid_ready(page)

    timed("Accept all in this tab + regrid", results, bulk_accept)
    print(f"  decisions saved: {ws.decisions(client.id).height:,}")


def review_count(ws, client, category: str) -> int:
    review = ws.review(client.id, client.return_period)
    return review.filter((pl.col("category") == category) & ~pl.col("not_ims_record")).height


def report(results: dict, docs: int) -> None:
    print(f"\nSummary ({docs:,} documents per side; median of repeats):")
    goals = {
        "upload → four tabs (total)": 10.0,
        "tab switch": 1.0,
        "select all": 1.0,
        "edit one action (saved)": 1.0,
    }
    for label, values in results.items():
        goal = goals.get(label)
        verdict = (
            ""
            if goal is None
            else ("  within goal" if statistics.median(values) <= goal else f"  goal {goal:g} s")
        )
        print(f"  {label:<34} {statistics.median(values):7.2f} s  (n={len(values)}){verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=50_000, help="documents per side (default 50,000)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--grid-only",
        action="store_true",
        help="import through the API (untimed); time the review screen only",
    )
    parser.add_argument(
        "--no-bulk", action="store_true", help="skip the bulk Accept of the whole Matched tab"
    )
    args = parser.parse_args()
    global SKIP_BULK
    SKIP_BULK = args.no_bulk
    report(run(args.docs, args.seed, grid_only=args.grid_only), args.docs)


if __name__ == "__main__":
    main()
