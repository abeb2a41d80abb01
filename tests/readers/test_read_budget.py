"""A file too large for the server's memory is refused before it is read, saying what it holds and what to do."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from recon.errors import InputError
from recon.readers import memory, read
from recon.readers.books import guess_layout
from tests.handwritten_files import tally_register

INVOICES = [(i % 3, f"KA/{i:03d}") for i in range(8)]


def _with_declared_dimension(workbook: bytes, ref: str) -> bytes:
    """The same workbook whose sheet claims to span ``ref`` (as a sheet a million rows long would)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dest,
    ):
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                content = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>'.encode(), content)
            dest.writestr(item.filename, content)
    return out.getvalue()


def test_a_workbook_declaring_more_cells_than_the_budget_is_refused_before_reading(monkeypatch):
    monkeypatch.setattr(memory, "READ_BUDGET", 64 * 1024**2)
    register = _with_declared_dimension(tally_register(INVOICES), "A1:L2000000")
    with pytest.raises(InputError) as refused:
        read(register, "Purchase Register FY.xlsx", kind="books")
    message = str(refused.value)
    assert "Purchase Register FY.xlsx" in message
    assert "refused before reading" in message
    assert "2,000,000 rows × 12 columns" in message
    assert "64.0 MB" in message  # the limit it passed
    # The import page guesses the layout first: it refuses the same file in the same words.
    with pytest.raises(InputError) as guessed:
        guess_layout(register, "Purchase Register FY.xlsx")
    assert "2,000,000 rows × 12 columns" in str(guessed.value)


def test_the_same_register_as_exported_is_read_under_that_budget(monkeypatch):
    monkeypatch.setattr(memory, "READ_BUDGET", 64 * 1024**2)
    result = read(tally_register(INVOICES), "Purchase Register.xlsx", kind="books")
    assert result.docs.height == len(INVOICES)


def test_a_csv_too_large_for_the_budget_is_refused_naming_its_size(monkeypatch):
    monkeypatch.setattr(memory, "READ_BUDGET", 1024**2)
    line = "27AAFCS3333C1Z5,Supplier 0,Purchase,P/1,KA/1,01-11-2025,1000,180,0,0,1180\n"
    text = (
        "Supplier GSTIN,Particulars,Voucher Type,Voucher No.,Supplier Invoice No.,Supplier Invoice Date,"
        "Taxable Value,Integrated Tax Amount,Central Tax Amount,State Tax Amount,Invoice Value\n"
    )
    lines = 2 * memory.READ_BUDGET // (memory.CSV_FACTOR * len(line))  # twice what the budget allows
    register = (text + line * lines).encode()
    with pytest.raises(InputError) as refused:
        read(register, "register.csv", kind="books")
    message = str(refused.value)
    assert "register.csv" in message and "refused before reading" in message and "of text" in message
    assert "shorter period" in message  # what to do about it


def _tally_csv(invoices: int) -> bytes:
    header = "Date,Particulars,Voucher Type,Voucher No.,Supplier Invoice No.,Supplier Invoice Date,GSTIN/UIN,"
    header += "Taxable Value,Integrated Tax Amount,Central Tax Amount,State Tax Amount,Invoice Value\r\n"
    lines = [
        f"03-11-2025,Supplier 0,Purchase,P/{i},KA/{i},01-11-2025,27AAFCS3333C1Z5,"
        '"1,000.00",,90.00,90.00,"1,180.00"\r\n'
        for i in range(invoices)
    ]
    return ("Acme Industries Pvt Ltd\r\nPurchase Register\r\n\r\n" + header + "".join(lines)).encode()


def test_a_csv_register_is_read_when_the_budget_holds_ten_times_its_size(monkeypatch):
    # The CSV reader splits the file's bytes in place: ten times the file is room enough (it was not).
    register = _tally_csv(3000)
    monkeypatch.setattr(memory, "READ_BUDGET", 10 * len(register))
    result = read(register, "register.csv", kind="books")
    assert result.docs.height == 3000


def test_a_web_page_table_saved_as_xls_is_still_judged_by_its_heavier_reading(monkeypatch):
    # An HTML "spreadsheet" is parsed into Python lists, which takes far more than a CSV of the same size.
    rows = "".join(f"<tr><td>KA/{i}</td><td>1000</td></tr>" for i in range(3000))
    page = f"<html><body><table>{rows}</table></body></html>".encode()
    monkeypatch.setattr(memory, "READ_BUDGET", 10 * len(page))
    with pytest.raises(InputError) as refused:
        read(page, "register.xls", kind="books")
    assert "refused before reading" in str(refused.value) and "register.xls" in str(refused.value)
