"""The one table of section facts: the readers and the action-file writer see the same sections.

Files here are written by hand (lower-case keys as the portal writes them, GSP spellings mixed in), not by
the project's generator.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from portal_fixtures import RECIPIENT, TAAOA, gstr2b_statement, gstr2b_supplier, json_bytes

from recon import model
from recon.errors import InputError
from recon.ims_json import unsendable, validate
from recon.readers import sections
from recon.readers.gstr2b import read_gstr2b
from recon.readers.ims import read_ims

RECON = Path(__file__).resolve().parents[2] / "recon"

# An IMS download as a GSP hands it over: ISD records beside an invoice and an import of goods, amounts as
# the portal writes them.
IMS_WITH_ISD = b"""{"data": {"b2b": [{"stin": "27AAPFU0939F1ZV", "inum": "U/77", "idt": "04-11-2025",
  "inv_typ": "R", "pos": "27", "val": 1180.00, "txval": 1000.00, "iamt": 0, "camt": 90.00, "samt": 90.00,
  "cess": 0, "rtnprd": "112025", "srcform": "R1", "action": "N"}],
 "isd": [{"ctin": "33GSPTN0791G1Z5", "docnum": "ISD/12", "docdt": "06-11-2025", "doctyp": "ISDI",
  "iamt": 500.00, "camt": 0, "samt": 0, "cess": 0, "action": "N"}],
 "isdcn": [{"ctin": "33GSPTN0791G1Z5", "docnum": "ISDCN/3", "docdt": "09-11-2025",
  "iamt": 120.00, "camt": 0, "samt": 0, "cess": 0, "action": "N"}],
 "impg": [{"boenum": "7654321", "boedt": "10-11-2025", "portcd": "INNSA1", "txval": 10000.00,
  "iamt": 1800.00, "cess": 0, "action": "N"}]}}"""


def _every_section() -> list[sections.Section]:
    return [*sections.IMS.values(), *sections.GSTR2B.values(), *sections.GSTR2A.values()]


@pytest.mark.parametrize("section", _every_section(), ids=lambda s: f"{s.source}-{s.key}")
def test_each_sections_signs_are_the_ones_every_total_uses(section):
    """A document's sign in the table is the sign the totals give its kind: credit notes subtract."""
    kinds = pl.DataFrame({"doc_kind": list(section.kinds)})
    directions = kinds.select(model.itc_direction()).to_series().to_list()
    assert directions == [section.signs[kind] for kind in section.kinds]


def test_isd_sections_hold_credit_notes_that_subtract():
    assert sections.GSTR2B["isd"].signs == {"isd": 1, "credit_note": -1}
    assert sections.GSTR2A["isda"].signs == {"isd": 1, "credit_note": -1}
    assert sections.IMS["isdcn"].signs == {"credit_note": -1}
    assert sections.GSTR2B["cdnr"].signs == {"credit_note": -1, "debit_note": 1}


@pytest.mark.parametrize("key", sorted(sections.API_FIELDS))
def test_an_upload_carries_the_number_and_date_under_the_keys_the_download_is_read_by(key):
    section = sections.IMS[key]
    assert sections.NUMBER_KEY[key] == section.number[0]
    assert {section.number[0], section.date[0]} <= set(section.api_fields)
    assert {section.number[0], section.date[0]} <= set(section.api_required)
    if section.is_amendment:
        assert {section.original_number[0], section.original_date[0]} <= set(section.api_fields)


def test_isd_records_are_read_but_flagged_as_taking_no_action_while_the_rest_can_be_sent():
    docs = read_ims(IMS_WITH_ISD, "ims_gsp.json", recipient_gstin=RECIPIENT).docs
    kinds = dict(zip(docs["doc_no"], docs["doc_kind"], strict=True))
    assert kinds == {"U/77": "invoice", "ISD/12": "isd", "ISDCN/3": "credit_note", "7654321": "bill_of_entry"}
    flagged = unsendable(docs).join(docs.select("doc_id", "doc_no"), on="doc_id")
    reasons = dict(zip(flagged["doc_no"], flagged["reason"], strict=True))
    assert set(reasons) == {"ISD/12", "ISDCN/3"}
    assert reasons["ISD/12"] == "section 'isd' does not take IMS actions"


@pytest.mark.parametrize("key", sections.IMPORT_SECTIONS)
def test_no_import_section_accepts_a_reject_but_each_accepts_pending(key):
    record = {"boenum": "7654321", "boedt": "10-11-2025", "txval": 10000, "iamt": 1800, "cess": 0}
    if sections.IMS[key].is_amendment:
        record |= {"oboenum": "7654300", "oboedt": "01-10-2025"}
    with pytest.raises(InputError, match="never rejected"):
        validate({"rtin": RECIPIENT, "reqtyp": "SAVE", "invdata": {key: [dict(record, action="R")]}})
    validate({"rtin": RECIPIENT, "reqtyp": "SAVE", "invdata": {key: [dict(record, action="P")]}})


def test_a_2b_note_takes_its_kind_from_the_note_type_whichever_key_carries_it():
    # A GSP copy writes the note type under ntty instead of typ and the number under nt_num.
    notes = [
        {"ntnum": "CN-4", "dt": "12-11-2025", "typ": "C", "val": 590.00, "txval": 500.00, "igst": 90.00},
        {"nt_num": "DN-9", "dt": "14-11-2025", "ntty": "D", "val": 118.00, "txval": 100.00, "igst": 18.00},
    ]
    statement = gstr2b_statement({"cdnr": [gstr2b_supplier(TAAOA, "nt", notes)]})
    docs = read_gstr2b(json_bytes(statement), "2b.json", recipient_gstin=RECIPIENT).docs
    assert dict(zip(docs["doc_no"], docs["doc_kind"], strict=True)) == {
        "CN-4": "credit_note",
        "DN-9": "debit_note",
    }


def test_section_facts_have_one_home():
    """No reader or the action-file writer keeps its own list of sections beside sections.py."""
    pattern = re.compile(r"^_?[A-Z0-9_]*SECTIONS\s*(?::[^=\n]*)?=\s*[\(\{\[]", re.M)
    homes = [*sorted((RECON / "ims_json").glob("*.py")), *sorted((RECON / "readers").glob("*.py"))]
    copies = [p.name for p in homes if p.name != "sections.py" and pattern.search(p.read_text())]
    assert copies == []
    assert pattern.search('IMPORT_SECTIONS = ("impg", "impga")')  # the shape a second copy would take
