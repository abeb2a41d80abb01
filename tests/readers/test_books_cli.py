"""``python -m recon read`` on purchase registers: the summary on a good file, one line and exit 2 on a bad one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from books_files import CLIENT, KERALA, tally_grid, tally_row, xlsx_bytes

REPO = Path(__file__).resolve().parents[2]


def run_read(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "recon", "read", *args], cwd=REPO, capture_output=True, text=True, timeout=120
    )


def test_read_prints_mapping_and_counts(tmp_path):
    path = tmp_path / "tally.xlsx"
    rows = [
        tally_row("A-1", 1000, voucher="P/1"),
        tally_row("A-1", 500, voucher="P/1"),
        tally_row("CN-1", 100, voucher="D/1", vtype="Debit Note", gstin=KERALA, igst=18),
    ]
    path.write_bytes(xlsx_bytes({"Purchase Register": tally_grid(rows)}))
    done = run_read(str(path), "--kind", "books", "--gstin", CLIENT)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Recognised as: books" in out and "Sheet: Purchase Register" in out and "Header row: 5" in out
    assert "doc_no             <- Supplier Invoice No." in out
    assert "Rows read: 3, skipped (totals/blank): 0" in out
    assert "Documents: 2 (1 credit note, 1 invoice)" in out


def test_read_map_and_voucher_kind_options(tmp_path):
    path = tmp_path / "books.csv"
    path.write_text(
        "Date,Bill No,Our Ref,GSTIN,Type,Taxable,IGST\n01-10-2025,B1,SUP-9,32TAAOA2947A1Z7,Credit Note,100,18\n"
    )
    done = run_read(
        str(path), "--kind", "books", "--map", "doc_no=Our Ref", "--voucher-kind", "Credit Note=debit_note"
    )
    assert done.returncode == 0, done.stderr
    assert "doc_no             <- Our Ref" in done.stdout
    assert "Documents: 1 (1 debit note)" in done.stdout


def test_read_bad_file_exits_2_with_one_line(tmp_path):
    path = tmp_path / "register.xlsx"
    path.write_bytes(b"%PDF-1.4 not a workbook")
    done = run_read(str(path), "--kind", "books")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "register.xlsx" in lines[0] and "PDF" in lines[0]
    assert "Traceback" not in done.stderr


def test_read_impossible_date_names_row_and_column(tmp_path):
    path = tmp_path / "books.csv"
    path.write_text("GSTIN,Invoice No,Invoice Date,Taxable Value\n32TAAOA2947A1Z7,K-1,31-02-2025,100\n")
    done = run_read(str(path), "--kind", "books")
    assert done.returncode == 2
    assert "row 2, column 'Invoice Date'" in done.stderr and "31-02-2025" in done.stderr
