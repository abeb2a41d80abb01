"""The books reader's rules: rate-wise lines, double bookings, kinds and signs, ids, skipped rows."""

from __future__ import annotations

from datetime import date

from books_files import CLIENT, KARNATAKA, KERALA, TAMIL, UMBRA, csv_text, tally_grid, tally_row, xlsx_bytes

from recon import model
from recon.readers.books import read_books

PLAIN = ["Supplier GSTIN", "Invoice No", "Invoice Date", "Rate", "Taxable Value", "IGST", "Invoice Value"]


def read_csv(rows: list[list], header: list = PLAIN, **options):
    return read_books(csv_text([header, *rows]).encode(), "books.csv", **options)


def read_tally(rows: list[list], **options):
    return read_books(xlsx_bytes({"Purchase Register": tally_grid(rows)}), "tally.xlsx", **options)


def test_rate_lines_without_voucher_column_are_one_document():
    result = read_csv(
        [
            [KERALA, "K-9", "01-10-2025", "18", "1000", "180", "1180"],
            [KERALA, "K-9", "01-10-2025", "5", "2000", "100", "2100"],
        ]
    )
    (doc,) = result.docs.iter_rows(named=True)
    assert doc["taxable_value"] == 3000 and doc["igst"] == 280
    assert doc["doc_value"] == 3280  # line values differ, so they are the lines' own values: summed
    assert doc["origin_rows"] == [2, 3]
    assert not result.warnings


def test_identical_rows_without_voucher_column_are_a_double_booking():
    row = [KERALA, "K-9", "01-10-2025", "18", "1000", "180", "1180"]
    result = read_csv([row, row])
    assert result.docs.height == 2
    first, second = result.docs.sort("origin_rows").iter_rows(named=True)
    assert first["doc_id"] == model.make_doc_id("books", KERALA, "invoice", "K-9", "2025-26", occurrence=0)
    assert second["doc_id"] == model.make_doc_id("books", KERALA, "invoice", "K-9", "2025-26", occurrence=1)
    assert first["taxable_value"] == second["taxable_value"] == 1000
    assert any("booked again (first at row 2)" in str(w) and w.where.row == 3 for w in result.warnings)
    assert second["warnings"] and not first["warnings"]


def test_same_number_same_voucher_is_lines_other_voucher_is_a_copy():
    result = read_tally(
        [
            tally_row("INV-1", 1000, voucher="P/1", value=2360),
            tally_row("INV-1", 1000, voucher="P/1", value=2360),
            tally_row("INV-1", 2000, voucher="P/7", booked=date(2025, 11, 2)),
        ]
    )
    docs = result.docs.sort("origin_rows").to_dicts()
    assert [d["origin_rows"] for d in docs] == [[6, 7], [8]]
    assert docs[0]["taxable_value"] == 2000 and docs[0]["doc_value"] == 2360
    assert docs[1]["taxable_value"] == 2000 and docs[1]["voucher_no"] == "P/7"
    assert docs[0]["doc_id"] != docs[1]["doc_id"]


def test_number_case_and_spaces_do_not_split_a_document_but_the_first_spelling_is_kept():
    result = read_csv(
        [
            [KERALA, "inv-5 ", "01-10-2025", "18", "100", "18", "118"],
            [KERALA, "INV-5", "01-10-2025", "12", "100", "12", "112"],
        ]
    )
    (doc,) = result.docs.iter_rows(named=True)
    assert doc["doc_no"] == "inv-5" and doc["taxable_value"] == 200


def test_kind_words_and_kind_map_override():
    rows = [
        tally_row("A", 100, voucher="1", vtype="Purchase"),
        tally_row("B", 100, voucher="2", vtype="Debit Note"),
        tally_row("C", 100, voucher="3", vtype="Purchase Return"),
        tally_row("D", 100, voucher="4", vtype="Credit Note"),
        tally_row("E", 100, voucher="5", vtype="GST Purchase - Local"),
    ]
    kinds = {r["doc_no"]: r["doc_kind"] for r in read_tally(rows).docs.iter_rows(named=True)}
    assert kinds == {
        "A": "invoice",
        "B": "credit_note",
        "C": "credit_note",
        "D": "credit_note",
        "E": "invoice",
    }
    mapped = read_tally(rows, kind_map={"Credit Note": "debit_note"})
    kinds = {r["doc_no"]: r["doc_kind"] for r in mapped.docs.iter_rows(named=True)}
    assert kinds["D"] == "debit_note" and kinds["B"] == "credit_note"
    assert not any("kind_map" in str(w) for w in mapped.warnings)  # the user has decided


def test_negative_line_within_an_invoice_nets_and_stays_an_invoice():
    result = read_csv(
        [
            [KERALA, "K-1", "01-10-2025", "18", "1000", "180", ""],
            [KERALA, "K-1", "01-10-2025", "18", "-100", "-18", ""],  # a discount line
        ]
    )
    (doc,) = result.docs.iter_rows(named=True)
    assert doc["doc_kind"] == "invoice" and doc["taxable_value"] == 900 and doc["igst"] == 162
    assert doc["doc_value"] is None  # blank invoice value stays "not given"


def test_debit_note_vouchers_printed_negative_stay_credit_notes_with_positive_amounts():
    result = read_tally(
        [
            tally_row("INV-1", 1000, voucher="P/1"),
            tally_row("CN-1", -100, voucher="D/1", vtype="Debit Note", cgst=-9),
        ]
    )
    notes = result.docs.filter(result.docs["doc_no"] == "CN-1").to_dicts()
    assert notes[0]["doc_kind"] == "credit_note"
    assert notes[0]["taxable_value"] == 100 and notes[0]["cgst"] == 9 and notes[0]["doc_value"] == 118


def test_fy_key_recipient_and_content_hash():
    result = read_csv(
        [[TAMIL, "TN/2025-26/0045", "15-03-2026", "18", "100", "18", "118"]], recipient_gstin=CLIENT
    )
    (doc,) = result.docs.iter_rows(named=True)
    assert doc["fy"] == "2025-26" and doc["doc_no_key"] == "TN45"
    assert doc["recipient_gstin"] == CLIENT
    again = read_csv([[TAMIL, "TN/2025-26/0045", "15-03-2026", "18", "100", "18", "118"]])
    changed = read_csv([[TAMIL, "TN/2025-26/0045", "15-03-2026", "18", "100", "18", "119"]])
    assert again.docs["content_hash"][0] == doc["content_hash"]
    assert changed.docs["content_hash"][0] != doc["content_hash"]
    assert changed.docs["doc_id"][0] == doc["doc_id"]  # same document, changed content


def test_documents_keep_file_order():
    rows = [
        [g, n, "01-10-2025", "18", "1", "0", ""] for g, n in ((UMBRA, "Z-1"), (KERALA, "A-1"), (TAMIL, "M-1"))
    ]
    assert read_csv(rows).docs["doc_no"].to_list() == ["Z-1", "A-1", "M-1"]


def test_same_number_in_another_financial_year_is_not_a_double_booking():
    result = read_csv(
        [
            [KERALA, "K-1", "01-10-2024", "18", "100", "18", "118"],
            [KERALA, "K-1", "01-10-2025", "18", "100", "18", "118"],
        ]
    )
    assert result.docs["fy"].to_list() == ["2024-25", "2025-26"]
    assert not any("booked again" in str(w) for w in result.warnings)


def test_header_row_option_reads_below_a_header_the_guess_would_not_pick():
    sheets = {
        "Cover": [["Client: Acme"]],
        "Data": [["Some title"], ["Party GSTIN", "Ref", "Dt", "Amt1"], [KERALA, "R-1", "01-10-2025", "100"]],
    }
    result = read_books(
        xlsx_bytes(sheets),
        "odd.xlsx",
        header_row=2,
        mapping={"doc_no": "Ref", "doc_date": "Dt", "taxable_value": "Amt1"},
    )
    assert result.sheet == "Data" and result.header_row == 2
    (doc,) = result.docs.iter_rows(named=True)
    assert doc["doc_no"] == "R-1" and doc["taxable_value"] == 100 and doc["supplier_gstin"] == KERALA


def test_register_of_several_branches_keeps_each_recipient_gstin():
    header = ["Company GSTIN", "Party GSTIN", "Invoice No", "Invoice Date", "Taxable Value", "IGST"]
    rows = [
        [CLIENT, KERALA, "K-1", "01-10-2025", "100", "18"],
        [KARNATAKA, KERALA, "K-2", "02-10-2025", "200", "36"],
    ]
    result = read_books(csv_text([header, *rows]).encode(), "branches.csv", recipient_gstin=CLIENT)
    assert result.mapping["supplier_gstin"] == "Party GSTIN"
    assert result.mapping["recipient_gstin"] == "Company GSTIN"
    recipients = dict(zip(result.docs["doc_no"], result.docs["recipient_gstin"], strict=True))
    assert recipients == {"K-1": CLIENT, "K-2": KARNATAKA}
    assert any("2 recipient GSTINs" in str(w) for w in result.warnings)


def test_monthly_sheets_are_all_read_and_a_number_booked_in_two_months_is_a_double_booking():
    header = ["Supplier GSTIN", "Invoice No", "Invoice Date", "Taxable Value", "IGST"]
    sheets = {
        "Notes": [["Purchase register FY 2025-26, one sheet per month"]],
        "Apr": [["April 2025"], header, [KERALA, "A-1", "01-04-2025", "100", "18"]],
        "May": [
            header,
            [KERALA, "M-1", "01-05-2025", "100", "18"],
            [KERALA, "a-1 ", "01-04-2025", "100", "18"],
        ],
    }
    result = read_books(xlsx_bytes(sheets), "monthly.xlsx")
    assert result.sheet == "Apr, May" and result.header_row is None  # header rows 2 and 1
    assert result.docs["doc_no"].to_list() == ["A-1", "M-1", "a-1"]
    assert result.docs["origin_sheet"].to_list() == ["Apr", "May", "May"]
    assert result.docs["origin_rows"].to_list() == [[3], [2], [3]]
    assert result.docs["doc_id"].n_unique() == 3
    copy = result.docs.row(2, named=True)
    assert copy["doc_id"] == model.make_doc_id("books", KERALA, "invoice", "a-1", "2025-26", occurrence=1)
    assert any("first in sheet 'Apr', row 3" in str(w) and w.where.sheet == "May" for w in result.warnings)
    assert "sheet 'Apr'" in copy["warnings"][0]
    assert result.rows_read == 3
    may = read_books(xlsx_bytes(sheets), "monthly.xlsx", sheet="May")
    assert may.docs["doc_no"].to_list() == ["M-1", "a-1"] and may.sheet == "May"


def test_apostrophe_typed_to_keep_a_number_as_text_is_not_part_of_it():
    result = read_csv([[KERALA, "'00123", "01-10-2025", "18", "100", "18", "118"]])
    assert result.docs["doc_no"].to_list() == ["00123"]
