"""The Excel working paper: sheets, counts, ITC figures, formats and the per-supplier follow-up list."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import polars as pl
import pytest

from recon import model
from recon.actions import Decision, suggest
from recon.match.result import CATEGORY_LABELS, RESULT_SCHEMA
from recon.paper import INDIAN_AMOUNT, supplier_followups, working_paper
from tests.paper_sheets import summary_table

A, B, C = "27AAPFU0939F1ZV", "33GSPTN0791G1Z5", "32TAAOA2947A1Z7"
TODAY = date(2025, 12, 5)


def doc(source: str, doc_id: str, supplier: str, doc_no: str, cgst: float, **fields) -> dict:
    row = {
        "doc_id": doc_id,
        "source": source,
        "section": "b2b" if source == "ims" else None,
        "doc_kind": "invoice",
        "supplier_gstin": supplier,
        "supplier_name": f"Supplier {supplier[2:7]}",
        "doc_no": doc_no,
        "doc_date": date(2025, 11, 7),
        "fy": "2025-26",
        "taxable_value": cgst * 10,
        "igst": 0.0,
        "cgst": cgst,
        "sgst": cgst,
        "cess": 0.0,
        "supplier_period": "112025" if source == "ims" else None,
        "supplier_filed": True if source == "ims" else None,
        "ims_action": "N" if source == "ims" else None,
        "pending_blocked": False,
        "content_hash": f"h-{doc_id}",
    }
    row.update(fields)
    return row


def canonical(rows: list[dict]) -> pl.DataFrame:
    return model.conform(pl.DataFrame(rows, schema={k: model.SCHEMA[k] for k in rows[0]}))


PORTAL = canonical(
    [
        doc("ims", "p1", A, "0045", 900.0),
        doc("ims", "p2", A, "1234567890123456", 500.0),
        doc("ims", "p3", B, "B-77", 300.0),
        doc("ims", "p4", B, "CN-1", 100.0, section="b2bcn", doc_kind="credit_note"),
        doc("ims", "p5", C, "C-9", 200.0, supplier_filed=False),
        doc("ims", "p6", C, "C-10", 50.0, doc_date=date(2025, 11, 9)),
    ]
)
BOOKS = canonical(
    [
        doc("books", "b1", A, "45", 900.0),
        doc("books", "b2", A, "1234567890123456", 450.0),
        doc("books", "b4", B, "CN-1", 100.0, doc_kind="credit_note"),
        doc("books", "b5", C, "C-9", 200.0),
        doc("books", "b6", A, "A-NEW", 70.0),
        doc("books", "b7", A, "45", 900.0),
        doc("books", "b8", C, "C-11", 40.0),
        doc("books", "b9", C, "C-10", 50.0),
    ]
)


def result(category, books_id, portal_id, differences=(), **fields) -> dict:
    row = {c: None for c in RESULT_SCHEMA}
    row.update(
        result_id=f"{books_id}~{portal_id}",
        category=category,
        books_doc_id=books_id,
        portal_doc_id=portal_id,
        basis="exact" if books_id and portal_id else None,
        needs_review=False,
        action_warnings=[],
        differences=[{"field": f, "books": None, "portal": None, "difference": None} for f in differences],
        differences_text="; ".join(f"{f} differs" for f in differences) or None,
        explanation=f"{category} {books_id or ''}{portal_id or ''}",
    )
    row.update(fields)
    return row


RESULTS = suggest(
    pl.DataFrame(
        [
            result("matched", "b1", "p1"),
            result("matched", "b4", "p4"),
            result("matched", "b5", "p5"),
            result("mismatched", "b2", "p2", ["cgst", "sgst"]),
            result("mismatched", "b9", "p6", ["doc_date"]),
            result("ims_only", None, "p3"),
            result("books_only", "b6", None),
            result("books_only", "b7", None, duplicate_of="b1"),
            result("books_only", "b8", None),
        ],
        schema=RESULT_SCHEMA,
    ),
    BOOKS,
    PORTAL,
    today=TODAY,
)


@pytest.fixture(scope="module")
def workbook() -> openpyxl.Workbook:
    content = working_paper(RESULTS, BOOKS, PORTAL, client="Asha Traders", today=TODAY)
    return openpyxl.load_workbook(io.BytesIO(content))


def rows_of(sheet) -> list[dict]:
    values = list(sheet.iter_rows(values_only=True))
    header = values[0]
    return [dict(zip(header, r, strict=True)) for r in values[1:]]


def test_the_paper_has_a_summary_one_sheet_per_category_and_the_follow_ups(workbook):
    assert workbook.sheetnames == ["Summary", *CATEGORY_LABELS.values(), "Supplier follow-ups"]


def test_each_category_sheet_holds_that_category_rows(workbook):
    expected = {"matched": 3, "mismatched": 2, "ims_only": 1, "books_only": 3}
    for category, count in expected.items():
        assert len(rows_of(workbook[CATEGORY_LABELS[category]])) == count


def test_summary_counts_and_itc_per_category(workbook):
    table = summary_table(workbook["Summary"], "Tab")
    # (documents, ITC on the tab, ITC in books, ITC in IMS)
    # Matched: b1 1800 + b5 400 in books, minus the credit note's 200 (it reduces ITC).
    assert table["Matched with ITC"][:4] == (3, 2000.0, 2000.0, 2000.0)
    # Mismatched: books 900 + 100 vs portal 1000 + 100; the tab shows the IMS figure.
    assert table["Mismatched with ITC"][:4] == (2, 1100.0, 1000.0, 1100.0)
    assert table["Not found in ITC"][:4] == (1, 600.0, 0, 600.0)
    # Books only: 140 + 1800 (the duplicate) + 80; the tab shows the books figure.
    assert table["New invoice in ITC"][:4] == (3, 2020.0, 2020.0, 0)


def test_summary_counts_per_action_and_itc_at_risk(workbook):
    actions = summary_table(workbook["Summary"], "Action (decided or suggested)")
    # Accept: p1, the credit note p4, and p6 (date-only difference); Pending: p5 unfiled, p2 amounts, p3.
    assert actions["Accept"][0] == 3
    assert actions["Pending"][0] == 3
    assert actions["No IMS action"][0] == 3
    risk = summary_table(workbook["Summary"], "Parts of ITC at risk")
    # Books-only: 140 + 80 for the supplier to report, our own double booking of 1800 apart; the
    # mismatch favours the books by nothing.
    assert risk["Claimed in books, not in IMS (supplier to report)"][0] == 220.0
    assert risk["Booked twice in the books (ours to reverse)"][0] == 1800.0
    assert risk["Total ITC at risk"][0] == 2020.0
    assert risk["In IMS, not in books (deemed accepted if left at No Action)"][0] == 600.0


def test_follow_ups_list_what_each_supplier_must_upload_or_fix():
    followups = supplier_followups(RESULTS, BOOKS, PORTAL)
    # B: its only open item is in IMS and not in books — ours to verify, not theirs to fix.
    assert set(followups) == {A, C}
    asks_a = {r["doc_no"]: r["ask"] for r in followups[A]}
    assert set(asks_a) == {"A-NEW", "1234567890123456"}  # b7 is our own double booking: not asked
    assert asks_a["A-NEW"].startswith("Please report invoice A-NEW dated 07-11-2025")
    assert "GSTR-1A" in asks_a["1234567890123456"]
    asks_c = {r["doc_no"]: r["ask"] for r in followups[C]}
    # C-10 differs only in date (theirs governs): nothing to ask. C-9 is unfiled: ask them to file.
    assert set(asks_c) == {"C-11", "C-9"}
    assert "not filed" in asks_c["C-9"]


def test_follow_up_sheet_matches_the_list(workbook):
    sheet_rows = rows_of(workbook["Supplier follow-ups"])
    assert sorted((r["Supplier GSTIN"], r["Document no"]) for r in sheet_rows) == sorted(
        [(A, "A-NEW"), (A, "1234567890123456"), (C, "C-11"), (C, "C-9")]
    )
    per_supplier = summary_table(workbook["Summary"], "Supplier follow-ups")
    assert {g: v[1] for g, v in per_supplier.items()} == {A: 2, C: 2}


def test_sheets_are_formatted_for_a_consultant(workbook):
    sheet = workbook[CATEGORY_LABELS["matched"]]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref.startswith("A1:")
    header = [c.value for c in sheet[1]]
    taxable = sheet.cell(row=2, column=header.index("IMS Taxable") + 1)
    assert taxable.number_format == INDIAN_AMOUNT
    date_cell = sheet.cell(row=2, column=header.index("IMS date") + 1)
    assert date_cell.is_date and date_cell.number_format == "dd-mm-yyyy"


def test_document_numbers_stay_text_as_written(workbook):
    matched = rows_of(workbook[CATEGORY_LABELS["matched"]])
    assert "0045" in [r["IMS doc no"] for r in matched]
    mismatched = rows_of(workbook[CATEGORY_LABELS["mismatched"]])
    assert "1234567890123456" in [r["IMS doc no"] for r in mismatched]


def test_decisions_show_as_the_action_and_stale_ones_are_flagged():
    decisions = [
        Decision("p3", "R", remarks="Not ours", content_hash="h-p3"),
        Decision("p1", "R", content_hash="old"),
    ]
    content = working_paper(RESULTS, BOOKS, PORTAL, decisions=decisions, today=TODAY)
    book = openpyxl.load_workbook(io.BytesIO(content))
    ims_only = rows_of(book[CATEGORY_LABELS["ims_only"]])[0]
    assert (ims_only["Suggested action"], ims_only["Action"], ims_only["Action by"]) == (
        "Pending",
        "Reject",
        "user",
    )
    matched = {r["IMS doc no"]: r for r in rows_of(book[CATEGORY_LABELS["matched"]])}
    assert matched["0045"]["Decision out of date"] == "supplier changed it: review"
    assert matched["0045"]["Action"] == "No Action"  # the stale Reject is not carried; the portal holds N


def test_paper_from_the_engine_has_one_row_per_result():
    from recon.match import reconcile
    from recon.synth import demo_corpus

    corpus = demo_corpus()
    results = reconcile(corpus.books, corpus.ims)
    book = openpyxl.load_workbook(io.BytesIO(working_paper(results, corpus.books, corpus.ims)))
    counts = dict(results.group_by("category").len().iter_rows())
    for category, label in CATEGORY_LABELS.items():
        assert book[label].max_row - 1 == counts.get(category, 0)


def test_paper_cli_reads_reconciles_and_writes_the_workbook(monkeypatch, tmp_path, capsys):
    from recon import cli
    from recon.synth import demo_corpus, write_files

    files = write_files(demo_corpus(), tmp_path / "in")
    monkeypatch.setattr(cli, "VERBS", ("paper",))
    out = tmp_path / "out" / "paper.xlsx"
    argv = [
        "paper",
        "--books",
        str(files["books_generic.csv"]),
        "--ims",
        str(files["ims.json"]),
        "--out",
        str(out),
    ]
    assert cli.main(argv) == 0
    assert "wrote" in capsys.readouterr().out
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "Summary" and "Supplier follow-ups" in book.sheetnames
    # The IMS file given as books is refused with one line, exit 2.
    wrong = [
        "paper",
        "--books",
        str(files["books_generic.csv"]),
        "--ims",
        str(files["books_zoho.csv"]),
        "--out",
        str(tmp_path / "x.xlsx"),
    ]
    assert cli.main(wrong) == 2
    assert "purchase register" in capsys.readouterr().err


def test_follow_up_message_lists_every_ask_of_the_papers_follow_ups():
    from recon.present import followup_message

    rows = supplier_followups(RESULTS, BOOKS, PORTAL)[A]
    text = followup_message("Asha Traders", "27AHQPA7588L1ZJ", rows[0]["supplier_name"], rows)
    assert text.startswith(f"Dear Supplier {A[2:7]},")
    assert "the purchases of Asha Traders (GSTIN 27AHQPA7588L1ZJ)" in text
    assert (
        [f"{n}. {r['ask']}" in text for n, r in enumerate(rows, start=1)]
        == [True] * len(rows)
        == [True, True]
    )
