"""GSTR-2A reader: supplier groups, rate lines itm_det, 2A spellings and dates like 18-Nov-19."""

from __future__ import annotations

from datetime import date

import pytest
from portal_fixtures import GSPTN, GSTR1_EXAMPLE, RECIPIENT, TAAOA, UMBRA, gstr2a_statement, json_bytes

from recon import jsonio, model
from recon.errors import InputError
from recon.readers.gstr2a import read_gstr2a


def _docs():
    result = read_gstr2a(json_bytes(gstr2a_statement()), "2a.json")
    return result, {d["doc_no"]: d for d in result.docs.to_dicts()}


def test_invoice_rate_lines_are_summed_and_dates_in_month_words_read():
    result, docs = _docs()
    assert (result.source, result.recipient_gstin, result.period) == ("gstr2a", RECIPIENT, "112025")
    inv = docs["MH/2526/0417"]
    amounts = [inv[c] for c in ("taxable_value", "igst", "cgst", "sgst", "cess", "doc_value")]
    assert amounts == [50000.0, 0.0, 4500.0, 4500.0, 0.0, 59000.0]
    assert inv["doc_date"] == date(2025, 11, 7)  # "07-Nov-25"
    assert (inv["section"], inv["doc_kind"], inv["supplier_gstin"]) == ("b2b", "invoice", UMBRA)
    assert inv["doc_id"] == model.make_doc_id(
        "gstr2a", UMBRA, "invoice", "MH/2526/0417", "2025-26", section="b2b"
    )
    assert len(jsonio.loads_exact(inv["raw"])["itms"]) == 2


def test_reverse_charge_filing_status_and_supply_type():
    _, docs = _docs()
    assert docs["RCM-9"]["reverse_charge"] is True and docs["MH/2526/0417"]["reverse_charge"] is False
    assert (docs["MH/2526/0417"]["supplier_filing_status"], docs["MH/2526/0417"]["supplier_filed"]) == (
        "Y",
        True,
    )
    assert (docs["K-1"]["supplier_filing_status"], docs["K-1"]["supplier_filed"]) == ("N", False)
    assert docs["K-1"]["supplier_gstin"] == TAAOA and docs["K-1"]["supply_type"] == "SEWP"
    assert docs["K-1"]["igst"] == 360.0


def test_notes_and_amendments():
    _, docs = _docs()
    note = docs["CN-0093"]
    assert (note["section"], note["doc_kind"], note["doc_date"], note["supplier_gstin"]) == (
        "cdn",
        "credit_note",
        date(2025, 11, 18),
        GSPTN,
    )
    amended = docs["MH/2526/0300A"]
    assert (amended["section"], amended["is_amendment"]) == ("b2ba", True)
    assert (amended["original_doc_no"], amended["original_doc_date"]) == ("MH/2526/0300", date(2025, 10, 1))


def test_2a_for_another_gstin_is_refused():
    with pytest.raises(InputError, match=f"this 2A is for GSTIN {RECIPIENT}, the client is {TAAOA}"):
        read_gstr2a(json_bytes(gstr2a_statement()), "2a.json", recipient_gstin=TAAOA)


def test_gstr1_is_not_taken_for_a_2a():
    with pytest.raises(InputError) as err:
        read_gstr2a(json_bytes(GSTR1_EXAMPLE), "r1.json")
    assert "GSTR-1 (outward supplies)" in str(err.value)
    assert "IMS Dashboard → Offline → Download JSON" in str(err.value)


def test_unknown_note_type_names_its_place():
    statement = gstr2a_statement()
    statement["cdn"][0]["nt"][0]["ntty"] = "Z"
    with pytest.raises(InputError) as err:
        read_gstr2a(json_bytes(statement), "2a.json")
    assert "section 'cdn', supplier 1, document 1, field 'ntty': 'Z' is not a note type" in str(err.value)


def test_supplier_filing_period_in_words_becomes_mmyyyy():
    _, docs = _docs()
    assert docs["MH/2526/0417"]["supplier_period"] == "112025"  # flprdr1 "Nov-25"
    assert docs["K-1"]["supplier_period"] is None


def test_isd_and_imports_with_2a_spellings():
    statement = {
        "gstin": RECIPIENT,
        "fp": "112025",
        "isd": [
            {
                "ctin": TAAOA,
                "cfs": "Y",
                "doclist": [
                    {
                        "isd_docty": "ISDCN",
                        "docnum": "ISD-4",
                        "docdt": "03-11-2025",
                        "itc_elg": "Y",
                        "iamt": 20,
                        "camt": 0,
                        "samt": 0,
                        "cess": 5,
                    }
                ],
            }
        ],
        "impg": [
            {
                "refdt": "28-11-2025",
                "portcd": "INNSA1",
                "benum": 2566282,
                "bedt": "18-11-2025",
                "txval": 1000,
                "iamt": 180,
                "csamt": 0.5,
                "amd": "N",
            }
        ],
        "impgsez": [
            {
                "portcd": "INNSA1",
                "benum": 2566283,
                "bedt": "19-11-2025",
                "sgstin": UMBRA,
                "tdname": "SEZ Unit",
                "txval": 500,
                "iamt": 90,
                "csamt": 0,
            }
        ],
    }
    docs = {d["doc_no"]: d for d in read_gstr2a(json_bytes(statement), "2a.json").docs.to_dicts()}
    isd = docs["ISD-4"]
    assert (isd["doc_kind"], isd["igst"], isd["cess"], isd["itc_available"]) == (
        "credit_note",
        20.0,
        5.0,
        "Y",
    )
    assert "ISD credit note" in isd["warnings"][0]
    boe = docs["2566282"]  # a number written as a JSON number stays the same digits
    assert (boe["doc_kind"], boe["supplier_gstin"], boe["taxable_value"], boe["igst"], boe["cess"]) == (
        "bill_of_entry",
        None,
        1000.0,
        180.0,
        0.5,
    )
    sez = docs["2566283"]
    assert (sez["section"], sez["supplier_gstin"], sez["supplier_name"]) == ("impgsez", UMBRA, "SEZ Unit")


def test_cancelled_supplier_registration_is_shown_on_the_document():
    statement = gstr2a_statement()
    statement["b2b"][1]["dtcancel"] = "27-Aug-25"
    docs = {d["doc_no"]: d for d in read_gstr2a(json_bytes(statement), "2a.json").docs.to_dicts()}
    assert docs["K-1"]["warnings"] == ["the supplier's registration was cancelled from 27-Aug-25"]


def test_2a_excel_reads_like_2a_json():
    from portal_fixtures import gstr2a_workbook

    from recon.readers import read

    b2b = [
        [UMBRA, "MH/2526/0417", "Regular", "07/11/2025", 59000, "Maharashtra", "N", 18, 30000, 0, 2700, 2700, 0, "Y", "Y", "", "", "", "e-Invoice", "", ""],
        [UMBRA, "MH/2526/0417", "Regular", "07/11/2025", 59000, "Maharashtra", "N", 18, 20000, 0, 1800, 1800, 0, "Y", "Y", "", "", "", "e-Invoice", "", ""],
        [TAAOA, "K-1", "SEZ supplies with payment", "12/11/2025", 2360, "Maharashtra", "N", 18, 2000, 360, 0, 0, 0, "N", "N", "", "", "01/12/2025", "", "", ""],
    ]  # fmt: skip
    cdnr = [
        [
            GSPTN,
            "Credit Note",
            "CN-0093",
            "18/11/2025",
            "Regular",
            2360,
            "Maharashtra",
            "N",
            18,
            2000,
            360,
            0,
            0,
            0,
            "Y",
            "Y",
            "",
            "",
            "",
        ]
    ]
    result = read(gstr2a_workbook(b2b, cdnr), "2A.xlsx")
    docs = {d["doc_no"]: d for d in result.docs.to_dicts()}

    assert result.source == "gstr2a" and set(docs) == {"MH/2526/0417", "K-1", "CN-0093"}
    inv = docs["MH/2526/0417"]
    assert (inv["origin_rows"], inv["taxable_value"], inv["cgst"]) == ([7, 8], 50000.0, 4500.0)
    assert (inv["supplier_filing_status"], inv["supplier_filed"]) == ("Y", True)
    assert inv["doc_id"] == _docs()[1]["MH/2526/0417"]["doc_id"]  # same identity as the 2A JSON
    assert docs["K-1"]["doc_date"] == date(2025, 11, 12)  # not the cancellation date beside it
    assert (docs["K-1"]["supplier_filed"], docs["K-1"]["supply_type"]) == (False, "SEWP")
    assert (docs["CN-0093"]["section"], docs["CN-0093"]["doc_kind"]) == ("cdn", "credit_note")
    assert any(w.where.sheet == "TDS" for w in result.warnings)
    assert result.recipient_gstin == RECIPIENT
