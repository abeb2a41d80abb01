"""GSTR-2B reader: JSON sections, document vs rate-line amounts, IMS rejections, and the portal Excel."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from portal_fixtures import (
    GSPTN,
    GSTR2B_EXAMPLE,
    RECIPIENT,
    TAAOA,
    UMBRA,
    UMBRA_KA,
    b2b_row,
    gstr2b_statement,
    gstr2b_supplier,
    gstr2b_workbook,
    json_bytes,
)

from recon import jsonio, model
from recon.errors import InputError
from recon.readers.gstr2b import read_gstr2b


def _by_no(result) -> dict[str, dict]:
    return {d["doc_no"]: d for d in result.docs.to_dicts()}


def _amounts(doc) -> list:
    return [doc[c] for c in ("taxable_value", "igst", "cgst", "sgst", "cess", "doc_value")]


# ---------------------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------------------


def test_formats_example_sums_rate_lines_into_one_document():
    result = read_gstr2b(GSTR2B_EXAMPLE.encode(), "2b.json")

    assert (result.source, result.recipient_gstin, result.period) == ("gstr2b", RECIPIENT, "112025")
    assert result.docs.height == 1
    doc = result.docs.to_dicts()[0]
    assert _amounts(doc) == [50000.0, 0.0, 4500.0, 4500.0, 0.0, 59000.0]
    assert (doc["section"], doc["doc_kind"], doc["doc_no"], doc["doc_date"]) == (
        "b2b",
        "invoice",
        "MH/2526/0417",
        date(2025, 11, 7),
    )
    assert (doc["supplier_gstin"], doc["supplier_name"], doc["supplier_period"]) == (
        UMBRA,
        "Umbra Traders",
        "112025",
    )
    assert (doc["supply_type"], doc["pos"], doc["reverse_charge"]) == ("R", "27", False)
    assert (doc["itc_available"], doc["ims_action"], doc["supplier_filed"]) == ("Y", "A", True)
    assert doc["recipient_gstin"] == RECIPIENT
    assert doc["doc_id"] == model.make_doc_id(
        "gstr2b", UMBRA, "invoice", "MH/2526/0417", "2025-26", section="b2b"
    )
    # the rate lines stay in raw, with their literals, beside the supplier keys
    raw = jsonio.loads_exact(doc["raw"])
    assert raw["ctin"] == UMBRA and len(raw["items"]) == 2
    assert '"txval":30000.00' in doc["raw"]


def test_document_level_amounts_win_over_items():
    invoice = {
        "inum": "D-1",
        "typ": "R",
        "dt": "02-11-2025",
        "val": Decimal("1180.00"),
        "pos": "29",
        "rev": "N",
        "itcavl": "Y",
        "txval": Decimal("1000.00"),
        "igst": Decimal("180.00"),
        "cgst": 0,
        "sgst": 0,
        "cess": 0,
        "items": [{"num": 1, "rt": 18, "txval": Decimal("999.00"), "igst": Decimal("179.82")}],
    }
    statement = gstr2b_statement({"b2b": [gstr2b_supplier(UMBRA_KA, "inv", [invoice])]})
    doc = read_gstr2b(json_bytes(statement), "2b.json").docs.to_dicts()[0]
    assert _amounts(doc) == [1000.0, 180.0, 0.0, 0.0, 0.0, 1180.0]


def test_every_docdata_section():
    def note(number, typ, **extra):
        return {
            "ntnum": number,
            "typ": typ,
            "suptyp": "SEWOP",
            "dt": "20-11-2025",
            "val": 590,
            "pos": "27",
            "rev": "N",
            "itcavl": "Y",
            "txval": 500,
            "igst": 90,
            "cgst": 0,
            "sgst": 0,
            "cess": 0,
        } | extra

    def inv(number, **extra):
        return {
            "inum": number,
            "typ": "SEZWP",
            "dt": "03-11-2025",
            "val": 118,
            "pos": "27",
            "rev": "Y",
            "itcavl": "N",
            "rsn": "P",
            "txval": 100,
            "igst": 18,
            "cgst": 0,
            "sgst": 0,
            "cess": 0,
        } | extra

    docdata = {
        "b2b": [gstr2b_supplier(UMBRA, "inv", [inv("B-1")])],
        "b2ba": [gstr2b_supplier(UMBRA, "inv", [inv("B-2A", oinum="B-2", oidt="01-10-2025")])],
        "cdnr": [gstr2b_supplier(GSPTN, "nt", [note("CN-1", "C"), note("DN-1", "D")])],
        "cdnra": [
            gstr2b_supplier(GSPTN, "nt", [note("CN-2A", "C", onttyp="C", ontnum="CN-2", ontdt="05-10-2025")])
        ],
        "ecom": [gstr2b_supplier(TAAOA, "inv", [inv("E-1")])],
        "isd": [
            {
                "ctin": TAAOA,
                "trdnm": "ISD Office",
                "supprd": "112025",
                "supfildt": "13-12-2025",
                "doclist": [
                    {
                        "doctyp": "ISDC",
                        "docnum": "ISD-7",
                        "docdt": "15-11-2025",
                        "oinvnum": "ISD-3",
                        "oinvdt": "15-10-2025",
                        "igst": 50,
                        "cgst": 0,
                        "sgst": 0,
                        "cess": 0,
                        "itcelg": "Y",
                    }
                ],
            }
        ],
        "impg": [
            {
                "refdt": "10-11-2025",
                "recdt": "11-11-2025",
                "portcode": "INNSA1",
                "boenum": "7654321",
                "boedt": "09-11-2025",
                "isamd": "N",
                "txval": 100000,
                "igst": 18000,
                "cess": 0,
            }
        ],
        "impgsez": [
            {
                "ctin": UMBRA,
                "trdnm": "SEZ Unit",
                "boe": [
                    {
                        "portcode": "INNSA1",
                        "boenum": "1112223",
                        "boedt": "08-11-2025",
                        "isamd": "N",
                        "txval": 500,
                        "igst": 90,
                        "cess": 0,
                    }
                ],
            }
        ],
    }
    result = read_gstr2b(json_bytes(gstr2b_statement(docdata)), "2b.json")
    docs = _by_no(result)

    expected = {
        "B-1": ("b2b", "invoice", False),
        "B-2A": ("b2ba", "invoice", True),
        "CN-1": ("cdnr", "credit_note", False),
        "DN-1": ("cdnr", "debit_note", False),
        "CN-2A": ("cdnra", "credit_note", True),
        "E-1": ("ecom", "invoice", False),
        "ISD-7": ("isd", "credit_note", False),
        "7654321": ("impg", "bill_of_entry", False),
        "1112223": ("impgsez", "bill_of_entry", False),
    }
    assert {n: (d["section"], d["doc_kind"], d["is_amendment"]) for n, d in docs.items()} == expected
    assert (docs["B-2A"]["original_doc_no"], docs["B-2A"]["original_doc_date"]) == ("B-2", date(2025, 10, 1))
    assert (docs["CN-2A"]["original_doc_no"], docs["CN-2A"]["original_doc_date"]) == (
        "CN-2",
        date(2025, 10, 5),
    )
    # cdnr: typ is the note type, suptyp the supply type; b2b typ SEZWP is the code SEWP
    assert docs["CN-1"]["supply_type"] == "SEWOP" and docs["B-1"]["supply_type"] == "SEWP"
    assert (
        docs["B-1"]["reverse_charge"],
        docs["B-1"]["itc_available"],
        docs["B-1"]["itc_unavailable_reason"],
    ) == (True, "N", "P")
    assert docs["ISD-7"]["itc_available"] == "Y" and "ISD credit note" in docs["ISD-7"]["warnings"][0]
    assert docs["7654321"]["supplier_gstin"] is None and docs["7654321"]["taxable_value"] == 100000.0
    assert docs["1112223"]["supplier_gstin"] == UMBRA
    assert result.docs["doc_id"].n_unique() == len(expected)


def test_documents_rejected_in_ims_are_marked_rejected():
    rejected_note = {
        "ntnum": "CN-9",
        "typ": "C",
        "suptyp": "R",
        "dt": "20-11-2025",
        "val": 118,
        "pos": "27",
        "rev": "N",
        "itcavl": "Y",
        "txval": 100,
        "igst": 18,
        "cgst": 0,
        "sgst": 0,
        "cess": 0,
    }
    statement = gstr2b_statement(
        {
            "b2b": [
                gstr2b_supplier(
                    UMBRA,
                    "inv",
                    [
                        {
                            "inum": "OK-1",
                            "typ": "R",
                            "dt": "01-11-2025",
                            "val": 1,
                            "pos": "27",
                            "rev": "N",
                            "itcavl": "Y",
                            "txval": 1,
                            "imsStatus": "N",
                        }
                    ],
                )
            ]
        },
        rejected={"cdnr": [gstr2b_supplier(GSPTN, "nt", [rejected_note])]},
    )
    docs = _by_no(read_gstr2b(json_bytes(statement), "2b.json"))
    assert docs["CN-9"]["ims_action"] == "R" and docs["CN-9"]["origin_sheet"] == "docRejdata/cdnr"
    assert docs["CN-9"]["section"] == "cdnr" and docs["CN-9"]["doc_kind"] == "credit_note"
    assert docs["OK-1"]["ims_action"] == "N" and docs["OK-1"]["origin_sheet"] == "b2b"


def test_statement_for_another_gstin_is_refused():
    with pytest.raises(InputError) as err:
        read_gstr2b(GSTR2B_EXAMPLE.encode(), "2b.json", recipient_gstin=TAAOA)
    assert f"this 2B is for GSTIN {RECIPIENT}, the client is {TAAOA}" in str(err.value)


def test_itc_reversal_block_is_reported_not_read():
    statement = gstr2b_statement({"itcrev": {"b2b": []}, "b2b": []})
    result = read_gstr2b(json_bytes(statement), "2b.json")
    assert result.docs.height == 0
    assert any("ITC-reversal" in w.message for w in result.warnings)


def test_missing_date_names_supplier_and_document():
    statement = gstr2b_statement({"b2b": [gstr2b_supplier(UMBRA, "inv", [{"inum": "X-1", "val": 1}])]})
    with pytest.raises(InputError) as err:
        read_gstr2b(json_bytes(statement), "2b.json")
    assert "docdata section 'b2b', supplier 1, document 1, field 'dt': missing" in str(err.value)


def test_note_with_unknown_type_is_refused():
    statement = gstr2b_statement(
        {"cdnr": [gstr2b_supplier(GSPTN, "nt", [{"ntnum": "N1", "typ": "X", "dt": "01-11-2025"}])]}
    )
    with pytest.raises(InputError, match="'X' is not a note type"):
        read_gstr2b(json_bytes(statement), "2b.json")


# ---------------------------------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------------------------------

EXCEL_B2B = [
    # a two-rate invoice on two rows, dates as the portal writes them (text) and as Excel dates
    b2b_row(
        UMBRA,
        "Umbra Traders",
        "MH/2526/0417",
        "Regular",
        "07/11/2025",
        59000,
        "Maharashtra",
        "No",
        18,
        30000,
        0,
        2700,
        2700,
    ),
    b2b_row(
        UMBRA,
        "Umbra Traders",
        "MH/2526/0417",
        "Regular",
        "07/11/2025",
        59000,
        "Maharashtra",
        "No",
        5,
        20000,
        0,
        500,
        500,
    ),
    b2b_row(
        GSPTN,
        "GSP Tamil",
        "TN-88",
        "SEZ supplies with payment",
        datetime(2025, 11, 12),
        1180.5,
        "Tamil Nadu",
        "No",
        18,
        1000.5,
        180,
        0,
        0,
    ),
    b2b_row(
        TAAOA,
        "Kerala Co",
        "KL-1",
        "Deemed Exp",
        "14/11/2025",
        100,
        "Kerala",
        "Yes",
        18,
        84.75,
        15.25,
        0,
        0,
        period="Nov'25",
        itc="No",
        reason="POS rule",
    ),
    b2b_row(
        UMBRA_KA,
        "Umbra KA",
        "KA-5",
        "SEZ supplies without payment",
        "15/11/2025",
        100,
        "Andaman and Nicobar Islands",
        "No",
        0,
        100,
        0,
        0,
        0,
    ),
]
EXCEL_CDNR = [
    [GSPTN, "GSP Tamil", "CN-0093", "Credit Note", "Regular", "18/11/2025", 2360, "Maharashtra", "No", 18, 2000, 360, 0, 0, 0, "Nov'25", "11/12/2025", "Yes", "", "", "", "", ""],
    [TAAOA, "Kerala Co", "DN/77", "Debit Note", "Regular", "21/11/2025", 1180, "Maharashtra", "No", 18, 1000, 180, 0, 0, 0, "Nov'25", "11/12/2025", "Yes", "", "", "", "", ""],
]  # fmt: skip
EXCEL_B2BA = [
    [
        "MH/2526/0300",
        "01/10/2025",
        *b2b_row(
            UMBRA,
            "Umbra Traders",
            "MH/2526/0300A",
            "Regular",
            "02/11/2025",
            1180,
            "Maharashtra",
            "No",
            18,
            1000,
            0,
            90,
            90,
        ),
    ],
]


def _excel_result(**kwargs):
    data = gstr2b_workbook(EXCEL_B2B, EXCEL_CDNR, EXCEL_B2BA, **kwargs)
    return read_gstr2b(data, "112025_27AHQPA7588L1ZJ_GSTR2B_14122025.xlsx")


def test_excel_groups_rate_rows_into_documents_with_their_rows():
    result = _excel_result()
    docs = _by_no(result)

    assert result.rows_read == 8  # spreadsheet lines, before grouping
    assert len(docs) == 7
    two_rate = docs["MH/2526/0417"]
    assert _amounts(two_rate) == [50000.0, 0.0, 3200.0, 3200.0, 0.0, 59000.0]
    assert (two_rate["origin_sheet"], two_rate["origin_rows"]) == ("B2B", [7, 8])
    assert two_rate["doc_date"] == date(2025, 11, 7)
    assert docs["TN-88"]["doc_date"] == date(2025, 11, 12)  # an Excel date cell
    assert _amounts(docs["TN-88"]) == [1000.5, 180.0, 0.0, 0.0, 0.0, 1180.5]
    raw = jsonio.loads_exact(two_rate["raw"])
    assert [line["Rate(%)"] for line in raw["lines"]] == [18, 5]


def test_excel_words_become_codes():
    docs = _by_no(_excel_result())
    got = {
        n: (d["pos"], d["supply_type"], d["reverse_charge"], d["itc_available"])
        for n, d in docs.items()
        if d["section"] == "b2b"
    }
    assert got == {
        "MH/2526/0417": ("27", "R", False, "Y"),
        "TN-88": ("33", "SEWP", False, "Y"),
        "KL-1": ("32", "DE", True, "N"),
        "KA-5": ("35", "SEWOP", False, "Y"),
    }
    assert docs["KL-1"]["itc_unavailable_reason"] == "P"
    assert docs["KL-1"]["supplier_period"] == "112025"  # "Nov'25"


def test_excel_notes_and_amendments():
    docs = _by_no(_excel_result())
    assert (docs["CN-0093"]["section"], docs["CN-0093"]["doc_kind"]) == ("cdnr", "credit_note")
    assert (docs["DN/77"]["section"], docs["DN/77"]["doc_kind"]) == ("cdnr", "debit_note")
    amended = docs["MH/2526/0300A"]
    assert (amended["section"], amended["is_amendment"], amended["origin_rows"]) == ("b2ba", True, [8])
    assert (amended["original_doc_no"], amended["original_doc_date"]) == ("MH/2526/0300", date(2025, 10, 1))
    assert amended["supplier_gstin"] == UMBRA and amended["cgst"] == 90.0


def test_excel_reads_recipient_and_period_from_read_me():
    result = _excel_result()
    assert (result.recipient_gstin, result.period) == (RECIPIENT, "112025")
    with pytest.raises(InputError, match=f"this 2B is for GSTIN {RECIPIENT}, the client is {TAAOA}"):
        read_gstr2b(gstr2b_workbook(EXCEL_B2B), "2b.xlsx", recipient_gstin=TAAOA)


def test_excel_and_json_of_the_same_document_share_identity():
    from_excel = _by_no(_excel_result())["MH/2526/0417"]
    from_json = read_gstr2b(GSTR2B_EXAMPLE.encode(), "2b.json").docs.to_dicts()[0]
    assert from_excel["doc_id"] == from_json["doc_id"]


def test_excel_header_found_by_text_when_the_layout_shifts():
    shifted = gstr2b_workbook(EXCEL_B2B, b2b_header_row=8)
    docs = _by_no(read_gstr2b(shifted, "2b.xlsx"))
    assert docs["MH/2526/0417"]["origin_rows"] == [9, 10]
    assert docs["MH/2526/0417"]["taxable_value"] == 50000.0


def test_excel_rejected_sheet_marks_ims_rejection():
    rejected = [
        b2b_row(TAAOA, "Kerala Co", "REJ-1", "Regular", "16/11/2025", 118, "Kerala", "No", 18, 100, 18, 0, 0)
    ]
    docs = _by_no(read_gstr2b(gstr2b_workbook(EXCEL_B2B, rejected_rows=rejected), "2b.xlsx"))
    assert (docs["REJ-1"]["ims_action"], docs["REJ-1"]["origin_sheet"]) == ("R", "B2B(Rejected)")
    assert docs["MH/2526/0417"]["ims_action"] is None


def test_excel_bad_date_names_sheet_row_and_column():
    bad = [b2b_row(UMBRA, "Umbra", "X-1", "Regular", "31/02/2025", 1, "Maharashtra", "No", 18, 1, 0, 0, 0)]
    with pytest.raises(InputError) as err:
        read_gstr2b(gstr2b_workbook(bad), "2b.xlsx")
    assert str(err.value).startswith("2b.xlsx, sheet 'B2B', row 7, column 'Invoice Date': '31/02/2025'")


def test_excel_workbook_without_2b_sheets_is_refused():
    from portal_fixtures import workbook_bytes

    with pytest.raises(InputError, match="no GSTR-2B sheets"):
        read_gstr2b(workbook_bytes({"Purchases": [["Date", "Bill No"]]}), "register.xlsx")


def test_excel_long_number_stored_as_number_is_kept_and_flagged():
    rows = [
        b2b_row(
            UMBRA,
            "Umbra",
            1234567890123456,
            "Regular",
            "07/11/2025",
            118,
            "Maharashtra",
            "No",
            18,
            100,
            0,
            9,
            9,
        ),
        b2b_row(UMBRA, "Umbra", 1045, "Regular", "08/11/2025", 118, "Maharashtra", "No", 18, 100, 0, 9, 9),
    ]
    docs = read_gstr2b(gstr2b_workbook(rows), "2b.xlsx").docs.sort("doc_date").to_dicts()
    assert docs[1]["doc_no"] == "1045" and docs[1]["warnings"] == []  # not '1045.0'
    assert "may have lost digits" in docs[0]["warnings"][0]


@pytest.mark.parametrize(
    "words, code",
    [
        ("POS and supplier state are same but recipient state is different", "P"),
        ("Return filed post annual cut-off", "C"),
        ("Section 16(4)", "C"),
        ("", None),
    ],
)
def test_excel_reason_words_become_2b_codes(words, code):
    from recon.readers.gstr2b_excel import reason_code

    assert reason_code(words) == code


@pytest.mark.parametrize(
    "words, code",
    [
        ("Regular", "R"),
        ("SEZ supplies with payment of tax", "SEWP"),
        ("SEZ supplies without payment", "SEWOP"),
        ("Deemed Exp", "DE"),
        ("Supplies to customs bonded warehouse", "CBW"),
        ("SEWOP", "SEWOP"),
    ],
)
def test_excel_invoice_type_words_become_codes(words, code):
    from recon.readers.gstr2b_excel import invoice_type_code

    assert invoice_type_code(words) == code


def test_excel_summary_shows_the_sheet_header_row_and_columns_used():
    result = _excel_result()
    assert (result.sheet, result.header_row) == ("B2B", 6)
    assert result.mapping["doc_no"] == "Invoice number" and result.mapping["igst"] == "Integrated Tax(₹)"
    lines = result.summary_lines()
    assert "Header row: 6" in lines and any("Invoice number" in line for line in lines)
