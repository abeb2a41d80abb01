"""A supplier's name or number that looks like a formula or markup stays text in every file we write.

The client files are written here by hand: a Tally register (title rows, Tally's column names, one invoice
on two rate rows, a Debit Note voucher) and an IMS download whose supplier names and document numbers are
formulas (``=HYPERLINK(...)``, ``+1+1``, ``@SUM(A1)``, ``-2+3``), HTML and Markdown. Every workbook and
CSV the app and the CLI produce from them is read back as a spreadsheet program would read it.
"""

from __future__ import annotations

import csv
import io
import json
import re

import openpyxl
import polars as pl
import pytest

from recon import safe_text
from recon.cli import main as cli
from recon.store import Store
from recon.workspace import Workspace
from tests.handwritten_files import gstin_of, tally_workbook

HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "@SUM(A1)",
    "-2+3",
    "<b>bold</b><img src=x onerror=alert(1)>",
    "[link](http://example.invalid)",
    "![img](http://example.invalid/a.png)",
]
CLIENT = gstin_of("27", "AABCK7777K")
PERIOD = "112025"
SUPPLIERS = [
    gstin_of(state, f"AAFC{letter}{n}{n}{n}{n}{letter}")
    for n, (state, letter) in enumerate(
        [("27", "P"), ("29", "Q"), ("24", "R"), ("27", "S"), ("33", "T"), ("27", "U"), ("29", "V")], start=1
    )
]
# Supplier i is named HOSTILE[i] and its document number is HOSTILE[(i + 1) % 7]: every hostile text is
# both a name and a number somewhere.
NAMES = HOSTILE
NUMBERS = [HOSTILE[(i + 1) % len(HOSTILE)] for i in range(len(HOSTILE))]
IN_BOTH = (1, 2, 3, 6)  # supplier 3's portal tax differs: a mismatch, with a follow-up
BOOKS_ONLY = (0, 4)  # 0 is a Debit Note voucher on two rate rows: a credit note, its ITC subtracted
IMS_ONLY = (5,)


def _tax(gstin: str, taxable: float, rate: float) -> tuple[float, float, float]:
    tax = round(taxable * rate, 2)
    return (tax, 0.0, 0.0) if gstin[:2] != CLIENT[:2] else (0.0, round(tax / 2, 2), round(tax / 2, 2))


def tally_register() -> bytes:
    """Tally's purchase register with title rows; supplier 0's Debit Note on two rate rows (18% and 12%)."""
    rows = []
    for i in (*IN_BOTH, *BOOKS_ONLY):
        gstin = SUPPLIERS[i]
        voucher = "Debit Note" if i == 0 else "Purchase"
        for rate in (0.18, 0.12) if i == 0 else (0.18,):
            taxable = 1000.0 + 100 * i
            igst, cgst, sgst = _tax(gstin, taxable, rate)
            rows.append(
                [
                    "04-11-2025",
                    NAMES[i],
                    voucher,
                    f"P/{i}",
                    NUMBERS[i],
                    "02-11-2025",
                    gstin,
                    taxable,
                    igst,
                    cgst,
                    sgst,
                    round(taxable + igst + cgst + sgst, 2),
                ]
            )
    return tally_workbook(rows, span="1-Nov-2025 to 30-Nov-2025", client="Kaveri Components Pvt Ltd")


def ims_download() -> bytes:
    """The IMS JSON (b2b): suppliers 1, 2, 3 and 6 as booked (3 with less tax), 5 only here, with names."""
    records = []
    for i in (*IN_BOTH, *IMS_ONLY):
        gstin = SUPPLIERS[i]
        taxable = 1000.0 + 100 * i
        igst, cgst, sgst = (round(h * (0.5 if i == 3 else 1), 2) for h in _tax(gstin, taxable, 0.18))
        records.append(
            {
                "stin": gstin,
                "trdnm": NAMES[i],
                "inum": NUMBERS[i],
                "idt": "02-11-2025",
                "inv_typ": "R",
                "pos": CLIENT[:2],
                "val": round(taxable + igst + cgst + sgst, 2),
                "txval": taxable,
                "iamt": igst,
                "camt": cgst,
                "samt": sgst,
                "cess": 0,
                "rtnprd": PERIOD,
                "srcform": "R1",
                "srcfilstatus": "Filed",
                "action": "N",
                "ispendactblocked": "N",
                "hash": f"h{i}",
            }
        )
    return json.dumps({"rtin": CLIENT, "reqtyp": "IMS", "b2b": records}).encode()


@pytest.fixture
def files(tmp_path):
    books = tmp_path / "purchase register nov.xlsx"
    ims = tmp_path / "ims nov.json"
    books.write_bytes(tally_register())
    ims.write_bytes(ims_download())
    return books, ims


@pytest.fixture
def ws(tmp_path, files):
    """A workspace with the client, both files imported and reconciled, and every row decided."""
    books, ims = files
    workspace = Workspace(Store(f"sqlite:///{tmp_path / 'w.db'}"), user="tester")
    client = workspace.create_client("Kaveri Components Pvt Ltd", CLIENT, PERIOD)
    workspace.import_file(client.id, PERIOD, books.read_bytes(), books.name, kind="books")
    workspace.import_file(client.id, PERIOD, ims.read_bytes(), ims.name)
    workspace.reconcile(client.id, PERIOD)
    portal_ids = workspace.review(client.id, PERIOD)["portal_doc_id"].drop_nulls().to_list()
    # The remark is the consultant's text and lands in the audit trail, another CSV.
    workspace.set_action(
        client.id, PERIOD, portal_ids, "R", remarks='=HYPERLINK("http://x","y")', confirmed=True
    )
    return workspace, client


# ---------------------------------------------------------------------------------------------------
# Reading back
# ---------------------------------------------------------------------------------------------------


def workbook_cells(content: bytes) -> list:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_no_formula(content: bytes) -> list:
    cells = workbook_cells(content)
    formulas = [f"{c.parent.title}!{c.coordinate}: {c.value}" for c in cells if c.data_type == "f"]
    assert formulas == [], formulas
    return cells


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def risky_cells(rows: list[dict]) -> list[str]:
    """Cells a spreadsheet would run as a formula: a formula start that is not a plain number."""
    return [
        value
        for row in rows
        for value in row.values()
        if value and value[0] in safe_text.FORMULA_STARTS and not _is_number(value)
    ]


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def texts_of(values) -> set[str]:
    return {v for v in values if isinstance(v, str)}


# ---------------------------------------------------------------------------------------------------
# The working paper and its follow-ups
# ---------------------------------------------------------------------------------------------------


def test_the_working_paper_has_no_formula_and_shows_every_hostile_text_as_written(ws):
    workspace, client = ws
    cells = assert_no_formula(workspace.working_paper(client.id, PERIOD))
    shown = texts_of(c.value for c in cells)
    assert set(HOSTILE) <= shown  # names and numbers exactly as the supplier wrote them, not '...


def test_the_summary_sheet_lists_a_supplier_named_like_a_formula_as_text(ws):
    workspace, client = ws
    book = openpyxl.load_workbook(io.BytesIO(workspace.working_paper(client.id, PERIOD)))
    summary = [c for row in book["Summary"].iter_rows() for c in row if c.value in HOSTILE]
    assert {c.value for c in summary} == {NAMES[0], NAMES[3], NAMES[4]}  # the suppliers to follow up
    assert all(c.data_type == "s" for c in summary)


def test_follow_ups_keep_the_credit_note_minus_as_a_number(ws):
    workspace, client = ws
    book = openpyxl.load_workbook(io.BytesIO(workspace.working_paper(client.id, PERIOD)))
    sheet = book["Supplier follow-ups"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    by_name = {r["Supplier name"].value: r for r in rows if r["Supplier name"].value}
    assert set(by_name) == {NAMES[0], NAMES[3], NAMES[4]}
    note = by_name[NAMES[0]]
    assert note["Document no"].value == NUMBERS[0] and note["Document no"].data_type == "s"
    assert note["Tax"].data_type == "n" and note["Tax"].value < 0  # the Debit Note voucher subtracts
    assert by_name[NAMES[4]]["Tax"].value > 0


def test_the_cli_working_paper_has_no_formula(files, tmp_path, capsys):
    books, ims = files
    out = tmp_path / "paper.xlsx"
    assert (
        cli(["paper", "--books", str(books), "--ims", str(ims), "--out", str(out), "--client", "=1+1"]) == 0
    )
    cells = assert_no_formula(out.read_bytes())
    assert set(HOSTILE) <= texts_of(c.value for c in cells)


# ---------------------------------------------------------------------------------------------------
# CSV and Excel of the command line
# ---------------------------------------------------------------------------------------------------


def test_the_reconcile_csv_marks_formulas_as_text_and_keeps_amounts_numbers(files, tmp_path, capsys):
    books, ims = files
    out = tmp_path / "results.csv"
    assert cli(["reconcile", "--books", str(books), "--ims", str(ims), "--out", str(out)]) == 0
    rows = csv_rows(out.read_text())
    assert risky_cells(rows) == []
    names = {r["supplier_name"] for r in rows}
    assert {safe_text.TEXT_MARK + n for n in NAMES if safe_text.starts_formula(n)} <= names
    assert {n for n in NAMES if not safe_text.starts_formula(n)} <= names  # markup: text already
    # Amounts are bare numbers a spreadsheet adds up.
    amounts = [r["books_igst"] for r in rows if r["books_igst"]] + [
        r["ims_cgst"] for r in rows if r["ims_cgst"]
    ]
    assert amounts and all(_is_number(a) for a in amounts)


def test_the_reconcile_xlsx_has_no_formula(files, tmp_path, capsys):
    books, ims = files
    out = tmp_path / "results.xlsx"
    assert cli(["reconcile", "--books", str(books), "--ims", str(ims), "--out", str(out)]) == 0
    cells = assert_no_formula(out.read_bytes())
    assert set(HOSTILE) <= texts_of(c.value for c in cells)
    assert any(c.data_type == "n" and isinstance(c.value, float) for c in cells)


def test_the_reconcile_xlsx_writes_an_address_as_plain_text_not_a_link(tmp_path):
    from recon.cli.reconcile import write

    out = tmp_path / "results.xlsx"
    frame = pl.DataFrame({"supplier_name": ["http://example.invalid/pay", "=1+1"], "ims_igst": [-18.0, 9.0]})
    write(frame, out)
    cells = assert_no_formula(out.read_bytes())
    assert [c.hyperlink for c in cells if c.hyperlink] == []
    assert {c.value for c in cells} >= {"http://example.invalid/pay", "=1+1", -18.0}


def test_the_reconcile_csv_still_drives_the_actions_verb_by_number(files, tmp_path, capsys):
    """A decisions file cut from the reconcile CSV, without the ids: the marked numbers are still found."""
    books, ims = files
    results = tmp_path / "results.csv"
    assert cli(["reconcile", "--books", str(books), "--ims", str(ims), "--out", str(results)]) == 0
    table = pl.read_csv(results, infer_schema=False).filter(pl.col("ims_doc_no").is_not_null())
    # The portal takes numbers of up to 16 characters: decide on those ('-2+3 and '@SUM(A1) as written here).
    table = table.filter(pl.col("ims_doc_no").str.len_chars() <= 17)
    assert sorted(table["ims_doc_no"]) == [safe_text.TEXT_MARK + "-2+3", safe_text.TEXT_MARK + "@SUM(A1)"]
    decisions = tmp_path / "decisions.csv"
    table.select(
        "supplier_gstin",
        "ims_section",
        "ims_doc_no",
        pl.lit("R").alias("action"),
        pl.lit("wrong rate").alias("remarks"),
    ).write_csv(decisions)
    out_dir = tmp_path / "upload"
    code = cli(["actions", "--ims", str(ims), "--decisions", str(decisions), "--out-dir", str(out_dir)])
    assert code == 0, capsys.readouterr().err
    [upload] = out_dir.glob("*.json")
    numbers = {r["inum"] for r in json.loads(upload.read_text())["invdata"]["b2b"]}
    assert numbers == {"-2+3", "@SUM(A1)"}  # the numbers as the portal knows them, without the mark


# ---------------------------------------------------------------------------------------------------
# The audit trail CSV
# ---------------------------------------------------------------------------------------------------


def test_the_audit_csv_marks_a_formula_remark_as_text(ws):
    workspace, client = ws
    rows = csv_rows(workspace.audit_csv(client.id, PERIOD).decode())
    remarks = [r["remarks"] for r in rows if r["remarks"]]
    assert remarks and set(remarks) == {safe_text.TEXT_MARK + '=HYPERLINK("http://x","y")'}
    assert risky_cells(rows) == []


# ---------------------------------------------------------------------------------------------------
# The one definition
# ---------------------------------------------------------------------------------------------------


def test_a_csv_cell_is_marked_only_when_it_would_run_as_a_formula():
    frame = pl.DataFrame(
        {
            "text": [*HOSTILE, "\t=1+1", "\r=1+1", "\uff1d1+1", "-250.00", "0045", "Plain Traders", None],
            "amount": [-180.5, 12.0, -0.01, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, -7.25, 8.0, 9.0, None],
        }
    )
    rows = list(csv.reader(io.StringIO(safe_text.csv_bytes(frame).decode())))[1:]
    marked = [text for text, _ in rows if text.startswith(safe_text.TEXT_MARK)]
    assert marked == [
        safe_text.TEXT_MARK + t
        for t in ('=HYPERLINK("http://x","y")', "+1+1", "@SUM(A1)", "-2+3", "\t=1+1", "\r=1+1", "\uff1d1+1")
    ]
    assert [text for text, _ in rows][-4:-1] == ["-250.00", "0045", "Plain Traders"]  # numbers, plain text
    assert [amount for _, amount in rows][:3] == ["-180.5", "12.0", "-0.01"]  # amounts untouched


def test_a_marked_cell_reads_back_as_the_text_it_stands_for():
    frame = pl.DataFrame({"doc_no": HOSTILE + ["'quoted by the supplier", "-250"]})
    read = pl.read_csv(io.BytesIO(safe_text.csv_bytes(frame)), infer_schema=False)
    assert safe_text.csv_unescaped(read)["doc_no"].to_list() == frame["doc_no"].to_list()


@pytest.mark.parametrize(
    "text",
    [
        "[link](http://example.invalid)",
        "![img](http://example.invalid/a.png)",
        "<b>bold</b><img src=x onerror=alert(1)>",
        "see http://example.invalid or www.example.invalid or info@example.invalid",
        "**loud** _shout_ `code` ~~gone~~ $x^2$ :red[alarm]",
    ],
)
def test_markdown_literal_leaves_no_markup_start_unescaped(text):
    """Every mark that could open a link, image, tag or emphasis comes out escaped; no bare address."""
    escaped = safe_text.markdown_literal(text)
    shown = escaped.replace("\\", "").replace(safe_text.WORD_JOINER, "")
    assert shown == text  # the same characters are shown
    for mark in "[]<>*`~$":
        assert escaped.count(mark) == escaped.count("\\" + mark)
    assert re.search(r"(?i)https?:|www\.|@\w", escaped) is None


def test_markdown_literal_keeps_ordinary_punctuation_as_it_is():
    message = "acme-nov_2025.xlsx (IMS): row 4, column 'Qty'."
    assert safe_text.markdown_literal(message) == message


def test_plot_literal_turns_tags_into_characters():
    assert safe_text.plot_literal("<b>bold</b> & <a href='http://x'>") == (
        "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;a href='http://x'&gt;"
    )
    assert safe_text.plot_literal(None) is None
