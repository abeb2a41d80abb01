"""A portal download is read a batch of records at a time, from its bytes (recon/readers/portal_json.py).

What the consultant gets must not depend on where the batches fall: the same documents, warnings, places
in the file and error messages as parsing the whole download at once gives. The files here are written by
hand the way downloads arrive in practice: a byte-order mark, supplier names in Devanagari and with ₹,
the recipient's GSTIN after the records, uneven line breaks, amounts written 59000.00.
"""

from __future__ import annotations

import pytest
from polars.testing import assert_frame_equal
from portal_fixtures import RECIPIENT

from recon import jsonio
from recon.errors import InputError
from recon.gstin import check_char
from recon.readers import portal_json, read
from recon.readers.gstr2b import read_gstr2b_parsed
from recon.readers.ims import read_ims_parsed

BOM = b"\xef\xbb\xbf"
NAMES = ["श्री गणेश ट्रेडर्स", "Umbra Traders ₹ Division", "Kaveri Steel — Unit 2", "Plain Supplies"]


def supplier(number: int) -> str:
    body = f"27AAFC{chr(65 + number % 26)}{number:04d}C1Z"
    return body + check_char(body)


def ims_record(number: int, name: str) -> str:
    return (
        f'{{"stin": "{supplier(number % 7)}", "trdnm": "{name}", "inum": "MH/25-26/{number:04d}",\n'
        f'  "idt": "{number % 28 + 1:02d}-11-2025", "inv_typ": "R", "pos": "27", "val": 1180.00, "txval": 1000.00,'
        f' "iamt": 0, "camt": 90.00, "samt": 90.00, "cess": 0, "rtnprd": "112025", "srcfilstatus": "Filed",'
        f' "action": "N", "ispendactblocked": "N", "hash": "h{number:05d}"}}'
    )


def ims_download(invoices: int, notes: int, *, broken: int | None = None) -> bytes:
    """An IMS download with the recipient written after the sections; record ``broken`` of b2b lacks inum."""
    b2b = [ims_record(n, NAMES[n % len(NAMES)]) for n in range(1, invoices + 1)]
    if broken is not None:
        b2b[broken - 1] = b2b[broken - 1].replace(f'"inum": "MH/25-26/{broken:04d}",', "")
    b2bcn = [
        ims_record(500 + n, NAMES[n % len(NAMES)]).replace('"inum"', '"nt_num"').replace('"idt"', '"nt_dt"')
        for n in range(1, notes + 1)
    ]
    text = (
        '{"imsDetails": {"b2b": [\n' + ",\n".join(b2b) + '\n  ],\n "b2bcn":[' + ",".join(b2bcn) + "]},\n"
        f' "rtin": "{RECIPIENT}"}}\n'
    )
    return BOM + text.encode("utf-8")


def gstr2b_download(suppliers: int, *, broken: tuple[int, int] | None = None) -> bytes:
    """A GSTR-2B with three invoices under each supplier; ``broken`` (supplier, document) has no date."""
    groups = []
    for s in range(1, suppliers + 1):
        invoices = []
        for d in range(1, 4):
            date = "" if broken == (s, d) else f'"dt": "{d + 10}-11-2025", '
            invoices.append(
                f'{{"inum": "K/{s}/{d}", "typ": "R", {date}"val": 1180.00, "pos": "27", "rev": "N", '
                f'"itcavl": "Y", "items": [{{"num": 1, "rt": 18, "txval": 1000.00, "igst": 0, "cgst": 90.00, '
                f'"sgst": 90.00, "cess": 0}}]}}'
            )
        groups.append(
            f'{{"ctin": "{supplier(s)}", "trdnm": "{NAMES[s % len(NAMES)]}", "supfildt": "11-12-2025", '
            f'"supprd": "112025", "inv": [{", ".join(invoices)}]}}'
        )
    text = (
        '{"chksum": "x", "data": {"docdata": {"b2b": [\n' + ",\n".join(groups) + "]}, "
        f'"rtnprd": "112025", "gendt": "14-12-2025", "gstin": "{RECIPIENT}"}}}}'
    )
    return text.encode("utf-8")


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of a few records, so that a small download crosses many batch boundaries."""
    monkeypatch.setattr(portal_json, "_BATCH_BYTES", 900)
    monkeypatch.setattr(portal_json, "_BATCH_RECORDS", 3)


def assert_same_read(first, second) -> None:
    assert_frame_equal(first.docs, second.docs)
    assert [str(w) for w in first.warnings] == [str(w) for w in second.warnings]
    assert (first.rows_read, first.recipient_gstin, first.period) == (
        second.rows_read,
        second.recipient_gstin,
        second.period,
    )


def read_whole(data: bytes, name: str, reader):
    """The download parsed whole into Python lists, as the portal connector hands it over."""
    return reader(jsonio.loads_exact(data.decode("utf-8-sig")), name)


def test_an_ims_download_read_in_small_batches_is_read_as_parsed_whole(small_batches):
    data = ims_download(40, 9)

    batched = read(data, "ims.json")
    whole = read_whole(data, "ims.json", read_ims_parsed)

    assert_same_read(batched, whole)
    docs = batched.docs
    assert docs.height == 49 and batched.recipient_gstin == RECIPIENT  # rtin came after the records
    invoices = docs.filter(docs["section"] == "b2b")
    assert [rows[0] for rows in invoices["origin_rows"].to_list()] == list(range(1, 41))
    assert invoices["supplier_name"].to_list()[:4] == [NAMES[1], NAMES[2], NAMES[3], NAMES[0]]
    assert "1180.00" in invoices["raw"][0]  # the literal the portal wrote, echoed digit for digit


def test_the_batch_size_changes_nothing_a_consultant_sees(monkeypatch):
    data = ims_download(40, 9)
    default = read(data, "ims.json")

    monkeypatch.setattr(portal_json, "_BATCH_BYTES", 1)  # one record per batch
    assert_same_read(read(data, "ims.json"), default)


def test_a_bad_record_is_named_by_its_place_in_the_file_not_in_its_batch(small_batches):
    with pytest.raises(InputError) as refused:
        read(ims_download(40, 0, broken=23), "ims.json")

    message = str(refused.value)
    assert "ims.json" in message and "section 'b2b', record 23" in message and "inum" in message


def test_a_gstr2b_read_in_small_batches_is_read_as_parsed_whole(small_batches):
    data = gstr2b_download(12)

    batched = read(data, "2b.json")
    whole = read_whole(data, "2b.json", read_gstr2b_parsed)

    assert_same_read(batched, whole)
    assert batched.docs.height == 36 and batched.recipient_gstin == RECIPIENT and batched.period == "112025"
    assert [rows[0] for rows in batched.docs["origin_rows"].to_list()] == list(range(1, 37))
    assert batched.docs["taxable_value"].sum() == 36_000


def test_a_gstr2b_document_is_named_by_its_supplier_and_number_across_batches(small_batches):
    with pytest.raises(InputError) as refused:
        read(gstr2b_download(12, broken=(9, 2)), "2b.json")

    assert "supplier 9, document 2" in str(refused.value)


def test_a_supplier_whose_documents_are_no_list_is_named():
    text = (
        f'{{"data": {{"gstin": "{RECIPIENT}", "rtnprd": "112025", "docdata": {{"b2b": ['
        f'{{"ctin": "{supplier(1)}", "inv": []}}, {{"ctin": "{supplier(2)}", "inv": 5}}]}}}}}}'
    )

    with pytest.raises(InputError) as refused:
        read(text.encode(), "2b.json")

    assert "supplier 2: 'inv' is not a list of documents" in str(refused.value)


def test_a_utf16_download_is_read_as_its_utf8_twin(small_batches):
    data = ims_download(12, 3)
    as_utf16 = data[len(BOM) :].decode("utf-8").encode("utf-16")

    assert_same_read(read(as_utf16, "ims.json"), read(data, "ims.json"))


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda t: t.replace("},\n{", "}\n{", 1), "line 4, column 1 (Expecting ',' delimiter)"),
        (lambda t: t + "]", "(Extra data)"),
        (lambda t: t[: t.index("},") + 1], "the file is cut off"),  # after a record, within the list
        (
            lambda t: t.replace('"val": 1180.00', '"val": NaN', 1),
            "bare NaN at line 3, column 60, field 'val'",
        ),
    ],
)
def test_damage_is_named_where_json_finds_it(damage, expected):
    text = ims_download(6, 0)[len(BOM) :].decode("utf-8")

    with pytest.raises(InputError) as refused:
        read(damage(text).encode("utf-8"), "ims.json")

    assert expected in str(refused.value)
