"""recon.readers.read: recognise a file by its content (never its name) and hand it to the right reader."""

from __future__ import annotations

import io
import json
import sys
import types
import zipfile

import pytest
from portal_fixtures import (
    GSTR1_EXAMPLE,
    GSTR2B_EXAMPLE,
    IMS_EXAMPLE,
    RECIPIENT,
    TAAOA,
    UMBRA,
    b2b_row,
    gstr2a_statement,
    gstr2b_statement,
    gstr2b_supplier,
    gstr2b_workbook,
    json_bytes,
    workbook_bytes,
)

from recon import model
from recon.errors import InputError
from recon.readers import read


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def _two_rate_workbook() -> bytes:
    return gstr2b_workbook(
        [
            b2b_row(
                UMBRA,
                "Umbra",
                "MH/2526/0417",
                "Regular",
                "07/11/2025",
                59000,
                "Maharashtra",
                "No",
                18,
                50000,
                0,
                4500,
                4500,
            )
        ]
    )


@pytest.mark.parametrize(
    "data, source",
    [
        (IMS_EXAMPLE.encode(), "ims"),
        (json_bytes({"imsDetails": {"b2b": []}}), "ims"),
        (GSTR2B_EXAMPLE.encode(), "gstr2b"),
        (json_bytes(gstr2a_statement()), "gstr2a"),
        (_two_rate_workbook(), "gstr2b"),
    ],
    ids=["ims", "ims-empty", "2b-json", "2a-json", "2b-excel"],
)
def test_recognised_by_content_whatever_the_name(data, source):
    result = read(data, "download (1).txt")
    assert result.source == source
    assert result.docs.columns == list(model.SCHEMA)


def test_path_input_takes_the_file_name(tmp_path):
    path = tmp_path / "ims_112025.json"
    path.write_bytes(IMS_EXAMPLE.encode())
    result = read(path)
    assert (result.source, result.file, result.docs.height) == ("ims", "ims_112025.json", 2)
    assert set(result.docs["origin_file"].to_list()) == {"ims_112025.json"}
    assert read(str(path)).docs["doc_id"].to_list() == result.docs["doc_id"].to_list()


def test_bom_and_leading_whitespace_still_json():
    result = read(b"\xef\xbb\xbf\n  " + IMS_EXAMPLE.encode(), "ims.json")
    assert result.source == "ims" and result.docs.height == 2


def test_recipient_gstin_option_reaches_the_portal_reader():
    with pytest.raises(InputError, match=f"the client is {TAAOA}"):
        read(GSTR2B_EXAMPLE.encode(), "2b.json", recipient_gstin=TAAOA)
    result = read(IMS_EXAMPLE.encode(), "ims.json", recipient_gstin=RECIPIENT)
    assert set(result.docs["recipient_gstin"]) == {RECIPIENT}  # the documents are the client's


def test_a_download_without_a_recipient_is_never_said_to_name_one():
    """The client's GSTIN only checks the file: a download that names no recipient does not 'hold' it."""
    assert '"rtin"' not in IMS_EXAMPLE
    result = read(IMS_EXAMPLE.encode(), "ims.json", recipient_gstin=RECIPIENT)
    assert result.recipient_gstin is None
    assert not [line for line in result.summary_lines() if "Recipient GSTIN" in line]
    named = read(json.dumps({"rtin": RECIPIENT, **json.loads(IMS_EXAMPLE)}).encode(), "ims.json")
    assert f"Recipient GSTIN in file: {RECIPIENT}" in named.summary_lines()


def test_gstr1_json_is_refused_with_where_to_get_ims():
    with pytest.raises(InputError) as err:
        read(json_bytes(GSTR1_EXAMPLE), "returns.json")
    assert str(err.value) == (
        "returns.json: this is a GSTR-1 (outward supplies) file, not an IMS download. "
        "Download IMS from IMS Dashboard → Offline → Download JSON."
    )


@pytest.mark.parametrize(
    "data", [b'{"invoices": [{"no": 1}]}', b"[1, 2]", b'{"status_cd": "1", "data": {"gstr3b": {}}}']
)
def test_json_that_is_none_of_them(data):
    with pytest.raises(InputError, match="not an IMS download, a GSTR-2B or a GSTR-2A"):
        read(data, "other.json")


def test_truncated_json_is_an_input_error_not_a_traceback():
    with pytest.raises(InputError, match=r"line \d+, column \d+"):
        read(GSTR2B_EXAMPLE.encode()[:300], "2b.json")


def test_forced_kind_is_obeyed_and_a_mismatch_explained():
    assert read(IMS_EXAMPLE.encode(), "x", kind="ims").source == "ims"
    with pytest.raises(InputError, match="this is a GSTR-2B, not an IMS download"):
        read(GSTR2B_EXAMPLE.encode(), "2b.json", kind="ims")
    with pytest.raises(InputError, match="this is an IMS download, not a GSTR-2A"):
        read(IMS_EXAMPLE.encode(), "ims.json", kind="gstr2a")
    with pytest.raises(InputError, match="unknown file kind"):
        read(IMS_EXAMPLE.encode(), "ims.json", kind="gstr9")


@pytest.fixture
def fake_books(monkeypatch):
    """Stand-in for recon.readers.books (another module) that records what it was asked to read."""
    calls = []

    def read_books(data, name, **options):
        calls.append((data, name, options))
        from recon.readers.result import ReadResult

        return ReadResult(docs=model.empty(), source="books", file=name, file_format="xlsx")

    module = types.ModuleType("recon.readers.books")
    module.read_books = read_books
    monkeypatch.setitem(sys.modules, "recon.readers.books", module)
    return calls


def test_a_workbook_without_2b_sheets_goes_to_the_books_reader_with_its_options(fake_books):
    register = workbook_bytes({"Purchase Register": [["Date", "Supplier GSTIN", "Bill No", "Taxable"]]})
    result = read(register, "purchases.xlsx", sheet="Purchase Register", mapping={"doc_no": "Bill No"})
    assert result.source == "books"
    ((data, name, options),) = fake_books
    assert (data, name) == (register, "purchases.xlsx")
    assert options == {"sheet": "Purchase Register", "mapping": {"doc_no": "Bill No"}}


def test_csv_text_goes_to_the_books_reader(fake_books):
    result = read(b"Date,Supplier GSTIN,Bill No\n07-11-2025,27AAPFU0939F1ZV,A-1\n", "register.csv")
    assert result.source == "books" and fake_books[0][1] == "register.csv"


def test_a_2b_workbook_is_not_sent_to_books_even_named_like_a_register(fake_books):
    result = read(_two_rate_workbook(), "purchase register.xlsx")
    assert result.source == "gstr2b" and fake_books == []
    assert result.docs["origin_rows"].to_list() == [[7]]


def test_zip_with_one_json_is_read_as_that_json():
    result = read(_zip({"returns/ims.json": IMS_EXAMPLE.encode()}), "ims.zip")
    assert result.source == "ims" and result.docs.height == 2
    assert result.file == "ims.zip/ims.json"


def _part(number: str, fc: int) -> bytes:
    invoice = {
        "inum": number,
        "typ": "R",
        "dt": "07-11-2025",
        "val": 118,
        "pos": "27",
        "rev": "N",
        "itcavl": "Y",
        "txval": 100,
        "igst": 0,
        "cgst": 9,
        "sgst": 9,
        "cess": 0,
    }
    return json_bytes(gstr2b_statement({"b2b": [gstr2b_supplier(UMBRA, "inv", [invoice])]}, fc=fc))


def test_zip_of_split_2b_parts_gives_one_statement():
    archive = _zip({"GSTR2B_1.json": _part("P1-1", 2), "GSTR2B_2.json": _part("P2-1", 2)})
    result = read(archive, "2b.zip")
    assert result.source == "gstr2b" and (result.recipient_gstin, result.period) == (RECIPIENT, "112025")
    assert sorted(result.docs["doc_no"].to_list()) == ["P1-1", "P2-1"]
    assert sorted(result.docs["origin_file"].to_list()) == ["2b.zip/GSTR2B_1.json", "2b.zip/GSTR2B_2.json"]
    assert not any("parts" in w.message for w in result.warnings)


def test_zip_missing_a_part_warns():
    result = read(_zip({"GSTR2B_1.json": _part("P1-1", 3), "GSTR2B_2.json": _part("P2-1", 3)}), "2b.zip")
    assert any("3 parts; 2 were read" in w.message for w in result.warnings)


def test_zip_of_unrelated_files_is_refused():
    archive = _zip({"ims.json": IMS_EXAMPLE.encode(), "2b.json": GSTR2B_EXAMPLE.encode()})
    with pytest.raises(InputError, match="not parts of one GSTR-2B"):
        read(archive, "mixed.zip")


def test_zip_parts_of_different_clients_are_refused():
    other = _part("P2-1", 2).replace(RECIPIENT.encode(), TAAOA.encode())
    with pytest.raises(InputError, match="different statements"):
        read(_zip({"a.json": _part("P1-1", 2), "b.json": other}), "2b.zip")


def test_empty_and_damaged_files():
    with pytest.raises(InputError, match="empty"):
        read(b"", "nothing.json")
    with pytest.raises(InputError, match="damaged zip or Excel workbook"):
        read(b"PK\x03\x04 not really a zip", "broken.xlsx")


def test_upload_status_reply_is_recognised_and_explained():
    status = {
        "status_cd": "PE",
        "transTypCd": "SAV",
        "proc_cnt": "2",
        "err_cnt": "1",
        "err_cd": "",
        "err_msg": "",
        "error_report": {
            "cn": [
                {
                    "stin": "33GSPTN0791G1Z5",
                    "error_cd": "IMSSAV0054",
                    "error_msg": "Value required for itcRedReq",
                    "inv": [{"inum": "CN-0093", "rtnprd": "112025"}],
                }
            ]
        },
    }
    with pytest.raises(InputError, match="answer to an upload"):
        read(json_bytes(status), "status.json")


def test_zip_of_ims_sections_gives_one_download_and_keeps_a_repeated_record_once():
    sections = json.loads(IMS_EXAMPLE)
    b2b = json_bytes({"b2b": sections["b2b"]})
    notes = json_bytes({"data": {"b2bcn": sections["b2bcn"]}})
    result = read(_zip({"B2B.json": b2b, "CN.json": notes, "B2B (1).json": b2b}), "ims.zip")
    assert result.source == "ims" and sorted(result.docs["section"].to_list()) == ["b2b", "b2bcn"]
    assert result.docs["doc_id"].n_unique() == 2
    assert any("more than one file" in w.message for w in result.warnings)


def test_gstr1_from_the_offline_tool_with_only_b2b_is_still_gstr1():
    minimal = {
        "gstin": UMBRA,
        "fp": "112025",
        "version": "GST3.1.6",
        "hash": "hash",
        "b2b": [
            {
                "ctin": RECIPIENT,
                "inv": [
                    {
                        "inum": "A-1",
                        "idt": "07-11-2025",
                        "val": 118,
                        "pos": "27",
                        "rchrg": "N",
                        "inv_typ": "R",
                        "itms": [],
                    }
                ],
            }
        ],
    }
    with pytest.raises(InputError, match=r"GSTR-1 \(outward supplies\)"):
        read(json_bytes(minimal), "r1.json")


# -- the right file on the right uploader ---------------------------------------------------------------


def test_a_register_on_the_portal_uploader_is_named_a_purchase_register():
    from books_files import tally_grid, tally_row, xlsx_bytes

    from recon.readers.sniff import misplaced

    register = xlsx_bytes({"Purchase Register": tally_grid([tally_row("INV-1", 1000.0)])})
    csv_register = b"Date,Particulars,Voucher Type,Supplier Invoice No.,GSTIN/UIN,Taxable Value\n"
    for data, name in ((register, "nov.xlsx"), (csv_register, "nov.csv")):
        err = misplaced(data, name, "portal")
        assert err is not None and name in str(err)
        assert "purchase register" in str(err) and "purchase books uploader" in str(err)
        assert misplaced(data, name, "books") is None


def test_a_portal_download_on_the_books_uploader_is_explained_in_words():
    from recon.readers.sniff import misplaced

    for data, words in (
        (IMS_EXAMPLE.encode(), "an IMS download (JSON)"),
        (GSTR2B_EXAMPLE.encode(), "a GSTR-2B (JSON)"),
    ):
        err = misplaced(data, "download.json", "books")
        assert err is not None
        assert words in str(err) and "portal uploader" in str(err)
        assert misplaced(data, "download.json", "portal") is None
