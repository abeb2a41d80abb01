"""Registers as each ERP exports them, in each file format, read back to canonical documents.

Expected values are written from the rows each test builds, not from the reader's output.
"""

from __future__ import annotations

import codecs
from datetime import date, datetime

import polars as pl
import pytest
from books_files import (
    CLIENT,
    DELHI,
    GUJARAT,
    KARNATAKA,
    KERALA,
    TAMIL,
    UMBRA,
    csv_text,
    tally_grid,
    tally_row,
    xls_bytes,
    xlsx_bytes,
)

from recon import model
from recon.readers.books import guess_layout, read_books


def by_number(result) -> dict[str, dict]:
    return {row["doc_no"]: row for row in result.docs.iter_rows(named=True)}


# ---------------------------------------------------------------------------------------------------
# ERP layouts
# ---------------------------------------------------------------------------------------------------


def test_tally_purchase_register_with_titles_rate_lines_notes_and_grand_total():
    rows = [
        tally_row("MH/2526/0417", 30000, voucher="P/1", value=59000),
        tally_row("MH/2526/0417", 20000, voucher="P/1", value=59000),  # second rate line, value repeated
        tally_row(
            "CN-12", 1000, gstin=KERALA, igst=180, voucher="DN/1", vtype="Debit Note", name="Kerala Co"
        ),
        tally_row("T-77", 5000, gstin=TAMIL, igst=600, voucher="P/2", name="Tamil Co"),
        [None, "Grand Total", None, None, None, None, None, 56000, 780, 4500, 4500, 0, 66160],
    ]
    result = read_books(
        xlsx_bytes({"Purchase Register": tally_grid(rows)}), "tally.xlsx", recipient_gstin=CLIENT
    )

    assert result.sheet == "Purchase Register"
    assert result.header_row == 5  # four title rows above
    assert result.mapping["doc_no"] == "Supplier Invoice No."
    assert result.mapping["voucher_date"] == "Date"
    assert result.mapping["doc_date"] == "Supplier Invoice Date"
    assert result.rows_skipped == 1 and result.rows_read == 4
    docs = by_number(result)
    assert set(docs) == {"MH/2526/0417", "CN-12", "T-77"}
    umbra = docs["MH/2526/0417"]
    assert umbra["supplier_gstin"] == UMBRA and umbra["doc_kind"] == "invoice"
    assert umbra["taxable_value"] == 50000 and umbra["cgst"] == 4500 and umbra["sgst"] == 4500
    assert umbra["doc_value"] == 59000  # repeated invoice value taken once, not 118000
    assert umbra["origin_rows"] == [6, 7]
    assert umbra["doc_date"] == date(2025, 10, 1) and umbra["fy"] == "2025-26"
    assert umbra["voucher_no"] == "P/1" and umbra["supplier_name"] == "Umbra Traders"
    assert umbra["doc_no_key"] == "MH417"
    assert umbra["recipient_gstin"] == CLIENT and umbra["source"] == "books"
    assert umbra["supplier_pan"] == "AAPFU0939F" and umbra["gstin_valid"] is True
    # Tally books the supplier's credit note as a Debit Note voucher (docs/reference/matching-practice.md §7).
    assert docs["CN-12"]["doc_kind"] == "credit_note" and docs["CN-12"]["igst"] == 180
    assert docs["T-77"]["taxable_value"] == 5000 and docs["T-77"]["igst"] == 600
    assert result.counts() == {"credit_note": 1, "invoice": 2}


def test_tally_gstr2_style_two_row_header():
    group = [None, None, "Invoice details", None, None, None, None, None, "Tax Amount", None, None, None]
    header = [
        "GSTIN of Supplier",
        "Trade/Legal name",
        "Invoice number",
        "Invoice Date",
        "Invoice Value",
        "Place of Supply",
        "Reverse Charge",
        "Taxable Value",
        "Integrated Tax",
        "Central Tax",
        "State/UT Tax",
        "Cess",
    ]
    data = [
        [DELHI, "Delhi Agencies", "DL-5", "07/11/2025", "11,800.00", "Maharashtra", "No", "10,000.00", "1,800.00", None, None, None],
        [GUJARAT, "Guj Mills", "G/101", "08/11/2025", "5,600", "27-Maharashtra", "Y", "5,000", "600", None, None, None],
    ]  # fmt: skip
    grid = [["GSTR-2 Purchase details"], [], group, header, *data]
    result = read_books(xlsx_bytes({"B2B": grid}), "gstr2.xlsx")
    assert result.header_row == 4
    docs = by_number(result)
    assert docs["DL-5"]["doc_value"] == 11800 and docs["DL-5"]["igst"] == 1800
    assert docs["DL-5"]["pos"] == "27" and docs["DL-5"]["reverse_charge"] is False
    assert docs["G/101"]["reverse_charge"] is True and docs["G/101"]["pos"] == "27"
    assert docs["G/101"]["doc_date"] == date(2025, 11, 8)


def test_busy_register_voucher_and_bill_numbers():
    header = [
        "Date",
        "Vch/Bill No",
        "Party Name",
        "GSTIN",
        "Taxable Amt",
        "IGST Amt",
        "CGST Amt",
        "SGST Amt",
        "Bill Amount",
    ]
    grid = [
        ["Busy Demo Co"], ["Purchase Register"], header,
        ["05-10-2025", "B-9001", "Kerala Co", KERALA, "2,000.00", "360.00", "", "", "2,360.00"],
        ["06-10-2025", "B-9002", "Umbra Traders", UMBRA, "1,000.00", "", "90.00", "90.00", "1,180.00"],
    ]  # fmt: skip
    result = read_books(xlsx_bytes({"Sheet1": grid}), "busy.xlsx")
    assert result.mapping["doc_no"] == "Vch/Bill No" and result.mapping["doc_date"] == "Date"
    docs = by_number(result)
    assert docs["B-9001"]["igst"] == 360 and docs["B-9001"]["cgst"] == 0  # blank tax cell: zero
    assert docs["B-9002"]["cgst"] == 90 and docs["B-9002"]["doc_value"] == 1180
    assert docs["B-9002"]["doc_date"] == date(2025, 10, 6)


def test_zoho_bills_export_csv_with_item_lines():
    header = [
        "Bill Date",
        "Bill ID",
        "Bill Number",
        "Bill Status",
        "Vendor Name",
        "GST Identification Number (GSTIN)",
        "Place of Supply",
        "Item Name",
        "Quantity",
        "Item Total",
        "Item Tax %",
        "CGST",
        "SGST",
        "IGST",
        "SubTotal",
        "Total",
    ]
    rows = [
        header,
        ["2025-10-02", "4711", "ZB-1", "Open", "Umbra Traders", UMBRA, "MH", "Steel", "2", "1000.00", "18", "90.00", "90.00", "", "1500.00", "1770.00"],
        ["2025-10-02", "4711", "ZB-1", "Open", "Umbra Traders", UMBRA, "MH", "Bolts", "5", "500.00", "18", "45.00", "45.00", "", "1500.00", "1770.00"],
        ["2025-10-09", "4712", "ZB-2", "Paid", "Karnataka Co", KARNATAKA, "MH", "Paint", "1", "200.00", "12", "", "", "24.00", "200.00", "224.00"],
        ["2025-10-11", "4713", "ZB-3", "Void", "Karnataka Co", KARNATAKA, "MH", "Paint", "1", "900.00", "12", "", "", "108.00", "900.00", "1008.00"],
    ]  # fmt: skip
    result = read_books(csv_text(rows).encode("utf-8"), "Bill.csv")
    assert result.mapping["doc_no"] == "Bill Number" and result.mapping["voucher_no"] == "Bill ID"
    assert result.mapping["taxable_value"] == "Item Total" and result.mapping["doc_value"] == "Total"
    docs = by_number(result)
    assert docs["ZB-1"]["taxable_value"] == 1500 and docs["ZB-1"]["cgst"] == 135
    assert docs["ZB-1"]["doc_value"] == 1770  # bill total repeated on each item line, counted once
    assert docs["ZB-1"]["origin_rows"] == [2, 3] and docs["ZB-1"]["pos"] == "27"
    assert docs["ZB-2"]["igst"] == 24 and docs["ZB-2"]["doc_date"] == date(2025, 10, 9)
    assert "ZB-3" not in docs and result.rows_skipped == 1  # a void bill is not a purchase
    assert any("void" in str(w) and w.where.row == 5 for w in result.warnings)


def test_zoho_vendor_credits_export_is_credit_notes_by_its_header():
    header = [
        "Vendor Credit Date",
        "Vendor Credit Number",
        "Vendor Name",
        "GSTIN",
        "Item Total",
        "IGST",
        "Total",
    ]
    rows = [header, ["15-10-2025", "VC-7", "Kerala Co", KERALA, "500", "90", "590"]]
    result = read_books(csv_text(rows).encode(), "Vendor_Credits.csv")
    (doc,) = result.docs.iter_rows(named=True)
    assert doc["doc_kind"] == "credit_note" and doc["doc_no"] == "VC-7" and doc["taxable_value"] == 500


def test_sap_vendor_items_negative_invoices_are_the_exports_sign_convention():
    header = [
        "Vendor",
        "Name 1",
        "Tax Number 3",
        "Document Number",
        "Document Type",
        "Reference",
        "Document Date",
        "Posting Date",
        "Base Amount",
        "IGST",
        "CGST",
        "SGST",
        "Amount in LC",
    ]
    grid = [
        header,
        ["100045", "Delhi Agencies", DELHI, "5100000011", "KR", "DA/991", datetime(2025, 9, 28), datetime(2025, 10, 1), -10000, -1800, 0, 0, -11800],
        ["100046", "Guj Mills", GUJARAT, "5100000012", "KR", "GM-4", datetime(2025, 9, 29), datetime(2025, 10, 1), -2000, -240, 0, 0, -2240],
        ["100045", "Delhi Agencies", DELHI, "5100000013", "KG", "DA/CN/3", datetime(2025, 10, 5), datetime(2025, 10, 6), 1000, 180, 0, 0, 1180],
    ]  # fmt: skip
    result = read_books(xlsx_bytes({"FBL1N": grid}), "fbl1n.xlsx")
    assert result.mapping["doc_no"] == "Reference" and result.mapping["voucher_no"] == "Document Number"
    docs = by_number(result)
    assert docs["DA/991"]["doc_kind"] == "invoice" and docs["DA/991"]["taxable_value"] == 10000
    assert docs["DA/991"]["doc_value"] == 11800 and docs["DA/991"]["doc_date"] == date(2025, 9, 28)
    assert docs["DA/CN/3"]["doc_kind"] == "credit_note" and docs["DA/CN/3"]["igst"] == 180
    assert docs["DA/991"]["voucher_no"] == "5100000011"  # a 10-digit number cell stays exact text
    assert any("sign convention" in str(w) for w in result.warnings)


def test_marg_register_as_real_xls():
    header = [
        "Bill No",
        "Bill Date",
        "Party Name",
        "GST No",
        "Taxable",
        "CGST Amt",
        "SGST Amt",
        "IGST Amt",
        "Cess Amt",
        "Net Amount",
    ]
    grid = [
        ["MARG ERP 9+"], ["PURCHASE REGISTER"], header,
        [1045, datetime(2025, 11, 3), "Umbra Traders", UMBRA, 1000, 90, 90, 0, 0, 1180],
        ["M/22", datetime(2025, 11, 4), "Tamil Co", TAMIL, 2500.5, 0, 0, 450.09, 0, 2950.59],
    ]  # fmt: skip
    result = read_books(xls_bytes({"Purchase": grid}), "marg.xls")
    assert result.file_format == "xls" and result.header_row == 3
    docs = by_number(result)
    assert "1045" in docs  # a whole-number cell is "1045", never "1045.0"
    assert docs["1045"]["cgst"] == 90 and docs["1045"]["doc_date"] == date(2025, 11, 3)
    assert docs["M/22"]["igst"] == 450.09 and docs["M/22"]["taxable_value"] == 2500.5


def test_generic_template_semicolon_csv_with_indian_amounts():
    header = [
        "S.No",
        "Supplier Name",
        "Supplier GSTIN",
        "Inv No",
        "Inv Dt",
        "Taxable Value (₹)",
        "IGST (Rs.)",
        "CGST Amt",
        "SGST/UTGST Amt",
        "Cess",
        "Total",
        "POS",
        "RCM",
    ]
    rows = [
        header,
        ["1", "Delhi Agencies", DELHI.lower(), "INV/0045", "07/11/25", "1,23,456.50", "₹ 22,222.17", "", "", "", "1,45,678.67", "Maharashtra", "N"],
        ["2", "Umbra Traders", f" {UMBRA} ", "U-1", "01-Oct-2025", "(1,000.00)", "", "90", "90", "", "(1,180.00)", "27", "No"],
    ]  # fmt: skip
    result = read_books(csv_text(rows, ";").encode(), "template.csv")
    docs = by_number(result)
    delhi = docs["INV/0045"]
    assert delhi["supplier_gstin"] == DELHI and delhi["taxable_value"] == 123456.5
    assert delhi["igst"] == 22222.17 and delhi["doc_value"] == 145678.67
    assert (
        delhi["doc_date"] == date(2025, 11, 7) and delhi["pos"] == "27" and delhi["reverse_charge"] is False
    )
    # A bracketed (negative) purchase is a credit note, stored positive (recon.model sign convention).
    umbra = docs["U-1"]
    assert umbra["supplier_gstin"] == UMBRA and umbra["doc_kind"] == "credit_note"
    assert umbra["taxable_value"] == 1000 and umbra["doc_value"] == 1180 and umbra["cgst"] == 90


# ---------------------------------------------------------------------------------------------------
# File formats and encodings
# ---------------------------------------------------------------------------------------------------

SIMPLE = [
    [
        "Supplier GSTIN",
        "Supplier Name",
        "Invoice No",
        "Invoice Date",
        "Taxable Value",
        "IGST",
        "CGST",
        "SGST",
    ],
    [KERALA, "Café Kerala", "K-1", "01-10-2025", "1000.00", "180.00", "", ""],
    [UMBRA, "Umbra Traders", "0012", "02-10-2025", "500", "", "45", "45"],
]


def check_simple(result) -> None:
    docs = by_number(result)
    assert set(docs) == {"K-1", "0012"}  # leading zeros kept as written
    assert docs["K-1"]["supplier_name"] == "Café Kerala"
    assert docs["K-1"]["igst"] == 180 and docs["0012"]["cgst"] == 45
    assert docs["0012"]["doc_date"] == date(2025, 10, 2)


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda t: t.encode("utf-8"), id="utf-8"),
        pytest.param(lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), id="utf-8-bom"),
        pytest.param(lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"), id="utf-16-le-bom"),
        pytest.param(lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), id="utf-16-be-bom"),
        pytest.param(lambda t: t.encode("cp1252"), id="cp1252"),
    ],
)
def test_csv_encodings(encode):
    result = read_books(encode(csv_text(SIMPLE)), "books.csv")
    assert result.file_format == "csv"
    check_simple(result)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "pipe"])
def test_csv_delimiters_with_title_lines(delimiter):
    text = "Purchase Register\nApril 2025 to March 2026\n\n" + csv_text(SIMPLE, delimiter)
    result = read_books(text.encode(), "books.txt")
    assert result.header_row == 4
    check_simple(result)
    assert by_number(result)["K-1"]["origin_rows"] == [5]


def test_xlsx_and_xls_and_xlsm_read_alike():
    xlsx = read_books(xlsx_bytes({"Books": SIMPLE}), "books.xlsx")
    xls = read_books(xls_bytes({"Books": SIMPLE}), "books.xls")
    # A genuine macro-enabled package: xlsxwriter embeds a (dummy) vbaProject.bin part.
    xlsm = read_books(xlsx_bytes({"Books": SIMPLE}, vba=b"not real VBA, only the part"), "books.xlsm")
    assert (xlsx.file_format, xls.file_format, xlsm.file_format) == ("xlsx", "xls", "xlsm")
    for result in (xlsx, xls, xlsm):
        check_simple(result)
    drop = ["origin_file"]
    assert xlsx.docs.drop(drop).equals(xls.docs.drop(drop))
    assert xlsx.docs.drop(drop).equals(xlsm.docs.drop(drop))


def test_canonical_shape_and_identity():
    result = read_books(xlsx_bytes({"Books": SIMPLE}), "books.xlsx")
    assert result.docs.columns == list(model.SCHEMA)
    assert result.docs.schema == pl.Schema(model.SCHEMA)
    row = by_number(result)["K-1"]
    assert row["doc_id"] == model.make_doc_id("books", KERALA, "invoice", "K-1", "2025-26")
    assert row["content_hash"] and row["origin_file"] == "books.xlsx" and row["origin_sheet"] == "Books"
    assert row["origin_rows"] == [2] and row["section"] is None


def test_best_sheet_is_chosen_not_the_first():
    notes = [["Notes for the auditor"], ["Invoice No", "Remarks"], ["K-1", "check"]]
    layout = guess_layout(xlsx_bytes({"Notes": notes, "Register": SIMPLE}), "two.xlsx")
    assert layout.sheet_names == ["Notes", "Register"]
    assert layout.sheet == "Register" and layout.header_row == 1
    assert layout.sheet_scores["Register"] > layout.sheet_scores["Notes"]
    assert layout.mapping["doc_no"] == "Invoice No" and layout.missing == []
    result = read_books(xlsx_bytes({"Notes": notes, "Register": SIMPLE}), "two.xlsx")
    assert result.sheet == "Register"
    check_simple(result)


def test_guess_layout_offers_candidates_for_the_mapping_screen():
    header = ["Date", "Bill No", "Invoice No", "GSTIN", "Taxable", "IGST"]
    layout = guess_layout(csv_text([header, ["01-10-2025", "B1", "I1", KERALA, "1", "0"]]).encode(), "x.csv")
    assert layout.candidates["doc_no"] == ["Bill No", "Invoice No"]
    assert layout.mapping["doc_no"] == "Bill No"
    assert "Date" in layout.candidates["doc_date"] and "Date" in layout.candidates["voucher_date"]


def test_mapping_override_picks_another_column():
    header = ["Date", "Bill No", "Our Ref", "GSTIN", "Taxable", "IGST"]
    data = csv_text([header, ["01-10-2025", "B1", "SUP-9", KERALA, "100", "18"]]).encode()
    result = read_books(data, "x.csv", mapping={"doc_no": "Our Ref"})
    assert result.mapping["doc_no"] == "Our Ref"
    assert result.docs.get_column("doc_no").to_list() == ["SUP-9"]


def test_tally_columnar_register_sums_ledger_columns_per_field():
    header = [
        "Date",
        "Particulars",
        "Voucher Type",
        "Voucher No.",
        "Supplier Invoice No.",
        "GSTIN/UIN",
        "Purchase @18%",
        "Purchase @12%",
        "Input CGST @9%",
        "Input SGST @9%",
        "Input CGST @6%",
        "Input SGST @6%",
        "Input IGST @18%",
        "Round Off",
        "Gross Total",
    ]
    grid = [
        ["Acme Industries Pvt Ltd"], ["Purchase Register"], header,
        [datetime(2025, 10, 3), "Umbra Traders", "Purchase", "1", "U-55", UMBRA, 1000, 500, 90, 90, 30, 30, None, 0.0, 1740],
        [datetime(2025, 10, 4), "Kerala Co", "Purchase", "2", "K-7", KERALA, 2000, None, None, None, None, None, 360, -0.4, 2359.6],
    ]  # fmt: skip
    result = read_books(xlsx_bytes({"Purchase Register": grid}), "columnar.xlsx")
    assert result.mapping["taxable_value"] == "Purchase @18% + Purchase @12%"
    assert result.mapping["cgst"] == "Input CGST @9% + Input CGST @6%"
    assert result.mapping["igst"] == "Input IGST @18%"
    docs = by_number(result)
    assert (
        docs["U-55"]["taxable_value"] == 1500 and docs["U-55"]["cgst"] == 120 and docs["U-55"]["sgst"] == 120
    )
    assert docs["U-55"]["igst"] == 0 and docs["U-55"]["doc_value"] == 1740
    assert docs["K-7"]["taxable_value"] == 2000 and docs["K-7"]["igst"] == 360 and docs["K-7"]["cgst"] == 0
    # The user can name ledger columns too, joined by " + ".
    chosen = read_books(
        xlsx_bytes({"Purchase Register": grid}), "columnar.xlsx", mapping={"taxable_value": "Purchase @18%"}
    )
    assert by_number(chosen)["U-55"]["taxable_value"] == 1000


def test_two_row_header_group_names_the_supplier_invoice_columns():
    group = ["Date", "Particulars", "GSTIN/UIN", "Supplier Invoice", None, "Taxable Value", "Tax", None, None]
    own = [None, None, None, "No.", "Date", None, "IGST", "CGST", "SGST"]
    row = [datetime(2025, 10, 3), "Umbra Traders", UMBRA, "U-1", datetime(2025, 10, 1), 1000, None, 90, 90]
    result = read_books(xlsx_bytes({"Register": [["Acme"], [], group, own, row]}), "merged.xlsx")
    assert result.header_row == 4
    # "Date" under "Supplier Invoice" is the invoice date; the bare "Date" column is the voucher date.
    assert result.mapping["doc_no"] == "Supplier Invoice No."
    assert result.mapping["doc_date"] == "Supplier Invoice Date" and result.mapping["voucher_date"] == "Date"
    (doc,) = result.docs.iter_rows(named=True)
    assert doc["doc_no"] == "U-1" and doc["doc_date"] == date(2025, 10, 1)
    assert doc["cgst"] == 90 and doc["igst"] == 0 and doc["origin_rows"] == [5]


def test_web_erp_export_html_table_named_xls():
    html = f"""<html><head><meta charset="utf-8"></head><body><table>
    <tr><td colspan="5"><b>Acme Traders</b></td></tr>
    <tr><td colspan="5">Purchase Register 01-Apr-2025 to 31-Mar-2026</td></tr>
    <tr><th>Bill Date</th><th>Bill No</th><th>Party GSTIN</th><th>Taxable Amt</th><th>IGST Amt</th></tr>
    <tr><td>01-10-2025</td><td>K&amp;1</td><td>{KERALA}</td><td>1,000.00</td><td>180.00</td></tr>
    <tr><td>02-10-2025</td><td>1234567890123456</td><td>{TAMIL}</td><td>50</td><td>9</td></tr>
    <tr><td colspan="3">Total</td><td>1,050.00</td><td>189.00</td></tr>
    </table></body></html>"""
    result = read_books(html.encode(), "export.xls")
    assert result.file_format == "html" and result.header_row == 3 and result.rows_skipped == 1
    docs = by_number(result)
    assert (
        docs["K&1"]["taxable_value"] == 1000
        and docs["K&1"]["igst"] == 180
        and docs["K&1"]["origin_rows"] == [4]
    )
    assert docs["1234567890123456"]["supplier_gstin"] == TAMIL
    assert not result.warnings  # HTML holds the 16-digit number as text: nothing was rounded
