"""IMS download reader: envelopes, sections, field variants, exact echo, and errors a consultant can act on."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from portal_fixtures import (
    GSPTN,
    IMS_EXAMPLE,
    RECIPIENT,
    TAAOA,
    UMBRA,
    VENDOR_SAMPLE,
    as_text_digits,
    ims_all_sections,
    ims_bytes,
)

from recon import jsonio, model
from recon.errors import InputError
from recon.readers.ims import read_ims


def _one(result, section):
    rows = result.docs.filter(result.docs["section"] == section).to_dicts()
    assert len(rows) == 1, f"expected one {section} document, got {len(rows)}"
    return rows[0]


def test_formats_example_gives_canonical_invoice_and_credit_note():
    result = read_ims(IMS_EXAMPLE.encode(), "ims.json")

    assert result.source == "ims" and result.docs.height == 2 and result.rows_read == 2
    assert result.docs.columns == list(model.SCHEMA)
    inv = _one(result, "b2b")
    assert inv["doc_kind"] == "invoice" and not inv["is_amendment"]
    assert (inv["supplier_gstin"], inv["supplier_pan"], inv["gstin_valid"]) == (UMBRA, "AAPFU0939F", True)
    assert (inv["doc_no"], inv["doc_date"], inv["fy"]) == ("MH/2526/0417", date(2025, 11, 7), "2025-26")
    assert inv["doc_no_key"] == "MH417"  # the FY token 2526 of this document's own year is dropped
    assert (inv["pos"], inv["supply_type"], inv["reverse_charge"]) == ("27", "R", False)
    amounts = [inv[c] for c in ("taxable_value", "igst", "cgst", "sgst", "cess", "doc_value")]
    assert amounts == [50000.0, 0.0, 4500.0, 4500.0, 0.0, 59000.0]
    assert (inv["supplier_period"], inv["supplier_filing_status"], inv["supplier_filed"]) == (
        "112025",
        "Not Filed",
        False,
    )
    assert (inv["ims_action"], inv["pending_blocked"]) == ("N", False)
    assert inv["portal_hash"].startswith("9b5534758ba4")
    assert (inv["origin_file"], inv["origin_sheet"], inv["origin_rows"]) == ("ims.json", "b2b", [1])
    assert inv["doc_id"] == model.make_doc_id(
        "ims", UMBRA, "invoice", "MH/2526/0417", "2025-26", section="b2b"
    )
    assert inv["content_hash"]

    note = _one(result, "b2bcn")
    assert note["doc_kind"] == "credit_note" and note["supplier_filed"] is True
    assert (note["doc_no"], note["igst"], note["doc_value"]) == ("CN-0093", 360.0, 2360.0)
    assert result.counts() == {"credit_note": 1, "invoice": 1}


ENVELOPES = {
    "bare": lambda s: s,
    "data": lambda s: {"status": "1", "data": s},
    "data.data": lambda s: {"code": 200, "data": {"data": s, "status_cd": "1"}},
    "imsDetails": lambda s: {"imsDetails": s},
    "invdata (our SAVE file)": lambda s: {"rtin": RECIPIENT, "reqtyp": "SAVE", "invdata": s},
    "imsDetailsErr": lambda s: {"imsDetailsErr": s},
}


@pytest.mark.parametrize("envelope", list(ENVELOPES))
def test_every_envelope_gives_the_same_documents(envelope):
    sections = jsonio.loads_exact(IMS_EXAMPLE)
    plain = read_ims(IMS_EXAMPLE.encode(), "a.json")
    wrapped = read_ims(ims_bytes(ENVELOPES[envelope](sections)), "a.json")

    assert wrapped.docs.height == 2
    assert wrapped.docs["doc_id"].to_list() == plain.docs["doc_id"].to_list()
    assert wrapped.docs["content_hash"].to_list() == plain.docs["content_hash"].to_list()
    assert wrapped.docs["raw"].to_list() == plain.docs["raw"].to_list()


def test_save_file_read_back_says_so_and_takes_recipient_from_rtin():
    sections = {"b2b": [dict(jsonio.loads_exact(IMS_EXAMPLE)["b2b"][0], action="A", prev_status="N")]}
    result = read_ims(ims_bytes({"rtin": RECIPIENT, "reqtyp": "SAVE", "invdata": sections}), "upload.json")

    assert result.recipient_gstin == RECIPIENT
    assert result.docs["recipient_gstin"].to_list() == [RECIPIENT]
    assert result.docs["ims_action"].to_list() == ["A"]
    assert any("upload file (SAVE)" in w.message for w in result.warnings)


def test_reset_file_means_no_action():
    record = {k: v for k, v in jsonio.loads_exact(IMS_EXAMPLE)["b2b"][0].items() if k != "action"}
    payload = {"rtin": RECIPIENT, "reqtyp": "RESET", "invdata": {"b2b": [dict(record, prev_status="R")]}}
    result = read_ims(ims_bytes(payload), "reset.json")
    assert result.docs["ims_action"].to_list() == ["N"]


def test_error_file_shows_the_portals_message_on_the_document():
    record = dict(
        jsonio.loads_exact(IMS_EXAMPLE)["b2bcn"][0],
        error_cd="IMSSAV0054",
        error_msg="Value required for itcRedReq",
    )
    result = read_ims(ims_bytes({"imsDetailsErr": {"b2bcn": [record]}}), "errors.json")

    assert result.docs["warnings"].to_list() == [
        ["the portal refused this record: IMSSAV0054 Value required for itcRedReq"]
    ]
    assert any("error file" in w.message for w in result.warnings)


EXPECTED_SECTIONS = {
    # section: (kind, amendment, number, original number, original date)
    "b2b": ("invoice", False, "INV-1", None, None),
    "b2ba": ("invoice", True, "INV-2R", "INV-2", date(2025, 10, 2)),
    "b2bdn": ("debit_note", False, "DN/77", None, None),
    "b2bdna": ("debit_note", True, "DN/78", "DN/70", date(2025, 10, 20)),
    "b2bcn": ("credit_note", False, "CN-0093", None, None),
    "b2bcna": ("credit_note", True, "CN-0094", "CN-0090", date(2025, 10, 15)),
    "ecom": ("invoice", False, "ECO-5", None, None),
    "ecoma": ("invoice", True, "ECO-6", "ECO-4", date(2025, 10, 4)),
    "impg": ("bill_of_entry", False, "7654321", None, None),
}


def test_every_section_maps_to_its_kind_number_and_original():
    result = read_ims(ims_bytes(ims_all_sections()), "all.json")

    assert sorted(result.docs["section"].to_list()) == sorted(EXPECTED_SECTIONS)
    for section, (kind, amended, number, original_no, original_date) in EXPECTED_SECTIONS.items():
        doc = _one(result, section)
        got = (
            doc["doc_kind"],
            doc["is_amendment"],
            doc["doc_no"],
            doc["original_doc_no"],
            doc["original_doc_date"],
        )
        assert got == (kind, amended, number, original_no, original_date), section
    assert _one(result, "ecom")["supply_type"] is None  # ECO records carry no inv_typ
    boe = _one(result, "impg")
    assert boe["supplier_gstin"] is None and boe["gstin_valid"] is None
    assert (boe["taxable_value"], boe["igst"]) == (100000.0, 18000.0)
    # one id per document, none shared across sections
    assert result.docs["doc_id"].n_unique() == len(EXPECTED_SECTIONS)


def test_field_name_variants_and_flag_spellings():
    records = [
        {
            "stin": UMBRA,
            "inum": "V-1",
            "idt": "01-11-2025",
            "inv_typ": "SEZWP",
            "pos": 27,
            "val": 10,
            "txval": 10,
            "iamt": 0,
            "camt": 0,
            "samt": 0,
            "cess": 0,
            "rtnprd": "11",
            "srcfilstatus": "FILED",
            "action": "p",
            "ispendactnallwd": "Y",
            "isRemarksBlocked": True,
            "isItcRedReqBlocked": "false",
            "tradenm": "Umbra Traders",
            "new_portal_key": {"x": 1},
        },
        {
            "stin": GSPTN,
            "inum": "V-2",
            "idt": "02-11-2025",
            "inv_typ": "SEZWOP",
            "pos": "33",
            "val": 10,
            "txval": 10,
            "iamt": 0,
            "camt": 0,
            "samt": 0,
            "cess": 0,
            "srcfilstatus": "SAVED",
            "action": "N",
            "ispendactblocked": False,
            "itcRedReqBlocked": "Y",
        },
    ]
    result = read_ims(ims_bytes({"B2B": records}), "v.json")
    first, second = result.docs.sort("doc_no").to_dicts()

    assert first["section"] == "b2b"  # key as downloaded, lower case
    assert (first["supply_type"], second["supply_type"]) == ("SEWP", "SEWOP")
    assert first["pos"] == "27"
    assert (first["supplier_filed"], second["supplier_filed"]) == (True, False)
    assert (first["supplier_filing_status"], second["supplier_filing_status"]) == ("FILED", "SAVED")
    assert first["supplier_period"] == "11"  # echoed as received, even the MM-only form
    assert first["ims_action"] == "P"
    assert (first["pending_blocked"], second["pending_blocked"]) == (True, False)
    assert first["remarks_blocked"] is True
    assert (first["itc_red_blocked"], second["itc_red_blocked"]) == (False, True)
    assert first["supplier_name"] == "Umbra Traders"
    assert json.loads(first["raw"])["new_portal_key"] == {"x": 1}  # unknown keys survive in raw


def test_raw_echoes_every_literal_exactly():
    text = IMS_EXAMPLE.replace('"MH/2526/0417"', '"1234567890123456"').replace(
        '"val": 59000.00', '"val": 59000.10'
    )
    result = read_ims(text.encode(), "ims.json")
    original = jsonio.loads_exact(text)

    for section in ("b2b", "b2bcn"):
        raw = _one(result, section)["raw"]
        assert as_text_digits(jsonio.loads_exact(raw)) == as_text_digits(original[section][0])
    inv = _one(result, "b2b")
    assert '"val":59000.10' in inv["raw"] and '"txval":50000.00' in inv["raw"] and '"iamt":0,' in inv["raw"]
    assert inv["doc_no"] == "1234567890123456"
    assert isinstance(jsonio.loads_exact(inv["raw"])["txval"], Decimal)


def test_number_sent_as_json_number_keeps_all_digits():
    text = IMS_EXAMPLE.replace('"inum": "MH/2526/0417"', '"inum": 1234567890123456')
    inv = _one(read_ims(text.encode(), "ims.json"), "b2b")
    assert inv["doc_no"] == "1234567890123456"
    assert '"inum":1234567890123456' in inv["raw"]


def test_recipient_gstin_from_envelope_or_option_and_mismatch_is_refused():
    sections = jsonio.loads_exact(IMS_EXAMPLE)
    from_option = read_ims(IMS_EXAMPLE.encode(), "a.json", recipient_gstin=RECIPIENT)
    assert set(from_option.docs["recipient_gstin"].to_list()) == {RECIPIENT}

    with pytest.raises(InputError) as err:
        read_ims(
            ims_bytes({"rtin": TAAOA, "reqtyp": "SAVE", "invdata": sections}),
            "a.json",
            recipient_gstin=RECIPIENT,
        )
    assert f"is for GSTIN {TAAOA}, the client is {RECIPIENT}" in str(err.value)


def test_vendor_sample_gstin_is_kept_with_a_note():
    text = IMS_EXAMPLE.replace(UMBRA, VENDOR_SAMPLE)
    result = read_ims(text.encode(), "sample.json")
    doc = _one(result, "b2b")
    assert doc["supplier_gstin"] == VENDOR_SAMPLE and doc["gstin_valid"] is False
    assert "check character" in doc["gstin_note"]
    assert any(VENDOR_SAMPLE in w.message for w in result.warnings)


@pytest.mark.parametrize(
    "payload", [{"imsDetails": {}}, {"b2b": [], "b2bcn": []}, {}, {"status_cd": "1", "data": {}}]
)
def test_empty_download_is_zero_documents_with_a_warning(payload):
    result = read_ims(ims_bytes(payload), "empty.json")
    assert result.docs.height == 0 and result.docs.columns == list(model.SCHEMA)
    assert any("no IMS records" in w.message for w in result.warnings)


def test_missing_number_names_section_record_and_field():
    sections = ims_all_sections()
    del sections["b2bcn"][0]["nt_num"]
    with pytest.raises(InputError) as err:
        read_ims(ims_bytes(sections), "bad.json")
    text = str(err.value)
    assert text.startswith("bad.json: section 'b2bcn', record 1, field 'nt_num': missing")


def test_impossible_date_is_refused_with_its_place():
    text = IMS_EXAMPLE.replace('"18-11-2025"', '"31-02-2025"')
    with pytest.raises(InputError) as err:
        read_ims(text.encode(), "bad.json")
    assert "section 'b2bcn', record 1, field 'nt_dt': '31-02-2025' is not a real date" in str(err.value)


def test_truncated_json_quotes_line_and_column():
    cut = IMS_EXAMPLE[: IMS_EXAMPLE.index('"pos": "27", "val": 2360.00')]
    with pytest.raises(InputError) as err:
        read_ims(cut.encode(), "cut.json")
    message = str(err.value)
    assert "cut.json" in message and "cut off" in message
    last_line = cut.count("\n") + 1
    assert f"line {last_line}, column" in message


def test_count_response_is_not_a_download():
    count = {
        "status_cd": "1",
        "data": {"b2bcount": {"ttl_cnt": 12, "noaction": 10, "accept": 2, "reject": 0, "pending": 0}},
    }
    with pytest.raises(InputError, match="count"):
        read_ims(ims_bytes(count), "count.json")


@pytest.mark.parametrize(
    "payload, words",
    [
        ({"gstin": RECIPIENT, "fp": "112025", "gt": 0, "b2cs": [], "b2b": []}, "GSTR-1 (outward supplies)"),
        ({"data": {"gstin": RECIPIENT, "rtnprd": "112025", "docdata": {}}}, "GSTR-2B, not an IMS download"),
        ({"invoices": [{"number": 1}]}, "not an IMS download"),
        ([1, 2, 3], "not an IMS download"),
    ],
)
def test_json_that_is_not_ims_is_refused_clearly(payload, words):
    with pytest.raises(InputError, match=words.replace("(", r"\(").replace(")", r"\)")):
        read_ims(ims_bytes(payload), "x.json")


def test_encrypted_response_is_explained():
    with pytest.raises(InputError, match="still encrypted"):
        read_ims(ims_bytes({"status_cd": "1", "data": "q83hG5s0pLk=", "rek": "abc", "hmac": "x"}), "enc.json")


def test_unknown_action_code_is_refused():
    text = IMS_EXAMPLE.replace('"action": "N"', '"action": "X"', 1)
    with pytest.raises(InputError, match="'X' is not an IMS action"):
        read_ims(text.encode(), "x.json")


def test_raw_is_the_record_written_by_dumps_exact():
    """The action-JSON writer reads raw back with loads_exact: raw must be dumps_exact of the record."""
    record_text = (
        '{"stin": "27AAPFU0939F1ZV", "inum": "Ā/1", "idt": "07-11-2025", "val": 1180.10, "txval": 1000,'
        ' "iamt": 180.10, "note": "say \\"hi\\"", "extra": {"lines": [1.50, {"x": null}], "ok": true}}'
    )
    result = read_ims(('{"b2b": [' + record_text + "]}").encode(), "u.json")
    assert result.docs["raw"].to_list() == [jsonio.dumps_exact(jsonio.loads_exact(record_text))]


# ---------------------------------------------------------------------------------------------------
# IMS Offline Tool workbook (docs/reference/formats.md §6)
# ---------------------------------------------------------------------------------------------------


def _tool_row(number, status, previous, pending="N", errors=""):
    return [
        UMBRA,
        "Umbra Traders",
        number,
        "Regular",
        "07/11/2025",
        59000,
        status,
        "Maharashtra",
        50000,
        0,
        4500,
        4500,
        0,
        "",
        "GSTR-1",
        "112025",
        "Filed",
        errors,
        "",
        previous,
        "",
        pending,
        "N",
    ]


def test_offline_tool_workbook_reads_portal_state_and_flags_the_users_choice():
    from portal_fixtures import ims_tool_workbook

    from recon.readers import read

    cn = [
        [
            GSPTN,
            "GSP Tamil",
            "CN-0093",
            "Credit Note",
            "18/11/2025",
            2360,
            "Accept",
            "Maharashtra",
            2000,
            360,
            0,
            0,
            0,
            "Y",
            360,
            0,
            0,
            0,
            "",
            "IFF",
            "112025",
            "Not Filed",
            "",
            "",
            "No Action",
            "",
            "N",
            "N",
        ]
    ]
    amended = [["MH/2526/0300", "01/10/2025", *_tool_row("MH/2526/0300A", "No Action", "No Action")]]
    data = ims_tool_workbook(
        [
            _tool_row("MH/2526/0417", "Accept", "No Action"),
            _tool_row("MH/2526/0418", "Pending", "Pending", pending="Y", errors="bad POS"),
        ],
        cn,
        amended,
    )
    result = read(data, "IMS_offline.xlsm")
    docs = {d["doc_no"]: d for d in result.docs.to_dicts()}

    assert result.source == "ims" and set(docs) == {
        "MH/2526/0417",
        "MH/2526/0418",
        "CN-0093",
        "MH/2526/0300A",
    }
    inv = docs["MH/2526/0417"]
    assert (inv["section"], inv["doc_kind"], inv["origin_sheet"], inv["origin_rows"]) == (
        "b2b",
        "invoice",
        "B2B",
        [7],
    )
    assert (inv["pos"], inv["supply_type"], inv["cgst"], inv["doc_value"]) == ("27", "R", 4500.0, 59000.0)
    assert inv["ims_action"] == "N"  # the portal's state is the Previous status
    assert "Status asks for A; the portal holds N" in inv["warnings"][0]
    assert inv["doc_id"] == _one(read_ims(IMS_EXAMPLE.encode(), "ims.json"), "b2b")["doc_id"]
    pending = docs["MH/2526/0418"]
    assert (pending["ims_action"], pending["pending_blocked"]) == ("P", True)
    assert any("bad POS" in w for w in pending["warnings"])
    note = docs["CN-0093"]
    assert (note["section"], note["doc_kind"], note["igst"], note["supplier_filed"]) == (
        "b2bcn",
        "credit_note",
        360.0,
        False,
    )
    assert (docs["MH/2526/0300A"]["original_doc_no"], docs["MH/2526/0300A"]["origin_rows"]) == (
        "MH/2526/0300",
        [8],
    )
    # raw is rebuilt in the download's key names so the action writer can echo it
    raw = jsonio.loads_exact(inv["raw"])
    assert (raw["stin"], raw["inum"], raw["idt"], raw["inv_typ"], raw["pos"]) == (
        UMBRA,
        "MH/2526/0417",
        "07-11-2025",
        "R",
        "27",
    )
    assert (str(raw["val"]), str(raw["camt"]), raw["rtnprd"], raw["srcform"], raw["action"]) == (
        "59000.00",
        "4500.00",
        "112025",
        "R1",
        "N",
    )
    assert jsonio.loads_exact(note["raw"])["nt_num"] == "CN-0093"
    assert any("Offline Tool workbook" in w.message for w in result.warnings)


def test_offline_tool_workbook_unknown_status_names_the_cell():
    from portal_fixtures import ims_tool_workbook

    from recon.readers import read

    with pytest.raises(InputError) as err:
        read(ims_tool_workbook([_tool_row("X-1", "Maybe", "No Action")]), "tool.xlsm")
    assert str(err.value).startswith(
        "tool.xlsm, sheet 'B2B', row 7, column 'Status': 'Maybe' is not an IMS action"
    )


def test_vendor_envelope_with_gstin_and_period_beside_data_is_still_ims():
    sections = jsonio.loads_exact(IMS_EXAMPLE)
    payload = {"gstin": RECIPIENT, "rtnprd": "112025", "status_cd": "1", "data": sections}
    result = read_ims(ims_bytes(payload), "vendor.json")
    assert result.docs.height == 2 and result.recipient_gstin == RECIPIENT and result.period == "112025"


def test_a_filing_status_the_portal_does_not_write_is_read_as_not_filed_and_said_once_per_value():
    """Hand-edited downloads carry 2A's Y/N in srcfilstatus; the portal writes Filed / Not Filed."""

    def invoice(number, status):
        return {
            "stin": "27AAACD1234F1Z7",
            "inum": number,
            "idt": "04-11-2026",
            "val": 1180,
            "pos": "27",
            "rtnprd": "112026",
            "srcform": "R1",
            "action": "N",
            "srcfilstatus": status,
            "txval": 1000,
            "iamt": 0,
            "camt": 90,
            "samt": 90,
            "cess": 0,
        }

    statuses = ["Filed", "NOT FILED", "Y", "Y", "y"]
    data = {"imsDetails": {"b2b": [invoice(f"DA/{n}", s) for n, s in enumerate(statuses)]}}
    result = read_ims(json.dumps(data).encode(), "hand_edited.json")
    assert result.docs["supplier_filed"].to_list() == [True, False, False, False, False]
    said = [str(w) for w in result.warnings if "srcfilstatus" in str(w)]
    assert len(said) == 2, said  # 'Y' and 'y': each value once, with its count; Filed / NOT FILED say nothing
    assert any("'Y' on 2 record(s)" in w and "hand_edited.json" in w for w in said)
    assert any("'y' on 1 record(s)" in w for w in said)
    assert all("read as not filed" in w for w in said)
